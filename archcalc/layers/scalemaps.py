"""The axis maps of layers that grow an axis or resize it: a transposed convolution
(stride 1/S), a resampling to a fixed size, and one to another layer's size. The base
class, the contract (`size`, `field`, `stride`, `ints`) and the valid-input proof each map
must satisfy are in `axismap.py`, beside the sliding windows and `Scale` (a factor k).

Receptive fields use `Scale`'s convention for every fractional stride: the jump divides
by the factor, a unit's centre is its output cell's centre mapped back into the input
(PyTorch's align_corners=False geometry), and the size grows by the neighbouring input
units a unit reads, less one, times the input's jump.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import num
from .axismap import HALF, ONE, ZERO, AxisMap, Fixed, RField, _int, ceil_div, resized


@dataclass(frozen=True)
class Transposed(AxisMap):
    """A transposed convolution (PyTorch's ConvTranspose): W → (W − 1)·S − 2P + F + E, with
    F = D·(K − 1) + 1 the dilated kernel and E the output padding. Affine in W with slope
    S, so every size is whole, the map is monotone, and W → W + M/S shifts the output by
    M: the stride is 1/S.

    Receptive field (the stride-1/S convention of Araujo et al., Distill 2019, and
    torchscan: a transposed convolution is a convolution of stride 1 over the input with
    S − 1 zeros put between its cells): output o reads the inputs i with
    i·S ∈ [o + P − (F − 1), o + P], at most ⌈F/S⌉ consecutive ones (exactly that many for
    some o when D = 1; an upper bound with dilation), so r' = r + (⌈F/S⌉ − 1)·j; the jump is
    j/S and output 0's centre, (P − (F − 1)/2)/S input cells from input 0's."""

    F: object = ONE
    S: object = ONE
    P: object = ZERO
    E: object = ZERO  # output_padding

    @property
    def stride(self):
        return num.Integer(1) / self.S

    def size(self, W):
        return (W - 1) * self.S - 2 * self.P + self.F + self.E, True

    def field(self, rf: RField, W) -> RField:
        if rf.whole:
            return rf
        reads = ceil_div(self.F, self.S)
        jump = rf.jump / num.sympify(self.S)
        return RField(rf.size + (reads - 1) * rf.jump, jump,
                      rf.start + (self.P - (self.F - 1) * HALF) * jump)

    def shift(self):
        if self.S != 1:
            return None
        return self.F + self.E - 2 * self.P - 1  # W − 1 − 2P + F + E

    def ints(self) -> Transposed:
        return Transposed(*(_int(v) for v in (self.F, self.S, self.P, self.E)))


@dataclass(frozen=True)
class Resize(Fixed):
    """A resampling to `out` cells whatever the input (`upsample: {size: …}`): like
    adaptive pooling it ends the axis's dependence on W, but each unit still reads `taps`
    neighbouring input units, W/out apart (or (W − 1)/(out − 1) with align_corners)."""

    taps: int = 1
    align_corners: bool = False

    def field(self, rf: RField, W) -> RField:
        return resized(rf, W, self.out, self.taps, self.align_corners)

    def ints(self) -> Resize:
        return Resize(_int(self.out), self.taps, self.align_corners)


@dataclass(frozen=True)
class Like(AxisMap):
    """A resampling to another layer's size (`upsample: {like: NAME}`, a segmentation
    head's return to the input's resolution): the output size is the second input's, so
    the valid-input search copies that size (`follows`), and every size is whole. `W` and
    `out` are this layer's sizes, known once its inputs' shapes are (the analysis takes the
    map from `Facts.maps`); they serve the receptive field and the shortcut's stride only,
    never the search, so the map counts as concrete whatever they are."""

    W: object = None
    out: object = None
    taps: int = 1
    align_corners: bool = False
    follows = 1

    @property
    def stride(self):
        if self.W is None or self.out is None:
            return ONE
        return num.sympify(self.W) / self.out

    def size(self, W):
        return self.out, True

    def field(self, rf: RField, W) -> RField:
        if self.out is None:
            return rf
        return resized(rf, W, self.out, self.taps, self.align_corners)

    def concrete(self) -> bool:
        return True
