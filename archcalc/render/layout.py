"""A table laid out by hand: columns fitted to a width, headers wrapped at spaces, cells never.

The check report is a grid of short, known texts — numbers, shapes, formulas — where a
wrapped cell is a broken formula. So no cell wraps: a cell's own lines (one size formula
per axis, one input per line of "connected to") are its only line breaks, and a column
that does not fit the width is left out whole, in a priority order (the layer's name always
stays), and named by the caller. Headers wrap at spaces and after a slash, never inside a
word. Widths are terminal cells (`rich.cells.cell_len`), so a wide character in a name
still lines up. One pass over the cells: ResNet-152's 557 rows lay out in milliseconds,
where rich's Table measured and wrapped each cell (0.7 s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.cells import cell_len

GAP = "  "  # between two columns
_BREAKS = re.compile(r"(?<=/)|\s+")  # a header may break at a space or after a slash


def header_words(header: str) -> list[str]:
    return [w for w in _BREAKS.split(header) if w]


def header_lines(header: str, width: int) -> list[str]:
    """`header` in lines of at most `width` cells (a word longer than that alone on one)."""
    if cell_len(header) <= width:
        return [header]
    lines: list[str] = []
    for part in header.split(" "):
        for word in (w for w in re.split(r"(?<=/)", part) if w):
            joiner = "" if lines and lines[-1].endswith("/") else " "
            if lines and cell_len(lines[-1] + joiner + word) <= width:
                lines[-1] += joiner + word
            else:
                lines.append(word)
    return lines


@dataclass(frozen=True)
class Grid:
    """The texts of a table: headers, each row's cells split into lines, a footer."""

    headers: list[str]
    numeric: list[bool]
    rows: list[list[list[str]]]   # rows × columns × the cell's lines
    footer: list[str]

    measured: dict[str, int] = field(default_factory=dict)  # text -> cells, as measured

    def natural_widths(self) -> list[int]:
        """Each column's width: its widest cell or footer, or its header's longest word."""
        widths = [max([cell_len(f), *(cell_len(w) for w in header_words(h))])
                  for h, f in zip(self.headers, self.footer)]
        measured = self.measured
        for row in self.rows:
            for i, cell in enumerate(row):
                for line in cell:
                    n = measured.get(line)
                    if n is None:
                        n = measured[line] = cell_len(line)
                    if n > widths[i]:
                        widths[i] = n
        return widths


def fit(widths: list[int], priority: list[int], room: int) -> list[int]:
    """The columns (indexes, in table order) that fit in `room` cells with a GAP between
    them: each in `priority` order while it fits; one that does not may let a narrower
    one further down the list in. The first in `priority` always stays."""
    kept: list[int] = []
    used = -len(GAP)
    for i in priority:
        need = widths[i] + len(GAP)
        if kept and used + need > room:
            continue
        kept.append(i)
        used += need
    return sorted(kept)


def table_width(widths: list[int]) -> int:
    return sum(widths) + len(GAP) * (len(widths) - 1) if widths else 0


def _padder(measured: dict[str, int]):
    """Pad a text to a width, on the left (`right`-justified) or the right; its width
    looked up where natural_widths measured it."""
    def pad(text: str, width: int, right: bool) -> str:
        n = measured.get(text)
        space = " " * (width - (cell_len(text) if n is None else n))
        return space + text if right else text + space
    return pad


def lay_out(grid: Grid, keep: list[int], widths: list[int]) -> tuple[list[str], list[list[str]],
                                                                    str]:
    """The header's lines, each row's lines and the footer's line, of the columns `keep`
    at `widths` (indexed like the grid's columns); trailing spaces trimmed."""
    _pad = _padder(grid.measured)
    ws = [widths[i] for i in keep]
    right = [grid.numeric[i] for i in keep]
    heads = [header_lines(grid.headers[i], w) for i, w in zip(keep, ws)]
    height = max(len(h) for h in heads)
    heads = [[""] * (height - len(h)) + h for h in heads]  # headers sit on the rule
    head = [GAP.join(_pad(h[k], w, r) for h, w, r in zip(heads, ws, right)).rstrip()
            for k in range(height)]
    rows = []
    for row in grid.rows:
        cells = [row[i] for i in keep]
        n = max(len(c) for c in cells)
        if n == 1:
            rows.append([GAP.join(_pad(c[0], w, r) for c, w, r in
                                  zip(cells, ws, right)).rstrip()])
            continue
        rows.append([GAP.join(_pad(c[k] if k < len(c) else "", w, r) for c, w, r in
                              zip(cells, ws, right)).rstrip() for k in range(n)])
    foot = GAP.join(_pad(grid.footer[i], w, r) for i, w, r in zip(keep, ws, right)).rstrip()
    return head, rows, foot
