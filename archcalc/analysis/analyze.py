"""Graph + symbol values -> `Analysis`: the calculator's one entry point.

Walks the graph in topological order, binds each layer's arguments, asks the layer kind
what it does to its input(s) (`infer`), and gathers shapes, parameters, MACs, FLOPs,
receptive fields and findings into immutable rows, with totals for the whole network,
for each block (the tree view) and for each output. Symbols left unbound stay symbols,
so the same walk yields numbers at the defaults or formulas in H and W. It then works out
the input sizes for which every layer fits (`validset.py`) and, where the size in use
does not, the nearest ones that do.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..errors import Diagnostic
from ..graph import INPUT, Graph, Node, build_graph
from ..layers import KINDS
from ..layers.base import Ctx, Shape
from ..spec.model import Spec, symbol
from . import receptive as RF
from .bind import bind_args
from .conventions import CONVENTIONS, DEFAULT
from .result import Analysis, GroupSummary, LayerRow, OutputTotals, Totals
from .validset import valid_inputs

ZERO = sp.Integer(0)


def analyze(spec: Spec, bindings: Mapping[str, int] | None = None, *,
            convention: str = DEFAULT, graph: Graph | None = None,
            lenient: bool = False, cache: dict | None = None) -> Analysis:
    """`lenient`: shape mismatches that depend on symbols are not errors — for code that
    is generic in a block's arguments (the compiler's block classes).

    `cache`: a dict kept between calls (the TUI re-analyses on every edit). A layer's row is
    a pure function of its node — immutable, compared by value — its inputs' shapes and
    fields, and the bindings; after a one-character edit almost every layer is a hit."""
    graph = graph or build_graph(spec)
    bindings = dict(bindings or {})
    conv = CONVENTIONS[convention]
    subs = {symbol(k): sp.Integer(v) for k, v in bindings.items()}
    dims = tuple(d.xreplace(subs) for d in spec.input)
    x0 = Shape(dims[0], dims[1:])
    walk = _Walk(spec, graph, subs, conv.flops_per_mac, lenient)
    if cache is not None and len(cache) > 50_000:
        cache.clear()  # bounded: a long session never grows without limit
    rows = tuple(walk.cached_row(node, cache) for node in graph.nodes)
    free = set().union(*(d.free_symbols for d in dims), walk.free)
    totals = _totals(rows)
    symbols = {s.name: s for s in spec.symbols}
    key = ("valid", tuple((r.name, r.inputs, r.windows) for r in rows), spec.input,
           tuple(symbols.values()), tuple(sorted(bindings.items())))
    valid = cache.get(key) if cache is not None else None
    if valid is None:
        valid = valid_inputs(rows, spec.input[1:], spec.ndim, symbols, bindings)
        if cache is not None:
            cache[key] = valid
    findings = walk.findings + _nearest_notes(valid, spec)
    outputs = ()
    if len(graph.outputs) > 1:
        by = {n.name: n for n in graph.nodes}
        outputs = tuple(OutputTotals(o, _totals([r for r in rows if r.name in keep]))
                        for o in graph.outputs for keep in (_ancestors(by, o),))
    return Analysis(
        name=spec.name, file=spec.source.name, input_shape=x0,
        bindings=tuple(sorted(bindings.items())),
        free_symbols=tuple(sorted(str(s) for s in free)), rows=rows,
        findings=tuple(findings), totals=totals, convention=conv.name,
        convention_text=conv.text, rounding=graph.rounding, valid_inputs=valid,
        groups=_groups(graph, rows), outputs=outputs)


class _Walk:
    """The state of one pass over the graph: shapes and receptive fields so far."""

    def __init__(self, spec: Spec, graph: Graph, subs: dict, flops_per_mac: int,
                 lenient: bool = False):
        self.spec, self.graph, self.subs, self.fpm = spec, graph, subs, flops_per_mac
        self.lenient = lenient
        self.subs_key = tuple(sorted(subs.items(), key=str))
        dims = tuple(d.xreplace(subs) for d in spec.input)
        self.shapes: dict[str, Shape | None] = {INPUT: Shape(dims[0], dims[1:])}
        self.fields: dict[str, tuple | None] = {INPUT: (RF.INPUT_FIELD,) * spec.ndim}
        self.rows: dict[str, LayerRow] = {}
        self.findings: list[Diagnostic] = []
        self.free: set = set()

    def cached_row(self, node: Node, cache: dict | None) -> LayerRow:
        if cache is None:
            return self.row(node)
        names = (*node.inputs, *node.refs)
        key = (node, tuple(self.shapes.get(n) for n in names),
               tuple(self.fields.get(n) for n in node.inputs), self.subs_key, self.fpm,
               self.lenient, self.graph.rounding)
        hit = cache.get(key)
        if hit is None:
            mark = len(self.findings)
            row = self.row(node)
            cache[key] = (row, self.shapes[node.name], self.fields.get(node.name),
                          tuple(self.findings[mark:]), frozenset(self.free))
            return row
        row, shape, fields, findings, free = hit
        self.shapes[node.name], self.fields[node.name] = shape, fields
        self.rows[node.name] = row
        self.findings.extend(findings)
        self.free |= free
        return row

    def row(self, node: Node) -> LayerRow:
        kind = KINDS[node.kind]
        names = list(node.inputs)
        ctx = Ctx(node.name, node.loc, dict(node.arg_locs), self.graph.rounding, names,
                  lenient=self.lenient)
        args, bad = bind_args(kind, dict(node.args), self.subs, ctx)
        for v in args.values():
            if isinstance(v, sp.Basic):
                self.free |= v.free_symbols
        xs = [self.shapes.get(n) for n in names]
        common = dict(args=tuple(args.items()), groups=node.groups, refs=node.refs)
        if bad or any(x is None for x in xs) or not self._refs(node, ctx):
            self.findings.extend(bad)
            return self._skip(node, xs, "error" if bad else "skipped", common)
        facts = kind.infer(args, xs[0] if kind.arity == 1 else xs, ctx)
        self.findings.extend(facts.findings)
        windows = facts.windows if facts.windows is not None else \
            kind.windows(args, self.spec.ndim, self.graph.rounding)
        severities = {d.severity for d in facts.findings}
        status = "error" if "error" in severities else "warning" if severities else "ok"
        out = None if facts.fatal else facts.out
        self.shapes[node.name] = out
        fields = self._receptive(node, windows, dict(facts.resolved), ctx)
        row = LayerRow(
            node.name, node.kind, node.loc, node.inputs, xs[0], out, facts.formulas,
            sp.sympify(facts.trainable), sp.sympify(facts.buffers), sp.sympify(facts.macs),
            self.fpm * sp.sympify(facts.macs), out.numel if out is not None else ZERO,
            facts.unshared_params, facts.connections, facts.dense_params, windows,
            facts.resolved, status, receptive=fields, **common)
        self.rows[node.name] = row
        return row

    def _skip(self, node: Node, xs, status: str, common: dict) -> LayerRow:
        self.shapes[node.name] = None
        self.fields[node.name] = None
        row = LayerRow(node.name, node.kind, node.loc, node.inputs, xs[0] if xs else None,
                       None, status=status, **common)
        self.rows[node.name] = row
        return row

    def _refs(self, node: Node, ctx: Ctx) -> bool:
        """A shortcut needs its residual body's output shape and stride."""
        if not node.refs:
            return True
        target = self.shapes.get(node.refs[0])
        if target is None:
            return False
        stride = self._stride(node.inputs[0], node.refs[0], ctx)
        if stride is None:
            return False
        ctx.refs.update(target=target, stride=stride)
        return True

    def _stride(self, start: str, end: str, ctx: Ctx):
        """The product of the strides from `start` to `end`, along first inputs."""
        stride = [sp.Integer(1)] * self.spec.ndim
        name = end
        while name != start:
            row = self.rows.get(name)
            if row is None or not row.inputs:
                return None
            if row.windows is None or any(w.kind == "fixed" for w in row.windows):
                self.findings.append(ctx.error(
                    f"the residual branch goes through {row.name} ({row.kind}), which does not "
                    "keep the spatial axes: there is no shortcut to match it",
                    code="residual-shape"))
                return None
            stride = [s * w.stride for s, w in zip(stride, row.windows)]
            name = row.inputs[0]
        return tuple(stride)

    def _receptive(self, node: Node, windows, resolved: dict, ctx: Ctx):
        ins = [self.fields.get(n) for n in node.inputs]
        if any(f is None for f in ins) or not ins:
            self.fields[node.name] = None
            return None
        if len(ins) > 1:
            merged = []
            for axis in range(self.spec.ndim):
                field, misaligned = RF.merge([f[axis] for f in ins])
                if misaligned:
                    self.findings.append(ctx.warning(
                        "the merged paths' units are not aligned (different jump or centre): "
                        + ", ".join(f"{n}: jump {f[axis].jump}, centre {f[axis].start}"
                                    for n, f in zip(node.inputs, ins)), code="rf-misaligned"))
                merged.append(field)
            fields = tuple(merged)
        else:
            pads = resolved.get("padding")
            fields = tuple(RF.through(ins[0][axis], windows[axis] if windows else None,
                                      pads[axis][0] if pads else None)
                           for axis in range(self.spec.ndim))
        self.fields[node.name] = fields
        return fields


