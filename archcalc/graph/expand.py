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

A block's arguments go into its layers as it is instantiated (`values.py`): numbers into
expressions, names, true/false and pairs whole; `- $act` becomes the kind its argument
names, `from: $skip` the layer it names in the caller's scope, and a repeat's count (`n -
1`) a whole number 0–1,000 with the arguments and the symbols' values put in.
"""

from __future__ import annotations

import dataclasses

from .. import num
from ..errors import SourceLoc, clip, error
from ..heap import collector_paused
from ..layers import KINDS
from ..layers.base import LAYER
from ..spec.items import MAX_REPEAT
from ..spec.model import (
    IN_PLACEHOLDER,
    ArgItem,
    BlockUse,
    Item,
    LayerDecl,
    Parallel,
    Repeat,
    Residual,
    Spec,
    channels_symbol,
    substitutions,
)
from ..spec.names import INPUT
from . import values as V
from .model import Graph, Group, Node
from .order import check_reachable, topological
from .paths import check_length, check_module_paths
from .refs import Resolver
from .scope import Ref, Scope, check_path, drive, label

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
    def __init__(self, spec: Spec, values: dict | None = None):
        self.spec = spec
        # The symbols' values, for the repeat counts that use them (nothing else here does).
        self.values = substitutions(spec.symbols, values or {})
        self.blocks = {b.name: b for b in spec.blocks}  # looked up once per instance
        self.channel_of: dict = {}  # an instance's `in` symbol -> its input's entry
        self.nodes: list[dict] = []
        self.by_name: dict[str, dict] = {}
        self.groups: list[Group] = []
        self.cost: dict[str, int] = {}  # block -> at_least of its items
        self.stack: list[str] = []
        self.nesting = 0
        self.placed = False  # a `path:` placed some layer: graph/paths.py checks them

    # -- names -------------------------------------------------------------------------
    def reserve(self, items, scope: Scope) -> None:
        """Explicit names first, so that automatic ones never take them. An unnamed
        residual's layers live in the scope around it: reserved with it, and again (the
        same items) when it is expanded."""
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
            elif isinstance(it, Residual):  # unnamed: its layers live here
                self.reserve(it.items, scope)

    def auto(self, scope: Scope, prefix: str) -> str:
        while True:
            scope.counters[prefix] = scope.counters.get(prefix, 0) + 1
            name = f"{prefix}{scope.counters[prefix]}"
            if name not in scope.reserved and name not in scope.locals:
                return name

    def add_node(self, name: str, kind: str, inputs, loc: SourceLoc, scope: Scope,
                 args=(), arg_locs=(), refs=(), path=None) -> str:
        """`path`: the `path:` written on it ((text, where)), or None."""
        if name in self.by_name:
            raise error(f"layer name '{clip(name)}' is used twice", loc, code="duplicate-name")
        if len(self.nodes) >= MAX_NODES:
            raise error(f"the spec expands to more than {MAX_NODES:,} layers", loc,
                        code="too-large")
        check_path(name, loc)
        channels = ()
        if scope.subs or scope.whole:
            args = V.layer_args(kind, args, arg_locs, scope.subs, scope.whole,
                                self.spec.ndim, loc, f"in {scope.path}, with its block's arguments")
            if self.channel_of:
                channels = tuple(V.channels_in(args))
        module, module_loc = scope.place(name.rsplit(".", 1)[-1], path)
        if module_loc is not None:
            self.placed = True
            check_length(module, module_loc)
        node = dict(name=name, kind=kind, args=tuple(args), arg_locs=tuple(arg_locs), loc=loc,
                    inputs=list(inputs), refs=list(refs), groups=scope.groups,
                    index=len(self.nodes),
                    channels=[(c, self.channel_of[c]) for c in channels],
                    module=module if module != name else "", module_loc=module_loc or loc)
        self.nodes.append(node)
        self.by_name[name] = node
        return name

    def group(self, path: str, kind: str, loc: SourceLoc, role: str | None = None,
              args: tuple = (), scope: Scope | None = None, written=None) -> str:
        """`scope` and `written`: the scope it opens in and the `path:` written on it, which
        give its module path."""
        if len(self.groups) >= MAX_GROUPS:
            raise _too_many_groups(loc)
        check_path(path, loc)
        module, module_loc = scope.place(path.rsplit(".", 1)[-1], written) if scope else \
            (path, None)
        if module_loc is not None:
            check_length(module, module_loc)
        self.groups.append(Group(path, kind, loc, role or kind, args, module))
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
            src = [V.source(scope, n, loc) for n, loc in getattr(it, "sources", ())] or [prev]
            prev = self.layer(it, scope, src) if isinstance(it, LayerDecl) else \
                (yield self.item(it, scope, src))
        self.nesting -= 1
        return prev

    def layer(self, it: LayerDecl, scope: Scope, src: list, name: str | None = None) -> str:
        """`name`: a repeat copy's (its position), which its `path:` does not override."""
        local = name or it.name or self.auto(scope, label(it))
        out = self.add_node(scope.full(local), it.kind, src + self.named_inputs(it, scope),
                            it.loc, scope, it.args, it.arg_locs,
                            path=it.path if name is None else None)
        scope.locals[local] = out
        return out

    def named_inputs(self, it: LayerDecl, scope: Scope) -> list:
        """The inputs an argument names (`upsample: {like: input}`), after the main one:
        resolved as `from:` names are, so the analysis passes their shapes to the kind."""
        names = _layer_params(it.kind)
        if not names:
            return []
        where = dict(it.arg_locs)
        return [scope.input if value == INPUT else Ref(scope, value, where.get(p, it.loc), p)
                for p, value in it.args if value is not None and p in names]

    def item(self, it: Item, scope: Scope, src: list, name: str | None = None):
        if isinstance(it, Repeat):
            return (yield self.repeat(it, scope, src))
        if isinstance(it, ArgItem):
            it = V.named_kind(it, scope, self.spec)
        if isinstance(it, LayerDecl):
            return self.layer(it, scope, src, name)
        if isinstance(it, BlockUse):
            local = name or it.name or self.auto(scope, it.block)
            out = yield self.block(it, scope, local, src, it.path if name is None else None)
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
        deep is refused before it is walked, not after 100,000 empty steps. A count that
        is an expression counts as 0 here, and is checked when it is known."""
        if isinstance(item, Repeat):
            count = int(item.count) if item.count.is_Integer else 0
            return 1 + count * self.at_least(item.item, seen)
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
        count = V.repeat_count(it.count, scope.subs, scope.whole, self.values,
                               it.count_loc or it.loc, MAX_REPEAT)
        if len(self.groups) + 1 + count * self.at_least(it.item) > MAX_GROUPS:
            raise _too_many_groups(it.loc)
        base = it.name or self.auto(scope, label(it.item))
        copies = self.group(scope.full(base), f"{label(it.item)} ×{count}", it.loc,
                            "repeat", scope=scope, written=it.path)
        inner = scope.child(base, src[0], group=copies, path=it.path)
        prev = src
        for i in range(count):
            one = it.first if i == 0 else it.item
            prev = [self.layer(one, inner, prev, str(i)) if isinstance(one, LayerDecl) else
                    (yield self.item(one, inner, prev, name=str(i)))]
        scope.locals[base] = prev[0]
        return prev[0]  # no copy (a count of 0): what the repeat reads

    def block(self, use: BlockUse, scope: Scope, local: str, src: list, written=None):
        if use.block in self.stack:
            raise error(f"block {use.block} uses itself (through {' → '.join(self.stack)})",
                        use.loc, code="recursive-block")
        if len(self.stack) >= MAX_BLOCK_DEPTH:
            raise error(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", use.loc,
                        code="too-deep")
        bd = self.blocks[use.block]
        placeholders = dict(bd.symbols)
        values = tuple((n, V.given(v, scope, at, f"{use.block}.{n}")) for n, v, at in use.args)
        subs = {placeholders[n]: v for n, v in values if isinstance(v, num.Basic)}
        whole = {placeholders[n]: v for n, v in values if not isinstance(v, num.Basic)}
        x = self.single(src, use)
        if bd.reads_in:  # this instance's `in`: the channels of what it reads
            subs[IN_PLACEHOLDER] = channels = channels_symbol(scope.full(local))
            self.channel_of[channels] = x
        path = self.group(scope.full(local), use.block, use.loc, "block", values, scope,
                          written)
        inner = scope.child(local, x, subs=subs, group=path, whole=whole, path=written)
        self.stack.append(use.block)
        out = yield self.items(bd.items, inner, inner.input, use.loc)
        self.stack.pop()
        return out

    def residual(self, it: Residual, scope: Scope, local: str | None, x):
        s = scope
        if local:
            s = scope.child(local, x, group=self.group(scope.full(local), "residual", it.loc,
                                                       scope=scope, written=it.path),
                            path=it.path)
        body = yield self.items(it.items, s, x, it.loc)
        if it.shortcut == "if_same":  # x + f(x) where f keeps the shape, else f(x) alone
            return self.add_node(s.full(self.auto(s, "add")), "add_if_same", [body, x], it.loc,
                                 s, refs=[body])
        if isinstance(it.shortcut, str):
            sc = self.add_node(s.full(self.auto(s, "shortcut")), "shortcut", [x], it.loc, s,
                               (("mode", it.shortcut), ("batchnorm", it.batchnorm)), (),
                               refs=[body], path=it.shortcut_path)
        else:
            name = self.auto(s, "shortcut")
            inner = s.child(name, x, group=self.group(s.full(name), "shortcut", it.loc,
                                                      scope=s, written=it.shortcut_path),
                            path=it.shortcut_path)
            sc = yield self.items(it.shortcut, inner, x, it.loc)
        return self.add_node(s.full(self.auto(s, "add")), "add", [body, sc], it.loc, s)

    def parallel(self, it: Parallel, scope: Scope, local: str | None, x):
        s = scope
        if local:
            # a parallel's name scopes names, not `path:` keys (graph/paths.py)
            s = scope.child(local, x, group=self.group(scope.full(local), "parallel", it.loc,
                                                       scope=scope), branch=True)
        outs = []
        for branch in it.branches:
            name = self.auto(s, "branch")
            inner = s.child(name, x, group=self.group(s.full(name), "branch", it.loc, scope=s),
                            branch=True)
            outs.append((yield self.items(branch, inner, x, it.loc)) if branch else x)
        return self.add_node(s.full(self.auto(s, it.merge)), it.merge, outs, it.loc, s)

    # -- order, reachability -----------------------------------------------------------
    def run(self) -> Graph:
        top = Scope("", None, INPUT, {}, ())
        main = drive(self.items(self.spec.layers, top, INPUT))
        resolve = Resolver(self.by_name).resolve
        for node in self.nodes:
            node["inputs"] = [resolve(e) for e in node["inputs"]]
            node["refs"] = [resolve(e) for e in node["refs"]]
            node["channels"] = [(c, resolve(e)) for c, e in node["channels"]]
        outputs = [resolve(main)]
        for name, loc in self.spec.outputs:
            out = resolve(Ref(top, name, loc))
            if out not in outputs:
                outputs.append(out)
        if outputs[0] == INPUT:
            raise error("the network has no layers on its path to the output",
                        self.spec.input_loc, code="empty")
        order = topological(self.nodes, self.by_name)
        check_reachable(self.nodes, self.by_name, outputs)
        if self.placed:
            check_module_paths(self.nodes)
        nodes = tuple(Node(n["name"], n["kind"], n["args"], n["arg_locs"], n["loc"],
                           tuple(n["inputs"]), tuple(n["refs"]), n["groups"],
                           tuple(n["channels"]), n["module"]) for n in order)
        return Graph(self.spec.name, self.spec.input, nodes, self.spec.rounding,
                     tuple(outputs), tuple(self.groups))


_LAYER_PARAMS: dict[type, frozenset[str]] = {}


def _layer_params(name: str) -> frozenset[str]:
    """The arguments of a kind that name a layer (`like:`), looked up once per kind."""
    kind = KINDS[name]
    names = _LAYER_PARAMS.get(kind)
    if names is None:
        names = _LAYER_PARAMS[kind] = frozenset(p.name for p in kind.params
                                                if p.type == LAYER)
    return names


def _too_many_groups(loc: SourceLoc):
    return error(f"the spec expands to more than {MAX_GROUPS:,} block instances, repeats and "
                 "branches", loc, "each block instance and each repeat copy counts, empty or "
                 "not", code="too-large")


@collector_paused
def build_graph(spec: Spec, values: dict | None = None) -> Graph:
    """The graph of `spec`; `values` (symbol -> value; None: the spec's defaults) are read
    only by repeat counts that use symbols (`spec.symbolic_repeats`, ResNets' `repeat:
    d3`): every other value stays a symbol."""
    graph = _Expander(spec, spec.defaults if values is None else values).run()
    # What the later stages read of the spec travels with the graph: they need no Spec.
    return dataclasses.replace(graph, symbols=spec.symbols, source=spec.source,
                               input_loc=spec.input_loc)
