"""What a modern residual branch adds before its sum: a layer scale and stochastic depth.

- `layer_scale` multiplies each channel by a learned γ (Touvron et al., 2021, "Going
  deeper with image transformers"; ConvNeXt's `layer_scale`, torchvision/models/
  convnext.py: an nn.Parameter of shape (C, 1, 1) filled with 1e-6): C trainable, no MACs
  (FlopCounterMode counts no aten.mul).
- `drop_path` (alias `stochastic_depth`) zeroes a whole sample's branch with probability p
  while training and scales the survivors by 1/(1 − p) (Huang et al., 2016;
  torchvision.ops.StochasticDepth: mode `row` draws per sample, `batch` once for the
  batch). The identity in eval mode; nothing to count.
"""

from __future__ import annotations

from .. import num
from .base import CHOICE, FLOAT, PROB, Ctx, Facts, LayerKind, Param, Saved, Shape
from .call import Call, kw
from .registry import register


@register
class LayerScale(LayerKind):
    name = "layer_scale"
    aliases = ("layerscale",)
    category = "elementwise"
    torch = "archcalc.reference.helpers.LayerScale (γ · x, γ of shape (C, 1, 1))"
    summary = "a learned scale per channel (ConvNeXt, CaiT): C parameters"
    name_prefix = "layer_scale"
    shorthand = "init"
    params = (Param("init", FLOAT, 1e-6, "the scales' initial value (ConvNeXt: 1e-6)"),)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        return Facts(x, trainable=x.c, call=Call("LayerScale", (x.c,), kw(
            init=(float(self.init), 1e-6), ndim=(len(x.dims), 2))))

    def saved(self, xs, y):
        return (Saved("input"),)  # and γ, a parameter


@register
class DropPath(LayerKind):
    name = "drop_path"
    aliases = ("stochastic_depth", "droppath")
    category = "regularization"
    torch = "archcalc.reference.helpers.StochasticDepth (torchvision.ops.StochasticDepth)"
    summary = "stochastic depth: drop a residual branch per sample while training"
    name_prefix = "drop_path"
    shorthand = "p"
    params = (Param("p", PROB, doc="probability of dropping the branch"),
              Param("mode", CHOICE, "row", "row: one draw per sample; batch: one per batch",
                    choices=("row", "batch")))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        return Facts(xs[0], call=Call("StochasticDepth", (float(self.p), self.mode)))

    def saved(self, xs, y):
        # the 0-or-1/(1 − p) noise, one value per sample (row) or per batch (measured)
        if self.p == 0:
            return ()
        return (Saved("new", num.Integer(1), batched=self.mode == "row"),)
