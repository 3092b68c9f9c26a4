"""Whether two sizes are equal for every whole input size — more than sympy can say.

A size is built from the input's size H by sums, rational multiples, ⌊⌋ and ⌈⌉ (the axis
maps, `axismap.py`), so it is f(H) with f(H + P) = f(H) + c·P for its slope c and a period
P made bottom-up: H has slope 1 and period 1; sums and rational multiples add and scale
slopes and take the lcm of periods; ⌊g⌋ and ⌈g⌉ keep g's slope c and need c·P whole, so
their period is P times the denominator of c·P. The difference d of two sizes is such an f
too. If d is 0 at H and at H + P, its slope is 0 and it repeats with period P; if it is 0
on a whole period besides, it is 0 for every H. So 2·P evaluations are a proof, where
`sympy.simplify(a − b)` (which knows nothing of integers) leaves ⌈H/2⌉ − ⌊(H − 1)/2⌋ − 1
alone although it is 0 for every whole H.
"""

from __future__ import annotations

import math

from .. import num

MAX_PERIOD = 1 << 12  # beyond this the question is left to sympy (2·P substitutions)


def equal_for_every_size(a, b) -> bool | None:
    """True when a = b for every whole positive value of their one symbol, False when
    some value tells them apart, None when this cannot decide (several symbols, a term
    that is not a sum, rational multiple, ⌊⌋ or ⌈⌉, or too long a period)."""
    diff = num.sympify(a - b)
    if diff.is_number:
        return bool(diff == 0)
    free = diff.free_symbols
    if len(free) != 1:
        return None
    (s,) = free
    diff, s = num.lift(diff), num.lift(s)
    period = _period(diff, s)
    if period is None:
        return None
    return all(diff.xreplace({s: num.Integer(v)}) == 0 for v in range(1, 2 * period + 1))


def _period(expr, s) -> int | None:
    """P for `expr` (see the module docstring), or None when it is not built from `s` by
    sums, rational multiples, ⌊⌋ and ⌈⌉, or P passes MAX_PERIOD."""
    sp = num.sympy()  # (a formula: sympy's objects)
    slope: dict = {}
    period: dict = {}
    for node in sp.postorder_traversal(expr):  # children before parents, no recursion
        if node in period:
            continue
        if node.is_Rational:
            slope[node], period[node] = num.Integer(0), 1
        elif node == s:
            slope[node], period[node] = num.Integer(1), 1
        elif isinstance(node, sp.Add):
            slope[node] = sp.Add(*(slope[a] for a in node.args))
            period[node] = math.lcm(*(period[a] for a in node.args))
        elif isinstance(node, sp.Mul):
            varying = [a for a in node.args if not a.is_Rational]
            if len(varying) != 1:
                return None  # H·⌊H/2⌋ is not c·H + periodic
            (f,) = varying
            slope[node] = sp.Mul(*(a for a in node.args if a.is_Rational)) * slope[f]
            period[node] = period[f]
        elif isinstance(node, (sp.floor, sp.ceiling)):
            (g,) = node.args
            slope[node] = slope[g]
            period[node] = period[g] * int(sp.Rational(slope[g] * period[g]).q)
        else:
            return None
        if period[node] > MAX_PERIOD:
            return None
    return period[expr]
