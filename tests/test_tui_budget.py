"""The budget in the TUI's symbols panel: a budget and a symbol give the largest value
that meets it, as `archcalc fit` finds it, and it follows the bindings live (Pilot)."""

from __future__ import annotations

import pytest
from test_tui import SIZE, settle, spec_copy

pytest.importorskip("textual")

from archcalc.tui.app import ArchcalcApp  # noqa: E402
from archcalc.tui.budget import BudgetPanel  # noqa: E402
from textual.widgets import Input, Static  # noqa: E402


def answer(app) -> str:
    return str(app.query_one("#budget-answer", Static).render())


async def test_budget_gives_the_largest_value_and_follows_bindings(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path, "resnet18"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert app.query_one("#budget-symbol", Input).value == "H"  # the first input symbol
        app.query_one("#budget", Input).value = "macs <= 3e9"
        await settle(pilot)
        assert "the largest H with macs <= 3e9 is H = 364" in answer(app)  # W = 224
        app.query_one("#bind-W").value = "364"  # a binding changes the answer, live
        await settle(pilot)
        assert "is H = 364" not in answer(app) and "the largest H with macs <= 3e9" in answer(app)
        app.query_one("#budget-symbol", Input).value = "d4"
        app.query_one("#budget", Input).value = "params <= 15e6"
        await settle(pilot)
        assert "is d4 = 2" in answer(app)
        app.query_one("#budget", Input).value = "params <= 15X"
        await settle(pilot)
        assert "column 13: error: unknown unit 'X'" in answer(app)
        assert isinstance(app.query_one("#budget-panel"), BudgetPanel)
