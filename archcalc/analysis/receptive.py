"""Receptive fields: the size, jump (effective stride) and start of each layer's units.

The standard arithmetic (Dumoulin & Visin; Araujo et al., "Computing receptive fields of
convolutional neural networks", Distill 2019): through a window of effective size F,
stride S and leading padding P,
    size  r' = r + (F − 1)·j
    jump  j' = j·S
    start s' = s + ((F − 1)/2 − P)·j      (centre of the first unit, in input pixels)
starting from r = 1, j = 1, s = 0 at the input. Global/adaptive pooling, flatten and
linear layers see the whole input. At a merge the field is the largest over the paths,
and paths whose units are not centred on the same pixels, or step differently, are
reported: their sum mixes misaligned features.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..layers.base import Window

HALF = sp.Rational(1, 2)


@dataclass(frozen=True)
class RField:
    size: sp.Expr = sp.Integer(1)
    jump: sp.Expr = sp.Integer(1)
    start: sp.Expr = sp.Integer(0)
    whole: bool = False  # sees the whole input (after global pooling, flatten, linear)

    def text(self) -> str:
        if self.whole:
            return "whole input"
        from ..render.numbers import exact

        return exact(self.size)


INPUT_FIELD = RField()
WHOLE = RField(whole=True)


def through(rf: RField, w: Window | None, pad_lo=None) -> RField:
    if rf.whole or w is None or w.kind == "fixed":
        return WHOLE
    if w.kind == "merge":
        return rf
    lo = w.pad_lo if pad_lo is None else pad_lo
    F, S = w.kernel, w.stride
    return RField(rf.size + (F - 1) * rf.jump, rf.jump * S,
                  rf.start + ((F - 1) * HALF - lo) * rf.jump)


def merge(fields: list[RField]) -> tuple[RField, bool]:
    """(the merged field, whether the paths are misaligned)."""
    if any(f.whole for f in fields):
        return WHOLE, False
    first = fields[0]
    misaligned = any(sp.simplify(f.jump - first.jump) != 0 or
                     sp.simplify(f.start - first.start) != 0 for f in fields[1:])
    size = fields[0].size
    for f in fields[1:]:
        size = sp.Max(size, f.size)
    return RField(size, first.jump, first.start), misaligned
