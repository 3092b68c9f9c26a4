"""`archcalc fit`'s answer and `archcalc sweep`'s table, as text, CSV, JSON or Markdown.

A figure prints exactly with its short form (`25,557,032 (25.56 M)`); a memory figure in
bytes with its binary unit (`80.00 GiB`). Values that are fractions (a figure of a
formula at a value where it is not whole: never at a valid point) print as p/q.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

from .numbers import both, size_bytes

# archcalc/fit/figures.py's memory figures, printed in bytes. The results printed here
# (fit/solve.py's FitResult, fit/sweep.py's Sweep, their Points and Constraints) are read
# by their attributes: the render package stays below fit/, which builds on design.py.
MEMORY = ("memory", "train_memory")


def figure_text(name: str, value) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    return size_bytes(int(value)) if name in MEMORY else both(int(value))


def _figures(p, names) -> str:
    return "; ".join(f"{n} {figure_text(n, p.figures[n])}" for n in names if n in p.figures)


def _why(fails: tuple, p) -> str:
    return "; ".join(f"{c.figure} = {figure_text(c.figure, p.figures[c.figure])}, not "
                     f"{c.op} {bound_text(c)}" if c.figure in p.figures else
                     f"{c.figure} is not defined there" for c in fails)


def bound_text(c) -> str:
    b = c.bound
    return f"{b.numerator:,}" if b.denominator == 1 else f"{float(b):g}"


def render_fit(r, constraints: tuple, name: str,
               shown: tuple[str, ...]) -> str:
    s, word = r.symbol, ("largest" if r.maximize else "smallest")
    budget = " and ".join(c.text for c in constraints)
    out = []
    if r.answer is None:
        out.append(f"{name}: no {s} from {r.lo} to {r.hi} meets {budget}")
        if r.closest is not None and r.closest.valid is False:
            out.append(f"  no value fits every layer: at {s} = {r.closest.values[0]}, "
                       f"{r.closest.problem}")
        elif r.closest is not None:
            first = r.closest_fails[0]
            out.append(f"  {first.text} fails first: at {s} = {r.closest.values[0]} "
                       f"(the nearest to meeting it), {_why((first,), r.closest)}")
            if len(r.closest_fails) > 1:
                out.append(f"  also failing there: {_why(r.closest_fails[1:], r.closest)}")
    else:
        v = r.answer.values[0]
        out.append(f"{name}: the {word} {s} with {budget} is {s} = {v}")
        out.append(f"  at {s} = {v}: {_figures(r.answer, shown)}")
        if r.beyond is not None:
            b = r.beyond.values[0]
            if r.beyond_note:
                out.append(f"  {r.beyond_note}")
            if r.beyond_fails:
                out.append(f"  {s} = {b} (the next valid value) fails: "
                           f"{_why(r.beyond_fails, r.beyond)}")
            else:
                out.append(f"  {s} = {b}, past the searched range, meets the budget too: "
                           "widen --range to search further")
        elif r.beyond_note:
            out.append(f"  {r.beyond_note}")
    past = ("down to the answer" if r.maximize else "up to the answer") \
        if r.answer is not None else "every value"
    out.append(f"  searched {s} = {r.lo}..{r.hi}, {past} (upper end: {r.how}); "
               f"{r.evaluated:,} value{'s' if r.evaluated != 1 else ''} {'analysed' if r.mode == 'points' else 'from the formulas'}"
               f", {r.analyses} full {'analysis' if r.analyses == 1 else 'analyses'} to check")
    if r.not_monotone:
        out.append(f"  not monotone in {s}: {', '.join(r.not_monotone)} — every value past the "
                   "answer was evaluated; values past the range may meet the budget again")
    if r.note:
        out.append(f"  note: {r.note}")
    return "\n".join(out) + "\n"


def sweep_table(sw) -> tuple[list[str], list[list]]:
    """(header, rows) with the raw values (ints, Fractions, None/bool)."""
    head = [a.symbol for a in sw.axes] + ["valid", *sw.figures] + (["meets"] if sw.constraints else [])
    rows = []
    for row in sw.rows:
        p = row.point
        valid = {True: "yes", False: "no", None: "?"}[p.valid]
        cells = [*p.values, valid, *(p.figures.get(n) for n in sw.figures)]
        if sw.constraints:
            cells.append("yes" if row.meets else "no")
        rows.append(cells)
    return head, rows


def _cell(x, json_like: bool = False):
    if isinstance(x, Fraction):
        return (str(x) if x.denominator != 1 else x.numerator)
    return x


def render_sweep(sw, fmt: str) -> str:
    head, rows = sweep_table(sw)
    if fmt == "json":
        data = {"symbols": [a.symbol for a in sw.axes], "figures": list(sw.figures),
                "constraints": [c.text for c in sw.constraints], "mode": sw.mode,
                "note": sw.note, "rows": [dict(zip(head, map(_cell, r))) for r in rows]}
        return json.dumps(data, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(head)
        w.writerows([["" if c is None else _cell(c) for c in r] for r in rows])
        return buf.getvalue()
    text = [[_text(h, c) for h, c in zip(head, r)] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in text]
        return "\n".join(lines) + "\n" + (f"\n{sw.note}\n" if sw.note else "")
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in text]
    return "\n".join(lines) + "\n" + (f"note: {sw.note}\n" if sw.note else "")


def _text(head: str, c) -> str:
    if c is None:
        return "—"
    if isinstance(c, str):
        return c
    if head in MEMORY:
        return size_bytes(int(c)) if not isinstance(c, Fraction) else str(c)
    c = _cell(c)
    return f"{c:,}" if isinstance(c, int) else str(c)
