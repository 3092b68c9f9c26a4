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
from .structures import Structure, Structures

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
        self._note = ""
        if symbols == (BATCH,) and design.spec.symbol_decl(BATCH) is None:
            self.mode = "batch"
            self._batch_formulas()
            return
        self.mode = "formula"
        try:
            self._structures = Structures(design, symbols)
            first = self._structures.find(self._representative())
            why = self._formulas(first) if first is not None else "no structure"
        except SpecError as exc:
            why = exc.diagnostics[0].message
        if why:
            self._points(why)

    def _representative(self) -> tuple:
        """The value the first structure is made at: the design's own (a default)."""
        v = self.design.values.get(self.symbols[0])
        if v is None:
            decl = self.design.spec.symbol_decl(self.symbols[0])
            v = decl.min if decl is not None and decl.min is not None else 1
        return _exact((Decimal(str(v)) if isinstance(v, Real) else v,) * len(self.symbols))

    def _formulas(self, st: Structure) -> str:
        """Compile a structure's formulas (kept on it); why they cannot be had, or ''."""
        if "run" in st.memo:
            return st.memo["why"]
        a, why, run, sets = st.analysis, st.problem, None, {}
        if a is not None:
            exprs = figure_exprs(a, self.names, self.memory)
            unknown = {str(x) for e in exprs.values() for x in e.free_symbols} - \
                set(self.symbols)
            why = next((d.message for d in a.findings if d.severity == "error"), "") or \
                (f"the figures also depend on {', '.join(sorted(unknown))}" if unknown else "")
            if not why:
                names = tuple(exprs)
                fn = compile_many(tuple(exprs.values()), self._structures.symbols)
                run = (names, fn)
                sets = {v.symbol: v for v in a.valid_inputs if not v.reason}
        st.memo.update(run=run, why=why, sets=sets)
        return why

    def _points(self, why: str) -> None:
        self.mode = "points"
        self._note = (f"{', '.join(self.symbols)} changes the graph or cannot be left free "
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
        self._note = ("params, macs, flops and activations are per sample; memory and "
                     "train_memory at the batch")

    def _compile(self, exprs: dict, syms: tuple) -> None:
        self._batch = (tuple(exprs), compile_many(tuple(exprs.values()), syms))

    # -- points -------------------------------------------------------------------------
    def at(self, values: tuple[int, ...]) -> Point:
        """The figures at `values`: from the formulas where there are, else `exact`."""
        if self.mode == "points":
            return self.exact(values)
        exact = _exact(values)
        if self.mode == "batch":
            names, run = self._batch
            return Point(values, dict(zip(names, map(number, run(exact)))))
        for s, v in zip(self.symbols, exact):
            decl = self.design.spec.symbol_decl(s)
            problem = decl.violation(v) if decl else None
            if problem:
                return Point(values, {}, False, problem)
        st = self._structures.find(exact)
        if st is None or self._formulas(st):
            return self.exact(values)  # a structure without formulas: analysed in full
        names, run = st.memo["run"]
        figures = dict(zip(names, map(number, run(exact))))
        valid: bool | None = True
        for s, v in zip(self.symbols, exact):
            sets = st.memo["sets"]
            if s in sets:
                if not sets[s].contains(v):
                    return Point(values, figures, False,
                                 f"{s} = {v} does not fit every layer ({sets[s].text})")
            else:
                valid = None
        return Point(values, figures, valid)

    @property
    def note(self) -> str:
        """What the answer says of how the figures were had."""
        n = self.structures
        if n > 1:
            return (f"{', '.join(self.symbols)} changes the structure (where a shortcut is): "
                    f"the values searched take {n} structures, each analysed once with "
                    f"{', '.join(self.symbols)} left free and its formulas evaluated at "
                    "each of its values")
        return self._note

    @property
    def structures(self) -> int:
        """The structures the values searched take (formula mode; 1 for most symbols)."""
        return self._structures.count if self.mode == "formula" else 0

    def exact(self, values: tuple[int, ...]) -> Point:
        """The figures of a full analysis (or memory estimate) at `values`, cached."""
        if values not in self._exact:
            self._exact[values] = self._analyse(values)
        return self._exact[values]

    @property
    def analyses(self) -> int:
        """Full analyses at a value (symbolic ones, one a structure, not counted)."""
        return len(self._exact)

    def _analyse(self, values: tuple[int, ...]) -> Point:
        if self.mode == "batch":
            opts = MemoryOptions(values[0], self.memory.dtype, self.memory.optimizer)
            m = estimate(self.design.analysis, *vars(opts).values())
            figures = figure_exprs(self.design.analysis, self.names, opts)
            figures.update({"memory": m.activations, "train_memory": m.training})
            return Point(values, {n: _int(figures[n]) for n in self._batch[0]})
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


def _int(e) -> Number:
    e = sp.sympify(e)
    if not e.is_Rational:  # a symbol with no default that the command line did not bind
        names = ", ".join(sorted(map(str, e.free_symbols)))
        raise SpecError(Diagnostic("error", f"the figures depend on {clip(names)}: bind "
                                   "with NAME=VALUE", None, code="binding"))
    return number(Fraction(int(e.p), int(e.q)))
