"""The default report: one row per layer (a tree of blocks), totals and summary below.

Laid out by hand (layout.py), fitted to a width: the terminal's, or COLUMNS, or 100 when
piped; `--width` sets it. Without a terminal it is plain text (rules of `=` and `-`, no
escape codes); on one, the same lines, each row in its status's style (styles.py) as
rich's `Style` renders it for the console's colour system — without colour under NO_COLOR. Columns that do not fit are left
out whole and named under the table; `--columns` chooses them (all shown, whatever the
width), `--depth N` hides rows nested deeper than N. Under the table: what the marks
(✗ ! ·) and `--explain`'s columns mean, where they appear.
"""

from __future__ import annotations

from ..analysis.result import Analysis
from ..errors import terminal_safe
from ..notation import shape_text
from .columns import (
    EXPLAIN,
    EXPLAIN_LEGEND,
    MARK_MEANING,
    MARKS,
    PRIORITY,
    columns,
    default_keys,
    entries,
    max_depth,
    status_mark,
)
from .layout import Grid, fit, lay_out, table_width
from .numbers import exact
from .styles import HEADER, row_style
from .summary import summary_lines

PIPED_WIDTH = 100  # columns when stdout is not a terminal and COLUMNS is not set
# The rules above and below the table and around its header, plain and on a terminal.
RULES = {True: ("=", "-"), False: ("━", "─")}


def render_table(a: Analysis, console, explain: bool = False, memory=None,
                 collapse: bool = False, keys: list[str] | None = None,
                 depth: int | None = None, width: int | None = None) -> None:
    """Print the report on `console` (a rich Console): plain text where it has no colour
    system (not a terminal), else with styles. `keys`: the columns `--columns` chose."""
    plain = console.color_system is None
    lines = table_lines(a, explain, memory, collapse, keys, depth,
                        width or (console.width if console.is_terminal else PIPED_WIDTH), plain)
    if not plain:  # each line in its style's escape codes, as rich writes that style
        from rich.console import COLOR_SYSTEMS
        from rich.style import Style

        system = COLOR_SYSTEMS[console.color_system]
        styles: dict = {}
        for k, (text, name) in enumerate(lines):
            if name and text:
                style = styles.get(name)
                if style is None:
                    style = styles[name] = Style.parse(name)
                    if console.no_color:  # NO_COLOR: emphasis without colour
                        style = styles[name] = style.without_color
                lines[k] = (style.render(text, color_system=system), name)
    _write(console.file, lines)


def write_plain_table(a: Analysis, file, explain: bool = False, memory=None,
                      keys: list[str] | None = None, depth: int | None = None,
                      width: int = PIPED_WIDTH) -> None:
    """The report as plain text on `file`, as `render_table` draws it for a console without
    colour — without loading rich's console (~40 ms of a piped `check`'s start)."""
    _write(file, table_lines(a, explain, memory, False, keys, depth, width, True))


def _write(file, lines: list[tuple[str, str]]) -> None:
    file.write("".join(text + "\n" for text, _ in lines))
    file.flush()


def table_lines(a: Analysis, explain: bool = False, memory=None, collapse: bool = False,
                keys: list[str] | None = None, depth: int | None = None,
                width: int = PIPED_WIDTH, plain: bool = True) -> list[tuple[str, str]]:
    """The report's lines, each with its style ("" for none)."""
    chosen = keys is not None
    if keys is None:
        keys = default_keys(a, explain, connected=True)
    cols = columns(a, explain, keys=keys)
    keys = [c.key for c in cols]
    rows = entries(a, tree=True, collapse=collapse, depth=depth)
    marks = [status_mark(e) for e in rows]
    totals = {"params": a.totals.params, "buffers": a.totals.buffers, "macs": a.totals.macs,
              "flops": a.totals.flops, "activations": a.totals.activations}
    footer = ["total" if k == "layer" else exact(totals[k]) if k in totals else "" for k in keys]
    grid = Grid([c.header for c in cols], [c.numeric for c in cols],
                [[c.cell(e).split("\n") for c in cols] for e in rows], footer)
    widths = grid.natural_widths()
    marked = any(marks)
    room = width - (2 if marked else 0)  # the mark and a space before the layer's name
    keep = list(range(len(cols)))
    if not chosen:
        # `--explain`'s columns come right after params; the summary repeats FLOPs
        order = [*PRIORITY[:4], *(k for k in keys if k in EXPLAIN), *PRIORITY[4:]]
        keep = fit(widths, [keys.index(k) for k in order if k in keys], room)
    head, body, foot = lay_out(grid, keep, widths)
    full = table_width([widths[i] for i in keep]) + (2 if marked else 0)
    thick, thin = (r * full for r in RULES[plain])
    lead = "  " if marked else ""
    out: list[tuple[str, str]] = [(terminal_safe(f"{a.name} — input {shape_text(a.input_shape)}"),
                                   "")]
    out.append((thick, ""))
    out += [(lead + h, HEADER) for h in head]
    out.append((thin, ""))
    for e, mark, lines in zip(rows, marks, body):
        style = row_style(e.status, header=e.group is not None)
        out.append(((f"{mark or ' '} " if marked else "") + lines[0], style))
        out += [(lead + line, style) for line in lines[1:]]
    out.append((thin, ""))
    out.append((lead + foot, HEADER))
    out.append((thick, ""))
    notes = _notes(grid.headers, keys, keep, widths, marks, width,
                   0 if collapse else depth, max_depth(a))
    for line in notes + summary_lines(a, memory):
        out += [(w, "") for w in _wrap(line, width)]
    return out


def _notes(headers, keys, keep, widths, marks, width, depth, deepest) -> list[str]:
    """What the table needs said: its marks, --explain's columns, what it left out."""
    notes = []
    shown = [s for s in MARKS if MARKS[s] in marks]
    if shown:
        notes.append("Marks: " + "; ".join(f"{MARKS[s]} {MARK_MEANING[s]}" for s in shown)
                     + " (the diagnostics below say why).")
    kept = {keys[i] for i in keep}
    notes += [EXPLAIN_LEGEND[k] + "." for k in EXPLAIN if k in kept]
    hidden = [i for i in range(len(keys)) if i not in keep]
    if hidden:
        need = table_width(widths) + (2 if any(marks) else 0)
        notes.append(f"Left out to fit {width} columns: {', '.join(headers[i] for i in hidden)}"
                     f" (all need {need}: --width {need}; --columns chooses).")
    if depth is not None and deepest > depth:
        notes.append(f"Rows nested deeper than {depth} are summed into their block's row "
                     f"(--depth {depth}; the tree is {deepest} deep).")
    return notes


def _wrap(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    import textwrap  # a long line only: a plain check need not load it

    return textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
