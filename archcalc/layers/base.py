"""What every layer kind is made of: its declared parameters and what it infers.

A layer kind is a class with a name, its parameters (`Param`), the PyTorch module it
compiles to, and one method, `infer`, that takes the bound arguments and the input
`Shape` and returns `Facts`: the output shape, parameters, MACs, the per-axis window
(for receptive fields and the valid-input set) and any findings. Each kind lives in its
own small module under `archcalc/layers/` and is registered by name in `registry.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import sympy as sp

from ..errors import Diagnostic, SourceLoc

REQUIRED = object()  # sentinel default of a required parameter

# Param types. Numeric ones accept an integer, a decimal where noted, or an expression.
COUNT = "count"          # positive integer: out, groups, features
SIZE = "size"            # positive integer, or one per spatial dim: kernel, stride, dilation
PADDING = "padding"      # int >= 0, per dim, per side ([[lo, hi], ...]), 'valid' or 'same'
OUTPUT_SIZE = "output_size"  # positive integer, or one per spatial dim (adaptive pooling)
FLOAT = "float"          # any real number: alpha, eps, negative_slope
PROB = "prob"            # 0 <= p < 1
POSITIVE = "positive"    # real > 0: norm_type of power-average pooling
BOOL = "bool"
CHOICE = "choice"


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # accepted spelling -> canonical choice

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Shape:
    """A volume: `c` channels and spatial dims `dims` (H, W or L); `dims == ()` is a
    flat vector of `c` features. Entries are sympy expressions (Integers when concrete)."""

    c: sp.Expr
    dims: tuple[sp.Expr, ...] = ()

    @property
    def flat(self) -> bool:
        return not self.dims

    @property
    def numel(self) -> sp.Expr:
        n = self.c
        for d in self.dims:
            n = n * d
        return n

    def text(self) -> str:
        """C×H×W as the table shows it."""
        return "×".join(_dim_text(d) for d in (self.c, *self.dims))


def _dim_text(d: sp.Expr) -> str:
    """One dim inside a formula or a C×H×W shape; compound expressions in parentheses."""
    if isinstance(d, sp.Integer):
        return str(int(d))
    from .convarith import expr_text

    text = expr_text(d)
    return f"({text})" if any(ch in text for ch in " +−·/") else text


@dataclass(frozen=True)
class Window:
    """How one spatial axis maps through a layer, for receptive fields and the
    valid-input search. kind: 'window' (sliding window), 'fixed' (output size `size`
    whatever the input: adaptive/global pooling), or 'same_tf' (TensorFlow 'same' with
    stride > 1: output ceil(W/S), padding derived from W)."""

    kind: str
    kernel: sp.Expr = sp.Integer(1)   # effective kernel: dilation·(K − 1) + 1
    stride: sp.Expr = sp.Integer(1)
    pad_lo: sp.Expr = sp.Integer(0)
    pad_hi: sp.Expr = sp.Integer(0)
    rounding: str = "exact"           # exact | floor | ceil
    size: sp.Expr = sp.Integer(1)     # for kind == 'fixed'


IDENTITY = Window("window")


@dataclass(frozen=True)
class Facts:
    """Everything the calculator knows about one layer applied to one input."""

    out: Shape
    trainable: sp.Expr = sp.Integer(0)
    buffers: sp.Expr = sp.Integer(0)  # non-trainable state: BatchNorm running mean/var
    macs: sp.Expr = sp.Integer(0)
    formulas: tuple[str, ...] = ()     # one per spatial axis, values put in
    findings: tuple[Diagnostic, ...] = ()
    resolved: tuple[tuple[str, object], ...] = ()  # e.g. explicit padding, for the compiler
    unshared_params: sp.Expr | None = None  # conv: the same layer without weight sharing
    connections: sp.Expr | None = None      # conv: inputs each output neuron is wired to
    dense_params: sp.Expr | None = None     # conv: the same mapping as a fully connected layer
    fatal: bool = False  # the output does not exist (size <= 0): stop here
    windows: tuple[Window, ...] | None = None  # when they depend on shapes (shortcuts)


@dataclass(frozen=True)
class Ctx:
    """What a layer's inference may know besides its arguments."""

    layer: str               # the layer's name, for messages
    loc: SourceLoc | None    # where the layer is written
    arg_locs: dict = field(default_factory=dict)  # param name -> SourceLoc
    rounding: str = "exact"  # the spec's (or layer's) rule for non-integer sizes
    input_names: list = field(default_factory=list)  # the layers it reads (merges)
    refs: dict = field(default_factory=dict)  # shapes it depends on (a shortcut's target)
    lenient: bool = False  # symbolic mismatches are not errors (generic block code)

    def at(self, param: str) -> SourceLoc | None:
        return self.arg_locs.get(param, self.loc)

    def error(self, message: str, *hints: str, param: str = "", code: str = "") -> Diagnostic:
        return Diagnostic("error", message, self.at(param), tuple(h for h in hints if h),
                          self.layer, code)

    def warning(self, message: str, *hints: str, param: str = "", code: str = "") -> Diagnostic:
        return Diagnostic("warning", message, self.at(param), tuple(h for h in hints if h),
                          self.layer, code)


@dataclass(frozen=True)
class Saved:
    """A tensor a layer keeps for its backward pass (measured with
    torch.autograd.graph.saved_tensors_hooks on torch 2.13, CPU). `of` is "input" or
    "output" (shared with the neighbouring layer, counted once) or "new" (its own)."""

    of: str
    numel: sp.Expr = sp.Integer(0)  # for "new": per sample (or per batch, see `batched`)
    bytes: int | None = None        # per element; None: the activation dtype's size
    batched: bool = True            # False: once per batch (BatchNorm's batch statistics)


class LayerKind:
    """Base class of every layer kind. Subclasses set the class attributes and `infer`."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    shorthand: ClassVar[str | None] = None  # `- fc: 4096` fills this parameter
    torch: ClassVar[str] = ""               # the PyTorch counterpart, for `ops` and docs
    category: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    name_prefix: ClassVar[str] = ""         # automatic names: conv1, pool1, fc1 ...
    arity: ClassVar[int | None] = 1         # inputs; None: any number (merges)

    @classmethod
    def param(cls, name: str) -> Param | None:
        for p in cls.params:
            if p.name == name:
                return p
        return None

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape) -> tuple[Saved, ...]:
        """What the layer keeps for backward, per sample. Default: nothing (views, adds)."""
        return ()

    @classmethod
    def windows(cls, args: dict, ndim: int, rounding: str) -> tuple[Window, ...] | None:
        """How each spatial axis maps through the layer, known from the arguments alone
        (receptive fields, the valid-input search). Default: shape-keeping. None: the layer
        ends the spatial axes (flatten, linear)."""
        return (IDENTITY,) * ndim


def flat_input_error(kind: str, x: Shape, ctx: Ctx, hint: str = "") -> Facts | None:
    """The Facts of a spatial layer (conv, pooling) fed a flat vector, else None."""
    if not x.flat:
        return None
    return Facts(x, findings=(ctx.error(
        f"{kind} needs a spatial input, but gets a flat vector of {x.c} features", hint,
        code="needs-spatial"),), fatal=True)


def per_dim(value, ndim: int) -> tuple:
    """An int-or-list argument as one value per spatial dim (validated by the parser)."""
    if isinstance(value, tuple):
        return value
    return (value,) * ndim
