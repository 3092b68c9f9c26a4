"""Totals: of the whole network, of one output, and of each group for the tree view.

Sums of sympy values, done on Python ints when every term is an Integer (the values are
identical; a network at the 100,000-layer limit needs ~10⁶ sums), and expanded when
symbolic. A group's totals are its own layers' plus its child groups', computed
bottom-up, so the cost is linear in layers and groups whatever the nesting — summing
every group's layers afresh was quadratic in a deep network.
"""

from __future__ import annotations

from .. import num
from ..graph import Graph
from .result import GroupSummary, Members, Totals


def sum_rows(rows) -> Totals:
    return Totals(*(_sum([getattr(r, f) for r in rows])
                    for f in ("trainable", "buffers", "macs", "flops", "activations")))


def _sum(terms: list):
    """Σ terms, expanded when symbolic. Plain ints add in Python (exactly: sympy Integers
    are ints), which a 100,000-layer network does ~10⁶ times."""
    if len(terms) == 1 and num.integral(terms[0]):
        return terms[0]  # a group of one group (a repeat of one block): the same total
    total = 0
    for t in terms:
        if not num.integral(t):
            value = num.Add(*terms)
            return value if value.is_number else num.expand(value)
        total += t.p
    return num.Integer(total)


def summaries(graph: Graph, rows) -> tuple[GroupSummary, ...]:
    """Each group's totals, status and output, in one pass over the rows and one over the
    groups: a group's totals are its own layers' plus its child groups' (bottom-up), so
    the cost is linear in layers and groups whatever the nesting."""
    fields = ("trainable", "buffers", "macs", "flops", "activations")
    own: dict[str, list] = {g.path: [] for g in graph.groups}
    last: dict[str, int] = {}    # a group's last layer, as an index into rows
    parent: dict[str, str] = {}
    depth: dict[str, int] = {}   # a group's place in the chain of groups around it
    for index, r in enumerate(rows):
        chain = r.groups
        if not chain:
            continue
        own[chain[-1]].append(r)
        last[chain[-1]] = index
        i = len(chain) - 1
        while i >= 0 and chain[i] not in depth:  # each group once: where it is first met
            depth[chain[i]] = i
            if i:
                parent[chain[i]] = chain[i - 1]
            i -= 1
    sums = {path: [[getattr(r, f) for r in mine] for f in fields] if mine else
            [[], [], [], [], []] for path, mine in own.items()}
    integral = num.integral
    concrete = all(integral(t) for five in sums.values() for terms in five for t in terms)
    if concrete:  # Python ints all the way up, sympy Integers at the end: equal values
        sums = {path: [sum(t.p for t in terms) for terms in five]
                for path, five in sums.items()}
    statuses = {path: {r.status for r in mine} for path, mine in own.items()}
    for g in reversed(graph.groups):  # children open after their parents
        up = parent.get(g.path)
        if up is None:
            continue
        if concrete:
            sums[up] = [a + b for a, b in zip(sums[up], sums[g.path])]
        else:
            for terms, value in zip(sums[up], _totals_of(sums[g.path])):
                terms.append(value)
        statuses[up] |= statuses[g.path]
        if g.path in last and last.get(up, -1) < last[g.path]:
            last[up] = last[g.path]
    paths = {g.path for g in graph.groups}
    members = Members(rows)
    integers: dict[int, num.Integer] = {}  # blocks alike have totals alike: one object each
    out = []
    for g in graph.groups:
        five = sums[g.path]
        t = [integers.get(n) or integers.setdefault(n, num.Integer(n)) for n in five] \
            if concrete else _totals_of(five)
        status = next((s for s in ("error", "warning", "skipped") if s in statuses[g.path]),
                      "ok")
        d = depth[g.path] if g.path in depth else _depth(g.path, paths)
        shape = rows[last[g.path]].out_shape if g.path in last else None
        out.append(GroupSummary(g.path, g.kind, g.loc, d, shape, *t, status, members))
    return tuple(out)


def _totals_of(five: list) -> list:
    """The five totals of a group from their terms (symbolic: summed once, and kept so
    that a parent adds the same expressions the old full sums did)."""
    done = [_sum(terms) for terms in five]
    five[:] = [[v] for v in done]  # a parent asking again gets the same values
    return done


def _depth(path: str, paths: set[str]) -> int:
    """How many groups enclose `path`: those whose path is a dotted prefix of it."""
    depth, cut = 0, path.rfind(".")
    while cut > 0:
        if path[:cut] in paths:
            depth += 1
        cut = path.rfind(".", 0, cut)
    return depth
