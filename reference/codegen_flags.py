"""torchvision's `use_res_connect` in a generated block class: where its parameters decide
whether an `if_same` shortcut is there (a MobileNet block's `in_channels == out and stride
== 1`), the class sets a flag in `__init__` and forward's sum reads it:

    self.use_res_connect = in_channels == out and stride == 1
    ...
    x = x + identity if self.use_res_connect else x

Where the analysis decided it (concrete values), the sum is plain or absent instead.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from archcalc.spec.names import MODULE_ATTRIBUTES

from .calls import pyexpr
from .codegen_ir import Flag
from .codegen_scope import Units
from .pysource import RESERVED, Names


def use_res_flags(units: Units, rows: dict, input_shape, value: Callable, taken: set[str]):
    """(the class's flags, the flag each conditional sum reads by its key). `value` puts a
    class's parameters into an expression; `taken`: the class's member names."""
    flags, when = [], {}
    names = Names(RESERVED | MODULE_ATTRIBUTES | taken | {"self"})
    for k in units.keys:
        row = rows.get(k)
        if row is None or row.kind != "add_if_same" or len(row.inputs) != 2:
            continue
        equal = _equal(row, rows, input_shape, value)
        if equal:
            flags.append(Flag(names.take("use_res_connect"), equal))
            when[k] = flags[-1].attr
    return flags, when


def _equal(row, rows: dict, input_shape, value: Callable) -> tuple:
    """The (left, right) pairs that must be equal for the sum: the channels of the
    residual's input and body, and each stride along the body."""
    body, x = row.inputs
    xc = rows[x].out_shape.c if x in rows else input_shape.c
    stride, name = [sp.Integer(1)] * len(row.in_shape.dims), body
    for _ in range(len(rows)):  # back along first inputs: a path, at most every layer
        if name == x or name not in rows:
            break
        r = rows[name]
        stride = [a * m.stride for a, m in zip(stride, r.maps or ())] or stride
        name = r.inputs[0] if r.inputs else x
    pairs = []
    if sp.simplify(sp.sympify(xc) - sp.sympify(row.in_shape.c)) != 0:
        pairs.append((pyexpr(value(xc)), pyexpr(value(row.in_shape.c))))
    pairs += [(s, "1") for s in sorted({pyexpr(value(a)) for a in stride}) if s != "1"]
    return tuple(pairs)
