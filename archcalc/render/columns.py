"""The rows and columns of a check report, shared by the table, Markdown and CSV renderers.

A report is a list of entries: one per layer, and — in the tree view — a header per block
instance, repeat and branch carrying its totals, with the layers indented beneath it
(`depth` N keeps the rows nested at most N deep, as torchinfo's `depth=`; `collapse` is
depth 0). Each column is a key (what `--columns` names), a header and a function from an
entry to its text; `--explain` adds the seeds' weight-sharing figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..analysis.result import Analysis, GroupSummary, LayerRow
from ..layers.axismap import RField
from ..layers.windowed import AXES
from ..notation import formula_text, shape_text
from ..suggest import did_you_mean
from .numbers import exact


@dataclass(frozen=True)
class Entry:
    label: str
    kind: str
    depth: int
    status: str
    line: int
    row: LayerRow | None = None          # a layer
    group: GroupSummary | None = None    # a block header

    def value(self, attr: str):
        source = self.row if self.row is not None else self.group
        if self.row is not None and self.row.out_shape is None:
            return None
        return getattr(source, attr, None)


def entries(a: Analysis, tree: bool = True, collapse: bool = False,
            depth: int | None = None) -> list[Entry]:
    """Layers in order; with `tree`, block headers before their layers, and only the rows
    nested at most `depth` deep (a block's header row carries its hidden layers' totals)."""
    if not tree:
        return [Entry(r.name, r.kind, 0, r.status, r.loc.line, row=r) for r in a.rows]
    if collapse:
        depth = 0
    groups = {g.path: g for g in a.groups}
    out, opened = [], set()
    for r in a.rows:
        for path in r.groups:
            if path in opened:
                continue
            opened.add(path)
            g = groups[path]
            if depth is not None and g.depth > depth:
                continue
            label = g.local_name if not g.local_name.isdigit() else f"[{g.local_name}]"
            out.append(Entry(label, g.kind, g.depth, g.status, g.loc.line, group=g))
        if depth is not None and len(r.groups) > depth:
            continue
        out.append(Entry(r.local_name, r.kind, len(r.groups), r.status, r.loc.line, row=r))
    return out


def max_depth(a: Analysis) -> int:
    """How deep the tree's rows nest (0: no blocks)."""
    return max((len(r.groups) for r in a.rows), default=0)


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[Entry], str]
    numeric: bool = False
    key: str = ""  # the name `--columns` uses


def _shape(e: Entry) -> str:
    shape = e.value("out_shape")
    return "—" if shape is None else shape_text(shape)


def _arithmetic(e: Entry) -> str:
    """One line when every axis has the same arithmetic (square inputs), else one per axis."""
    formulas = e.row.formulas if e.row is not None else ()
    if not formulas:
        return ""
    texts = list(dict.fromkeys(formula_text(f) for f in formulas))
    return texts[0] if len(texts) == 1 else "\n".join(formula_text(f) for f in formulas)


def _num(attr: str) -> Callable[[Entry], str]:
    def cell(e: Entry) -> str:
        value = e.value(attr)
        return "" if value is None else exact(value)
    return cell


def _receptive(e: Entry) -> str:
    fields = e.row.receptive if e.row is not None else None
    if not fields:
        return ""
    texts = [field_text(f) for f in fields]
    return texts[0] if len(set(texts)) == 1 else "×".join(texts)


def field_text(field: RField) -> str:
    """A receptive field as the table shows it: its size, or "whole input"."""
    return "whole input" if field.whole else exact(field.size)


def _label(indent: bool) -> Callable[[Entry], str]:
    return lambda e: ("  " * e.depth if indent else "") + e.label


def _connected(a: Analysis) -> Callable[[Entry], str]:
    """Keras's "Connected to", where the graph is not a chain: a merge's inputs, and a
    layer that reads something other than the layer above it (a branch's or a shortcut's
    start), one input a line. Names inside the layer's own block are written from there."""
    previous = {r.name: p.name for p, r in zip(a.rows, a.rows[1:])}

    def cell(e: Entry) -> str:
        r = e.row
        if r is None or not r.inputs:
            return ""
        if len(r.inputs) == 1 and r.inputs[0] in (previous.get(r.name), "input"):
            return ""
        block = r.name.rpartition(".")[0] + "."
        return "\n".join(i[len(block):] if block != "." and i.startswith(block) else i
                          for i in r.inputs)
    return cell


