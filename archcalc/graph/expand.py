"""Spec items -> graph: blocks instantiated, repeats unrolled, residuals and branches wired.

Names are scoped: a block instance, a repeat copy (`layer2.0`), a named residual or
parallel, and each branch (`branch1`, `branch2`, …) open a scope, and a node's full name
is its scope path and its local name (`layer2.0.conv1`). `from:` names resolve in the
scope they are written in, then outward; `input` is the scope's own input. After
expansion every reference is resolved, and three errors name the nodes they are about:
a reference to no layer, a cycle, and layers that feed no output. Expansion is bounded
— block nesting, nesting of every kind, the number of layers, the number of expansions
(every block instance, repeat copy and branch, empty or not) and the length of a full name
— so that no spec can blow up: the work is linear in what the limits allow.
"""

from __future__ import annotations

import dataclasses

from ..errors import SourceLoc, clip, error
from ..layers import KINDS
from ..layers.base import LAYER
from ..spec.model import BlockUse, Item, LayerDecl, Parallel, Repeat, Residual, Spec
from ..spec.names import INPUT
from ..suggest import did_you_mean
from .model import Graph, Group, Node
from .order import check_reachable, topological
from .scope import Ref, Scope, check_path, drive, label, substitute

MAX_NODES = 100_000  # layers after expansion; bench/check_scaling.py shows the cost up to it
MAX_BLOCK_DEPTH = 16
# Block instances, repeats and their copies, named residuals/parallels and branches: each
# opens a group (a scope and a row of the tree view). An empty block adds no layer, so
# without this count `repeat: 1000` nested four deep would loop 10^12 times under the layer
# limit. 100,000 admits blocks nested 15 deep of `repeat: 2` each (98,301 groups).
MAX_GROUPS = 100_000
# Nested scopes of every kind together (blocks, repeats, residuals, branches). Real
# networks nest < 10; the bound keeps every recursion over a spec's structure short (16
# blocks each nesting 20 residuals was a RecursionError when expansion recursed).
MAX_NESTING = 64


