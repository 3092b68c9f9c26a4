"""The file half of the design session: the spec's file, saved, opened, replaced by a
template, quit with a question when there are unsaved changes, and screenshots.

`SpecFileApp` is the base of `ArchcalcApp` (app.py): it owns the `Session` (session.py)
and the editor's text, and nothing of the analysis. Every way a file can fail is a
notification (`say`, never markup): the app keeps running and the editor keeps the text.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import TextArea

from archcalc import specs as library

from .plain import plain
from .screens import AskPath, Confirm, Templates
from .session import FileProblem, Session, read_spec, reason, write_new

TEMPLATES = ["lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "googlenet"]


class SpecFileApp(App):
    session: Session

    @property
    def text(self) -> str:
        return self.query_one("#editor", TextArea).text

    def say(self, message: str, severity: str = "information") -> None:
        """Every notification goes through here: shown as it is, never as markup. A
        warning or an error stays three times as long as news: it often names a path to
        read (where a recovery copy was moved) and asks something of the user."""
        timeout = self.NOTIFICATION_TIMEOUT * (1 if severity == "information" else 3)
        self.notify(message, severity=severity, markup=False, timeout=timeout)

    def update_title(self) -> None:
        dirty = " ●" if self.session.dirty(self.text) else ""
        self.query_one("#editor").border_title = plain(self.session.name + dirty)

    def offer_recovery(self, initial_text: str) -> None:
        """Ask whether to restore the copy a session that ended abruptly left behind."""
        try:
            recovered = self.session.recovered_text()
        except FileProblem as problem:  # moved aside, never deleted: say where it is
            self.say(str(problem), "warning")
            return
        if recovered is None or recovered == initial_text:
            return

        def answer(restore: bool | None) -> None:
            if restore:
                self.query_one("#editor", TextArea).load_text(recovered)
            else:
                self.session.discard_recovery()
        self.push_screen(Confirm("Unsaved changes to this spec were recovered from a "
                                 "session that ended abruptly. Restore them?",
                                 "Restore", "Discard"), answer)

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
