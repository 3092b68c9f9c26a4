"""The sliding-window arithmetic of convolution and pooling along one axis.

The seeds' rule (seed 003): a window of size F slid with stride S over an input of W
with P zeros on each side fits (W − F + 2P)/S + 1 times. When that is not an integer the
neurons "do not fit neatly and symmetrically across the input" — an error under the
`exact` rule. PyTorch and Keras floor it silently (`floor`); Caffe and PyTorch's
`ceil_mode=True` round up (`ceil`), dropping a last window that would start in the
right-hand padding (PyTorch's `pooling_output_shape`). Padding may be asymmetric
(lo, hi), and dilation D stretches a kernel K to D·(K − 1) + 1. The size itself is
`axismap.Slide.size` (one copy of the arithmetic); this adds what the diagnostics need.

The default rule, `cover`, is the seeds' rule made precise: the rule exists because
windows that do not tile leave input pixels unseen, so a floored size whose windows still
cover every real input row and column — only padding goes unused, as ResNet's stem at 224
((224 − 7 + 2·3)/2 + 1 = 112.5) — is fine, and one that loses real pixels is an error.

Works on plain ints and on sympy expressions alike (a symbolic W gives a formula).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import num
from ..formula import WindowArith
from .axismap import Slide, truth


@dataclass(frozen=True)
class AxisSize:
    size: num.Expr          # the size the next layer sees (the rounded one under floor/ceil)
    exact: num.Expr         # (W − F + P_lo + P_hi)/S + 1 before any rounding
    formula: WindowArith   # the arithmetic with the values put in
    integral: bool | None  # is `exact` an integer? None when it depends on symbols
    uncovered: num.Expr     # padded rows/columns no window ever covers (under floor)
    uncovered_input: num.Expr  # of those, rows/columns of the input itself (not padding)
    positive: bool | None  # does at least one window fit? None when it depends on symbols


def window_size(W, kernel, stride, pad_lo=0, pad_hi=0, dilation=1,
                rounding: str = "exact") -> AxisSize:
    """Output size of a sliding window along one axis (see module docstring)."""
    W, K, S = num.sympify(W), num.sympify(kernel), num.sympify(stride)
    lo, hi, D = num.sympify(pad_lo), num.sympify(pad_hi), num.sympify(dilation)
    F = D * (K - 1) + 1
    exact = (W + lo + hi - F) / S + 1
    size, _ = Slide(F, S, lo, hi, rounding).size(W)
    if rounding == "exact":
        size = exact  # the diagnostics quote the unrounded value; `slide` floors it
    integral = truth(exact.is_integer)
    covered_end = (size - 1) * S + F  # one past the last input row a window touches
    if rounding == "exact":
        uncovered = uncovered_input = num.Integer(0)
    else:
        uncovered = num.Max(W + lo + hi - covered_end, 0)
        uncovered_input = num.Max(W + lo - covered_end, 0)
    positive = truth(size >= 1) if size.is_number else None
    return AxisSize(size, exact, WindowArith(W, F, S, lo, hi, rounding, exact, size),
                    integral, uncovered, uncovered_input, positive)
