"""The JSON report: stable, documented keys under a versioned schema name.

`schema` is "archcalc.check/2"; keys are only ever added within a version. Version 2
counts parameters as PyTorch does (`params.total` = sum(p.numel() for p in
model.parameters()); `non_trainable` means frozen, as in torchinfo) and puts buffers
(BatchNorm's running statistics, counted as non-trainable parameters in version 1) under
their own `buffers` key. Counts are
integers when the input is bound and formula strings when it is symbolic. Every key is
described by docs/check.schema.json.

The report is written as it is made (`write_json`), one layer, one memory entry, one
finding and one node of the tree per line, each line by the C JSON encoder: a network at
the 100,000-layer limit nested 15 deep gives ~300 MB of JSON, which `json.dumps(indent=2)`
would hold in memory several times over and format an order of magnitude slower.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable

from .. import __version__
from ..analysis.result import Analysis, LayerRow
from ..layers.base import Shape
from ..notation import formula_ascii
from .numbers import json_number

SCHEMA = "archcalc.check/2"
_dumps = json.JSONEncoder(ensure_ascii=False).encode  # one line, C-accelerated
_string = json.encoder.encode_basestring  # a JSON string, C-accelerated


def _shape(s: Shape | None):
    if s is None:
        return None
    return [json_number(d) for d in (s.c, *s.dims)]


def _field(f):
    return {"whole_input": True} if f.whole else {
        "size": json_number(f.size), "jump": json_number(f.jump), "start": json_number(f.start)}


def _layer(r: LayerRow) -> dict:
    return {
        "name": r.name, "kind": r.kind, "line": r.loc.line, "column": r.loc.column,
        "inputs": list(r.inputs), "input_shape": _shape(r.in_shape),
        "output_shape": _shape(r.out_shape), "arithmetic": [formula_ascii(f) for f in r.formulas],
        "params": _params(r.trainable), "buffers": json_number(r.buffers),
        "macs": json_number(r.macs), "flops": json_number(r.flops),
        "activations": json_number(r.activations),
        "connections_per_neuron": json_number(r.connections),
        "params_without_sharing": json_number(r.unshared_params),
        "params_if_fully_connected": json_number(r.dense_params),
        "receptive_field": [_field(f) for f in r.receptive] if r.receptive else None,
        "groups": list(r.groups),
        "status": r.status,
    }


def _params(trainable) -> dict:
    """PyTorch's parameters (schema 2): `non_trainable` means frozen, as in torchinfo —
    none in a spec; buffers are a key of their own."""
    t = json_number(trainable)
    return {"trainable": t, "non_trainable": 0, "total": t}


def _layer_line(r: LayerRow, memo: dict) -> str:
    """`_dumps(_layer(r))`, built from pieces encoded once: the layers of a deep network
    share their shapes, counts and formulas (the analysis reuses one result for layers
    alike), their receptive fields across axes, and their group lists within a scope.
    `memo` maps the ids of those objects, alive as long as the analysis, to their text."""
    counts = (r.in_shape, r.out_shape, r.formulas, r.trainable, r.buffers, r.macs, r.flops,
              r.activations, r.connections, r.unshared_params, r.dense_params)
    key = tuple(map(id, counts))
    middle = memo.get(key)
    if middle is None:
        d = _layer(r)
        middle = memo[key] = _dumps({k: d[k] for k in _COUNTS})[1:-1]
    key = ("rf", *map(id, r.receptive)) if r.receptive else None
    fields = memo.get(key)
    if fields is None:
        fields = memo[key] = _dumps([_field(f) for f in r.receptive] if r.receptive else None)
    groups = memo.get(id(r.groups))
    if groups is None:
        groups = memo[id(r.groups)] = _dumps(list(r.groups))
    return (f'{{"name": {_string(r.name)}, "kind": {_string(r.kind)}, "line": {r.loc.line}, '
            f'"column": {r.loc.column}, "inputs": [{", ".join(map(_string, r.inputs))}], '
            f'{middle}, "receptive_field": {fields}, "groups": {groups}, '
            f'"status": {_string(r.status)}}}')


_COUNTS = ("input_shape", "output_shape", "arithmetic", "params", "buffers", "macs", "flops",
           "activations", "connections_per_neuron", "params_without_sharing",
           "params_if_fully_connected")


def _children(a: Analysis) -> dict:
    """The tree's shape: each group's children (groups and layers) in the order they are
    first met walking the layers — a group sits under the group it is first met in."""
    children: dict = {None: []}
    for r in a.rows:
        parent = None
        for path in r.groups:
            if path not in children:
                children[parent].append((True, path))
                children[path] = []
            parent = path
        children[parent].append((False, r.name))
    return children


def _group_head(g) -> dict:
    return {"group": g.path, "kind": g.kind, "line": g.loc.line,
            "output_shape": _shape(g.out_shape),
            "params": json_number(g.trainable), "buffers": json_number(g.buffers),
            "macs": json_number(g.macs), "flops": json_number(g.flops), "status": g.status}


def _tree(a: Analysis) -> list[dict]:
    """The hierarchy: blocks (with their totals) containing layers and blocks, by name."""
    children, groups = _children(a), {g.path: g for g in a.groups}

    def node(is_group: bool, key: str) -> dict:
        if not is_group:
            return {"layer": key}
        return {**_group_head(groups[key]), "children": [node(*c) for c in children[key]]}
    return [node(*c) for c in children[None]]


def _memory_head(m) -> dict:
    return {"batch": m.batch, "dtype": m.dtype, "optimizer": m.optimizer,
            "bytes": {"params": json_number(m.params), "grads": json_number(m.grads),
                      "optimizer_state": json_number(m.optimizer_state),
                      "activations_forward": json_number(m.activations),
                      "saved_for_backward": json_number(m.saved),
                      "training_total": json_number(m.training)}}


def _per_layer(m):
    return ({"layer": name, "output_bytes": json_number(out), "saved_bytes": json_number(saved)}
            for name, out, saved in m.per_layer)


def _memory(m) -> dict | None:
    return None if m is None else {**_memory_head(m), "per_layer": list(_per_layer(m))}


def _totals(a: Analysis) -> dict:
    return {"params": _params(a.totals.trainable), "buffers": json_number(a.totals.buffers),
            "macs": json_number(a.totals.macs), "flops": json_number(a.totals.flops),
            "activations": json_number(a.totals.activations)}


def _outputs(a: Analysis) -> list[dict]:
    return [{"name": o.name, "params": json_number(o.totals.params),
             "trainable": json_number(o.totals.trainable),
             "buffers": json_number(o.totals.buffers),
             "macs": json_number(o.totals.macs), "flops": json_number(o.totals.flops)}
            for o in a.outputs]


def _valid(a: Analysis) -> list[dict]:
    return [{
        "symbol": v.symbol, "axes": list(v.axes), "modulus": v.modulus,
        "residues": list(v.residues), "minimum": v.minimum, "maximum": v.maximum,
        "smallest": v.smallest, "current": v.current, "current_fits": v.current_fits,
        "text": v.text, "not_computed_because": v.reason or None,
    } for v in a.valid_inputs]


def _findings(a: Analysis) -> list[dict]:
    return _diagnostics(a.findings)


def _diagnostics(diagnostics) -> list[dict]:
    return [{
        "severity": d.severity, "code": d.code, "message": d.message, "layer": d.layer,
        "file": d.loc.file if d.loc else None, "line": d.loc.line if d.loc else None,
        "column": d.loc.column if d.loc else None, "hints": list(d.hints),
    } for d in diagnostics]


def _head(a: Analysis) -> list[tuple[str, object]]:
    return [("schema", SCHEMA), ("archcalc_version", __version__), ("name", a.name),
            ("file", a.file), ("ok", a.ok),
            ("input", {"shape": _shape(a.input_shape), "bindings": dict(a.bindings),
                       "free_symbols": list(a.free_symbols)}),
            ("rounding", a.rounding),
            ("convention", {"name": a.convention, "text": a.convention_text})]


def to_dict(a: Analysis, memory=None) -> dict:
    return {**dict(_head(a)), "layers": [_layer(r) for r in a.rows], "outputs": _outputs(a),
            "memory": _memory(memory), "tree": _tree(a), "totals": _totals(a),
            "valid_inputs": _valid(a), "findings": _findings(a)}


# -- writing, line by line -----------------------------------------------------------------

def _lines(w: Callable[[str], object], items: Iterable, indent: str) -> None:
    """A JSON array, one compact item per line (`[]` when empty); items are dicts or their
    JSON text."""
    sep = "[\n"
    for item in items:
        w(sep + indent + "  " + (item if isinstance(item, str) else _dumps(item)))
        sep = ",\n"
    w("[]" if sep == "[\n" else "\n" + indent + "]")


def _write_tree(w: Callable[[str], object], a: Analysis) -> None:
    children, groups = _children(a), {g.path: g for g in a.groups}
    tails: dict = {}  # ids of objects the analysis holds
    # Depth-first with an explicit stack of (children, next index): no recursion.
    if not children[None]:
        w("[]")
        return
    w("[")
    stack = [(children[None], 0)]
    while stack:
        items, i = stack.pop()
        indent = "  " * (len(stack) + 2)
        if i == len(items):
            w("\n" + indent[:-2] + ("]" if not stack else "]}"))
            continue
        stack.append((items, i + 1))
        w(("\n" if i == 0 else ",\n") + indent)
        is_group, key = items[i]
        if not is_group:
            w(f'{{"layer": {_string(key)}}}')
            continue
        g = groups[key]
        same = (g.kind, g.loc.line, g.status, *map(id, (g.out_shape, g.trainable, g.buffers,
                                                        g.macs, g.flops)))
        tail = tails.get(same)  # blocks alike differ only in their paths
        if tail is None:
            head = _group_head(g)
            del head["group"]
            tail = tails[same] = _dumps(head)[1:-1]
        w(f'{{"group": {_string(key)}, {tail}, "children": [')
        stack.append((children[key], 0))


def write_json(a: Analysis, out, memory=None) -> None:
    """The report, written to the text stream `out` as it is made."""
    w = out.write
    w("{\n")
    for key, value in _head(a):
        w(f"  {_dumps(key)}: {_dumps(value)},\n")
    w('  "layers": ')
    memo: dict = {}  # ids of objects the analysis holds: they stay theirs throughout
    _lines(w, (_layer_line(r, memo) for r in a.rows), "  ")
    w(',\n  "outputs": ')
    _lines(w, _outputs(a), "  ")
    w(',\n  "memory": ')
    if memory is None:
        w("null")
    else:
        w(_dumps(_memory_head(memory))[:-1] + ',\n    "per_layer": ')
        _lines(w, _per_layer(memory), "    ")
        w("\n  }")
    w(',\n  "tree": ')
    _write_tree(w, a)
    w(f',\n  "totals": {_dumps(_totals(a))},\n  "valid_inputs": ')
    _lines(w, _valid(a), "  ")
    w(',\n  "findings": ')
    _lines(w, _findings(a), "  ")
    w("\n}\n")


def write_unreadable(spec: str, diagnostics, out) -> None:
    """The entry of a spec that could not be read, in the array `archcalc check A B …`
    writes: its name as given, exit status 2 and the diagnostics, as a report's findings."""
    out.write(f'{{\n  "schema": {_dumps(SCHEMA)},\n  "spec": {_dumps(spec)},\n'
              f'  "exit_status": 2,\n  "findings": ')
    _lines(out.write, _diagnostics(diagnostics), "  ")
    out.write("\n}\n")


def render_json(a: Analysis, memory=None) -> str:
    buf = io.StringIO()
    write_json(a, buf, memory)
    return buf.getvalue()
