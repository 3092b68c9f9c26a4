"""The TUI's widgets. Each takes the latest analysis as an attribute and renders it; none
computes (attributes down, messages up). Names and messages from the spec reach the
screen as `rich.text.Text` or `plain()`, never as markup (plain.py)."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from archcalc.analysis import Analysis
from archcalc.errors import Diagnostic
from archcalc.render.columns import columns, entries, status_mark
from archcalc.render.numbers import both, exact, size_bytes

from .fixes import Fix, fixes
from .plain import plain
from archcalc.notation import shape_text

_STYLE = {"error": "bold red", "warning": "yellow", "skipped": "dim"}


class LayerTable(DataTable):
    """The same columns as `archcalc check`, one row per layer or block header.

    Only whole columns are shown: a column cut at the right edge would show the first digits
    of a right-aligned number (`1` for 131). When they do not all fit, the most useful ones
    are kept (PRIORITY) in their usual order and `hidden` names the rest. Widths are measured
    afresh on every update and resize, so they shrink as well as grow."""

    # The columns kept first when the width is short; the mark and the layer always stay.
    PRIORITY = ("layer", "output", "params", "MACs", "receptive field", "activations",
                "FLOPs", "type", "size arithmetic")

    # Shorter headers, used when the full ones leave a column out.
    SHORT: ClassVar[dict[str, str]] = {
        "output (C×H×W)": "C×H×W", "output (C×L)": "C×L", "receptive field": "RF",
        "size arithmetic": "arithmetic", "activations": "acts"}

    hidden: reactive[tuple[str, ...]] = reactive(())

    class LineRequested(Message):
        def __init__(self, line: int) -> None:
            self.line = line
            super().__init__()

    class ColumnsHidden(Message):
        """The headers of the columns that do not fit (none: every column shows)."""

        def __init__(self, headers: tuple[str, ...]) -> None:
            self.headers = headers
            super().__init__()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.lines: list[int] = []
        self._headers: list[str] = []
        self._numeric: list[bool] = []
        self._cells: list[list[Text]] = []
        self._key: list[str] = []
        self._shown_at = -1  # the width the columns were last chosen for

    def show(self, a: Analysis) -> None:
        cols = columns(a)
        self._headers = [c.header for c in cols]
        self._numeric = [c.numeric for c in cols]
        self._cells, self._key, self.lines = [], [], []
        for e in entries(a):
            style = _STYLE.get(e.status) or ("bold" if e.group is not None else "")
            self._cells.append([Text(status_mark(e), style=style)] + [
                Text(c.cell(e).replace("\n", " · "), style=style,
                     justify="right" if c.numeric else "left") for c in cols])
            self._key.append(e.row.name if e.row is not None else f"group:{e.group.path}")
            self.lines.append(e.line)
        self._fill()

    def on_resize(self) -> None:
        if self._cells and self._width() != self._shown_at:
            self._fill()

    def _width(self) -> int:
        # The vertical scrollbar's room is always kept, so that it appearing or not never
        # changes which columns fit.
        return self.size.width - self.styles.scrollbar_size_vertical

    def _widths(self, labels: list[str]) -> list[int]:
        """Each column's width (the mark's first), measured here: the table's own measuring
        happens later, when idle, and a repaint before it keeps the old widths."""
        return [max([Text(h).cell_len, *(row[i].cell_len for row in self._cells)])
                for i, h in enumerate(["", *labels])]

    def _chosen(self, labels: list[str]) -> list[int]:
        """The indexes (into the mark + the headers) of the columns that fit whole, their
        headers written as `labels`."""
        pad = 2 * self.cell_padding
        mark, *widths = self._widths(labels)
        room = self._width() - (mark + pad)
        keep = set()
        for name in self.PRIORITY:
            i = next((j for j, h in enumerate(self._headers) if h.startswith(name)), None)
            if i is None:
                continue
            if widths[i] + pad > room and keep:
                continue  # a narrower column further down the list may still fit
            keep.add(i)
            room -= widths[i] + pad
        keep.update(j for j, h in enumerate(self._headers)  # (columns PRIORITY misses)
                    if not any(h.startswith(n) for n in self.PRIORITY) and widths[j] + pad <= room)
        return [0] + [i + 1 for i in sorted(keep)]

    def _fill(self) -> None:
        """Rebuild the columns and rows from the cells; the cursor and scroll stay."""
        row, scroll_y = self.cursor_row, self.scroll_y
        labels = self._headers
        shown = self._chosen(labels)
        if len(shown) <= len(labels):  # something left out: try the short headers
            labels = [self.SHORT.get(h, h) for h in self._headers]
            shown = self._chosen(labels)
        self._shown_at = self._width()
        self.clear(columns=True)  # new columns measure their widths afresh (shrink too)
        headers, labels = ["", *self._headers], ["", *labels]
        numeric = [False, *self._numeric]
        widths = self._widths(labels[1:])
        for i in shown:  # keyed by the full header, whatever the label
            self.add_column(Text(labels[i], justify="right" if numeric[i] else "left"),
                            key=headers[i] or "mark", width=widths[i])
        for key, cells in zip(self._key, self._cells):
            self.add_row(*(cells[i] for i in shown), key=key)
        if self._cells:
            self.move_cursor(row=min(row, len(self._cells) - 1), animate=False, scroll=False)
            # after the refresh: only then does the table know its new height
            self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False)
        hidden = tuple(h for i, h in enumerate(headers) if i and i not in shown)
        if hidden != self.hidden:
            self.hidden = hidden
            self.post_message(self.ColumnsHidden(hidden))

    def highlight_line(self, line: int) -> None:
        """Move the cursor to the last row written at or above `line` (editor → table)."""
        best = None
        for i, row_line in enumerate(self.lines):
            if row_line <= line and (best is None or row_line >= self.lines[best]):
                best = i
        if best is not None and best != self.cursor_row:
            self.move_cursor(row=best, animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.lines):
            self.post_message(self.LineRequested(self.lines[event.cursor_row]))


class Totals(Widget):
    """Parameters, MACs, FLOPs and memory on one line: the longest wording that fits."""

    wordings: reactive[tuple[str, ...]] = reactive(())

    def show(self, a: Analysis, memory) -> None:
        t = a.totals
        m = memory
        full = (f"params {both(t.params)} · MACs {both(t.macs)} · FLOPs {both(t.flops)}"
                + (f" · memory: params {size_bytes(m.params)}, activations "
                   f"{size_bytes(m.activations)}, training {size_bytes(m.training)}"
                   if m is not None else ""))
        short = f"params {tiny(t.params)} · MACs {tiny(t.macs)}"
        self.tooltip = plain(full)  # the exact figures, whatever the width shows
        self.wordings = (
            full,
            f"{short} · FLOPs {tiny(t.flops)}" + (
                f" · memory: params {tiny_bytes(m.params)}, activations "
                f"{tiny_bytes(m.activations)}, training {tiny_bytes(m.training)}"
                if m is not None else ""),
            f"{short} · FLOPs {tiny(t.flops)}" + (
                f" · mem {tiny_bytes(m.params)} · act {tiny_bytes(m.activations)} · train "
                f"{tiny_bytes(m.training)}" if m is not None else ""),
            short + (f" · mem {tiny_bytes(m.params)} · train {tiny_bytes(m.training)}"
                     if m is not None else ""),
            short,
        )

    def render(self) -> Content:
        room = self.content_region.width or self.size.width
        fits = [w for w in self.wordings if Text(w).cell_len <= room]
        return plain(fits[0] if fits else (self.wordings[-1] if self.wordings else ""))


def tiny(x) -> str:
    """416,520 → 417k; 62,378,344 → 62.4M (about three digits); a formula as it is."""
    return _tiny(x, ((10 ** 12, "T"), (10 ** 9, "G"), (10 ** 6, "M"), (10 ** 3, "k")), "")


def tiny_bytes(x) -> str:
    """761,019,116 bytes → 726MiB."""
    return _tiny(x, ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")),
                 "B")


def _tiny(x, units, unit_of_one: str) -> str:
    text = exact(x)
    if not text.replace(",", "").isdigit():
        return f"{text} {unit_of_one}".rstrip()  # symbolic: the formula as it is
    n = int(text.replace(",", ""))
    for size, unit in units:
        if n >= size:
            v = n / size
            # not `:.3g`, which writes 999.95 as 1e+03
            return (f"{v:.0f}" if v >= 99.95 else f"{v:.1f}" if v >= 9.995 else f"{v:.2f}") + unit
    return f"{n}{unit_of_one}"


class Diagnostics(OptionList):
    """Errors and warnings with their lines, each with its hints beneath it. Choosing a
    problem or a hint moves the editor there; choosing a hint marked `apply` (a concrete
    edit of the layer, fixes.py) asks the app to make that edit."""

    class LineRequested(Message):
        def __init__(self, line: int, column: int) -> None:
            self.line, self.column = line, column
            super().__init__()

    class FixRequested(Message):
        def __init__(self, diagnostic: Diagnostic, fix: Fix) -> None:
            self.diagnostic, self.fix = diagnostic, fix
            super().__init__()

    def show(self, diags: list[Diagnostic]) -> None:
        self.clear_options()
        self.actions: list[tuple] = []  # per option: () | ("line", loc) | ("fix", d, fix)
        if not diags:
            self.add_option(Option(Text("no problems: every layer fits", style="green")))
            self.actions.append(())
            return
        for d in diags:
            where = f"{d.loc.line}:{d.loc.column}" if d.loc else "-"
            style = {"error": "bold red", "warning": "yellow"}.get(d.severity, "cyan")
            label = Text.assemble((f"{where:>7} ", "dim"), (f"{d.severity}: ", style),
                                  f"{d.layer + ': ' if d.layer else ''}{d.message}")
            self.add_option(Option(label))
            go = ("line", d.loc) if d.loc else ()
            self.actions.append(go)
            for hint in d.hints:
                found = fixes(hint) if d.loc else []
                for fix in found:
                    self.add_option(Option(Text.assemble(("        apply ", "bold green"),
                                                         fix.label)))
                    self.actions.append(("fix", d, fix))
                if not found:
                    self.add_option(Option(Text.assemble(("         hint ", "dim"), hint)))
                    self.actions.append(go)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        action = self.actions[event.option_index] if event.option_index < len(self.actions) \
            else ()
        if action and action[0] == "line":
            self.post_message(self.LineRequested(action[1].line, action[1].column))
        elif action and action[0] == "fix":
            self.post_message(self.FixRequested(action[1], action[2]))


class Pyramid(Static):
    """Seed 000's picture of a convnet: the spatial size shrinks as the depth grows."""

    WIDTH = 28

    def show(self, a: Analysis) -> None:
        rows = [e for e in entries(a, collapse=True) if e.value("out_shape") is not None]
        shapes = [e.value("out_shape") for e in rows]
        concrete = [s for s in shapes if s.c.is_number and all(d.is_number for d in s.dims)]
        if not concrete:
            self.update("The pyramid needs numbers: bind the input's symbols.")
            return
        size_max = max((int(s.dims[0]) for s in concrete if s.dims), default=1)
        depth_max = max(int(s.c) for s in concrete)
        out = Text()
        out.append(f"{'layer':<14}{'spatial':>10}  {'':<{self.WIDTH}}  {'depth':>6}\n", "bold")
        for e, s in zip(rows, shapes):
            mark = "✗ " if e.status == "error" else "! " if e.status == "warning" else "  "
            style = _STYLE.get(e.status, "")
            if not (s.c.is_number and all(d.is_number for d in s.dims)):
                out.append(f"{mark}{e.label[:12]:<12} (symbolic)\n", style)
                continue
            spatial = "×".join(str(int(d)) for d in s.dims) if s.dims else "flat"
            w = int(s.dims[0]) if s.dims else 1
            bar = max(1, round(self.WIDTH * w / size_max)) if s.dims else 0
            depth = max(1, round(self.WIDTH * math.log1p(int(s.c)) / math.log1p(depth_max)))
            out.append(f"{mark}{e.label[:12]:<12}{spatial:>10}  ", style)
            out.append(f"{'█' * bar:<{self.WIDTH}}", "cyan" if not style else style)
            out.append(f"  {int(s.c):>6} ", style)
            out.append("▓" * depth + "\n", "magenta" if not style else style)
        out.append("\nbars: spatial size (linear) · depth (log scale)", "dim")
        self.update(out)


class SymbolsInfo(Static):
    """The formulas of a symbolic input and the sizes that fit."""

    def show(self, a: Analysis, symbolic: Analysis | None) -> None:
        out = Text()
        if symbolic is None:
            out.append("The input has no symbols: write input: [3, H, W] and declare H, W "
                       "under symbols: to see formulas.\n", "dim")
        for v in a.valid_inputs:
            if v.reason:
                out.append(f"{v.symbol}: not computed — {v.reason}\n")
                continue
            fits = ("fits" if v.current_fits else "does NOT fit") if v.current else ""
            out.append(f"{v.symbol}: ", "bold")
            out.append(f"{v.text}; smallest {v.smallest}")
            if v.current is not None:
                out.append(f"; {v.symbol} = {v.current} {fits}",
                           "green" if v.current_fits else "bold red")
            out.append("\n")
        if symbolic is not None:
            out.append("\nOutput shapes as formulas of the input:\n", "bold")
            for e in entries(symbolic, collapse=True):
                shape = e.value("out_shape")
                if shape is not None:
                    out.append(f"  {e.label:<16} {shape_text(shape)}\n")
            t = symbolic.totals
            out.append(f"\n  MACs = {exact(t.macs)}\n", "dim")
        self.update(out)
