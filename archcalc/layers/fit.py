"""Fixes for a window that does not fit: the suggestions a non-integer size comes with.

Given W, F, S and the padding of an axis where (W − F + P_lo + P_hi)/S + 1 is not an
integer, say what would fit — the nearest input sizes, a symmetric padding, a per-side
padding (the only fix when W − F is odd and S = 2, since 2P is always even), a stride —
each with its arithmetic, and say so plainly where no fix of a kind exists.

Every hint comes from arithmetic whose cost does not grow with the values (a spec may
write `kernel: 10000000` or `padding: 1e20`): the input sizes and the per-side padding
are closed forms, the symmetric padding solves 2P ≡ F − W (mod S) with gcd arithmetic,
and the strides come from a bounded search for divisors of the span, none above the window
or the stride written, that says when it may have missed a nearer one.
"""

from __future__ import annotations

from math import gcd, isqrt
from typing import Callable

from ..errors import Change

# The stride search tries at most this many candidates on each side of S, and trial
# division up to this bound (then a divisor d ≤ TRIAL_LIMIT and its cofactor span/d are
# both known). For every span below TRIAL_LIMIT² = 4·10⁶ the search is exhaustive, which
# covers any real layer; beyond it, ~6,000 remainders at most, whatever the values.
SEARCH_RADIUS = 2_000
TRIAL_LIMIT = 2_000


def _divides(n: int, d: int) -> bool:
    return n % d == 0  # one step of the stride search (tests count the calls)


