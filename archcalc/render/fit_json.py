"""`archcalc fit --format json|markdown`: the answer as data, and as a Markdown report.

JSON keys are documented by docs/fit.schema.json (`schema: "archcalc.fit/1"`) and only
ever added within a version. A value of the symbol is a JSON integer, or for a fraction
symbol (a width multiplier) the decimal as a string ("1.23": exact, as `--range` takes it).
A figure is a JSON integer (exact at any size: Python's json writes big ints whole), or
"p/q" where a formula is not whole (never at a valid value). The result (`fit/solve.py`'s
FitResult) is read by its attributes, as `fit_text.py` reads it.
"""

from __future__ import annotations

import json
from fractions import Fraction

from .. import __version__
from .fit_text import bound_text, figure_text

SCHEMA = "archcalc.fit/1"


def fit_data(r, constraints: tuple, name: str, shown: tuple[str, ...]) -> dict:
    def point(p, fails=None) -> dict | None:
        if p is None:
            return None
        out = {"value": _value(p.values[0]), "valid": p.valid,
               "figures": {n: _figure(p.figures[n]) for n in shown if n in p.figures}}
        if p.problem:
            out["problem"] = p.problem
        if fails is not None:
            out["fails"] = [c.text for c in fails]
        return out

    first = None
    if r.answer is None and r.closest is not None and r.closest_fails:
        first = r.closest_fails[0].text
    return {
        "schema": SCHEMA, "archcalc_version": __version__, "name": name,
        "symbol": r.symbol, "goal": "max" if r.maximize else "min",
        "constraints": [{"text": c.text, "figure": c.figure, "op": c.op,
                         "bound": _figure(c.bound)} for c in constraints],
        "found": r.answer is not None,
        "answer": point(r.answer),
        "next": point(r.beyond, r.beyond_fails) if r.answer is not None else None,
        "next_note": r.beyond_note,
        "closest": point(r.closest, r.closest_fails) if r.answer is None else None,
        "fails_first": first,
        "searched": {"low": _value(r.lo), "high": _value(r.hi), "upper_end": r.how,
                     "from": "high" if r.maximize else "low", "values": r.evaluated, "full_analyses": r.analyses,
                     "mode": r.mode, "structures": r.structures},
        "not_monotone": list(r.not_monotone),
        "note": r.note,
    }


def render_fit_json(r, constraints: tuple, name: str, shown: tuple[str, ...]) -> str:
    return json.dumps(fit_data(r, constraints, name, shown), indent=1,
                      ensure_ascii=False) + "\n"


def render_fit_markdown(r, constraints: tuple, name: str, shown: tuple[str, ...]) -> str:
    s, word = r.symbol, ("largest" if r.maximize else "smallest")
    budget = " and ".join(f"`{c.text}`" for c in constraints)
    out = [f"## {name}: the {word} {s} with {budget}", ""]
    cols = [(p, fails) for p, fails in ((r.answer, ()), (r.beyond, r.beyond_fails),
                                         (r.closest, r.closest_fails)) if p is not None]
    if r.answer is None:
        out += [f"**No value** of {s} from {r.lo} to {r.hi} meets the budget."
                + (f" `{r.closest_fails[0].text}` fails first (at {s} = "
                   f"{r.closest.values[0]}, the nearest to meeting it)."
                   if r.closest is not None and r.closest_fails else ""), ""]
    else:
        out += [f"**{s} = {r.answer.values[0]}**", ""]
    if cols:
        heads = [f"{s} = {p.values[0]}" + (" (answer)" if p is r.answer else
                                           " (next)" if p is r.beyond else " (nearest)")
                 for p, _ in cols]
        out += ["| figure | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(cols)]
        for n in dict.fromkeys([*shown, *(c.figure for c in constraints)]):
            cells = []
            for p, fails in cols:
                v = p.figures.get(n)
                bad = [c for c in fails if c.figure == n]
                cells.append("—" if v is None else figure_text(n, v) +
                             "".join(f" ✗ (not {c.op} {bound_text(c)})" for c in bad))
            out.append(f"| {n} | " + " | ".join(cells) + " |")
        out.append("")
    if r.beyond_note:
        out += [r.beyond_note, ""]
    out.append(f"Searched {s} = {r.lo}..{r.hi} from the {'top' if r.maximize else 'bottom'}, "
               f"every value {'to the answer' if r.answer is not None else ''} (upper end: {r.how}): "
               f"{r.evaluated:,} values, {r.analyses} full analyses to check.")
    if r.not_monotone:
        out.append(f"Not monotone in {s}: {', '.join(r.not_monotone)}.")
    if r.note:
        out.append(f"Note: {r.note}")
    return "\n".join(out) + "\n"


def _value(v):
    return v if isinstance(v, int) else str(v)


def _figure(v):
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
