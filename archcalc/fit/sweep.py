"""The figures over a range of one symbol, or a grid of two: `archcalc sweep`.

`SYMBOL=START..STOP[:STEP]` names a range (both ends included). The figures come from the
formulas of one analysis with the symbols left free (`probe.py`), so a sweep of 1,000
input sizes costs about one analysis; a width that moves shortcuts costs one analysis per
structure (`structures.py`); where a symbol changes the graph (a depth that sets
`repeat:`), every value is analysed anew and the result says so. Each row says whether
the value fits every layer: for an input size from the analysis' valid-input set; for
another symbol (a width) only a full analysis can tell, made for each value where there
are at most `MAX_ANALYSES` of them (its figures must be the formulas'), else "?". Given a
budget, each row says whether it is met.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from ..errors import Diagnostic, SpecError, clip
from .constraints import Constraint
from .probe import Point, Probe
from .solve import MAX_ANALYSES, MAX_POINTS, disagree, failing

_NUM = r"(\d{1,19}(?:\.\d{1,12})?)"  # a whole number, or a decimal (a width multiplier)
RANGE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*" + _NUM + r"\s*\.\.\s*" + _NUM +
                   r"\s*(?::\s*" + _NUM + r")?\s*$")


@dataclass(frozen=True)
class Axis:
    symbol: str
    start: int | Decimal
    stop: int | Decimal
    step: int | Decimal

    @property
    def count(self) -> int:
        return int((self.stop - self.start) // self.step) + 1

    @property
    def values(self):
        """The range's values: ints, or Decimals where it is written with decimals (a
        fraction symbol's: the probe binds them exactly)."""
        if all(isinstance(v, int) for v in (self.start, self.stop, self.step)):
            return range(self.start, self.stop + 1, self.step)
        return [(self.start + k * self.step).normalize() for k in range(self.count)]


@dataclass(frozen=True)
class SweepRow:
    point: Point
    meets: bool | None   # None: no budget given


@dataclass(frozen=True)
class Sweep:
    axes: tuple[Axis, ...]
    figures: tuple[str, ...]
    rows: tuple[SweepRow, ...]
    constraints: tuple[Constraint, ...]
    mode: str
    note: str


def parse_axis(text: str) -> Axis:
    """`H=32..512:32` as an Axis, or a SpecError saying what is wrong."""
    m = RANGE.match(text)
    if not m:
        raise SpecError(Diagnostic("error", f"{clip(text)!r} is not SYMBOL=START..STOP[:STEP]",
                                   None, ("e.g. H=32..512:32 or width_mult=50..150",),
                                   code="range"))
    name = m.group(1)
    start, stop, step = (_number(g) for g in (m.group(2), m.group(3), m.group(4) or "1"))
    if not 0 < start <= stop or step <= 0 or (isinstance(start, int) and start < 1):
        raise SpecError(Diagnostic("error", f"{clip(text)}: the range needs 0 < START ≤ STOP "
                                   "and STEP > 0", None, code="range"))
    return Axis(name, start, stop, step)


def _number(text: str) -> int | Decimal:
    return Decimal(text) if "." in text else int(text)


def sweep(probe: Probe, axes: tuple[Axis, ...], constraints: tuple[Constraint, ...] = ()
          ) -> Sweep:
    limit = MAX_ANALYSES if probe.mode == "points" else MAX_POINTS
    count = 1
    for a in axes:
        count *= a.count  # counted before any value is made: a range is bounded by us
    if count > limit:
        raise SpecError(Diagnostic("error", f"{count:,} points to sweep; at most {limit:,} "
                                   + ("when each needs its own analysis" if probe.mode == "points"
                                      else ""), None, ("a larger STEP or a smaller range",),
                                   code="range"))
    points = [probe.at(tuple(values)) for values in itertools.product(*(a.values for a in axes))]
    unknown = [i for i, p in enumerate(points) if p.valid is None]
    note = probe.note
    if len(unknown) <= MAX_ANALYSES:  # whether a width fits every layer: a full analysis
        for i in unknown:
            points[i] = _confirmed(probe, points[i])
    else:
        note = (note + "; " if note else "") + (
            f"valid '?': {len(unknown):,} values would each need a full analysis to tell "
            f"(at most {MAX_ANALYSES} are made)")
    rows = []
    for p in points:
        meets = None
        if constraints:
            meets = p.valid is not False and not failing(constraints, p)
        rows.append(SweepRow(p, meets))
    return Sweep(axes, probe.names, tuple(rows), constraints, probe.mode, note)


def _confirmed(probe: Probe, p: Point) -> Point:
    """The point with its validity from a full analysis, which must give its figures."""
    exact = probe.exact(p.values)
    if exact.valid is False:
        return Point(p.values, p.figures, False, exact.problem)
    if exact.figures != {n: v for n, v in p.figures.items() if n in exact.figures}:
        raise disagree(", ".join(probe.symbols), p, exact)
    return exact
