"""Scopes and names during expansion: where a layer's full name and a `from:` name come from.

A block instance, a repeat copy, a named residual or parallel and each branch open a
`Scope` (its dotted path, its inputs, its locals); a `Ref` is a `from:` name waiting for
every scope to be expanded. `drive` runs the expansion, whose nesting lives in
generators rather than Python's frame stack (see `expand.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import SourceLoc, clip, error
from ..layers import KINDS
from ..spec import bounds
from ..spec.model import BlockUse, Item, LayerDecl, Repeat, Residual

# A layer's full dotted name: 16 levels of block, copy and branch names stay far below.
# It bounds the memory of names and of the JSON report, which lists each layer's groups.
MAX_PATH = 512


@dataclass(frozen=True)
class Ref:
    """A `from:` name, resolved once every scope is expanded (it may point forwards)."""

    scope: Scope
    name: str
    loc: SourceLoc
    key: str = "from"  # the key that names it: `from:`, or an argument (`like:`)


class Scope:
    def __init__(self, path: str, parent: Scope | None, input_: object, subs: dict,
                 groups: tuple[str, ...]):
        self.path, self.parent, self.input = path, parent, input_
        self.subs, self.groups = subs, groups
        self.locals: dict[str, object] = {}
        self.counters: dict[str, int] = {}
        self.reserved: dict[str, SourceLoc] = {}

    def full(self, local: str) -> str:
        return f"{self.path}.{local}" if self.path else local

    def child(self, local: str, input_, subs=None, group: str | None = None) -> Scope:
        groups = self.groups + ((group,) if group else ())
        return Scope(self.full(local), self, input_, self.subs if subs is None else subs, groups)


def label(item: Item) -> str:
    if isinstance(item, LayerDecl):
        return KINDS[item.kind].name_prefix or item.kind
    if isinstance(item, BlockUse):
        return item.block
    if isinstance(item, Repeat):
        return label(item.item)
    return "residual" if isinstance(item, Residual) else "parallel"


def drive(expansion):
    """Run an expansion generator to its value: each yields the generator of a nested
    expansion, whose value is sent back to it when it ends."""
    stack, value = [expansion], None
    while True:
        try:
            nested = stack[-1].send(value)
        except StopIteration as end:
            stack.pop()
            if not stack:
                return end.value
            value = end.value
        else:
            stack.append(nested)
            value = None


def check_path(path: str, loc: SourceLoc) -> None:
    if len(path) > MAX_PATH:
        raise error(f"the full name '{clip(path, 60)}' is longer than {MAX_PATH} characters",
                    loc, "shorten the names of the blocks, repeats and branches it sits in",
                    code="too-long")


def substitute(value, subs: dict, loc: SourceLoc, what: str):
    """A block's arguments put into a value, within the bounds of spec/bounds.py: arguments
    passed down through nested blocks (`x**16` at each level) must not grow without end."""
    if isinstance(value, sp.Basic):
        try:
            return bounds.substitute(value, subs)
        except bounds.BoundError as exc:
            raise error(f"{what}: with the block's arguments put in, {exc}", loc,
                        code="range") from None
    if isinstance(value, tuple):
        return tuple(substitute(v, subs, loc, what) for v in value)
    return value