"""A network's structures as a symbol varies, and the formulas of each: fit's search space.

A width can decide the network's structure: a residual of `shortcut: if_same` (MobileNet
v2's inverted residuals) is there where the body keeps the channels, which for the first
block of a stage — `make_divisible(32·w, 8)` channels in, `make_divisible(16·w, 8)` out —
happens for w < 0.375 and not above; `shortcut: auto` is an identity or a projection by the
same test. With the symbol left free the analysis cannot tell, so it asks (`Ctx.decide`):
do these differences vanish? A `Structure` is one analysis with the symbol free in which
every such question was answered as at one value, with the questions and answers kept.
Another value takes the same structure exactly when it answers every kept question the
same way: the analysis is deterministic, so it would ask the same questions in the same
order and make the same graph — and then that structure's formulas, evaluated at the value
(`evaluate.py`), are its figures. Only a value that answers differently costs a new
analysis. MobileNet v2 over 128 widths: 4 structures, not 128 analyses.

A question is a tuple of formulas in the symbols (sympy), compiled once and evaluated
exactly at each value; a formula that cannot be evaluated there (a division by zero) is an
answer of its own (None), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..analysis.analyze import analyze
from ..design import Design
from ..num import lift
from .evaluate import Fn, Number, compile_expr

MAX_STRUCTURES = 64  # past this, values of structures not yet seen are analysed one by one


@dataclass
class Structure:
    """One structure: the questions it was made with and their answers, and its analysis
    with the symbols free (None where it cannot be made: `problem` says why)."""

    questions: tuple[tuple[tuple[Fn, ...], bool | None], ...]
    analysis: Any = None
    problem: str = ""
    memo: dict = field(default_factory=dict)  # what the probe derives from it (formulas)

    def holds(self, values) -> bool:
        """Whether these values answer every question as this structure did."""
        return all(_answer(fns, values) == said for fns, said in self.questions)


def _answer(fns: tuple[Fn, ...], values) -> bool | None:
    try:
        return all(f(values) == 0 for f in fns)
    except (ArithmeticError, ValueError, TypeError):
        return None  # not a number there (a division by zero): its own answer


class Structures:
    """The structures of `design` over the values of `symbols` (tied: H = W), found as
    values are asked for (`find`)."""

    def __init__(self, design: Design, symbols: tuple[str, ...]):
        self.free = design.rebind(free=symbols)
        decls = {d.name: d for d in design.spec.symbols}
        self.symbols = tuple(lift(decls[s].sym) for s in symbols)
        self.found: list[Structure] = []

    def find(self, values: tuple[Number, ...]) -> Structure | None:
        """The structure these values take; None past `MAX_STRUCTURES` new ones (the
        caller analyses the value itself). A SpecError where the graph cannot be made
        with the symbols free (a symbol that sets a `repeat:` count)."""
        for s in self.found:
            if s.holds(values):
                return s
        if len(self.found) >= MAX_STRUCTURES:
            return None
        s = self._make(values)
        self.found.append(s)
        return s

    def _make(self, values) -> Structure:
        asked: list = []

        def decide(diffs: tuple) -> bool:
            fns = tuple(compile_expr(d, self.symbols) for d in diffs)
            said = _answer(fns, values)
            asked.append((fns, said))
            if said is None:
                raise _Undecided
            return said

        try:
            a = analyze(self.free.graph, dict(self.free.values),
                        convention=self.free.convention, decide=decide)
        except _Undecided:
            return Structure(tuple(asked), None, "a structural test is not a number there")
        return Structure(tuple(asked), a)

    @property
    def count(self) -> int:
        return len(self.found)


class _Undecided(Exception):
    """A question that has no answer at the value: this structure is not made."""
