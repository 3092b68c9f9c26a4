"""The budget under the symbols panel (f4): `params <= 5e6` and a symbol (`H`, `H,W`,
`batch`, a width or depth of the spec) give the largest value of the symbol that meets it,
as `archcalc fit` prints it, updated live with every other figure.

Attributes down, messages up: the app binds `result`; typing in either field or a new
result starts a thread worker (`solve_text`, pure) that posts `Answered` with the
generation it was asked for, and only the latest generation's answer is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from archcalc.errors import SpecError, format_diagnostic
from archcalc.fit.constraints import parse_constraints
from archcalc.fit.figures import SHOWN, MemoryOptions, check_figures
from archcalc.fit.probe import Probe
from archcalc.fit.solve import solve
from archcalc.render.fit_text import render_fit
from archcalc.render.styles import MUTED

from .analysis import Result
from .plain import plain


def solve_text(result: Result, symbol: str, budget: str) -> str:
    """What the panel shows for this analysis, symbol and budget (never raises)."""
    design = result.design
    symbols = tuple(s.strip() for s in symbol.split(",") if s.strip())
    if design is None or not symbols or not budget.strip():
        return ""
    for s in symbols:
        if s != "batch" and design.spec.symbol_decl(s) is None:
            return f"no symbol {s!r} in the spec (symbols: " + \
                ", ".join(x.name for x in design.spec.symbols) + ", or batch)"
    try:
        cons = parse_constraints([budget], "budget")
        check_figures(design.analysis, cons)
        names = tuple(dict.fromkeys([*SHOWN, *(c.figure for c in cons)]))
        r = solve(Probe(design, symbols, names, MemoryOptions()), cons)
    except SpecError as exc:
        return format_diagnostic(exc.diagnostics[0]).replace("budget:1:", "column ", 1)
    except Exception as exc:  # noqa: BLE001 - a bug must not take the editor down
        return f"internal error while solving ({type(exc).__name__}: {exc}); please report it"
    return render_fit(r, cons, design.spec.name, names)


class BudgetPanel(Vertical):
    result: reactive[Result | None] = reactive(None)

    @dataclass
    class Answered(Message):
        generation: int
        text: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.generation = 0

    def compose(self):
        with Horizontal(id="budget-fields"):
            yield Label(plain(" largest "))
            yield Input("", placeholder="H", id="budget-symbol")
            yield Label(plain(" with "))
            yield Input("", placeholder="params <= 5e6", id="budget")
        yield Static(Text("Type a budget (params <= 5e6 and macs <= 1G) and a symbol.",
                          MUTED), id="budget-answer")

    def watch_result(self, result: Result | None) -> None:
        if result is not None and not self.query_one("#budget-symbol", Input).value and \
                result.input_symbols:
            self.query_one("#budget-symbol", Input).value = result.input_symbols[0]
        self.ask()

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        event.stop()  # the app's own fields listen for theirs, not these
        self.ask()

    def ask(self) -> None:
        if self.result is None or not self.is_mounted:
            return
        self.generation += 1
        self.work(self.result, self.query_one("#budget-symbol", Input).value,
                  self.query_one("#budget", Input).value, self.generation)

    # (a description of its own: Textual's default is repr() of the arguments, the whole
    # Result with its formulas, written on the UI thread — seconds for ResNet-50)
    @work(exclusive=True, thread=True, group="budget", description="solve the budget")
    def work(self, result: Result, symbol: str, budget: str, generation: int) -> None:
        self.post_message(self.Answered(generation, solve_text(result, symbol, budget)))

    @on(Answered)
    def answered(self, message: Answered) -> None:
        if message.generation == self.generation and message.text:
            self.query_one("#budget-answer", Static).update(plain(message.text))
