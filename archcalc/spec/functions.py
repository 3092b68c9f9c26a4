"""The functions a spec's arithmetic may call beyond min, max, floor and ceil: `round`, `log`
and `make_divisible` — what published families use to derive widths and depths.

Each evaluates exactly on rational arguments (`num.Num`: no sympy) and is recorded on
symbols (a block's arguments, `in`, H), so that putting values in later (`xreplace`)
finishes the work; lifted to sympy (a formula left symbolic), it is a sympy function that
evaluates by the same rule (`log` of a number is sympy's always: it is irrational):

- `round(x)` rounds half to even, as Python's `round` does (`round(2.5)` is 2, `round(3.5)`
  is 4); torchvision's `_make_divisible` rounds half up, which is `make_divisible`'s own
  rule below, not this one.
- `log(x)` is the natural logarithm and `log(x, b)` the logarithm to base b (RegNet's
  `log(w / w0) / log(w_m)`): exact where the result is rational (`log(8, 2)` is 3,
  `log(8) / log(4)` is 3/2), otherwise an irrational number that floor, ceil and round turn
  into an integer by sympy's evaluation to the precision the decision needs.
- `make_divisible(v, d)` and `make_divisible(v, d, min_value)` is torchvision's
  `torchvision.models._utils._make_divisible` (MobileNet v2/v3, EfficientNet):
  new_v = max(min_value, int(v + d/2) // d · d), with min_value = d when not given, then
  new_v += d if new_v < 0.9 · v — on exact rationals (`int` truncates toward zero).
  `tests/test_expr.py` compares it with torchvision's own function.
"""

from __future__ import annotations

from functools import lru_cache

from .. import num


class DomainError(ValueError):
    """A function called outside its domain (log of 0, make_divisible by 0)."""


def _make_divisible(v, d, min_value=None):
    """torchvision's rule on exact rationals (Nums or sympy Rationals); None otherwise."""
    args = (v, d) if min_value is None else (v, d, min_value)
    if not all(a.is_Rational for a in args):
        return None
    if d <= 0:
        raise DomainError("make_divisible: the divisor must be positive")
    least = d if min_value is None else min_value
    t = v + d / 2
    whole = num.Integer(int(t.p) // int(t.q) if t >= 0 else -(-int(t.p) // int(t.q)))
    new = num.Max(least, num.floor(whole / d) * d)
    if new < num.Rational(9, 10) * v:
        new = new + d
    return new


@lru_cache(maxsize=None)
def _sympy_functions():
    """round and make_divisible as sympy functions, made on the first symbolic use."""
    import sympy as sp

    # An irrational value this close to a half-integer is taken as the tie it must then be
    # (log(6) − log(2) − log(3) + 1/2 is 1/2 exactly, but sympy does not see it).
    tie_width = sp.Float("1e-50", 60)

    class RoundHalfEven(sp.Function):
        """`round(x)`: the nearest integer, a tie going to the even one (Python's rule)."""

        nargs = 1

        @classmethod
        def eval(cls, x):
            if x.is_integer:
                return x
            if not x.is_number:
                return None
            if not x.is_real:
                return None
            low = sp.floor(x + sp.Rational(1, 2))
            if not low.is_Integer:
                return None
            tie = x + sp.Rational(1, 2) - low
            if tie.is_zero or (not x.is_Rational and abs(tie.evalf(60)) < tie_width):
                return low if int(low) % 2 == 0 else low - 1
            return low

        def _sympystr(self, printer) -> str:
            return f"round({printer._print(self.args[0])})"

    class MakeDivisible(sp.Function):
        """torchvision's `_make_divisible(v, divisor, min_value=None)`, exactly."""

        nargs = (2, 3)

        @classmethod
        def eval(cls, v, d, min_value=None):
            return _make_divisible(v, d, min_value)

        def _sympystr(self, printer) -> str:
            return f"make_divisible({', '.join(printer._print(a) for a in self.args)})"

    return RoundHalfEven, MakeDivisible


def _sympy_log(x):
    """ln x of a sympy value: exact where rational (a positive rational's logarithm is
    written as k·ln r with r no perfect power, so ratios of logarithms cancel exactly)."""
    import sympy as sp

    if x.is_Rational:
        if x <= 0:
            raise DomainError("log of a number that is not positive")
        return _log_rational(x)
    if x.is_number and x.is_nonpositive:
        raise DomainError("log of a number that is not positive")
    return sp.log(x)


round_half_even = num.function(
    "round", lambda x: num.Integer(round(x)), lambda: _sympy_functions()[0])
make_divisible = num.function(
    "make_divisible", _make_divisible, lambda: _sympy_functions()[1])
_ln = num.function("log", lambda x: _sympy_log(num.lift(x)), lambda: _sympy_log)


def log(x, base=None):
    """ln x, or log_base x (see the module docstring)."""
    if base is not None:
        return log(x) / log(base)
    return _ln(x)


def _log_rational(x):
    import sympy as sp

    if x == 1:
        return sp.Integer(0)
    (a, m), (b, n) = _root(int(x.p)), _root(int(x.q))
    k = sp.igcd(m, n)  # p = a^m and q = b^n, so x = r^k with r = a^(m/k) / b^(n/k)
    r = sp.Rational(a ** (m // k), b ** (n // k))
    return k * sp.log(r) if k > 1 else sp.log(x)


def _root(n: int) -> tuple[int, int]:
    """(a, k) with n = a^k and k as large as it can be; 1 is (1, 0), any power of itself.
    sympy's perfect_power tries the few exponents a number ≤ 2^63 − 1 can have."""
    from sympy.ntheory import perfect_power

    if n == 1:
        return 1, 0
    found = perfect_power(n)
    return (int(found[0]), int(found[1])) if found else (n, 1)


def __getattr__(name: str):
    """`RoundHalfEven` and `MakeDivisible`, the sympy functions (made on first use): for
    code that inspects sympy formulas (reference/codegen_blocks.py)."""
    if name in ("RoundHalfEven", "MakeDivisible"):
        return _sympy_functions()[name == "MakeDivisible"]
    raise AttributeError(name)
