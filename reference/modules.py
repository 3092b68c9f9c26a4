"""Each layer kind the calculator knows, as the PyTorch module that computes it.

`MODULES[kind](args, row, ndim)` returns a concrete module (`nn.Conv2d(in_channels=…)`,
never a Lazy one: the analysis knows every input size). The analysis row supplies the
input shape and the padding the calculator resolved, so `same` with a stride, and
asymmetric padding, compile to exactly what was calculated. A kind without a mapping, or
a setting PyTorch cannot express, raises `CompileError` — never a silent substitute.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archcalc.analysis.result import LayerRow
from archcalc.layers.base import per_dim


class CompileError(Exception):
    pass


def _ints(value, ndim: int) -> tuple[int, ...]:
    return tuple(int(v) for v in per_dim(value, ndim))


def _pads(row: LayerRow) -> tuple[tuple[int, int], ...]:
    return tuple((int(lo), int(hi)) for lo, hi in dict(row.resolved)["padding"])


def _torch_pad_order(pads) -> tuple[int, ...]:
    """F.pad wants the last axis first: (left, right, top, bottom)."""
    out: list[int] = []
    for lo, hi in reversed(pads):
        out += [lo, hi]
    return tuple(out)


class PaddedConv1d(nn.Conv1d):
    """Conv1d with per-side padding applied before the convolution (state dict unchanged)."""

    def __init__(self, *args, side_padding=(0, 0), pad_mode="constant", **kwargs):
        super().__init__(*args, **kwargs)
        self.side_padding = tuple(side_padding)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.side_padding, mode=self.pad_mode))


class PaddedConv2d(nn.Conv2d):
    """Conv2d with per-side padding (left, right, top, bottom) applied before the conv."""

    def __init__(self, *args, side_padding=(0, 0, 0, 0), pad_mode="constant", **kwargs):
        super().__init__(*args, **kwargs)
        self.side_padding = tuple(side_padding)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.side_padding, mode=self.pad_mode))


_F_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
               "circular": "circular"}


def conv(args, row: LayerRow, ndim: int) -> nn.Module:
    pads = _pads(row)
    common = dict(in_channels=int(row.in_shape.c), out_channels=int(args["out"]),
                  kernel_size=_ints(args["kernel"], ndim), stride=_ints(args["stride"], ndim),
                  dilation=_ints(args["dilation"], ndim), groups=int(args["groups"]),
                  bias=bool(args["bias"]))
    if all(lo == hi for lo, hi in pads):
        cls = nn.Conv1d if ndim == 1 else nn.Conv2d
        return cls(padding=tuple(lo for lo, _ in pads), padding_mode=args["padding_mode"],
                   **common)
    cls = PaddedConv1d if ndim == 1 else PaddedConv2d
    return cls(padding=0, side_padding=_torch_pad_order(pads),
               pad_mode=_F_PAD_MODE[args["padding_mode"]], **common)


def _symmetric_pool_padding(row: LayerRow, kind: str) -> tuple[int, ...]:
    pads = _pads(row)
    if any(lo != hi for lo, hi in pads):
        raise CompileError(f"{row.name}: {kind} with per-side padding {pads} has no PyTorch "
                           "pooling module (they pad symmetrically)")
    return tuple(lo for lo, _ in pads)


def _stride(args, ndim):
    return _ints(args["stride"] if args["stride"] is not None else args["kernel"], ndim)


def maxpool(args, row, ndim):
    cls = nn.MaxPool1d if ndim == 1 else nn.MaxPool2d
    return cls(_ints(args["kernel"], ndim), _stride(args, ndim),
               _symmetric_pool_padding(row, "maxpool"), _ints(args["dilation"], ndim),
               ceil_mode=bool(args["ceil_mode"]))


def avgpool(args, row, ndim):
    cls = nn.AvgPool1d if ndim == 1 else nn.AvgPool2d
    return cls(_ints(args["kernel"], ndim), _stride(args, ndim),
               _symmetric_pool_padding(row, "avgpool"), ceil_mode=bool(args["ceil_mode"]),
               count_include_pad=bool(args["count_include_pad"]))


def lppool(args, row, ndim):
    cls = nn.LPPool1d if ndim == 1 else nn.LPPool2d
    kernel, stride = _ints(args["kernel"], ndim), _stride(args, ndim)
    if ndim == 1:
        kernel, stride = kernel[0], stride[0]
    return cls(float(args["norm_type"]), kernel, stride, ceil_mode=bool(args["ceil_mode"]))


def _adaptive(avg: bool, size):
    def make(args, row, ndim):
        out = _ints(size(args), ndim)
        if avg:
            return (nn.AdaptiveAvgPool1d if ndim == 1 else nn.AdaptiveAvgPool2d)(out)
        return (nn.AdaptiveMaxPool1d if ndim == 1 else nn.AdaptiveMaxPool2d)(out)
    return make


def linear(args, row, ndim):
    return nn.Linear(int(row.in_shape.c), int(args["out"]), bias=bool(args["bias"]))


def batchnorm(args, row, ndim):
    cls = nn.BatchNorm2d if len(row.in_shape.dims) == 2 else nn.BatchNorm1d
    return cls(int(row.in_shape.c), eps=float(args["eps"]), momentum=float(args["momentum"]),
               affine=bool(args["affine"]), track_running_stats=bool(args["track_running_stats"]))


def lrn(args, row, ndim):
    return nn.LocalResponseNorm(int(args["size"]), float(args["alpha"]), float(args["beta"]),
                                float(args["k"]))


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
    """x · factor — Inception-ResNet's scaled residual branches (Szegedy et al., 2016)."""

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

    def __init__(self, stride: tuple[int, ...], extra_channels: int):
        super().__init__()
        self.stride = tuple(stride)
        self.extra_channels = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in self.stride)
        x = x[index]
        pad = (0, 0) * len(self.stride) + (0, self.extra_channels)
        return F.pad(x, pad)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"


