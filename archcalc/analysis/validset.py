"""The set of input sizes for which every layer fits — archcalc's answer to "which H?".

Along one spatial axis every layer maps a size W by its axis map (`layers/axismap.py`:
(W − F + P)/S + 1 exactly, floored or ceiled, ⌈W/S⌉ for TensorFlow 'same', itself, k·W,
or a fixed size for global and adaptive pooling). Each map is monotone in W, so "every
size ≥ 1" holds from some W₀ on; and with M the lcm of the numerators of the cumulative
strides before the first fixed-size layer, W → W + M shifts every later size by a whole
multiple of its stride, so whether every size is an integer depends only on W mod M. The valid set is therefore {W ≥ W₀ : W mod M ∈ R}, found exactly
by checking one size per residue — e.g. "H ≡ 3 (mod 32), H ≥ 67" for AlexNet at 227.

Works on plain Python ints (not sympy), because it evaluates the network once per residue:
a size that is not an integer marks the input invalid and continues floored, which keeps
every verdict exact (an input is valid only if every size is an integer, and for integer
sizes floor and exact agree). `tests/test_window_arithmetic.py` checks `step` against
`convarith.window_size`.
"""

from __future__ import annotations

from math import gcd

from .. import num
from ..layers.windowed import AXES
from .axis import MAX_MODULUS, Axis, Budget, GaveUp, step
from .result import AxisValidity, LayerRow

__all__ = ["step", "valid_inputs"]  # `step` is checked against window_size by the tests

SEARCH_LIMIT = 1 << 40
def _concrete(maps) -> bool:
    return all(m.concrete() for m in maps)


def valid_inputs(rows: tuple[LayerRow, ...], input_dims, ndim: int, symbols: dict,
                 bindings: dict) -> tuple[AxisValidity, ...]:
    """One AxisValidity per input symbol (axes sharing a symbol are combined) or literal."""
    groups: dict[str, list[int]] = {}
    for axis, dim in enumerate(input_dims):
        key = str(dim) if isinstance(dim, num.Symbol) else f"{AXES[ndim][axis]}"
        groups.setdefault(key, []).append(axis)
    out = []
    budget = Budget()
    shared = {id(r.maps): r.maps for r in rows if r.maps is not None}  # memoized rows
    concrete = all(_concrete(ws) for ws in shared.values())
    for key, axes in groups.items():
        dim = input_dims[axes[0]]
        decl = symbols.get(key) if isinstance(dim, num.Symbol) else None
        if not isinstance(dim, (num.Symbol, num.Integer)):
            continue  # the parser allows neither; nothing to say about an expression
        current = bindings.get(key) if isinstance(dim, num.Symbol) else int(dim)
        names = tuple(AXES[ndim][a] for a in axes)
        if not concrete:
            out.append(AxisValidity(key, names, 1, (), 1, None, None, current,
                                    reason="a kernel, stride or padding depends on an unbound "
                                           "symbol"))
            continue
        out.append(_solve(key, names, [Axis(rows, a, budget) for a in axes], decl, current))
    return tuple(out)


def _solve(key, names, axes, decl, current) -> AxisValidity:
    modulus = 1
    for ax in axes:
        m = ax.modulus()
        modulus = modulus * m // gcd(modulus, m)
    multiple = decl.multiple_of if decl and decl.multiple_of else 1
    lo_bound = decl.min if decl and decl.min is not None else 1
    hi_bound = decl.max if decl else None
    modulus = modulus * multiple // gcd(modulus, multiple)
    if modulus > MAX_MODULUS:
        return AxisValidity(key, names, modulus, (), 1, hi_bound, None, current,
                            reason=f"the strides multiply to more than {MAX_MODULUS:,}, too "
                                   "many residues")
    try:
        return _search(key, names, axes, decl, current, modulus, multiple, lo_bound, hi_bound)
    except GaveUp as exc:
        return AxisValidity(key, names, modulus, (), 1, hi_bound, None, current,
                            reason=f"the search would evaluate more than {exc.args[0]:,} layer "
                                   "steps")


def _search(key, names, axes, decl, current, modulus, multiple, lo_bound, hi_bound):
    def positive(v):
        return all(ax.run(v)[0] for ax in axes)

    # W₀: the smallest size for which every layer keeps at least one cell (monotone).
    hi = 1
    while not positive(hi):
        hi *= 2
        if hi > SEARCH_LIMIT:
            return AxisValidity(key, names, modulus, (), 1, hi_bound, None, current,
                                text=f"no {key} fits: some layer always vanishes")
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if positive(mid):
            hi = mid
        else:
            lo = mid + 1
    minimum = max(lo, lo_bound)
    if _pins(axes, minimum):
        return _search_pinned(key, names, axes, current, multiple, minimum, hi_bound)
    residues = []
    for r in range(modulus):
        v = minimum + ((r - minimum) % modulus)
        if v % multiple == 0 and all(ax.run(v)[1] for ax in axes):
            residues.append(r)
    modulus, residues = _reduce(modulus, residues)
    smallest = next((minimum + ((r - minimum) % modulus) for r in sorted(
        residues, key=lambda r: (r - minimum) % modulus)), None)
    if smallest is not None and hi_bound is not None and smallest > hi_bound:
        smallest = None
    v = AxisValidity(key, names, modulus, tuple(residues), minimum, hi_bound, smallest, current)
    nearest = _nearest(v, current) if current is not None and not v.contains(current) else ()
    return AxisValidity(key, names, modulus, tuple(residues), minimum, hi_bound, smallest,
                        current, nearest, _text(v))