class _Expander:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.blocks = {b.name: b for b in spec.blocks}  # looked up once per instance
        self.nodes: list[dict] = []
        self.by_name: dict[str, dict] = {}
        self.groups: list[Group] = []
        self.cost: dict[str, int] = {}  # block -> at_least of its items
        self.stack: list[str] = []
        self.nesting = 0
        self.resolved: dict[tuple[int, str], str] = {}  # (scope, `from:` name) -> node

    # -- names -------------------------------------------------------------------------
    def reserve(self, items, scope: Scope) -> None:
        """Explicit names first, so that automatic ones never take them."""
        for it in items:
            name = getattr(it, "name", None)
            if name is not None:
                if scope.reserved.get(name) == it.loc:
                    continue  # an unnamed residual's layer, reserved with its scope's items
                if name in scope.reserved:
                    raise error(f"layer name '{name}' is used twice in {scope.path or 'the spec'}"
                                f" (first at line {scope.reserved[name].line})", it.loc,
                                code="duplicate-name")
                scope.reserved[name] = it.loc
            elif isinstance(it, (Residual, Parallel)):  # unnamed: their layers live here
                self.reserve(it.items if isinstance(it, Residual) else (), scope)

    def auto(self, scope: Scope, prefix: str) -> str:
        while True:
            scope.counters[prefix] = scope.counters.get(prefix, 0) + 1
            name = f"{prefix}{scope.counters[prefix]}"
            if name not in scope.reserved and name not in scope.locals:
                return name

    def add_node(self, name: str, kind: str, inputs, loc: SourceLoc, scope: Scope,
                 args=(), arg_locs=(), refs=()) -> str:
        if name in self.by_name:
            raise error(f"layer name '{clip(name)}' is used twice", loc, code="duplicate-name")
        if len(self.nodes) >= MAX_NODES:
            raise error(f"the spec expands to more than {MAX_NODES:,} layers", loc,
                        code="too-large")
        check_path(name, loc)
        if scope.subs:
            where = dict(arg_locs)
            args = tuple((k, substitute(v, scope.subs, where.get(k, loc), f"{kind}.{k}"))
                         for k, v in args)
        node = dict(name=name, kind=kind, args=tuple(args), arg_locs=tuple(arg_locs), loc=loc,
                    inputs=list(inputs), refs=list(refs), groups=scope.groups,
                    index=len(self.nodes))
        self.nodes.append(node)
        self.by_name[name] = node
        return name

    def group(self, path: str, kind: str, loc: SourceLoc, role: str | None = None,
              args: tuple = ()) -> str:
        if len(self.groups) >= MAX_GROUPS:
            raise _too_many_groups(loc)
        check_path(path, loc)
        self.groups.append(Group(path, kind, loc, role or kind, args))
        return path

    # -- items -------------------------------------------------------------------------
    # Structured items expand as generators that yield the expansions they need, driven by
    # `_drive` from one loop: nesting lives in generator objects, not in Python's frame
    # stack, whose 16 KB chunks CPython 3.11 maps and unmaps each time a recursion crosses
    # one (blocks nested 15 deep spent more time in the kernel than in Python).
    def items(self, items, scope: Scope, x, loc: SourceLoc | None = None):
        if self.nesting >= MAX_NESTING:
            raise error(f"layers nest deeper than {MAX_NESTING} levels, counting blocks, "
                        "repeats, residuals and branches", loc or (items[0].loc if items
                                                                   else None),
                        code="too-deep")
        self.nesting += 1
        self.reserve(items, scope)
        prev = x
        for it in items:
            src = [(Ref(scope, n, loc) if n != INPUT else scope.input)
                   for n, loc in getattr(it, "sources", ())] or [prev]
            prev = self.layer(it, scope, src) if isinstance(it, LayerDecl) else \
                (yield self.item(it, scope, src))
        self.nesting -= 1
        return prev

    def layer(self, it: LayerDecl, scope: Scope, src: list, name: str | None = None) -> str:
        local = name or it.name or self.auto(scope, label(it))
        out = self.add_node(scope.full(local), it.kind, src + self.named_inputs(it, scope),
                            it.loc, scope, it.args, it.arg_locs)
        scope.locals[local] = out
        return out

    def named_inputs(self, it: LayerDecl, scope: Scope) -> list:
        """The inputs an argument names (`upsample: {like: input}`), after the main one:
        resolved as `from:` names are, so the analysis passes their shapes to the kind."""
        kind, where = KINDS[it.kind], dict(it.arg_locs)
        return [scope.input if value == INPUT else Ref(scope, value, where.get(p, it.loc), p)
                for p, value in it.args
                if value is not None and getattr(kind.param(p), "type", None) == LAYER]

    def item(self, it: Item, scope: Scope, src: list, name: str | None = None):
        if isinstance(it, Repeat):
            return (yield self.repeat(it, scope, src))
        if isinstance(it, LayerDecl):
            return self.layer(it, scope, src, name)
        if isinstance(it, BlockUse):
            local = name or it.name or self.auto(scope, it.block)
            out = yield self.block(it, scope, local, src)
        elif isinstance(it, Residual):
            local = name or it.name
            out = yield self.residual(it, scope, local, self.single(src, it))
        else:
            local = name or it.name
            out = yield self.parallel(it, scope, local, self.single(src, it))
        if local:
            scope.locals[local] = out
        return out

    def single(self, src: list, it) -> object:
        if len(src) != 1:
            raise error(f"{label(it)} reads one input; `from:` names {len(src)}", it.loc,
                        code="type")
        return src[0]

    def at_least(self, item, seen: tuple = ()) -> int:
        """A lower bound on the groups one copy of `item` opens (block instances and
        repeat copies), memoized per block: `repeat: 1000` of an empty block nested four
        deep is refused before it is walked, not after 100,000 empty steps."""
        if isinstance(item, Repeat):
            return 1 + item.count * self.at_least(item.item, seen)
        if isinstance(item, BlockUse):
            if item.block in seen or item.block not in self.blocks:
                return 1  # recursion is reported where the block is expanded
            if item.block not in self.cost:
                self.cost[item.block] = min(MAX_GROUPS + 1, sum(
                    self.at_least(i, (*seen, item.block)) for i in self.blocks[item.block].items))
            return 1 + self.cost[item.block]
        if isinstance(item, Residual):
            return sum(self.at_least(i, seen) for i in item.items)
        if isinstance(item, Parallel):
            return sum(self.at_least(i, seen) for branch in item.branches for i in branch)
        return 0

    def repeat(self, it: Repeat, scope: Scope, src: list):
        if len(self.groups) + self.at_least(it) > MAX_GROUPS:
            raise _too_many_groups(it.loc)
        base = it.name or self.auto(scope, label(it.item))
        copies = self.group(scope.full(base), f"{label(it.item)} ×{it.count}", it.loc,
                            "repeat")
        inner = scope.child(base, src[0], group=copies)
        prev = src
        for i in range(it.count):
            one = it.first if i == 0 else it.item
            prev = [self.layer(one, inner, prev, str(i)) if isinstance(one, LayerDecl) else
                    (yield self.item(one, inner, prev, name=str(i)))]
        scope.locals[base] = prev[0]
        return prev[0]

    def block(self, use: BlockUse, scope: Scope, local: str, src: list):
        if use.block in self.stack:
            raise error(f"block {use.block} uses itself (through {' → '.join(self.stack)})",
                        use.loc, code="recursive-block")
        if len(self.stack) >= MAX_BLOCK_DEPTH:
            raise error(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", use.loc,
                        code="too-deep")
        bd = self.blocks[use.block]
        placeholders = dict(bd.symbols)
        values = tuple((n, substitute(v, scope.subs, at, f"{use.block}.{n}"))
                       for n, v, at in use.args)
        subs = {placeholders[n]: v for n, v in values}
        path = self.group(scope.full(local), use.block, use.loc, "block", values)
        inner = scope.child(local, self.single(src, use), subs=subs, group=path)
        self.stack.append(use.block)
        out = yield self.items(bd.items, inner, inner.input, use.loc)
        self.stack.pop()
        return out

    def residual(self, it: Residual, scope: Scope, local: str | None, x):
        s = scope
        if local:
            s = scope.child(local, x, group=self.group(scope.full(local), "residual", it.loc))
        body = yield self.items(it.items, s, x, it.loc)
        if isinstance(it.shortcut, str):
            sc = self.add_node(s.full(self.auto(s, "shortcut")), "shortcut", [x], it.loc, s,
                               (("mode", it.shortcut), ("batchnorm", it.batchnorm)), (),
                               refs=[body])
        else:
            name = self.auto(s, "shortcut")
            inner = s.child(name, x, group=self.group(s.full(name), "shortcut", it.loc))
            sc = yield self.items(it.shortcut, inner, x, it.loc)
        return self.add_node(s.full(self.auto(s, "add")), "add", [body, sc], it.loc, s)

    def parallel(self, it: Parallel, scope: Scope, local: str | None, x):
        s = scope
        if local:
            s = scope.child(local, x, group=self.group(scope.full(local), "parallel", it.loc))
        outs = []
        for branch in it.branches:
            name = self.auto(s, "branch")
            inner = s.child(name, x, group=self.group(s.full(name), "branch", it.loc))
            outs.append((yield self.items(branch, inner, x, it.loc)) if branch else x)
        return self.add_node(s.full(self.auto(s, it.merge)), it.merge, outs, it.loc, s)

    # -- references, order, reachability ----------------------------------------------
    def resolve(self, entry) -> str:
        """The node an input entry stands for. A `from:` name may stand for what an empty
        block or branch passes on — another `from:` name — so this follows such names, each
        at most once: `{name: a, from: a}` on an empty block is a cycle, not a recursion."""
        chain: list[Ref] = []
        on_chain: set[tuple[int, str]] = set()
        while not isinstance(entry, str):
            key = (id(entry.scope), entry.name)
            if key in self.resolved:
                entry = self.resolved[key]
                break
            if key in on_chain:
                names = " → ".join(f"{clip(r.name)} (line {r.loc.line})"
                                   for r in chain[:6] + [entry])
                raise error(f"the `from:` names form a cycle through empty blocks: {names}",
                            entry.loc,
                            "an empty block or branch passes on what it reads, so a `from:` "
                            "must not lead back to itself", code="cycle")
            chain.append(entry)
            on_chain.add(key)
            entry = self.lookup(entry)
        for r in chain:  # each name is followed once in the whole run: linear
            self.resolved[(id(r.scope), r.name)] = entry
        return entry

    def lookup(self, ref: Ref):
        """What `from: name` names: a node, or what an empty scope passes on."""
        s = ref.scope
        while s is not None:
            if ref.name in s.locals:
                return s.locals[ref.name]
            if s.full(ref.name) in self.by_name:
                return s.full(ref.name)
            s = s.parent
        near = []
        s = ref.scope
        while s is not None:
            near += list(s.locals)
            s = s.parent
        hint = did_you_mean(ref.name, near)
        if not hint:
            listed = sorted(set(near))
            hint = "layers here: " + (", ".join(clip(n) for n in listed[:20]) or "none") + \
                (f" and {len(listed) - 20:,} more" if len(listed) > 20 else "")
        raise error(f"`{ref.key}: {clip(ref.name)}` names no layer here", ref.loc, hint,
                    code="dangling-ref")

    def run(self) -> Graph:
        top = Scope("", None, INPUT, {}, ())
        main = drive(self.items(self.spec.layers, top, INPUT))
        for node in self.nodes:
            node["inputs"] = [self.resolve(e) for e in node["inputs"]]
            node["refs"] = [self.resolve(e) for e in node["refs"]]
        outputs = [self.resolve(main)]
        for name, loc in self.spec.outputs:
            out = self.resolve(Ref(top, name, loc))
            if out not in outputs:
                outputs.append(out)
        if outputs[0] == INPUT:
            raise error("the network has no layers on its path to the output",
                        self.spec.input_loc, code="empty")
        order = topological(self.nodes, self.by_name)
        check_reachable(self.nodes, self.by_name, outputs)
        nodes = tuple(Node(n["name"], n["kind"], n["args"], n["arg_locs"], n["loc"],
                           tuple(n["inputs"]), tuple(n["refs"]), n["groups"]) for n in order)
        return Graph(self.spec.name, self.spec.input, nodes, self.spec.rounding,
                     tuple(outputs), tuple(self.groups))

def _too_many_groups(loc: SourceLoc):
    return error(f"the spec expands to more than {MAX_GROUPS:,} block instances, repeats and "
                 "branches", loc, "each block instance and each repeat copy counts, empty or "
                 "not", code="too-large")


def build_graph(spec: Spec) -> Graph:
    graph = _Expander(spec).run()
    # What the later stages read of the spec travels with the graph: they need no Spec.
    return dataclasses.replace(graph, symbols=spec.symbols, source=spec.source,
                               input_loc=spec.input_loc)
