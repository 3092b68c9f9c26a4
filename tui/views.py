"""The pyramid (f3), the symbols and formulas (f4) and the fields that bind the input's
symbols. Attributes down, messages up (widgets.py): each renders the `result` the app
binds to it; a field that changes posts `SymbolFields.Bound`."""

from __future__ import annotations

import math

from rich.text import Text
from textual import on
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from archcalc.notation import shape_text
from archcalc.render.columns import entries, status_mark
from archcalc.render.numbers import exact
from archcalc.render.styles import GOOD, HEADER, MUTED, STATUS, status_style
from archcalc.spec import bounds

from .analysis import Result
from .messages import Formulas
from .plain import plain


class DrawnWhenShown(Static):
    """A view drawn only while it is on screen: what changes while it is hidden is drawn
    when it is next shown (a hidden Static's update still lays out the whole screen)."""

    _unseen = False  # something changed while hidden

    def when_shown(self) -> None:
        if self.is_on_screen:
            self.redraw()
        else:
            self._unseen = True

    def on_show(self) -> None:
        if self._unseen:
            self._unseen = False
            self.redraw()

    def redraw(self) -> None:
        raise NotImplementedError


class Pyramid(DrawnWhenShown):
    """Seed 000's picture of a convnet: the spatial size shrinks as the depth grows."""

    WIDTH = 28
    result: reactive[Result | None] = reactive(None)
    stale: reactive[bool] = reactive(False, toggle_class="stale")

    def watch_result(self) -> None:
        self.when_shown()

    def redraw(self) -> None:
        result = self.result
        if result is None:
            return
        rows = [e for e in entries(result.analysis, collapse=True)
                if e.value("out_shape") is not None]
        shapes = [e.value("out_shape") for e in rows]
        concrete = [s for s in shapes if s.c.is_number and all(d.is_number for d in s.dims)]
        if not concrete:
            self.update("The pyramid needs numbers: bind the input's symbols.")
            return
        size_max = max((_extent(s) for s in concrete if s.dims), default=1)
        depth_max = max(int(s.c) for s in concrete)
        out = Text()
        out.append(f"{'layer':<14}{'spatial':>10}  {'':<{self.WIDTH}}  {'depth':>6}\n", HEADER)
        for e, s in zip(rows, shapes):
            mark = f"{status_mark(e) or ' '} "
            style = status_style(e.status)
            if not (s.c.is_number and all(d.is_number for d in s.dims)):
                out.append(f"{mark}{e.label[:12]:<12} (symbolic)\n", style)
                continue
            spatial = "×".join(str(int(d)) for d in s.dims) if s.dims else "flat"
            w = _extent(s) if s.dims else 1
            bar = max(1, round(self.WIDTH * w / size_max)) if s.dims else 0
            depth = max(1, round(self.WIDTH * math.log1p(int(s.c)) / math.log1p(depth_max)))
            out.append(f"{mark}{e.label[:12]:<12}{spatial:>10}  ", style)
            out.append(f"{'█' * bar:<{self.WIDTH}}", style or "cyan")
            out.append(f"  {int(s.c):>6} ", style)
            out.append("▓" * depth + "\n", style or "magenta")
        out.append("\nbars: spatial size (linear) · depth (log scale)", MUTED)
        self.update(out)


def _extent(shape) -> int:
    """The spatial size a bar shows: the height (L in 1-D; a clip's frames are not it)."""
    return int(shape.dims[-2] if len(shape.dims) > 1 else shape.dims[0])


class SymbolsInfo(DrawnWhenShown):
    """The formulas of a symbolic input and the sizes that fit."""

    result: reactive[Result | None] = reactive(None)
    stale: reactive[bool] = reactive(False, toggle_class="stale")
    # The formulas of `result` (worked out apart, and only while this view is shown).
    formulas: reactive[Formulas | None] = reactive(None)

    def watch_result(self) -> None:
        self.when_shown()

    def watch_formulas(self) -> None:
        self.when_shown()

    def redraw(self) -> None:
        result = self.result
        if result is None:
            return
        formulas = self.formulas if self.formulas is not None and \
            self.formulas.version == result.version else None
        a, symbolic = result.analysis, formulas.symbolic if formulas else None
        out = Text()
        if not result.input_symbols:
            out.append("The input has no symbols: write input: [3, H, W] and declare H, W "
                       "under symbols: to see formulas.\n", MUTED)
        for v in a.valid_inputs:
            if v.reason:
                out.append(f"{v.symbol}: not computed — {v.reason}\n")
                continue
            fits = ("fits" if v.current_fits else "does NOT fit") if v.current else ""
            out.append(f"{v.symbol}: ", HEADER)
            out.append(f"{v.text}; smallest {v.smallest}")
            if v.current is not None:
                out.append(f"; {v.symbol} = {v.current} {fits}",
                           GOOD if v.current_fits else STATUS["error"])
            out.append("\n")
        if result.input_symbols and formulas is None:
            out.append("\nWorking out the formulas of the input…\n", MUTED)
        if symbolic is not None:
            out.append("\nOutput shapes as formulas of the input:\n", HEADER)
            for e in entries(symbolic, collapse=True):
                shape = e.value("out_shape")
                if shape is not None:
                    out.append(f"  {e.label:<16} {shape_text(shape)}\n")
            t = symbolic.totals
            out.append(f"\n  MACs = {exact(t.macs)}\n", MUTED)
        self.update(out)


class SymbolFields(Horizontal):
    """A field per symbol of the input (`H = 224`), rebuilt when the symbols change."""

    result: reactive[Result | None] = reactive(None)

    class Bound(Message):
        """A field changed: bind `name` to `value`, or (None) go back to the spec's."""

        def __init__(self, name: str, value: int | None) -> None:
            self.name, self.value = name, value
            super().__init__()

    def watch_result(self, result: Result | None) -> None:
        if result is None:
            return
        names = result.input_symbols
        if [i.id.removeprefix("bind-") for i in self.query(Input)] == list(names):
            return
        self.remove_children()
        current = dict(result.analysis.bindings)
        for n in names:
            self.mount(Label(plain(f" {n} = ")))
            self.mount(Input(str(current.get(n, "")), id=f"bind-{n}", type="integer"))

    @on(Input.Submitted)
    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        event.stop()  # the app hears Bound, not the field
        value = event.value.strip()
        # ASCII digits only ("²".isdigit() is true) and no more than a spec number may have:
        # int() of 5,000 digits raises, and any number is at most 2^63 − 1 (spec/bounds.py).
        ok = value.isascii() and value.isdigit() and len(value) <= bounds.MAX_DIGITS and \
            0 < int(value) <= bounds.MAX_VALUE
        self.post_message(self.Bound(event.input.id.removeprefix("bind-"),
                                     int(value) if ok else None))