def _pins(axes, value: int) -> bool:
    """Does a fixed size meet one that depends on the input anywhere (a gate of size 1
    broadcast over a volume does not pin it)? Fixed sizes are the same at every input, so
    one run at a size where every layer keeps a cell tells."""
    signs: list = []
    for ax in axes:
        if ax.pinned:
            ax.run(value, signs)
    return bool(signs)


def _search_pinned(key, names, axes, current, multiple, minimum, hi_bound):
    """The sizes that fit when a fixed size meets one that depends on the input at a merge.
    Every size grows with the input (each axis map is monotone), so the inputs that meet
    every fixed size form one interval [a, b], found by bisection; each size in it is then
    tried (at most MAX_MODULUS of them). The answer is that finite set."""
    def side(v: int, sign: int) -> bool:  # some varying size is below (-1) / above (+1)
        signs: list = []
        for ax in axes:
            ax.run(v, signs)
        return sign in signs

    a = _first(minimum, lambda v: not side(v, -1))
    b = None if a is None else _first(a, lambda v: side(v, +1))
    b = None if b is None else b - 1
    if hi_bound is not None and b is not None:
        b = min(b, hi_bound)
    if a is None or b is None or b < a:
        return AxisValidity(key, names, 1, (), minimum, hi_bound, None, current,
                            text=f"no {key} fits")
    if b - a + 1 > MAX_MODULUS:
        return AxisValidity(key, names, 1, (), minimum, hi_bound, None, current,
                            reason=f"a fixed size meets one that depends on {key}, and more "
                                   f"than {MAX_MODULUS:,} sizes could meet it")
    fits = [v for v in range(a, b + 1)
            if v % multiple == 0 and all(ax.run(v)[1] for ax in axes)]
    if not fits:
        return AxisValidity(key, names, 1, (), minimum, hi_bound, None, current,
                            text=f"no {key} fits")
    first, last = fits[0], fits[-1]
    modulus, residues = _reduce(last - first + 1, sorted({v % (last - first + 1)
                                                          for v in fits}))
    v = AxisValidity(key, names, modulus, tuple(residues), first, last, first, current)
    nearest = _nearest(v, current) if current is not None and not v.contains(current) else ()
    listed = ", ".join(str(f) for f in fits[:8]) + (", …" if len(fits) > 8 else "")
    text = f"{key} = {first} only" if len(fits) == 1 else \
        f"{key} ∈ {{{listed}}}" if len(fits) <= 8 else _text(v)
    return AxisValidity(key, names, modulus, tuple(residues), first, last, first, current,
                        nearest, text + " (a fixed size meets one that depends on it)")


def _first(start: int, holds) -> int | None:
    """The smallest v ≥ start where the monotone `holds` is true (doubling, then
    bisection), or None below SEARCH_LIMIT."""
    if holds(start):
        return start
    lo, step = start, 1
    while not holds(lo + step):
        lo += step
        step *= 2
        if lo + step > SEARCH_LIMIT:
            return None
    hi = lo + step  # holds(hi), not holds(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _reduce(modulus: int, residues: list[int]) -> tuple[int, list[int]]:
    """The smallest modulus d | M such that the residue set is a union of classes mod d."""
    rs = set(residues)
    for d in range(1, modulus + 1):
        if modulus % d:
            continue
        small = {r % d for r in rs}
        if len(small) * (modulus // d) == len(rs):
            return d, sorted(small)
    return modulus, sorted(rs)


def _nearest(v: AxisValidity, current: int) -> tuple[int, ...]:
    """The largest valid size below `current` and the smallest above it, from the residues
    (at most MAX_MODULUS of them), not by stepping through sizes: `current` may be 2⁶²."""
    if not v.residues:
        return ()
    found = []
    top = current - 1 if v.maximum is None else min(current - 1, v.maximum)
    below = max(top - (top - r) % v.modulus for r in v.residues)
    if below >= v.minimum:
        found.append(below)
    start = max(current + 1, v.minimum)
    above = min(start + (r - start) % v.modulus for r in v.residues)
    if v.contains(above):
        found.append(above)
    return tuple(found)


def _text(v: AxisValidity) -> str:
    k = v.symbol
    upper = f", {k} ≤ {v.maximum}" if v.maximum is not None else ""
    if not v.residues:
        return f"no {k} fits"
    if v.modulus == 1:
        return f"any {k} ≥ {v.minimum}{upper}"
    res = ", ".join(str(r) for r in v.residues)
    return f"{k} ≡ {res} (mod {v.modulus}), {k} ≥ {v.minimum}{upper}"
