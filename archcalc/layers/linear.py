"""Fully connected layers (`fc`, `dense`, `linear`) and `flatten`.

A linear layer maps `in` features to `out`: in·out weights plus `out` biases, and in·out
MACs. Its input must be flat: archcalc does not flatten implicitly (Keras' Dense and
PyTorch's Linear would act on the last axis only, a classic silent bug), so a spatial
input is an error that says to add `- flatten`.
"""

from __future__ import annotations

from .base import BOOL, COUNT, Ctx, Facts, LayerKind, Param, Saved, Shape
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

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        if not x.flat:
            return Facts(x, findings=(ctx.error(
                f"a linear layer is fed a {x.text()} volume; it needs a flat vector",
                f"add `- flatten` before it ({x.numel} features)", code="needs-flatten"),),
                fatal=True)
        out = args["out"]
        return Facts(Shape(out), trainable=x.c * out + (out if args["bias"] else 0),
                     macs=x.c * out)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        return (Saved("input"),)

    @classmethod
    def windows(cls, args: dict, ndim: int, rounding: str):
        return None


@register
class Flatten(LayerKind):
    name = "flatten"
    category = "reshape"
    torch = "nn.Flatten"
    summary = "flatten a C×H×W volume into a vector of C·H·W features"
    name_prefix = "flatten"

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        y = Shape(x.numel)
        formula = f"{x.text()} = {y.c}" if not x.flat else f"{x.c} (already flat)"
        return Facts(y, formulas=(formula,))

    @classmethod
    def windows(cls, args: dict, ndim: int, rounding: str):
        return None
