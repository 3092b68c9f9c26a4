"""The network as a graph of named nodes — the form every later stage works on.

Each `Node` is one layer with its full dotted name (`layer2.0.conv1`), the nodes it reads
(`inputs`), and the groups it sits in (block instances, repeats, branches). A chain is the
simplest graph; residuals, branches and named references use the same form. Nodes are in
topological order.

The graph carries everything a later stage needs from the spec — the input, the declared
symbols, the source text, the number of spatial axes — so that the analysis and the code
generator read the graph alone, and the block tree (`Graph.tree`): each group with its
children, nodes and sub-groups, in the order they are first computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from .. import num
from ..errors import SourceLoc, SourceText
from ..spec.model import SymbolDecl


@dataclass(frozen=True)
class Group:
    """A block instance, a repeat, a named residual/parallel, or a branch."""

    path: str
    kind: str  # the block's name, "basic ×2", "branch", "residual", "parallel", "shortcut"
    loc: SourceLoc
    role: str = "block"  # block | repeat | branch | residual | parallel | shortcut
    args: tuple[tuple[str, object], ...] = ()  # a block instance's arguments, symbols put in
    module: str = ""  # its scope's module path (`path:` keys; its path where none is written)


class Node(NamedTuple):
    """One layer of the graph. A named tuple, not a frozen dataclass: a spec at the
    100,000-layer limit makes 100,000, and a frozen dataclass sets each field through
    object.__setattr__ (2.3 against 0.6 µs a node on Python 3.11; issue 13)."""

    name: str
    kind: str
    args: tuple[tuple[str, object], ...]
    arg_locs: tuple[tuple[str, SourceLoc], ...]
    loc: SourceLoc
    inputs: tuple[str, ...]
    refs: tuple[str, ...] = ()          # shape-only references (a shortcut's residual body)
    groups: tuple[str, ...] = ()        # paths of the groups it sits in, outermost first
    # A block's `in` in its arguments: (the instance's symbol, the layer whose output
    # channels it is) — put in by the analysis, once that layer's shape is known.
    channels: tuple[tuple[num.Symbol, str], ...] = ()
    # Where its module sits in the PyTorch model: `features.0.conv.1` where `path:` keys
    # place it (graph/paths.py), else its name; "" reads as its name.
    module: str = ""

    @property
    def module_path(self) -> str:
        return self.module or self.name

    @property
    def local_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Tree:
    """One scope of the block tree: a group (None for the network itself) and its direct
    children — nodes and sub-trees — in the order their first node is computed. A group
    without layers (an empty block) is not in the tree: nothing computes there."""

    group: Group | None
    children: tuple[Node | Tree, ...]

    @property
    def key(self) -> str:
        return self.group.path if self.group is not None else ""

    def nodes(self) -> list[Node]:
        """Every node under this scope, depth first (nesting is bounded: expand.py)."""
        out: list[Node] = []
        for child in self.children:
            out.extend(child.nodes() if isinstance(child, Tree) else (child,))
        return out


@dataclass(frozen=True)
class Graph:
    name: str
    input: tuple[num.Expr, ...]          # channels, then 1 or 2 spatial dims
    nodes: tuple[Node, ...]             # topological order
    rounding: str = "cover"
    outputs: tuple[str, ...] = ()       # the main output first (the last layer), then extras
    groups: tuple[Group, ...] = ()      # every group, in the order they open
    symbols: tuple[SymbolDecl, ...] = ()  # the spec's declared symbols
    source: SourceText | None = None    # the text the spec was read from
    input_loc: SourceLoc | None = None  # where the spec writes its input

    @property
    def ndim(self) -> int:
        return len(self.input) - 1

    @property
    def output(self) -> str:
        return self.outputs[0] if self.outputs else self.nodes[-1].name

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @cached_property
    def tree(self) -> Tree:
        """The block tree, made on first use (`check` never needs it): one pass over the
        nodes in order, each group placed where its first node is."""
        root: list = []
        children: dict[str, list] = {}
        for node in self.nodes:
            siblings = root
            for path in node.groups:
                if path not in children:
                    children[path] = []
                    siblings.append(path)  # a placeholder, replaced by its Tree below
                siblings = children[path]
            siblings.append(node)
        by_path = {g.path: g for g in self.groups}
        trees: dict[str, Tree] = {}
        # A group opens after the group around it, so in reverse order every sub-tree is
        # made before the tree that holds it.
        for path in reversed(list(children)):
            trees[path] = Tree(by_path[path], _resolved(children[path], trees))
        return Tree(None, _resolved(root, trees))


def _resolved(items: list, trees: dict[str, Tree]) -> tuple:
    return tuple(trees[i] if isinstance(i, str) else i for i in items)
