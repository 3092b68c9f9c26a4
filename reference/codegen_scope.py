"""One scope of the block tree as a generated class sees it: its units and their data flow.

A unit is a direct child of the scope — a layer, or a group (block instance, repeat,
branch, shortcut) that the class holds as one member. Each unit reads earlier units of
the same scope or the scope's input; `steps` turns that into `codegen_ir.Step`s, the
forward pass before variables are chosen: merges (`add`, `multiply`, `concat`) are
operators, and a branch or shortcut whose only reader is a merge is called inside it
(`x = x + self.shortcut1(identity)`), as torchvision writes it.
"""

from __future__ import annotations

from archcalc.graph import INPUT
from archcalc.graph.model import Node, Tree
from archcalc.layers import merge_kinds

from .codegen_ir import Layer, Merge, Step, Use

RETURN = object()  # the reader that stands for the return statement


class Units:
    def __init__(self, tree: Tree, index: dict[str, int]):
        """`index`: each node's place in its graph's topological order."""
        self.children: dict[str, Node | Tree] = {_key(c): c for c in tree.children}
        self.keys = list(self.children)
        # A unit's layers in the order they run, whatever the nesting of sub-groups.
        self.nodes = {k: sorted(c.nodes(), key=lambda n: index[n.name])
                      if isinstance(c, Tree) else [c] for k, c in self.children.items()}
        self.owner = {n.name: k for k, nodes in self.nodes.items() for n in nodes}
        self.inputs: dict[str, list[str]] = {}
        for k, nodes in self.nodes.items():
            if isinstance(self.children[k], Node):  # a layer: all its inputs, in order
                self.inputs[k] = [self.owner.get(i, INPUT) for i in nodes[0].inputs]
                continue
            inside = {n.name for n in nodes}
            outside = [self.owner.get(i, INPUT) for n in nodes for i in n.inputs
                       if i not in inside]
            self.inputs[k] = outside[:1]  # a group reads one input: the first it meets

    def local(self, key: str) -> str:
        return key.rsplit(".", 1)[-1]

    def is_merge(self, key) -> bool:
        child = self.children.get(key) if isinstance(key, str) else None
        return isinstance(child, Node) and child.kind in merge_kinds()

    def calls_inside_merge(self, key: str) -> bool:
        """A shortcut or branch: called where its merge reads it, if that is its only use."""
        child = self.children[key]
        if isinstance(child, Tree):
            return child.group.role in ("branch", "shortcut")
        return child.kind == "shortcut"

    def steps(self, outputs: list[str]) -> list[Step]:
        readers: dict[str, list] = {INPUT: [], **{k: [] for k in self.keys}}
        for k in self.keys:
            for i in self.inputs[k]:
                readers[i].append(k)
        for o in outputs:
            readers[o].append(RETURN)
        inline = {k for k in self.keys if self.calls_inside_merge(k) and len(readers[k]) == 1
                  and self.is_merge(readers[k][0])}

        def value(k: str) -> Layer | Merge:
            ins = tuple(value(i) if i in inline else Use(i) for i in self.inputs[k])
            return Merge(self.children[k].kind, ins) if self.is_merge(k) else \
                Layer(self.local(k), ins)
        return [Step(k, value(k), self.local(k)) for k in self.keys if k not in inline]


def _key(child: Node | Tree) -> str:
    return child.name if isinstance(child, Node) else child.key
