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

from archcalc.design import Design
from archcalc.spec.model import BlockUse, SymbolDecl, symbol

from .calls import Call

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
    return set(value.free_symbols) if isinstance(value, sp.Basic) else set()


def rename_map(params: dict[str, str]) -> dict:
    """symbol -> the symbol of its parameter's name, where the two differ."""
    return {symbol(m): symbol(p) for m, p in params.items() if m != p}


def renamed(value, rename: dict):
    """A Call (or a value inside one) with its symbols renamed."""
    if not rename:
        return value
    if isinstance(value, Call):
        return Call(value.target, renamed(value.args, rename),
                    tuple((k, renamed(v, rename)) for k, v in value.kwargs))
    if isinstance(value, tuple):
        return tuple(renamed(v, rename) for v in value)
    if isinstance(value, sp.Basic):
        return value.xreplace(rename)
    return value
