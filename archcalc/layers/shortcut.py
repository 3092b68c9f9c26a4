"""The shortcut of a residual connection, H(x) = f(x) + shortcut(x) (seed 003).

- identity: x itself, when f keeps the shape;
- projection: a 1×1 convolution with the body's stride to the body's channels (counted as
  parameters: H(x) = f(x) + W₁x), followed by BatchNorm when `batchnorm` (torchvision);
- zeropad: ResNet's option A — subsample x[:, :, ::s, ::s] and pad the extra channels with
  zeros: no parameters;
- auto: identity when the shapes match, projection when they do not;
- if_same: identity when the body keeps the channels and its strides are all 1, and else
  no shortcut at all — no add, the body alone (torchvision's `use_res_connect` in
  MobileNet v2/v3, MnasNet, EfficientNet). This one is its own merge, `add_if_same`.

Which one applies depends on shapes, so it is decided here, during analysis; the body's
stride is the product of the strides along it (passed in by the analyser).
"""

from __future__ import annotations

from dataclasses import replace

from .. import num
from ..formula import CeilArith, StridedArith
from ..notation import shape_text
from .axismap import KEEP, CeilDiv, Slide, floor_div
from .base import BOOL, CHOICE, Ctx, Facts, LayerKind, Param, Saved, Shape
from .call import Call, dims, kw, nd
from .merge import Add
from .registry import register

MODES = ("auto", "identity", "projection", "zeropad")


@register
class Shortcut(LayerKind):
    name = "shortcut"
    category = "merge"
    torch = "nn.Identity / 1×1 nn.Conv2d (+ nn.BatchNorm2d) / archcalc.reference.helpers.ZeroPadShortcut"
    summary = "the shortcut of a residual connection (written with `residual:`)"
    name_prefix = "shortcut"
    params = (Param("mode", CHOICE, "auto", "identity, projection, zeropad or auto",
                    choices=MODES),
              Param("batchnorm", BOOL, False, "BatchNorm after a projection"))

    def saved(self, xs, y):
        # a projection: its 1×1 conv keeps x; its BatchNorm keeps the conv's output
        x = xs[0]
        if x.c == y.c and x.dims == y.dims and self.mode in ("auto", "identity"):
            return ()
        if self.mode == "zeropad":
            return ()
        return (Saved("input"),) + ((Saved("new", y.numel), Saved("new", 2 * y.c, 4, batched=False))
                                    if self.batchnorm else ())

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x, target, stride = xs[0], ctx.target, ctx.ref_stride
        same = x.c == target.c and all(s == 1 for s in stride)
        mode = self.mode
        if mode == "auto" and ctx.decide is not None and not same:
            diffs = _open([x.c - target.c, *(s - 1 for s in stride)])
            if diffs is not None:  # equal at some values only: as at the value asked
                same = ctx.decide(diffs)
                if same:  # equal wherever it decides alike: the sum sees one formula
                    x = Shape(target.c, x.dims)
        if mode == "identity" and ctx.lenient and not (x.c - target.c).is_number:
            same = True  # generic code: checked when the block is used
        if mode == "auto":
            mode = "identity" if same else "projection"
        if mode == "identity":
            return self._identity(x, target, same, ctx)
        if mode == "zeropad":
            return self._zeropad(x, target, stride, ctx)
        return self._projection(x, target, stride)

    def maps_for(self, stride) -> tuple:
        """Its axis maps for a body of this stride, as `infer` gives them (for the sizes
        only, auto and projection alike: a stride-1 projection keeps the size)."""
        if self.mode == "zeropad":
            return tuple(CeilDiv(num.Integer(1), s) for s in stride)
        if self.mode == "identity" or all(s == 1 for s in stride):
            return (KEEP,) * len(stride)
        return tuple(Slide(num.Integer(1), s, rounding="floor") for s in stride)

    def _identity(self, x: Shape, target: Shape, same: bool, ctx: Ctx) -> Facts:
        if not same:
            return Facts(x, findings=(ctx.error(
                f"identity shortcut: the input is {shape_text(x)} but the residual branch "
                f"gives {shape_text(target)}", "use `shortcut: projection`, `zeropad` or "
                "`auto`", code="merge-shape"),), fatal=True)
        return Facts(x, call=Call("nn.Identity"), maps=(KEEP,) * len(x.dims), view=True)

    def _zeropad(self, x: Shape, target: Shape, stride, ctx: Ctx) -> Facts:
        if (target.c - x.c).is_number and target.c < x.c:
            return Facts(x, findings=(ctx.error(
                f"zero-padding shortcut cannot shrink {x.c} channels to {target.c}",
                "use `shortcut: projection`", code="merge-shape"),), fatal=True)
        maps = tuple(CeilDiv(num.Integer(1), s) for s in stride)
        out = tuple(m.size(W)[0] for m, W in zip(maps, x.dims))
        return Facts(Shape(target.c, out),
                     formulas=tuple(CeilArith(W, s, d) for W, s, d in zip(x.dims, stride, out)),
                     call=Call("ZeroPadShortcut", (tuple(stride), target.c - x.c)), maps=maps)

    def _projection(self, x: Shape, target: Shape, stride) -> Facts:
        out = tuple(floor_div(num.sympify(W) - 1, s) + 1 for W, s in zip(x.dims, stride))
        c = target.c
        bn = self.batchnorm
        conv = Call(nd("nn.Conv", len(x.dims)), (x.c, c, 1),
                    kw(stride=(dims(tuple(stride)), 1), bias=(not bn, True)))
        call = Call("nn.Sequential", (conv, Call(nd("nn.BatchNorm", len(x.dims)), (c,)))) \
            if bn else conv
        return Facts(Shape(c, out), trainable=x.c * c + (2 * c if bn else c),
                     buffers=2 * c if bn else 0, macs=x.c * c * num.Mul(*out),
                     formulas=tuple(StridedArith(W, s, d) for W, s, d in zip(x.dims, stride, out)),
                     call=call,
                     maps=tuple(Slide(num.Integer(1), s, rounding="floor") for s in stride))


