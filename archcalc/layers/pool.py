"""Sliding-window pooling: max, average and power-average (L2) pooling.

`- maxpool: 2` is a 2×2 window with stride 2 (the stride defaults to the kernel, as in
PyTorch and Keras). The seeds' pooling rule is (W − F)/S + 1; padding is allowed but
PyTorch caps it at half the kernel. `ceil_mode: true` rounds up (Caffe's default, used
by GoogLeNet). Pooling has no parameters and, by the FLOP convention, no MACs. In 3-D,
PyTorch's average pooling also needs every input axis at least the window.
"""

from __future__ import annotations

from .. import num
from .base import BOOL, PADDING, POSITIVE, SIZE, Ctx, Facts, Param, Saved, Shape, flat_input_error
from .call import Call, NoCounterpart, dims, kw, nd
from .conv import ROUNDING
from .registry import register
from .windowed import AXES, Windowed, _merge_axes

_WINDOW = (
    Param("kernel", SIZE, doc="window size F, or one per spatial dim"),
    Param("stride", SIZE, None, "step S (default: the kernel)"),
)
_PADDING = Param("padding", PADDING, 0, "P on each side; at most half the kernel (PyTorch)")
_CEIL = Param("ceil_mode", BOOL, False, "round the output size up (Caffe, GoogLeNet)")


