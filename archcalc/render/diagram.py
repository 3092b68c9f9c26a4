"""The network as a picture: Mermaid and Graphviz DOT text, each node labelled with its
layer, kind and output shape — the diagram every seed draws. Blocks, repeats and branches
become nested subgraphs (clusters); `collapse` draws each top-level block as one node.
Layers with errors are drawn red, with warnings amber. SVG comes from Graphviz's `dot`
when it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ..analysis.result import Analysis
from ..graph import INPUT

_COLOURS = {"error": "#f4cccc", "warning": "#fff2cc", "ok": "#ffffff", "skipped": "#eeeeee"}


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
    nodes.append((_id(INPUT), ["input", a.input_shape.text()], "ok", ()))
    for r in a.rows:
        if r.name in top:
            g = groups[top[r.name]]
            if g.path in seen:
                continue
            seen.add(g.path)
            shape = g.out_shape.text() if g.out_shape is not None else "—"
            nodes.append((_id(g.path), [g.path, g.kind, shape], g.status, ()))
            continue
        shape = r.out_shape.text() if r.out_shape is not None else "—"
        nodes.append((_id(r.name), [r.local_name, r.kind, shape], r.status, r.groups))
    edges = []
    for r in a.rows:
        dst = _id(top.get(r.name, r.name))
        for i in r.inputs:
            src = _id(top.get(i, i))
            if src != dst and (src, dst) not in edges:
                edges.append((src, dst))
    return nodes, edges, groups


def mermaid(a: Analysis, collapse: bool = False) -> str:
    nodes, edges, groups = _nodes(a, collapse)
    out = ["flowchart TD"]
    out += _nested(nodes, groups, lambda n: f'{n[0]}["{"<br/>".join(n[1])}"]',
                   lambda g, inner: [f'subgraph {_id(g.path)}_g["{g.local_name} ({g.kind})"]', *inner,
                                     "end"])
    out += [f"{s} --> {d}" for s, d in edges]
    for node_id, _, status, _ in nodes:
        if status in ("error", "warning"):
            out.append(f"style {node_id} fill:{_COLOURS[status]}")
    return "\n".join(out) + "\n"


def dot(a: Analysis, collapse: bool = False) -> str:
    nodes, edges, groups = _nodes(a, collapse)
    out = [f'digraph "{_escape(a.name)}" {{', "  rankdir=TB;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];']

    def node(n):
        label = "\\n".join(_escape(t) for t in n[1])
        return f'{n[0]} [label="{label}", fillcolor="{_COLOURS[n[2]]}"];'

    def cluster(g, inner):
        return [f"subgraph cluster_{_id(g.path)} {{",
                f'  label="{_escape(g.local_name)} ({_escape(g.kind)})"; style="rounded,dashed";',
                *inner, "}"]

    out += ["  " + line for line in _nested(nodes, groups, node, cluster)]
    out += [f"  {s} -> {d};" for s, d in edges]
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
    return text.replace("\\", "\\\\").replace('"', '\\"')


def svg(dot_text: str) -> bytes:
    """SVG from Graphviz's `dot`; raises FileNotFoundError when it is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("dot")
    return subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True,
                          check=True).stdout
