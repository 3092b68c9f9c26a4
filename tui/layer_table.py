"""The layer table: the same columns as `archcalc check`, one row per layer or block header.

A Textual DataTable that follows the TUI's rule (widgets.py): the app sets `result`, the
table shows it. An edit changes few layers, so the table keeps what does not change —
each layer's cells (formatted once while the analysis hands back the same row) and each
row's rendering (keyed by what the row shows) — and writes only the cells that changed
(issue 13: a keystroke to the painted table).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable

from archcalc.render.columns import PRIORITY, columns, entries, status_mark
from archcalc.render.styles import row_style

from .analysis import Result

# The report's priority (render/columns.PRIORITY), but the kind and the size arithmetic
# last: the editor beside the table shows both, in the layer's own line.
_BESIDE = ("type", "arithmetic")
_ORDER = (*(k for k in PRIORITY if k not in _BESIDE), *_BESIDE)
# Rendered rows LayerTable keeps (see its _render_line_in_row): a screen shows tens, and
# a row is ~1–2 KB of segments, so this is a few MB at most.
_RENDERED_ROWS = 2048



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
        # a layer's row object -> (that row, what else its cells depend on, its cells and
        # their widths)
        self._made: dict[int, tuple] = {}
        self._cell_widths: list[int] = []
        self._rendered: dict[tuple, tuple] = {}  # a row's look -> its lines (_render_line_in_row)

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
        made: dict[int, tuple] = {}
        keys, above, widest = tuple(self._keys), None, []
        for e in entries(a):
            # A layer's cells are a function of its row, the layer above it ("connected
            # to") and the columns; the session's cache hands back the same row object for
            # a layer an edit did not change, so its cells are reused, not formatted again.
            again = self._made.get(id(e.row)) if e.row is not None else None
            if again is not None and again[0] is e.row and again[1] == (above, keys):
                cells, lengths = again[2], again[3]
            else:
                style = row_style(e.status, header=e.group is not None)
                cells = [Text(status_mark(e), style=style)] + [
                    Text(c.cell(e).replace("\n", " · "), style=style,
                         justify="right" if c.numeric else "left") for c in cols]
                lengths = tuple(cell_len(c.plain) for c in cells)
            if e.row is not None:
                made[id(e.row)] = (e.row, (above, keys), cells, lengths)
                above = e.row.name
            self._cells.append(cells)
            widest.append(lengths)
            self._key.append(e.row.name if e.row is not None else f"group:{e.group.path}")
            self.lines.append(e.line)
        self._made = made
        # each column's widest cell (the mark's first), measured once an update
        self._cell_widths = [max(column) for column in zip(*widest)] if widest else \
            [0] * (len(cols) + 1)
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
            if before is after:
                continue  # the same row's cells, reused (watch_result)
            for i in shown:
                b, a = before[i], after[i]
                if b is not a and (b.plain != a.plain or b.style != a.style):
                    self.update_cell(key, self._column_keys[i], a)
        return True

    def _update_dimensions(self, new_rows) -> None:
        """DataTable measures every cell of the new rows when idle, for columns that size
        themselves; here every column is given its width (_widths) and every row is one
        line, so that measuring would change nothing — and it costs more than the rest of
        a rebuild of thousands of rows. (Textual's DataTable._update_dimensions: the size
        of the table is still worked out.)"""
        super()._update_dimensions(())

    def _render_line_in_row(self, row_key, line_no: int, base_style, cursor_location,
                            hover_location):
        """A row's rendered cells, reused while what the row shows is the same. DataTable
        keys its own caches by an update count that any `update_cell` bumps, so after a
        keystroke it renders every visible row afresh — each line resolving its zebra and
        header styles through the DOM and each cell going through rich: 30–70 ms of a
        ResNet-50 keystroke (issue 13). This cache is keyed by the row's cells (text and
        style) and widths instead, and by everything else DataTable's key holds but that
        count (the cursor and hover only as whether they are on this row)."""
        index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        try:
            shown = [self._labels[i] if index < 0 else self._cells[index][i]
                     for i in self._shown]
        except IndexError:  # not a row of ours: DataTable's own way
            shown = None
        if shown is None:
            return super()._render_line_in_row(row_key, line_no, base_style,
                                               cursor_location, hover_location)
        key = (index, line_no, base_style, cursor_location.row == index,
               hover_location.row == index, self.cursor_type, self.show_cursor,
               self._show_hover_cursor, self._pseudo_class_state, self.size.width,
               tuple(self._shown_widths),
               tuple((c, None) if isinstance(c, str) else (c.plain, c.style) for c in shown))
        pair = self._rendered.get(key)
        if pair is None:
            if len(self._rendered) >= _RENDERED_ROWS:
                self._rendered.clear()
            pair = self._rendered[key] = super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location)
        return pair

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
        return [max(cell_len(h), w) for h, w in zip(["", *labels], self._cell_widths)]

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
