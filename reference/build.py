"""Spec -> a runnable `nn.Module` whose every layer is the one the calculator described.

`build("specs/resnet50.yaml", H=224, W=224)` takes the spec's `Design` at the given symbol
values (over the spec's defaults) — or a Design itself —, refuses an invalid or
still-symbolic network, and makes one concrete module per layer, at its module path: its
name as the spec names it (`model.conv1`), or where its `path:` keys place it
(`model.features[0][1]`, graph/paths.py), so that the state_dict's keys are the source
model's.
`forward` follows the graph's edges, so the same class serves chains and DAGs.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from archcalc import specs as library
from archcalc.analysis import Analysis
from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.graph import INPUT
from archcalc.spec import Spec, parse_file

from .calls import instantiate
from .errors import CompileError, CompileUsageError, InvalidArchitecture
from .helpers import LayerScale
from .modules import module_call

PLAN = "reference.build: the layers' Calls"  # this face's key in Design.memo


class Scope(nn.Module):
    """A block instance, a repeat or a branch: a container named as in the spec. Its
    children are indexable too, so a repeat reads like torchvision: `model.layer2[0]`."""

    def __getitem__(self, index) -> nn.Module:
        return self._modules[str(index)]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class SpecModel(nn.Module):
    """The network of a spec: one module per layer, nested in the spec's blocks and named
    after them, run in the graph's topological order. Returns the main output, or a tuple
    of all outputs when the spec lists more (auxiliary heads)."""

    def __init__(self, name: str, order: list[tuple[str, tuple[str, ...]]],
                 modules: dict[str, nn.Module], outputs: tuple[str, ...] = (),
                 where: dict[str, str] | None = None):
        """`modules`: each layer's module by its name; `where`: the module paths that are
        not the layer's name (`path:` keys)."""
        super().__init__()
        self.spec_name = name
        self._where = dict(where or {})
        for name_, module in modules.items():
            *parents, leaf = self.module_path(name_).split(".")
            holder: nn.Module = self
            for part in parents:
                if part not in holder._modules:
                    holder.add_module(part, Scope())
                holder = holder._modules[part]
            holder.add_module(leaf, module)
        if any(isinstance(m, LayerScale) for m in modules.values()):
            LayerScale.own_keys(self)  # its γ keyed by its module's path (helpers.py)
        self._steps = [(path, modules[path], inputs) for path, inputs in order]
        self._outputs = tuple(outputs) or (order[-1][0],)
        self._plan()

    def _plan(self) -> None:
        """Precompile the graph: value slots instead of names; a chain runs as a loop."""
        slot = {INPUT: 0}
        for i, (path, _, _) in enumerate(self._steps):
            slot[path] = i + 1
        self._program = [(m, [slot[i] for i in inputs]) for _, m, inputs in self._steps]
        self._out_slots = [slot[o] for o in self._outputs]
        self._chain = all(ins == [k] for k, (_, ins) in enumerate(self._program)) and \
            self._out_slots == [len(self._program)]

    def module_path(self, layer: str) -> str:
        """Where a layer's module sits (`model.get_submodule(model.module_path(name))`)."""
        return self._where.get(layer, layer)

    def set_module(self, path: str, module: nn.Module) -> None:
        """Replace one layer's module (the trainer drops a final softmax this way); `path`
        is the layer's name."""
        *parents, leaf = self.module_path(path).split(".")
        holder: nn.Module = self
        for part in parents:
            holder = holder._modules[part]
        holder._modules[leaf] = module
        self._steps = [(p, module if p == path else m, i) for p, m, i in self._steps]
        self._plan()

    def forward(self, x: torch.Tensor):
        if self._chain:
            for module, _ in self._program:
                x = module(x)
            return x
        values = [x]
        for module, inputs in self._program:
            values.append(module(*[values[i] for i in inputs]))
        if len(self._out_slots) == 1:
            return values[self._out_slots[0]]
        return tuple(values[i] for i in self._out_slots)


def design_of(spec: str | Path | Spec | Design, bindings: dict | None = None) -> Design:
    """The design a model is made from: a Design (with `bindings` over its own), a parsed
    spec, a file or a built-in name (`build("resnet18")`, as the CLI takes) at its defaults
    and `bindings`. A spec that cannot be read or bound is a CompileError."""
    try:
        if isinstance(spec, Design):
            return spec.rebind(bindings)
        return Design(spec if isinstance(spec, Spec) else _parsed(spec), bindings)
    except SpecError as exc:
        raise CompileUsageError(exc.diagnostics) from None


def _parsed(spec: str | Path) -> Spec:
    if isinstance(spec, str) and not Path(spec).exists() and "/" not in spec:
        builtin = library.path(spec.removesuffix(".yaml"))
        if builtin is not None:
            return parse_file(builtin)
    return parse_file(spec)


def bound_analysis(design: Design) -> Analysis:
    """The analysis a model is built from: every symbol bound, every layer valid."""
    analysis = design.analysis
    if analysis.free_symbols:
        raise CompileUsageError(f"unbound symbols: {', '.join(analysis.free_symbols)} — give "
                                "them values (--set NAME=VALUE, build(..., NAME=VALUE) or a "
                                "default)")
    errors = [d for d in analysis.findings if d.severity == "error"]
    if errors:
        raise InvalidArchitecture(errors)
    return analysis


def build(spec: str | Path | Spec | Design, bindings: dict | None = None,
          **kwargs) -> SpecModel:
    """Build the PyTorch model of a spec (see module docstring)."""
    return build_with_analysis(spec, {**(bindings or {}), **kwargs})[0]


def build_with_analysis(spec: str | Path | Spec | Design, bindings: dict | None = None):
    """A new model and the analysis it was built from. The layers' `Call`s are made once
    per design and kept on it; the modules are made afresh on every call — a model is
    mutable state (weights, hooks, the device it was made on) that two callers must not
    share."""
    design = design_of(spec, bindings)
    analysis = bound_analysis(design)
    calls = design.memo(PLAN, lambda: tuple(module_call(row) for row in analysis.rows))
    modules = {}
    for row, call in zip(analysis.rows, calls):
        try:
            modules[row.name] = instantiate(call)
        except (RuntimeError, ValueError, OverflowError, MemoryError) as exc:
            # e.g. a weight of more than 2^63 elements: each size is in bounds, the product not
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise CompileError(f"PyTorch cannot build this layer: {first}", row.loc,
                               layer=row.name) from None
    order = [(row.name, row.inputs) for row in analysis.rows]
    outputs = tuple(o.name for o in analysis.outputs)
    where = {n.name: n.module for n in design.graph.nodes if n.module}
    return SpecModel(design.spec.name, order, modules, outputs, where), analysis
