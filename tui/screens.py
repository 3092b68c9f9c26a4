"""Modal screens: confirm quit, open a file, choose a template, recover, help, text.

What they show comes from their caller and may quote paths or names: it is shown as
plain text (plain.py), never parsed as markup."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .plain import plain


class MainScreen(Screen):
    """The app's screen. Its keys are listed (footer, keys panel) in the order of the app's
    BINDINGS, whichever widget has the focus: otherwise the editor's own f6 and f7 (which
    the app's keys override) would put Verify and Editor first."""

    @property
    def active_bindings(self):
        found = super().active_bindings
        order = {b.key: i for i, b in enumerate(getattr(self.app, "BINDINGS", ()))
                 if hasattr(b, "key")}
        return dict(sorted(found.items(), key=lambda kv: order.get(kv[0], len(order))))


class Confirm(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Grid(id="dialog"):
            yield Label(plain(self.question), id="question")
            yield Button(self.yes, variant="error", id="yes")
            yield Button(self.no, variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AskPath(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, prompt: str, value: str = "") -> None:
        super().__init__()
        self.prompt, self.value = prompt, value

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(plain(self.prompt))
            yield Input(self.value, id="path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class Templates(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label("New spec from a template:")
            yield OptionList(*[Option(plain(n), id=n) for n in self.names], id="templates")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class TextScreen(ModalScreen[None]):
    """A title and a body: text (shown as it is) or a rich renderable built of `Text`
    (the verify summary, render/verify_text.py), which is never parsed as markup either."""

    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("q", "dismiss", "Close")]

    def __init__(self, title: str, body: str | RenderableType) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text"):
            yield Label(plain(self.title_text), classes="title")
            yield Static(plain(self.body) if isinstance(self.body, str) else self.body,
                         id="body")
            yield Label("escape to close", classes="hint")


HELP = """\
Every key works wherever the focus is, the editor included; the footer lists them all.

f1            this help
ctrl+s        save (atomic; your text exactly as typed)
ctrl+o        open a spec
ctrl+n        new spec from a template (LeNet-5, AlexNet, VGG, ResNet, GoogLeNet, …)
f2 / f3 / f4  the layer table / the pyramid / symbols and formulas
f5            export PyTorch code next to the spec (needs torch)
f6            verify against PyTorch (needs torch)
f7            hide or show the editor (the analysis gets the whole width)
f8 / f9       narrow / widen the editor
ctrl+t        screenshot: an SVG of the screen next to the spec (SPEC.svg, SPEC-2.svg …)
ctrl+p        command palette (also: save as)
ctrl+q        quit (asks when there are unsaved changes)

Moving the focus: tab and shift+tab go from panel to panel (editor, tabs, table or
symbols, problems), or click a panel. In the editor tab indents: escape leaves it.

Binding symbols: f4 shows the symbols panel; type a value into a field (H = 224) and
every size, count and formula follows; empty the field to go back to the spec's value.

The table shows whole columns only: those that do not fit are named under it (f8 or f7
make room). Every edit is analysed in the background; while the spec does not parse, the
last good analysis stays visible, dimmed. Choose a problem (enter or a click) to jump to
its line; its hints are listed beneath it, and a hint marked `apply` is an edit of that
layer: choose it to make the edit (ctrl+z in the editor undoes it). Move the cursor in the
spec to find its layer in the table, and choose a row to jump to its line."""
