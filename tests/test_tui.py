"""The design session, driven as a person would (Textual's Pilot), snapshots of its main
views, and a start in a real terminal (tmux)."""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import SPECS
from rich.console import Console

from archcalc.analysis.verification import LayerCheck, Verification
from archcalc.errors import format_diagnostic
from archcalc.render.styles import STATUS, diagnostic_text
from archcalc.render.verify_text import AGREES

pytest.importorskip("textual")

from archcalc.tui import analysis  # noqa: E402
from archcalc.tui.app import ArchcalcApp  # noqa: E402
from archcalc.tui.layer_table import LayerTable  # noqa: E402
from archcalc.tui.messages import Exported  # noqa: E402
from archcalc.tui.problems import Diagnostics  # noqa: E402
from archcalc.tui.screens import HELP, AskPath, Confirm, Templates, TextScreen  # noqa: E402
from archcalc.tui.session import MAX_BYTES, Session, atomic_write  # noqa: E402
from archcalc.tui.widgets import Totals  # noqa: E402
from textual.command import CommandPalette  # noqa: E402
from textual.widgets import Input, TabbedContent, TextArea  # noqa: E402

SIZE = (150, 42)


@pytest.fixture(autouse=True)
def recovery_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHCALC_RECOVERY_DIR", str(tmp_path / "recovery"))


@pytest.fixture(autouse=True)
def notifications_outlast_a_loaded_machine(monkeypatch):
    # A toast leaves after NOTIFICATION_TIMEOUT seconds; on 2 shared cores under a full
    # suite (load average 8) settling took longer than the 5 s default and the toast a
    # test looks for was gone (CI, 2026-11-22). Tests read toasts; they do not time them.
    monkeypatch.setattr(ArchcalcApp, "NOTIFICATION_TIMEOUT", 600)


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
    """The text of a shown column (by its full header: the label may be a short one; ""
    is the mark)."""
    table = app.query_one(LayerTable)
    return str(table.get_cell_at((row, [k.value for k in table.columns].index(column or "mark"))))


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
        # The same findings again (most edits change none) leave the options as they are:
        # rebuilding them laid out the whole screen again on every keystroke.
        before = [diags.get_option_at_index(i) for i in range(diags.option_count)]
        assert len(before) > 3
        app.findings = tuple(app.findings)  # as the analysis of another edit sets them
        await pilot.pause()
        assert all(diags.get_option_at_index(i) is o for i, o in enumerate(before))
        assert diags.option_count == len(before)
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
        await settle(pilot)  # the formulas are worked out once they are shown
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


# -- files that cannot be read or written, names that look like markup ----------------------
# Root ignores permission bits, so a "read-only folder" here is a path the kernel refuses
# (under /proc), a folder that does not exist, or a write monkeypatched to raise
# PermissionError; each test says which.

MARKUP_SPEC = """\
archcalc: 1
name: "[@click=app.quit]boom[/]"
"[red]x[/red]": 1
input: [1, 32, 32]
layers:
  - conv: {out: 6, kernel: 5}
"""
KEPT = "; the text is kept: choose another place with ctrl+p, Save as"


def toasts(app) -> list[str]:
    """The notifications as the screen shows them (after markup, were any parsed); the
    app must run with `run_test(notifications=True)`."""
    return [str(t.render()) for t in app.screen.query("Toast")]


