"""A module construction as data: `Call("nn.Conv2d", (3, 96, 11), (("stride", 4),))`.

Each layer kind describes its PyTorch counterpart as a `Call` (plain data: the core never
imports torch), so one description serves both ways a spec becomes PyTorch: the reference
package instantiates it (`build`) or prints it as Python (`compile`). Values are plain
numbers, strings, tuples, nested Calls, or sympy expressions — integers when the spec is
bound, expressions of a block's arguments inside a generated block class. PyTorch's
defaults are left out (`kw`), so generated code reads as a person would write it. A
setting PyTorch cannot express is a `NoCounterpart` with the reason, never a substitute.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    target: str                                # "nn.Conv2d", or a helper class's name
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class NoCounterpart:
    """Why a layer, as written, has no PyTorch module (said where it is compiled)."""

    reason: str


def kw(**pairs) -> tuple:
    """Keyword arguments from name=(value, PyTorch's default), dropping the defaults."""
    return tuple((k, v) for k, (v, default) in pairs.items() if v != default)


def dims(values: tuple):
    """One value when every axis has it (kernel_size=3), else the tuple ((3, 5))."""
    return values[0] if len(set(values)) == 1 else tuple(values)


def nd(base: str, ndim: int) -> str:
    """nn.Conv1d / nn.Conv2d / nn.Conv3d by the number of spatial dims."""
    return f"{base}{ndim}d"
