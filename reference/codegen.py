"""Design -> standalone PyTorch source a person would be glad to have written by hand.

One `nn.Module` class per block kind, generic in the block's arguments (`Basic(in_channels,
out, stride=1)`), and one class for the network. Each class's `__init__` holds its layers,
named as in the spec, and its `forward` reads like the spec: `x = self.conv1(x)`, residual
sums as `x = x + self.shortcut1(identity)`, Inception branches as `torch.cat([...], dim=1)`.
The module docstring carries the spec's name and figures. The file imports only torch and
builds exactly the network `build()` builds: same parameter names, same outputs.

The generator walks the graph's block tree (`Graph.tree`) into the IR of `codegen_ir.py` —
members, then the forward pass as steps whose saved values are worked out on the data —
and `codegen_print.py` prints that once. A block's class is written from the block alone,
its input channels and arguments symbols (`codegen_blocks.py`), so that every channel count
is an expression of the class's parameters. The model's own symbols (`classes`) become
keyword arguments of the classes that use them. An `auto` shortcut becomes the conditional
torchvision writes: identity when the shapes match, else a projection.

Every identifier — class names, parameters, forward's variables — comes from one
`pysource.Names` allocator, and every string from the spec passes through
`pysource.doc_text` (in the printer), so no spec can inject code or make two names
collide. Members sit at the layers' module paths — their names, or where `path:` keys put
them (`self.features["0"]`, a position as a string through `doc_text`): they are the
state_dict's keys, and the parser admits only names that are no keyword and no nn.Module
attribute, and positions of digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from archcalc import __version__, num
from archcalc.analysis import Analysis, LayerRow
from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.graph import INPUT, build_graph
from archcalc.graph.model import Node, Tree
from archcalc.layers.base import Shape
from archcalc.notation import shape_text
from archcalc.render.numbers import both, exact
from archcalc.spec import Spec
from archcalc.spec.model import substitutions
from archcalc.spec.model import symbol as spec_symbol

from .build import bound_analysis, design_of
from .calls import HELPERS, Call, pyexpr, sympy_map, sympy_value
from .codegen_blocks import (
    ARG,
    SYNTHETIC,
    alone,
    baked_blocks,
    free_symbols,
    instance_classes,
    rename_map,
    renamed,
    shown_value,
)
from .codegen_flags import use_res_flags
from .codegen_ir import HELD, IDENTITY, ClassDef, Member, ModuleDef, Param, lower
from .codegen_print import module_text
from .codegen_scope import Units
from .modules import CompileError, module_call
from .pysource import IDENT, RESERVED, Names

IN = "in_channels"


def symbol(name: str) -> sp.Symbol:
    """A spec symbol as sympy's, as every value here is (calls.sympy_value)."""
    return sp.sympify(spec_symbol(name))

OUTER = "outer:"  # the key of a layer a block reads by name (no layer name has ':')
SOURCE = "reference.codegen: the source"  # this face's key in Design.memo


def generate(spec: str | Path | Spec | Design, bindings: dict | None = None,
             origin: str = "") -> str:
    """The source of a design (or of a spec, a file or a built-in name at `bindings`),
    made once per design and origin."""
    design = design_of(spec, bindings)
    return design.memo((SOURCE, origin), lambda: Generator(design).module(origin))


def class_name(name: str) -> str:
    """The CamelCase a class of this name would be given (before allocation)."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts) or "Net"
    return "Net" + out if out[0].isdigit() else out


@dataclass(frozen=True)
class _Class:
    """What writing one class needs: its analysis' rows, its graph's order, the symbols to
    print as its parameters, whether it is generic (a block class), each block instance's
    `in`, the input's shape, and the layers that pass their input on (absent shortcuts)."""

    rows: dict[str, LayerRow]
    index: dict[str, int]
    rename: dict
    generic: bool
    channels: dict
    input: Shape
    through: dict[str, str]

    @staticmethod
    def of(design: Design, analysis: Analysis, rename: dict, generic: bool) -> _Class:
        return _Class({r.name: r for r in analysis.rows},
                      {n.name: i for i, n in enumerate(design.graph.nodes)}, rename, generic,
                      sympy_map(analysis.channels), analysis.input_shape,
                      {r.name: r.inputs[0] for r in analysis.rows
                       if r.kind == "add_if_same" and len(r.inputs) == 1})


