"""A design's figures as a function of one or two of its symbols (or of the batch size).

Three ways, chosen once per question:
- **formula** — the analysis with the symbols left free gives every figure as a formula
  in them (`Design(free=…)`); `evaluate.py` compiles each once and every point costs
  microseconds. Whether an input size fits every layer comes from the analysis' own
  valid-input set; for another symbol (a width) the formula cannot tell, so a candidate
  answer is confirmed by a full analysis at it (`exact`).
- **points** — where the symbol changes the graph (a depth that sets `repeat:`, or the
  analysis cannot leave it free), the spec is expanded and analysed anew at each point:
  unavoidable, and cached.
- **batch** — `batch`, when the spec has no symbol of that name: the memory estimate is
  affine in the batch size (parameters, gradients and optimizer state once, what autograd
  saves once per sample), so two estimates give its formula; `exact` asks the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import sympy as sp

from ..analysis.memory import estimate
from ..design import Design
from ..errors import Diagnostic, SpecError, clip
from ..spec.scalars import Real
from .evaluate import Number, compile_many, number
from .figures import MemoryOptions, figure_exprs

BATCH = "batch"


@dataclass(frozen=True)
class Point:
    values: tuple[int, ...]
    figures: dict[str, Number] = field(default_factory=dict)
    valid: bool | None = True   # None: not known without a full analysis (`exact`)
    problem: str = ""           # why it is not valid


class Probe:
    def __init__(self, design: Design, symbols: tuple[str, ...], names: tuple[str, ...],
                 memory: MemoryOptions):
        self.design, self.symbols, self.names, self.memory = design, symbols, names, memory
        self._exact: dict[tuple[int, ...], Point] = {}
        self.note = ""
        if symbols == (BATCH,) and design.spec.symbol_decl(BATCH) is None:
            self.mode = "batch"
            self._batch_formulas()
            return
        try:
            free = design.rebind(free=symbols)
            a = free.analysis
            exprs = figure_exprs(a, names, memory)
        except SpecError as exc:
            self._points(exc.diagnostics[0].message)
            return
        unknown = {str(s) for e in exprs.values() for s in e.free_symbols} - set(symbols)
        if not a.ok or unknown:
            why = next((d.message for d in a.findings if d.severity == "error"), "") or \
                f"the figures also depend on {', '.join(sorted(unknown))}"
            self._points(why)
            return
        syms = _the_symbols(exprs, symbols)
        self.mode = "formula"
        self._compile(exprs, syms)
        self._sets = {v.symbol: v for v in a.valid_inputs if not v.reason}

    def _points(self, why: str) -> None:
        self.mode = "points"
        self.note = (f"{', '.join(self.symbols)} changes the graph or cannot be left free "
                     f"({clip(why, 160)}): the spec is expanded and analysed at each point "
                     "(cached)")

    def _batch_formulas(self) -> None:
        a = self.design.analysis
        b = sp.Symbol(BATCH)
        exprs = figure_exprs(a, self.names, MemoryOptions(1, self.memory.dtype,
                                                          self.memory.optimizer))
        two = figure_exprs(a, self.names, MemoryOptions(2, self.memory.dtype,
                                                        self.memory.optimizer))
        # affine: f(b) = f(1) + (f(2) − f(1))·(b − 1)
        self._compile({n: e + (two[n] - e) * (b - 1) for n, e in exprs.items()}, (b,))
        self._sets = {}
        self.note = ("params, macs, flops and activations are per sample; memory and "
                     "train_memory at the batch")

    def _compile(self, exprs: dict, syms: tuple) -> None:
        self._names = tuple(exprs)
        self._run = compile_many(tuple(exprs.values()), syms)

    # -- points -------------------------------------------------------------------------
    def at(self, values: tuple[int, ...]) -> Point:
        """The figures at `values`: from the formulas where there are, else `exact`."""
        if self.mode == "points":
            return self.exact(values)
        figures = dict(zip(self._names, map(number, self._run(_exact(values)))))
        if self.mode == "batch":
            return Point(values, figures)
        valid: bool | None = True
        for s, v in zip(self.symbols, _exact(values)):
            decl = self.design.spec.symbol_decl(s)
            problem = decl.violation(v) if decl else None
            if problem:
                return Point(values, figures, False, problem)
            if s in self._sets:
                if not self._sets[s].contains(v):
                    return Point(values, figures, False,
                                 f"{s} = {v} does not fit every layer ({self._sets[s].text})")
            else:
                valid = None
        return Point(values, figures, valid)

    def exact(self, values: tuple[int, ...]) -> Point:
        """The figures of a full analysis (or memory estimate) at `values`, cached."""
        if values not in self._exact:
            self._exact[values] = self._analyse(values)
        return self._exact[values]

    @property
    def analyses(self) -> int:
        return len(self._exact)

    def _analyse(self, values: tuple[int, ...]) -> Point:
        if self.mode == "batch":
            opts = MemoryOptions(values[0], self.memory.dtype, self.memory.optimizer)
            m = estimate(self.design.analysis, *vars(opts).values())
            figures = figure_exprs(self.design.analysis, self.names, opts)
            figures.update({"memory": m.activations, "train_memory": m.training})
            return Point(values, {n: _int(figures[n]) for n in self._names})
        try:
            d = self.design.rebind(dict(zip(self.symbols, map(_binding, values))))
            a = d.analysis
        except SpecError as exc:
            return Point(values, {}, False, exc.diagnostics[0].message)
        if not a.ok:
            first = next(x for x in a.findings if x.severity == "error")
            return Point(values, {}, False, f"{first.layer + ': ' if first.layer else ''}"
                                            f"{first.message}")
        exprs = figure_exprs(a, self.names, self.memory)
        return Point(values, {n: _int(e) for n, e in exprs.items()})


def _exact(values: tuple) -> tuple:
    """A fraction symbol's values (Decimals: the solver's grid) as exact Fractions."""
    return tuple(Fraction(v) if isinstance(v, Decimal) else v for v in values)


def _binding(value):
    """A value as a binding: a Decimal as the decimal text a spec or `--set` writes."""
    return Real(str(value)) if isinstance(value, Decimal) else value


def _the_symbols(exprs: dict, names: tuple[str, ...]) -> tuple[sp.Symbol, ...]:
    """The free symbols as the analysis made them (their assumptions may differ from a
    plain `Symbol(name)`), in the order of `names`; a symbol no figure reads is a plain one."""
    found = {str(s): s for e in exprs.values() for s in e.free_symbols}
    return tuple(found.get(n, sp.Symbol(n)) for n in names)


def _int(e) -> Number:
    e = sp.sympify(e)
    if not e.is_Rational:  # a symbol with no default that the command line did not bind
        names = ", ".join(sorted(map(str, e.free_symbols)))
        raise SpecError(Diagnostic("error", f"the figures depend on {clip(names)}: bind "
                                   "with NAME=VALUE", None, code="binding"))
    return number(Fraction(int(e.p), int(e.q)))
