"""Putting symbol values into a layer's arguments, and checking what they become.

A spec may write `out: 2*c` or `stride: s`; once the symbols are bound, the values must
be what the parameter needs — a whole number ≥ 1 for counts and sizes, ≥ 0 for padding.
A value that breaks that, divides by zero (`5 % (H - 32)` at H = 32) or leaves the
bounds of `spec/bounds.py` is an architecture error at the argument's position.
"""

from __future__ import annotations

from .. import num
from ..errors import Diagnostic
from ..layers import base as B
from ..layers.base import LayerKind
from ..spec import bounds
from ..spec.model import Channels
from ..spec.params import MAX_SCALE_DENOMINATOR


def bind_args(kind: type[LayerKind], args: dict, subs: dict, ctx: B.Ctx):
    """(bound args, findings)."""
    out, findings = {}, []
    for p in kind.params:
        try:
            value = _subs(args[p.name], subs)
        except bounds.BoundError as exc:
            at = ", ".join(f"{k} = {v}" for k, v in sorted(subs.items(), key=str)
                           if k in _free(args[p.name]))
            findings.append(Diagnostic("error", f"{kind.name}.{p.name} = {args[p.name]}"
                                       + (f" at {at}" if at else "") + f": {exc}",
                                       ctx.at(p.name), layer=ctx.layer, code="bad-value"))
            continue
        minimum = 0 if p.type in (B.PADDING, B.OFFSET) else 1
        if p.type in (B.COUNT, B.SIZE, B.OUTPUT_SIZE, B.PADDING, B.OFFSET, B.SCALE):
            for v in _leaves(value):
                problem = _check(v, minimum, p.type == B.SCALE)
                if problem:
                    at = ", ".join(f"{k} = {x}" for k, x in subs.items()  # a block's `in`
                                   if isinstance(k, Channels) and k in _free(args[p.name]))
                    findings.append(Diagnostic("error", f"{kind.name}.{p.name} = {args[p.name]} "
                                               + (f"at {at} " if at else "") +
                                               f"gives {v}: {problem}", ctx.at(p.name),
                                               layer=ctx.layer, code="bad-value"))
        out[p.name] = value
    return out, findings


def _subs(value, subs):
    if isinstance(value, num.Basic):
        # what stays symbolic is sympy's from here: the analysis builds on it layer after
        # layer, and sympy's canonical forms keep formulas small (⌊(H + 2 − 3)/1⌋ + 1 = H)
        return bounds.substitute(value, subs)
    if isinstance(value, tuple):
        return tuple(_subs(v, subs) for v in value)
    return value


def _free(value) -> set:
    return set().union(*(v.free_symbols for v in _leaves(value)))


def _leaves(value):
    if isinstance(value, tuple):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, num.Basic):
        yield value


def _check(v: num.Expr, minimum: int, fraction: bool = False) -> str | None:
    if not v.is_number:
        return None
    if fraction and v.is_Rational and not v.is_integer:  # a scale factor's 1.5
        q = int(v.q)
        if q & (q - 1) or q > MAX_SCALE_DENOMINATOR:
            return "not a binary fraction (PyTorch's floating-point size would differ)"
        return None if v > 0 else "must be positive"
    if not v.is_integer:
        return "not a whole number"
    if v < minimum:
        return "must be positive" if minimum == 1 else f"must be at least {minimum}"
    return None