@dataclass(frozen=True)
class _Block:
    params: dict[str, str]          # argument -> parameter
    symbols: dict[str, str]         # the model's symbols it uses -> parameter


class Generator:
    def __init__(self, design: Design):
        self.design, self.spec = design, design.spec
        self.analysis = bound_analysis(design)
        self.values = dict(self.analysis.bindings)
        # Every module-level name is allocated up front, so that no parameter or local
        # allocated later in a child scope can take a class name a body refers to.
        self.names = Names(RESERVED | set(HELPERS))
        self.top_name = self.names.take(class_name(self.spec.name))
        # Blocks written once per distinct instance (codegen_blocks.baked_blocks), each
        # such class named up front too.
        self.baked = baked_blocks(self.spec, design.graph)
        self.class_of = {b.name: self.names.take(class_name(b.name)) for b in self.spec.blocks
                         if b.name not in self.baked}
        self.instances = instance_classes(design.graph, self.analysis, self.baked,
                                          self.names, class_name)
        self.blocks: dict[str, _Block] = {}
        # A named residual or parallel (a repeat's copies of one are named `residual1.0`,
        # `residual1.1`, …) is a class of its own, one per item of the spec.
        self.group_class_of = {}
        for g in design.graph.groups:
            if g.role in ("residual", "parallel") and g.loc not in self.group_class_of:
                stem = re.sub(r"(\.\d+)+$", "", g.path)
                self.group_class_of[g.loc] = self.names.take(class_name(stem))
        self.group_classes: dict[object, ClassDef] = {}  # loc -> its class
        self.classes: list[ClassDef] = []  # block classes, each after those it uses
        self.written: set[str] = set()  # the per-instance classes written so far
        # The model's symbols (all but the input's) become keyword arguments of the classes
        # that use them (`ResNet18(classes=10)`); the other values are put in — all of
        # them where some block is written per instance, which puts them in anyway.
        inputs = {str(s) for d in self.spec.input for s in d.free_symbols}
        self.model_symbols = [s.name for s in self.spec.symbols if s.name not in inputs
                              and s.name in self.values and not self.baked
                              and not s.fraction
                              and not _sets_a_repeat(self.spec, self.values, s.name)]
        self.top = self._top_analysis()
        self.fixed = sympy_map(substitutions(self.spec.symbols, {
            k: v for k, v in self.values.items() if k not in self.model_symbols}))

    def module(self, origin: str = "") -> str:
        return module_text(self.module_def(origin))

    def module_def(self, origin: str = "") -> ModuleDef:
        top_names = self.names.child({"self"})
        used = set(self.top.free_symbols)
        top_param = {m: top_names.take(m) for m in self.model_symbols if m in used}
        params = [Param(p, str(self.values[m])) for m, p in top_param.items()]
        ctx = _Class.of(self.design, self.top, rename_map(top_param), bool(top_param))
        top = self.class_def(self.top_name, f"{self.spec.name}, as the spec describes it.",
                             params, self.design.graph.tree, ctx, self._outputs)
        a, t = self.analysis, self.analysis.totals
        bound = ", ".join(f"{k} = {v}" for k, v in a.bindings) or "no symbols"
        doc = (f"{self.spec.name}: the PyTorch model.", "",
               f"Generated by archcalc {__version__}" + (f" from {origin}." if origin else "."),
               f"Input {shape_text(a.input_shape)} ({bound}).",
               (f"Parameters: {both(t.params)} (sum(p.numel() for p in model.parameters())); "
                f"buffers: {exact(t.buffers)}."),
               f"MACs: {both(t.macs)}; FLOPs = 2 × MACs = {exact(t.flops)}.",
               "Names follow the spec: the model's state_dict matches archcalc.reference.build.")
        example = tuple(int(d) for d in (a.input_shape.c, *a.input_shape.dims))
        return ModuleDef(doc, (*self.classes, top), example)

    def _top_analysis(self) -> Analysis:
        """The network with the model's symbols unbound, for a class generic in them; where
        that analysis cannot stand (an error that depends on them), every symbol is put in
        and the class takes no arguments."""
        if not self.model_symbols:
            return self.analysis
        a = self.design.rebind(free=self.model_symbols, lenient=True).analysis
        if any(d.severity == "error" for d in a.findings) or \
                any(r.out_shape is None for r in a.rows):
            self.model_symbols = []
            return self.analysis
        return a

    def _outputs(self, units: Units) -> list[str]:
        names = [o.name for o in self.analysis.outputs] or [self.analysis.rows[-1].name]
        return [units.owner[n] for n in names]

    # -- classes -----------------------------------------------------------------------
    def class_def(self, name: str, doc: str, params, tree: Tree, ctx: _Class,
                  outputs=lambda units: [units.keys[-1]], outer: tuple = ()) -> ClassDef:
        """`outer`: layers outside the tree it reads besides its input (forward's other
        arguments)."""
        keys = {o: f"{OUTER}{o}" for o in outer}
        units = Units(tree, ctx.index, ctx.through, keys)
        members = []
        for k in units.keys:
            if units.is_merge(k):
                continue  # an operator in forward
            child = units.children[k]
            when = self._identity_when(ctx.rows[child.name], ctx) \
                if ctx.generic and isinstance(child, Node) else ()
            members.append(Member(units.attr(k), self.make(units, k, ctx), when))
        _check_members(units)
        flags, when = use_res_flags(units, ctx.rows, ctx.input, lambda v: self.value(v, ctx),
                                    {m.attr.split(".")[0] for m in members}) \
            if ctx.generic else ((), {})
        local_names = self.names.child({"self", HELD, IDENTITY})  # forward's variables
        args = {keys[o]: local_names.take(o.split(".")[0]) for o in outer}
        forward = lower(units.steps(outputs(units), when), outputs(units), local_names.take,
                        args)
        return ClassDef(name, doc, tuple(params), tuple(members), forward, tuple(flags),
                        tuple(args.values()))

    def block_class(self, block: str) -> str:
        name = self.class_of[block]
        if block in self.blocks:
            return name
        bd = self.spec.block(block)
        # The parameters' scope: `self` and the input channels first, then the model's
        # symbols, then the arguments — none equal to another spec symbol.
        scope = self.names.child({"self", *(s.name for s in self.spec.symbols
                                            if s.name not in self.model_symbols)})
        cin = scope.take(IN)
        symbol_param = {m: scope.take(m) for m in self.model_symbols}
        params_of = {n: scope.take(n) for n, _, _ in bd.params}
        one = alone(self.design, block, self.model_symbols)
        a = one.analysis
        uses = {m: symbol_param[m] for m in self.model_symbols if m in a.free_symbols}
        self.blocks[block] = _Block(params_of, uses)
        rename = {symbol(f"{SYNTHETIC}c"): symbol(cin),
                  **{symbol(f"{ARG}{n}"): symbol(p) for n, p in params_of.items()},
                  **rename_map(symbol_param)}
        params = [Param(cin), *(Param(params_of[n]) for n, d, _ in bd.params if d is None),
                  *(Param(params_of[n], pyexpr(sp.sympify(d).xreplace(self._all())))
                    for n, d, _ in bd.params if d is not None),
                  *(Param(p, str(self.values[m])) for m, p in uses.items())]
        doc = f"Block `{block}` of the spec ({', '.join(n for n, _, _ in bd.params) or 'no'} " \
              "arguments)."
        tree = one.graph.tree.children[0]  # the block's one instance
        self.classes.append(self.class_def(name, doc, params, tree,
                                           _Class.of(one, a, rename, True)))
        return name

    # -- members -----------------------------------------------------------------------
    def make(self, units: Units, key: str, ctx: _Class) -> Call:
        """The construction of one unit's module."""
        child = units.children[key]
        if isinstance(child, Node):
            return self.layer(ctx.rows[child.name], ctx)
        g = child.group
        if g.role == "block":
            return self.instance(units, key, ctx)
        inner = Units(child, ctx.index)
        if g.role == "repeat":
            return Call("nn.Sequential", tuple(self.make(inner, k, ctx) for k in inner.keys))
        if g.role in ("branch", "shortcut"):
            prev = INPUT
            for k in inner.keys:
                if inner.inputs[k] != [prev]:
                    raise CompileError("a branch that is not a chain of layers cannot be "
                                       "exported yet; put its layers in a block", g.loc,
                                       layer=key)
                prev = k
            named = tuple((inner.attr(k), self.make(inner, k, ctx)) for k in inner.keys)
            if [a for a, _ in named] == [str(i) for i in range(len(named))]:
                return Call("nn.Sequential", tuple(m for _, m in named))  # torchvision's
            if not all(IDENT.fullmatch(a) for a, _ in named):
                raise CompileError("a branch or shortcut whose layers `path:` places at "
                                   "positions other than 0, 1, … in order, or at several "
                                   "segments, cannot be exported yet", g.loc, layer=key)
            return Call("nn.Sequential", (Call("OrderedDict", (), named),))
        if g.role in ("residual", "parallel"):
            return Call(self.group_class(child, ctx))
        raise CompileError(f"a named {g.role} cannot be exported yet; make it a block", g.loc,
                           layer=key)

    def group_class(self, tree: Tree, ctx: _Class) -> str:
        """The class of a named residual or parallel: its layers as members, its merge in
        forward; the copies a repeat makes of one share it."""
        g = tree.group
        name = self.group_class_of[g.loc]
        doc = f"A {g.role} of the spec (line {g.loc.line})."
        body = self.class_def(name, doc, (), tree, ctx)
        if any(free_symbols(m.make) for m in body.members):
            raise CompileError(f"a named {g.role} whose layers depend on a block's arguments "
                               "cannot be exported yet; make it a block", g.loc, layer=g.path)
        made = self.group_classes.setdefault(g.loc, body)
        if made != body:
            raise CompileError(f"the copies of this {g.role} differ (a `first:` override?), "
                               "and one class cannot hold them yet; make it a block", g.loc,
                               layer=g.path)
        if made is body:
            self.classes.append(body)
        return name

    def layer(self, row: LayerRow, ctx: _Class) -> Call:
        call = renamed(module_call(row), ctx.rename)
        if any(str(s).startswith(SYNTHETIC) for s in free_symbols(call)):
            raise CompileError("its PyTorch module depends on the input's spatial size "
                               "(TensorFlow's `same` padding with a stride?), which a block "
                               "class does not receive; write the padding explicitly",
                               row.loc, layer=row.name)
        return call

    def instance(self, units: Units, key: str, ctx: _Class) -> Call:
        """`Basic(64, 128, stride=2)`: the block's class, its input channels, the arguments
        that differ from constant defaults, and the model's symbols it uses."""
        g = units.children[key].group
        first = ctx.rows[units.nodes[key][0].name]
        if g.kind in self.baked:
            reads = units.reads[key]
            for i in reads[1:]:  # a layer given by name: passed to forward as it is
                owner = units.source(i)
                if owner in units.nodes and units.nodes[owner][-1].name != i:
                    raise CompileError(f"block {g.kind} reads {i}, inside {owner}; the "
                                       "generated source passes only a block's output",
                                       g.loc, layer=g.path)
            units.inputs[key] = [units.source(i) for i in reads]
            return Call(self.instance_class(g, first, ctx, tuple(reads[1:])), ())
        cls = self.block_class(g.kind)
        args, kwargs = [self.value(first.in_shape.c, ctx)], []
        defaults = {n: d for n, d, _ in self.spec.block(g.kind).params}
        block = self.blocks[g.kind]
        for name, value in g.args:
            d = defaults.get(name)
            # A default that names a symbol was baked into the class: pass it always.
            if d is not None and not sp.sympify(d).free_symbols and \
                    sp.simplify(sp.sympify(value) - sp.sympify(d)) == 0:
                continue
            if d is None:
                args.append(self.value(value, ctx))
            else:
                kwargs.append((block.params[name], self.value(value, ctx)))
        kwargs += [(param, self.value(symbol(m), ctx)) for m, param in block.symbols.items()]
        return Call(cls, tuple(args), tuple(kwargs))

    def instance_class(self, g, first: LayerRow, ctx: _Class, outer: tuple) -> str:
        """The class of one instance of a block written per instance: its layers as the
        network's analysis has them, every value put in; `outer`, the layers outside it
        that it reads by name, are arguments of its forward."""
        args = tuple((n, sympy_value(v).xreplace(ctx.channels) if isinstance(v, num.Basic)
                      else v) for n, v in g.args)
        name, tree = self.instances[(g.kind, args, first.in_shape)]
        if name not in self.written:
            self.written.add(name)
            shown = ", ".join(f"{n} = {shown_value(v)}" for n, v in args) or "no arguments"
            doc = f"Block `{g.kind}` with {shown} (input {shape_text(first.in_shape)})."
            self.classes.append(self.class_def(name, doc, (), tree, ctx, outer=outer))
        return name

    def _identity_when(self, row: LayerRow, ctx: _Class) -> tuple:
        """When a generic block's `auto` shortcut is the identity: equal channels, stride 1."""
        if row.kind != "shortcut" or row.layer.mode != "auto" or row.view:
            return ()  # not an `auto` shortcut, or one that is the identity here
        strides = {pyexpr(self.value(m.stride, ctx)) for m in row.maps}
        same = (pyexpr(self.value(row.in_shape.c, ctx)),
                pyexpr(self.value(row.out_shape.c, ctx)))
        return (same, *((s, "1") for s in sorted(strides) if s != "1"))

    def value(self, value, ctx: _Class):
        """A value in the class being written: the symbols that are not the model's
        arguments put in, the others named as their parameters."""
        value = sympy_value(value)
        if isinstance(value, sp.Basic) and value.free_symbols:
            value = value.xreplace(ctx.channels).xreplace(self.fixed)
            value = value.xreplace(ctx.rename) if ctx.rename else value
        return value

    def _all(self) -> dict:
        return sympy_map(substitutions(self.spec.symbols, self.values))


