"""`archcalc tui SPEC`: the design loop in a terminal.

The spec in an editor on the left; on the right the analysis — the layer table (the same
columns as `archcalc check`), the pyramid, the symbols with their formulas — a totals bar
and the diagnostics. Every edit is re-analysed in a worker off the UI thread, debounced,
stale runs discarded; while the text does not parse, the last good analysis stays,
dimmed. Needs textual; never torch (export and verify load it only when asked).

A file that cannot be read or written, or a bug in a worker, is a notification or a
problem in the list: the app keeps running and the editor keeps the text. Paths, names and
messages are shown as plain text, never as markup (plain.py).
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Input, Label, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from archcalc import specs as library
from archcalc.errors import SpecError
from archcalc.spec import bounds

from . import analysis as A
from . import fixes
from .plain import plain
from .screens import HELP, AskPath, Confirm, MainScreen, Templates, TextScreen
from .session import FileProblem, Session, atomic_write, read_spec, reason, write_new
from .widgets import Diagnostics, LayerTable, Pyramid, SymbolsInfo, Totals

DEBOUNCE = 0.25  # seconds after the last keystroke
TEMPLATES = ["lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "googlenet"]


class ArchcalcApp(App):
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

    def __init__(self, path: Path | None = None, text: str | None = None) -> None:
        super().__init__()
        self.problems: list[str] = []  # said once the app runs
        exists = path is not None and path.exists()
        if text is None and exists:
            try:
                text = read_spec(path)
            except FileProblem as problem:
                # (`archcalc tui` refuses such a file before starting.) Untitled, so that
                # a save cannot overwrite the file with text it never held.
                self.problems.append(f"cannot open {path}: {problem}; this is a new, "
                                     "untitled spec")
                path, exists = None, False
        if text is None:
            text = library.path("lenet5").read_text(encoding="utf-8")
        self.session = Session(path, text if exists else "")
        self.initial_text = text
        self.version = 0
        self.bindings_values: dict[str, int] = {}
        self.cache: dict = {}
        self.result: A.Result | None = None
        self._timer = None
        self._analysed_text: str | None = None

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield TextArea.code_editor(self.initial_text, language="yaml", id="editor",
                                       soft_wrap=False)
            with Vertical(id="right"):
                with TabbedContent(id="views"):
                    with TabPane("Layers", id="table"):
                        yield LayerTable(id="layers")
                        yield Static(id="hidden-columns")
                    with TabPane("Pyramid", id="pyramid"):
                        yield Pyramid(id="pyramid-view")
                    with TabPane("Symbols", id="symbols"):
                        yield Horizontal(id="bindings")
                        yield SymbolsInfo(id="symbols-view")
                yield Totals(id="totals")
                yield Diagnostics(id="diagnostics")
        yield Footer(compact=True)  # every key fits in 150 columns

    def on_mount(self) -> None:
        self.query_one("#editor").border_title = plain(self.session.name)
        self.query_one("#diagnostics").border_title = "Problems"
        for problem in self.problems:
            self.say(problem, "error")
        try:
            recovered = self.session.recovered_text()
        except FileProblem as problem:  # moved aside, never deleted: say where it is
            self.say(str(problem), "warning")
            recovered = None
        if recovered is not None and recovered != self.initial_text:
            def answer(restore: bool | None) -> None:
                if restore:
                    self.query_one("#editor", TextArea).load_text(recovered)
                else:
                    self.session.discard_recovery()
            self.push_screen(Confirm("Unsaved changes to this spec were recovered from a "
                                     "session that ended abruptly. Restore them?",
                                     "Restore", "Discard"), answer)
        self.analyse_now()

    # -- analysis ----------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.query_one("#editor", TextArea).text

    @on(TextArea.Changed, "#editor")
    def edited(self) -> None:
        if self.text == self._analysed_text:
            return  # e.g. the editor loading its first text: nothing to re-analyse
        self.version += 1
        self.update_title()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.analyse_now)

    def analyse_now(self) -> None:
        if not self.query("#editor"):
            return  # the debounce timer fired while the app was closing
        self._analysed_text = self.text
        self.analyse(self.text, self.version, dict(self.bindings_values))

    @work(exclusive=True, thread=True, group="analysis")
    def analyse(self, text: str, version: int, bindings: dict) -> None:
        try:
            result = A.run(text, self.session.name, bindings, version, self.cache)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the editor down
            result = A.internal_error(version, exc)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self.show, result)
        self.session.keep_recovery(text)

    def show(self, result: A.Result) -> None:
        if result.version != self.version:
            return  # a newer edit is on its way
        stale = result.error is not None
        for widget in self.query("LayerTable, Pyramid, SymbolsInfo"):
            widget.set_class(stale, "stale")
        diagnostics = self.query_one(Diagnostics)
        if stale:
            diagnostics.show(list(result.error.diagnostics))
            return
        self.result = result
        a = result.analysis
        self.query_one(LayerTable).show(a)
        self.query_one(Pyramid).show(a)
        self.query_one(SymbolsInfo).show(a, result.symbolic)
        self.query_one(Totals).show(a, result.memory)
        diagnostics.show(list(a.findings))
        self.show_bindings(result.input_symbols, a)

    def show_bindings(self, names: tuple[str, ...], a) -> None:
        box = self.query_one("#bindings", Horizontal)
        have = [i.id.removeprefix("bind-") for i in box.query(Input)]
        if have == list(names):
            return
        box.remove_children()
        current = dict(a.bindings)
        for n in names:
            box.mount(Label(plain(f" {n} = ")))
            box.mount(Input(str(current.get(n, "")), id=f"bind-{n}", type="integer"))

    @on(Input.Submitted)
    @on(Input.Changed)
    def bound(self, event: Input.Changed) -> None:
        if not (event.input.id or "").startswith("bind-"):
            return
        name = event.input.id.removeprefix("bind-")
        value = event.value.strip()
        # ASCII digits only ("²".isdigit() is true) and no more than a spec number may have:
        # int() of 5,000 digits raises, and any number is at most 2^63 − 1 (spec/bounds.py).
        if value.isascii() and value.isdigit() and len(value) <= bounds.MAX_DIGITS and \
                0 < int(value) <= bounds.MAX_VALUE:
            self.bindings_values[name] = int(value)
        else:
            self.bindings_values.pop(name, None)
        self.version += 1
        self._analysed_text = None
        self.analyse_now()

    # -- navigation --------------------------------------------------------------------
    @on(TextArea.SelectionChanged, "#editor")
    def cursor_moved(self, event: TextArea.SelectionChanged) -> None:
        self.query_one(LayerTable).highlight_line(event.selection.end[0] + 1)

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
        note = self.query_one("#hidden-columns", Static)
        note.display = bool(event.headers)
        note.update(plain(f"not shown, for want of room: {', '.join(event.headers)} — f8 "
                          "narrows the editor, f7 hides it"))

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

    # -- files -------------------------------------------------------------------------
    def say(self, message: str, severity: str = "information") -> None:
        """Every notification goes through here: shown as it is, never as markup."""
        self.notify(message, severity=severity, markup=False)

    def update_title(self) -> None:
        dirty = " ●" if self.session.dirty(self.text) else ""
        self.query_one("#editor").border_title = plain(self.session.name + dirty)

    def action_save(self) -> None:
        if self.session.path is None:
            self.action_save_as()
            return
        self.save_to(self.session.path)

    def action_save_as(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.save_to(Path(path))
        self.push_screen(AskPath("Save as:", self.session.name), chosen)

    def save_to(self, path: Path) -> None:
        try:
            self.session.save(self.text, path)
        except OSError as exc:  # the session stays dirty and the recovery copy stays
            self.say(f"cannot save {path}: {reason(exc)}; the text is kept: choose another "
                     "place with ctrl+p, Save as", "error")
            return
        self.update_title()
        self.say(f"saved {path}")

    def action_open(self) -> None:
        def chosen(path: str | None) -> None:
            if not path:
                return
            p = Path(path)
            try:
                text = read_spec(p)
            except FileProblem as problem:
                self.say(f"cannot open {path}: {problem}", "error")
                return
            self.replace(p, text)
        self.confirm_discard(lambda: self.push_screen(AskPath("Open spec:"), chosen))

    def action_new(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.replace(None, library.path(name).read_text(encoding="utf-8"))
        names = [n for n in TEMPLATES if library.path(n)] + \
            [n for n in library.names() if n not in TEMPLATES]
        self.confirm_discard(lambda: self.push_screen(Templates(names), chosen))

    def replace(self, path: Path | None, text: str) -> None:
        self.session = Session(path, text if path else "")
        self.query_one("#editor", TextArea).load_text(text)
        self.update_title()

    def confirm_discard(self, then) -> None:
        if not self.session.dirty(self.text):
            then()
            return
        self.push_screen(Confirm("Discard the unsaved changes?", "Discard", "Cancel"),
                         lambda yes: then() if yes else None)

    async def action_quit(self) -> None:
        if not self.session.dirty(self.text):
            self.session.discard_recovery()
            self.exit()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.session.discard_recovery()
                self.exit()
        self.push_screen(Confirm("There are unsaved changes. Quit without saving?",
                                 "Quit", "Cancel"), answer)

    # -- acting on the design ------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(TextScreen("Keys", HELP))

    def action_export(self) -> None:
        self.torch_job("export", self.text, self.session.path, dict(self.bindings_values))

    def action_verify(self) -> None:
        self.torch_job("verify", self.text, self.session.path, dict(self.bindings_values))

    @work(exclusive=True, thread=True, group="torch")
    def torch_job(self, job: str, text: str, path: Path | None, bindings: dict) -> None:
        """Export or verify, off the UI thread, with the text as it was when asked. Every
        way it can fail is a notification: the editor and its text stay."""
        def say(message: str, severity: str = "error") -> None:
            self.call_from_thread(self.say, message, severity)

        try:
            import torch  # noqa: F401 - only these two actions need it
        except ImportError:
            say(f"{job} needs PyTorch: pip install 'archcalc[torch]'")
            return
        try:
            from archcalc.reference import CompileError

            from archcalc.spec import parse_text

            try:
                spec = parse_text(text, str(path) if path else "untitled.yaml")
                if job == "export":
                    from archcalc.reference.codegen import generate

                    source = generate(spec, bindings)
                else:
                    from archcalc.reference.verify import verify

                    r = verify(spec, bindings)
            except (SpecError, CompileError) as exc:
                say(str(exc).splitlines()[0])
                return
            if job == "export":
                target = path.with_name(path.stem + "_model.py") if path else Path("model.py")
                try:
                    atomic_write(target, source)
                except OSError as exc:
                    say(f"cannot write {target}: {reason(exc)}")
                    return
                say(f"wrote {target}", "information")
            else:
                lines = [f"{w}: calculator {c:,} · PyTorch {t:,} — "
                         f"{'agree' if c == t else 'DISAGREE'}" for w, c, t in r.totals]
                bad = r.first_mismatch
                lines.append(f"{len(r.layers)} layers: " + ("all agree" if r.ok else
                             f"first mismatch {bad.name if bad else '(totals)'}"))
                self.call_from_thread(self.push_screen,
                                      TextScreen("Verify against PyTorch", "\n".join(lines)))
        except Exception as exc:  # noqa: BLE001 - a bug here must not close the editor
            say(f"{job} failed: {type(exc).__name__}: {exc}")

    def action_save_screenshot(self) -> None:
        """An SVG of the screen next to the spec (SPEC.svg, SPEC-2.svg … never over a
        file), or untitled.svg in the current folder."""
        base = self.session.path.with_suffix(".svg") if self.session.path \
            else Path("untitled.svg")
        try:
            written = write_new(base, self.export_screenshot())
        except OSError as exc:
            self.say(f"cannot write a screenshot next to {base}: {reason(exc)}", "error")
            return
        self.say(f"screenshot saved: {written}")

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
