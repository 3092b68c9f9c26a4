"""The items of a layer list: layers, block uses, residuals, parallel branches, repeats.

    - relu                                       a kind with no required argument
    - fc: 4096                                   a kind and its main argument
    - conv: {out: 96, kernel: 11, name: conv1}   a kind and its arguments
    - basic: {out: 128, repeat: 2, first: {stride: 2}}   a block, repeated
    - residual: {layers: [...], shortcut: auto}  H(x) = f(x) + shortcut(x)
    - parallel: {branches: [[...], [...]], merge: concat}
    - add: {from: [a, b]}                        named references (any item takes `from:`)
    - $act                                       in a block: the kind its argument names

Every item may carry `name:`, `from:` (the layer(s) it reads instead of the previous one,
`$skip` for a layer a block argument names), `path:` (where its module sits in the PyTorch
model, relative to its scope: `features.0`; names.check_module_path) and `repeat:` (an
expression of block arguments and symbols) with an optional `first:` mapping that overrides
arguments in the first copy.
"""

from __future__ import annotations

from typing import Callable

from ..errors import SourceLoc, SpecError, clip, error, gather, raise_found
from ..layers import KINDS, lookup, merge_kinds, suggest
from ..suggest import did_you_mean
from . import foreign
from . import params as P
from .expr import ExprError
from .model import IN, ArgItem, BlockUse, Item, LayerDecl, Parallel, Ref, Repeat, Residual
from .names import check_layer_name, check_module_path
from .scalars import Trap
from .splits import split_expression
from .yamlnodes import LMap, LScalar, LSeq, Node

ITEM_KEYS = ("name", "from", "repeat", "first", "path")
RESIDUAL_KEYS = ("layers", "shortcut", "batchnorm", "shortcut_path") + ITEM_KEYS
PARALLEL_KEYS = ("branches", "merge") + ITEM_KEYS
SHORTCUTS = ("auto", "identity", "projection", "zeropad", "if_same")
MAX_REPEAT = 1000
MAX_ITEM_DEPTH = 32
# A layer list longer than the layer limit (graph.expand.MAX_NODES, a test keeps them equal)
# can never expand to a legal spec: refused before its items are parsed.
MAX_ITEMS = 100_000


