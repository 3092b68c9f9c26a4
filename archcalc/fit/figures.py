"""The figures a budget can name, read off an analysis as sympy expressions.

Totals are per sample, as `check` prints them: `params` (PyTorch's parameter count),
`buffers`, `macs`, `flops` (by the analysis' convention), `activations` (output elements
of every layer). At the batch, dtype and optimizer of the question (`analysis/memory.py`'s
estimate): `memory` (bytes of every layer's output, one forward pass) and `train_memory`
(parameters + gradients + optimizer state + what autograd saves). `rf`: the largest
receptive field of any unit, along any axis, that does not see the whole input. A layer
or block's output size: `NAME.C` (channels) or `NAME.H`, `.W`, `.T`, `.L` (its spatial
axes), `out.…` being the network's last layer. At bound symbols every figure is a sympy
Integer; with one left free, a formula in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..analysis.memory import estimate
from ..analysis.result import Analysis
from ..errors import Diagnostic, SpecError, clip
from ..layers.windowed import AXES
from ..suggest import did_you_mean
from .constraints import Constraint

TOTALS = ("params", "buffers", "macs", "flops", "activations")
MEMORY = ("memory", "train_memory")
FIGURES = (*TOTALS, *MEMORY, "rf")
SHOWN = ("params", "macs", "flops", "activations", "train_memory")  # what an answer prints


@dataclass(frozen=True)
class MemoryOptions:
    """The estimate's settings: what `check --batch --dtype --optimizer` takes."""

    batch: int = 1
    dtype: str = "fp32"
    optimizer: str = "momentum"


def check_figures(a: Analysis, constraints: tuple[Constraint, ...]) -> None:
    """A SpecError at the first constraint naming a figure this network has not (a typo,
    a layer it lacks, an axis it has not)."""
    for c in constraints:
        problem, hint = _unknown(a, c.figure)
        if problem:
            raise SpecError(Diagnostic("error", problem, c.loc, (hint,) if hint else (),
                                       code="constraint"))


def _unknown(a: Analysis, figure: str) -> tuple[str, str]:
    if "." not in figure:
        if figure in FIGURES:
            return "", ""
        return (f"unknown figure {clip(figure)!r} (figures: {', '.join(FIGURES)}, or "
                "LAYER.AXIS)", did_you_mean(figure, FIGURES) or "")
    name, axis = figure.rsplit(".", 1)
    axes = ("C", *AXES.get(len(a.input_shape.dims), ()))
    names = {r.name for r in a.rows} | {g.path for g in a.groups} | {"out"}
    if name not in names:
        return (f"no layer or block {clip(name)!r} in {clip(a.name)}",
                did_you_mean(name, sorted(names)) or "")
    if axis not in axes:
        return f"{clip(figure)}: the axis is one of {', '.join(axes)}", ""
    return "", ""


def figure_exprs(a: Analysis, names: tuple[str, ...], memory: MemoryOptions
                 ) -> dict[str, sp.Expr]:
    """Each named figure of the analysis (names already checked by `check_figures`); an
    output size of a layer that has none there (flat, or not computed) is absent."""
    out: dict[str, sp.Expr] = {}
    mem = estimate(a, memory.batch, memory.dtype, memory.optimizer) \
        if any(n in MEMORY for n in names) else None
    for n in dict.fromkeys(names):
        if n in TOTALS:
            out[n] = sp.sympify(getattr(a.totals, n))
        elif n == "memory":
            out[n] = mem.activations
        elif n == "train_memory":
            out[n] = mem.training
        elif n == "rf":
            out[n] = receptive_field(a)
        else:
            size = output_size(a, n)
            if size is not None:
                out[n] = size
    return out


def receptive_field(a: Analysis) -> sp.Expr:
    sizes = [f.size for r in a.rows if r.receptive for f in r.receptive if not f.whole]
    return sp.Max(*sizes) if sizes else sp.Integer(1)


def output_size(a: Analysis, figure: str) -> sp.Expr | None:
    name, axis = figure.rsplit(".", 1)
    if name == "out":
        shape = a.rows[-1].out_shape if a.rows else None
    else:
        shape = next((r.out_shape for r in a.rows if r.name == name), None) or \
            next((g.out_shape for g in a.groups if g.path == name), None)
    if shape is None:
        return None
    if axis == "C":
        return shape.c
    i = AXES[len(a.input_shape.dims)].index(axis)
    return shape.dims[i] if i < len(shape.dims) else None
