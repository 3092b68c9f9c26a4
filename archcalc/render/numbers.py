"""How numbers and formulas are written in every report: exact digits and a short form.

Counts print exactly with thousands separators (62,378,344) beside a rounded short form
(62.38 M); symbolic counts print as factored formulas. Presentation only — no arithmetic
that changes a value happens here. sympy expressions are immutable and hash by structure,
so each formatter is memoized: a deep network repeats the same few formulas.
"""

from __future__ import annotations

from functools import lru_cache

from .. import num
from ..notation import expr_text

_UNITS = ((10 ** 12, "T"), (10 ** 9, "G"), (10 ** 6, "M"), (10 ** 3, "k"))


def exact(x) -> str:
    """62,378,344 — or the formula, when it depends on symbols."""
    if type(x) is num.Num and x.is_Integer:
        return f"{x.p:,}"  # the common case, every cell of a table: no cache lookup
    return _exact(x)


@lru_cache(maxsize=4096)
def _exact(x) -> str:
    if x is None:
        return ""
    x = num.sympify(x)
    if x.is_Integer:
        return f"{int(x):,}"
    if x.is_number:
        return expr_text(x)
    return formula(x)


@lru_cache(maxsize=4096)
def short(x) -> str:
    """62.38 M; '' for small or symbolic values."""
    x = num.sympify(x)
    if not x.is_Integer:
        return ""
    n = int(x)
    for size, unit in _UNITS:
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def both(x) -> str:
    s = short(x)
    e = exact(x)
    return f"{e} ({s})" if s and s != e else e


@lru_cache(maxsize=4096)
def size_bytes(x) -> str:
    """1,234,567,890 B (1.15 GiB) — exact bytes and binary units, as memory is sold."""
    x = num.sympify(x)
    if not x.is_Integer:
        return f"{formula(x)} B"
    n = int(x)
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n:,} B ({n / size:.2f} {unit})"
    return f"{n:,} B"


@lru_cache(maxsize=4096)
def formula(x) -> str:
    """A symbolic count, factored where that reads better: 150·(H − 4)·(W − 4)."""
    x, sp = num.lift(num.sympify(x)), num.sympy()  # symbolic: sympy's work
    if x.has(sp.floor, sp.ceiling, sp.Piecewise, sp.Max, sp.Min):
        text = str(x)  # factoring cannot see through floors; it would only cost time
    else:
        try:
            f = sp.factor(x)
        except (sp.PolynomialError, NotImplementedError):  # pragma: no cover - exotic forms
            f = x
        text = str(f if len(str(f)) <= len(str(sp.expand(x))) else sp.expand(x))
    return text.replace(" - ", " − ").replace("**", "^").replace("*", "·")


def json_number(x):
    """An int when concrete, else the formula as a string (JSON has no symbols)."""
    if type(x) is num.Num and x.q == 1:
        return x.p  # the common case, ~10⁶ times for a large network: no cache lookup
    return _json_number(x)


@lru_cache(maxsize=4096)
def _json_number(x):
    if x is None:
        return None
    x = num.sympify(x)
    if x.is_Integer:
        return int(x)
    if x.is_number:
        return float(x)
    return str(x)
