"""Global and adaptive pooling: output sizes fixed whatever the input size.

Global pooling reduces each channel to one value (seed 003: n_h × n_w × n_c becomes
1 × 1 × n_c); the result keeps its 1×1 (1×1×1 in 3-D) spatial dims, as PyTorch's
AdaptiveAvgPool2d(1) (AdaptiveAvgPool3d(1)) does, so a `flatten` comes before a linear
layer. Adaptive pooling (torchvision's AlexNet and VGG) produces `output_size` cells
whatever the input. No parameters, no MACs.
"""

from __future__ import annotations

from .. import num
from ..formula import FixedArith
from .axismap import Fixed
from .base import OUTPUT_SIZE, Ctx, Facts, LayerKind, Param, Saved, Shape, flat_input_error
from .call import Call, dims, nd
from .registry import register


class _Fixed(LayerKind):
    category = "pooling"
    name_prefix = "pool"
    adaptive = "nn.AdaptiveAvgPool"

    def sizes(self) -> tuple:
        return (num.Integer(1),) * self.ndim

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx)
        out = self.sizes()
        return Facts(Shape(x.c, out), formulas=tuple(FixedArith(W, s) for W, s in zip(x.dims, out)),
                     call=Call(nd(self.adaptive, self.ndim), (dims(out),)))

    def maps(self):
        return tuple(Fixed(s) for s in self.sizes())


@register
class GlobalAvgPool(_Fixed):
    name = "global_avgpool"
    aliases = ("gap", "global_avg_pool", "globalavgpool", "global_average_pooling")
    torch = "nn.AdaptiveAvgPool1d/2d/3d(1)"
    summary = "global average pooling: each channel to its mean (C×1×1, C×1×1×1 in 3-D)"


class _MaxSaves:
    adaptive = "nn.AdaptiveMaxPool"

    def saved(self, xs, y):
        return (Saved("input"), Saved("new", y.numel, 8))  # and the argmax, int64


@register
class GlobalMaxPool(_MaxSaves, _Fixed):
    name = "global_maxpool"
    aliases = ("gmp", "global_max_pool", "globalmaxpool", "global_max_pooling")
    torch = "nn.AdaptiveMaxPool1d/2d/3d(1)"
    summary = "global max pooling: each channel to its maximum (C×1×1)"


class _Adaptive(_Fixed):
    shorthand = "output_size"
    params = (Param("output_size", OUTPUT_SIZE, doc="output cells, or one per spatial dim"),)

    def sizes(self) -> tuple:
        return self.output_size


@register
class AdaptiveAvgPool(_Adaptive):
    name = "adaptive_avgpool"
    aliases = ("adaptive_avg_pool", "adaptiveavgpool", "adaptiveavgpool2d", "adaptiveavgpool3d")
    torch = "nn.AdaptiveAvgPool1d / nn.AdaptiveAvgPool2d / nn.AdaptiveAvgPool3d"
    summary = "adaptive average pooling to a fixed output size (torchvision's AlexNet, VGG)"


@register
class AdaptiveMaxPool(_MaxSaves, _Adaptive):
    name = "adaptive_maxpool"
    aliases = ("adaptive_max_pool", "adaptivemaxpool", "adaptivemaxpool2d", "adaptivemaxpool3d")
    torch = "nn.AdaptiveMaxPool1d / nn.AdaptiveMaxPool2d / nn.AdaptiveMaxPool3d"
    summary = "adaptive max pooling to a fixed output size"
