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

from dataclasses import replace
from typing import Mapping

from .. import num
from ..errors import Diagnostic, SourceLoc
from ..graph import INPUT, Graph, Node
from ..heap import collector_paused
from ..layers import KINDS
from ..layers.axismap import INPUT_FIELD
from ..layers.base import Ctx, Shape
from ..spec.model import substitutions
from . import receptive as RF
from .bind import bind_args
from .conventions import CONVENTIONS, DEFAULT
from .groups import sum_rows, summaries
from .layout import channels_last
from .result import Analysis, LayerRow, OutputTotals
from .validset import valid_inputs

ZERO = num.Integer(0)


@collector_paused
def analyze(graph: Graph, bindings: Mapping[str, int] | None = None, *,
            convention: str = DEFAULT, lenient: bool = False,
            cache: dict | None = None, decide=None) -> Analysis:
    """The graph at these symbol values (the graph carries the input, symbols and source).

    `lenient`: shape mismatches that depend on symbols are not errors — for code that
    is generic in a block's arguments (the compiler's block classes).

    `cache`: a dict kept between calls (the TUI re-analyses on every edit). A layer's row is
    a pure function of its node — immutable, compared by value — its inputs' shapes and
    fields, and the bindings; after a one-character edit almost every layer is a hit."""
    bindings = dict(bindings or {})
    cache = None if decide is not None else cache
    conv = CONVENTIONS[convention]
    subs = substitutions(graph.symbols, bindings)
    dims = tuple(d.xreplace(subs) for d in graph.input)
    x0 = Shape(dims[0], dims[1:])
    walk = _Walk(graph, subs, conv.flops_per_mac, lenient, decide)
    if cache is not None and len(cache) > 50_000:
        cache.clear()  # bounded: a long session never grows without limit
    rows = tuple(walk.cached_row(node, cache) for node in graph.nodes)
    free = set().union(*(d.free_symbols for d in dims), walk.free)
    totals = sum_rows(rows)
    symbols = {s.name: s for s in graph.symbols}
    key = ("valid", tuple((r.name, r.inputs, r.maps) for r in rows), graph.input,
           tuple(symbols.values()), tuple(sorted(bindings.items())))
    valid = cache.get(key) if cache is not None else None
    if valid is None:
        valid = valid_inputs(rows, graph.input[1:], graph.ndim, symbols, bindings)
        if cache is not None:
            cache[key] = valid
    findings = (channels_last(graph.input, graph.input_loc) + walk.findings
                + _nearest_notes(valid, graph.input_loc))
    outputs = ()
    if len(graph.outputs) > 1:
        by = {n.name: n for n in graph.nodes}
        outputs = tuple(OutputTotals(o, sum_rows([r for r in rows if r.name in keep]))
                        for o in graph.outputs for keep in (_ancestors(by, o),))
    return Analysis(
        name=graph.name, file=graph.source.name, input_shape=x0,
        bindings=tuple(sorted(bindings.items())),
        free_symbols=tuple(sorted(str(s) for s in free)), rows=rows,
        findings=tuple(findings), totals=totals, convention=conv.name,
        convention_text=conv.text, rounding=graph.rounding, valid_inputs=valid,
        groups=summaries(graph, rows), outputs=outputs, channels=tuple(walk.channels.items()))


