"""The parsed spec: plain immutable data with the source position of everything.

`Spec` is what the parser produces and the graph builder consumes. Numeric values are
sympy expressions (Integers when written as numbers), so symbols flow through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import num
from ..errors import SourceLoc, SourceText
from .expr import decimal
from .scalars import Real

SPEC_VERSION = 1


def symbol(name: str, fraction: bool = False) -> num.Symbol:
    """A spec symbol: a positive integer (a size, a count), or a positive fraction where
    its declaration writes a decimal (`width_mult: 1.0`) — then `floor(32 * w)` must not
    simplify to `32 * w`. One name and kind, one object."""
    if fraction:
        return num.Symbol(name, rational=True, positive=True)
    return num.Symbol(name, integer=True, positive=True)


def number(value) -> num.Rational:
    """A symbol's value as an exact number: an int, or a decimal as written (a
    `Real`: 1.1 is 11/10, not the float nearest it), its size bounded (spec/bounds.py) —
    an ExprError beyond."""
    if isinstance(value, Real):
        text = value.text.lstrip("+")
        return -decimal(text[1:], 0) if text.startswith("-") else decimal(text, 0)
    return num.Integer(value)


def substitutions(decls, values) -> dict:
    """The declared symbols (`SymbolDecl`s) that `values` binds -> their exact values."""
    return {d.sym: number(values[d.name]) for d in decls if d.name in values}


def block_arg(block: str, name: str) -> num.Symbol:
    """A block argument's placeholder until the block is used. Only `real`: an argument may
    be a fraction (a width multiplier 1.4), so `floor(w)` must not simplify to `w` — and
    it may be no number at all (a kind, a layer name, true/false, a pair), put in whole."""
    return num.Symbol(f"{block}.{name}", real=True)


def arg_name(placeholder: num.Symbol) -> str:
    """The argument a placeholder stands for (`bottleneck.width` -> `width`)."""
    return placeholder.name.rsplit(".", 1)[-1]


def is_placeholder(value) -> bool:
    return isinstance(value, num.Symbol) and "." in value.name


# `in`, in a block's layers: the channel count of the block's input. The parser writes this
# placeholder; each block instance puts in its own `Channels` symbol (graph/expand.py),
# which the analysis replaces with the channels of that instance's input.
IN = "in"
IN_PLACEHOLDER = num.Symbol("in", integer=True, positive=True)


class Channels(num.Symbol):
    """One block instance's `in`: a symbol of its own (named after the instance's path, so
    that two expansions of a spec make equal graphs), printed as `in`."""

    sympy_str = IN  # (lifted, a sympy Symbol that prints so: num._sympy_symbol)


def channels_symbol(path: str) -> Channels:
    return Channels(f"{IN}:{path}", integer=True, positive=True)


class Word(str):
    """A name given as a block argument: a layer kind or block (`act: silu`, used as
    `- $act`), a layer to read (`skip: down1`, used in `from: [$skip, up]`) or a choice
    (`mode: reflect`)."""


@dataclass(frozen=True)
class SymbolDecl:
    """A declared symbol. `fraction`: its default, min or max is written as a decimal
    (`width_mult: 1.0`): its values are positive decimals (`Real`s, exact), not only whole
    numbers, and it may not size the input."""
    name: str
    loc: SourceLoc
    default: int | Real | None = None
    multiple_of: int | None = None
    min: int | Real | None = None
    max: int | Real | None = None
    doc: str = ""
    fraction: bool = False

    @property
    def sym(self) -> num.Symbol:
        return symbol(self.name, self.fraction)

    def violation(self, value: int | Real) -> str | None:
        """Why `value` breaks this symbol's constraints, or None."""
        if self.multiple_of and value % self.multiple_of:
            return f"{self.name} = {value} is not a multiple of {self.multiple_of}"
        if self.min is not None and number(value) < number(self.min):
            return f"{self.name} = {value} is below its minimum {self.min}"
        if self.max is not None and number(value) > number(self.max):
            return f"{self.name} = {value} is above its maximum {self.max}"
        return None

    def contradiction(self) -> str | None:
        """Why no value at all meets this symbol's constraints, or None."""
        if self.fraction:  # any positive decimal: only min above max contradicts
            if self.min is not None and self.max is not None and \
                    number(self.min) > number(self.max):
                return f"{self.name} has min {self.min} and max {self.max}: no value is both"
            return None
        low = max(self.min or 1, 1)  # every whole-number symbol is a positive integer
        if self.max is not None and low > self.max:
            return (f"{self.name} has min {low} and max {self.max}: no value is both"
                    if self.min is not None else
                    f"{self.name} has max {self.max}, but a symbol is at least 1")
        if self.multiple_of and self.max is not None:
            first = -(-low // self.multiple_of) * self.multiple_of
            if first > self.max:
                return (f"{self.name} must be a multiple of {self.multiple_of} from {low} to "
                        f"{self.max}, and there is none (the first is {first})")
        return None


Ref = tuple[str, SourceLoc]  # a `from:` reference: a layer name and where it is written


@dataclass(frozen=True)
class LayerDecl:
    kind: str                 # canonical kind name (aliases resolved)
    args: tuple[tuple[str, object], ...]   # every parameter, defaults filled in
    arg_locs: tuple[tuple[str, SourceLoc], ...]  # where each written argument is
    loc: SourceLoc            # where the layer's list item starts
    name: str | None = None   # as written; None: named automatically
    sources: tuple[Ref, ...] = ()  # `from:` — read these layers instead of the previous one
    path: Ref | None = None   # `path:` — its module's path in its scope (names.module_path)

    def arg(self, name: str):
        return dict(self.args)[name]


@dataclass(frozen=True)
class BlockUse:
    """`- basic: {out: 128, stride: 2}` — an instance of a block defined under `blocks:`."""

    block: str
    args: tuple[tuple[str, object, SourceLoc], ...]  # see params.arg_value for the types
    loc: SourceLoc
    name: str | None = None
    sources: tuple[Ref, ...] = ()
    path: Ref | None = None


@dataclass(frozen=True)
class Residual:
    """H(x) = f(x) + shortcut(x): `layers` is f; the shortcut is a mode or its own layers."""

    items: tuple["Item", ...]
    shortcut: "str | tuple[Item, ...]"  # auto | identity | projection | zeropad | layers
    batchnorm: bool                     # a BatchNorm after a projection (torchvision's)
    loc: SourceLoc
    name: str | None = None
    sources: tuple[Ref, ...] = ()
    path: Ref | None = None
    shortcut_path: Ref | None = None  # the shortcut's module path (a projection's, a list's)


@dataclass(frozen=True)
class Parallel:
    """Branches from one input, merged by channel concatenation (Inception), addition or
    multiplication (a squeeze-and-excitation gate)."""

    branches: tuple[tuple["Item", ...], ...]
    merge: str  # a merge kind's name: concat | add | multiply
    loc: SourceLoc
    name: str | None = None
    sources: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class Repeat:
    """`repeat: N` — N copies of `item`, the first one being `first` (e.g. stride 2). N is
    an expression of block arguments and symbols (`n - 1`), a whole number 0–1,000 once
    they are put in (graph/expand.py)."""

    first: "Item"
    item: "Item"
    count: num.Expr
    loc: SourceLoc
    name: str | None = None
    count_loc: SourceLoc | None = None
    path: Ref | None = None  # the copies' container's path (`features`: features.0, …)


@dataclass(frozen=True)
class ArgItem:
    """`- $act`: the layer kind (or block) a block argument names, with its defaults."""

    arg: num.Symbol            # the argument's placeholder
    loc: SourceLoc
    name: str | None = None
    sources: tuple[Ref, ...] = ()
    path: Ref | None = None


Item = LayerDecl | BlockUse | Residual | Parallel | Repeat | ArgItem


@dataclass(frozen=True)
class BlockDef:
    name: str
    params: tuple[tuple[str, object, SourceLoc], ...]  # name, default (None: required)
    symbols: tuple[tuple[str, num.Symbol], ...]                # each argument's placeholder
    items: tuple[Item, ...]
    loc: SourceLoc
    reads_in: bool = False  # its layers (or its block uses' arguments) read `in`


@dataclass(frozen=True)
class Spec:
    name: str
    input: tuple[num.Expr, ...]          # channels, then 1 or 2 spatial dims
    input_loc: SourceLoc
    symbols: tuple[SymbolDecl, ...]
    layers: tuple[Item, ...]
    source: SourceText
    rounding: str = "cover"
    description: str = ""
    version: int = SPEC_VERSION
    blocks: tuple[BlockDef, ...] = ()
    outputs: tuple[Ref, ...] = ()  # extra outputs (auxiliary heads); the last layer is the first
    # Some `repeat:` count is an expression: the expansion may depend on the symbols' values.
    symbolic_repeats: bool = False

    def block(self, name: str) -> BlockDef | None:
        for b in self.blocks:
            if b.name == name:
                return b
        return None

    @property
    def ndim(self) -> int:
        return len(self.input) - 1

    def symbol_decl(self, name: str) -> SymbolDecl | None:
        for s in self.symbols:
            if s.name == name:
                return s
        return None

    @property
    def defaults(self) -> dict[str, int]:
        return {s.name: s.default for s in self.symbols if s.default is not None}
