"""Scopes and names during expansion: where a layer's full name and a `from:` name come from.

A block instance, a repeat copy, a named residual or parallel and each branch open a
`Scope` (its dotted path, its inputs, its locals); a `Ref` is a `from:` name waiting for
every scope to be expanded. `drive` runs the expansion, whose nesting lives in
generators rather than Python's frame stack (see `expand.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceLoc, clip, error
from ..layers import KINDS
from ..spec.model import ArgItem, BlockUse, Item, LayerDecl, Repeat, Residual

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
    # How many names each scope, inward to outward, held when it was written: the layers
    # before it, the only ones a "did you mean" may offer (a later one reads this layer).
    before: tuple[int, ...] = ()

    def __post_init__(self):
        counts, s = [], self.scope
        while s is not None:
            counts.append(len(s.locals))
            s = s.parent
        object.__setattr__(self, "before", tuple(counts))


class Scope:
    """`subs`: the block's arguments that are numbers (placeholder -> sympy value); `whole`:
    the others (true/false, names, pairs: graph/values.py)."""

    def __init__(self, path: str, parent: Scope | None, input_: object, subs: dict,
                 groups: tuple[str, ...], whole: dict | None = None, module: str | None = None,
                 module_loc: SourceLoc | None = None, anchor: str | None = None):
        self.path, self.parent, self.input = path, parent, input_
        # Its module path (`path:` keys, relative to the scope around; else its names),
        # where the nearest `path:` that set it is written (None: none did), and the module
        # path its items' `path:` keys are relative to: its own, but a parallel's and its
        # branches' are the scope's around it (a branch has no name a path could follow,
        # and a parallel holds no module of its own).
        self.module = path if module is None else module
        self.module_loc = module_loc
        self.anchor = self.module if anchor is None else anchor
        self.subs, self.groups = subs, groups
        self.whole = whole or {}
        self.locals: dict[str, object] = {}
        self.counters: dict[str, int] = {}
        self.reserved: dict[str, SourceLoc] = {}

    def full(self, local: str) -> str:
        return f"{self.path}.{local}" if self.path else local

    def place(self, local: str, path=None) -> tuple[str, SourceLoc | None]:
        """The module path of a child written `local` with `path` ((text, where) or None),
        and where the nearest `path:` that placed it is written."""
        if path is not None:
            return (f"{self.anchor}.{path[0]}" if self.anchor else path[0]), path[1]
        return (f"{self.module}.{local}" if self.module else local), self.module_loc

    def child(self, local: str, input_, subs=None, group: str | None = None,
              whole: dict | None = None, path=None, branch: bool = False) -> Scope:
        """`branch`: a parallel or its branch, whose items' `path:` keys are relative to
        this scope's anchor."""
        groups = self.groups + ((group,) if group else ())
        if subs is None:
            subs, whole = self.subs, self.whole
        return Scope(self.full(local), self, input_, subs, groups, whole,
                     *self.place(local, path), self.anchor if branch else None)


def label(item: Item) -> str:
    if isinstance(item, LayerDecl):
        return KINDS[item.kind].name_prefix or item.kind
    if isinstance(item, BlockUse):
        return item.block
    if isinstance(item, Repeat):
        return label(item.item)
    if isinstance(item, ArgItem):
        return item.arg.name.rsplit(".", 1)[-1]
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