def merges(a: Analysis) -> bool:
    """Whether any layer reads more than one input (a residual add, a concat)."""
    return any(len(r.inputs) > 1 for r in a.rows)


def all_columns(a: Analysis, indent: bool = True) -> dict[str, Column]:
    """Every column a report can show, by the key `--columns` names it with, in the order
    a report shows them."""
    cols = [
        Column("layer", _label(indent), key="layer"),
        Column("type", lambda e: e.kind, key="type"),
        Column(f"output ({'×'.join(('C', *AXES[len(a.input_shape.dims)]))})", _shape,
               key="output"),
        Column("size arithmetic", _arithmetic, key="arithmetic"),
        Column("params", _num("params"), True, "params"),
        Column("buffers", _num("buffers"), True, "buffers"),
        Column("MACs", _num("macs"), True, "macs"),
        Column("FLOPs", _num("flops"), True, "flops"),
        Column("activations", _num("activations"), True, "activations"),
        Column("receptive field", _receptive, True, "receptive"),
        Column("connections/neuron", _num("connections"), True, "connections"),
        Column("params w/o sharing", _num("unshared_params"), True, "unshared"),
        Column("params if fully connected", _num("dense_params"), True, "dense"),
        Column("connected to", _connected(a), key="connected"),
    ]
    return {c.key: c for c in cols}


EXPLAIN = ("connections", "unshared", "dense")
# What each `--explain` column means, printed under a table that shows it.
EXPLAIN_LEGEND = {
    "connections": "connections/neuron: the inputs each output unit is wired to "
                   "(C_in/groups × the kernel's size)",
    "unshared": "params w/o sharing: the layer with its own filter (and bias) for every "
                "output unit, no weight sharing",
    "dense": "params if fully connected: every input wired to every output unit, as a "
             "linear layer would (seed 003)",
}


def default_keys(a: Analysis, explain: bool = False, connected: bool = False) -> list[str]:
    """The columns a report shows unless `--columns` chooses: buffers only where there are
    some, "connected to" (the table's) only where layers merge."""
    keys = ["layer", "type", "output", "arithmetic", "params",
            *(["buffers"] if a.totals.buffers != 0 else []),
            "macs", "flops", "activations", "receptive"]
    if explain:
        keys += EXPLAIN
    if connected and merges(a):
        keys.append("connected")
    return keys


# The columns kept first when a report is narrower than all of them (the layer's name
# always stays): what a layer is and makes, its counts, then how it came to be. The table
# (`render/table.py`) and the TUI's layer table (`tui/layer_table.py`) both keep this order.
PRIORITY = ("layer", "type", "output", "params", "macs", "connected", "arithmetic",
            "receptive", "activations", "buffers", "flops")

KEYS = ("layer", "type", "output", "arithmetic", "params", "buffers", "macs", "flops",
        "activations", "receptive", "connected", *EXPLAIN)


def parse_keys(items: tuple[str, ...]) -> list[str]:
    """The columns `--columns` names (comma-separated, case-insensitive; the option may be
    repeated), in its order, the layer's name first whether named or not. ValueError with
    a suggestion for a name that is not a column."""
    keys = ["layer"]
    for item in items:
        for name in item.split(","):
            key = name.strip().lower()
            if not key:
                continue
            if key not in KEYS:
                hint = did_you_mean(key, KEYS)
                raise ValueError(f"no column '{name.strip()[:40]}'" + (f"; {hint}" if hint else "")
                                 + f" (columns: {', '.join(KEYS)})")
            if key not in keys:
                keys.append(key)
    return keys


def columns(analysis: Analysis, explain: bool = False, indent: bool = True,
            keys: list[str] | None = None) -> list[Column]:
    """The columns named by `keys` (default: `default_keys`), `--explain`'s added."""
    every = all_columns(analysis, indent)
    if keys is None:
        keys = default_keys(analysis, explain)
    elif explain:
        keys = [*keys, *(k for k in EXPLAIN if k not in keys)]
    return [every[k] for k in keys]


MARKS = {"error": "✗", "warning": "!", "skipped": "·"}
# What each mark means, printed under a table that shows it.
MARK_MEANING = {"error": "does not fit (an error)", "warning": "a warning",
                "skipped": "not computed: an earlier layer failed"}


def status_mark(e: Entry) -> str:
    return MARKS.get(e.status, "")
