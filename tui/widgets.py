"""The layer table, the note under it and the totals bar.

Every widget of the TUI (here, problems.py, views.py) follows one rule: attributes down,
messages up. The app sets a reactive attribute — most are data-bound to the app's own
(`result`, `stale`, `findings`) — and the widget renders in its `watch_…` method; what
the user does in a widget goes up as a message. None computes an analysis. Names and
messages from the spec reach the screen as `rich.text.Text` or `plain()`, never as markup
(plain.py).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static

from archcalc.render.columns import PRIORITY, columns, entries, status_mark
from archcalc.render.numbers import both, exact, size_bytes
from archcalc.render.styles import row_style

from .analysis import Result
from .plain import plain

# The report's priority (render/columns.PRIORITY), but the kind and the size arithmetic
# last: the editor beside the table shows both, in the layer's own line.
_BESIDE = ("type", "arithmetic")
_ORDER = (*(k for k in PRIORITY if k not in _BESIDE), *_BESIDE)


class LayerTable(DataTable):
    """The same columns as `archcalc check`, one row per layer or block header.

    Only whole columns are shown: a column cut at the right edge would show the first digits
    of a right-aligned number (`1` for 131). When they do not all fit, the most useful ones
    are kept (`ORDER`) in their usual order and `hidden` names the rest. Widths are measured
    afresh on every update and resize, so they shrink as well as grow."""

    ORDER: ClassVar[tuple[str, ...]] = _ORDER

    # Shorter headers, used when the full ones leave a column out.
    SHORT: ClassVar[dict[str, str]] = {
        "output (C×H×W)": "C×H×W", "output (C×L)": "C×L", "output (C×T×H×W)": "C×T×H×W",
        "receptive field": "RF", "size arithmetic": "arithmetic", "activations": "acts"}

    result: reactive[Result | None] = reactive(None)
    stale: reactive[bool] = reactive(False, toggle_class="stale")  # the text does not parse
    # The editor's cursor line: the cursor goes to that line's layer. Set on every move of
    # the editor's cursor, even to the same line (the table's cursor may have moved since).
    editor_line: reactive[int] = reactive(0, always_update=True, init=False)
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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.lines: list[int] = []
        self._headers: list[str] = []
        self._keys: list[str] = []
        self._numeric: list[bool] = []
        self._cells: list[list[Text]] = []
        self._key: list[str] = []
        self._shown_at = -1  # the width the columns were last chosen for
        # What _fill last laid out: the columns shown (indexes into the mark + headers),
        # their labels and widths, each column's key.
        self._shown: list[int] = []
        self._labels: list[str] = []
        self._shown_widths: list[int] = []
        self._column_keys: list[str] = []

    def watch_result(self, result: Result | None) -> None:
        if result is None:
            return
        a = result.analysis
        cols = columns(a)
        old = (self._headers, self._key, self._cells)
        self._headers = [c.header for c in cols]
        self._keys = [c.key for c in cols]
        self._numeric = [c.numeric for c in cols]
        self._cells, self._key, self.lines = [], [], []
        for e in entries(a):
            style = row_style(e.status, header=e.group is not None)
            self._cells.append([Text(status_mark(e), style=style)] + [
                Text(c.cell(e).replace("\n", " · "), style=style,
                     justify="right" if c.numeric else "left") for c in cols])
            self._key.append(e.row.name if e.row is not None else f"group:{e.group.path}")
            self.lines.append(e.line)
        if not self._update(*old) and self.size.width:
            self._fill()  # (not laid out yet: on_resize fills it once it has its width)

    def _update(self, headers: list[str], keys: list[str], cells: list[list[Text]]) -> bool:
        """Show the new cells in place when only cells changed — the same rows and columns,
        every column as wide as before — and say whether it could. On every keystroke:
        only the cells that changed are written (rebuilding thousands of rows is most of
        the time of an update)."""
        if headers != self._headers or keys != self._key or not self.columns or \
                self._width() != self._shown_at:
            return False
        shown = self._shown
        widths = self._widths(self._labels[1:])
        if any(widths[i] != self._shown_widths[j] for j, i in enumerate(shown)):
            return False
        for key, before, after in zip(keys, cells, self._cells):
            for i in shown:
                b, a = before[i], after[i]
                if b.plain != a.plain or b.style != a.style:
                    self.update_cell(key, self._column_keys[i], a)
        return True

    def _update_dimensions(self, new_rows) -> None:
        """DataTable measures every cell of the new rows when idle, for columns that size
        themselves; here every column is given its width (_widths) and every row is one
        line, so that measuring would change nothing — and it costs more than the rest of
        a rebuild of thousands of rows. (Textual's DataTable._update_dimensions: the size
        of the table is still worked out.)"""
        super()._update_dimensions(())

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
        for key in self.ORDER:
            if key not in self._keys:
                continue
            i = self._keys.index(key)
            if widths[i] + pad > room and keep:
                continue  # a narrower column further down the list may still fit
            keep.add(i)
            room -= widths[i] + pad
        keep.update(j for j, k in enumerate(self._keys)  # (columns ORDER misses)
                    if k not in self.ORDER and widths[j] + pad <= room)
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
        self._shown, self._labels = shown, labels  # (for _update)
        self._shown_widths = [widths[i] for i in shown]
        self._column_keys = [h or "mark" for h in headers]
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

    def watch_editor_line(self, line: int) -> None:
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


class HiddenColumns(Static):
    """The line under the table naming the columns it leaves out."""

    # Not run on mount: the line keeps its place until the table first reports (as it
    # always has; the snapshots show it so).
    headers: reactive[tuple[str, ...]] = reactive((), init=False)

    def watch_headers(self, headers: tuple[str, ...]) -> None:
        self.display = bool(headers)
        self.update(plain(f"not shown, for want of room: {', '.join(headers)} — f8 narrows "
                          "the editor, f7 hides it"))


class Totals(Widget):
    """Parameters, MACs, FLOPs and memory on one line: the longest wording that fits."""

    result: reactive[Result | None] = reactive(None)
    wordings: reactive[tuple[str, ...]] = reactive(())

    def watch_result(self, result: Result | None) -> None:
        if result is None:
            return
        t, m = result.analysis.totals, result.memory
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
