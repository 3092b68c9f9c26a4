"""A block's class is generic in its arguments: the block is analysed alone, on symbols.

`alone(design, block)` is the design of a spec whose one layer is the block, used with its
input channels and arguments as fresh symbols — `input:c`, `arg:NAME`: no spec name has a
colon — at the design's values but for the model's own symbols (the class's keyword
arguments), analysed leniently: a mismatch that depends on the arguments is checked where
the block is used. Every size in it is then an expression of the class's parameters, and
printing renames each symbol to its parameter (`renamed`). The block is given to the graph
builder as a spec because that is what the builder expands.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from archcalc import num
from archcalc.design import Design
from archcalc.graph.model import Tree
from archcalc.graph.values import INTEGRAL
from archcalc.layers import KINDS
from archcalc.spec.functions import MakeDivisible, RoundHalfEven
from archcalc.spec.model import (
    ArgItem,
    BlockUse,
    LayerDecl,
    Parallel,
    Repeat,
    Residual,
    SymbolDecl,
    symbol,
)

from .calls import Call, sympy_map, sympy_value

SYNTHETIC, ARG = "input:", "arg:"  # the block-alone design's symbols (no spec name has ':')


def alone(design: Design, block: str, model_symbols: list[str]) -> Design:
    """The design of block `block` alone (see the module docstring)."""
    spec, bd = design.spec, design.spec.block(block)
    args = [f"{ARG}{n}" for n, _, _ in bd.params]
    cin = f"{SYNTHETIC}c"
    dims = [f"{SYNTHETIC}{d}" for d in {1: "l", 2: "hw", 3: "thw"}[spec.ndim]]
    use = BlockUse(block, tuple((n, symbol(a), bd.loc) for (n, _, _), a in
                                zip(bd.params, args)), bd.loc, "block")
    one = dataclasses.replace(
        spec, input=(symbol(cin), *map(symbol, dims)), outputs=(), layers=(use,),
        symbols=tuple(SymbolDecl(n, bd.loc) for n in (cin, *dims, *args)) + spec.symbols)
    values = {k: v for k, v in design.values.items() if k not in model_symbols}
    return Design(one, values, free=model_symbols, lenient=True)


def free_symbols(value) -> set:
    """The symbols a Call (or a value inside one) still holds."""
    if isinstance(value, Call):
        return set().union(free_symbols(value.args), *(free_symbols(v) for _, v in value.kwargs))
    if isinstance(value, tuple):
        return set().union(*(free_symbols(v) for v in value))
    return set(sympy_value(value).free_symbols) if isinstance(value, num.Basic) else set()


def rename_map(params: dict[str, str]) -> dict:
    """symbol -> the symbol of its parameter's name, where the two differ (sympy's)."""
    return sympy_map({symbol(m): symbol(p) for m, p in params.items() if m != p})


def renamed(value, rename: dict):
    """A Call (or a value inside one) with its symbols renamed."""
    if not rename:
        return value
    if isinstance(value, Call):
        return Call(value.target, renamed(value.args, rename),
                    tuple((k, renamed(v, rename)) for k, v in value.kwargs))
    if isinstance(value, tuple):
        return tuple(renamed(v, rename) for v in value)
    if isinstance(value, num.Basic):
        return sympy_value(value).xreplace(rename)
    return value


# -- blocks whose class is written per instance ------------------------------------------

def baked_blocks(spec, graph) -> set[str]:
    """The blocks whose class cannot be generic in its arguments, written once per distinct
    instance instead (the arguments and input put in): a repeat count, a layer kind, a
    `from:` or a true/false that an argument decides; an argument given as a fraction, a
    name, true/false or a pair; arithmetic Python's integers do not write (round, log,
    make_divisible); and any block that uses such a block."""
    own = {b.name: _needs_values(b) for b in spec.blocks}
    for g in graph.groups:
        if g.role == "block" and any(not _integral(v) for _, v in g.args):
            own[g.kind] = True
    uses = {b.name: _used(b.items) for b in spec.blocks}
    baked = {name for name, yes in own.items() if yes}
    for _ in range(len(uses)):  # a fixpoint: each round adds a block or ends it
        more = {name for name, used in uses.items() if used & baked} - baked
        if not more:
            break
        baked |= more
    return baked


def _integral(value) -> bool:
    return isinstance(value, num.Basic) and not (value.is_number and not value.is_integer)


def _items(items):
    """Every item of a layer list, nested ones too (a spec's nesting is bounded)."""
    for it in items:
        yield it
        if isinstance(it, Repeat):
            yield from _items((it.first, it.item))
        elif isinstance(it, Residual):
            yield from _items(it.items)
            if not isinstance(it.shortcut, str):
                yield from _items(it.shortcut)
        elif isinstance(it, Parallel):
            for branch in it.branches:
                yield from _items(branch)


def _needs_values(bd) -> bool:
    for it in _items(bd.items):
        if isinstance(it, ArgItem) or any(n.startswith("$") for n, _ in
                                           getattr(it, "sources", ())):
            return True
        if isinstance(it, Repeat) and not it.count.is_Integer:
            return True
        if isinstance(it, LayerDecl):
            kind = KINDS[it.kind]
            if any(isinstance(v, num.Basic) and kind.param(n).type not in INTEGRAL
                   for n, v in it.args):
                return True  # `bias: $b`, `eps: 1/t`: a Python value, not an int expression
        values = it.args if isinstance(it, LayerDecl) else \
            tuple((n, v) for n, v, _ in it.args) if isinstance(it, BlockUse) else ()
        if any(isinstance(leaf, num.Basic) and
               sympy_value(leaf).has(MakeDivisible, RoundHalfEven, sp.log)
               for _, v in values for leaf in (v if isinstance(v, tuple) else (v,))):
            return True
    return False


def _used(items) -> set[str]:
    return {it.block for it in _items(items) if isinstance(it, BlockUse)}


def instance_classes(graph, analysis, baked: set[str], names, class_name) -> dict:
    """(block, arguments, input shape) -> (class name, the first instance's tree) for the
    blocks written per instance: one class per distinct instance, `Stage1`, `Stage2`, …
    where a block has several, each name taken from `names` (up front, as every
    module-level name)."""
    if not baked:
        return {}
    trees: dict = {}
    todo = [graph.tree]
    while todo:  # the block tree (nesting bounded by graph/expand.py)
        t = todo.pop()
        for c in t.children:
            if isinstance(c, Tree):
                trees[c.key] = c
                todo.append(c)
    first: dict = {}  # each group's first layer, in order
    for r in analysis.rows:
        for path in r.groups:
            first.setdefault(path, r)
    channels = sympy_map(analysis.channels)
    found: dict = {}
    for g in graph.groups:
        if g.role != "block" or g.kind not in baked or g.path not in trees:
            continue
        args = tuple((n, sympy_value(v).xreplace(channels) if isinstance(v, num.Basic) else v)
                     for n, v in g.args)
        found.setdefault((g.kind, args, first[g.path].in_shape), trees[g.path])
    count: dict[str, int] = {}
    for block, _, _ in found:
        count[block] = count.get(block, 0) + 1
    out, seen = {}, {}
    for key, tree in found.items():
        seen[key[0]] = seen.get(key[0], 0) + 1
        suffix = str(seen[key[0]]) if count[key[0]] > 1 else ""
        out[key] = (names.take(class_name(key[0]) + suffix), tree)
    return out


def shown_value(value) -> str:
    """A block argument's value as a docstring shows it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(shown_value(v) for v in value) + "]"
    return str(value)
