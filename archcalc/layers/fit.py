"""Fixes for a window that does not fit: the suggestions a non-integer size comes with.

Given W, F, S and the padding of an axis where (W − F + P_lo + P_hi)/S + 1 is not an
integer, say what would fit — the nearest input sizes, a symmetric padding, a per-side
padding (the only fix when W − F is odd and S = 2, since 2P is always even), a stride —
each with its arithmetic, and say so plainly where no fix of a kind exists.
"""

from __future__ import annotations


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def fit_hints(W: int, K: int, S: int, lo: int, hi: int, D: int = 1, *,
              max_pad: int | None = None, rounding_hint: str = "", ndim: int = 2) -> list[str]:
    """Hints for an axis whose window count is not an integer (all arguments concrete)."""
    F = D * (K - 1) + 1
    span = W + lo + hi - F
    hints = []
    r = span % S
    below, above = W - r, W + (S - r)
    sizes = [f"{w} (→ {(w + lo + hi - F) // S + 1})" for w in (below, above) if w + lo + hi >= F]
    if sizes:
        hints.append(f"an input of {' or '.join(sizes)} fits this layer")
    # Symmetric padding P: (W − F + 2P) % S == 0.
    limit = max_pad if max_pad is not None else F
    sym = [p for p in range(0, limit + 1) if (W - F + 2 * p) % S == 0 and W + 2 * p >= F]
    if sym:
        p = min(sym, key=lambda p: (abs(p - (lo + hi) / 2), p))
        hints.append(f"padding {p}: ({W} − {F} + 2·{p})/{S} + 1 = {(W - F + 2 * p) // S + 1}")
    else:
        why = (f"{W} − {F} = {W - F} is odd and 2P is even" if S == 2 and (W - F) % 2
               else f"no P ≤ {limit} makes {W} − {F} + 2P divisible by {S}")
        hints.append(f"no symmetric padding fits ({why})")
    # Per-side padding: the smallest total that fits, the extra on the far side.
    total = lo + hi + (S - r)
    new_lo = lo
    new_hi = total - new_lo
    if (max_pad is None or max(new_lo, new_hi) <= max_pad) and new_lo != new_hi:
        spec = ", ".join([f"[{new_lo}, {new_hi}]"] * ndim)
        hints.append(f"per-side padding `padding: [{spec}]` (before, after on each axis): "
                     f"({W} − {F} + {new_lo} + {new_hi})/{S} + 1 = {(W + total - F) // S + 1}")
    # Stride: a divisor of the span.
    if span > 0:
        strides = [d for d in _divisors(span) if d != S]
        near = sorted(strides, key=lambda d: (abs(d - S), d))[:2]
        if near:
            hints.append("stride " + " or ".join(f"{d} (→ {span // d + 1})" for d in sorted(near)))
    else:
        hints.append("no stride fits: the window covers the whole padded input")
    if rounding_hint:
        hints.append(rounding_hint)
    return hints
