"""What the TUI's worker runs on every edit: text -> analysis (or the error), off the UI
thread. Pure: the result is plain immutable data the widgets only display."""

from __future__ import annotations

from dataclasses import dataclass

from archcalc.analysis import Analysis, analyze
from archcalc.analysis.memory import MemoryEstimate, estimate
from archcalc.errors import Diagnostic, SpecError
from archcalc.graph import build_graph
from archcalc.spec import parse_text


@dataclass(frozen=True)
class Result:
    version: int                       # which edit of the text this is for
    analysis: Analysis | None = None
    symbolic: Analysis | None = None   # the input's symbols left free: the formulas
    memory: MemoryEstimate | None = None
    error: SpecError | None = None
    input_symbols: tuple[str, ...] = ()


def run(text: str, name: str, bindings: dict, version: int, cache: dict) -> Result:
    try:
        spec = parse_text(text, name)
        graph = build_graph(spec)
    except SpecError as exc:
        return Result(version, error=exc)
    values = {**spec.defaults, **{k: v for k, v in bindings.items() if spec.symbol_decl(k)}}
    analysis = analyze(spec, values, graph=graph, cache=cache)
    inputs = tuple(str(d) for d in spec.input[1:] if getattr(d, "is_Symbol", False))
    symbolic = None
    if inputs:
        free = {k: v for k, v in values.items() if k not in inputs}
        symbolic = analyze(spec, free, graph=graph, cache=cache)
    return Result(version, analysis, symbolic, estimate(analysis), None, inputs)


def internal_error(version: int, exc: Exception) -> Result:
    """A bug met while analysing, shown as a problem of the spec rather than a crash."""
    message = (f"internal error while analysing the spec ({type(exc).__name__}: {exc}); "
               "please report it")
    return Result(version, error=SpecError(Diagnostic("error", message, code="internal")))
