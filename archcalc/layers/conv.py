"""Convolution (1-, 2- and 3-D): `- conv: {out: 96, kernel: 11, stride: 4}`.

Weights: C_out · (C_in/groups) · K_h · K_w (· K_t in 3-D), plus C_out biases. MACs: that
product times H_out · W_out (· T_out) (bias adds are not counted; FlopCounterMode's
convention). The seeds' counterfactual — the same layer without weight sharing, one filter
per output neuron — needs H_out·W_out·C_out · (C_in/groups·K_h·K_w + 1) parameters
(seed 003: AlexNet's conv1 would need 290,400 × 364 = 105,705,600).
"""

from __future__ import annotations

from .. import num
from .axismap import truth
from .base import (
    BOOL,
    CHOICE,
    COUNT,
    PADDING,
    SIZE,
    Ctx,
    Facts,
    Param,
    Saved,
    Shape,
    Sharing,
    flat_input_error,
)
from .call import Call, NoCounterpart, dims, kw, nd
from .registry import register
from .windowed import Windowed

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# The seeds' (and SciPy's ndimage) names for the same padding modes (seed 001).
PADDING_MODE_ALIASES = (("constant", "zeros"), ("zero", "zeros"), ("mirror", "reflect"),
                        ("nearest", "replicate"), ("edge", "replicate"), ("wrap", "circular"))
# The arguments a convolution and a transposed convolution share (conv_transpose.py).
OUT = Param("out", COUNT, doc="number of filters (output channels)")
DILATION = Param("dilation", SIZE, 1, "spacing between kernel taps")
GROUPS = Param("groups", COUNT, 1, "channel groups (C_in and out must be divisible by it)")
BIAS = Param("bias", BOOL, True, "add a learned bias per filter")
ROUNDING = Param("rounding", CHOICE, None, "rule for a non-integer output size "
                 "(default: the spec's `rounding`)", choices=("cover", "exact", "floor"))


@register
class Conv(Windowed):
    name = "conv"
    aliases = ("conv1d", "conv2d", "conv3d", "convolution")
    category = "convolution"
    torch = "nn.Conv1d / nn.Conv2d / nn.Conv3d"
    summary = "convolution: `out` filters of size `kernel` slid with `stride`"
    name_prefix = "conv"
    shorthand = "out"
    params = (
        OUT,
        Param("kernel", SIZE, doc="filter size F, or one per spatial dim"),
        Param("stride", SIZE, 1, "step S between windows"),
        Param("padding", PADDING, 0, "P: int, per dim, [lo, hi] per side, 'valid' or 'same'"),
        DILATION,
        GROUPS,
        BIAS,
        Param("padding_mode", CHOICE, "zeros", "what the padding holds",
              choices=PADDING_MODES, aliases=PADDING_MODE_ALIASES),
        ROUNDING,
    )

    def saved(self, xs, y):
        return (Saved("input"),)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx, "move the layer before `flatten`")
        groups, out = self.groups, self.out
        findings = []
        for what, n in (("input channels", x.c), ("out", out)):
            rem = num.Mod(n, groups)
            if rem.is_number and rem != 0:
                findings.append(ctx.error(
                    f"{what} ({n}) are not divisible by groups ({groups})",
                    f"choose groups among the common divisors of {x.c} and {out}",
                    param="groups", code="groups"))
        if findings:
            return Facts(x, findings=tuple(findings), fatal=True)
        slid = self.slide(x, ctx)
        findings.extend(slid.findings)
        findings.extend(_padding_mode_findings(self.padding_mode, x, slid.pads, ctx))
        per_filter = (x.c / groups) * num.Mul(*self.kernel)
        bias = out if self.bias else num.Integer(0)
        y = Shape(out, slid.dims)
        return Facts(
            out=y, trainable=out * per_filter + bias, macs=out * per_filter * num.Mul(*slid.dims),
            formulas=slid.formulas, findings=tuple(findings),
            call=self.module(x.c, slid.pads),
            sharing=Sharing(
                connections=per_filter,
                unshared_params=y.numel * (per_filter + (1 if self.bias else 0)),
                # seed 003: m inputs to n outputs densely need m·n weights (+ n biases)
                dense_params=x.numel * y.numel + (y.numel if self.bias else 0)),
            fatal=slid.fatal)

    def module(self, in_channels, pads) -> Call | NoCounterpart:
        """nn.ConvNd, or the helper that pads each side first where PyTorch's own
        padding (symmetric) cannot say it."""
        positional = (in_channels, self.out, dims(self.kernel))
        rest = dict(dilation=(dims(self.dilation), 1), groups=(self.groups, 1),
                    bias=(self.bias, True))
        stride = (dims(self.stride), 1)
        if all(lo == hi for lo, hi in pads):  # in nn.Conv2d's own order
            padding = (dims(tuple(lo for lo, _ in pads)), 0)
            return Call(nd("nn.Conv", self.ndim), positional, kw(
                stride=stride, padding=padding, **rest,
                padding_mode=(self.padding_mode, "zeros")))
        return Call(f"PaddedConv{self.ndim}d", positional, kw(
            stride=stride, **rest, side_padding=(side_order(pads), None),
            pad_mode=(F_PAD_MODE[self.padding_mode], "constant")))


# F.pad's names for the padding modes of nn.ConvNd.
F_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


def side_order(pads) -> tuple:
    """F.pad wants the last axis first: (left, right, top, bottom)."""
    out: list = []
    for lo, hi in reversed(pads):
        out += [lo, hi]
    return tuple(out)


def _padding_mode_findings(mode: str, x: Shape, pads, ctx: Ctx):
    """PyTorch's limits: reflect needs padding < input size, circular padding <= it."""
    if mode not in ("reflect", "circular"):
        return []
    out = []
    for W, (lo, hi) in zip(x.dims, pads):
        worst = num.Max(lo, hi)
        bad = (worst >= W) if mode == "reflect" else (worst > W)
        if bad is True or truth(bad) is True:
            out.append(ctx.error(f"{mode} padding of {worst} needs an input larger than "
                                 f"{worst}{'' if mode == 'reflect' else ' - 1'}, got {W}",
                                 param="padding_mode", code="padding-mode"))
    return out
