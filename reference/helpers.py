"""The few modules PyTorch does not have, written so that a generated model file can
copy them verbatim (each is self-contained and needs only torch)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PaddedConv1d(nn.Conv1d):
    """Conv1d with per-side padding (before, after) applied before the convolution."""

    def __init__(self, *args, side_padding=(0, 0), pad_mode="constant", **kwargs):
        super().__init__(*args, **kwargs)
        self.side_padding = tuple(side_padding)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.side_padding, mode=self.pad_mode))


class PaddedConv2d(nn.Conv2d):
    """Conv2d with per-side padding (left, right, top, bottom) applied first."""

    def __init__(self, *args, side_padding=(0, 0, 0, 0), pad_mode="constant", **kwargs):
        super().__init__(*args, **kwargs)
        self.side_padding = tuple(side_padding)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.side_padding, mode=self.pad_mode))


class PaddedConv3d(nn.Conv3d):
    """Conv3d with per-side padding (left, right, top, bottom, front, back) applied first."""

    def __init__(
        self, *args, side_padding=(0, 0, 0, 0, 0, 0), pad_mode="constant", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.side_padding = tuple(side_padding)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.side_padding, mode=self.pad_mode))


class Add(nn.Module):
    """The sum of its inputs, broadcasting (a residual connection's merge)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """The product of its inputs, broadcasting: a C×1×1 gate scales each channel of a
    C×H×W volume (squeeze-and-excitation, Hu et al., 2018)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Its inputs side by side along the channels (Inception's merge)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)


class Chunk(nn.Module):
    """One piece of torch.chunk along the channels (ShuffleNetV2's channel split)."""

    def __init__(self, parts: int, index: int):
        super().__init__()
        self.parts, self.index = parts, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.chunk(x, self.parts, dim=1)[self.index]


class Scale(nn.Module):
    """x · factor: the scaled residual branches of Inception-ResNet (Szegedy, 2016)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class ZeroPadShortcut(nn.Module):
    """ResNet's option A shortcut: subsample x[:, :, ::s, ::s] and pad the extra channels
    with zeros — no parameters (He et al., 2015, §4.1). No torch module does this."""

    def __init__(self, stride: tuple, extra_channels: int):
        super().__init__()
        self.stride = tuple(stride)
        self.extra_channels = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = (slice(None), slice(None)) + tuple(
            slice(None, None, s) for s in self.stride
        )
        x = x[index]
        return F.pad(x, (0, 0) * len(self.stride) + (0, self.extra_channels))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels at every position of an N×C×H×W tensor: ConvNeXt's
    channels-first norm, as torchvision/models/convnext.py writes it (same parameters,
    weight and bias of shape (C,), so the state_dicts match)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        x = x.permute(0, 3, 1, 2)
        return x


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm2d for any number of spatial dims (N×C×L, N×C×T×H×W): the channels moved
    last, normalised, and moved back."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.movedim(1, -1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.movedim(-1, 1)


class ChannelLinear(nn.Linear):
    """nn.Linear over the channel axis at every position of an N×C×… tensor: ConvNeXt's
    pointwise layers, which torchvision writes as a Linear between two permutes (its
    weight (out, C), as there, so the state_dicts match)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.movedim(1, -1), self.weight, self.bias).movedim(-1, 1)


class LayerScale(nn.Module):
    """γ · x with a learned γ per channel, shaped (C, 1, 1) and filled with `init` as
    torchvision's ConvNeXt block holds its `layer_scale` (for `ndim` spatial dims; (C,) on
    a flat N×C input). Its state_dict key is the module's own path (`features.1.0.
    layer_scale`), as torchvision's CNBlock, which holds the parameter directly, names it:
    a layer written `layer_scale` in a block loads such a block's weights."""

    def __init__(self, channels: int, init: float = 1e-6, ndim: int = 2):
        super().__init__()
        self.layer_scale = nn.Parameter(
            torch.full((channels,) + (1,) * ndim, float(init))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * x

    # The γ's key is its module's path, not the path and `.layer_scale`. PyTorch hands a
    # module only the keys under its path and a dot, so the model that holds LayerScale
    # layers renames them, with these two hooks (build.SpecModel and a compiled model
    # register them: `LayerScale.own_keys(self)`).
    @staticmethod
    def own_keys(model: nn.Module) -> None:
        model.register_state_dict_post_hook(LayerScale._keys_out)
        model.register_load_state_dict_pre_hook(LayerScale._keys_in)
        model.register_load_state_dict_post_hook(LayerScale._missing)

    @staticmethod
    def _paths(model: nn.Module, prefix: str) -> list[str]:
        return [
            prefix + path
            for path, m in model.named_modules()
            if isinstance(m, LayerScale)
        ]

    @staticmethod
    def _keys_out(model, state_dict, prefix, local_metadata) -> None:
        own = {f"{p}.layer_scale": p for p in LayerScale._paths(model, prefix)}
        if own:
            items = list(state_dict.items())
            state_dict.clear()
            state_dict.update((own.get(k, k), v) for k, v in items)

    @staticmethod
    def _missing(model, incompatible) -> None:
        """A missing γ said by its key in the source (`….layer_scale`), not ours."""
        ours = tuple(f"{p}.layer_scale" for p in LayerScale._paths(model, ""))
        keys = incompatible.missing_keys
        keys[:] = [
            k.removesuffix(".layer_scale") if k.endswith(ours) else k for k in keys
        ]

    @staticmethod
    def _keys_in(model, state_dict, prefix, *_) -> None:
        for p in LayerScale._paths(model, prefix):
            if p in state_dict and f"{p}.layer_scale" not in state_dict:
                state_dict[f"{p}.layer_scale"] = state_dict.pop(p)


class StochasticDepth(nn.Module):
    """Drop the whole input of a sample (`row`) or of the batch (`batch`) with
    probability p while training, scaling what survives by 1/(1 − p); the identity in
    eval mode. torchvision.ops.stochastic_depth's logic (Huang et al., 2016), without
    torchvision."""

    def __init__(self, p: float, mode: str = "row"):
        super().__init__()
        if p < 0.0 or p > 1.0:
            raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
        if mode not in ("batch", "row"):
            raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival_rate = 1.0 - self.p
        if self.mode == "row":
            size = [x.shape[0]] + [1] * (x.ndim - 1)
        else:
            size = [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device)
        noise = noise.bernoulli_(survival_rate)
        if survival_rate > 0.0:
            noise.div_(survival_rate)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"


class InterpolateLike(nn.Module):
    """x resized to the spatial size of a second input, read at run time — a segmentation
    head's return to the input's resolution (torchvision's FCN and DeepLab heads call
    F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False))."""

    def __init__(self, mode: str = "nearest", align_corners: bool | None = None):
        super().__init__()
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return F.interpolate(
            x, size=ref.shape[2:], mode=self.mode, align_corners=self.align_corners
        )

    def extra_repr(self) -> str:
        corners = ", align_corners=True" if self.align_corners else ""
        return f"mode={self.mode!r}{corners}"
