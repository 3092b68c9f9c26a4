"""Upsampling, as nn.Upsample / F.interpolate: by a factor (`- upsample: 2`, U-Net's decoder,
GAN generators), to a fixed `size`, or to another layer's size (`like: input`, a
segmentation head's return to the input's resolution), nearest or interpolating.

Sizes: ⌊k·W⌋ per axis (ATen's `compute_output_size` truncates the double product; a
fractional k must be a binary fraction so that product is exact, `spec/params.py`), `size`
itself, or the size of the layer `like` names — which the graph wires as a second input,
so the compiled model reads it at run time (`InterpolateLike`, F.interpolate with
size=ref.shape[2:]). Modes as F.interpolate checks them: linear is 1-D, bilinear and bicubic
2-D, trilinear 3-D, nearest any; `align_corners` only for the interpolating ones (PyTorch
refuses it for nearest, even false). No parameters, no MACs (FlopCounterMode counts
none), nothing kept for backward (measured: the backward needs only the sizes).
Axis maps: `Scale` (stride 1/k), `scalemaps.Resize` (a fixed size) or `scalemaps.Like`.
"""

from __future__ import annotations

from ..formula import FixedArith, ScaledArith
from ..notation import formula_text
from .axismap import Scale
from .base import (
    BOOL,
    CHOICE,
    LAYER,
    OUTPUT_SIZE,
    SCALE,
    Ctx,
    Facts,
    LayerKind,
    Param,
    Shape,
    flat_input_error,
)
from .call import Call, dims, kw
from .registry import register
from .scalemaps import Like, Resize
from .windowed import AXES, _merge_axes

MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear")
MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # F.interpolate's
TAPS = {"nearest": 1, "linear": 2, "bilinear": 2, "trilinear": 2, "bicubic": 4}  # per axis


@register
class Upsample(LayerKind):
    name = "upsample"
    aliases = ("upsampling", "upsample_nearest", "upsampling2d", "interpolate", "resize")
    category = "resampling"
    torch = "nn.Upsample(scale_factor=k | size=…, mode=…); F.interpolate to a layer's size"
    summary = ("upsampling (or resizing) by a factor, to a size or to a layer's size: "
               "nearest, (bi/tri)linear, bicubic")
    name_prefix = "up"
    shorthand = "scale_factor"
    params = (
        Param("scale_factor", SCALE, 2, "the factor k, or one per spatial dim: a whole "
                                        "number or a binary fraction (1.5, 0.75)"),
        Param("size", OUTPUT_SIZE, None, "instead of a factor: the output size, or one per "
                                         "spatial dim"),
        Param("like", LAYER, None, "instead of a factor: the spatial size of this layer "
                                   "(or `input`), read at run time"),
        Param("mode", CHOICE, "nearest", "the interpolation (F.interpolate's)", choices=MODES),
        Param("align_corners", BOOL, False, "interpolating modes: the corner cells' centres "
                                            "meet (PyTorch's align_corners)"),
    )

    @property
    def taps(self) -> int:
        return TAPS[self.mode]

    def maps(self):
        align = self.align_corners and self.mode != "nearest"
        if self.like is not None:
            return (Like(None, None, self.taps, align),) * self.ndim  # infer gives the sizes
        if self.size is not None:
            return tuple(Resize(s, self.taps, align) for s in self.size)
        return tuple(Scale(k, self.taps, align) for k in self.scale_factor)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx, "upsample before `flatten`")
        problems = self._check(ctx)
        if problems:
            return Facts(x, findings=tuple(problems), fatal=True)
        modes = kw(mode=(self.mode, "nearest"), align_corners=(self.align_corners or None, None))
        if self.like is not None:
            return self._like(x, xs[1], ctx, modes)
        if self.size is not None:
            out = self.size
            return Facts(Shape(x.c, out),
                         formulas=tuple(FixedArith(W, s) for W, s in zip(x.dims, out)),
                         call=Call("nn.Upsample", (), (("size", dims(out)),) + modes))
        out, formulas, findings = [], [], []
        names = AXES.get(self.ndim, ("",) * self.ndim)
        for axis, (m, W, k) in enumerate(zip(self.maps(), x.dims, self.scale_factor)):
            size = m.size(W)[0]
            f = ScaledArith(W, k, size)
            out.append(size)
            formulas.append(f)
            if size.is_number and size < 1:  # PyTorch: "Input and output sizes should be > 0"
                findings.append(ctx.error(f"{names[axis]}: {formula_text(f)}: the volume "
                                          "vanishes here", "use a larger factor or input",
                                          param="scale_factor", code="vanishes"))
        return Facts(Shape(x.c, tuple(out)), formulas=tuple(formulas),
                     findings=_merge_axes(findings, names), fatal=bool(findings),
                     call=Call("nn.Upsample", (), (("scale_factor", dims(self.scale_factor)),)
                               + modes))

    def _like(self, x: Shape, ref: Shape, ctx: Ctx, modes) -> Facts:
        if ref.flat:
            return Facts(x, fatal=True, findings=(ctx.error(
                f"like: {ctx.input_names[1]} is a flat vector of {ref.c} features: it has no "
                "spatial size to resize to", param="like", code="needs-spatial"),))
        maps = tuple(Like(W, s, self.taps, self.align_corners and self.mode != "nearest")
                     for W, s in zip(x.dims, ref.dims))
        return Facts(Shape(x.c, ref.dims), maps=maps,
                     formulas=tuple(FixedArith(W, s) for W, s in zip(x.dims, ref.dims)),
                     call=Call("InterpolateLike", (), modes))

    def _check(self, ctx: Ctx) -> list:
        """F.interpolate's refusals, and one way of giving the output size."""
        out = []
        given = [p for p in ("scale_factor", "size", "like") if ctx.has(p)]
        if len(given) > 1:
            out.append(ctx.error(f"upsample takes one of scale_factor, size and like, not "
                                 f"{' and '.join(given)}", param=given[1], code="upsample"))
        need = MODE_DIMS.get(self.mode)
        if need is not None and need != self.ndim:
            fits = [m for m, n in MODE_DIMS.items() if n == self.ndim]
            out.append(ctx.error(
                f"mode {self.mode} interpolates {need}-D data, but the input has {self.ndim} "
                f"spatial dim{'s' if self.ndim > 1 else ''} (F.interpolate refuses it)",
                f"use {' or '.join(fits + ['nearest'])}", param="mode", code="upsample"))
        if self.mode == "nearest" and ctx.has("align_corners"):
            out.append(ctx.error(
                "align_corners applies only to the interpolating modes (linear, bilinear, "
                "bicubic, trilinear): PyTorch refuses it for nearest, even false",
                "remove it, or choose an interpolating mode", param="align_corners",
                code="upsample"))
        return out

