"""What `archcalc verify` found: the calculator's figures beside PyTorch's, layer by layer.

Plain data, no torch: reference/verify.py builds it (it needs torch), and the CLI and the
TUI show it through one renderer (render/verify_text.py), which must not load torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceLoc


@dataclass(frozen=True)
class LayerCheck:
    name: str
    kind: str
    shape: tuple[tuple[int, ...], tuple[int, ...]]  # (calculator, PyTorch)
    params: tuple[int, int]
    buffers: tuple[int, int]
    flops: tuple[int, int]
    loc: SourceLoc | None = None  # the layer's place in the spec

    @property
    def ok(self) -> bool:
        return all(a == b for a, b in (self.shape, self.params, self.buffers, self.flops))


@dataclass(frozen=True)
class Verification:
    name: str
    layers: tuple[LayerCheck, ...]
    totals: tuple[tuple[str, int, int], ...]  # (what, calculator, PyTorch)
    error: str = ""  # PyTorch's own error, when the forward pass failed part-way

    @property
    def first_mismatch(self) -> LayerCheck | None:
        return next((c for c in self.layers if not c.ok), None)

    @property
    def ok(self) -> bool:
        return not self.error and self.first_mismatch is None and \
            all(a == b for _, a, b in self.totals)
