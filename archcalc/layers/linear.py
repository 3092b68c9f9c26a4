"""Fully connected layers (`fc`, `dense`, `linear`) and `flatten`.

A linear layer maps `in` features to `out`: in·out weights plus `out` biases, and in·out
MACs. Its input must be flat: archcalc does not flatten implicitly (Keras' Dense and
PyTorch's Linear would act on the last axis only, a classic silent bug), so a spatial
input is an error that says to add `- flatten`.
"""

from __future__ import annotations

from ..formula import Flattened
from ..notation import shape_text
from .base import BOOL, COUNT, Ctx, Facts, LayerKind, Param, Saved, Shape
from .call import Call, kw
from .registry import register


@register
class Linear(LayerKind):
    name = "linear"
    aliases = ("fc", "dense", "fully_connected")
    category = "linear"
    torch = "nn.Linear"
    summary = "fully connected layer: every input feature to every output"
    name_prefix = "fc"
    shorthand = "out"
    params = (Param("out", COUNT, doc="output features"),
              Param("bias", BOOL, True, "add a learned bias per output"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if not x.flat:
            return Facts(x, findings=(ctx.error(
                f"a linear layer is fed a {shape_text(x)} volume; it needs a flat vector",
                f"add `- flatten` before it ({x.numel} features)", code="needs-flatten"),),
                fatal=True)
        out = self.out
        return Facts(Shape(out), trainable=x.c * out + (out if self.bias else 0),
                     macs=x.c * out,
                     call=Call("nn.Linear", (x.c, out), kw(bias=(self.bias, True))))

    def saved(self, xs, y):
        return (Saved("input"),)

    def maps(self):
        return None


@register
class Flatten(LayerKind):
    name = "flatten"
    category = "reshape"
    torch = "nn.Flatten"
    summary = "flatten a C×H×W volume into a vector of C·H·W features"
    name_prefix = "flatten"

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        y = Shape(x.numel)
        return Facts(y, formulas=(Flattened(x.c, x.dims, y.c),), call=Call("nn.Flatten"),
                     view=True)

    def maps(self):
        return None