@register
class AddIfSame(LayerKind):
    """Reads [f(x), x]; x + f(x) when f keeps the channels with stride 1, else f(x)."""

    name = "add_if_same"
    category = "merge"
    arity = 2  # [f(x), x], from `residual:` only: no `parallel:` merge, no `- add_if_same`
    torch = "x + f(x) (archcalc.reference.helpers.Add), or f(x) alone (nn.Identity)"
    summary = ("a residual sum where the body keeps the channels with stride 1, else the body "
               "alone (torchvision's use_res_connect; written `residual: {shortcut: if_same}`)")
    name_prefix = "add"

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        body, x = xs[0], xs[-1]
        if ctx.ref_stride is None or len(xs) != 2:
            return Facts(body, findings=(ctx.error(
                "add_if_same is a residual's merge: write `residual: {shortcut: if_same, "
                "layers: [...]}`", code="merge-shape"),), fatal=True)
        same = [num.simplify(x.c - body.c)] + [num.simplify(s - 1) for s in ctx.ref_stride]
        if any(d.is_number and d != 0 for d in same):
            return Facts(body, call=Call("nn.Identity"), view=True, passes=True)
        open_ = sorted({str(s) for d in same for s in d.free_symbols})
        if open_ and ctx.decide is not None:  # as at the value `archcalc fit` asks about
            if not ctx.decide(tuple(d for d in same if not d.is_number)):
                return Facts(body, call=Call("nn.Identity"), view=True, passes=True)
            # equal there, and at every value that decides alike: the sum, its channels
            # told apart by their formulas only
            return Add(self.ndim).infer(xs, replace(ctx, lenient=True))
        if open_ and not ctx.lenient:  # generic code (a block's class) tests it at run time
            return Facts(body, findings=(ctx.error(
                f"whether the shortcut is there (same channels, stride 1) depends on "
                f"{', '.join(open_)}: give {'it a value' if len(open_) == 1 else 'them values'}",
                code="merge-shape"),), fatal=True)
        return Add(self.ndim).infer(xs, ctx)  # the sum, its shapes checked as add's

    def maps_for(self, stride) -> tuple:
        """Its axis maps where it is not inferred (analysis/analyze.py `_unseen_maps`): the
        body's size, with the shortcut or without, whatever the body's stride."""
        return (KEEP,) * len(stride)


def _open(diffs) -> tuple | None:
    """The differences that depend on symbols, where none is a nonzero number (then the
    answer is no whatever the symbols are: None)."""
    diffs = [num.simplify(d) for d in diffs]
    if any(d.is_number and d != 0 for d in diffs):
        return None
    return tuple(d for d in diffs if not d.is_number) or None
