"""What every layer kind is made of, and what it says about one input.

A layer kind is a class (`LayerKind` subclass) with a name, its declared parameters
(`Param`) and documentation; one *instance* stands for one layer's arguments, made once by
`make`, which normalises them into typed fields (a kernel becomes one size per spatial
dim, a padding one (lo, hi) per dim, a rounding rule the spec's when the layer has none) —
as Keras's `standardize_tuple` does in a layer's constructor. The instance owns
everything archcalc knows about the layer: `infer` (input shapes → `Facts`: the output,
parameters, MACs, the arithmetic as data, findings and its PyTorch counterpart as a
`Call`), `maps` (how each spatial axis maps through it), and `saved` (what it keeps for
backward). Instances are frozen and compare by value, so equal layers share results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

from .. import num
from ..errors import Diagnostic, SourceLoc
from .axismap import KEEP, AxisMap
from .call import Call, NoCounterpart

REQUIRED = object()  # sentinel default of a required parameter

# Param types. Numeric ones accept an integer, a decimal where noted, or an expression.
COUNT = "count"          # positive integer: out, groups, features
INDEX = "index"          # integer >= 0: which piece (chunk)
SIZE = "size"            # positive integer, or one per spatial dim: kernel, stride, dilation
PADDING = "padding"      # int >= 0, per dim, per side ([[lo, hi], ...]), 'valid' or 'same'
OUTPUT_SIZE = "output_size"  # positive integer, or one per spatial dim (adaptive pooling)
OFFSET = "offset"        # integer >= 0, or one per spatial dim: a transposed conv's padding
SCALE = "scale"          # positive integer or binary fraction (1.5), or one per spatial dim
LAYER = "layer"          # a layer's name (or `input`): a second input, read for its shape
FLOAT = "float"          # any real number: alpha, eps, negative_slope
PROB = "prob"            # 0 <= p < 1
POSITIVE = "positive"    # real > 0: norm_type of power-average pooling
BOOL = "bool"
CHOICE = "choice"
PER_DIM = (SIZE, OUTPUT_SIZE, OFFSET, SCALE)  # one value, or one per spatial dim


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

    c: num.Expr
    dims: tuple[num.Expr, ...] = ()

    @property
    def flat(self) -> bool:
        return not self.dims

    @property
    def numel(self) -> num.Expr:
        n = self.c
        for d in self.dims:
            n = n * d
        return n


@dataclass(frozen=True)
class Sharing:
    """The seeds' weight-sharing figures of a convolution (seed 003)."""

    connections: num.Expr      # inputs each output neuron is wired to
    unshared_params: num.Expr  # the same layer without weight sharing
    dense_params: num.Expr     # the same mapping as a fully connected layer


@dataclass(frozen=True)
class Facts:
    """Everything the calculator knows about one layer applied to its input(s)."""

    out: Shape
    trainable: num.Expr = num.Integer(0)
    buffers: num.Expr = num.Integer(0)  # non-trainable state: BatchNorm running mean/var
    macs: num.Expr = num.Integer(0)
    formulas: tuple = ()               # the arithmetic as data (archcalc/formula.py), per axis
    findings: tuple[Diagnostic, ...] = ()
    call: Call | NoCounterpart | None = None  # the PyTorch counterpart (None when fatal)
    sharing: Sharing | None = None
    fatal: bool = False  # the output does not exist (size <= 0): stop here
    maps: tuple[AxisMap, ...] | None = None  # when they depend on shapes (shortcuts)
    view: bool = False   # the output is the input tensor (identity): no new memory
    # The output is the first input and the others are not read: a residual's absent
    # shortcut (`shortcut: if_same` where the body changes the shape). Implies `view`.
    passes: bool = False


@dataclass(frozen=True)
class Ctx:
    """What a layer's inference may know besides its arguments."""

    layer: str               # the layer's name, for messages
    loc: SourceLoc | None    # where the layer is written
    arg_locs: tuple = ()     # (param name, SourceLoc) pairs
    input_names: tuple = ()  # the layers it reads (merges)
    target: Shape | None = None   # a shortcut's residual body's output shape
    ref_stride: tuple | None = None  # and the product of the strides along it
    lenient: bool = False  # symbolic mismatches are not errors (generic block code)
    # `archcalc fit`'s structures (fit/structures.py): given differences that depend on a
    # symbol left free, whether they all vanish at the value in question — so that a
    # choice of structure (is a shortcut there?) is made as at that value. None: no one
    # to ask (a symbolic check): the layer keeps its own rule.
    decide: Callable[[tuple], bool] | None = None

    def at(self, param: str) -> SourceLoc | None:
        return dict(self.arg_locs).get(param, self.loc)

    def has(self, param: str) -> bool:
        return any(name == param for name, _ in self.arg_locs)

    def error(self, message: str, *hints: str, param: str = "", code: str = "") -> Diagnostic:
        return Diagnostic("error", message, self.at(param), tuple(h for h in hints if h),
                          self.layer, code)

    def warning(self, message: str, *hints: str, param: str = "", code: str = "") -> Diagnostic:
        return Diagnostic("warning", message, self.at(param), tuple(h for h in hints if h),
                          self.layer, code)