def near_divisors(n: int, S: int, count: int = 2,
                  limit: int | None = None) -> tuple[list[int], bool]:
    """The `count` divisors of n > 0 at most `limit` nearest S (by distance, then the
    smaller), S excluded, and whether they are certainly the nearest: (divisors, exact).

    Looks at every d within SEARCH_RADIUS of S and every d ≤ TRIAL_LIMIT with its
    cofactor n/d; a divisor it did not look at lies outside both, so the answer is exact
    when the ones found are nearer than any such place."""
    limit = n if limit is None else min(n, limit)
    found: set[int] = set()
    small = min(TRIAL_LIMIT, isqrt(n))
    for d in range(1, small + 1):
        if _divides(n, d):
            found.update((d, n // d))
    lo, hi = max(1, S - SEARCH_RADIUS), min(limit, S + SEARCH_RADIUS)
    for d in range(max(lo, small + 1), hi + 1):
        if _divides(n, d):
            found.update((d, n // d))
    found = {d for d in found if d <= limit and d != S}
    near = sorted(found, key=lambda d: (abs(d - S), d))[:count]
    if isqrt(n) <= TRIAL_LIMIT:
        return near, True  # trial division saw every divisor
    # Divisors not looked at lie in (TRIAL_LIMIT, n/TRIAL_LIMIT) outside [lo, hi].
    unseen_lo, unseen_hi = TRIAL_LIMIT + 1, min((n - 1) // TRIAL_LIMIT, limit)
    gap = None  # the distance from S to the nearest place a divisor was not looked for
    for a, b in ((unseen_lo, min(unseen_hi, lo - 1)), (max(unseen_lo, hi + 1), unseen_hi)):
        if a <= b:
            dist = 0 if a <= S <= b else min(abs(a - S), abs(b - S))
            gap = dist if gap is None else min(gap, dist)
    exact = gap is None or (len(near) == count and abs(near[-1] - S) < gap)
    return near, exact


def symmetric_padding(W: int, F: int, S: int, limit: int, current2: int) -> int | None:
    """The P in [0, limit] with (W − F + 2P) % S == 0 and W + 2P ≥ F nearest current2/2
    (the smaller on a tie), or None: 2P ≡ F − W (mod S) has the solutions P ≡ p0 (mod m)."""
    g = gcd(2, S)
    if (F - W) % g:
        return None
    m = S // g
    p0 = ((F - W) // g) * pow(2 // g, -1, m) % m if m > 1 else 0
    lower = max(0, -(-(F - W) // 2))
    if lower > limit:
        return None
    first = lower + (p0 - lower) % m          # the smallest solution ≥ lower
    last = limit - (limit - p0) % m           # the largest solution ≤ limit
    if first > last:
        return None
    t = current2 // 2                         # floor of the current mean padding
    below = t - (t - p0) % m
    candidates = {min(max(p, first), last) for p in (below, below + m)}
    return min(candidates, key=lambda p: (abs(2 * p - current2), p))


def fit_hints(W: int, K: int, S: int, lo: int, hi: int, D: int = 1, *,
              max_pad: int | None = None, rounding_hint: str = "", ndim: int = 2) -> list[str]:
    """Hints for an axis whose window count is not an integer (all arguments concrete)."""
    return fit_fixes(W, K, S, lo, hi, D, max_pad=max_pad, rounding_hint=rounding_hint,
                     ndim=ndim)[0]


# How a new value for the axis (or axes) that does not fit is written as the argument:
# spell("padding", 3), spell("padding", (3, 4)) (per side), spell("stride", 1).
Spell = Callable[[str, object], str]


def fit_fixes(W: int, K: int, S: int, lo: int, hi: int, D: int = 1, *,
              max_pad: int | None = None, rounding_hint: str = "", ndim: int = 2,
              spell: Spell | None = None) -> tuple[list[str], tuple[Change, ...]]:
    """(the hints' text, those that set one argument as `Change`s an editor can apply).

    `spell` writes a new value as the whole argument; by default the value on every axis
    (a layer whose other axes differ passes one that keeps theirs: `stride: [1, 3, 3]`)."""
    spell = spell or (lambda param, v: _every_axis(v, ndim))
    F = D * (K - 1) + 1
    changes: list[Change] = []
    span = W + lo + hi - F
    hints = []
    r = span % S
    below, above = W - r, W + (S - r)
    sizes = [f"{w} (→ {(w + lo + hi - F) // S + 1})" for w in (below, above) if w + lo + hi >= F]
    if sizes:
        hints.append(f"an input of {' or '.join(sizes)} fits this layer")
    # Symmetric padding P: (W − F + 2P) % S == 0.
    limit = max_pad if max_pad is not None else F
    p = symmetric_padding(W, F, S, limit, lo + hi)
    if p is not None:
        hints.append(f"padding {spell('padding', p)}: ({W} − {F} + 2·{p})/{S} + 1 = "
                     f"{(W - F + 2 * p) // S + 1}")
        changes.append(Change("padding", spell("padding", p), hints[-1], hints[-1]))
    else:
        why = (f"{W} − {F} = {W - F} is odd and 2P is even" if S == 2 and (W - F) % 2
               else f"no P ≤ {limit} makes {W} − {F} + 2P divisible by {S}")
        hints.append(f"no symmetric padding fits ({why})")
    # Per-side padding: the smallest total that fits, the extra on the far side.
    total = lo + hi + (S - r)
    new_lo = lo
    new_hi = total - new_lo
    if (max_pad is None or max(new_lo, new_hi) <= max_pad) and new_lo != new_hi:
        spec = spell("padding", (new_lo, new_hi))
        hints.append(f"per-side padding `padding: {spec}` (before, after on each axis): "
                     f"({W} − {F} + {new_lo} + {new_hi})/{S} + 1 = {(W + total - F) // S + 1}")
        changes.append(Change("padding", spec, hints[-1], hints[-1]))
    # Stride: a divisor of the span, at most the window or the stride written: a larger
    # one skips input that no window sees (62 − 3 = 59 is prime, and stride 59 (→ 2) is no
    # fix a person would make for a 3-wide window with stride 2; stride 1 is).
    if span > 0:
        near, exact = near_divisors(span, S, limit=max(F, S))
        if near:
            hint = "stride " + " or ".join(f"{spell('stride', d)} (→ {span // d + 1})"
                                           for d in sorted(near))
            changes.extend(Change("stride", spell("stride", d),
                                  f"stride {spell('stride', d)} (→ {span // d + 1})", hint)
                           for d in sorted(near))
            if not exact:
                hint += (f" — the nearest divisors of {span} that a bounded search found; "
                         "a nearer one may exist")
            hints.append(hint)
    else:
        hints.append("no stride fits: the window covers the whole padded input")
    if rounding_hint:
        hints.append(rounding_hint)
    return hints, tuple(changes)


def axis_text(v) -> str:
    """One axis's value as a spec writes it: 3, or [3, 4] for per-side padding."""
    return f"[{v[0]}, {v[1]}]" if isinstance(v, tuple) else str(v)


def _every_axis(v, ndim: int) -> str:
    """The same value on every axis: `3`, or per side `[[0, 1], [0, 1]]`."""
    return f"[{', '.join([axis_text(v)] * ndim)}]" if isinstance(v, tuple) else str(v)
