"""The network as a picture: Mermaid and Graphviz DOT text, each node labelled with its
layer, kind, settings (kernel, stride, padding, as Netscope shows them) and output shape —
the diagram every seed draws. Blocks, repeats and branches become nested subgraphs
(clusters), branches in the order they are written; `collapse` draws each top-level block
as one node. Layers with errors are drawn red, with warnings amber, and a legend says so.
`rankdir` is TB (top to bottom) or LR. SVG comes from Graphviz's `dot` when it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ..analysis.result import Analysis
from ..errors import terminal_safe
from ..graph import INPUT
from ..layers.windowed import Windowed
from ..notation import shape_text

_COLOURS = {"error": "#f4cccc", "warning": "#fff2cc", "ok": "#ffffff", "skipped": "#eeeeee"}
_LEGEND = {"error": "error: the layer does not fit", "warning": "warning",
           "skipped": "not computed (an earlier error)"}
DOT_TIMEOUT = 60  # seconds; Graphviz on a 100,000-node graph can take far longer


def _num(v) -> str:
    return str(int(v)) if getattr(v, "is_Integer", False) or isinstance(v, int) else str(v)


def _settings(row) -> str:
    """`11×11, stride 4, pad 2` for windowed layers; empty for the rest."""
    layer = row.layer
    if not isinstance(layer, Windowed) or row.in_shape is None or row.in_shape.flat:
        return ""
    parts = ["×".join(_num(k) for k in layer.kernel)]
    if any(_num(s) != "1" for s in layer.stride):
        parts.append("stride " + _per_axis([_num(s) for s in layer.stride]))
    pads = [(_num(lo), _num(hi)) for lo, hi in layer.resolved_pads(row.in_shape)]
    if any(x != "0" for p in pads for x in p):
        parts.append("pad " + (_per_axis([lo for lo, _ in pads]) if all(
            lo == hi for lo, hi in pads) else ", ".join(f"[{lo}, {hi}]" for lo, hi in pads)))
    return ", ".join(parts)


def _per_axis(values: list[str]) -> str:
    """`2` when every axis has it, else one per axis: `1×2×2`."""
    return values[0] if len(set(values)) == 1 else "×".join(values)


def _id(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _nodes(a: Analysis, collapse: bool):
    """(node id, label lines, status) per drawn node, the edges, and the cluster tree."""
    groups = {g.path: g for g in a.groups}
    top = {}  # layer name -> the top-level group it is drawn as, when collapsing
    if collapse:
        for r in a.rows:
            if r.groups:
                top[r.name] = r.groups[0]
    nodes, seen = [], set()
    nodes.append((_id(INPUT), ["input", shape_text(a.input_shape)], "ok", ()))
    for r in a.rows:
        if r.name in top:
            g = groups[top[r.name]]
            if g.path in seen:
                continue
            seen.add(g.path)
            shape = shape_text(g.out_shape) if g.out_shape is not None else "—"
            nodes.append((_id(g.path), [g.path, g.kind, shape], g.status, ()))
            continue
        shape = shape_text(r.out_shape) if r.out_shape is not None else "—"
        kind = f"{r.kind} {_settings(r)}".strip()
        nodes.append((_id(r.name), [r.local_name, kind, shape], r.status, r.groups))
    edges = []
    for r in a.rows:
        dst = _id(top.get(r.name, r.name))
        for i in r.inputs:
            src = _id(top.get(i, i))
            if src != dst and (src, dst) not in edges:
                edges.append((src, dst))
    return nodes, edges, groups


def mermaid(a: Analysis, collapse: bool = False, rankdir: str = "TB") -> str:
    nodes, edges, groups = _nodes(a, collapse)
    out = [f"flowchart {'TD' if rankdir == 'TB' else rankdir}"]
    out += _nested(nodes, groups, lambda n: f'{n[0]}["{"<br/>".join(n[1])}"]',
                   lambda g, inner: [f'subgraph {_id(g.path)}_g["{g.local_name} ({g.kind})"]', *inner,
                                     "end"])
    out += [f"{s} --> {d}" for s, d in edges]
    for node_id, _, status, _ in nodes:
        if status in _LEGEND:
            out.append(f"style {node_id} fill:{_COLOURS[status]}")
    for status in _used(nodes):
        out += [f'legend_{status}["{_LEGEND[status]}"]',
                f"style legend_{status} fill:{_COLOURS[status]}"]
    return "\n".join(out) + "\n"


def _used(nodes) -> list[str]:
    """The colours the diagram uses, for its legend."""
    present = {n[2] for n in nodes}
    return [s for s in _LEGEND if s in present]


def dot(a: Analysis, collapse: bool = False, rankdir: str = "TB") -> str:
    nodes, edges, groups = _nodes(a, collapse)
    # ordering=out: branches left to right as written; cluster titles right-justified, out
    # of the way of the edges that enter a cluster in its middle.
    out = [f'digraph "{_escape(a.name)}" {{', f"  rankdir={rankdir}; ordering=out;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];']

    def node(n):
        label = "\\n".join(_escape(t) for t in n[1])
        return f'{n[0]} [label="{label}", fillcolor="{_COLOURS[n[2]]}"];'

    def cluster(g, inner):
        return [f"subgraph cluster_{_id(g.path)} {{",
                f'  label="{_escape(g.local_name)} ({_escape(g.kind)})"; labeljust=r; '
                'style="rounded,dashed";',
                *inner, "}"]

    out += ["  " + line for line in _nested(nodes, groups, node, cluster)]
    out += [f"  {s} -> {d};" for s, d in edges]
    used = _used(nodes)
    if used:
        out += ['  subgraph cluster_legend { label="legend"; style=dashed;',
                *(f'    legend_{s} [label="{_LEGEND[s]}", fillcolor="{_COLOURS[s]}"];'
                  for s in used), "  }"]
    out.append("}")
    return "\n".join(out) + "\n"


def _nested(nodes, groups, node_line, wrap) -> list[str]:
    """Node lines grouped into their (nested) groups, in first-appearance order."""
    tree: dict = {"children": {}, "nodes": []}
    for n in nodes:
        holder = tree
        for path in n[3]:
            holder = holder["children"].setdefault(path, {"children": {}, "nodes": []})
        holder["nodes"].append(n)

    def emit(holder) -> list[str]:
        lines = [node_line(n) for n in holder["nodes"]]
        for path, child in holder["children"].items():
            lines += wrap(groups[path], ["  " + ln for ln in emit(child)])
        return lines
    return emit(tree)


def _escape(text: str) -> str:
    return terminal_safe(text).replace("\\", "\\\\").replace('"', '\\"')


def svg(dot_text: str) -> bytes:
    """SVG from Graphviz's `dot`; raises FileNotFoundError when it is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("dot")
    return subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True,
                          check=True, timeout=DOT_TIMEOUT).stdout
