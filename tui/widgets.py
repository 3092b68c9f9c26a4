"""The TUI's widgets. Each takes the latest analysis as an attribute and renders it; none
computes (attributes down, messages up). Names and messages from the spec reach the
screen as `rich.text.Text` or `plain()`, never as markup (plain.py)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from archcalc.analysis import Analysis
from archcalc.errors import Diagnostic
from archcalc.render.columns import columns, entries, status_mark
from archcalc.render.numbers import both, exact, size_bytes

from .plain import plain

_STYLE = {"error": "bold red", "warning": "yellow", "skipped": "dim"}


class LayerTable(DataTable):
    """The same columns as `archcalc check`, one row per layer or block header."""

    class LineRequested(Message):
        def __init__(self, line: int) -> None:
            self.line = line
            super().__init__()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.lines: list[int] = []

    def show(self, a: Analysis) -> None:
        cols = columns(a)
        rows = entries(a)
        headers = ["", *(c.header for c in cols)]
        if [c.label.plain for c in self.columns.values()] != headers:
            self.clear(columns=True)
            self.add_column("", key="mark")
            for c in cols:
                self.add_column(Text(c.header), key=c.header)
        else:
            self.clear()  # same columns: only the rows change, the layout stays put
        self.lines = []
        for e in rows:
            style = _STYLE.get(e.status) or ("bold" if e.group is not None else "")
            cells = [Text(status_mark(e), style=style)]
            for c in cols:
                cells.append(Text(c.cell(e).replace("\n", " · "), style=style,
                                  justify="right" if c.numeric else "left"))
            self.add_row(*cells, key=e.row.name if e.row is not None else f"group:{e.group.path}")
            self.lines.append(e.line)

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


class Totals(Static):
    def show(self, a: Analysis, memory) -> None:
        t = a.totals
        text = (f"params {both(t.params)} · MACs {both(t.macs)} · FLOPs {both(t.flops)}"
                + (f" · memory: params {size_bytes(memory.params)}, activations "
                   f"{size_bytes(memory.activations)}, training {size_bytes(memory.training)}"
                   if memory is not None else ""))
        self.update(plain(text))


class Diagnostics(OptionList):
    """Errors and warnings with their lines; choosing one moves the editor there."""

    class LineRequested(Message):
        def __init__(self, line: int, column: int) -> None:
            self.line, self.column = line, column
            super().__init__()

    def show(self, diags: list[Diagnostic]) -> None:
        self.clear_options()
        self.positions = []
        if not diags:
            self.add_option(Option(Text("no problems: every layer fits", style="green")))
            self.positions.append(None)
            return
        for d in diags:
            where = f"{d.loc.line}:{d.loc.column}" if d.loc else "-"
            style = {"error": "bold red", "warning": "yellow"}.get(d.severity, "cyan")
            label = Text.assemble((f"{where:>7} ", "dim"), (f"{d.severity}: ", style),
                                  f"{d.layer + ': ' if d.layer else ''}{d.message}")
            self.add_option(Option(label))
            self.positions.append(d.loc)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        loc = self.positions[event.option_index] if event.option_index < len(self.positions) \
            else None
        if loc is not None:
            self.post_message(self.LineRequested(loc.line, loc.column))


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
                    out.append(f"  {e.label:<16} {shape.text()}\n")
            t = symbolic.totals
            out.append(f"\n  MACs = {exact(t.macs)}\n", "dim")
        self.update(out)
