"""Graph + symbol values -> `Analysis`: the calculator's one entry point.

Walks the graph in order, binds each layer's arguments, asks the layer kind what it does
to its input (`infer`), and gathers shapes, parameters, MACs, FLOPs and findings into
immutable rows with totals. Symbols left unbound stay symbols, so the same walk yields
numbers at the defaults or formulas in H and W. It then works out the input sizes for
which every layer fits (`validset.py`) and, where the size in use does not, the nearest
ones that do.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..errors import Diagnostic
from ..graph import INPUT, Graph, build_graph
from ..layers import KINDS
from ..layers.base import Ctx, Shape
from ..spec.model import Spec, symbol
from .bind import bind_args
from .conventions import CONVENTIONS, DEFAULT
from .result import Analysis, LayerRow, Totals
from .validset import valid_inputs

ZERO = sp.Integer(0)


def analyze(spec: Spec, bindings: Mapping[str, int] | None = None, *,
            convention: str = DEFAULT, graph: Graph | None = None) -> Analysis:
    graph = graph or build_graph(spec)
    bindings = dict(bindings or {})
    conv = CONVENTIONS[convention]
    subs = {symbol(k): sp.Integer(v) for k, v in bindings.items()}
    dims = tuple(d.xreplace(subs) for d in spec.input)
    x0 = Shape(dims[0], dims[1:])
    shapes: dict[str, Shape | None] = {INPUT: x0}
    rows: list[LayerRow] = []
    findings: list[Diagnostic] = []
    free: set[sp.Symbol] = set().union(*(d.free_symbols for d in dims))
    for node in graph.nodes:
        kind = KINDS[node.kind]
        ctx = Ctx(node.name, node.loc, dict(node.arg_locs), graph.rounding)
        args, bad = bind_args(kind, dict(node.args), subs, ctx)
        for v in args.values():
            if isinstance(v, sp.Basic):
                free |= v.free_symbols
        x = shapes.get(node.inputs[0])
        windows = kind.windows(args, spec.ndim, graph.rounding) if not bad else None
        if x is None or bad:
            findings.extend(bad)
            shapes[node.name] = None
            rows.append(LayerRow(node.name, node.kind, node.loc, node.inputs, x, None,
                                 windows=windows, status="error" if bad else "skipped",
                                 args=tuple(args.items())))
            continue
        facts = kind.infer(args, x, ctx)
        findings.extend(facts.findings)
        severities = {d.severity for d in facts.findings}
        status = "error" if "error" in severities else "warning" if severities else "ok"
        out = None if facts.fatal else facts.out
        shapes[node.name] = out
        acts = out.numel if out is not None else ZERO
        rows.append(LayerRow(
            node.name, node.kind, node.loc, node.inputs, x, out, facts.formulas,
            sp.sympify(facts.trainable), sp.sympify(facts.buffers), sp.sympify(facts.macs),
            conv.flops_per_mac * sp.sympify(facts.macs), acts, facts.unshared_params,
            facts.connections, windows, facts.resolved, status, tuple(args.items())))
    totals = Totals(*(sp.Add(*(getattr(r, f) for r in rows)) for f in
                      ("trainable", "buffers", "macs", "flops", "activations")))
    symbols = {s.name: s for s in spec.symbols}
    valid = valid_inputs(tuple(rows), spec.input[1:], spec.ndim, symbols, bindings)
    notes: dict[tuple, list] = {}
    for v in valid:
        if v.current is not None and v.current_fits is False and v.nearest:
            key = (v.current, v.nearest, v.modulus, v.residues, v.minimum)
            notes.setdefault(key, []).append(v)
    for (current, nearest, *_), vs in notes.items():
        names = ", ".join(v.symbol for v in vs)
        findings.append(Diagnostic(
            "note", f"{names} = {current} does not fit every layer; the nearest sizes that do "
            f"are {' and '.join(map(str, nearest))} (valid: {vs[0].text})", spec.input_loc,
            code="nearest-input"))
    return Analysis(
        name=spec.name, file=spec.source.name, input_shape=x0,
        bindings=tuple(sorted(bindings.items())),
        free_symbols=tuple(sorted(str(s) for s in free)), rows=tuple(rows),
        findings=tuple(findings), totals=totals, convention=conv.name,
        convention_text=conv.text, rounding=graph.rounding, valid_inputs=valid)
