"""Markdown and CSV reports: the same columns as the table, for documents and spreadsheets."""

from __future__ import annotations

import csv
import io

from ..analysis.result import Analysis
from ..notation import shape_text
from .columns import columns, entries
from .numbers import exact
from .summary import summary_lines


def render_markdown(a: Analysis, explain: bool = False, memory=None,
                    collapse: bool = False, keys: list[str] | None = None,
                    depth: int | None = None) -> str:
    cols = columns(a, explain, indent=False, keys=keys)
    out = [f"## {a.name} — input {shape_text(a.input_shape)}", ""]
    out.append("| " + " | ".join(c.header for c in cols) + " |")
    out.append("|" + "|".join("---:" if c.numeric else "---" for c in cols) + "|")
    for e in entries(a, tree=True, collapse=collapse, depth=depth):
        cells = [_md(c.cell(e)) for c in cols]
        # Markdown tables cannot indent: nesting shows as a prefix of ▸ per level.
        cells[0] = "▸ " * e.depth + (f"**{cells[0]}**" if e.group is not None else cells[0])
        if e.status in ("error", "warning"):
            cells[0] += f" ({e.status})"
        out.append("| " + " | ".join(cells) + " |")
    totals = {"params": a.totals.params, "buffers": a.totals.buffers, "macs": a.totals.macs,
              "flops": a.totals.flops, "activations": a.totals.activations}
    out.append("| " + " | ".join("**total**" if c.key == "layer" else
                                 f"**{exact(totals[c.key])}**" if c.key in totals else ""
                                 for c in cols) + " |")
    out.append("")
    out.extend(f"- {line}" for line in summary_lines(a, memory))
    if a.findings:
        out += ["", "### Findings", ""]
        for d in a.findings:
            out.append(f"- `{d.loc}` **{d.severity}**: {_md(d.message)}")
            out.extend(f"  - {_md(h)}" for h in d.hints)
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_csv(a: Analysis, explain: bool = False, keys: list[str] | None = None) -> str:
    cols = columns(a, explain, indent=False, keys=keys)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.header for c in cols] + ["status", "line"])
    for e in entries(a, tree=False):  # one row per layer, full dotted names
        # Numbers without thousands separators, so spreadsheets read them as numbers.
        w.writerow([c.cell(e).replace(",", "") if c.numeric else c.cell(e) for c in cols]
                   + [e.status, e.line])
    return buf.getvalue()
