"""The network as a graph of named nodes — the form every later stage works on.

Each `Node` is one layer with its full dotted name (`layer2.0.conv1`), the nodes it reads
(`inputs`), and the groups it sits in (block instances, repeats, branches) for the tree
view. A chain is the simplest graph; residuals, branches and named references use the
same form. Nodes are in topological order.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import SourceLoc


@dataclass(frozen=True)
class Group:
    """A block instance, a repeat, a named residual/parallel, or a branch."""

    path: str
    kind: str  # the block's name, "basic ×2", "branch", "residual", "parallel", "shortcut"
    loc: SourceLoc
    role: str = "block"  # block | repeat | branch | residual | parallel | shortcut
    args: tuple[tuple[str, object], ...] = ()  # a block instance's arguments, symbols put in


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    args: tuple[tuple[str, object], ...]
    arg_locs: tuple[tuple[str, SourceLoc], ...]
    loc: SourceLoc
    inputs: tuple[str, ...]
    refs: tuple[str, ...] = ()          # shape-only references (a shortcut's residual body)
    groups: tuple[str, ...] = ()        # paths of the groups it sits in, outermost first

    @property
    def local_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Graph:
    name: str
    input: tuple[sp.Expr, ...]
    nodes: tuple[Node, ...]          # topological order
    rounding: str = "exact"
    outputs: tuple[str, ...] = ()    # the main output first (the last layer), then extras
    groups: tuple[Group, ...] = ()   # every group, in the order they open

    @property
    def output(self) -> str:
        return self.outputs[0] if self.outputs else self.nodes[-1].name

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)
