"""The whitelisted expression parser: exact arithmetic, bounded, never eval."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.spec.expr import MAX_DEPTH, ExprError, parse_expr

c = sp.Symbol("c", integer=True, positive=True)


def lookup(name, offset):
    if name == "c":
        return c
    raise ExprError(f"unknown symbol '{name}'", offset)


@st.composite
def expression(draw, depth=0):
    """(text, exact value) pairs built from + − * // % and parentheses."""
    if depth > 3 or draw(st.booleans()):
        n = draw(st.integers(0, 50))
        return str(n), Fraction(n)
    (a, va), (b, vb) = draw(expression(depth + 1)), draw(expression(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*", "//", "%", "/"]))
    if op in ("//", "%", "/") and vb == 0:
        op = "+"
    value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else 0,
             "//": Fraction(va // vb) if vb else 0, "%": va % vb if vb else 0}[op]
    return f"({a} {op} {b})", value


@settings(max_examples=300, deadline=None)
@given(expression())
def test_arithmetic_is_exact(pair):
    text, value = pair
    result = parse_expr(text, lookup)
    assert Fraction(int(sp.numer(result)), int(sp.denom(result))) == value


@given(st.integers(1, 100))
def test_symbols_bare_or_with_sigil(n):
    assert parse_expr("2*c + 1", lookup).subs(c, n) == 2 * n + 1
    assert parse_expr("2*$c + 1", lookup) == parse_expr("2*c + 1", lookup)
    assert parse_expr("max(c, 3) + floor(c/2) + ceil(c/2)", lookup).subs(c, n) == \
        max(n, 3) + n


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "unexpected character"),
    ("c.__class__", "unexpected character '.'"),
    ("lambda: 1", "unexpected character ':'"),
    ("open(1)", "unknown symbol 'open'"),
    ("2 ** 65", "exponents must be whole numbers from 0 to 64"),
    ("2 ** c", "exponents must be whole numbers"),
    ("1/0", "division by zero"),
    ("(" * (MAX_DEPTH + 2) + "1" + ")" * (MAX_DEPTH + 2), "nests deeper"),
    ("1" * 300, "longer than 256"),
    ("", "empty expression"),
    ("min(1)", "min() takes at least 2 arguments"),
])
def test_refused(text, message):
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*")):
        parse_expr(text, lookup)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789c$+-*/%^() ,.minaxflorceil_'\"[]", max_size=40))
def test_random_text_parses_or_raises_expr_error(text):
    try:
        parse_expr(text, lookup)
    except ExprError as exc:
        assert 0 <= exc.offset <= len(text)


# -- bounds: every number within ±(2^63 − 1), after every step ----------------------------

from archcalc.spec import bounds  # noqa: E402


@st.composite
def big_expression(draw, depth=0):
    """(text, exact value or None if some step leaves the bounds) with large operands."""
    if depth > 3 or draw(st.booleans()):
        n = draw(st.one_of(st.integers(0, 2**64), st.sampled_from([2**63 - 1, 2**63, 10**19])))
        return str(n), (Fraction(n) if n <= bounds.MAX_VALUE else None)
    (a, va), (b, vb) = draw(big_expression(depth + 1)), draw(big_expression(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*", "**"]))
    if op == "**":
        e = draw(st.integers(0, 70))
        b, vb = str(e), Fraction(e)
    value = None
    if va is not None and vb is not None:
        value = va + vb if op == "+" else va - vb if op == "-" else va * vb if op == "*" \
            else (va ** int(vb) if vb <= 64 else None)
    if value is not None and abs(value) > bounds.MAX_VALUE:
        value = None
    return f"({a}) {op} ({b})", value


@settings(max_examples=300, deadline=None)
@given(big_expression())
def test_every_step_is_bounded(case):
    """Within the bounds the value is exact; a step out of them is an error, never a huge
    number (and never slow: the power's size is checked before it is computed)."""
    text, value = case
    if value is None:
        with pytest.raises(ExprError):
            parse_expr(text, lookup)
    else:
        assert parse_expr(text, lookup) == sp.Rational(value.numerator, value.denominator)


@pytest.mark.parametrize("text, message", [
    ("(((((2**64)**64)**64)**64)**64)**64", "18446744073709551616 is out of range"),
    ("2*1e999999999", "the number 1e999999999 is out of range"),
    ("1e-999999", "the number 1e-999999 is out of range"),
    ("(c**16)**2", "the power is too large"),
    ("max(" + ", ".join("1" for _ in range(17)) + ")", "max() takes at most 16 arguments"),
    ("(floor(49 / (7 - c)) - 12) % (21 * c + 7)", "sympy cannot simplify this expression"),
])
def test_bombs_are_refused_with_their_reason(text, message):
    with pytest.raises(ExprError, match=re.escape(message)):
        parse_expr(text, lookup)


def test_substitution_is_bounded_before_and_after():
    h = sp.Symbol("H", integer=True, positive=True)
    assert bounds.substitute(h * 2, {h: sp.Integer(3)}) == 6
    with pytest.raises(bounds.BoundError, match="division by zero"):
        bounds.substitute(sp.Mod(5, h - 32), {h: sp.Integer(32)})
    with pytest.raises(bounds.BoundError, match="division by zero"):
        bounds.substitute(5 / (h - 32), {h: sp.Integer(32)})
    with pytest.raises(bounds.BoundError, match="out of range"):
        bounds.substitute(h ** 4, {h: sp.Integer(2**62)})
    with pytest.raises(bounds.BoundError, match="grow beyond 1024 bits"):  # refused unworked
        bounds.substitute(h ** 16, {h: c ** 16})
