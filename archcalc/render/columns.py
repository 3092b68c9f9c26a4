"""The columns of a check report, shared by the table, Markdown and CSV renderers.

Each column is a header and a function from a `LayerRow` to its text. Which columns show
depends only on options (`--explain` adds the seeds' weight-sharing figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..analysis.result import Analysis, LayerRow
from .numbers import exact


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[LayerRow], str]
    numeric: bool = False


def _shape(row: LayerRow) -> str:
    if row.out_shape is None:
        return "—"
    return row.out_shape.text()


def _arithmetic(row: LayerRow) -> str:
    """One line when every axis has the same arithmetic (square inputs), else one per axis."""
    if not row.formulas:
        return ""
    if len(set(row.formulas)) == 1:
        return row.formulas[0]
    return "\n".join(row.formulas)


def _num(attr: str) -> Callable[[LayerRow], str]:
    def cell(row: LayerRow) -> str:
        if row.out_shape is None:
            return ""
        value = getattr(row, attr)
        return "" if value is None else exact(value)
    return cell


def columns(analysis: Analysis, explain: bool = False) -> list[Column]:
    cols = [
        Column("layer", lambda r: r.name),
        Column("type", lambda r: r.kind),
        Column("output (C×H×W)" if len(analysis.input_shape.dims) == 2 else "output (C×L)",
               _shape),
        Column("size arithmetic", _arithmetic),
        Column("params", _num("params"), True),
        Column("MACs", _num("macs"), True),
        Column("FLOPs", _num("flops"), True),
        Column("activations", _num("activations"), True),
    ]
    if explain:
        cols += [
            Column("connections/neuron", _num("connections"), True),
            Column("params w/o sharing", _num("unshared_params"), True),
        ]
    return cols


def status_mark(row: LayerRow) -> str:
    return {"error": "✗", "warning": "!", "skipped": "·"}.get(row.status, "")
