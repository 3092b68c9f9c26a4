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
    # Its text ("whole input", or the size) is render.columns' business: analysis never
    # imports render, which reads analysis' results.


INPUT_FIELD = RField()
WHOLE = RField(whole=True)


def through(rf: RField, w: Window | None, pad_lo=None) -> RField:
    if rf.whole or w is None or w.kind == "fixed":
        return WHOLE
    if w.kind == "merge":
        return rf
    lo = w.pad_lo if pad_lo is None else pad_lo
    F, S = w.kernel, w.stride
    if F == 1 and S == 1 and lo == 0:
        return rf  # r + 0·j, j·1, s + (0 − 0)·j: an activation or a norm changes nothing
    if _ints(rf.size, rf.jump, F, S, lo) and isinstance(rf.start, sp.Rational) \
            and rf.start.q in (1, 2):
        # The same arithmetic on Python ints (twice the start: it is a half-integer), as a
        # deep network does it once per layer and axis; the sympy values are identical.
        size, jump, f, lo2 = int(rf.size), int(rf.jump), int(F), int(lo)
        start2 = 2 * rf.start.p // rf.start.q + ((f - 1) - 2 * lo2) * jump
        return RField(sp.Integer(size + (f - 1) * jump), sp.Integer(jump * int(S)),
                      sp.Rational(start2, 2))
    return RField(rf.size + (F - 1) * rf.jump, rf.jump * S,
                  rf.start + ((F - 1) * HALF - lo) * rf.jump)


def _ints(*values) -> bool:
    return all(isinstance(v, (int, sp.Integer)) for v in values)


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
