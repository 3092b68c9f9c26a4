"""How large a number a spec may hold, and the one check that enforces it.

A spec is input from a stranger: `kernel: 10**18**…` or `1e999999999` must be refused
where it is read, not discovered as a hang three packages later. Two bounds:

- every *number* — as written, after every step of the expression parser, and after
  symbols or block arguments are put into an expression — lies within ±MAX_VALUE, and so
  do the numerator and denominator of a fraction;
- every *expression* that still holds symbols is one whose value, once each symbol is
  bound (to at most MAX_VALUE), has at most MAX_BITS bits in numerator and denominator
  together (`size_bits` bounds it from the expression's tree). That keeps `H**16` legal
  and rules out `(H**64)**64`, whose value at H = 224 has 9,600 digits;
- and every expression has at most MAX_NODES nodes, so that block arguments passed down
  through nested blocks (`max(x, H) + min(x, W)` for x, sixteen levels deep, triples at
  each) cannot grow without end.

Totals derived from bounded numbers (parameters, MACs) are exact Python integers: a
product of a few numbers below 2**63 is still far inside what formats and sums instantly.
"""

from __future__ import annotations

from .. import num
from .functions import DomainError

# int64, PyTorch's type for sizes: no tensor dimension, stride or count exceeds it.
MAX_VALUE = 2**63 - 1
MAX_DIGITS = 19  # len(str(MAX_VALUE)): a longer decimal literal is refused unread
# Work on a bound value is proportional to its size; 1024 bits (308 digits) admits
# products of 16 symbols and H**16, far beyond any network, and stays instant.
MAX_BITS = 1024
SYMBOL_BITS = MAX_VALUE.bit_length()  # 63: what a bound symbol contributes
# ResNet-152's largest symbolic size, ⌊(⌊(… H …)/2⌋ …⌋, has under 100 nodes.
MAX_NODES = 1000


RANGE = "numbers in a spec are at most 2^63 − 1 in magnitude"  # said by every such error


class BoundError(ValueError):
    """A value outside the bounds; the message says which bound, for a diagnostic."""


def _op(e) -> str:
    """The name of e's operation: a recorded formula's, or sympy's class name."""
    return e.op if isinstance(e, num.Lazy) else type(e).__name__


def size_bits(e, symbol_bits: dict | None = None) -> int:
    """An upper bound on log2 |numerator| + log2 denominator of `e` at any binding of its
    symbols within the bounds (`symbol_bits` overrides what a symbol contributes)."""
    if e.is_Rational:
        return int(e.p).bit_length() + int(e.q).bit_length()
    if e.is_Symbol:
        return (symbol_bits or {}).get(e, SYMBOL_BITS)
    if e.is_Pow:
        base, exp = e.args
        if exp.is_Integer:
            return abs(int(exp)) * size_bits(base, symbol_bits)
        return MAX_BITS + 1  # never produced by the parser: refuse rather than guess
    sizes = [size_bits(a, symbol_bits) for a in e.args]
    op = _op(e)
    if op in ("Min", "Max"):
        return max(sizes, default=0)
    if op in ("floor", "ceiling", "round", "RoundHalfEven"):
        return sizes[0]
    # Add, Mul, Mod and anything else: a sum of sizes (+1 per term for carries).
    return sum(sizes) + len(sizes)


def check(value) -> None:
    """Raise BoundError unless `value` is within the bounds described above."""
    if value.is_Rational:
        if abs(int(value.p)) > MAX_VALUE or int(value.q) > MAX_VALUE:
            raise BoundError(f"{_short(value)} is out of range: {RANGE}")
        return
    # (a recorded formula holds no infinity: dividing a Num by zero raises)
    if not isinstance(value, num.Lazy) and value.has(num.zoo, num.oo, -num.oo, num.nan):
        raise BoundError("division by zero")
    if size_bits(value) > MAX_BITS:
        raise BoundError(f"the expression can grow beyond {MAX_BITS} bits once its symbols "
                         "are bound (powers of powers?)")
    if nodes(value) > MAX_NODES:
        raise BoundError(f"the expression has more than {MAX_NODES:,} terms")


def nodes(e, limit: int = MAX_NODES) -> int:
    """The number of nodes of e's tree, counting stopped just past `limit`."""
    count = 0
    for _ in num.preorder(e):
        count += 1
        if count > limit:
            break
    return count


def substitute(value: num.Basic, subs: dict) -> num.Basic:
    """`value` with `subs` put in, refusing (BoundError) before the work if the result
    could be too large, and after it if the result is out of bounds or divides by zero."""
    if not subs or not value.free_symbols:
        return value
    bits = {s: size_bits(v) for s, v in subs.items() if s in value.free_symbols}
    if size_bits(value, bits) > MAX_BITS:
        raise BoundError(f"the value would grow beyond {MAX_BITS} bits")
    grown = nodes(value)  # each occurrence of a symbol grows by its value's tree
    for node in num.preorder(value):
        if node in subs:
            grown += nodes(subs[node]) - 1
        if grown > MAX_NODES:
            raise BoundError(f"the expression would have more than {MAX_NODES:,} terms")
    try:
        result = value.xreplace(subs)
    except ZeroDivisionError:
        raise BoundError("division by zero") from None
    except DomainError as exc:  # make_divisible(v, 0), log(0) once the values are in
        raise BoundError(str(exc)) from None
    except (TypeError, ValueError):  # min(4, 1/0): sympy cannot compare zoo
        raise BoundError("division by zero (the value is undefined)") from None
    except RecursionError:  # a sympy bug on some Mod/floor combinations (see expr.py)
        raise BoundError("sympy cannot evaluate this expression (it recursed without "
                         "end)") from None
    check(result)
    return result


def _short(value) -> str:
    bits = max(int(value.p).bit_length(), int(value.q).bit_length())
    if bits > 128:  # str() of 5,000 digits raises; and nobody reads 40 digits
        return f"a number of about {int(bits * 0.30103) + 1} digits"
    text = str(value)
    return text if len(text) <= 40 else f"{text[:12]}…{text[-8:]} ({len(text)} characters)"
