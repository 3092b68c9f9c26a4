"""The largest (or smallest) value of one symbol that meets a budget, found and checked.

The values searched are the symbol's own: whole numbers from its minimum (at least 1), in
steps of its `multiple_of` — or, for a fraction symbol (a width multiplier), multiples of a
decimal step (`--step`, 0.01 by default: PyTorch users write multipliers to two places) —
to an upper end that is, in order, the range stated on the command line, the symbol's
`max`, or the first power-of-two multiple of the start at which the budget fails (for
`--max`, once it has been met or where a budget from above fails; for `--min`, where it
is first met), at most `MAX_POINTS` values on. The range is walked from its best end (the
top for `--max`) value by value — so a figure that is not monotone in the symbol (a size
that jumps where a stride stops dividing it) cannot hide an answer — and the first value
that fits every layer and meets every clause, confirmed by a full analysis (whose figures
must be the formulas'), is the answer: every value past it was evaluated and fails. The
next valid value beyond it is analysed in full too, and the result says why it fails.
With no answer every value of the range has been evaluated, and the clause that fails
where the budget comes nearest is named. A figure that is not monotone over the values
evaluated is named: a value beyond the range may meet the budget again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ..errors import Diagnostic, SpecError
from .constraints import Constraint
from .probe import Point, Probe

MAX_POINTS = 1 << 20      # values evaluated from the formulas in one search
MAX_ANALYSES = 200        # full analyses in one search (re-expansion, confirmation)
FRACTION_STEP = Decimal("0.01")  # a fraction symbol's grid unless --step says otherwise


@dataclass(frozen=True)
class FitResult:
    symbol: str
    maximize: bool
    lo: int
    hi: int
    how: str                            # where the range's upper end came from
    answer: Point | None
    beyond: Point | None = None         # the next valid value past the answer, exactly
    beyond_fails: tuple[Constraint, ...] = ()
    beyond_note: str = ""               # why there is none, or why the values between fail
    closest: Point | None = None        # no answer: the value that comes nearest
    closest_fails: tuple[Constraint, ...] = ()
    not_monotone: tuple[str, ...] = ()  # figures that go up and down over the range
    evaluated: int = 0
    analyses: int = 0
    mode: str = "formula"
    note: str = ""
    structures: int = 0                 # formula mode: the structures the values took


def failing(c: tuple[Constraint, ...], p: Point) -> tuple[Constraint, ...]:
    return tuple(x for x in c if x.figure not in p.figures or not x.holds(p.figures[x.figure]))


def solve(probe: Probe, constraints: tuple[Constraint, ...], maximize: bool = True,
          lo=None, hi=None, step: Decimal | None = None) -> FitResult:
    """The search runs over whole indices k; `_at` makes the values (k, or k·step for a
    fraction symbol), so the same search serves both."""
    symbol = " = ".join(probe.symbols)  # several: tied, one value for all (H = W)
    decl = _Decl.of(probe, step)
    lo, hi = decl.index(lo, up=True), decl.index(hi, up=False)
    step = decl.multiple_of
    low = max(1, lo or 1, decl.min)
    low = -(-low // step) * step
    limit = probe.mode == "points" and MAX_ANALYSES or MAX_POINTS
    if hi is not None:
        high, how = (min(hi, decl.max), "the stated range") if decl.max else (hi, "the stated range")
        if (high - low) // step + 1 > limit:
            raise _too_many(symbol, decl.value(low), decl.value(high), limit)
    else:
        high, how = _doubling(probe, constraints, maximize, low, step, limit, decl.max, decl)
    values = range(low, high + 1, step)
    points, answer = [], None
    # From the best end: the first value that meets the budget and that a full analysis
    # confirms is the answer, every value past it having been evaluated and failed.
    for v in (reversed(values) if maximize else values):
        cand = probe.at(decl.at(probe, v))
        points.append(cand)
        if cand.valid is False or failing(constraints, cand):
            continue
        if probe.analyses >= MAX_ANALYSES:
            break
        exact = probe.exact(cand.values) if cand.valid is None or probe.mode != "points" \
            else cand
        if exact.valid is False:
            continue
        if failing(constraints, exact) or any(
                exact.figures.get(n, x) != x for n, x in cand.figures.items()):
            raise disagree(symbol, cand, exact)
        answer = exact
        break
    if maximize:
        points.reverse()
    common = dict(symbol=symbol, maximize=maximize, lo=decl.value(low), hi=decl.value(high),
                  how=how,
                  not_monotone=_not_monotone(points, constraints), evaluated=len(points),
                  mode=probe.mode, note=probe.note, structures=probe.structures)
    if answer is None:
        closest, fails = _closest(points, constraints, maximize)
        return FitResult(answer=None, closest=closest, closest_fails=fails,
                         analyses=probe.analyses, **common)
    k = decl.index(answer.values[0], up=True)
    beyond, note = _beyond(probe, k, step if maximize else -step, low, decl)
    fails = failing(constraints, beyond) if beyond else ()
    if beyond is not None and not fails and low <= decl.index(beyond.values[0], True) <= high:
        raise disagree(symbol, beyond, beyond)
    return FitResult(answer=answer, beyond=beyond, beyond_fails=fails, beyond_note=note,
                     analyses=probe.analyses, **common)


@dataclass(frozen=True)
class _Decl:
    """The constraints of the symbols solved for, together, in indices k of the grid:
    the values are k (whole symbols) or k·unit (fraction symbols)."""

    multiple_of: int
    min: int
    max: int | None
    unit: Decimal | None = None  # a fraction symbol's step; None: whole numbers

    @staticmethod
    def of(probe: Probe, step: Decimal | None = None) -> _Decl:
        decls = [d for d in map(probe.design.spec.symbol_decl, probe.symbols) if d is not None]
        if any(d.fraction for d in decls):
            unit = step or FRACTION_STEP
            lows = [math.ceil(Decimal(str(d.min)) / unit) for d in decls if d.min is not None]
            highs = [math.floor(Decimal(str(d.max)) / unit) for d in decls if d.max is not None]
            return _Decl(1, max([1, *lows]), min(highs) if highs else None, unit)
        maxes = [d.max for d in decls if d.max is not None]
        return _Decl(math.lcm(1, *(d.multiple_of or 1 for d in decls)),
                     max([1, *(d.min or 1 for d in decls)]), min(maxes) if maxes else None)

    def value(self, k: int):
        return k if self.unit is None else (k * self.unit).normalize()

    def index(self, v, up: bool):
        """The grid index of a value (None stays None), rounded up or down onto the grid."""
        if v is None:
            return v
        q = Decimal(str(v)) / (self.unit or 1)
        return math.ceil(q) if up else math.floor(q)

    def at(self, probe: Probe, k: int) -> tuple:
        return (self.value(k),) * len(probe.symbols)


def _doubling(probe, constraints, maximize, low, step, limit, top, decl) -> tuple[int, str]:
    """The range's upper end: --min, the first doubling at which the budget is met; --max,
    the first at which it fails after one at which it was met, or where a budget from
    above (`<=`, `<`) fails — a budget from below (`layer4.H >= 7`) is not met by small
    values, and the largest that meets it lies further on."""
    v, seen = low, False
    while True:
        if top is not None and v >= top:
            return top - (top - low) % step, "the symbol's maximum"
        p = probe.at(decl.at(probe, v))
        fails = failing(constraints, p) if p.valid is not False else ()
        met = p.valid is not False and not fails
        seen = seen or met
        if p.valid is not False and met != maximize and (
                not maximize or seen or all(c.upper for c in fails)):
            return v, "the first doubling at which the budget " + \
                ("fails" if maximize else "is met")
        nxt = -(-(2 * v) // step) * step
        if (nxt - low) // step + 1 > limit:
            return v, f"the search's limit ({limit:,} values)"
        v = nxt


def _beyond(probe: Probe, start: int, delta: int, low: int, decl):
    """The next valid value past the answer, analysed in full; or why there is none."""
    v, skipped = start + delta, ""
    for _ in range(MAX_ANALYSES):
        if v < low:
            return None, f"{decl.value(start)} is the smallest value {probe.symbols[0]} takes"
        if decl.max is not None and v > decl.max:
            return None, f"{decl.value(start)} is the largest value {probe.symbols[0]} takes"
        p = probe.at(decl.at(probe, v))
        if p.valid is not False:
            p = probe.exact(decl.at(probe, v))
            if p.valid is not False:
                return p, skipped
        skipped = skipped or f"{probe.symbols[0]} = {decl.value(v)} does not fit: {p.problem}"
        v += delta
    return None, "no valid value within the next checks"


def _closest(points, constraints, maximize):
    valid = [p for p in points if p.valid is not False]
    if not valid:
        return (points[0] if points else None), ()
    order = valid if maximize else valid[::-1]
    best = min(order, key=lambda p: len(failing(constraints, p)))
    return best, failing(constraints, best)


def _not_monotone(points, constraints) -> tuple[str, ...]:
    out = []
    for name in dict.fromkeys(c.figure for c in constraints):
        seq = [p.figures[name] for p in points if p.valid is not False and name in p.figures]
        pairs = list(zip(seq, seq[1:]))
        if any(a < b for a, b in pairs) and any(a > b for a, b in pairs):
            out.append(name)
    return tuple(out)


def _too_many(symbol, low, high, limit) -> SpecError:
    return SpecError(Diagnostic("error", f"{symbol} from {low} to {high} is more than "
                                f"{limit:,} values to search", None,
                                ("state a smaller range with --range LO..HI",), code="range"))


def disagree(symbol, formula: Point, exact: Point) -> SpecError:
    # The formulas and the analysis are one arithmetic; this is a bug, said as one.
    return SpecError(Diagnostic("error", f"internal: the formulas and a full analysis disagree "
                                f"at {symbol} = {formula.values[0]} ({formula.figures} vs "
                                f"{exact.figures})", None, code="internal"))
