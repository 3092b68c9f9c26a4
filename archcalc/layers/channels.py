"""Channel surgery: `chunk` (one part of a volume split along its channels) and
`unflatten` (a feature vector reshaped into a volume, as a GAN generator's projection).

`chunk` is `torch.chunk(x, parts, dim=1)[index]`, with PyTorch's rule for sizes that do not
divide: every part has ⌈C/parts⌉ channels but the last, which has the rest (so 10 channels
in 4 parts are 3, 3, 3, 1, and 9 in 4 are only three parts of 3). ShuffleNetV2's unit reads
both halves: `- chunk: {parts: 2, index: 0, name: left}` and `- chunk: {parts: 2, index: 1,
from: input}`. A chunk is a view: no parameters, no MACs, no memory of its own.

`unflatten: {out: 512, size: 4}` is `nn.Unflatten(1, (512, 4, 4))`: a flat vector of
512·4·4 = 8,192 features becomes 512×4×4. Its spatial sizes are fixed (they do not depend
on the input's), as after adaptive pooling.
"""

from __future__ import annotations

from .. import num
from ..notation import shape_text
from .axismap import Fixed, truth
from .base import COUNT, INDEX, OUTPUT_SIZE, Ctx, Facts, LayerKind, Param, Shape
from .call import Call
from .registry import register


@register
class Chunk(LayerKind):
    name = "chunk"
    aliases = ("split_channels",)
    category = "reshape"
    torch = "torch.chunk(x, parts, dim=1)[index]"
    summary = "one of `parts` pieces of the channels (ShuffleNetV2's channel split)"
    name_prefix = "chunk"
    params = (Param("parts", COUNT, doc="how many pieces torch.chunk makes (at most)"),
              Param("index", INDEX, 0, "which piece, from 0"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        size = num.ceiling(x.c / self.parts)  # torch.chunk's piece size
        made = num.ceiling(x.c / size)         # the pieces it actually makes (≤ parts)
        if truth(self.index < made) is False:
            return Facts(x, findings=(ctx.error(
                f"chunk index {self.index} of {x.c} channels in {self.parts} parts: "
                f"torch.chunk makes {made} pieces of ⌈{x.c}/{self.parts}⌉ = {size}",
                f"index is 0 … {made - 1}", param="index", code="chunk-index"),), fatal=True)
        channels = num.Min(size, x.c - self.index * size)
        return Facts(Shape(channels, x.dims), view=True,
                     call=Call("Chunk", (self.parts, self.index)))


@register
class Unflatten(LayerKind):
    name = "unflatten"
    aliases = ("reshape",)
    category = "reshape"
    torch = "nn.Unflatten(1, (out, *size))"
    summary = "a flat vector of features as an out×size volume (a GAN's projection)"
    name_prefix = "unflatten"
    params = (Param("out", COUNT, doc="channels of the volume"),
              Param("size", OUTPUT_SIZE, doc="its spatial size, one or one per axis"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        y = Shape(self.out, tuple(self.size))
        if not x.flat:
            return Facts(x, findings=(ctx.error(
                f"unflatten needs a flat vector, but gets a {shape_text(x)} volume",
                "add `- flatten` before it", code="needs-flat"),), fatal=True)
        if truth(num.Eq(x.c, y.numel)) is False:
            return Facts(x, findings=(ctx.error(
                f"unflatten to {shape_text(y)} needs {y.numel} features, but gets {x.c}",
                f"the input must have exactly {shape_text(y).replace('×', '·')} = "
                f"{y.numel} features", code="unflatten-size"),), fatal=True)
        return Facts(y, view=True, call=Call("nn.Unflatten", (1, (self.out, *self.size))))

    def maps(self):
        return tuple(Fixed(s) for s in self.size)
