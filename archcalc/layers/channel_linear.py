"""A linear layer over the channels at every position: `- channel_linear: {out: 384}`.

ConvNeXt's pointwise layers (Liu et al., 2022; torchvision/models/convnext.py's CNBlock)
are `nn.Linear` applied to a channels-last tensor between two permutes. Its arithmetic is a
1×1 convolution's — C_in · out weights plus `out` biases, C_in · out MACs per position,
FlopCounterMode counting the linear's matrix product as the convolution's — but its weight
is the Linear's (out, C_in), not a convolution's (out, C_in, 1, 1), so a model written with
it loads such a model's state_dict. A kind on top of `conv`, as tinygrad's ConvTranspose2d
is on top of Conv2d: the counts are conv's with kernel 1; the counterpart differs.
"""

from __future__ import annotations

from .. import num
from .base import BOOL, COUNT, Ctx, Facts, Param, Shape, flat_input_error
from .call import Call, kw
from .conv import Conv
from .registry import register


@register
class ChannelLinear(Conv):
    name = "channel_linear"
    aliases = ("pointwise_linear",)
    category = "linear"
    torch = "archcalc.reference.helpers.ChannelLinear (nn.Linear over the channel axis)"
    summary = "a Linear over the channels at each position (ConvNeXt): a 1×1 conv's counts"
    name_prefix = "channel_linear"
    shorthand = "out"
    params = (Param("out", COUNT, doc="output channels"),
              Param("bias", BOOL, True, "add a learned bias per output channel"))

    @classmethod
    def normalise(cls, values: dict, ndim: int, rounding: str) -> dict:
        # a 1×1 convolution: no stride, padding, dilation or groups
        one = (num.Integer(1),) * ndim
        return super().normalise({**values, "kernel": one, "stride": one, "padding": 0,
                                  "dilation": one, "groups": 1, "padding_mode": "zeros",
                                  "rounding": None}, ndim, rounding)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        if xs[0].flat:
            return flat_input_error(self.name, xs[0], ctx, "a flat input takes `linear`")
        return super().infer(xs, ctx)

    def module(self, in_channels, pads) -> Call:
        return Call("ChannelLinear", (in_channels, self.out), kw(bias=(self.bias, True)))
