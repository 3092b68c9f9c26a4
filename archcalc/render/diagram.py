"""The network as a picture: Mermaid and Graphviz DOT text, each node labelled with its
layer, kind, settings (kernel, stride, padding, as Netscope shows them) and output shape —
the diagram every seed draws. Blocks, repeats and branches become nested subgraphs
(clusters), branches in the order they are written; `collapse` draws each top-level block
as one node. Layers with errors are drawn red, with warnings amber, and a legend says so.
`rankdir` is TB (top to bottom) or LR. SVG comes from Graphviz's `dot` when it is installed.

Branch order: Graphviz's `ordering=out` does not reach into clusters, so sibling branch
clusters are placed in the order dot installs them (`newrank=true`, then no crossing to
remove): the order written in Graphviz releases that walk a cluster's node list backwards
(`build_ranks`, 2.44 onwards), its reverse in older ones (2.43, Debian 11/12). `svg` asks the
installed `dot` once, on a three-cluster probe, which it is, and declares the branches so
they come out as written; `--format dot` text declares them as written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

from ..analysis.result import Analysis
from ..errors import terminal_safe
from ..graph import INPUT
from ..layers.windowed import Windowed
from ..notation import shape_text
from .svg_titles import titles_over_edges

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


def dot(a: Analysis, collapse: bool = False, rankdir: str = "TB",
        reverse_branches: bool = False) -> str:
    """DOT text; `reverse_branches` declares each run of sibling branches last first, for
    a `dot` that installs a cluster's subclusters in reverse (see the module docstring)."""
    nodes, edges, groups = _nodes(a, collapse)
    # newrank: sibling clusters keep their install order (see above); cluster titles
    # right-justified, out of the way of the edges that enter a cluster in its middle.
    out = [f'digraph "{_escape(a.name)}" {{',
           f"  rankdir={rankdir}; ordering=out; newrank=true;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];']

    def node(n):
        label = "\\n".join(_escape(t) for t in n[1])
        return f'{n[0]} [label="{label}", fillcolor="{_COLOURS[n[2]]}"];'

    def cluster(g, inner):
        return [f"subgraph cluster_{_id(g.path)} {{",
                f'  label="{_escape(g.local_name)} ({_escape(g.kind)})"; labeljust=r; '
                'style="rounded,dashed";',
                *inner, "}"]

    out += ["  " + line for line in _nested(nodes, groups, node, cluster, reverse_branches)]
    # An edge into a layer with one input weighs twice one into a merge: with newrank a
    # short branch's layers would otherwise drift down towards the merge, stretching it.
    inputs: dict[str, int] = {}
    for _, d in edges:
        inputs[d] = inputs.get(d, 0) + 1
    out += [f"  {s} -> {d}{' [weight=2]' if inputs[d] == 1 else ''};" for s, d in edges]
    used = _used(nodes)
    if used:
        out += ['  subgraph cluster_legend { label="legend"; style=dashed;',
                *(f'    legend_{s} [label="{_LEGEND[s]}", fillcolor="{_COLOURS[s]}"];'
                  for s in used), "  }"]
    out.append("}")
    return "\n".join(out) + "\n"


def _nested(nodes, groups, node_line, wrap, reverse_branches: bool = False) -> list[str]:
    """Node lines grouped into their (nested) groups, in first-appearance order (each run
    of sibling branches last first when `reverse_branches`)."""
    tree: dict = {"children": {}, "nodes": []}
    for n in nodes:
        holder = tree
        for path in n[3]:
            holder = holder["children"].setdefault(path, {"children": {}, "nodes": []})
        holder["nodes"].append(n)

    def emit(holder) -> list[str]:
        lines = [node_line(n) for n in holder["nodes"]]
        children = list(holder["children"].items())
        if reverse_branches:
            children = _branches_reversed(children, groups)
        for path, child in children:
            lines += wrap(groups[path], ["  " + ln for ln in emit(child)])
        return lines
    return emit(tree)


def _branches_reversed(children: list, groups) -> list:
    """Each run of consecutive sibling branches in reverse; other groups stay put."""
    out: list = []
    run: list = []
    for item in children + [None]:
        if item is not None and groups[item[0]].kind == "branch":
            run.append(item)
            continue
        out += run[::-1]
        run = []
        if item is not None:
            out.append(item)
    return out


def _escape(text: str) -> str:
    return terminal_safe(text).replace("\\", "\\\\").replace('"', '\\"')


def svg(a: Analysis, collapse: bool = False, rankdir: str = "TB") -> bytes:
    """SVG from Graphviz's `dot`, branches as written, cluster titles over the edges
    (`svg_titles`); raises FileNotFoundError when it is
    not installed."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("dot")
    text = dot(a, collapse, rankdir, reverse_branches=_installs_clusters_reversed(exe))
    drawn = subprocess.run([exe, "-Tsvg"], input=text.encode(), capture_output=True,
                           check=True, timeout=DOT_TIMEOUT).stdout
    return titles_over_edges(drawn)


# Three sibling clusters in a cluster, fed by one node: the order this `dot` draws them.
_PROBE = ("digraph { newrank=true; a; subgraph cluster_p { subgraph cluster_1 { b1 } "
          "subgraph cluster_2 { b2 } subgraph cluster_3 { b3 } } a -> b1; a -> b2; a -> b3; }")


@cache
def _installs_clusters_reversed(exe: str) -> bool:
    """Whether this `dot` draws sibling clusters last declared first (Graphviz < 2.44)."""
    try:
        plain = subprocess.run([exe, "-Tplain"], input=_PROBE.encode(), capture_output=True,
                               check=True, timeout=DOT_TIMEOUT).stdout.decode()
    except (subprocess.SubprocessError, OSError):
        return False  # the real run will say what is wrong
    x = {f[1]: float(f[2]) for f in (ln.split() for ln in plain.splitlines())
         if len(f) > 2 and f[0] == "node"}
    return all(k in x for k in ("b1", "b2", "b3")) and x["b1"] > x["b2"] > x["b3"]
