"""The whitelisted expression parser: exact arithmetic, bounded, never eval."""

from __future__ import annotations

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
