"""The sliding-window arithmetic of convolution and pooling, in one pure function.

The seeds' rule (seed 003): a window of size F slid with stride S over an input of W
with P zeros on each side fits (W − F + 2P)/S + 1 times. When that is not an integer the
neurons "do not fit neatly and symmetrically across the input" — an error under the
`exact` rule. PyTorch and Keras floor it silently (`floor`); Caffe and PyTorch's
`ceil_mode=True` round up (`ceil`), dropping a last window that would start in the
right-hand padding (PyTorch's `pooling_output_shape`). Padding may be asymmetric
(lo, hi), and dilation D stretches a kernel K to D·(K − 1) + 1.

Works on plain ints and on sympy expressions alike (a symbolic W gives a formula).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .base import _dim_text


@dataclass(frozen=True)
class AxisSize:
    size: sp.Expr          # the size the next layer sees (the rounded one under floor/ceil)
    exact: sp.Expr         # (W − F + P_lo + P_hi)/S + 1 before any rounding
    formula: str           # the arithmetic with the values put in, as the seeds write it
    integral: bool | None  # is `exact` an integer? None when it depends on symbols
    uncovered: sp.Expr     # padded rows/columns no window ever covers (under floor)
    uncovered_input: sp.Expr  # of those, rows/columns of the input itself (not padding)
    positive: bool | None  # does at least one window fit? None when it depends on symbols


def window_size(W, kernel, stride, pad_lo=0, pad_hi=0, dilation=1,
                rounding: str = "exact") -> AxisSize:
    """Output size of a sliding window along one axis (see module docstring)."""
    W, K, S = sp.sympify(W), sp.sympify(kernel), sp.sympify(stride)
    lo, hi, D = sp.sympify(pad_lo), sp.sympify(pad_hi), sp.sympify(dilation)
    F = D * (K - 1) + 1
    span = W + lo + hi - F
    exact = span / S + 1
    if rounding == "floor":
        size = _rounded_div(sp.floor, span, S) + 1
    elif rounding == "ceil":
        size = _rounded_div(sp.ceiling, span, S) + 1
        # PyTorch: the last window must start inside the input or the left padding.
        last_start_outside = (size - 1) * S - (W + lo)
        if last_start_outside.is_number:
            if last_start_outside >= 0:
                size = size - 1
        elif (hi + S - F <= 0) != sp.true:
            size = sp.Piecewise((size - 1, last_start_outside >= 0), (size, True))
    else:
        size = exact
    integral = _truth(exact.is_integer)
    covered_end = (size - 1) * S + F  # one past the last input row a window touches
    if rounding == "exact":
        uncovered = uncovered_input = sp.Integer(0)
    else:
        uncovered = sp.Max(W + lo + hi - covered_end, 0)
        uncovered_input = sp.Max(W + lo - covered_end, 0)
    positive = _truth(size >= 1) if size.is_number else None
    return AxisSize(size, exact, _formula(W, F, S, lo, hi, exact, size, rounding), integral,
                    uncovered, uncovered_input, positive)


def _rounded_div(rnd, num, S):
    """⌊num/S⌋ (or ⌈num/S⌉), flattening a nested one: for integers k and n > 0,
    ⌊(⌊x⌋ + k)/n⌋ = ⌊(x + k)/n⌋ — so a deep network's formula stays one floor deep."""
    if S.is_Integer and S > 0 and not num.is_number:
        const, rest = num.as_coeff_Add()
        if isinstance(rest, rnd) and const.is_Integer:
            return rnd((rest.args[0] + const) / S)
    return rnd(num / S)


def _truth(value) -> bool | None:
    if value is None:
        return None
    try:
        return bool(value)
    except TypeError:  # a relational that depends on symbols
        return None


def _formula(W, F, S, lo, hi, exact, size, rounding) -> str:
    if rounding != "exact" and exact.is_number and exact == size:
        rounding = "exact"  # nothing was rounded: show the plain division
    pad = f"2·{_dim_text(lo)}" if lo == hi else f"{_dim_text(lo)} + {_dim_text(hi)}"
    inner = f"{_dim_text(W)} − {_dim_text(F)} + {pad}"
    if rounding == "floor":
        text = f"⌊({inner})/{_dim_text(S)}⌋ + 1"
    elif rounding == "ceil":
        text = f"⌈({inner})/{_dim_text(S)}⌉ + 1"
    else:
        text = f"({inner})/{_dim_text(S)} + 1"
    if exact.is_number and rounding != "exact" and exact != size:
        return f"{text} = {number_text(size)}  (exact {number_text(exact)})"
    if exact.is_number:
        return f"{text} = {number_text(size)}"
    return f"{text} = {expr_text(size)}"


@lru_cache(maxsize=4096)
def expr_text(x) -> str:
    """A symbolic size as the table prints it: (H − 7)/4."""
    x = sp.sympify(x)
    if x.is_number:
        return number_text(x)
    text = str(x if x.has(sp.floor, sp.ceiling, sp.Piecewise) else sp.together(x))
    return text.replace(" - ", " − ").replace("*", "·")


def number_text(x) -> str:
    """An exact rational as a person reads it: 55, 4.5, 16/3 ≈ 5.333."""
    x = sp.sympify(x)
    if isinstance(x, sp.Integer):
        return str(int(x))
    if isinstance(x, sp.Rational):
        q = int(x.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:  # a terminating decimal: 4.5, 54.25
            return _decimal(x)
        return f"{x.p}/{x.q} ≈ {float(x):.3f}"
    return str(x)


def _decimal(x: sp.Rational) -> str:
    from decimal import Decimal

    return format(Decimal(int(x.p)) / Decimal(int(x.q)), "f")
