"""Time to draw `archcalc check`'s table of a spec: the renderer before issue 13 (rich's
Table, kept here as the baseline) beside the one archcalc uses, in the same run.

The spec is analysed once; each repeat draws its table with both renderers, alternating
which goes first, to an in-memory file (the cycle collector paused as `check` pauses
it), with the formatting caches (numbers.py, notation.py) emptied before each draw as a
fresh `archcalc check` process finds them.
Both the plain (piped) and the terminal (colour) paths are timed. Prints medians in ms;
exits 1 unless the new renderer is at least 7× faster on both paths: issue 13 wants the
table (0.7 s with rich's Table on an idle machine) well under 0.1 s, and a ratio measured
in one run holds on a shared, loaded machine where milliseconds do not.

    python bench/table_speed.py [--spec resnet152] [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archcalc import notation, specs
from archcalc.design import Design
from archcalc.errors import terminal_safe
from archcalc.notation import shape_text
from archcalc.render import numbers
from archcalc.render.columns import columns, entries, status_mark
from archcalc.render.numbers import exact
from archcalc.render.styles import row_style
from archcalc.render.summary import summary_lines
from archcalc.render.table import render_table
from archcalc.spec import parse_file

MIN_RATIO = 7  # issue 13: 0.7 s → well under 0.1 s for ResNet-152's table


def old_render_table(a, console, explain=False, memory=None, collapse=False) -> None:
    """The renderer as it was before issue 13 (archcalc/render/table.py at d9b4914)."""
    cols = columns(a, explain)
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


def _cold() -> None:
    for module in (numbers, notation):
        for f in vars(module).values():
            if hasattr(f, "cache_clear"):
                f.cache_clear()


def _consoles(terminal: bool, old: bool) -> Console:
    # As cli.py makes them: piped, the old one was 200 columns wide; a terminal, 120 here.
    if terminal:
        return Console(file=io.StringIO(), width=120, force_terminal=True,
                       color_system="truecolor", highlight=False, markup=False)
    return Console(file=io.StringIO(), width=200 if old else 100, no_color=True,
                   soft_wrap=False, highlight=False, markup=False)


def timed(draw, a, terminal: bool, old: bool) -> float:
    console = _consoles(terminal, old)
    _cold()
    gc.disable()  # as `archcalc check` draws it (cli._no_cycle_collector)
    try:
        start = time.perf_counter()
        draw(a, console)
        return (time.perf_counter() - start) * 1000
    finally:
        gc.enable()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="resnet152")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    a = Design(parse_file(specs.path(args.spec) or Path(args.spec)), {}).analysis
    rows = len(entries(a))
    results = {}
    for terminal in (False, True):
        old, new = [], []
        for i in range(args.repeats):
            pair = [(old, old_render_table, True), (new, render_table, False)]
            for times, draw, is_old in (pair if i % 2 == 0 else pair[::-1]):
                times.append(timed(draw, a, terminal, is_old))
        results[terminal] = statistics.median(old) / statistics.median(new)
        where = "terminal (colour, 120 columns)" if terminal else "piped (plain text)"
        print(f"{args.spec}, {rows} rows, {where}: old rich Table median "
              f"{statistics.median(old):6.1f} ms (min {min(old):.1f}) · new "
              f"{statistics.median(new):5.1f} ms (min {min(new):.1f}) "
              f"({statistics.median(old) / statistics.median(new):.1f}× faster; "
              f"{args.repeats} runs each, interleaved)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (milliseconds "
          "scale with it; the ratio does not)")
    return 0 if min(results.values()) >= MIN_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
