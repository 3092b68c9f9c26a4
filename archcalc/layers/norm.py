"""Normalisation: batch normalisation and local response normalisation.

BatchNorm learns a scale and a shift per channel (2·C trainable, when `affine`) and keeps
a running mean and variance (2·C non-trainable buffers, when `track_running_stats`;
PyTorch's `num_batches_tracked` counter is not counted). LRN (AlexNet, and ZFNet's
"local contrast normalization") has no parameters. Neither counts MACs by the convention.
"""

from __future__ import annotations

import sympy as sp

from .base import BOOL, COUNT, FLOAT, Ctx, Facts, LayerKind, Param, Saved, Shape
from .registry import register


@register
class BatchNorm(LayerKind):
    name = "batchnorm"
    aliases = ("bn", "batch_norm", "batchnorm1d", "batchnorm2d")
    category = "normalization"
    torch = "nn.BatchNorm1d / nn.BatchNorm2d"
    summary = "batch normalisation per channel"
    name_prefix = "bn"
    params = (Param("eps", FLOAT, 1e-5, "added to the variance"),
              Param("momentum", FLOAT, 0.1, "running-statistics momentum"),
              Param("affine", BOOL, True, "learn a scale and shift per channel"),
              Param("track_running_stats", BOOL, True, "keep running mean and variance"))

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        return Facts(x, trainable=2 * x.c if args["affine"] else 0,
                     buffers=2 * x.c if args["track_running_stats"] else 0)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        # the input, and the batch's mean and inverse std (fp32, one per channel)
        return (Saved("input"), Saved("new", 2 * x.c, 4, batched=False))


@register
class LocalResponseNorm(LayerKind):
    name = "lrn"
    aliases = ("local_response_norm", "localresponsenorm")
    category = "normalization"
    torch = "nn.LocalResponseNorm"
    summary = "local response normalisation across neighbouring channels (AlexNet)"
    name_prefix = "lrn"
    shorthand = "size"
    params = (Param("size", COUNT, 5, "neighbouring channels n"),
              Param("alpha", FLOAT, 1e-4, "scale α"), Param("beta", FLOAT, 0.75, "exponent β"),
              Param("k", FLOAT, 1.0, "additive constant k (AlexNet: 2)"))

    @classmethod
    def infer(cls, args: dict, x: Shape, ctx: Ctx) -> Facts:
        return Facts(x)

    @classmethod
    def saved(cls, args: dict, x: Shape, y: Shape):
        # PyTorch composes LRN from pow, a padded avg_pool3d, mul and div: the input, the
        # channel-padded squares (C + size − 1 planes) and two input-sized intermediates.
        planes = (x.c + args["size"] - 1) * sp.Mul(*x.dims)
        return (Saved("input"), Saved("new", planes), Saved("new", 2 * x.numel))