def as_text(renderable, width: int = 150) -> str:
    """What a rich renderable (a screen's body) shows, as plain text."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def refuse_writes_under(folder: Path, monkeypatch, module: str) -> None:
    """A read-only folder, simulated: `module`'s atomic_write raises PermissionError for
    any target in `folder` (root would ignore a chmod); other writes (the recovery copy)
    go through."""
    import archcalc.tui.session as session_module

    real = session_module.atomic_write

    def write(target, *args, **kwargs):
        if Path(target).parent == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
        return real(target, *args, **kwargs)
    monkeypatch.setattr(f"archcalc.tui.{module}.atomic_write", write)


async def open_file(pilot, path) -> None:
    await pilot.press("ctrl+o")
    await pilot.pause()
    pilot.app.screen.query_one("#path", Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()


async def wait_for_torch_job(pilot) -> None:
    for _ in range(300):  # the worker imports torch first
        await pilot.pause(0.1)
        if not any(w.group == "torch" and not w.is_finished for w in pilot.app.workers):
            break
    await settle(pilot)


@pytest.mark.parametrize("where", ["a missing folder", "/proc"])
async def test_save_where_the_folder_refuses_is_a_notification(tmp_path, where):
    if where == "/proc" and not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    path = tmp_path / "no/such/dir/new.yaml" if where == "a missing folder" \
        else Path("/proc/x.yaml")  # the kernel refuses new files under /proc, even root's
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        text = app.text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert toasts(app) == [f"cannot save {path}: No such file or directory{KEPT}"]
        assert app.is_running and app.text == text and app.session.dirty(text)


async def edit_and_save(pilot, old="fc: 84", new="fc: 85"):
    """Change one line of the editor's spec, then press ctrl+s."""
    await settle(pilot)
    await replace_in_editor(pilot, old, new)
    await settle(pilot)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_save_into_a_read_only_folder_is_a_notification_and_the_text_survives(
        tmp_path, monkeypatch):
    path = spec_copy(tmp_path)
    before = path.read_text()
    refuse_writes_under(tmp_path, monkeypatch, "session")  # simulated: see the helper
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await edit_and_save(pilot)
        assert toasts(app) == [f"cannot save {path}: Permission denied{KEPT}"]
        assert app.is_running and "fc: 85" in app.text and path.read_text() == before
        assert app.session.recovery_file().read_text() == app.text  # never lost


