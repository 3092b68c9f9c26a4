"""What the TUI's worker runs on every edit: text -> analysis (or the error), off the UI
thread. Pure: the result is plain immutable data the widgets only display."""

from __future__ import annotations

from dataclasses import dataclass

from archcalc.analysis import Analysis
from archcalc.analysis.memory import MemoryEstimate, estimate
from archcalc.design import Design
from archcalc.errors import Diagnostic, SpecError
from archcalc.spec import parse_text


@dataclass(frozen=True)
class Result:
    version: int                       # which edit of the text this is for
    analysis: Analysis | None = None
    memory: MemoryEstimate | None = None
    error: SpecError | None = None
    input_symbols: tuple[str, ...] = ()
    design: Design | None = None       # what the budget panel (budget.py) solves on


def run(text: str, name: str, bindings: dict, version: int, cache: dict) -> Result:
    """The text at the bindings the user typed; a name the spec does not declare (a symbol
    renamed in the editor) is the spec's problem, shown with a did-you-mean."""
    try:
        design = Design(parse_text(text, name), bindings, cache=cache)
        design.graph  # noqa: B018 - a graph error is the spec's, like a parse error
    except SpecError as exc:
        return Result(version, error=exc)
    analysis = design.analysis
    return Result(version, analysis, estimate(analysis), None, design.input_symbols, design)


def formulas(result: Result) -> Analysis | None:
    """The analysis with the input's symbols left free: each shape as a formula of H, W
    (None when the input has none). Apart from `run`, and asked for only while the
    formulas are shown (app.py): sympy's work, many times the numbers' for a deep spec."""
    if result.design is None or not result.input_symbols:
        return None
    return result.design.rebind(free=result.input_symbols).analysis


def internal_error(version: int, exc: Exception) -> Result:
    """A bug met while analysing, shown as a problem of the spec rather than a crash."""
    message = (f"internal error while analysing the spec ({type(exc).__name__}: {exc}); "
               "please report it")
    return Result(version, error=SpecError(Diagnostic("error", message, code="internal")))
