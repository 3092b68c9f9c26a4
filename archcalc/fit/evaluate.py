"""Exact, fast evaluation of the analysis' formulas at many points — no `eval`, no floats.

A figure with a symbol left free is a sympy expression: sums and products of integers,
fractions and ⌊⌋/⌈⌉ of linear forms (`100925440·⌊H/32 − 1/32⌋ + …`). `compile_expr` turns
its tree once into nested Python closures over ints and `Fraction`s, so evaluating it at a
point costs a few microseconds per node instead of sympy's `subs` (milliseconds), and the
value is exactly the one `subs` gives: `math.floor` of a Fraction is exact, and nothing is
ever a float (lambdify's "math" printer writes 1/32 as a float). A node this module does
not know (`log`) is evaluated by sympy at the point — exact, only slower; `round` and
`make_divisible` (spec/functions.py) are evaluated by their own exact rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy as sp

from ..num import Num
from ..spec import functions

Number = int | Fraction
Fn = Callable[[Sequence[int]], Number]


def compile_expr(e: sp.Expr, symbols: Sequence[sp.Symbol]) -> Fn:
    """A function of the symbols' values (in order) that gives `e` exactly."""
    symbols = _lifted(symbols)
    index = {s: i for i, s in enumerate(symbols)}
    return _compile(sp.sympify(e), index, tuple(symbols))


def _lifted(symbols) -> tuple:
    """The symbols as sympy's: the analysis records its formulas in `archcalc.num`'s
    symbols, which `sp.sympify` lifts to sympy's (the ones the lifted formulas hold)."""
    return tuple(sp.sympify(s) for s in symbols)


def number(x: Number) -> Number:
    """An int where the value is whole."""
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x


def _compile(e: sp.Basic, index: dict, symbols: tuple) -> Fn:
    if e.is_Integer:
        c = int(e)
        return lambda v: c
    if e.is_Rational:
        c = Fraction(int(e.p), int(e.q))
        return lambda v: c
    if e.is_Symbol and e in index:
        i = index[e]
        return lambda v: v[i]
    args = [_compile(a, index, symbols) for a in e.args]
    if e.is_Add:
        return lambda v: sum(f(v) for f in args)
    if e.is_Mul:
        return lambda v: math.prod(f(v) for f in args)
    if e.is_Pow and e.args[1].is_Integer:
        base, k = args[0], int(e.args[1])
        if k >= 0:
            return lambda v: base(v) ** k
        return lambda v: Fraction(1, base(v) ** -k)
    simple = {sp.floor: math.floor, sp.ceiling: math.ceil, sp.Max: max, sp.Min: min}
    for kind, fn in simple.items():
        if isinstance(e, kind):
            return lambda v, fn=fn: fn(*(f(v) for f in args))
    if isinstance(e, sp.Mod) and len(args) == 2:
        return lambda v: args[0](v) % args[1](v)
    if isinstance(e, functions.MakeDivisible):  # torchvision's rule, as the analysis has it
        return lambda v: _rational(functions.make_divisible(*(Num(f(v)) for f in args)))
    if isinstance(e, functions.RoundHalfEven) and len(args) == 1:
        return lambda v: round(Fraction(args[0](v)))  # Python's round: half to even
    return _by_sympy(e, symbols)


def _rational(x) -> Number:
    return number(Fraction(x))


def _by_sympy(e: sp.Basic, symbols: tuple) -> Fn:
    def f(v):
        x = e.xreplace({s: sp.Rational(Fraction(a).numerator, Fraction(a).denominator)
                        for s, a in zip(symbols, v)})
        if not x.is_Rational:
            raise ValueError(f"{e} is not a rational number at {tuple(v)}")
        return Fraction(int(x.p), int(x.q))
    return f


def compile_many(exprs: Sequence[sp.Expr], symbols: Sequence[sp.Symbol]
                 ) -> Callable[[Sequence[int]], list[Number]]:
    """One function giving every expression at a point, their common subexpressions
    (ResNet-50's ⌊H/32 − 1/32⌋ appears in a dozen terms of each figure) computed once."""
    symbols = _lifted(symbols)
    steps, reduced = sp.cse([sp.sympify(e) for e in exprs], optimizations=None,
                            symbols=sp.numbered_symbols("_cse"))
    names = list(symbols) + [s for s, _ in steps]
    index = {s: i for i, s in enumerate(names)}
    step_fns = [_compile(e, index, tuple(names)) for _, e in steps]
    out_fns = [_compile(e, index, tuple(names)) for e in reduced]

    def run(values: Sequence[int]) -> list[Number]:
        v = list(values)
        for f in step_fns:
            v.append(f(v))
        return [f(v) for f in out_fns]
    return run
