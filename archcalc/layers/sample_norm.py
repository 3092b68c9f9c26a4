"""Normalisation within each sample: LayerNorm, GroupNorm and InstanceNorm.

Unlike BatchNorm (`norm.py`), these take their statistics from one sample, never the batch:

- `layernorm` normalises the C channels at every position — ConvNeXt's channels-first
  LayerNorm2d (torchvision/models/convnext.py: permute to N×H×W×C, nn.LayerNorm(C),
  permute back); on a flat vector it is nn.LayerNorm(C). A scale and a shift per channel
  (2·C trainable; C without the shift, `bias: false`), no buffers.
- `groupnorm` normalises each of `groups` groups of C/groups channels over the group and
  every position (Wu & He, 2018; nn.GroupNorm): 2·C trainable when `affine`.
- `instancenorm` normalises each channel over its positions (Ulyanov et al., 2016;
  nn.InstanceNorm1d/2d/3d), PyTorch's defaults: no affine, no running statistics; with
  `affine` 2·C trainable, with `track_running_stats` 2·C buffers (the counter
  `num_batches_tracked` is not counted, as for BatchNorm).

None counts MACs: FlopCounterMode counts no normalisation (aten.native_layer_norm,
native_group_norm and native_batch_norm are not in its table, torch 2.13). eps defaults to
PyTorch's 1e-5 (ConvNeXt writes 1e-6).
"""

from __future__ import annotations

from .. import num
from .base import (
    BOOL,
    COUNT,
    FLOAT,
    POSITIVE,
    Ctx,
    Facts,
    LayerKind,
    Param,
    Saved,
    Shape,
    flat_input_error,
)
from .call import Call, kw, nd
from .registry import register

EPS = Param("eps", POSITIVE, 1e-5, "added to the variance")
DIVISORS_SHOWN = 10**6  # list the divisors of a channel count up to this (sympy.divisors)


@register
class LayerNorm(LayerKind):
    name = "layernorm"
    aliases = ("layer_norm", "ln", "layernorm2d")
    category = "normalization"
    torch = "nn.LayerNorm(C) over the channels (archcalc.reference.helpers.LayerNorm2d)"
    summary = "layer normalisation over the channels at every position (ConvNeXt)"
    name_prefix = "ln"
    params = (EPS, Param("affine", BOOL, True, "learn a scale per channel "
                         "(nn.LayerNorm's elementwise_affine)"),
              Param("bias", BOOL, True, "and a shift per channel (with `affine`)"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        own = kw(eps=(float(self.eps), 1e-5), elementwise_affine=(self.affine, True),
                 bias=(self.bias, True))
        target = "nn.LayerNorm" if x.flat else \
            "LayerNorm2d" if len(x.dims) == 2 else "ChannelLayerNorm"
        trainable = x.c * ((1 + self.bias) if self.affine else 0)
        return Facts(x, trainable=trainable, call=Call(target, (x.c,), own))

    def saved(self, xs, y):
        # the input, and a mean and an inverse std per position (fp32)
        return (Saved("input"), Saved("new", 2 * num.Mul(*xs[0].dims), 4))


@register
class GroupNorm(LayerKind):
    name = "groupnorm"
    aliases = ("group_norm", "gn")
    category = "normalization"
    torch = "nn.GroupNorm"
    summary = "group normalisation: channels in `groups` groups, per sample"
    name_prefix = "gn"
    shorthand = "groups"
    params = (Param("groups", COUNT, doc="number of groups G (C must be divisible by it)"),
              EPS, Param("affine", BOOL, True, "learn a scale and shift per channel"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x, g = xs[0], self.groups
        rem = num.Mod(x.c, g)
        if rem.is_number and rem != 0:
            divisors = f": {', '.join(map(str, num.divisors(x.c)))}" \
                if x.c <= DIVISORS_SHOWN else ""
            return Facts(x, findings=(ctx.error(
                f"groupnorm: {x.c} channels do not split into {g} groups: "
                f"{x.c} = {x.c // g}·{g} + {rem}",
                f"choose groups among the divisors of {x.c}{divisors}",
                param="groups", code="groups"),), fatal=True)
        return Facts(x, trainable=2 * x.c if self.affine else 0, call=Call(
            "nn.GroupNorm", (g, x.c), kw(eps=(float(self.eps), 1e-5),
                                         affine=(self.affine, True))))

    def saved(self, xs, y):
        return (Saved("input"), Saved("new", 2 * self.groups, 4))  # mean, inverse std


@register
class InstanceNorm(LayerKind):
    name = "instancenorm"
    aliases = ("instance_norm", "instancenorm1d", "instancenorm2d", "instancenorm3d")
    category = "normalization"
    torch = "nn.InstanceNorm1d / nn.InstanceNorm2d / nn.InstanceNorm3d"
    summary = "instance normalisation: each channel of each sample over its positions"
    name_prefix = "inorm"
    params = (EPS, Param("momentum", FLOAT, 0.1, "running-statistics momentum"),
              Param("affine", BOOL, False, "learn a scale and shift per channel"),
              Param("track_running_stats", BOOL, False, "keep running mean and variance"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:  # nn.InstanceNorm1d would read N×C as one unbatched C×L sample
            return flat_input_error(self.name, x, ctx, "normalise before `flatten`, or use "
                                    "`layernorm`")
        return Facts(x, trainable=2 * x.c if self.affine else 0,
                     buffers=2 * x.c if self.track_running_stats else 0,
                     call=Call(nd("nn.InstanceNorm", len(x.dims)), (x.c,), kw(
                         eps=(float(self.eps), 1e-5), momentum=(float(self.momentum), 0.1),
                         affine=(self.affine, False),
                         track_running_stats=(self.track_running_stats, False))))

    def saved(self, xs, y):
        # PyTorch runs batch norm on the input seen as 1×(N·C)×…: it keeps the input, a
        # mean and inverse std per channel, and per-sample copies of the weight (affine)
        # and of the running mean and variance (tracked), fp32 (measured, torch 2.13 CPU)
        per_channel = 2 + self.affine + 2 * self.track_running_stats
        return (Saved("input"), Saved("new", per_channel * xs[0].c, 4))
