"""The default report: a rich table, one row per layer, totals and summary below.

Plain text (no colour, ASCII-safe box) when stdout is not a terminal; NO_COLOR is
honoured by rich itself.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..analysis.result import Analysis
from ..errors import terminal_safe
from ..notation import shape_text
from .columns import columns, entries, status_mark
from .numbers import exact
from .styles import row_style
from .summary import summary_lines


def render_table(a: Analysis, console: Console, explain: bool = False, memory=None,
                 collapse: bool = False) -> None:
    cols = columns(a, explain)
    # Text, not str: a spec's name is shown as written, never parsed as rich markup.
    title = Text(terminal_safe(f"{a.name} — input {shape_text(a.input_shape)}"))
    table = Table(title=title, box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII2,
                  show_footer=True, title_justify="left")
    table.add_column("", width=1, no_wrap=True)
    for c in cols:
        footer = ""
        if c.header == "layer":
            footer = "total"
        elif c.header in ("params", "buffers", "MACs", "FLOPs", "activations"):
            value = {"params": a.totals.params, "buffers": a.totals.buffers,
                     "MACs": a.totals.macs, "FLOPs": a.totals.flops,
                     "activations": a.totals.activations}[c.header]
            footer = exact(value)
        table.add_column(c.header, justify="right" if c.numeric else "left", footer=footer,
                         overflow="fold")
    for e in entries(a, tree=True, collapse=collapse):
        style = row_style(e.status, header=e.group is not None)
        table.add_row(Text(status_mark(e), style=style),
                      *[Text(c.cell(e), style=style) for c in cols])
    console.print(table)
    for line in summary_lines(a, memory):
        console.print(Text(line))