async def test_save_keeps_the_files_permission_bits(tmp_path):
    path = spec_copy(tmp_path)
    path.chmod(0o640)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await edit_and_save(pilot)
        assert toasts(app) == [f"saved {path}"]
    assert "fc: 85" in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_is_created_as_the_umask_says_and_a_recovery_copy_stays_private(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.yaml", "x")
        session = Session(tmp_path / "new.yaml", "x")
        session.keep_recovery("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o666 & ~0o027
    assert stat.S_IMODE(session.recovery_file().stat().st_mode) == 0o600


def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    real = spec_copy(tmp_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)
    Session(link, real.read_text()).save("changed\n")
    assert link.is_symlink() and real.read_text() == "changed\n"


async def test_export_into_a_read_only_folder_is_a_notification(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    path = spec_copy(tmp_path)
    refuse_writes_under(tmp_path, monkeypatch, "app")  # simulated: see the helper
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_for_torch_job(pilot)
        target = tmp_path / "lenet5_model.py"
        assert toasts(app) == [f"cannot write {target}: Permission denied"]
        assert app.is_running and not target.exists()


async def test_opening_what_is_not_a_spec_is_a_notification(tmp_path):
    path = spec_copy(tmp_path)
    latin1, folder, fifo, huge, missing = (tmp_path / n for n in (
        "latin1.yaml", "folder.yaml", "fifo.yaml", "huge.yaml", "missing.yaml"))
    latin1.write_bytes("name: caf\xe9\n".encode("latin-1"))
    folder.mkdir()
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    huge.touch()
    os.truncate(huge, MAX_BYTES + 1)  # sparse: no time, no disk
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for bad, reason in [(latin1, "it is not UTF-8 text (byte 0xe9 at offset 9)"),
                            (folder, "it is a folder, not a spec file"),
                            (fifo, "it is not a regular file"),
                            (huge, "it is larger than 4 MiB"),
                            (missing, "No such file or directory")]:
            app.clear_notifications()
            await open_file(pilot, bad)
            assert toasts(app) == [f"cannot open {bad}: {reason}"]
            assert app.is_running and app.session.path == path
            assert app.text == path.read_text()


@pytest.mark.parametrize("kind", ["not UTF-8", "a folder", "a FIFO"])
async def test_a_corrupt_recovery_copy_is_moved_aside_and_the_app_starts(tmp_path, kind):
    path = spec_copy(tmp_path)
    copy = Session(path, "").recovery_file()
    copy.parent.mkdir(parents=True)
    if kind == "not UTF-8":
        copy.write_bytes(b"\xff\xfe\x00 random bytes")
        reason = "it is not UTF-8 text (byte 0xff at offset 0)"
    elif kind == "a folder":
        copy.mkdir()
        (copy / "inside").write_text("kept")
        reason = "it is a folder, not a spec file"
    else:
        os.mkfifo(copy)
        reason = "it is not a regular file"
    aside = copy.with_name(copy.name + ".unreadable")
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert toasts(app) == [(f"could not read the recovery copy {copy}: {reason}; "
                                f"it was moved to {aside}")]
        assert not isinstance(app.screen, Confirm) and app.text == path.read_text()
    assert not copy.exists()
    if kind == "not UTF-8":
        assert aside.read_bytes() == b"\xff\xfe\x00 random bytes"  # the user's data, kept
    elif kind == "a folder":
        assert (aside / "inside").read_text() == "kept"


def markup_named_app(tmp_path):
    """The app on a spec at `x[/b].yaml` (the folder `x[` and the file `b].yaml`)."""
    path = tmp_path / "x[/b].yaml"
    path.parent.mkdir()
    path.write_text(MARKUP_SPEC)
    return path, ArchcalcApp(path)


async def test_names_that_look_like_markup_are_shown_as_they_are(tmp_path):
    from textual.content import Content

    path, app = markup_named_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        title = app.query_one("#editor").border_title  # Textual hands it back as markup
        assert Content.from_markup(title).plain == str(path)
        first = str(app.query_one(Diagnostics).get_option_at_index(0).prompt)
        assert first == "    3:1 error: unknown key '[red]x[/red]'"
        await replace_in_editor(pilot, '"[red]x[/red]": 1', "# [/b] [@click=app.quit]x[/]")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert toasts(app) == [f"saved {path}"]
        assert app.is_running and "[@click=app.quit]boom[/]" in path.read_text()


async def test_an_error_from_export_that_looks_like_markup_is_shown_as_it_is(tmp_path):
    pytest.importorskip("torch")
    path, app = markup_named_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_for_torch_job(pilot)
        assert toasts(app) == [f"{path}:3:1: error: unknown key '[red]x[/red]'"]
        assert app.is_running


async def test_screens_show_their_text_as_it_is(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.push_screen(TextScreen("[b]title[/i]", "[@click=app.quit]boom[/] [red]x[/red]"))
        await pilot.pause()
        shown = [str(w.render()) for w in app.screen.query("Label, Static")]
        assert shown[:2] == ["[b]title[/i]", "[@click=app.quit]boom[/] [red]x[/red]"]
        await pilot.press("escape")
        app.push_screen(Confirm("Replace [/b] [@click=app.quit]x[/]?"))
        await pilot.pause()
        assert str(app.screen.query_one("#question").render()) == \
            "Replace [/b] [@click=app.quit]x[/]?"
        await pilot.click("#question")
        await pilot.pause()
        assert app.is_running


async def test_an_unexpected_error_in_the_analysis_is_a_problem_not_a_crash(tmp_path,
                                                                          monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom [/b]")
    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr("archcalc.tui.analysis.run", broken)
        await replace_in_editor(pilot, "fc: 84", "fc: 85")
        await settle(pilot)
        first = str(app.query_one(Diagnostics).get_option_at_index(0).prompt)
        assert first == ("      - error: internal error while analysing the spec "
                         "(RuntimeError: boom [/b]); please report it")
        assert app.is_running and app.query_one(LayerTable).has_class("stale")
        assert app.session.recovery_file().read_text() == app.text  # never lost


async def test_an_app_given_an_unreadable_file_starts_untitled(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    app = ArchcalcApp(bad)  # as a caller that did not check first (the command does)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert toasts(app) == [f"cannot open {bad}: it is not UTF-8 text (byte 0xe9 at "
                               "offset 9); this is a new, untitled spec"]
        assert app.session.path is None  # so that ctrl+s cannot overwrite the file
    assert bad.read_bytes() == "name: caf\xe9\n".encode("latin-1")


# -- workers post messages; the message pump applies them in order ------------------------

def fc1_width(app) -> int:
    return int(next(r for r in app.result.analysis.rows if r.name == "fc1").out_shape.c)


async def until(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


async def test_analyses_that_finish_out_of_order_leave_the_newer_text_everywhere(
        tmp_path, monkeypatch):
    """The first edit's analysis is held until the second's has been shown, so its result
    arrives last: it is dropped, and neither the recovery copy nor the cache goes back to
    it. (The worker used to write the recovery copy itself, after its successor.)"""
    real, started, release, caches = analysis.run, threading.Event(), threading.Event(), {}

    def run(text, name, bindings, version, cache):
        result = real(text, name, bindings, version, cache)
        caches[next((k for k in ("fc: 85", "fc: 86") if k in text), text)] = cache
        if "fc: 85" in text:
            started.set()
            release.wait(10)
            cache["written by the superseded analysis"] = None
        return result

    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr("archcalc.tui.analysis.run", run)
        await replace_in_editor(pilot, "fc: 84", "fc: 85")
        await until(pilot, started.is_set)  # the first analysis runs, held
        await replace_in_editor(pilot, "fc: 85", "fc: 86")
        await until(pilot, lambda: app.result.version == app.version)
        newer = app.version
        assert fc1_width(app) == 86
        release.set()
        await settle(pilot)  # the held analysis finishes and posts its older result
        assert {"fc: 85", "fc: 86"} <= caches.keys()
        assert caches["fc: 85"] is not caches["fc: 86"]
        assert app.result.version == newer and fc1_width(app) == 86
        assert app.session.recovery_file().read_text() == app.text
        assert "fc: 86" in app.text
        # Each worker had a cache of its own; the app kept the current one's.
        assert app.cache == caches["fc: 86"] and "written by the superseded analysis" not in \
            app.cache


async def test_a_keystroke_is_analysed_at_once_and_only_changed_cells_are_rewritten(
        tmp_path, monkeypatch):
    """No debounce: the analysis of an edit starts with the edit. An edit that changes
    cells but no row nor any column's width rewrites those cells in place (the table is
    not cleared and rebuilt); one that widens a column rebuilds it."""
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(LayerTable)
        clears = []
        real_clear = table.clear
        monkeypatch.setattr(table, "clear", lambda *a, **k: clears.append(1) or real_clear(*a, **k))
        await replace_in_editor(pilot, "fc: 84", "fc: 85")
        assert app._analysed_text == app.text  # started already, before any pause
        await settle(pilot)
        row = next(i for i, k in enumerate(table._key) if k == "fc1")
        assert cell(app, row, "output (C×H×W)") == "85" and clears == []
        await replace_in_editor(pilot, "fc: 85", "fc: 85000")
        await settle(pilot)
        assert cell(app, row, "output (C×H×W)") == "85000" and clears == [1]


async def test_the_formulas_are_worked_out_only_while_shown(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path, "alexnet"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.formulas is None
        await pilot.press("f4")
        await settle(pilot)
        assert app.formulas is not None and app.formulas.version == app.result.version
        assert "96×((H − 7)/4)×((W − 7)/4)" in str(app.query_one("#symbols-view").render())


async def test_the_recovery_copy_stays_while_the_restore_question_is_open(tmp_path):
    """The first analysis runs behind the question; it must not discard the copy (the
    text it analyses is the saved one) before the user has answered."""
    path = spec_copy(tmp_path)
    changed = path.read_text().replace("fc: 84", "fc: 99")
    Session(path, path.read_text()).keep_recovery(changed)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and app.result is not None
        assert app.session.recovery_file().read_text() == changed


async def test_exports_that_finish_out_of_order_write_the_newer_source(tmp_path,
                                                                       monkeypatch):
    """The worker returns the source; the app writes it, on the message pump, and only
    the last export asked for: an older one finishing later is dropped."""
    release = threading.Event()

    def job(job, generation, text, name, target, bindings):
        if generation == 1:
            release.wait(10)
        return Exported(generation, target, f"# export {generation}\n")

    monkeypatch.setattr("archcalc.tui.jobs.torch_job", job)
    path = spec_copy(tmp_path)
    target = tmp_path / "lenet5_model.py"
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.press("f5")
        await until(pilot, target.exists)
        release.set()
        await wait_for_torch_job(pilot)
        assert target.read_text() == "# export 2\n"
        assert toasts(app) == [f"wrote {target}"]


VERIFIED = Verification(
    "LeNet-5",
    (LayerCheck("conv1", "conv", ((6, 28, 28),) * 2, (156, 156), (0, 0), (235200,) * 2),
     LayerCheck("conv2", "conv", ((16, 10, 10), (17, 10, 10)), (2416, 2567), (0, 0),
                (480000, 510000))),
    (("trainable parameters", 61706, 61857), ("FLOPs", 833040, 745200)),
    "Invalid channel dimensions")


async def test_verify_says_in_the_tui_what_it_says_on_the_command_line(tmp_path, cli,
                                                                       monkeypatch):
    """One summary (render/verify_text.py) for both: the same lines, the same cells."""
    pytest.importorskip("torch")
    monkeypatch.setattr("archcalc.reference.verify.verify", lambda *a, **k: VERIFIED)
    printed = cli("verify", "lenet5")
    assert printed.exit_code == 1
    lines = [ln.removesuffix(" — --all-layers lists every layer")
             for ln in printed.stdout.splitlines() if not ln.startswith(("|", "+", " "))]
    lines += [ln.strip().removeprefix("error: ").removeprefix("hint: ")
              for ln in printed.stderr.splitlines()]
    assert lines[-2:] == [("PyTorch disagrees with the calculator — first mismatch: conv2 "
                           "(conv)"), "PyTorch stopped with: Invalid channel dimensions"]
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await wait_for_torch_job(pilot)
        assert isinstance(app.screen, TextScreen)
        shown = as_text(app.screen.body)
    assert [ln for ln in lines if ln not in shown] == []
    for cells in ["16×10×10 ≠ 17×10×10", "2,416 ≠ 2,567", "480,000 ≠ 510,000", "NO"]:
        assert cells in shown and cells in printed.stdout
    assert "conv1" not in shown  # only the layers that disagree, as the CLI by default


async def test_a_severity_has_one_colour_on_the_command_line_and_in_the_tui(tmp_path):
    path = tmp_path / "lenet5.yaml"
    path.write_text((SPECS / "lenet5.yaml").read_text().replace(*POOL2))
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        finding = app.findings[0]
        prompt = app.query_one(Diagnostics).get_option_at_index(0).prompt
    printed = diagnostic_text(finding, format_diagnostic(finding))

    def style_of(text, word: str) -> str:
        at = text.plain.index(word)
        return next(str(s.style) for s in text.spans if s.start <= at < s.end)
    assert style_of(prompt, "error:") == style_of(printed, "error:") == STATUS["error"]


# -- keys, the problems' fixes, the table's columns, the split, screenshots -----------------

KEYS = [b.key for b in ArchcalcApp.BINDINGS]


def test_every_key_is_in_the_help_and_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("## The design session"):readme.index("## Training")]
    for key in KEYS + ["ctrl+p", "tab", "shift+tab", "escape"]:
        assert key in HELP, key
        assert f"{key}" in section, key
    assert "f4" in HELP and "Binding symbols" in HELP and "click a panel" in HELP


async def test_every_documented_key_works_with_the_editor_focused(tmp_path):
    """f6 was the editor's "select line" and did nothing else; every key now acts whatever
    has the focus, and shows in the footer."""
    pytest.importorskip("torch")
    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        editor = app.query_one("#editor", TextArea)
        assert [k.key for k in app.query("FooterKey")] == KEYS + ["ctrl+p"]  # all, in order

        async def press(key: str) -> None:
            editor.focus()
            await pilot.pause()
            assert app.focused is editor
            await pilot.press(key)
            await pilot.pause()

        for key, tab in [("f3", "pyramid"), ("f4", "symbols"), ("f2", "table")]:
            await press(key)
            assert app.query_one(TabbedContent).active == tab
        for key, screen in [("f1", TextScreen), ("ctrl+o", AskPath), ("ctrl+n", Templates),
                            ("ctrl+p", CommandPalette)]:
            await press(key)
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            await pilot.pause()
        await press("f6")
        await wait_for_torch_job(pilot)
        assert isinstance(app.screen, TextScreen) and AGREES in as_text(app.screen.body)
        assert editor.selection.is_empty  # not the editor's "select line"
        await pilot.press("escape")
        await press("f5")
        await wait_for_torch_job(pilot)
        assert (tmp_path / "lenet5_model.py").exists()
        await press("f7")
        assert not editor.display and app.focused is app.query_one(LayerTable)
        await pilot.press("f7")
        await pilot.pause()
        assert editor.display and app.focused is editor
        width = editor.outer_size.width
        await press("f8")
        await pilot.pause()
        assert editor.outer_size.width == width - ArchcalcApp.EDITOR_STEP
        await press("f9")
        await pilot.pause()
        assert editor.outer_size.width == width
        await press("ctrl+t")
        assert (tmp_path / "lenet5.svg").read_text().startswith("<svg")
        await replace_in_editor(pilot, "fc: 84", "fc: 85")
        await press("ctrl+s")
        assert "fc: 85" in path.read_text()
        await press("ctrl+q")
    assert app.return_code == 0


async def test_keys_rest_under_a_dialog(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("f3", "f7")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "table" and app.editor_shown


POOL2 = ("out: 16, kernel: 5}", "out: 16, kernel: 4}")  # pool2 (`avgpool: 2`) gets 11×11


def options(app) -> list[str]:
    diags = app.query_one(Diagnostics)
    return [str(diags.get_option_at_index(i).prompt) for i in range(diags.option_count)]


async def test_the_problems_show_their_hints_and_a_fix_is_applied_with_enter(tmp_path):
    path = tmp_path / "lenet5.yaml"
    path.write_text((SPECS / "lenet5.yaml").read_text().replace(*POOL2))
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        shown = options(app)
        assert shown[0].startswith("   18:5 error: pool2: H, W: (11 − 2 + 2·0)/2 + 1 = 5.5")
        assert "         hint an input of 10 (→ 5) or 12 (→ 6) fits this layer" in shown
        assert "        apply stride 1 (→ 10)" in shown
        fix = next(i for i, o in enumerate(shown) if o.startswith("        apply per-side"))
        diags = app.query_one(Diagnostics)
        diags.focus()
        diags.highlighted = fix
        await pilot.press("enter")
        await settle(pilot)
        assert "  - avgpool: {kernel: 2, padding: [[0, 1], [0, 1]]}   " in app.text
        assert toasts(app) == ["applied padding: [[0, 1], [0, 1]] on avgpool (line 18); "
                               "ctrl+z undoes it"]
        assert not any(d.layer == "pool2" for d in app.result.analysis.findings)
        assert cell(app, 5, "output (C×H×W)") == "16×6×6"


async def test_a_fix_that_cannot_be_applied_safely_says_so_and_changes_nothing(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text((SPECS / "lenet5.yaml").read_text()
                    .replace("classes: 10", "classes: 10\n  s: 2")
                    .replace("out: 6, kernel: 5}", "out: 6, kernel: 5, stride: s}"))
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        text = app.text
        diags = app.query_one(Diagnostics)
        diags.highlighted = options(app).index("        apply stride 3 (→ 10)")
        diags.action_select()
        await pilot.pause()
        assert toasts(app) == ["cannot apply “stride 3 (→ 10)”: `stride` is written as `s`, "
                               "which this cannot rewrite safely; set `stride: 3` by hand"]
        assert app.text == text


async def test_column_widths_shrink_after_an_edit(tmp_path):
    app = ArchcalcApp(spec_copy(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(LayerTable)

        def width() -> int:
            return next(c for k, c in table.columns.items() if k.value == "output (C×H×W)") \
                .get_render_width(table)
        narrow = width()
        await replace_in_editor(pilot, "out: 6,", "out: 60000000000,")
        await settle(pilot)
        assert width() > narrow
        await replace_in_editor(pilot, "out: 60000000000,", "out: 6,")
        await settle(pilot)
        assert width() == narrow


async def test_at_80x24_whole_columns_show_numbers_right_aligned_and_totals_on_one_line():
    app = snap_app("alexnet")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(LayerTable)
        shown = [k.value for k in table.columns]
        assert len(shown) >= 5 and table.hidden  # the mark, the layer and at least 3 more
        room = table.size.width - table.styles.scrollbar_size_vertical
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= room
        numeric = {"params", "MACs", "FLOPs", "activations", "receptive field"}
        for column in table.columns.values():
            if column.key.value in numeric:
                assert column.label.justify == "right"
                assert all(c.justify == "right" for c in table.get_column(column.key))
        note = str(app.query_one("#hidden-columns").render())
        assert note.startswith("not shown, for want of room: " + ", ".join(table.hidden))
        totals = app.query_one(Totals)
        assert str(totals.render()) == "params 62.4M · MACs 1.14G" and totals.size.height == 1
        await pilot.press("f8")  # a narrower editor: room for another column
        await settle(pilot)
        assert app.query_one("#editor").outer_size.width == 30 - ArchcalcApp.EDITOR_STEP
        assert len(table.columns) == len(shown) + 1
        await pilot.press("f7")  # the editor hidden: the analysis has the whole width
        await settle(pilot)
        assert "receptive field" in [k.value for k in table.columns]
        rf = [str(c) for c in table.get_column(next(k for k in table.columns
                                                    if k.value == "receptive field"))]
        assert rf[10:16] == ["131", "131", "163", "163", "195", "whole input"]  # conv4…pool3
        assert str(totals.render()) == "params 62.4M · MACs 1.14G · mem 238MiB · train 726MiB"


async def test_a_screenshot_is_saved_next_to_the_spec_numbered_never_over_a_file(tmp_path):
    path = spec_copy(tmp_path)
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert toasts(app) == [f"screenshot saved: {tmp_path / 'lenet5.svg'}",
                               f"screenshot saved: {tmp_path / 'lenet5-2.svg'}"]
        assert "conv1" in (tmp_path / "lenet5-2.svg").read_text()
        ours = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        assert len(ours) == 1 and "ctrl+t" in ours[0].help


async def test_a_screenshot_that_cannot_be_written_is_a_notification(tmp_path):
    path = tmp_path / "no/such/dir/new.yaml"
    app = ArchcalcApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert toasts(app) == [f"cannot write a screenshot next to {path.with_suffix('.svg')}: "
                               "No such file or directory"]
        assert app.is_running


async def test_an_untitled_spec_s_screenshot_goes_to_the_current_folder(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArchcalcApp(None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert toasts(app) == ["screenshot saved: untitled.svg"]
        assert (tmp_path / "untitled.svg").exists()


# -- the tui command -----------------------------------------------------------------------

@pytest.fixture
def started(monkeypatch):
    """`archcalc tui` without a terminal: what the app would have been started with."""
    calls = []
    monkeypatch.setattr("archcalc.tui.run", lambda *args: calls.append(args))
    return calls


def test_the_command_refuses_a_folder_before_the_app_starts(cli, tmp_path, started):
    result = cli("tui", tmp_path)
    assert result.exit_code == 2 and started == []
    assert result.stderr == f"error: cannot open {tmp_path}: it is a folder, not a spec file\n"


def test_the_command_refuses_a_file_that_is_not_utf8(cli, tmp_path, started):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("archcalc: 1\nname: caf\xe9\n".encode("latin-1"))
    result = cli("tui", bad)
    assert result.exit_code == 2 and started == []
    assert result.stderr == (f"error: cannot open {bad}: it is not UTF-8 text "
                             "(byte 0xe9 at offset 21)\n")


def test_the_command_passes_the_text_it_read(cli, tmp_path, started):
    path = spec_copy(tmp_path)
    assert cli("tui", path).exit_code == 0
    assert started == [(path, path.read_text())]


def test_a_built_in_name_in_a_folder_that_refuses_writes_still_starts(cli, tmp_path,
                                                                      monkeypatch, started):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # the working folder no longer exists: nothing can be written there
    assert cli("tui", "lenet5").exit_code == 0
    assert started == [(Path("lenet5.yaml"), (SPECS / "lenet5.yaml").read_text())]


# -- snapshots ---------------------------------------------------------------------------

CLIP = """archcalc: 1
name: a clip
input: [3, 8, 32, 32]
layers:
  - conv: {out: 4, kernel: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]}
  - conv: {out: 4, kernel: [2, 1, 1], stride: [2, 1, 1]}
"""


async def test_a_clip_shows_time_height_and_width():
    """3-D input: the table's shapes are C×T×H×W, and the pyramid's bars measure the
    height, not the frames (halving the frames alone leaves the bar as it is)."""
    from archcalc.tui.views import Pyramid

    app = ArchcalcApp(None, CLIP)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(LayerTable)
        assert "C×T×H×W" in [str(c.label) for c in table.columns.values()]  # shortened
        assert cell(app, 0, "output (C×T×H×W)") == "4×8×16×16"
        await pilot.press("f3")
        await pilot.pause()
        bars = {ln[2:].split()[0]: (ln[2:].split()[1], ln.count("█")) for ln in as_text(
            app.query_one(Pyramid).content).splitlines() if ln[2:].startswith("conv")}
        assert bars == {"conv1": ("8×16×16", Pyramid.WIDTH), "conv2": ("4×16×16", Pyramid.WIDTH)}


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


def test_snapshot_80x24(snap_compare):
    """AlexNet in a small terminal: whole columns, the rest named, the totals on one line."""
    assert snap_compare(snap_app("alexnet"), terminal_size=(80, 24), run_before=_settled)


def test_snapshot_problem_hints(snap_compare):
    assert snap_compare(snap_app("lenet5", POOL2), terminal_size=SIZE, run_before=_settled)


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
        await _settled(pilot)  # the formulas are worked out once they are shown
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
            if "6×28×28" in screen and "f1 Help" in screen:
                break
        assert "6×28×28" in screen and "conv1" in screen and "f1 Help" in screen  # the footer
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"])
        time.sleep(1.0)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def table_lines(app) -> list[list[tuple[str, object]]]:
    """The layer table as it paints: each visible line's segments (text and style)."""
    table = app.query_one(LayerTable)
    return [[(s.text, s.style) for s in table.render_line(y)] for y in range(table.size.height)]


@pytest.mark.parametrize("spec,edits", [
    ("resnet18", [("out: 128", "out: 96", "layer2")]),          # cells of rows below change
    ("resnet18", [("padding: 3", "padding: 4", "")]),           # every row below the stem
    ("resnet18", [("out: 128", "out: 96", "layer2"), ("out: 96", "out: 128", "layer2")]),
    ("resnet18", [("kernel: 7", "kernel: 300", ""), ("kernel: 300", "kernel: 7", "")]),
    ("lenet5", [("- flatten", "- batchnorm", "")]),  # a column (buffers) appears
])
async def test_the_table_after_edits_paints_as_a_fresh_one(tmp_path, spec, edits):
    """The table reuses the cells and rendered rows of layers an edit did not change
    (issue 13): after any edits it must paint exactly what a table opened on the edited
    text paints — the same characters and styles, line by line."""
    app = ArchcalcApp(spec_copy(tmp_path, spec))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        columns = len(app.query_one(LayerTable).columns)
        for old, new, where in edits:
            await replace_in_editor(pilot, old, new, where)
            await settle(pilot)
        text, row = app.text, app.query_one(LayerTable).cursor_row
        edited = table_lines(app)
        if spec == "lenet5":
            assert len(app.query_one(LayerTable).columns) == columns + 1
            # the cursor is on the new layer, under the editor's cursor
            assert app.result.analysis.rows[row].name == "bn1"
    fresh_path = tmp_path / "fresh.yaml"
    fresh_path.write_text(text)
    fresh = ArchcalcApp(fresh_path)
    async with fresh.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fresh.query_one(LayerTable).move_cursor(row=row, animate=False)
        await pilot.pause()
        assert table_lines(fresh) == edited


async def test_the_editor_highlights_as_textareas_own(tmp_path):
    """The editor works out syntax highlights a chunk at a time where lines are drawn
    (tui/editor.py, issue 13); it must paint what Textual's TextArea paints, which
    highlights the whole document: here a spec of several chunks, a block scalar across
    a chunk's edge, scrolled to the middle, before and after an edit."""
    from archcalc.tui.editor import CHUNK, Editor
    from textual.app import App

    layers = "".join(f"  - conv: {{out: {8 + i % 5}, kernel: 3, padding: 1}}  # c{i}\n"
                     "  - relu\n" for i in range(CHUNK * 2))
    scalar = "doc: |\n" + "".join(f"  line {i}\n" for i in range(CHUNK + 4))  # rows 3…
    text = "archcalc: 1\nname: big\n" + scalar + "input: [3, 32, 32]\nlayers:\n" + layers

    class Both(App):
        def compose(self):
            yield TextArea.code_editor(text, language="yaml", id="theirs", soft_wrap=False)
            yield Editor.code_editor(text, language="yaml", id="ours", soft_wrap=False)

    def painted(area) -> list:
        return [[(s.text, s.style) for s in area.render_line(y)]
                for y in range(area.size.height)]

    app = Both()
    async with app.run_test(size=(100, 40)) as pilot:
        theirs, ours = app.query_one("#theirs", TextArea), app.query_one("#ours", Editor)
        app.set_focus(None)  # neither shows a cursor line
        await pilot.pause()
        for row in (0, CHUNK - 8, CHUNK + 300, 2 * CHUNK + 5):
            for area in (theirs, ours):
                area.scroll_to(y=row, animate=False)
            await pilot.pause()
            assert painted(ours) == painted(theirs)
            assert any(len(line) > 3 for line in painted(ours))  # highlighted at all
        for area in (theirs, ours):
            area.replace("out: 99", (CHUNK + 310, 10), (CHUNK + 310, 16))
            area.scroll_to(y=CHUNK + 300, animate=False)
        await pilot.pause()
        assert painted(ours) == painted(theirs)
