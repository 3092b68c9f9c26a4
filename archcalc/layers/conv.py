"""Convolution (1-D and 2-D): `- conv: {out: 96, kernel: 11, stride: 4}`.

Weights: C_out · (C_in/groups) · K_h · K_w, plus C_out biases. MACs: that product times
H_out · W_out (bias adds are not counted; FlopCounterMode's convention). The seeds'
counterfactual — the same layer without weight sharing, one filter per output neuron —
needs H_out·W_out·C_out · (C_in/groups·K_h·K_w + 1) parameters (seed 003: AlexNet's conv1
would need 290,400 × 364 = 105,705,600).
"""

from __future__ import annotations

import sympy as sp

from .base import (
    BOOL,
    CHOICE,
    COUNT,
    PADDING,
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
from .registry import register
from .windowed import slide, windows_of

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# The seeds' (and SciPy's ndimage) names for the same padding modes (seed 001).
PADDING_MODE_ALIASES = (("constant", "zeros"), ("zero", "zeros"), ("mirror", "reflect"),
                        ("nearest", "replicate"), ("edge", "replicate"), ("wrap", "circular"))
ROUNDING = Param("rounding", CHOICE, None, "rule for a non-integer output size "
                 "(default: the spec's `rounding`)", choices=("exact", "floor"))


@register
class Conv(LayerKind):
    name = "conv"
    aliases = ("conv1d", "conv2d", "convolution")
    category = "convolution"
    torch = "nn.Conv1d / nn.Conv2d"
    summary = "convolution: `out` filters of size `kernel` slid with `stride`"
    name_prefix = "conv"
    shorthand = "out"
    params = (
        Param("out", COUNT, doc="number of filters (output channels)"),
        Param("kernel", SIZE, doc="filter size F, or one per spatial dim"),
        Param("stride", SIZE, 1, "step S between windows"),
        Param("padding", PADDING, 0, "P: int, per dim, [lo, hi] per side, 'valid' or 'same'"),
        Param("dilation", SIZE, 1, "spacing between kernel taps"),
        Param("groups", COUNT, 1, "channel groups (C_in and out must be divisible by it)"),
        Param("bias", BOOL, True, "add a learned bias per filter"),
        Param("padding_mode", CHOICE, "zeros", "what the padding holds",
              choices=PADDING_MODES, aliases=PADDING_MODE_ALIASES),
        ROUNDING,
    )

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        return (Saved("input"),)

    @classmethod
    def windows(cls, args: dict, ndim: int, rounding: str):
        return windows_of(args["kernel"], args["stride"], args["padding"], args["dilation"],
                          args["rounding"] or rounding, ndim)

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        if x.flat:
            return flat_input_error(cls.name, x, ctx, "move the layer before `flatten`")
        groups, out = args["groups"], args["out"]
        findings = []
        for what, n in (("input channels", x.c), ("out", out)):
            rem = sp.Mod(n, groups)
            if rem.is_number and rem != 0:
                findings.append(ctx.error(
                    f"{what} ({n}) are not divisible by groups ({groups})",
                    f"choose groups among the common divisors of {x.c} and {out}",
                    param="groups", code="groups"))
        if findings:
            return Facts(x, findings=tuple(findings), fatal=True)
        kernel = per_dim(args["kernel"], len(x.dims))
        slid = slide(x, kernel, args["stride"], args["padding"], args["dilation"],
                     args["rounding"] or ctx.rounding, ctx)
        findings.extend(slid.findings)
        findings.extend(_padding_mode_findings(args["padding_mode"], x, slid.pads, ctx))
        per_filter = (x.c / groups) * sp.Mul(*kernel)
        bias = out if args["bias"] else sp.Integer(0)
        y = Shape(out, slid.dims)
        return Facts(
            out=y, trainable=out * per_filter + bias, macs=out * per_filter * sp.Mul(*slid.dims),
            formulas=slid.formulas, findings=tuple(findings),
            resolved=(("padding", slid.pads),),
            unshared_params=y.numel * (per_filter + (1 if args["bias"] else 0)),
            connections=per_filter,
            # seed 003: m inputs to n outputs densely need m·n weights (+ n biases)
            dense_params=x.numel * y.numel + (y.numel if args["bias"] else 0),
            fatal=slid.fatal)


def _padding_mode_findings(mode: str, x: Shape, pads, ctx: Ctx):
    """PyTorch's limits: reflect needs padding < input size, circular padding <= it."""
    if mode not in ("reflect", "circular"):
        return []
    out = []
    for W, (lo, hi) in zip(x.dims, pads):
        worst = sp.Max(lo, hi)
        bad = (worst >= W) if mode == "reflect" else (worst > W)
        if bad == sp.true:
            out.append(ctx.error(f"{mode} padding of {worst} needs an input larger than "
                                 f"{worst}{'' if mode == 'reflect' else ' - 1'}, got {W}",
                                 param="padding_mode", code="padding-mode"))
    return out
