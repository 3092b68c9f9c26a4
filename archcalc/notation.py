"""How a number, a size or a shape is written for a person, in the seeds' notation.

A leaf module (it imports only sympy): the calculator's diagnostics quote sizes in the
same notation the renderers print, so both use these few functions. `number_text` writes
an exact rational as a person reads it (55, 4.5, 16/3 ≈ 5.333), `expr_text` a symbolic
size with `−` and `·` ((H − 7)/4), `shape_text` a volume as C×H×W. The JSON dialect is
sympy's own `str` (ASCII, readable back by `sympy.sympify`), written by render/ alone.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from . import formula as Fm
from . import num


@lru_cache(maxsize=4096)
def expr_text(x) -> str:
    """A symbolic size as the table prints it: (H − 7)/4."""
    x = num.sympify(x)
    if x.is_number:
        return number_text(x)
    x = num.lift(x)
    text = str(x if num.has_function(x, "floor", "ceiling", "Piecewise") else
               num.sympy().together(x))
    return text.replace(" - ", " − ").replace("*", "·")


def number_text(x) -> str:
    """An exact rational as a person reads it: 55, 4.5, 16/3 ≈ 5.333."""
    x = num.sympify(x)
    if isinstance(x, num.Integer):
        return str(int(x))
    if isinstance(x, num.Rational):
        q = int(x.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:  # a terminating decimal: 4.5, 54.25
            return format(Decimal(int(x.p)) / Decimal(int(x.q)), "f")
        return f"{x.p}/{x.q} ≈ {float(x):.3f}"
    return str(x)


def dim_text(d) -> str:
    """One dim inside a formula or a C×H×W shape; compound expressions in parentheses."""
    if isinstance(d, (int, num.Integer)):
        return str(int(d))
    text = expr_text(d)
    return f"({text})" if any(ch in text for ch in " +−·/") else text


def shape_text(shape) -> str:
    """C×H×W (or C for a flat vector) of a `Shape`."""
    return "×".join(dim_text(d) for d in (shape.c, *shape.dims))


# The arithmetic of a size (archcalc/formula.py) in two dialects: `seeds` as the table
# and the diagnostics write it, `ascii` as the JSON does (sympy reads it back).

def formula_text(f) -> str:
    """⌊(227 − 11 + 2·0)/4⌋ + 1 = 55, in the seeds' notation."""
    return _SEEDS[type(f)](f)


def formula_ascii(f) -> str:
    """floor((227 - 11 + 2*0)/4) + 1: the unevaluated arithmetic, sympy-readable."""
    return _ASCII[type(f)](f)


def _window_text(f) -> str:
    rounding = "floor" if f.rounding == "cover" else f.rounding
    if rounding != "exact" and f.exact == f.size:
        rounding = "exact"  # nothing was rounded: show the plain division
    pad = f"2·{dim_text(f.lo)}" if f.lo == f.hi else f"{dim_text(f.lo)} + {dim_text(f.hi)}"
    inner = f"{dim_text(f.W)} − {dim_text(f.F)} + {pad}"
    S = dim_text(f.S)
    text = (f"⌊({inner})/{S}⌋ + 1" if rounding == "floor" else
            f"⌈({inner})/{S}⌉ + 1" if rounding == "ceil" else f"({inner})/{S} + 1")
    if f.exact.is_number and rounding != "exact" and f.exact != f.size:
        return f"{text} = {number_text(f.size)}  (exact {number_text(f.exact)})"
    if f.exact.is_number:
        return f"{text} = {number_text(f.size)}"
    return f"{text} = {expr_text(f.size)}"


def _a(x) -> str:
    """An operand in the ASCII dialect, parenthesised when compound."""
    x = num.settle(x)  # a record that sympy makes a symbol (`(L + 4 - 5)/1 + 1`) is one
    text = str(x)
    return text if isinstance(x, (int, num.Integer, num.Symbol)) else f"({text})"