class _Pool(Windowed):
    category = "pooling"
    name_prefix = "pool"
    shorthand = "kernel"
    is_pool = True
    max_pad_uses_dilation = False

    @classmethod
    def normalise(cls, v: dict, ndim: int, rounding: str) -> dict:
        v.setdefault("padding", 0)
        v = super().normalise(v, ndim, rounding)
        if v["ceil_mode"]:
            v["rounding"] = "ceil"
        return v

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x = xs[0]
        if x.flat:
            return flat_input_error(self.name, x, ctx)
        findings = list(self._pad_limit(ctx)) + self._input_limit(x, ctx)
        slid = self.slide(x, ctx)
        findings.extend(slid.findings)
        return Facts(Shape(x.c, slid.dims), formulas=slid.formulas,
                     findings=tuple(findings), call=self.module(slid.pads), fatal=slid.fatal)

    def _pad_limit(self, ctx: Ctx):
        """PyTorch refuses pooling padding over half the (dilated, for max) window."""
        if isinstance(self.padding, str):
            return []
        sizes = self.window if self.max_pad_uses_dilation else self.kernel
        out = []
        for axis, p, eff in zip(AXES[self.ndim], self.pads, sizes):
            worst = p[0] if p[0] == p[1] else num.Max(*p)
            if (worst > eff // 2) == True:  # noqa: E712 - sympy relational
                out.append(ctx.error(f"{axis}: pooling padding {worst} is more than half the "
                                     f"window ({eff}): PyTorch refuses it",
                                     f"use padding ≤ {eff // 2}", param="padding",
                                     code="pool-padding"))
        return list(_merge_axes(out, AXES[self.ndim]))  # 'H, W: …' once, not once per axis

    averages = False  # computed by avg_pool: AvgPool3d, and LPPool3d through it

    def least_input(self, kernel):
        """PyTorch's avg_pool3d (ATen's pool3d_shape_check, `check_input_size`) refuses an
        input smaller than the window on some axis, padding or ceil_mode aside; 1-D and 2-D
        average pooling do not."""
        return kernel if self.averages and self.ndim == 3 else 1

    def _input_limit(self, x: Shape, ctx: Ctx) -> list:
        """The error for an input below `least_input` on some axis."""
        small = [(a, W, K) for a, W, K in zip(AXES[self.ndim], x.dims, self.kernel)
                 if (num.sympify(W) < self.least_input(K)) == True]  # noqa: E712 - sympy
        if not small:
            return []
        return [ctx.error(
            f"{', '.join(a for a, _, _ in small)}: the input "
            f"({'×'.join(str(W) for W in x.dims)}) is smaller than the window "
            f"({'×'.join(str(K) for K in self.kernel)}): PyTorch's 3-D average pooling "
            "refuses it, whatever the padding", "use a smaller window on that axis",
            param="kernel", code="pool-input-size")]

    def symmetric_padding(self, pads):
        """PyTorch's pooling pads each side alike: the one padding, or why there is none."""
        if any(lo != hi for lo, hi in pads):
            return NoCounterpart(f"{self.name} with per-side padding {pads} has no PyTorch "
                                 "pooling module (they pad symmetrically)")
        return dims(tuple(lo for lo, _ in pads))

    torch_base = ""  # nn.MaxPool / nn.AvgPool: the 1-, 2- or 3-D class by the spec's dims

    def module(self, pads) -> Call | NoCounterpart:
        padding = self.symmetric_padding(pads)
        if isinstance(padding, NoCounterpart):
            return padding
        kernel = dims(self.kernel)
        return Call(nd(self.torch_base, self.ndim), (kernel,), kw(
            stride=(dims(self.stride), kernel), padding=(padding, 0)) + self.own_kw())

    def own_kw(self) -> tuple:
        """The kind's own keyword arguments, after stride and padding."""
        return ()


@register
class MaxPool(_Pool):
    name = "maxpool"
    aliases = ("max_pool", "maxpool1d", "maxpool2d", "maxpool3d", "max_pooling")
    torch = "nn.MaxPool1d / nn.MaxPool2d / nn.MaxPool3d"
    summary = "max pooling: the largest response in each window"
    max_pad_uses_dilation = True
    params = (*_WINDOW, _PADDING, Param("dilation", SIZE, 1, "spacing between window taps"),
              _CEIL, ROUNDING)

    def saved(self, xs, y):
        return (Saved("input"), Saved("new", y.numel, 8))  # and the argmax, int64

    torch_base = "nn.MaxPool"

    def own_kw(self):
        return kw(dilation=(dims(self.dilation), 1), ceil_mode=(self.ceil_mode, False))


@register
class AvgPool(_Pool):
    name = "avgpool"
    aliases = ("avg_pool", "avgpool1d", "avgpool2d", "avgpool3d", "average_pooling", "subsample")
    torch = "nn.AvgPool1d / nn.AvgPool2d / nn.AvgPool3d"
    summary = "average pooling: the mean of each window (LeNet's subsampling)"
    params = (*_WINDOW, _PADDING, _CEIL,
              Param("count_include_pad", BOOL, True, "count padding zeros in the mean"), ROUNDING)

    def saved(self, xs, y):
        return (Saved("input"),)

    torch_base = "nn.AvgPool"
    averages = True

    def own_kw(self):
        return kw(ceil_mode=(self.ceil_mode, False),
                  count_include_pad=(self.count_include_pad, True))


@register
class LPPool(_Pool):
    name = "lppool"
    aliases = ("l2pool", "lp_pool", "power_avg_pool", "lppool1d", "lppool2d", "lppool3d")
    torch = "nn.LPPool1d / nn.LPPool2d / nn.LPPool3d"
    summary = "power-average pooling: (Σ x^p)^(1/p) over each window; p = 2 is L2 pooling"
    params = (Param("norm_type", POSITIVE, 2.0, "the power p"), *_WINDOW, _CEIL, ROUNDING)

    averages = True

    def saved(self, xs, y):
        # composed from pow, avg_pool, sign, relu, mul and pow(1/p)
        return (Saved("input"), Saved("new", 4 * y.numel), Saved("new", xs[0].numel))

    def module(self, pads):
        kernel = dims(self.kernel)
        return Call(nd("nn.LPPool", self.ndim), (float(self.norm_type), kernel),
                    kw(stride=(dims(self.stride), kernel), ceil_mode=(self.ceil_mode, False)))
