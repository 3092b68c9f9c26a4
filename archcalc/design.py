"""`Design`: a spec, parsed, at these bindings — the one object every command works on.

`Design(spec, {"H": 224})` is the spec at its symbols' defaults with the bindings laid over
them. The bindings are checked when the design is made: a name the spec does not declare
is an error with a did-you-mean, a value outside its symbol's constraints an error at the
symbol's declaration. The graph and the analysis are made once, on first use, and kept;
`rebind` gives the same spec at other values and shares the graph, which does not depend
on them (unless a repeat count reads a symbol). The CLI, the TUI, `build`, the code generator and the trainer all take a Design,
so a command parses its spec once and analyses it once.

What the faces derive from a design — `reference/`'s module plan and generated source —
they keep on it through `memo`, so that the core never imports torch or textual.

Why the name: a Design is what a person makes with archcalc — one network as written, at
the sizes in question. `Spec` is the parsed text, `Graph` its expansion and `Analysis` its
numbers; a Design holds the three together.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

from .analysis import Analysis, analyze
from .analysis.conventions import DEFAULT
from .errors import SourceText, clip, error
from .graph import Graph, build_graph
from .spec import bounds
from .spec.expr import ExprError
from .spec.model import Spec, number
from .spec.scalars import Real
from .suggest import did_you_mean

T = TypeVar("T")


class Design:
    """A spec at a set of symbol values, with its graph and analysis made once (see the
    module docstring). Immutable: every change is a new Design (`rebind`)."""

    def __init__(self, spec: Spec, bindings: Mapping[str, int] | None = None, *,
                 free: Iterable[str] = (), convention: str = DEFAULT, lenient: bool = False,
                 cache: dict | None = None):
        """`free`: symbols whose defaults are left out (`check --symbolic`: the input's
        sizes stay symbols); `lenient` and `cache` are `analyze`'s."""
        given = check_bindings(spec, bindings or {})
        skip = set(free)
        values = {k: v for k, v in spec.defaults.items() if k not in skip}
        values.update(given)
        self._spec = spec
        self._given = MappingProxyType(given)
        self._values = MappingProxyType(values)
        self._convention, self._lenient, self._cache = convention, lenient, cache
        self._graph: Graph | None = None
        self._analysis: Analysis | None = None
        self._memo: dict = {}

    # -- what it is --------------------------------------------------------------------
    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def bindings(self) -> Mapping[str, int]:
        """The values given over the defaults (what a command line or a checkpoint names)."""
        return self._given

    @property
    def values(self) -> Mapping[str, int]:
        """Every symbol's value: the defaults, the bindings over them."""
        return self._values

    @property
    def convention(self) -> str:
        return self._convention

    @property
    def lenient(self) -> bool:
        return self._lenient

    @property
    def source(self) -> SourceText:
        return self._spec.source

    @property
    def input_symbols(self) -> tuple[str, ...]:
        return input_symbols(self._spec)

    # -- what it makes, once -----------------------------------------------------------
    @property
    def graph(self) -> Graph:
        if self._graph is None:
            # A repeat count may read symbols (`repeat: depth`): then the graph is made at
            # these values; otherwise it is the same at every binding (and shared).
            self._graph = build_graph(self._spec, dict(self._values)
                                      if self._spec.symbolic_repeats else None)
        return self._graph

    @property
    def analysis(self) -> Analysis:
        if self._analysis is None:
            self._analysis = analyze(self.graph, self._values, convention=self._convention,
                                     lenient=self._lenient, cache=self._cache)
        return self._analysis

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """What a face derives from this design (a module plan, generated source), made
        once: the design keeps it without knowing what it is."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # -- other values ------------------------------------------------------------------
    def rebind(self, bindings: Mapping[str, int] | None = None, *, free: Iterable[str] = (),
               lenient: bool | None = None) -> Design:
        """The same spec with these bindings over this design's values and the `free`
        symbols unbound; this design itself when nothing changes. The graph is shared, and
        the analysis and memo too where the values are the same."""
        skip = set(free)
        given = {k: v for k, v in self._given.items() if k not in skip}
        given.update(check_bindings(self._spec, bindings or {}))
        values = {k: v for k, v in self._values.items() if k not in skip}
        values.update(given)
        lenient = self._lenient if lenient is None else lenient
        same = values == dict(self._values) and lenient == self._lenient
        if same and given == dict(self._given):
            return self
        other = Design.__new__(Design)
        other.__dict__.update(self.__dict__)
        other._given, other._values = MappingProxyType(given), MappingProxyType(values)
        other._lenient = lenient
        other._graph = self.graph if values == dict(self._values) or \
            not self._spec.symbolic_repeats else None
        if not same:  # what was made depends on the values alone: kept when they are kept
            other._analysis, other._memo = None, {}
        return other

    def __repr__(self) -> str:
        return f"Design({self._spec.name!r}, {dict(self._values)!r})"


def input_symbols(spec: Spec) -> tuple[str, ...]:
    """The input's spatial sizes that are symbols (H, W), each once."""
    return tuple(dict.fromkeys(str(d) for d in spec.input[1:] if getattr(d, "is_Symbol", False)))


def check_bindings(spec: Spec, bindings: Mapping[str, int]) -> dict[str, int | Real]:
    """`bindings` as plain ints — or, for a fraction symbol, decimals (`Real`s, exact; a
    float is read as its shortest text, 1.1 as 11/10) — or a SpecError naming the first
    one the spec refuses."""
    out: dict[str, int | Real] = {}
    for name, value in bindings.items():
        decl = spec.symbol_decl(name)
        if decl is None:
            known = [s.name for s in spec.symbols]
            raise error(f"the spec has no symbol '{clip(name)}' (symbols: "
                        f"{clip(', '.join(known) or 'none', 200)})", None,
                        did_you_mean(name, known), code="binding")
        if decl.fraction and isinstance(value, float) and not isinstance(value, Real):
            value = Real(repr(value)) if math.isfinite(value) else value
        if decl.fraction and isinstance(value, Real):
            try:
                exact = number(value)
            except ExprError as exc:
                raise error(f"{name} = {clip(value.text)}: {exc}", decl.loc,
                            code="binding") from None
            if exact <= 0:
                raise error(f"{name} = {clip(value.text)}: a symbol's value is positive",
                            decl.loc, code="binding")
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) and not (
                decl.fraction and isinstance(value, Real)):
            shown = value.text if isinstance(value, Real) else repr(value)
            raise error(f"{name} = {clip(shown)}: a symbol's value is a whole number"
                        + (" or a decimal" if decl.fraction else ""), decl.loc, code="binding")
        if isinstance(value, Real):
            problem = decl.violation(value)
            if problem:
                raise error(problem, decl.loc, code="binding")
            out[name] = value
            continue
        value = int(value)
        if not 1 <= value <= bounds.MAX_VALUE:
            # (str() of an int of more than 4,300 digits raises: such a one is not shown)
            shown = value if -bounds.MAX_VALUE <= value <= bounds.MAX_VALUE else "…"
            raise error(f"{name} = {shown}: a symbol's value is a positive whole number of at "
                        "most 2^63 − 1", decl.loc, code="binding")
        problem = decl.violation(value)
        if problem:
            raise error(problem, decl.loc, code="binding")
        out[name] = value
    return out