def _window_ascii(f) -> str:
    pad = f"2*{_a(f.lo)}" if f.lo == f.hi else f"{_a(f.lo)} + {_a(f.hi)}"
    inner = f"{_a(f.W)} - {_a(f.F)} + {pad}"
    if f.rounding == "floor" or (f.rounding == "cover" and f.size != f.exact):
        return f"floor(({inner})/{_a(f.S)}) + 1"
    if f.rounding == "ceil":
        up = f"ceiling(({inner})/{_a(f.S)})"
        if num.has_function(f.size, "Piecewise"):
            return str(f.size)  # PyTorch's last-window rule, when it depends on symbols
        if f.exact.is_number and num.ceiling(f.exact) != f.size:
            return up  # the last window would start in the right padding: dropped
        return f"{up} + 1"
    return f"({inner})/{_a(f.S)} + 1"


def _fractional(k) -> bool:
    k = num.sympify(k)
    return k.is_Rational and not k.is_Integer


def _count_text(x) -> str:
    """A count (features, channels): its digits, or its formula factored, as the report's
    counts print (15·(H − 28)·(W − 28)/2, not sympy's (30*H - 840)*(W/4 - 7))."""
    x = num.sympify(x)
    if x.is_number or num.has_function(x, "floor", "ceiling", "Piecewise"):
        return expr_text(x)
    return expr_text(num.sympy().factor(num.lift(x)))


def _scaled_text(f) -> str:
    product = f"{dim_text(f.k)}·{dim_text(f.W)}"
    return f"{f'⌊{product}⌋' if _fractional(f.k) else product} = {expr_text(f.size)}"


def _transposed_text(f) -> str:
    return (f"({expr_text(f.W)} − 1)·{dim_text(f.S)} − 2·{dim_text(f.P)} + "
            f"{dim_text(f.D)}·({expr_text(f.K)} − 1) + {dim_text(f.E)} + 1 = "
            f"{expr_text(f.size)}")


_SEEDS = {
    Fm.WindowArith: _window_text,
    Fm.StridedArith: lambda f: (f"⌊({dim_text(f.W)} − 1)/{dim_text(f.S)}⌋ + 1 = "
                                f"{expr_text(f.size)}"),
    Fm.CeilArith: lambda f: f"⌈{dim_text(f.W)}/{dim_text(f.S)}⌉ = {expr_text(f.size)}",
    Fm.FixedArith: lambda f: f"{dim_text(f.W)} → {f.size}",
    Fm.ChannelSum: lambda f: (" + ".join(dim_text(t) for t in f.terms)
                              + f" = {_count_text(f.total)} channels"),
    Fm.Flattened: lambda f: (f"{'×'.join(dim_text(d) for d in (f.c, *f.dims))} = "
                             f"{_count_text(f.features)}"
                            if f.dims else f"{f.c} (already flat)"),
    Fm.ScaledArith: _scaled_text,
    Fm.DividedArith: lambda f: f"{dim_text(f.W)}/{dim_text(f.k)} = {expr_text(f.size)}",
    Fm.TransposedArith: _transposed_text,
}

_ASCII = {
    Fm.WindowArith: _window_ascii,
    Fm.StridedArith: lambda f: f"floor(({_a(f.W)} - 1)/{_a(f.S)}) + 1",
    Fm.CeilArith: lambda f: f"ceiling({_a(f.W)}/{_a(f.S)})",
    Fm.FixedArith: lambda f: str(f.size),
    Fm.ChannelSum: lambda f: " + ".join(_a(t) for t in f.terms),
    Fm.Flattened: lambda f: "*".join(_a(d) for d in (f.c, *f.dims)),
    Fm.ScaledArith: lambda f: (f"floor({_a(f.k)}*{_a(f.W)})" if _fractional(f.k) else
                               f"{_a(f.k)}*{_a(f.W)}"),
    Fm.DividedArith: lambda f: f"{_a(f.W)}/{_a(f.k)}",
    Fm.TransposedArith: lambda f: (f"({_a(f.W)} - 1)*{_a(f.S)} - 2*{_a(f.P)} + "
                                   f"{_a(f.D)}*({_a(f.K)} - 1) + {_a(f.E)} + 1"),
}