def _check_members(units: Units) -> None:
    """A class's members at distinct paths, none inside another: a `path:` may place a
    layer inside a repeat's or a block's module, which build() allows (its containers are
    plain) but one class's members cannot express."""
    at: dict[str, str] = {}
    for k in units.keys:
        if units.is_merge(k):
            continue
        a, child = units.attr(k), units.children[k]
        loc = child.loc if isinstance(child, Node) else child.group.loc
        if a in at:
            raise CompileError(f"{at[a]} and {k} are both at module path {a} in one class; "
                               "give them distinct `path:` keys", loc, layer=k)
        parts = a.split(".")
        if any(".".join(parts[:i]) in at for i in range(1, len(parts))) or \
                any(b.startswith(a + ".") for b in at):
            raise CompileError(f"module path {a} and another member's are one inside the "
                               "other; the generated source cannot place them", loc, layer=k)
        at[a] = k


def _sets_a_repeat(spec: Spec, values, name: str) -> bool:
    """Whether a repeat count reads the symbol `name` (ResNets' `repeat: d3`): the graph
    cannot be made without its value, so the class is written at it, not generic in it."""
    if not spec.symbolic_repeats:
        return False
    try:
        build_graph(spec, {k: v for k, v in values.items() if k != name})
    except SpecError:
        return True
    return False