def _totals(rows) -> Totals:
    return Totals(*(_sum([getattr(r, f) for r in rows])
                    for f in ("trainable", "buffers", "macs", "flops", "activations")))


def _sum(terms: list):
    """Σ terms, expanded when symbolic. Plain ints add in Python (exactly: sympy Integers
    are ints), which a 100,000-layer network does ~10⁶ times."""
    if all(isinstance(t, sp.Integer) for t in terms):
        return sp.Integer(sum(int(t) for t in terms))
    value = sp.Add(*terms)
    return value if value.is_number else sp.expand(value)


def _groups(graph: Graph, rows) -> tuple[GroupSummary, ...]:
    """Each group's layers, totals and status, in one pass over the rows and one over the
    groups: a group's totals are its own layers' plus its child groups' (bottom-up), so
    the cost is linear in layers and groups whatever the nesting."""
    members: dict[str, list] = {g.path: [] for g in graph.groups}
    own: dict[str, list] = {g.path: [] for g in graph.groups}
    parent: dict[str, str] = {}
    for r in rows:
        for path in r.groups:
            members[path].append(r)
        if r.groups:
            own[r.groups[-1]].append(r)
            for outer, inner in zip(r.groups, r.groups[1:]):
                parent.setdefault(inner, outer)
    fields = ("trainable", "buffers", "macs", "flops", "activations")
    sums = {g.path: [[getattr(r, f) for r in own[g.path]] for f in fields]
            for g in graph.groups}
    statuses = {g.path: {r.status for r in own[g.path]} for g in graph.groups}
    totals: dict[str, Totals] = {}
    for g in reversed(graph.groups):  # children open after their parents
        t = Totals(*(_sum(terms) for terms in sums[g.path]))
        totals[g.path] = t
        up = parent.get(g.path)
        if up is not None:
            for terms, value in zip(sums[up], (getattr(t, f) for f in fields)):
                terms.append(value)
            statuses[up] |= statuses[g.path]
    paths = {g.path for g in graph.groups}
    out = []
    for g in graph.groups:
        mine = members[g.path]
        t = totals[g.path]
        status = next((s for s in ("error", "warning", "skipped") if s in statuses[g.path]),
                      "ok")
        depth = _depth(g.path, paths)
        out.append(GroupSummary(g.path, g.kind, g.loc, depth, tuple(r.name for r in mine),
                                mine[-1].out_shape if mine else None, t.trainable,
                                t.buffers, t.macs, t.flops, t.activations, status))
    return tuple(out)


def _depth(path: str, paths: set[str]) -> int:
    """How many groups enclose `path`: those whose path is a dotted prefix of it."""
    depth, cut = 0, path.rfind(".")
    while cut > 0:
        if path[:cut] in paths:
            depth += 1
        cut = path.rfind(".", 0, cut)
    return depth


def _ancestors(by: dict[str, Node], name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n in seen or n == INPUT:
            continue
        seen.add(n)
        todo += list(by[n].inputs) + list(by[n].refs)
    return seen


def _nearest_notes(valid, spec: Spec) -> list[Diagnostic]:
    notes: dict[tuple, list] = {}
    for v in valid:
        if v.current is not None and v.current_fits is False and v.nearest:
            key = (v.current, v.nearest, v.modulus, v.residues, v.minimum)
            notes.setdefault(key, []).append(v)
    out = []
    for (current, nearest, *_), vs in notes.items():
        names = ", ".join(v.symbol for v in vs)
        out.append(Diagnostic(
            "note", f"{names} = {current} does not fit every layer; the nearest sizes that do "
            f"are {' and '.join(map(str, nearest))} (valid: {vs[0].text})", spec.input_loc,
            code="nearest-input"))
    return out