class _Walk:
    """The state of one pass over the graph: shapes and receptive fields so far."""

    def __init__(self, graph: Graph, subs: dict, flops_per_mac: int, lenient: bool = False,
                 decide=None):
        self.graph, self.subs, self.fpm = graph, subs, flops_per_mac
        self.lenient, self.decide = lenient, decide
        self.subs_key = tuple(sorted(subs.items(), key=str))
        dims = tuple(d.xreplace(subs) for d in graph.input)
        self.shapes: dict[str, Shape | None] = {INPUT: Shape(dims[0], dims[1:])}
        self.fields: dict[str, tuple | None] = {INPUT: (INPUT_FIELD,) * graph.ndim}
        self.rows: dict[str, LayerRow] = {}
        self.findings: list[Diagnostic] = []
        self.free: set = set()
        self.memo: dict = {}  # (kind, args, input shapes) -> what `_infer` found
        self.channels: dict = {}  # each block instance's `in` symbol -> its value

    def cached_row(self, node: Node, cache: dict | None) -> LayerRow:
        if cache is None:
            return self.row(node)
        names = (*node.inputs, *node.refs, *(src for _, src in node.channels))
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
        self._channels(node)
        self.rows[node.name] = row
        self.findings.extend(findings)
        self.free |= free
        return row

    def row(self, node: Node) -> LayerRow:
        xs = [self.shapes.get(n) for n in node.inputs]
        self._channels(node)
        # What a layer infers is a function of its kind, its arguments and its inputs'
        # shapes; a deep network repeats a few such layers many times over, so a result
        # without findings (which name the layer and its place) is reused.
        key = same = done = None
        if not node.refs and not any(x is None for x in xs):
            # First by identity (a block's layers share their argument tuples, and layers
            # their inputs' shape objects: no hashing of sympy values), then by value.
            same = (node.kind, id(node.args), *map(id, xs))  # () is one object for all
            done = self.memo.get(same)
            if done is None:
                key = (node.kind, node.args, tuple(xs))
                done = self.memo.get(key)
        if done is None:
            done = self._infer(node, xs, self._ctx(node))
            if isinstance(done, LayerRow):
                return done  # skipped
            if key is not None and not done[2].findings:
                self.memo[key] = done
        if same is not None and not done[2].findings:
            self.memo[same] = done  # the objects behind the ids live as long as the walk
        args, free, facts, layer, maps, values, status = done
        self.free |= free
        self.findings.extend(facts.findings)
        out = None if facts.fatal else facts.out
        self.shapes[node.name] = out
        inputs = node.inputs[:1] if facts.passes else node.inputs  # what it reads
        fields = self._receptive(node, inputs, maps, xs[0])
        row = LayerRow(
            node.name, node.kind, node.loc, inputs, xs[0], out, facts.formulas,
            *values, facts.sharing, maps, facts.call, status, receptive=fields, args=args,
            groups=node.groups, refs=node.refs, layer=layer, view=facts.view)
        self.rows[node.name] = row
        return row

    def _infer(self, node: Node, xs, ctx: Ctx):
        """(args, free symbols, facts, layer, maps, the row's counts, status), or the row
        of a layer that cannot be inferred."""
        kind = KINDS[node.kind]
        subs = self.subs
        if node.channels:  # a block's `in`: the channels of the layer it reads
            given = [self.shapes.get(src) for _, src in node.channels]
            if any(x is None for x in given):
                return self._skip(node, xs, "skipped", dict(args=node.args, groups=node.groups,
                                                             refs=node.refs))
            subs = {**subs, **{c: x.c for (c, _), x in zip(node.channels, given)}}
        args, bad = bind_args(kind, dict(node.args), subs, ctx)
        free = set()
        for v in args.values():
            if isinstance(v, num.Basic):
                free |= v.free_symbols
        self.free |= free
        common = dict(args=tuple(args.items()), groups=node.groups, refs=node.refs)
        if bad or any(x is None for x in xs):
            self.findings.extend(bad)
            return self._skip(node, xs, "error" if bad else "skipped", common,
                              None if bad else self._unseen_maps(node, kind, args))
        ctx = self._refs(node, ctx)
        if ctx is None:
            return self._skip(node, xs, "skipped", common, self._unseen_maps(node, kind, args))
        layer = kind.make(args, self.graph.ndim, self.graph.rounding)
        facts = layer.infer(tuple(xs), ctx)
        maps = facts.maps if facts.maps is not None else layer.maps()
        severities = {d.severity for d in facts.findings}
        status = "error" if "error" in severities else "warning" if severities else "ok"
        out = None if facts.fatal else facts.out
        macs = num.sympify(facts.macs)
        values = (num.sympify(facts.trainable), num.sympify(facts.buffers), macs,
                  self.fpm * macs, out.numel if out is not None else ZERO)
        return common["args"], frozenset(free), facts, layer, maps, values, status

    def _channels(self, node: Node) -> None:
        """Each block instance's `in` this layer reads, and its value (Analysis.channels)."""
        for c, src in node.channels:
            if self.shapes.get(src) is not None:
                self.channels[c] = self.shapes[src].c

    def _ctx(self, node: Node) -> Ctx:
        return Ctx(node.name, node.loc, tuple(node.arg_locs), tuple(node.inputs),
                   lenient=self.lenient, decide=self.decide)

    def _unseen_maps(self, node: Node, kind, args: dict):
        """How a layer that is not inferred because an earlier volume vanished maps each
        axis — from its arguments (a shortcut: and its body's strides) — so that the
        valid-input search sees the whole network, not only the layers before the one that
        vanished at the current size. None where that is unknown."""
        layer = kind.make(args, self.graph.ndim, self.graph.rounding)
        if not node.refs:
            return layer.maps()
        stride = self._stride(node.inputs[0], node.refs[0], None)
        return None if stride is None else layer.maps_for(stride)

    def _skip(self, node: Node, xs, status: str, common: dict, maps=None) -> LayerRow:
        self.shapes[node.name] = None
        self.fields[node.name] = None
        row = LayerRow(node.name, node.kind, node.loc, node.inputs, xs[0] if xs else None,
                       None, maps=maps, status=status, **common)
        self.rows[node.name] = row
        return row

    def _refs(self, node: Node, ctx: Ctx) -> Ctx | None:
        """A shortcut needs its residual body's output shape and stride (None: unknown)."""
        if not node.refs:
            return ctx
        target = self.shapes.get(node.refs[0])
        if target is None:
            return None
        # from the residual's input (a shortcut's one input; `add_if_same` reads [f(x), x])
        stride = self._stride(node.inputs[-1], node.refs[0], ctx)
        if stride is None:
            return None
        return replace(ctx, target=target, ref_stride=stride)

    def _stride(self, start: str, end: str, ctx: Ctx | None):
        """The product of the strides from `start` to `end`, along first inputs (None where
        a layer does not keep the axes: an error at `ctx`, if given)."""
        stride = [num.Integer(1)] * self.graph.ndim
        name = end
        while name != start:
            row = self.rows.get(name)
            if row is None or not row.inputs:
                return None
            if row.maps is None or any(m.ends for m in row.maps):
                if ctx is None:
                    return None
                self.findings.append(ctx.error(
                    f"the residual branch goes through {row.name} ({row.kind}), which does not "
                    "keep the spatial axes: there is no shortcut to match it",
                    code="residual-shape"))
                return None
            stride = [s * m.stride for s, m in zip(stride, row.maps)]
            name = row.inputs[0]
        return tuple(stride)

    def _receptive(self, node: Node, inputs: tuple, maps, x: Shape | None):
        ins = [self.fields.get(n) for n in inputs]
        if any(f is None for f in ins) or not ins:
            self.fields[node.name] = None
            return None
        # A layer that reads a second input for its size only (`upsample: {like: …}`): the
        # field goes through its first input.
        if len(ins) > 1 and not (maps and maps[0].follows is not None):
            merged = []
            for axis in range(self.graph.ndim):
                field, misaligned = RF.merge([f[axis] for f in ins])
                if misaligned:
                    self.findings.append(self._ctx(node).warning(
                        "the merged paths' units are not aligned (different jump or centre): "
                        + ", ".join(f"{n}: jump {f[axis].jump}, centre {f[axis].start}"
                                    for n, f in zip(inputs, ins)), code="rf-misaligned"))
                merged.append(field)
            fields = tuple(merged)
        else:
            fields, last, field = [], None, None
            for axis in range(self.graph.ndim):  # square inputs: H as W, computed once
                args = (ins[0][axis], maps[axis] if maps else None,
                        x.dims[axis] if x is not None and len(x.dims) > axis else None)
                if last is None or any(a is not b and a != b for a, b in zip(args, last)):
                    field = RF.through(*args)
                fields.append(field)
                last = args
            fields = tuple(fields)
        self.fields[node.name] = fields
        return fields


def _ancestors(by: dict[str, Node], name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n in seen or n == INPUT:
            continue
        seen.add(n)
        todo += list(by[n].inputs) + list(by[n].refs)
    return seen


def _nearest_notes(valid, input_loc: SourceLoc | None) -> list[Diagnostic]:
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
            f"are {' and '.join(map(str, nearest))} (valid: {vs[0].text})", input_loc,
            code="nearest-input"))
    return out
