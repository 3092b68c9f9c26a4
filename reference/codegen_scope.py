"""One scope of the block tree as a generated class sees it: its units and their data flow.

A unit is a direct child of the scope — a layer, or a group (block instance, repeat,
branch, shortcut) that the class holds as one member. Each unit reads earlier units of
the same scope or the scope's input; `steps` turns that into `codegen_ir.Step`s, the
forward pass before variables are chosen: merges (`add`, `multiply`, `concat`) are
operators, and a branch or shortcut whose only reader is a merge is called inside it
(`x = x + self.shortcut1(identity)`), as torchvision writes it.

A unit's member is at its module path relative to the scope's (`attr`): its local name, or
where `path:` keys place it (`conv.0`, which the printer writes `self.conv["0"]`). A branch
whose items `path:` places outside it (relative to the scope around the parallel, as
Inception's `branch1.conv`) is no unit: its items are the scope's own.
"""

from __future__ import annotations

from archcalc.graph import INPUT
from archcalc.graph.model import Node, Tree
from archcalc.layers import merge_kinds
from archcalc.layers.shortcut import AddIfSame

from .codegen_ir import Layer, Merge, Step, Use
from .modules import CompileError

RETURN = object()  # the reader that stands for the return statement


class Units:
    def __init__(self, tree: Tree, index: dict[str, int], through: dict | None = None,
                 outer: dict | None = None):
        """`index`: each node's place in its graph's topological order. `through`: layers
        that pass their first input on (an absent `if_same` shortcut: no add at all),
        which are no unit — what reads one reads that input. `outer`: layers outside the
        scope that it reads besides its input (a block given a skip by name), each as the
        key of a parameter of forward; anything else outside is the scope's input."""
        through = through or {}
        self.outer = outer or {}
        base = (tree.group.module or tree.group.path) if tree.group is not None else ""
        self.children: dict[str, Node | Tree] = {_key(c): c for c in _units(tree)
                                                 if _key(c) not in through}
        self.keys = list(self.children)
        self.attrs = {k: _relative(_module(c), base, c) for k, c in self.children.items()}
        # A unit's layers in the order they run, whatever the nesting of sub-groups.
        self.nodes = {k: sorted(c.nodes(), key=lambda n: index[n.name])
                      if isinstance(c, Tree) else [c] for k, c in self.children.items()}
        self.owner = {n.name: k for k, nodes in self.nodes.items() for n in nodes}
        passing = sorted((c for c in tree.children if _key(c) in through),
                         key=lambda n: index[n.name])
        for n in passing:  # in order: one that reads another reads what that one reads
            self.owner[n.name] = self.source(through[n.name])
        self.inputs: dict[str, list[str]] = {}
        self.reads: dict[str, list[str]] = {}  # a group's: the layers outside it it reads
        for k, nodes in self.nodes.items():
            if isinstance(self.children[k], Node):  # a layer: all its inputs, in order
                self.inputs[k] = [self.source(i) for i in nodes[0].inputs]
                continue
            inside = {n.name for n in nodes}
            outside = [i for n in nodes for i in n.inputs if i not in inside]
            # a group reads one input, the first it meets — and a block written per
            # instance may read more (`reads`; codegen.py passes them where it can)
            self.reads[k] = list(dict.fromkeys(outside))
            self.inputs[k] = [self.source(i) for i in outside[:1]]

    def source(self, name: str) -> str:
        """The unit (or parameter) a layer's input comes from."""
        return self.owner.get(name) or self.outer.get(name, INPUT)

    def local(self, key: str) -> str:
        return key.rsplit(".", 1)[-1]

    def attr(self, key: str) -> str:
        """The unit's member: its module path relative to the scope's."""
        return self.attrs[key]

    def is_merge(self, key) -> bool:
        child = self.children.get(key) if isinstance(key, str) else None
        return isinstance(child, Node) and (child.kind in merge_kinds() or
                                            child.kind == AddIfSame.name)

    def calls_inside_merge(self, key: str) -> bool:
        """A shortcut or branch: called where its merge reads it, if that is its only use."""
        child = self.children[key]
        if isinstance(child, Tree):
            return child.group.role in ("branch", "shortcut")
        return child.kind == "shortcut"

    def steps(self, outputs: list[str], when: dict | None = None) -> list[Step]:
        """`when`: the flag attribute of each conditional residual sum (Merge.when)."""
        when = when or {}
        readers: dict[str, list] = {INPUT: [], **{k: [] for k in self.keys},
                                    **{k: [] for k in self.outer.values()}}
        for k in self.keys:
            for i in self.inputs[k]:
                readers[i].append(k)
        for o in outputs:
            readers[o].append(RETURN)
        inline = {k for k in self.keys if self.calls_inside_merge(k) and len(readers[k]) == 1
                  and self.is_merge(readers[k][0])}

        def value(k: str) -> Layer | Merge:
            ins = tuple(value(i) if i in inline else Use(i) for i in self.inputs[k])
            return Merge(self.children[k].kind, ins, when.get(k, "")) if self.is_merge(k) \
                else Layer(self.attr(k), ins)
        return [Step(k, value(k), self.local(k)) for k in self.keys if k not in inline]


def _key(child: Node | Tree) -> str:
    return child.name if isinstance(child, Node) else child.key


def _units(tree: Tree) -> list:
    """The scope's children, a branch whose items sit outside its module replaced by them
    (nesting is bounded by graph/expand.py)."""
    out = []
    for c in tree.children:
        if isinstance(c, Tree) and c.group.role == "branch":
            base = c.group.module or c.group.path
            if not all(_module(n).startswith(base + ".") for n in c.children):
                out.extend(_units(c))
                continue
        out.append(c)
    return out


def _module(child: Node | Tree) -> str:
    return child.module_path if isinstance(child, Node) else \
        (child.group.module or child.group.path)


def _relative(module: str, base: str, child: Node | Tree) -> str:
    if not base:
        return module
    if module.startswith(base + "."):
        return module[len(base) + 1:]
    # a `path:` in a branch is relative to the scope around its parallel
    raise CompileError(f"a `path:` places {module} outside its scope's module {base}, "
                       "which the generated source cannot express yet",
                       child.loc if isinstance(child, Node) else child.group.loc)
