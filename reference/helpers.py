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


class Add(nn.Module):
    """The sum of its inputs (a residual connection's merge)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """Its inputs side by side along the channels (Inception's merge)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)


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
        index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in self.stride)
        x = x[index]
        return F.pad(x, (0, 0) * len(self.stride) + (0, self.extra_channels))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"


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
