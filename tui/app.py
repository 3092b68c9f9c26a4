"""`archcalc tui SPEC`: the design loop in a terminal.

The spec in an editor on the left; on the right the analysis — the layer table (the same
columns as `archcalc check`), the pyramid, the symbols with their formulas — a totals bar
and the diagnostics. Every edit is re-analysed in a worker off the UI thread at once;
while the text does not parse, the last good analysis stays, dimmed. Needs textual; never
torch (export and verify load it only when asked).

How the state moves: a worker computes and posts a message (messages.py, jobs.py) and
touches nothing else; the handlers here, on the message pump, drop a superseded result,
write what must be written (the export) and set the app's reactive attributes; the
widgets are data-bound to those and render themselves (widgets.py). The recovery copy is
written on the pump too, when an edit settles, so the copies follow the edits in order.

A file that cannot be read or written, or a bug in a worker, is a notification or a
problem in the list: the app keeps running and the editor keeps the text. Paths, names and
messages are shown as plain text, never as markup (plain.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, TabbedContent, TabPane, TextArea

from archcalc import specs as library
from archcalc.errors import Diagnostic
from archcalc.render.verify_text import summary

from . import analysis as A
from . import fixes, jobs
from .budget import BudgetPanel
from .editor import Editor
from .files import SpecFileApp
from .layer_table import LayerTable
from .messages import Analysed, Exported, Formulas, JobFailed, Verified
from .plain import plain
from .problems import Diagnostics
from .screens import HELP, MainScreen, TextScreen
from .session import FileProblem, Session, atomic_write, read_spec, reason
from .views import Pyramid, SymbolFields, SymbolsInfo
from .widgets import HiddenColumns, Totals

RECOVERY_DELAY = 0.25  # seconds after the last keystroke: the recovery copy is written
STALL = 0.25  # seconds an analysis may run before the latest change starts beside it


class ArchcalcApp(SpecFileApp):
    TITLE = "archcalc"
    CSS_PATH = "app.tcss"
    # Every key works whatever has the focus (priority: the editor would take f6 for
    # "select line", f7 for "select all"; its other keys — ctrl+e, ctrl+a, ctrl+k,
    # ctrl+left … — stay the editor's), and every one shows in the footer.
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "open", "Open", priority=True),
        Binding("ctrl+n", "new", "New", priority=True),
        Binding("f2", "view('table')", "Layers", priority=True),
        Binding("f3", "view('pyramid')", "Pyramid", priority=True),
        Binding("f4", "view('symbols')", "Symbols", priority=True),
        Binding("f5", "export", "Export", priority=True),
        Binding("f6", "verify", "Verify", priority=True),
        Binding("f7", "toggle_editor", "Editor", priority=True),
        Binding("f8", "resize_editor(-1)", "Narrower", priority=True),
        Binding("f9", "resize_editor(1)", "Wider", priority=True),
        Binding("ctrl+t", "save_screenshot", "Screenshot", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    MAIN_ACTIONS = frozenset({"help", "save", "open", "new", "view", "export", "verify",
                              "toggle_editor", "resize_editor", "save_screenshot"})
    EDITOR_STEP = 10     # cells per f8 / f9
    EDITOR_MIN = 20      # the editor's narrowest (line numbers and a little text)
    ANALYSIS_MIN = 30    # what f9 leaves to the analysis

    editor_shown: reactive[bool] = reactive(True)
    editor_width: reactive[int] = reactive(0)  # cells; 0: as app.tcss says (a third)
    # What the widgets show (data-bound in compose). Each new analysis is a new object:
    # always_update spares comparing it, field by field, with the last.
    result: var[A.Result | None] = var(None, always_update=True)  # the last that parsed
    stale: var[bool] = var(False)  # the text does not parse: the views are dimmed
    findings: var[tuple[Diagnostic, ...] | None] = var(None, always_update=True)
    formulas: var[Formulas | None] = var(None, always_update=True)  # of `result`, if shown

    def __init__(self, path: Path | None = None, text: str | None = None) -> None:
        super().__init__()
        self.opening_problems: list[str] = []  # said once the app runs
        exists = path is not None and path.exists()
        if text is None and exists:
            try:
                text = read_spec(path)
            except FileProblem as problem:
                # (`archcalc tui` refuses such a file before starting.) Untitled, so that
                # a save cannot overwrite the file with text it never held.
                self.opening_problems.append(f"cannot open {path}: {problem}; this is a "
                                             "new, untitled spec")
                path, exists = None, False
        if text is None:
            text = library.path("lenet5").read_text(encoding="utf-8")
        self.session = Session(path, text if exists else "")
        self.initial_text = text
        self.version = 0  # the generation of the text and bindings: one per change
        self.bindings_values: dict[str, int] = {}
        # The last analysis's cache, read-only: each worker gets a copy of its own, and
        # the current generation's comes back in its message (messages.Analysed).
        self.cache: Mapping = {}
        self.asked: dict[str, int] = {}  # export / verify: the generation last asked for
        self._recovery_timer = None
        self._stall = None  # the timer that starts the latest change beside a slow analysis
        self._in_flight = 0  # analyses started whose message has not come back
        self._analysed_text: str | None = None  # of the last analysis started
        self._analysed_version = -1

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        shows = (ArchcalcApp.result, ArchcalcApp.stale)
        yield Header()
        with Horizontal(id="main"):
            yield Editor.code_editor(self.initial_text, language="yaml", id="editor",
                                     soft_wrap=False)
            with Vertical(id="right"):
                with TabbedContent(id="views"):
                    with TabPane("Layers", id="table"):
                        yield LayerTable(id="layers").data_bind(*shows)
                        yield HiddenColumns(id="hidden-columns")
                    with TabPane("Pyramid", id="pyramid"):
                        yield Pyramid(id="pyramid-view").data_bind(*shows)
                    with TabPane("Symbols", id="symbols"):
                        yield SymbolFields(id="bindings").data_bind(ArchcalcApp.result)
                        yield BudgetPanel(id="budget-panel").data_bind(ArchcalcApp.result)
                        yield SymbolsInfo(id="symbols-view").data_bind(
                            *shows, ArchcalcApp.formulas)
                yield Totals(id="totals").data_bind(ArchcalcApp.result)
                yield Diagnostics(id="diagnostics").data_bind(ArchcalcApp.findings)
        yield Footer(compact=True)  # every key fits in 150 columns

    def on_mount(self) -> None:
        self.query_one("#editor").border_title = plain(self.session.name)
        self.query_one("#diagnostics").border_title = "Problems"
        for problem in self.opening_problems:
            self.say(problem, "error")
        self.offer_recovery(self.initial_text)
        self.analyse_now()  # (no recovery copy: there is no edit yet to keep)

    # -- analysis ----------------------------------------------------------------------
    # A change (an edit, a bound symbol) is analysed at once when no analysis is running,
    # so a keystroke reaches the table in the time of one analysis. Changes made while
    # one runs wait for it and are analysed together, the latest text only — unless it
    # is still running STALL seconds later: then the latest starts beside it.
    @on(TextArea.Changed, "#editor")
    def edited(self) -> None:
        if self.text == self._analysed_text:
            return  # e.g. the editor loading its first text: nothing to re-analyse
        self.version += 1
        self.update_title()
        if self._recovery_timer is not None:
            self._recovery_timer.stop()
        self._recovery_timer = self.set_timer(RECOVERY_DELAY, self.settled)
        self.change_made()

    def settled(self) -> None:
        """The typing paused: keep the recovery copy. On the message pump, so the copies
        are written in the order of the edits, the last one last."""
        if not self.query("#editor"):
            return  # the timer fired while the app was closing
        self.session.keep_recovery(self.text)

    def change_made(self) -> None:
        if not self._in_flight:
            self.analyse_now()
        elif self._stall is None:
            self._stall = self.set_timer(STALL, self.unstall)

    def unstall(self) -> None:
        self._stall = None
        if self._analysed_version != self.version and self.query("#editor"):
            self.analyse_now()

    def analyse_now(self) -> None:
        if self._stall is not None:
            self._stall.stop()
            self._stall = None
        self._in_flight += 1
        self._analysed_text, self._analysed_version = self.text, self.version
        # .copy(), not dict(): a read-only view's copy() copies the dict underneath with
        # its keys' hashes, where dict() hashes every key again (on the UI thread).
        self.analyse(self.text, self.session.name, dict(self.bindings_values), self.version,
                     self.cache.copy())

    # Every @work here names its `description`: without one, Textual writes the worker's
    # description from repr() of every argument, on the UI thread — the cache and a
    # symbolic Result print thousands of sympy formulas (seconds for ResNet-50).
    # Not exclusive: a worker cancelled before it starts would never post its message,
    # and `_in_flight` counts on every one coming back (one more per STALL at most).
    @work(thread=True, group="analysis", description="analyse the spec")
    def analyse(self, text: str, name: str, bindings: dict, version: int,
                cache: dict) -> None:
        self.post_message(jobs.analyse(text, name, bindings, version, cache))

    @on(Analysed)
    def analysed(self, message: Analysed) -> None:
        self._in_flight -= 1
        self.show(message)
        if self._analysed_version != self.version and not self._in_flight:
            self.analyse_now()  # what was typed while this one ran

    def show(self, message: Analysed) -> None:
        result = message.result
        if result.version != self.version:
            return  # superseded: a newer change's analysis is on its way
        self.cache = message.cache
        if result.error is not None:  # the views keep the last good analysis, dimmed
            self.stale = True
            self.findings = result.error.diagnostics
            return
        self.stale = False
        self.result = result
        self.findings = result.analysis.findings
        editor = self.query_one("#editor", TextArea)
        if editor.has_focus:  # the layer under the editor's cursor may be a new row now
            self.query_one(LayerTable).editor_line = editor.cursor_location[0] + 1
        self.tab_shown()

    # -- the formulas (f4): worked out only while they are shown -------------------------
    def formulas_shown(self) -> bool:
        return self.query_one(TabbedContent).active == "symbols"

    @on(TabbedContent.TabActivated)
    def tab_shown(self) -> None:
        """Work out the formulas of the result shown, if they are shown and not had."""
        result = self.result
        if self.formulas_shown() and result is not None and (
                self.formulas is None or self.formulas.version != result.version):
            self.work_out_formulas(result)

    @work(exclusive=True, thread=True, group="formulas", description="work out formulas")
    def work_out_formulas(self, result: A.Result) -> None:
        self.post_message(jobs.formulas(result))

    @on(Formulas)
    def formulas_done(self, message: Formulas) -> None:
        if self.result is not None and message.version == self.result.version:
            self.formulas = message

    @on(SymbolFields.Bound)
    def bound(self, event: SymbolFields.Bound) -> None:
        if event.value is None:
            self.bindings_values.pop(event.name, None)
        else:
            self.bindings_values[event.name] = event.value
        self.version += 1
        self._analysed_text = None
        self.change_made()

    # -- navigation --------------------------------------------------------------------
    @on(TextArea.SelectionChanged, "#editor")
    def cursor_moved(self, event: TextArea.SelectionChanged) -> None:
        self.query_one(LayerTable).editor_line = event.selection.end[0] + 1

    @on(LayerTable.LineRequested)
    @on(Diagnostics.LineRequested)
    def go_to_line(self, event) -> None:
        editor = self.query_one("#editor", TextArea)
        editor.move_cursor((event.line - 1, getattr(event, "column", 1) - 1))
        editor.focus()

    def action_view(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(LayerTable.ColumnsHidden)
    def columns_hidden(self, event: LayerTable.ColumnsHidden) -> None:
        self.query_one(HiddenColumns).headers = event.headers

    # -- the split between the editor and the analysis -----------------------------------
    def action_toggle_editor(self) -> None:
        self.editor_shown = not self.editor_shown

    def action_resize_editor(self, direction: int) -> None:
        editor = self.query_one("#editor", TextArea)
        if not self.editor_shown:
            self.editor_shown = True
            return
        most = self.size.width - self.ANALYSIS_MIN
        width = editor.outer_size.width + direction * self.EDITOR_STEP
        self.editor_width = max(self.EDITOR_MIN, min(most, width))

    def watch_editor_shown(self, shown: bool) -> None:
        editor = self.query_one("#editor", TextArea)
        self.query_one("#main").set_class(not shown, "-editor-hidden")
        if shown:
            editor.focus()
        elif editor.has_focus:
            self.query_one(LayerTable).focus()

    def watch_editor_width(self, width: int) -> None:
        if width:
            editor = self.query_one("#editor")
            editor.styles.min_width = self.EDITOR_MIN  # app.tcss's minimum is for the default
            editor.styles.width = width

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Under a dialog, the palette or a text screen, the main screen's keys rest (ctrl+q
        still quits): f5 must not export behind a question."""
        return not (action in self.MAIN_ACTIONS and isinstance(self.screen, ModalScreen))

    # -- applying a fix from the problems panel ---------------------------------------------
    @on(Diagnostics.FixRequested)
    def apply_fix(self, event: Diagnostics.FixRequested) -> None:
        current = self.result is not None and self.result.version == self.version and \
            self._analysed_text == self.text and \
            event.diagnostic in self.result.analysis.findings
        if not current:
            self.say("the spec changed since this problem was found: choose the fix again "
                     "once it is re-analysed", "warning")
            return
        loc = event.diagnostic.loc
        try:
            edit = fixes.edit_for(self.text, loc.line, loc.column, event.fix)
        except fixes.CannotApply as exc:
            self.say(f"cannot apply “{event.fix.label}”: {exc}", "warning")
            return
        editor = self.query_one("#editor", TextArea)
        done = editor.replace(edit.text, edit.start, edit.end)  # undoable with ctrl+z
        editor.move_cursor(done.end_location)
        self.say(f"applied {edit.what} (line {edit.start[0] + 1}); ctrl+z undoes it")

    # -- acting on the design: export and verify ----------------------------------------
    def action_help(self) -> None:
        self.push_screen(TextScreen("Keys", HELP))

    def action_export(self) -> None:
        self.ask("export")

    def action_verify(self) -> None:
        self.ask("verify")

    def ask(self, job: str) -> None:
        """Export or verify the text as it is now, off the UI thread. Asked again before
        the first is done, only the last one's result counts."""
        self.asked[job] = generation = self.asked.get(job, 0) + 1
        path = self.session.path
        target = path.with_name(path.stem + "_model.py") if path else Path("model.py")
        self.torch_job(job, generation, self.text, self.session.name, target,
                       dict(self.bindings_values))

    @work(thread=True, group="torch", description="export or verify")
    def torch_job(self, job: str, generation: int, text: str, name: str, target: Path,
                  bindings: dict) -> None:
        self.post_message(jobs.torch_job(job, generation, text, name, target, bindings))

    def is_latest(self, message: JobFailed | Exported | Verified) -> bool:
        return message.generation == self.asked.get(message.job)

    @on(JobFailed)
    def job_failed(self, message: JobFailed) -> None:
        if self.is_latest(message):
            self.say(message.reason, "error")

    @on(Exported)
    def exported(self, message: Exported) -> None:
        if not self.is_latest(message):
            return  # an older export: the newer one writes the file
        try:
            atomic_write(message.target, message.source)
        except OSError as exc:
            self.say(f"cannot write {message.target}: {reason(exc)}", "error")
            return
        self.say(f"wrote {message.target}")

    @on(Verified)
    def verified(self, message: Verified) -> None:
        if self.is_latest(message):
            self.push_screen(TextScreen("Verify against PyTorch",
                                        summary(message.verification)))

    def get_system_commands(self, screen):
        # Textual's own Screenshot writes to a downloads folder that may not exist: ours
        # writes next to the spec.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Screenshot")
        yield SystemCommand("Screenshot", "Save an SVG of the screen next to the spec "
                            "(ctrl+t)", lambda: self.set_timer(0.1, self.action_save_screenshot))
        yield SystemCommand("Hide or show the editor", "Give the analysis the whole width "
                            "(f7)", self.action_toggle_editor)
        yield SystemCommand("Save", "Save the spec (ctrl+s)", self.action_save)
        yield SystemCommand("Save as", "Save the spec under another name", self.action_save_as)
        yield SystemCommand("Open", "Open a spec (ctrl+o)", self.action_open)
        yield SystemCommand("New from template", "Start from LeNet-5, AlexNet, VGG, ResNet, "
                            "GoogLeNet…", self.action_new)
        yield SystemCommand("Export PyTorch code", "Write SPEC_model.py (f5)",
                            self.action_export)
        yield SystemCommand("Verify against PyTorch", "Meta-device check (f6)",
                            self.action_verify)
        yield SystemCommand("Pyramid", "Show the volumes as a pyramid (f3)",
                            lambda: self.action_view("pyramid"))
        yield SystemCommand("Symbols", "Formulas and valid input sizes (f4)",
                            lambda: self.action_view("symbols"))
