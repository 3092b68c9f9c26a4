"""The arithmetic behind a size, as data: what the table writes in the seeds' notation
(⌊(227 − 11 + 2·0)/4⌋ + 1 = 55) and the JSON in sympy's ASCII dialect. The calculator
fills these in; `notation.py` turns them into text, for the renderers and the
diagnostics that quote them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class WindowArith:
    """(W − F + lo + hi)/S + 1 under a rounding rule: `size` is what the next layer sees,
    `exact` the value before rounding."""

    W: sp.Expr
    F: sp.Expr
    S: sp.Expr
    lo: sp.Expr
    hi: sp.Expr
    rounding: str
    exact: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class StridedArith:
    """⌊(W − 1)/S⌋ + 1: a 1×1 projection with the body's stride (a shortcut)."""

    W: sp.Expr
    S: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class CeilArith:
    """⌈W/S⌉: a zero-padding shortcut's subsampling."""

    W: sp.Expr
    S: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class FixedArith:
    """W → size whatever W is (global and adaptive pooling)."""

    W: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class ChannelSum:
    """A concatenation's channels: c₁ + c₂ + … = total."""

    terms: tuple[sp.Expr, ...]
    total: sp.Expr


@dataclass(frozen=True)
class Flattened:
    """C×H×W = C·H·W features (`dims` empty: already flat)."""

    c: sp.Expr
    dims: tuple[sp.Expr, ...]
    features: sp.Expr


@dataclass(frozen=True)
class ScaledArith:
    """k·W: upsampling by a factor (⌊k·W⌋ when k is a fraction, as PyTorch floors)."""

    W: sp.Expr
    k: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class DividedArith:
    """W/k: pixel unshuffle (an error unless k divides W; `size` is the exact quotient)."""

    W: sp.Expr
    k: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class TransposedArith:
    """(W − 1)·S − 2P + D·(K − 1) + E + 1: a transposed convolution (E: output padding)."""

    W: sp.Expr
    S: sp.Expr
    P: sp.Expr
    D: sp.Expr
    K: sp.Expr
    E: sp.Expr
    size: sp.Expr
