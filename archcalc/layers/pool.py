"""Sliding-window pooling: max, average and power-average (L2) pooling.

`- maxpool: 2` is a 2×2 window with stride 2 (the stride defaults to the kernel, as in
PyTorch and Keras). The seeds' pooling rule is (W − F)/S + 1; padding is allowed but
PyTorch caps it at half the kernel. `ceil_mode: true` rounds up (Caffe's default, used
by GoogLeNet). Pooling has no parameters and, by the FLOP convention, no MACs.
"""

from __future__ import annotations

from .base import (
    BOOL,
    PADDING,
    POSITIVE,
    SIZE,
    Ctx,
    Facts,
    LayerKind,
    Param,
    Saved,
    Shape,
    flat_input_error,
    per_dim,
)
from .conv import ROUNDING
from .registry import register
from .windowed import slide, windows_of

_WINDOW = (
    Param("kernel", SIZE, doc="window size F, or one per spatial dim"),
    Param("stride", SIZE, None, "step S (default: the kernel)"),
)
_PADDING = Param("padding", PADDING, 0, "P on each side; at most half the kernel (PyTorch)")
_CEIL = Param("ceil_mode", BOOL, False, "round the output size up (Caffe, GoogLeNet)")


class _Pool(LayerKind):
    category = "pooling"
    name_prefix = "pool"
    shorthand = "kernel"
    max_pad_uses_dilation = False

    @classmethod
    def rounding_of(cls, args: dict, rounding: str) -> str:
        return "ceil" if args["ceil_mode"] else (args["rounding"] or rounding)

    @classmethod
    def windows(cls, args: dict, ndim: int, rounding: str):
        stride = args["stride"] if args["stride"] is not None else args["kernel"]
        return windows_of(args["kernel"], stride, args.get("padding", 0), args.get("dilation", 1),
                          cls.rounding_of(args, rounding), ndim)

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        if x.flat:
            return flat_input_error(cls.name, x, ctx)
        n = len(x.dims)
        kernel = per_dim(args["kernel"], n)
        stride = args["stride"] if args["stride"] is not None else args["kernel"]
        padding = args.get("padding", 0)
        dilation = args.get("dilation", 1)
        rounding = cls.rounding_of(args, ctx.rounding)
        findings = list(_pad_limit(padding, kernel, per_dim(dilation, n), ctx,
                                   cls.max_pad_uses_dilation))
        slid = slide(x, kernel, stride, padding, dilation, rounding, ctx, is_pool=True)
        findings.extend(slid.findings)
        return Facts(Shape(x.c, slid.dims), formulas=slid.formulas,
                     findings=tuple(findings), resolved=(("padding", slid.pads),),
                     fatal=slid.fatal)


def _pad_limit(padding, kernel, dilation, ctx: Ctx, use_dilation: bool):
    if isinstance(padding, str):
        return []
    out = []
    for p, k, d in zip(per_dim(padding, len(kernel)), kernel, dilation):
        worst = max(p) if isinstance(p, tuple) else p
        eff = d * (k - 1) + 1 if use_dilation else k
        if (worst > eff // 2) == True:  # noqa: E712 - sympy relational
            out.append(ctx.error(f"pooling padding {worst} is more than half the window "
                                 f"({eff}): PyTorch refuses it", f"use padding ≤ {eff // 2}",
                                 param="padding", code="pool-padding"))
    return out


@register
class MaxPool(_Pool):
    name = "maxpool"
    aliases = ("max_pool", "maxpool1d", "maxpool2d", "max_pooling")
    torch = "nn.MaxPool1d / nn.MaxPool2d"
    summary = "max pooling: the largest response in each window"
    max_pad_uses_dilation = True
    params = (*_WINDOW, _PADDING, Param("dilation", SIZE, 1, "spacing between window taps"),
              _CEIL, ROUNDING)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        return (Saved("input"), Saved("new", y.numel, 8))  # and the argmax, int64


@register
class AvgPool(_Pool):
    name = "avgpool"
    aliases = ("avg_pool", "avgpool1d", "avgpool2d", "average_pooling", "subsample")
    torch = "nn.AvgPool1d / nn.AvgPool2d"
    summary = "average pooling: the mean of each window (LeNet's subsampling)"
    params = (*_WINDOW, _PADDING, _CEIL,
              Param("count_include_pad", BOOL, True, "count padding zeros in the mean"), ROUNDING)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        return (Saved("input"),)


@register
class LPPool(_Pool):
    name = "lppool"
    aliases = ("l2pool", "lp_pool", "power_avg_pool", "lppool1d", "lppool2d")
    torch = "nn.LPPool1d / nn.LPPool2d"
    summary = "power-average pooling: (Σ x^p)^(1/p) over each window; p = 2 is L2 pooling"
    params = (Param("norm_type", POSITIVE, 2.0, "the power p"), *_WINDOW, _CEIL, ROUNDING)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        # composed from pow, avg_pool, sign, relu, mul and pow(1/p)
        return (Saved("input"), Saved("new", 4 * y.numel), Saved("new", x.numel))
