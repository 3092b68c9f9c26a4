"""The problems panel: errors, warnings and notes with their lines and hints, and the
fixes that are concrete edits (fixes.py). Attributes down, messages up (widgets.py):
the app sets `findings`; choosing an entry posts where to go or which fix to make."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from archcalc.errors import Diagnostic
from archcalc.render.styles import GOOD, MUTED, status_style

from .fixes import Fix, fixes


class Diagnostics(OptionList):
    """Errors and warnings with their lines, each with its hints beneath it. Choosing a
    problem or a hint moves the editor there; choosing a hint marked `apply` (a concrete
    edit of the layer, fixes.py) asks the app to make that edit."""

    # The latest analysis's findings, or the errors of a text that does not parse; None
    # until the first analysis.
    findings: reactive[tuple[Diagnostic, ...] | None] = reactive(None)

    class LineRequested(Message):
        def __init__(self, line: int, column: int) -> None:
            self.line, self.column = line, column
            super().__init__()

    class FixRequested(Message):
        def __init__(self, diagnostic: Diagnostic, fix: Fix) -> None:
            self.diagnostic, self.fix = diagnostic, fix
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.actions: list[tuple] = []  # per option: () | ("line", loc) | ("fix", d, fix)
        self._prompts: list[Text] | None = None  # what the options show

    def watch_findings(self, findings: tuple[Diagnostic, ...] | None) -> None:
        if findings is None:
            return
        prompts, self.actions = self._listing(findings)
        # The app sets its findings after every analysis, most edits leaving what they
        # say unchanged; rebuilding the options lays out the whole screen again (~40 % of a
        # keystroke's time on ResNet-50, bench/tui_speed.py), so the same text is kept.
        if prompts == self._prompts:
            return
        self._prompts = prompts
        self.clear_options()
        self.add_options([Option(p) for p in prompts])

    @staticmethod
    def _listing(findings: tuple[Diagnostic, ...]) -> tuple[list[Text], list[tuple]]:
        """The options' texts and, for each, what choosing it does."""
        if not findings:
            return [Text("no problems: every layer fits", style=GOOD)], [()]
        prompts: list[Text] = []
        actions: list[tuple] = []
        for d in findings:
            where = f"{d.loc.line}:{d.loc.column}" if d.loc else "-"
            prompts.append(Text.assemble((f"{where:>7} ", MUTED),
                                         (f"{d.severity}: ", status_style(d.severity)),
                                         f"{d.layer + ': ' if d.layer else ''}{d.message}"))
            go = ("line", d.loc) if d.loc else ()
            actions.append(go)
            for hint in d.hints:
                found = fixes(d, hint) if d.loc else []
                for fix in found:
                    prompts.append(Text.assemble(("        apply ", f"bold {GOOD}"), fix.label))
                    actions.append(("fix", d, fix))
                if not found:
                    prompts.append(Text.assemble(("         hint ", MUTED), hint))
                    actions.append(go)
        return prompts, actions

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        action = self.actions[event.option_index] if event.option_index < len(self.actions) \
            else ()
        if action and action[0] == "line":
            self.post_message(self.LineRequested(action[1].line, action[1].column))
        elif action and action[0] == "fix":
            self.post_message(self.FixRequested(action[1], action[2]))