@dataclass(frozen=True)
class Saved:
    """A tensor a layer keeps for its backward pass (measured with
    torch.autograd.graph.saved_tensors_hooks on torch 2.13, CPU). `of` is "input",
    "inputs" (every input of a merge: a product keeps both operands) or "output" (shared
    with the neighbouring layer, counted once) or "new" (its own)."""

    of: str
    numel: num.Expr = num.Integer(0)  # for "new": per sample (or per batch, see `batched`)
    bytes: int | None = None        # per element; None: the activation dtype's size
    batched: bool = True            # False: once per batch (BatchNorm's batch statistics)


def per_dim(value, ndim: int) -> tuple:
    """An int-or-list argument as one value per spatial dim (validated by the parser)."""
    if isinstance(value, tuple):
        return value
    return (value,) * ndim


class LayerKind:
    """Base class of every layer kind; an instance is one layer's normalised arguments.

    Subclasses set the class attributes, `infer`, and where they differ from the
    defaults `maps`, `saved` and `normalise`. Instances are immutable."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    shorthand: ClassVar[str | None] = None  # `- fc: 4096` fills this parameter
    torch: ClassVar[str] = ""               # the PyTorch counterpart, for `ops` and docs
    category: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    name_prefix: ClassVar[str] = ""         # automatic names: conv1, pool1, fc1 ...
    arity: ClassVar[int | None] = 1         # inputs; None: any number (merges)

    def __init__(self, ndim: int, **values):
        object.__setattr__(self, "ndim", ndim)
        object.__setattr__(self, "_key", (ndim, *values.items()))
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._key == other._key

    def __hash__(self) -> int:
        return hash((type(self), self._key))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._key[1:])})"

    @classmethod
    def param(cls, name: str) -> Param | None:
        # a dict made once per kind (and again if its params change), the first of a name
        by = cls.__dict__.get("_by_name")
        if by is None or by[0] is not cls.params:
            table: dict[str, Param] = {}
            for p in cls.params:
                table.setdefault(p.name, p)
            by = (cls.params, table)
            type.__setattr__(cls, "_by_name", by)
        return by[1].get(name)

    @classmethod
    def make(cls, args: dict, ndim: int, rounding: str = "cover") -> LayerKind:
        """The layer of these (bound, validated) arguments, normalised once."""
        values = {}
        for p in cls.params:
            v = args[p.name]
            if p.type in PER_DIM and v is not None:
                v = per_dim(v, ndim)
            elif p.type == BOOL:
                v = bool(v)
            values[p.name] = v
        return cls(ndim, **cls.normalise(values, ndim, rounding))

    @classmethod
    def normalise(cls, values: dict, ndim: int, rounding: str) -> dict:
        """Kind-specific normalisation of the arguments (defaults derived from others)."""
        return values

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:  # pragma: no cover
        raise NotImplementedError

    def saved(self, xs: tuple[Shape, ...], y: Shape) -> tuple[Saved, ...]:
        """What the layer keeps for backward, per sample. Default: nothing (views, adds)."""
        return ()

    def maps(self) -> tuple[AxisMap, ...] | None:
        """How each spatial axis maps through the layer, from its arguments alone
        (receptive fields, the valid-input search). Default: shape-keeping. None: the
        layer ends the spatial axes (flatten, linear)."""
        return (KEEP,) * self.ndim


def flat_input_error(kind: str, x: Shape, ctx: Ctx, hint: str = "") -> Facts | None:
    """The Facts of a spatial layer (conv, pooling) fed a flat vector, else None."""
    if not x.flat:
        return None
    return Facts(x, findings=(ctx.error(
        f"{kind} needs a spatial input, but gets a flat vector of {x.c} features", hint,
        code="needs-spatial"),), fatal=True)
