"""The spec editor: Textual's TextArea, with its syntax highlights worked out where shown.

TextArea queries the tree-sitter tree of the whole document for its highlights after every
edit (`TextArea._build_highlight_map`): about 200 ms of each keystroke in a 6,000-line spec
(bench/tui_speed.py, issue 13), though a screen shows forty lines. Here an edit forgets the
highlights, and those of a chunk of `CHUNK` lines are worked out when a line of it is first
drawn — the same highlights, line for line, as TextArea's own (tests/test_tui.py compares
the two).
"""

from __future__ import annotations

from typing import Callable

from textual.widgets import TextArea

# Lines whose highlights one query works out: a screen's worth several times over, so that
# scrolling a page rarely needs a query and one query stays a few ms.
CHUNK = 256

Highlight = tuple[int, "int | None", str]  # TextArea's: start byte, end byte, name


class LazyHighlights(dict):
    """TextArea's map of line → highlights, filled a chunk at a time when a line of the
    chunk is first looked up. Truthy even while empty: TextArea draws no highlights from
    an empty map."""

    def __init__(self, fill: Callable[[int, int, "LazyHighlights"], None]):
        super().__init__()
        self.fill = fill
        self.filled: set[int] = set()

    def __bool__(self) -> bool:
        return True

    def __missing__(self, line: int) -> list[Highlight]:
        chunk = line // CHUNK
        if chunk not in self.filled:
            self.filled.add(chunk)
            self.fill(chunk * CHUNK, (chunk + 1) * CHUNK, self)
            if dict.__contains__(self, line):
                return dict.__getitem__(self, line)
        return []  # a line without highlights (not stored: the map stays the chunk's)


class Editor(TextArea):
    """TextArea, highlighting a chunk of lines when it is first drawn (module docstring)."""

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        self._highlights = LazyHighlights(self._fill) if self._highlight_query else {}

    def _fill(self, start: int, end: int, into: LazyHighlights) -> None:
        """Put in `into` the highlights of lines start … end - 1, as TextArea's
        _build_highlight_map would put them: a node over several lines highlights the
        rest of its first line, the whole of the lines between and the start of its last."""
        captures = self.document.query_syntax_tree(self._highlight_query, (start, 0), (end, 0))
        for name, nodes in captures.items():
            for node in nodes:
                (first, start_column), (last, end_column) = node.start_point, node.end_point
                if first == last:
                    if start <= first < end:
                        into.setdefault(first, []).append((start_column, end_column, name))
                    continue
                for row in range(max(first, start), min(last, end - 1) + 1):
                    into.setdefault(row, []).append(
                        (start_column if row == first else 0,
                         end_column if row == last else None, name))
