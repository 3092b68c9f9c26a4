"""Upsampling by an integer factor, nearest neighbour: `- upsample: 2` (U-Net's decoder,
GAN generators). Each output cell copies one input cell: W → k·W, no parameters, no MACs
(the convention counts conv and linear only). Its axis map is `axismap.Scale`, whose
stride is the rational 1/k, so the valid-input search and the receptive fields see
through it (a cell's field keeps its size; neighbouring cells step 1/k of an input cell).
"""

from __future__ import annotations

from ..formula import ScaledArith
from .axismap import Scale
from .base import SIZE, Ctx, Facts, LayerKind, Param, Shape, flat_input_error
from .call import Call, dims, kw
from .registry import register


@register
class Upsample(LayerKind):
    name = "upsample"
    aliases = ("upsampling", "upsample_nearest", "upsampling2d")
    category = "resampling"
    torch = "nn.Upsample(scale_factor=k, mode='nearest')"
    summary = "nearest-neighbour upsampling by an integer factor per spatial dim"
    name_prefix = "up"
    shorthand = "scale"
    params = (Param("scale", SIZE, 2, "the factor k, or one per spatial dim"),)

    def maps(self):
        return tuple(Scale(k) for k in self.scale)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx, "upsample before `flatten`")
        out = tuple(m.size(W)[0] for m, W in zip(self.maps(), x.dims))
        factor = dims(tuple(float(k) for k in self.scale))
        return Facts(Shape(x.c, out),
                     formulas=tuple(ScaledArith(W, k, d) for W, k, d in
                                    zip(x.dims, self.scale, out)),
                     call=Call("nn.Upsample", (), (("scale_factor", factor),) +
                               kw(mode=("nearest", "nearest"))))
