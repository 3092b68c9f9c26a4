"""The rows and columns of a check report, shared by the table, Markdown and CSV renderers.

A report is a list of entries: one per layer, and — in the tree view — a header per block
instance, repeat and branch carrying its totals, with the layers indented beneath it
(`collapse` keeps only the top-level blocks' headers). Each column is a header and a
function from an entry to its text; `--explain` adds the seeds' weight-sharing figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..analysis.result import Analysis, GroupSummary, LayerRow
from ..layers.axismap import RField
from ..layers.windowed import AXES
from ..notation import formula_text, shape_text
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


def entries(a: Analysis, tree: bool = True, collapse: bool = False) -> list[Entry]:
    """Layers in order; with `tree`, block headers before their layers."""
    if not tree:
        return [Entry(r.name, r.kind, 0, r.status, r.loc.line, row=r) for r in a.rows]
    groups = {g.path: g for g in a.groups}
    out, opened = [], set()
    for r in a.rows:
        for path in r.groups:
            if path in opened:
                continue
            opened.add(path)
            g = groups[path]
            if collapse and g.depth > 0:
                continue
            label = g.local_name if not g.local_name.isdigit() else f"[{g.local_name}]"
            out.append(Entry(label, g.kind, g.depth, g.status, g.loc.line, group=g))
        if collapse and r.groups:
            continue
        out.append(Entry(r.local_name, r.kind, len(r.groups), r.status, r.loc.line, row=r))
    return out


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[Entry], str]
    numeric: bool = False


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


def columns(analysis: Analysis, explain: bool = False, indent: bool = True) -> list[Column]:
    cols = [
        Column("layer", _label(indent)),
        Column("type", lambda e: e.kind),
        Column(f"output ({'×'.join(('C', *AXES[len(analysis.input_shape.dims)]))})", _shape),
        Column("size arithmetic", _arithmetic),
        Column("params", _num("params"), True),
        *([Column("buffers", _num("buffers"), True)] if analysis.totals.buffers != 0 else []),
        Column("MACs", _num("macs"), True),
        Column("FLOPs", _num("flops"), True),
        Column("activations", _num("activations"), True),
        Column("receptive field", _receptive, True),
    ]
    if explain:
        cols += [
            Column("connections/neuron", _num("connections"), True),
            Column("params w/o sharing", _num("unshared_params"), True),
            Column("params if fully connected", _num("dense_params"), True),
        ]
    return cols


def status_mark(e: Entry) -> str:
    return {"error": "✗", "warning": "!", "skipped": "·"}.get(e.status, "")
