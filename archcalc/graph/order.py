"""The expanded layers' order and reachability, checked once every name is resolved.

Kahn's topological order keeps the written order where the edges allow; a cycle and
layers that feed no output are errors that name the layers.
"""

from __future__ import annotations

import heapq

from ..errors import error
from ..spec.names import INPUT


def topological(nodes: list[dict], by_name: dict) -> list[dict]:
    """Topological order, keeping the written order where the edges allow (Kahn). A layer
    whose arguments read a block's `in` comes after the layer that gives it."""

    def after(n: dict) -> set:  # what it reads, and whose channels its `in` is
        return {i for i in n["inputs"] + n["refs"] + [e for _, e in n.get("channels", ())]
                if i != INPUT}
    reads = [after(n) for n in nodes]
    # Where every layer reads only layers written before it (almost always), the written
    # order is the one Kahn's walk below would give.
    index = {n["name"]: n["index"] for n in nodes}
    if all(index.get(i, n["index"]) < n["index"] for n, r in zip(nodes, reads) for i in r):
        return list(nodes)
    waiting = {n["name"]: len(r) for n, r in zip(nodes, reads)}
    users: dict[str, list[dict]] = {}
    for n, r in zip(nodes, reads):
        for i in r:
            users.setdefault(i, []).append(n)
    ready = [(n["index"], n["name"]) for n in nodes if waiting[n["name"]] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, name = heapq.heappop(ready)
        out.append(by_name[name])
        for u in users.get(name, ()):
            waiting[u["name"]] -= 1
            if waiting[u["name"]] == 0:
                heapq.heappush(ready, (u["index"], u["name"]))
    if len(out) < len(nodes):
        stuck = [n for n in nodes if waiting[n["name"]] > 0]
        names = ", ".join(f"{n['name']} (line {n['loc'].line})" for n in stuck[:6])
        raise error(f"the layers form a cycle: {names}", stuck[0]["loc"],
                    "a `from:` must name a layer that does not depend on this one",
                    code="cycle")
    return out


def check_reachable(nodes: list[dict], by_name: dict, outputs: list[str]) -> None:
    seen, todo = set(), list(outputs)
    while todo:
        name = todo.pop()
        if name in seen or name == INPUT:
            continue
        seen.add(name)
        node = by_name[name]
        todo += node["inputs"] + node["refs"]
    dead = [n for n in nodes if n["name"] not in seen]
    if dead:
        names = ", ".join(f"{n['name']} (line {n['loc'].line})" for n in dead[:6])
        raise error(f"{'this layer feeds' if len(dead) == 1 else 'these layers feed'} no "
                    f"output: {names}", dead[0]["loc"],
                    "use it with `from:`, list it under `outputs:`, or remove it",
                    code="unreachable")
