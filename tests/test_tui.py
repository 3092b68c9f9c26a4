"""The design session, driven as a person would (Textual's Pilot), snapshots of its main
views, and a start in a real terminal (tmux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import SPECS

pytest.importorskip("textual")

from archcalc.tui.app import ArchcalcApp  # noqa: E402
from archcalc.tui.screens import Confirm  # noqa: E402
from archcalc.tui.session import Session  # noqa: E402
from archcalc.tui.widgets import Diagnostics, LayerTable  # noqa: E402
from textual.widgets import TextArea  # noqa: E402

SIZE = (150, 42)


@pytest.fixture(autouse=True)
def recovery_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHCALC_RECOVERY_DIR", str(tmp_path / "recovery"))


async def settle(pilot):
    """Let the debounce fire and the analysis worker finish (a newer edit cancels an older
    analysis: that is the design, so a cancelled worker just means wait again)."""
    from textual.worker import WorkerCancelled

    await pilot.pause(0.35)
    for _ in range(100):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            await pilot.pause(0.05)
            continue
        break
    await pilot.pause()


def cell(app, row: int, column: str) -> str:
    table = app.query_one(LayerTable)
    return str(table.get_cell_at((row, [c.label.plain for c in table.columns.values()]
                                  .index(column))))


def spec_copy(tmp_path, name="lenet5") -> Path:
    target = tmp_path / f"{name}.yaml"
    target.write_text((SPECS / f"{name}.yaml").read_text())
    return target


async def replace_in_editor(pilot, old: str, new: str, on_line_with: str = ""):
    editor = pilot.app.query_one("#editor", TextArea)
    line_no, line = next((i, ln) for i, ln in enumerate(editor.text.splitlines())
                         if old in ln and on_line_with in ln)
    col = line.index(old)
    editor.move_cursor((line_no, col))
    await pilot.press(*["delete"] * len(old))  # real key presses...
    editor.insert(new)                         # ...and the editor's own insert (punctuation)
    await pilot.pause()


async def test_typing_a_change_updates_the_table(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert cell(app, 0, "output (C×H×W)") == "6×28×28"
        await replace_in_editor(pilot, "out: 6", "out: 8")
        await settle(pilot)
        assert cell(app, 0, "output (C×H×W)") == "8×28×28"
        assert cell(app, 0, "params") == "208"


async def test_an_invalid_stride_is_flagged_and_clears_when_fixed(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await replace_in_editor(pilot, "kernel: 5}", "kernel: 5, stride: 2}", "out: 6,")
        await settle(pilot)
        diags = app.query_one(Diagnostics)
        first = str(diags.get_option_at_index(0).prompt)
        assert "13:" in first and "error" in first and "14.5 is not an integer" in first
        assert cell(app, 0, "") == "✗"
        await replace_in_editor(pilot, "stride: 2", "stride: 1")
        await settle(pilot)
        assert "no problems" in str(diags.get_option_at_index(0).prompt)
        assert cell(app, 0, "") == ""


async def test_a_broken_spec_keeps_the_last_analysis_dimmed(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = app.query_one(LayerTable).row_count
        await replace_in_editor(pilot, "out: 16,", "out: [16,")
        await settle(pilot)
        table = app.query_one(LayerTable)
        assert table.row_count == rows and table.has_class("stale")
        assert "malformed YAML" in str(app.query_one(Diagnostics).get_option_at_index(0).prompt)


async def test_choosing_a_problem_moves_the_cursor_and_the_cursor_finds_the_layer(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await replace_in_editor(pilot, "kernel: 5}", "kernel: 4}", "out: 16,")
        await settle(pilot)
        diags = app.query_one(Diagnostics)
        first = app.result.analysis.findings[0]  # pool2 no longer fits: (11 − 2)/2 + 1
        assert first.layer == "pool2" and first.loc.line == 18
        diags.highlighted = 0
        diags.action_select()
        await pilot.pause()
        editor = app.query_one("#editor", TextArea)
        assert editor.cursor_location == (17, first.loc.column - 1)
        editor.move_cursor((12, 4))  # line 13: conv1
        await pilot.pause()
        assert app.query_one(LayerTable).cursor_row == 0


async def test_save_writes_exactly_the_editors_text(tmp_path):
    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await replace_in_editor(pilot, "fc: 84 ", "fc: 42 ")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert path.read_text() == app.query_one("#editor", TextArea).text
        assert "# F6" in path.read_text() and "fc: 42" in path.read_text()  # comments kept


async def test_quit_with_unsaved_changes_asks(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await replace_in_editor(pilot, "fc: 84", "fc: 85")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.click("#no")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, Confirm)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_recovery_copy_is_offered_on_the_next_start(tmp_path):
    path = spec_copy(tmp_path)
    Session(path, path.read_text()).keep_recovery(path.read_text().replace("fc: 84", "fc: 99"))
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.click("#yes")
        await settle(pilot)
        assert "fc: 99" in app.query_one("#editor", TextArea).text


async def test_binding_a_symbol_in_the_symbols_panel(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path, "alexnet"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        text = str(app.query_one("#symbols-view").render())
        assert "H: H ≡ 3 (mod 32), H ≥ 67; smallest 67; H = 227 fits" in text
        assert "96×((H − 7)/4)×((W − 7)/4)" in text  # the formulas of the input
        field = app.query_one("#bind-H")
        field.value = "224"
        await settle(pilot)
        assert "does NOT fit" in str(app.query_one("#symbols-view").render())


async def test_export_writes_pytorch_code(tmp_path):
    pytest.importorskip("torch")
    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        target = tmp_path / "lenet5_model.py"
        for _ in range(300):  # the export worker imports torch first
            await pilot.pause(0.1)
            if target.exists():
                break
        await app.workers.wait_for_complete()
        assert "class LeNet5(nn.Module):" in target.read_text()


# -- snapshots ---------------------------------------------------------------------------

def snap_app(name: str, edit: tuple[str, str] | None = None) -> ArchcalcApp:
    text = (SPECS / f"{name}.yaml").read_text()
    if edit:
        text = text.replace(*edit)
    return ArchcalcApp(None, text)


async def _settled(pilot):
    pilot.app.query_one("#editor", TextArea).cursor_blink = False  # a blink is not a change
    await settle(pilot)


@pytest.mark.parametrize("name", ["lenet5", "resnet50"])
def test_snapshot_main_screen(snap_compare, name):
    assert snap_compare(snap_app(name), terminal_size=SIZE, run_before=_settled)


def test_snapshot_error_state(snap_compare):
    app = snap_app("lenet5", ("conv: {out: 6, kernel: 5}", "conv: {out: 6, kernel: 5, stride: 2}"))
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_snapshot_pyramid(snap_compare):
    async def before(pilot):
        await _settled(pilot)
        await pilot.press("f3")
        await pilot.pause()
    assert snap_compare(snap_app("vgg16"), terminal_size=SIZE, run_before=before)


def test_snapshot_symbols(snap_compare):
    async def before(pilot):
        await _settled(pilot)
        await pilot.press("f4")
        await pilot.pause()
    assert snap_compare(snap_app("alexnet"), terminal_size=SIZE, run_before=before)


# -- a real terminal ----------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_starts_and_renders_in_tmux(tmp_path):
    path = spec_copy(tmp_path)
    session = f"archcalc-test-{os.getpid()}"
    env = f"ARCHCALC_RECOVERY_DIR={tmp_path / 'rec'}"
    cmd = f"{env} {sys.executable} -m archcalc tui {path}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "42", cmd],
                   check=True)
    try:
        screen = ""
        for _ in range(60):
            time.sleep(0.5)
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                    capture_output=True, text=True).stdout
            if "6×28×28" in screen:
                break
        assert "6×28×28" in screen and "conv1" in screen and "Quit" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"])
        time.sleep(1.0)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