def shortcut(args, row: LayerRow, ndim: int) -> nn.Module:
    resolved = dict(row.resolved)
    mode = resolved["mode"]
    if mode == "identity":
        return nn.Identity()
    stride = tuple(int(s) for s in resolved["stride"])
    cin, cout = int(row.in_shape.c), int(row.out_shape.c)
    if mode == "zeropad":
        return ZeroPadShortcut(stride, cout - cin)
    conv_cls = nn.Conv1d if ndim == 1 else nn.Conv2d
    conv = conv_cls(cin, cout, 1, stride=stride, bias=not args["batchnorm"])
    if not args["batchnorm"]:
        return conv
    return nn.Sequential(conv, (nn.BatchNorm1d if ndim == 1 else nn.BatchNorm2d)(cout))


MODULES = {
    "conv": conv,
    "maxpool": maxpool,
    "avgpool": avgpool,
    "lppool": lppool,
    "global_avgpool": _adaptive(True, lambda a: 1),
    "global_maxpool": _adaptive(False, lambda a: 1),
    "adaptive_avgpool": _adaptive(True, lambda a: a["output_size"]),
    "adaptive_maxpool": _adaptive(False, lambda a: a["output_size"]),
    "linear": linear,
    "flatten": lambda args, row, ndim: nn.Flatten(),
    "batchnorm": batchnorm,
    "lrn": lrn,
    "dropout": lambda args, row, ndim: nn.Dropout(float(args["p"])),
    "relu": lambda a, r, n: nn.ReLU(),
    "relu6": lambda a, r, n: nn.ReLU6(),
    "leaky_relu": lambda a, r, n: nn.LeakyReLU(float(a["negative_slope"])),
    "elu": lambda a, r, n: nn.ELU(float(a["alpha"])),
    "selu": lambda a, r, n: nn.SELU(),
    "gelu": lambda a, r, n: nn.GELU(),
    "silu": lambda a, r, n: nn.SiLU(),
    "mish": lambda a, r, n: nn.Mish(),
    "hardswish": lambda a, r, n: nn.Hardswish(),
    "hardsigmoid": lambda a, r, n: nn.Hardsigmoid(),
    "tanh": lambda a, r, n: nn.Tanh(),
    "sigmoid": lambda a, r, n: nn.Sigmoid(),
    "softplus": lambda a, r, n: nn.Softplus(),
    "softmax": lambda a, r, n: nn.Softmax(dim=1),
    "log_softmax": lambda a, r, n: nn.LogSoftmax(dim=1),
    "identity": lambda a, r, n: nn.Identity(),
    "scale": lambda a, r, n: Scale(float(a["factor"])),
    "add": lambda a, r, n: Add(),
    "concat": lambda a, r, n: Concat(),
    "shortcut": shortcut,
}


def module_for(kind: str, args: dict, row: LayerRow, ndim: int) -> nn.Module:
    factory = MODULES.get(kind)
    if factory is None:
        raise CompileError(f"{row.name}: layer kind '{kind}' has no PyTorch counterpart yet")
    return factory(args, row, ndim)
