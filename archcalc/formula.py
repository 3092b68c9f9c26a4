"""The arithmetic behind a size, as data: what the table writes in the seeds' notation
(⌊(227 − 11 + 2·0)/4⌋ + 1 = 55) and the JSON in sympy's ASCII dialect. The calculator
fills these in; `notation.py` turns them into text, for the renderers and the
diagnostics that quote them.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import num


@dataclass(frozen=True)
class WindowArith:
    """(W − F + lo + hi)/S + 1 under a rounding rule: `size` is what the next layer sees,
    `exact` the value before rounding."""

    W: num.Expr
    F: num.Expr
    S: num.Expr
    lo: num.Expr
    hi: num.Expr
    rounding: str
    exact: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class StridedArith:
    """⌊(W − 1)/S⌋ + 1: a 1×1 projection with the body's stride (a shortcut)."""

    W: num.Expr
    S: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class CeilArith:
    """⌈W/S⌉: a zero-padding shortcut's subsampling."""

    W: num.Expr
    S: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class FixedArith:
    """W → size whatever W is (global and adaptive pooling)."""

    W: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class ChannelSum:
    """A concatenation's channels: c₁ + c₂ + … = total."""

    terms: tuple[num.Expr, ...]
    total: num.Expr


@dataclass(frozen=True)
class Flattened:
    """C×H×W = C·H·W features (`dims` empty: already flat)."""

    c: num.Expr
    dims: tuple[num.Expr, ...]
    features: num.Expr


@dataclass(frozen=True)
class ScaledArith:
    """k·W: upsampling by a factor (⌊k·W⌋ when k is a fraction, as PyTorch floors)."""

    W: num.Expr
    k: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class DividedArith:
    """W/k: pixel unshuffle (an error unless k divides W; `size` is the exact quotient)."""

    W: num.Expr
    k: num.Expr
    size: num.Expr


@dataclass(frozen=True)
class TransposedArith:
    """(W − 1)·S − 2P + D·(K − 1) + E + 1: a transposed convolution (E: output padding)."""

    W: num.Expr
    S: num.Expr
    P: num.Expr
    D: num.Expr
    K: num.Expr
    E: num.Expr
    size: num.Expr