class ItemParser:
    """Parses layer lists for one scope: the spec's top level or one block's body."""

    def __init__(self, ndim: int, resolve: Callable, blocks: dict):
        self.ndim = ndim
        self.resolve = resolve          # expression names -> sympy (symbols, block args)
        self.blocks = blocks            # block name -> (params, loc) signatures
        self.symbolic_repeats = False   # a repeat count it parsed is an expression

    def items(self, node: Node, what: str = "layers", depth: int = 0) -> tuple[Item, ...]:
        if depth > MAX_ITEM_DEPTH:
            raise error(f"layers nest deeper than {MAX_ITEM_DEPTH} levels", node.loc,
                        code="too-deep")
        if not isinstance(node, LSeq):
            raise error(f"{what} is a list, one layer per item", node.loc,
                        "e.g. `- conv: {out: 6, kernel: 5}`", code="type")
        if len(node) > MAX_ITEMS:
            raise error(f"{what} lists {len(node):,} items; a spec expands to at most "
                        f"{MAX_ITEMS:,} layers", node.loc,
                        "a large network is written with blocks and `repeat:`",
                        code="too-large")
        found: list = []
        items = gather(node, lambda i: self.item(i, depth), found)
        raise_found(found)
        return tuple(items)

    # -- one item ---------------------------------------------------------------------
    def item(self, node: Node, depth: int) -> Item:
        if isinstance(node, LScalar) and isinstance(node.value, str) and \
                not isinstance(node.value, Trap):
            return self.dispatch(node, None, depth)
        if isinstance(node, LMap) and len(node) >= 1:
            if len(node) > 1:
                first, extra = node.items[0][0], node.items[1][0]
                raise error(f"a layer is one `kind: arguments` pair, but this item also has "
                            f"'{extra.value}'", extra.loc,
                            f"put it inside the braces: `- {first.value}: {{…, {extra.value}: …}}`"
                            " (check the indentation)", code="layer-shape")
            key, value = node.items[0]
            if isinstance(value, LMap) and value.get("repeat") is not None:
                return self.repeat(key, value, node.loc, depth)
            return self.dispatch(key, value, depth, node.loc)
        raise error("a layer is a kind (`- relu`) or `kind: arguments` "
                    "(`- conv: {out: 96, kernel: 11}`)", node.loc, code="layer-shape")

    def dispatch(self, key: LScalar, value: Node | None, depth: int,
                 loc: SourceLoc | None = None) -> Item:
        loc = loc or key.loc
        word = str(key.value)
        arg = P.placeholder(key, self.resolve, bare=False)
        if arg is not None:
            return self.arg_item(arg, value, loc)
        if word == "residual":
            return self.residual(value, key, loc, depth)
        if word == "parallel":
            return self.parallel(value, key, loc, depth)
        if word in self.blocks:
            return self.block_use(word, key, value, loc)
        kind = lookup(word)
        if kind is None:
            close = suggest(word, tuple(self.blocks) + ("residual", "parallel"))
            raise error(f"unknown layer kind '{clip(word)}'", key.loc,
                        f"did you mean '{close[0]}'?" if close else
                        f"the kinds are: {', '.join(sorted(KINDS))} (archcalc ops lists them)"
                        + (f"; blocks: {', '.join(self.blocks)}" if self.blocks else ""),
                        code="unknown-kind")
        return self.layer(kind, key, value, loc)

    # -- common keys ---------------------------------------------------------------
    def common(self, value: Node | None):
        """(name, sources, path) from an item's mapping."""
        if not isinstance(value, LMap):
            return None, (), None
        name = sources = None
        if value.get("name") is not None:
            name = self.scope_name(value.get("name"))
        if value.get("from") is not None:
            sources = self.refs(value.get("from"))
        return name, sources or (), self.module_path(value.get("path"))

    def module_path(self, node: Node | None):
        """A `path:` (or `shortcut_path:`) as (text, where), or None where it is absent."""
        if node is None:
            return None
        if isinstance(node, LScalar) and isinstance(node.value, float):
            raise error("this path reads as a number", node.loc,
                        "quote it: `path: \"1.0\"`", code="type")
        if not isinstance(node, LScalar) or isinstance(node.value, (bool, Trap)) or \
                not isinstance(node.value, (str, int)):
            raise error("a path is text: names and positions joined by dots "
                        "(`features.0`, `conv.1`)", node.loc, code="type")
        text = str(node.value)
        problem = check_module_path(text)
        if problem:
            raise error(problem, node.loc, "a path is names and positions joined by dots, "
                        "e.g. `features.0` or `layer1.0.downsample.0`", code="path")
        return text, node.loc

    def scope_name(self, node: Node) -> str:
        if not isinstance(node, LScalar) or not isinstance(node.value, str):
            raise error("a layer name is text", node.loc, code="type")
        problem = check_layer_name(str(node.value))
        if problem:
            raise error(problem, node.loc, code="name")
        return str(node.value)

    def refs(self, node: Node) -> tuple[Ref, ...]:
        items = node.items if isinstance(node, LSeq) else (node,)
        out = []
        for item in items:
            if not isinstance(item, LScalar) or not isinstance(item.value, str) or \
                    isinstance(item.value, Trap):
                raise error("`from:` names a layer (or `input`), or lists layer names",
                            item.loc, code="type")
            arg = P.placeholder(item, self.resolve, bare=False)
            # `$skip`: the layer a block argument names, looked up where it is expanded
            out.append((f"${arg.name}" if arg is not None else str(item.value), item.loc))
        if not out:
            raise error("`from:` lists no layer", node.loc, code="type")
        return tuple(out)

    def check_keys(self, value: LMap, allowed: tuple[str, ...], what: str) -> None:
        for k, _ in value.items:
            if k.value not in allowed:
                raise error(f"{what} has no key '{k.value}'", k.loc,
                            did_you_mean(k.value, allowed) or
                            f"{what} takes: {', '.join(allowed)}", code="unknown-key")

    # -- layers ----------------------------------------------------------------------
    def layer(self, kind, key: LScalar, value: Node | None, loc: SourceLoc) -> LayerDecl:
        written: dict[str, Node] = {}
        if isinstance(value, LMap):
            unknown = []  # every unknown key of the layer is reported at once
            for i, (k, v) in enumerate(value.items):
                if k.value in ITEM_KEYS:
                    continue
                if kind.param(str(k.value)) is None:
                    split_expression(value, i, kind.name)
                    options = [p.name for p in kind.params] + list(ITEM_KEYS)
                    unknown.append(error(
                        f"{kind.name} has no argument '{k.value}'", k.loc,
                        foreign.hint(str(k.value), kind.name, [p.name for p in kind.params])
                        or did_you_mean(k.value, options) or
                        f"{kind.name} takes: {', '.join(options)}",
                        code="unknown-key").diagnostics[0])
                    continue
                written[str(k.value)] = v
            if unknown:
                raise SpecError(unknown)
        elif isinstance(value, LSeq):
            if kind.category == "merge":  # `- add: [a, b]` is `- add: {from: [a, b]}`
                return LayerDecl(kind.name, (), (), loc, None, self.refs(value))
            raise error(f"{kind.name}'s arguments are a mapping, not a list", value.loc,
                        f"e.g. `- {kind.name}: {{{', '.join(p.name + ': …' for p in kind.params[:2])}}}`",
                        code="type")
        elif value is not None and not (isinstance(value, LScalar) and value.value is None):
            if kind.arity is None:  # a merge: its inputs are layers
                raise error(f"{kind.name} merges layers: name them with `from: [a, b]`",
                            value.loc, getattr(kind, "single_value_hint", ""), code="type")
            if kind.shorthand is None:
                raise error(f"{kind.name} takes no single value"
                            + (f"; write `- {kind.name}: {{{kind.params[0].name}: …}}`"
                               if kind.params else f"; write `- {kind.name}`"),
                            value.loc, code="type")
            written[kind.shorthand] = value
        args, locs = [], []
        for p in kind.params:
            if p.name in written:
                node = written[p.name]
                args.append((p.name, P.convert(p, node, kind.name, self.ndim, self.resolve)))
                locs.append((p.name, node.loc))
            elif p.required:
                raise error(f"{kind.name} needs `{p.name}` ({p.doc})", key.loc,
                            f"e.g. `- {kind.name}: {{{', '.join(q.name + ': …' for q in kind.params if q.required)}}}`",
                            code="missing")
            else:
                args.append((p.name, p.default))
        name, sources, path = self.common(value)
        if kind.arity == 1 and len(sources) > 1:
            raise error(f"{kind.name} reads one input; `from:` names {len(sources)}",
                        value.get("from").loc, "a merge (add, concat) combines several",
                        code="type")
        if kind.category == "merge" and len(sources) < 2:
            raise error(f"{kind.name} merges layers: name them with `from: [a, b]`", key.loc,
                        code="missing")
        return LayerDecl(kind.name, tuple(args), tuple(locs), loc, name, sources, path)

    # -- blocks ----------------------------------------------------------------------
    def block_use(self, block: str, key: LScalar, value: Node | None, loc) -> BlockUse:
        params, def_loc = self.blocks[block]
        names = [n for n, _, _ in params]
        given: dict[str, tuple[object, SourceLoc]] = {}
        defined = f"block {block} is defined at {def_loc}"
        if isinstance(value, LMap):
            for i, (k, v) in enumerate(value.items):  # the keys first: a split expression
                if k.value not in ITEM_KEYS and k.value not in names:
                    split_expression(value, i, block)
                    raise error(f"block {block} has no argument '{k.value}'", k.loc,
                                did_you_mean(k.value, names) or
                                f"{block} takes: {', '.join(names) or 'no arguments'}",
                                defined, code="block-arg")
            for k, v in value.items:
                if k.value not in ITEM_KEYS:
                    given[str(k.value)] = (P.arg_value(v, f"{block}.{k.value}", self.resolve),
                                           v.loc)
        elif value is not None and not (isinstance(value, LScalar) and value.value is None):
            if not names or isinstance(value, LSeq):
                raise error(f"block {block} takes "
                            + ("no arguments" if not names else "its arguments as a mapping"),
                            value.loc, defined, code="block-arg")
            given[names[0]] = (P.arg_value(value, f"{block}.{names[0]}", self.resolve), value.loc)
        args = []
        for n, default, _ in params:
            if n in given:
                args.append((n, *given[n]))
            elif default is None:
                raise error(f"block {block} needs argument `{n}`", key.loc, defined,
                            code="block-arg")
            else:
                args.append((n, default, key.loc))
        name, sources, path = self.common(value)
        return BlockUse(block, tuple(args), loc, name, sources, path)

    # -- structure -------------------------------------------------------------------
    def residual(self, value: Node | None, key: LScalar, loc, depth: int) -> Residual:
        if not isinstance(value, LMap) or value.get("layers") is None:
            raise error("residual needs `layers:` (the branch f in H(x) = f(x) + x)", key.loc,
                        "e.g. `- residual: {layers: [...], shortcut: auto}`", code="missing")
        self.check_keys(value, RESIDUAL_KEYS, "residual")
        body = self.items(value.get("layers"), "residual layers", depth + 1)
        shortcut: str | tuple = "auto"
        node = value.get("shortcut")
        if isinstance(node, LSeq):
            shortcut = self.items(node, "shortcut layers", depth + 1)
        elif node is not None:
            if not (isinstance(node, LScalar) and node.value in SHORTCUTS):
                raise error(f"shortcut is one of {', '.join(SHORTCUTS)}, or a list of layers",
                            node.loc, code="choice")
            shortcut = node.value
        batchnorm = False
        if value.get("batchnorm") is not None:
            batchnorm = P.boolean(value.get("batchnorm"), "residual.batchnorm")
        name, sources, path = self.common(value)
        if path is not None and name is None:
            raise error("`path:` places a named residual's layers; this residual has no "
                        "name, so its layers sit in the scope around it", path[1],
                        "give it a `name:`, or a `path:` to each of its layers", code="path")
        shortcut_path = self.module_path(value.get("shortcut_path"))
        if shortcut_path is not None and shortcut == "if_same":
            raise error("an `if_same` shortcut has no module to place", shortcut_path[1],
                        "`shortcut_path:` places a projection or a shortcut's layers",
                        code="path")
        return Residual(body, shortcut, batchnorm, loc, name, sources, path, shortcut_path)

    def parallel(self, value: Node | None, key: LScalar, loc, depth: int) -> Parallel:
        if not isinstance(value, LMap) or not isinstance(value.get("branches"), LSeq):
            raise error("parallel needs `branches:`, a list of layer lists", key.loc,
                        "e.g. `- parallel: {branches: [[...], [...]], merge: concat}`",
                        code="missing")
        self.check_keys(value, PARALLEL_KEYS, "parallel")
        branches = value.get("branches")
        if len(branches) < 2:
            raise error("parallel needs at least two branches", branches.loc, code="type")
        parsed = []
        for b in branches:
            if isinstance(b, LSeq) and len(b) == 0:
                parsed.append(())  # an empty branch passes its input through
            else:
                parsed.append(self.items(b, "a branch", depth + 1))
        merge = "concat"
        node = value.get("merge")
        if node is not None:
            kind = lookup(node.value) if isinstance(node, LScalar) and \
                isinstance(node.value, str) else None
            if kind is None or kind.name not in merge_kinds():
                raise error(f"merge is one of {', '.join(f'`{m}`' for m in merge_kinds())}",
                            node.loc, "concat: channels side by side; add: the sum; multiply: "
                            "the product (a gate)", code="choice")
            merge = kind.name
        name, sources, path = self.common(value)
        if path is not None:
            raise error("a parallel holds no module of its own: its branches' layers are "
                        "placed relative to the scope around it", path[1],
                        "give its layers `path:` keys (`branch1.conv`)", code="path")
        return Parallel(tuple(parsed), merge, loc, name, sources)

    def repeat(self, key: LScalar, value: LMap, loc: SourceLoc, depth: int) -> Repeat:
        count_node = value.get("repeat")
        count = P.integer(count_node, "repeat", self._count_name, 0)
        if count.is_number and count > MAX_REPEAT:
            raise error(f"repeat is at most {MAX_REPEAT}", count_node.loc, code="too-large")
        self.symbolic_repeats |= not count.is_number
        first_node = value.get("first")
        base = LMap(tuple((k, v) for k, v in value.items if k.value not in ("repeat", "first")),
                    value.loc)
        item = self.dispatch(key, base, depth, loc)
        first = item
        if first_node is not None:
            if not isinstance(first_node, LMap):
                raise error("first: is a mapping of the arguments that differ in the first "
                            "copy, e.g. `first: {stride: 2}`", first_node.loc, code="type")
            overrides = {k.value for k, _ in first_node.items}
            merged = tuple((k, v) for k, v in base.items if k.value not in overrides) + \
                first_node.items
            first = self.dispatch(key, LMap(merged, value.loc), depth, loc)
        name, path = getattr(item, "name", None), getattr(item, "path", None)
        return Repeat(first, item, count, loc, name, count_node.loc, path)

    def _count_name(self, name: str, offset: int):
        if name == IN:
            raise ExprError("`in` cannot set a repeat count: the channels are known only "
                            "once the layers before are worked out", offset)
        return self.resolve(name, offset)

    def arg_item(self, arg, value: Node | None, loc: SourceLoc) -> ArgItem:
        """`- $act`: the kind (or block) a block argument names, used with its defaults."""
        if value is not None and not (isinstance(value, LScalar) and value.value is None):
            if not isinstance(value, LMap):
                raise error(f"`- ${arg.name.rsplit('.', 1)[-1]}` takes no value: the kind its "
                            "argument names is used with its defaults", value.loc,
                            "name it or read another layer with `{name: …, from: …}`",
                            code="type")
            self.check_keys(value, ("name", "from", "path"), f"${arg.name.rsplit('.', 1)[-1]}")
        name, sources, path = self.common(value)
        return ArgItem(arg, loc, name, sources, path)

