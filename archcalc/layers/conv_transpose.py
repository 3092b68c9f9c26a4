"""Transposed convolution (1-, 2- and 3-D): `- conv_transpose: {out: 64, kernel: 2, stride: 2}`
(U-Net's up-steps, DCGAN's generator), PyTorch's nn.ConvTranspose{1,2,3}d.

Size per axis (PyTorch's ConvTranspose docs): (W − 1)·S − 2P + D·(K − 1) + E + 1, E the
output padding, which PyTorch admits only below the stride or the dilation
(`_output_padding`'s "output padding must be smaller than either stride or dilation").
Weights C_in · (C_out/groups) · ΠK (the tensor is C_in × C_out/g × K…), plus C_out biases.
MACs as torch.utils.flop_counter counts a transposed convolution (`conv_flop_count` with
transposed=True): over the INPUT positions, C_in · (C_out/g) · ΠK · Π(input dims) — each
input cell is scattered through the whole kernel. Backward keeps the input (measured with
saved_tensors_hooks: the input and the weight).
"""

from __future__ import annotations

from .. import num
from ..formula import TransposedArith
from ..notation import formula_text, number_text
from .axismap import truth
from .base import (
    OFFSET,
    SIZE,
    Ctx,
    Facts,
    LayerKind,
    Param,
    Saved,
    Shape,
    flat_input_error,
)
from .call import Call, dims, kw, nd
from .conv import BIAS, DILATION, GROUPS, OUT
from .registry import register
from .scalemaps import Transposed
from .windowed import AXES, _merge_axes


@register
class ConvTranspose(LayerKind):
    name = "conv_transpose"
    aliases = ("convtranspose", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
               "convtranspose1d", "convtranspose2d", "convtranspose3d", "transposed_conv")
    category = "convolution"
    torch = "nn.ConvTranspose1d / nn.ConvTranspose2d / nn.ConvTranspose3d"
    summary = "transposed convolution: `out` filters of size `kernel`, the input spread by `stride`"
    name_prefix = "upconv"
    shorthand = "out"
    params = (
        OUT,
        Param("kernel", SIZE, doc="filter size K, or one per spatial dim"),
        Param("stride", SIZE, 1, "S: the output grows by S per input cell"),
        Param("padding", OFFSET, 0, "P: cells cropped from each side of the full output"),
        Param("output_padding", OFFSET, 0, "E: cells added after the last (E < S or E < D)"),
        DILATION,
        GROUPS,
        BIAS,
    )

    def maps(self):
        return tuple(Transposed(D * (K - 1) + 1, S, P, E) for K, S, P, E, D in
                     zip(self.kernel, self.stride, self.padding, self.output_padding,
                         self.dilation))

    def saved(self, xs, y):
        return (Saved("input"),)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx, "move the layer before `flatten`")
        findings = self._check(x, ctx)
        if findings:
            return Facts(x, findings=tuple(findings), fatal=True)
        names = AXES.get(self.ndim, ("",) * self.ndim)
        out, formulas, fatal = [], [], False
        for axis, (m, W) in enumerate(zip(self.maps(), x.dims)):
            size = m.size(W)[0]
            f = TransposedArith(W, self.stride[axis], self.padding[axis], self.dilation[axis],
                                self.kernel[axis], self.output_padding[axis], size)
            out.append(size)
            formulas.append(f)
            if size.is_number and size < 1:
                fatal = True
                findings.append(ctx.error(
                    f"{names[axis]}: {formula_text(f)}: the volume vanishes here",
                    "use less padding, a larger kernel or stride, or a larger input",
                    param="padding" if ctx.has("padding") else "", code="vanishes"))
        findings = list(_merge_axes(findings, names))
        g, cin = self.groups, x.c
        weights = cin * (self.out / g) * num.Mul(*self.kernel)
        return Facts(
            Shape(self.out, tuple(out)), trainable=weights + (self.out if self.bias else 0),
            macs=weights * num.Mul(*x.dims), formulas=tuple(formulas),
            findings=tuple(findings), fatal=fatal,
            call=Call(nd("nn.ConvTranspose", self.ndim), (cin, self.out, dims(self.kernel)), kw(
                stride=(dims(self.stride), 1), padding=(dims(self.padding), 0),
                output_padding=(dims(self.output_padding), 0), groups=(g, 1),
                bias=(self.bias, True), dilation=(dims(self.dilation), 1))))

    def _check(self, x: Shape, ctx: Ctx) -> list:
        """PyTorch's refusals: groups that do not divide the channels, an output padding
        not below the stride or the dilation."""
        out = []
        for what, n in (("input channels", x.c), ("out", self.out)):
            rem = num.Mod(n, self.groups)
            if rem.is_number and rem != 0:
                out.append(ctx.error(
                    f"{what} ({n}) are not divisible by groups ({self.groups})",
                    f"choose groups among the common divisors of {x.c} and {self.out}",
                    param="groups", code="groups"))
        names = AXES.get(self.ndim, ("",) * self.ndim)
        for axis, (E, S, D) in enumerate(zip(self.output_padding, self.stride, self.dilation)):
            if truth(E >= S) is True and truth(E >= D) is True:
                out.append(ctx.error(
                    f"{names[axis]}: output_padding ({number_text(E)}) must be smaller than the "
                    f"stride ({number_text(S)}) or the dilation ({number_text(D)}), as PyTorch "
                    "requires", "a stride-S convolution maps S input sizes to one output "
                    "size; output_padding (0 to S − 1) picks which of them the transposed "
                    "convolution gives back", param="output_padding", code="output-padding"))
        return list(_merge_axes(out, names))
