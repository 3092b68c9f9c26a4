"""Receptive fields: the size, jump (effective stride) and start of each layer's units.

The standard arithmetic (Dumoulin & Visin; Araujo et al., "Computing receptive fields of
convolutional neural networks", Distill 2019): through a window of effective size F,
stride S and leading padding P,
    size  r' = r + (F − 1)·j
    jump  j' = j·S
    start s' = s + ((F − 1)/2 − P)·j      (centre of the first unit, in input pixels)
starting from r = 1, j = 1, s = 0 at the input. Global/adaptive pooling, flatten and
linear layers see the whole input. The arithmetic through one layer is its axis map's
(`layers/axismap.py`); this module walks it and merges paths. At a merge the field is the largest over the paths,
and paths whose units are not centred on the same pixels, or step differently, are
reported: their sum mixes misaligned features.
"""

from __future__ import annotations

from .. import num
from ..layers.axismap import INPUT_FIELD, WHOLE, AxisMap, RField

__all__ = ["INPUT_FIELD", "WHOLE", "RField", "merge", "through"]


def through(rf: RField, m: AxisMap | None, W) -> RField:
    """The field after a layer that maps this axis by `m` (None: it ends the axes) from
    an input of size W."""
    if rf.whole or m is None:
        return WHOLE
    return m.field(rf, W)


def merge(fields: list[RField]) -> tuple[RField, bool]:
    """(the merged field, whether the paths are misaligned)."""
    if any(f.whole for f in fields):
        return WHOLE, False
    first = fields[0]
    misaligned = any(num.simplify(f.jump - first.jump) != 0 or
                     num.simplify(f.start - first.start) != 0 for f in fields[1:])
    size = fields[0].size
    for f in fields[1:]:
        size = num.Max(size, f.size)
    return RField(size, first.jump, first.start), misaligned
