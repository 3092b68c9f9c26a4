"""The analysis of a network: plain immutable data that every renderer reads.

Nothing here computes but `Members`, which lists a group's layers when asked;
`analyze.py` fills these in. Numbers are sympy expressions: Integers when the input is
bound, formulas in the input's symbols when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .. import num
from ..errors import Diagnostic, SourceLoc
from ..layers.axismap import AxisMap
from ..layers.base import LayerKind, Shape, Sharing
from ..layers.call import Call, NoCounterpart


class LayerRow(NamedTuple):
    """One layer's figures. A named tuple, not a frozen dataclass: one is made per layer,
    and a frozen dataclass of 22 fields sets each through object.__setattr__ (4.4 against
    0.8 µs a row on Python 3.11; issue 13's 0.1 ms a layer)."""

    name: str
    kind: str
    loc: SourceLoc
    inputs: tuple[str, ...]
    in_shape: Shape | None            # None: not computed (an earlier layer failed)
    out_shape: Shape | None
    formulas: tuple = ()              # the arithmetic as data (archcalc/formula.py)
    trainable: num.Expr = num.Integer(0)
    buffers: num.Expr = num.Integer(0)  # non-trainable (BatchNorm running statistics)
    macs: num.Expr = num.Integer(0)
    flops: num.Expr = num.Integer(0)    # by the analysis' convention
    activations: num.Expr = num.Integer(0)  # output elements
    sharing: Sharing | None = None    # a convolution's weight-sharing figures (seed 003)
    maps: tuple[AxisMap, ...] | None = None  # how each spatial axis maps through it
    call: Call | NoCounterpart | None = None  # its PyTorch counterpart
    status: str = "ok"  # ok | warning | error | skipped
    args: tuple[tuple[str, object], ...] = ()  # the arguments with symbols put in
    receptive: tuple | None = None  # one RField per spatial axis of the input
    groups: tuple[str, ...] = ()    # the block/branch paths it sits in, outermost first
    refs: tuple[str, ...] = ()
    layer: LayerKind | None = None  # the layer kind's instance (None: arguments invalid)
    view: bool = False              # its output is its input tensor (no new memory)

    @property
    def connections(self):
        return self.sharing.connections if self.sharing else None

    @property
    def unshared_params(self):
        return self.sharing.unshared_params if self.sharing else None

    @property
    def dense_params(self):
        return self.sharing.dense_params if self.sharing else None

    @property
    def local_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def params(self) -> num.Expr:
        """PyTorch's parameter count — sum(p.numel() for p in model.parameters()), as
        torchinfo, torchvision and the papers count — so buffers (BatchNorm's running
        statistics) are not in it: they are state, counted apart as `buffers`."""
        return self.trainable


@dataclass(frozen=True)
class Totals:
    trainable: num.Expr
    buffers: num.Expr
    macs: num.Expr
    flops: num.Expr
    activations: num.Expr

    @property
    def params(self) -> num.Expr:
        """PyTorch's parameter count — sum(p.numel() for p in model.parameters()), as
        torchinfo, torchvision and the papers count — so buffers (BatchNorm's running
        statistics) are not in it: they are state, counted apart as `buffers`."""
        return self.trainable


@dataclass(frozen=True)
class GroupSummary:
    """A block instance, repeat or branch: its layers' totals, for the tree view."""

    path: str
    kind: str
    loc: SourceLoc
    depth: int
    out_shape: Shape | None
    trainable: num.Expr
    buffers: num.Expr
    macs: num.Expr
    flops: num.Expr
    activations: num.Expr
    status: str
    members: Members | None = field(default=None, compare=False, repr=False)

    @property
    def rows(self) -> tuple[str, ...]:
        """The names of its layers, in order — looked up when asked: listed for every
        group, they would be ~30 names a layer in a deep network, which nothing needs."""
        return self.members.of(self.path) if self.members is not None else ()

    @property
    def params(self) -> num.Expr:
        """PyTorch's parameter count — sum(p.numel() for p in model.parameters()), as
        torchinfo, torchvision and the papers count — so buffers (BatchNorm's running
        statistics) are not in it: they are state, counted apart as `buffers`."""
        return self.trainable

    @property
    def local_name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


class Members:
    """Which layers each group holds, from the rows' group paths, worked out once on the
    first question (one pass over the rows)."""

    def __init__(self, rows: tuple[LayerRow, ...]):
        self._rows = rows
        self._of: dict[str, tuple[str, ...]] | None = None

    def of(self, path: str) -> tuple[str, ...]:
        if self._of is None:
            lists: dict[str, list[str]] = {}
            for r in self._rows:
                for p in r.groups:
                    lists.setdefault(p, []).append(r.name)
            self._of = {p: tuple(names) for p, names in lists.items()}
        return self._of.get(path, ())


@dataclass(frozen=True)
class OutputTotals:
    """What one output depends on — e.g. a network without its auxiliary head."""

    name: str
    totals: Totals


@dataclass(frozen=True)
class AxisValidity:
    """The input sizes for which every layer fits, along one or more input axes that
    share a symbol: {v : v ≥ minimum, v mod modulus ∈ residues} (and ≤ maximum)."""

    symbol: str
    axes: tuple[str, ...]
    modulus: int
    residues: tuple[int, ...]
    minimum: int
    maximum: int | None
    smallest: int | None          # the smallest size that fits; None: none does
    current: int | None           # the size this analysis used, if bound
    nearest: tuple[int, ...] = ()  # nearest fitting sizes around `current` when it fails
    text: str = ""
    reason: str = ""              # why the set could not be computed, if it could not

    @property
    def current_fits(self) -> bool | None:
        if self.current is None or self.reason:
            return None
        return self.contains(self.current)

    def contains(self, v: int) -> bool:
        return (v >= self.minimum and (self.maximum is None or v <= self.maximum)
                and v % self.modulus in self.residues)


@dataclass(frozen=True)
class Analysis:
    name: str
    file: str
    input_shape: Shape
    bindings: tuple[tuple[str, int], ...]
    free_symbols: tuple[str, ...]
    rows: tuple[LayerRow, ...]
    findings: tuple[Diagnostic, ...]
    totals: Totals
    convention: str
    convention_text: str
    rounding: str
    valid_inputs: tuple[AxisValidity, ...] = ()
    groups: tuple[GroupSummary, ...] = ()
    outputs: tuple[OutputTotals, ...] = ()  # one per output when there are several
    # Each block instance's `in` (graph.values) and the channels it stands for, for what
    # reads block arguments after the analysis (the code generator's block calls).
    channels: tuple[tuple[num.Symbol, num.Expr], ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.findings)

    @property
    def symbolic(self) -> bool:
        return bool(self.free_symbols)

    def row(self, name: str) -> LayerRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)
