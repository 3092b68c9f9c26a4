"""Normalisation: batch normalisation and local response normalisation.

BatchNorm learns a scale and a shift per channel (2·C trainable, when `affine`) and keeps
a running mean and variance (2·C non-trainable buffers, when `track_running_stats`;
PyTorch's `num_batches_tracked` counter is not counted). LRN (AlexNet, and ZFNet's
"local contrast normalization") has no parameters. Neither counts MACs by the convention.
"""

from __future__ import annotations

from .. import num
from .base import BOOL, COUNT, FLOAT, Ctx, Facts, LayerKind, Param, Saved, Shape
from .call import Call, kw, nd
from .registry import register


@register
class BatchNorm(LayerKind):
    name = "batchnorm"
    aliases = ("bn", "batch_norm", "batchnorm1d", "batchnorm2d", "batchnorm3d")
    category = "normalization"
    torch = "nn.BatchNorm1d / nn.BatchNorm2d / nn.BatchNorm3d"
    summary = "batch normalisation per channel"
    name_prefix = "bn"
    params = (Param("eps", FLOAT, 1e-5, "added to the variance"),
              Param("momentum", FLOAT, 0.1, "running-statistics momentum"),
              Param("affine", BOOL, True, "learn a scale and shift per channel"),
              Param("track_running_stats", BOOL, True, "keep running mean and variance"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        return Facts(x, trainable=2 * x.c if self.affine else 0,
                     buffers=2 * x.c if self.track_running_stats else 0,
                     call=Call(nd("nn.BatchNorm", max(len(x.dims), 1)), (x.c,), kw(
                         eps=(float(self.eps), 1e-5), momentum=(float(self.momentum), 0.1),
                         affine=(self.affine, True),
                         track_running_stats=(self.track_running_stats, True))))

    def saved(self, xs, y):
        # the input, and the batch's mean and inverse std (fp32, one per channel)
        return (Saved("input"), Saved("new", 2 * xs[0].c, 4, batched=False))


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

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        return Facts(xs[0], call=Call("nn.LocalResponseNorm", (self.size,), kw(
            alpha=(float(self.alpha), 1e-4), beta=(float(self.beta), 0.75),
            k=(float(self.k), 1.0))))

    def saved(self, xs, y):
        # PyTorch composes LRN from pow, a padded avg_pool3d, mul and div: the input, the
        # channel-padded squares (C + size − 1 planes) and two input-sized intermediates.
        x = xs[0]
        planes = (x.c + self.size - 1) * num.Mul(*x.dims)
        return (Saved("input"), Saved("new", planes), Saved("new", 2 * x.numel))
