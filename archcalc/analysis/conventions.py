"""FLOP-counting conventions. Tools disagree; archcalc states which one it uses.

MACs (multiply-accumulates) are always those of conv and linear layers:
Σ conv C_out·(C_in/groups)·K_h·K_w·H_out·W_out + Σ linear in·out — bias adds, batch norm,
activations, pooling, normalisation, residual adds and gating products are not in it. The convention decides FLOPs:
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    name: str
    flops_per_mac: int
    text: str


CONVENTIONS = {
    "torch": Convention("torch", 2, "FLOPs = 2 × MACs of conv and linear layers, as "
                        "torch.utils.flop_counter.FlopCounterMode counts (bias, normalisation, "
                        "activations, pooling, adds and products not counted)"),
    "macs": Convention("macs", 1, "FLOPs = MACs: one multiply-add counts as one FLOP, as fvcore, "
                       "thop and torchinfo's 'Mult-Adds' report them (conv and linear only)"),
}
DEFAULT = "torch"
