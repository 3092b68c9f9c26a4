"""Pixel shuffle and its inverse (Shi et al., 2016, "sub-pixel convolution"; nn.PixelShuffle,
nn.PixelUnshuffle): `- pixel_shuffle: 2` turns C·r² × H × W into C × rH × rW, and
`- pixel_unshuffle: 2` C × H × W into C·r² × H/r × W/r. A rearrangement: no parameters, no
MACs, nothing kept for backward (measured with saved_tensors_hooks). PyTorch's modules
rearrange the last three dims as C, H, W, so both are 2-D only.

PyTorch's refusals, as errors at the layer with the arithmetic: the shuffle's channels
must be divisible by r² ("pixel_shuffle expects its input's 'channel' dimension to be
divisible by the square of upscale_factor"), the unshuffle's H and W by r. Axis maps:
the shuffle is `Scale(r)` (each output cell copies one input cell: stride 1/r); the
unshuffle a window of r with stride r, exact (`Slide`), so the valid-input search knows
that W must be a multiple of r.
"""

from __future__ import annotations

from .. import num
from ..formula import DividedArith, ScaledArith
from ..notation import number_text
from .axismap import Scale, Slide
from .base import COUNT, Ctx, Facts, LayerKind, Param, Shape, flat_input_error
from .call import Call
from .registry import register
from .windowed import AXES


class _Shuffle(LayerKind):
    category = "resampling"
    arg = ""  # the factor's name, as PyTorch's

    @property
    def r(self):
        return getattr(self, self.arg)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx)
        if self.ndim != 2:
            return Facts(x, fatal=True, findings=(ctx.error(
                f"{self.name} rearranges 2 spatial dims (nn.{self.torch_class} takes the "
                f"last three as C, H, W), but the input has {self.ndim}", code="needs-2d"),))
        return self.reshape(x, ctx)

    def reshape(self, x: Shape, ctx: Ctx) -> Facts:  # pragma: no cover - abstract
        raise NotImplementedError


@register
class PixelShuffle(_Shuffle):
    name = "pixel_shuffle"
    aliases = ("pixelshuffle",)
    torch = "nn.PixelShuffle(r)"
    torch_class = "PixelShuffle"
    summary = "C·r²×H×W → C×rH×rW: channels moved into space (sub-pixel convolution)"
    name_prefix = "shuffle"
    shorthand = arg = "upscale_factor"
    params = (Param("upscale_factor", COUNT, doc="r: each axis grows r times"),)

    def maps(self):
        return (Scale(self.r),) * self.ndim

    def reshape(self, x: Shape, ctx: Ctx) -> Facts:
        r = self.r
        square = r * r
        if (num.Mod(x.c, square)).is_number and num.Mod(x.c, square) != 0:
            return Facts(x, fatal=True, findings=(ctx.error(
                f"input channels ({x.c}) are not divisible by upscale_factor² = {r}² = "
                f"{square}: {x.c}/{square} = {number_text(num.Rational(x.c, square))}",
                f"give the layer before {square}·C channels", param=self.arg,
                code="shuffle"),))
        out = tuple(r * W for W in x.dims)
        return Facts(Shape(x.c / square, out),
                     formulas=tuple(ScaledArith(W, r, s) for W, s in zip(x.dims, out)),
                     call=Call("nn.PixelShuffle", (r,)))


@register
class PixelUnshuffle(_Shuffle):
    name = "pixel_unshuffle"
    aliases = ("pixelunshuffle",)
    torch = "nn.PixelUnshuffle(r)"
    torch_class = "PixelUnshuffle"
    summary = "C×H×W → C·r²×H/r×W/r: space moved into channels"
    name_prefix = "unshuffle"
    shorthand = arg = "downscale_factor"
    params = (Param("downscale_factor", COUNT, doc="r: each axis shrinks r times"),)

    def maps(self):
        return (Slide(self.r, self.r),) * self.ndim

    def reshape(self, x: Shape, ctx: Ctx) -> Facts:
        r = self.r
        out = tuple(W / r for W in x.dims)
        bad = [(name, W, q) for name, W, q in zip(AXES[2], x.dims, out)
               if q.is_number and not q.is_integer]
        if bad:
            return Facts(x, fatal=True, findings=tuple(ctx.error(
                f"{name}: {W}/{r} = {number_text(q)} is not an integer: pixel_unshuffle "
                f"needs {name} divisible by downscale_factor ({r})",
                f"{name} = {' or '.join(str(v) for v in (num.floor(q) * r, num.ceiling(q) * r) if v)}"
                " here would fit", param=self.arg, code="shuffle") for name, W, q in bad))
        return Facts(Shape(x.c * r * r, out),
                     formulas=tuple(DividedArith(W, r, s) for W, s in zip(x.dims, out)),
                     call=Call("nn.PixelUnshuffle", (r,)))
