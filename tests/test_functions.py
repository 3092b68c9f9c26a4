"""round, log and make_divisible in a spec's arithmetic: exact, and as the models' own code
computes them (Python's round; torchvision's `_make_divisible`)."""

from __future__ import annotations

import math
import re
import sys
import types
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.spec.expr import ExprError, parse_expr

x = sp.Symbol("x", integer=True, positive=True)


def lookup(name, offset):
    if name == "x":
        return x
    raise ExprError(f"unknown symbol '{name}'", offset)


def value(text: str) -> Fraction:
    v = parse_expr(text, lookup)
    assert v.is_Rational, (text, v)
    return Fraction(int(v.p), int(v.q))


def _torchvision_make_divisible():
    sys.modules.setdefault("torchvision._meta_registrations",
                           types.ModuleType("torchvision._meta_registrations"))
    utils = pytest.importorskip("torchvision.models._utils")
    return utils._make_divisible


def _text(q: Fraction) -> str:
    return f"{q.numerator}/{q.denominator}"


rationals = st.builds(Fraction, st.integers(-10**6, 10**6), st.integers(1, 10**4))


@settings(max_examples=400, deadline=None)
@given(rationals)
def test_round_is_pythons_half_to_even(q):
    assert value(f"round({_text(q)})") == round(q)


@pytest.mark.parametrize("text, expected", [
    ("round(0.5)", 0), ("round(1.5)", 2), ("round(2.5)", 2), ("round(-2.5)", -2),
    ("round(7/2)", 4), ("round(2.4999)", 2), ("round(log(8) / log(4))", 2),
])
def test_round_ties_and_exact_logarithms(text, expected):
    assert value(text) == expected


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.integers(0, 10**7).map(Fraction),
                 st.builds(Fraction, st.integers(0, 10**7),
                           st.sampled_from([2, 4, 5, 8, 10, 100, 1000]))),
       st.integers(1, 256), st.one_of(st.none(), st.integers(1, 512)))
def test_make_divisible_is_torchvisions(v, divisor, min_value):
    """torchvision's function on the float of v (exact for these denominators) agrees with
    the exact rational version."""
    reference = _torchvision_make_divisible()
    args = f"{_text(v)}, {divisor}" + (f", {min_value}" if min_value is not None else "")
    assert value(f"make_divisible({args})") == reference(float(v), divisor, min_value)


@pytest.mark.parametrize("text, expected", [
    ("make_divisible(32 * 1.4, 8)", 48),        # MobileNet v2 at width 1.4: 44.8 -> 48
    ("make_divisible(16 * 0.35, 8)", 8),        # below min_value: the divisor
    ("make_divisible(96 * 0.75, 8)", 72),
    ("make_divisible(12, 8)", 16),              # 8 would lose more than 10 %
    ("make_divisible(100, 8, 120)", 120),
])
def test_make_divisible_examples(text, expected):
    assert value(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 10**6), st.integers(2, 50))
def test_log_floor_and_ceil_are_exact_at_powers(n, b):
    """floor(log(n, b)) is the k with b^k ≤ n < b^(k+1), exactly, also where n is a power."""
    k = 0
    while b ** (k + 1) <= n:  # bounded: k ≤ log2(10^6) < 20
        k += 1
    assert value(f"floor(log({n}, {b}))") == k
    assert value(f"ceil(log({n}, {b}))") == (k if b ** k == n else k + 1)


@settings(max_examples=200, deadline=None)
@given(st.builds(Fraction, st.integers(1, 10**6), st.integers(1, 10**3)),
       st.builds(Fraction, st.integers(101, 10**3), st.just(100)))
def test_log_rounds_as_floats_do_away_from_ties(q, base):
    """RegNet's round(log(w / w0) / log(w_m)): the exact value rounds as the float one
    wherever the float is not within rounding error of a tie."""
    exact = math.log(q) / math.log(base)
    if abs(exact - math.floor(exact) - 0.5) < 1e-9:
        return
    assert value(f"round(log({_text(q)}) / log({_text(base)}))") == round(exact)


def test_functions_stay_symbolic_until_their_argument_is_known():
    e = parse_expr("make_divisible(x * 1.4, 8) + round(x / 2) + floor(log(x, 2))", lookup)
    assert e.free_symbols == {x}
    assert e.subs(x, 32) == 48 + 16 + 5


@pytest.mark.parametrize("text, message", [
    ("log(0)", "log of a number that is not positive"),
    ("log(2, 1)", "division by zero"),
    ("make_divisible(3, 0)", "make_divisible: the divisor must be positive"),
    ("round(1, 2)", "round() takes 1 argument"),
    ("log(1, 2, 3)", "log() takes 1 or 2 arguments"),
    ("make_divisible(1)", "make_divisible() takes 2 or 3 arguments"),
])
def test_refused(text, message):
    with pytest.raises(ExprError, match=re.escape(message)):
        parse_expr(text, lookup)
