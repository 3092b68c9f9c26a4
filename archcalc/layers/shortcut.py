"""The shortcut of a residual connection, H(x) = f(x) + shortcut(x) (seed 003).

- identity: x itself, when f keeps the shape;
- projection: a 1×1 convolution with the body's stride to the body's channels (counted as
  parameters: H(x) = f(x) + W₁x), followed by BatchNorm when `batchnorm` (torchvision);
- zeropad: ResNet's option A — subsample x[:, :, ::s, ::s] and pad the extra channels with
  zeros: no parameters;
- auto: identity when the shapes match, projection when they do not.

Which one applies depends on shapes, so it is decided here, during analysis; the body's
stride is the product of the strides along it (passed in by the analyser).
"""

from __future__ import annotations

import sympy as sp

from .base import BOOL, CHOICE, Ctx, Facts, LayerKind, Param, Saved, Shape, Window
from .convarith import window_size
from .registry import register

MODES = ("auto", "identity", "projection", "zeropad")


@register
class Shortcut(LayerKind):
    name = "shortcut"
    category = "merge"
    torch = "nn.Identity / 1×1 nn.Conv2d (+ nn.BatchNorm2d) / archcalc.reference.helpers.ZeroPadShortcut"
    summary = "the shortcut of a residual connection (written with `residual:`)"
    name_prefix = "shortcut"
    params = (Param("mode", CHOICE, "auto", "identity, projection, zeropad or auto",
                    choices=MODES),
              Param("batchnorm", BOOL, False, "BatchNorm after a projection"))

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        # a projection: its 1×1 conv keeps x; its BatchNorm keeps the conv's output
        if x.c == y.c and x.dims == y.dims and args["mode"] in ("auto", "identity"):
            return ()
        if args["mode"] == "zeropad":
            return ()
        return (Saved("input"),) + ((Saved("new", y.numel), Saved("new", 2 * y.c, 4, batched=False))
                                    if args["batchnorm"] else ())

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        target: Shape = ctx.refs["target"]
        stride = ctx.refs["stride"]
        same = x.c == target.c and all(s == 1 for s in stride)
        mode = args["mode"]
        if mode == "identity" and ctx.lenient and not (x.c - target.c).is_number:
            same = True  # generic code: checked when the block is used
        if mode == "auto":
            mode = "identity" if same else "projection"
        if mode == "identity":
            if not same:
                return Facts(x, findings=(ctx.error(
                    f"identity shortcut: the input is {x.text()} but the residual branch gives "
                    f"{target.text()}", "use `shortcut: projection`, `zeropad` or `auto`",
                    code="merge-shape"),), fatal=True)
            return Facts(x, resolved=(("mode", "identity"),),
                         windows=tuple(Window("window") for _ in x.dims))
        if mode == "zeropad":
            if (target.c - x.c).is_number and target.c < x.c:
                return Facts(x, findings=(ctx.error(
                    f"zero-padding shortcut cannot shrink {x.c} channels to {target.c}",
                    "use `shortcut: projection`", code="merge-shape"),), fatal=True)
            dims = tuple(sp.ceiling(W / s) for W, s in zip(x.dims, stride))
            return Facts(Shape(target.c, dims), resolved=(("mode", "zeropad"),
                                                          ("stride", stride)),
                         formulas=tuple(f"⌈{W}/{s}⌉ = {d}" for W, s, d in
                                        zip(x.dims, stride, dims)),
                         windows=tuple(Window("same_tf", sp.Integer(1), s) for s in stride))
        dims = tuple(window_size(W, 1, s, rounding="floor").size for W, s in zip(x.dims, stride))
        out = target.c
        bn = args["batchnorm"]
        trainable = x.c * out + (2 * out if bn else out)
        return Facts(Shape(out, dims), trainable=trainable, buffers=2 * out if bn else 0,
                     macs=x.c * out * sp.Mul(*dims), resolved=(("mode", "projection"),
                                                               ("stride", stride)),
                     formulas=tuple(f"⌊({W} − 1)/{s}⌋ + 1 = {d}" for W, s, d in
                                    zip(x.dims, stride, dims)),
                     windows=tuple(Window("window", sp.Integer(1), s, rounding="floor")
                                   for s in stride))
