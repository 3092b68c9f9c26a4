"""The JSON report: stable, documented keys under a versioned schema name.

`schema` is "archcalc.check/1"; keys are only ever added within a version. Counts are
integers when the input is bound and formula strings when it is symbolic. See
docs/json.md for every key.
"""

from __future__ import annotations

import json

from .. import __version__
from ..analysis.result import Analysis
from ..layers.base import Shape
from .numbers import json_number

SCHEMA = "archcalc.check/1"


def _shape(s: Shape | None):
    if s is None:
        return None
    return [json_number(d) for d in (s.c, *s.dims)]


def _field(f):
    return {"whole_input": True} if f.whole else {
        "size": json_number(f.size), "jump": json_number(f.jump), "start": json_number(f.start)}


def _tree(a: Analysis) -> list[dict]:
    """The hierarchy: blocks (with their totals) containing layers and blocks, by name."""
    root: list[dict] = []
    nodes: dict[str, dict] = {}
    groups = {g.path: g for g in a.groups}
    for r in a.rows:
        holder = root
        for path in r.groups:
            if path not in nodes:
                g = groups[path]
                nodes[path] = {"group": g.path, "kind": g.kind, "line": g.loc.line,
                               "output_shape": _shape(g.out_shape),
                               "params": json_number(g.params), "macs": json_number(g.macs),
                               "flops": json_number(g.flops), "status": g.status,
                               "children": []}
                holder.append(nodes[path])
            holder = nodes[path]["children"]
        holder.append({"layer": r.name})
    return root


def _memory(m) -> dict | None:
    if m is None:
        return None
    return {"batch": m.batch, "dtype": m.dtype, "optimizer": m.optimizer,
            "bytes": {"params": json_number(m.params), "grads": json_number(m.grads),
                      "optimizer_state": json_number(m.optimizer_state),
                      "activations_forward": json_number(m.activations),
                      "saved_for_backward": json_number(m.saved),
                      "training_total": json_number(m.training)},
            "per_layer": [{"layer": name, "output_bytes": json_number(out),
                           "saved_bytes": json_number(saved)}
                          for name, out, saved in m.per_layer]}


def to_dict(a: Analysis, memory=None) -> dict:
    return {
        "schema": SCHEMA,
        "archcalc_version": __version__,
        "name": a.name,
        "file": a.file,
        "ok": a.ok,
        "input": {"shape": _shape(a.input_shape), "bindings": dict(a.bindings),
                  "free_symbols": list(a.free_symbols)},
        "rounding": a.rounding,
        "convention": {"name": a.convention, "text": a.convention_text},
        "layers": [{
            "name": r.name, "kind": r.kind, "line": r.loc.line, "column": r.loc.column,
            "inputs": list(r.inputs), "input_shape": _shape(r.in_shape),
            "output_shape": _shape(r.out_shape), "arithmetic": list(r.formulas),
            "params": {"trainable": json_number(r.trainable),
                       "non_trainable": json_number(r.buffers),
                       "total": json_number(r.params)},
            "macs": json_number(r.macs), "flops": json_number(r.flops),
            "activations": json_number(r.activations),
            "connections_per_neuron": json_number(r.connections),
            "params_without_sharing": json_number(r.unshared_params),
            "params_if_fully_connected": json_number(r.dense_params),
            "receptive_field": [_field(f) for f in r.receptive] if r.receptive else None,
            "groups": list(r.groups),
            "status": r.status,
        } for r in a.rows],
        "outputs": [{"name": o.name, "params": json_number(o.totals.params),
                     "trainable": json_number(o.totals.trainable),
                     "macs": json_number(o.totals.macs), "flops": json_number(o.totals.flops)}
                    for o in a.outputs],
        "memory": _memory(memory),
        "tree": _tree(a),
        "totals": {"params": {"trainable": json_number(a.totals.trainable),
                              "non_trainable": json_number(a.totals.buffers),
                              "total": json_number(a.totals.params)},
                   "macs": json_number(a.totals.macs), "flops": json_number(a.totals.flops),
                   "activations": json_number(a.totals.activations)},
        "valid_inputs": [{
            "symbol": v.symbol, "axes": list(v.axes), "modulus": v.modulus,
            "residues": list(v.residues), "minimum": v.minimum, "maximum": v.maximum,
            "smallest": v.smallest, "current": v.current, "current_fits": v.current_fits,
            "text": v.text, "not_computed_because": v.reason or None,
        } for v in a.valid_inputs],
        "findings": [{
            "severity": d.severity, "code": d.code, "message": d.message, "layer": d.layer,
            "file": d.loc.file if d.loc else None, "line": d.loc.line if d.loc else None,
            "column": d.loc.column if d.loc else None, "hints": list(d.hints),
        } for d in a.findings],
    }


def render_json(a: Analysis, memory=None) -> str:
    return json.dumps(to_dict(a, memory), indent=2, ensure_ascii=False) + "\n"
