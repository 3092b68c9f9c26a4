"""Merges: `add` (residual sums, H(x) = f(x) + x), `multiply` (gating: squeeze-and-
excitation's x · σ(…)) and `concat` (Inception's channel concatenation). No parameters, no
MACs: FlopCounterMode counts neither `aten.add` nor `aten.mul` (torch 2.13), and the
convention counts conv and linear layers only.

`add` and `multiply` broadcast as PyTorch does (torch.broadcast_shapes on (C, *dims), the
batch axis aside): along each axis the sizes are equal, or one of them is 1 and stretches
to the other — a C×1×1 gate multiplies a C×H×W volume. `concat` needs every size equal
except the channels, as `torch.cat(dim=1)`. When the shapes do not fit, the error names the
inputs, the axis and the sizes; with a symbolic input it also says for which sizes they
would be equal ("only when H ≡ 0 (mod 2)"), found by trying sizes, as no tool does.
"""

from __future__ import annotations

from .. import num
from ..formula import ChannelSum
from ..notation import shape_text
from .base import Ctx, Facts, LayerKind, Saved, Shape
from .call import Call
from .equal_sizes import equal_for_every_size
from .registry import register
from .windowed import AXES


class _Merge(LayerKind):
    category = "merge"
    arity = None  # any number of inputs, named with `from:`
    broadcasts = False  # add, multiply: a size 1 stretches (the valid-input search reads it)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        names = ctx.input_names
        first = xs[0]
        if any(x.flat != first.flat for x in xs):
            return _fatal(xs, ctx.error(
                f"{self.name} mixes flat and spatial inputs: " +
                ", ".join(f"{n} is {shape_text(x)}" for n, x in zip(names, xs)),
                "flatten every input, or none", code="merge-shape"))
        labels = ("C",) + AXES.get(len(first.dims), ())
        out = first
        for k, (n, x) in enumerate(zip(names[1:], xs[1:]), 1):
            diffs = []
            for i, (label, a, b) in enumerate(zip(labels, (out.c,) + out.dims,
                                                  (x.c,) + x.dims)):
                if i == 0 and not self.broadcasts:
                    continue  # concat: the channels add up
                if not _equal(a, b, ctx) and not (self.broadcasts and 1 in (a, b)):
                    diffs.append((label, a, b))
            if diffs:
                so_far = f"{names[0]} is" if out == first else \
                    f"{', '.join(names[:k])} broadcast to"
                return _fatal(xs, self.mismatch(f"{so_far} {shape_text(out)}", n, x, diffs,
                                                ctx))
            out = broadcast(out, x) if self.broadcasts else out
        return self.combine(xs, out)

    def mismatch(self, so_far: str, name, x: Shape, diffs, ctx: Ctx):
        detail = "; ".join(_difference(label, a, b) for label, a, b in diffs)
        rule = ("along each axis the sizes must be equal, or one of them 1 (broadcasting, "
                "as torch.broadcast_shapes)" if self.broadcasts else
                "the inputs of concat must have the same size along every axis but the "
                "channels (as torch.cat(dim=1))")
        return ctx.error(f"{self.name}: {so_far} but {name} is {shape_text(x)} — {detail}",
                         rule, code="merge-shape")

    def combine(self, xs: tuple[Shape, ...], out: Shape) -> Facts:  # pragma: no cover
        raise NotImplementedError


def broadcast(a: Shape, b: Shape) -> Shape:
    """The shape of a + b (torch.broadcast_shapes), for shapes that broadcast: along each
    axis the size that is not 1 (a's where they are equal: its expression is kept)."""
    sizes = [y if x == 1 else x for x, y in zip((a.c,) + a.dims, (b.c,) + b.dims)]
    return Shape(sizes[0], tuple(sizes[1:]))


def _fatal(xs, problem) -> Facts:
    return Facts(xs[0], findings=(problem,), fatal=True)


def _equal(a, b, ctx: Ctx) -> bool:
    """Equal sizes; in generic block code (lenient) also sizes that differ by a symbol."""
    d = num.simplify(a - b)
    return d == 0 or equal_for_every_size(a, b) is True or (ctx.lenient and not d.is_number)


def _difference(label: str, a, b) -> str:
    diff = num.simplify(a - b)
    if diff.is_number:
        return f"{label} differs by {abs(diff)} ({a} against {b})"
    free = sorted(diff.free_symbols, key=str)
    if len(free) != 1:
        return f"{label} differs by {diff}"
    s = free[0]
    values = [diff.subs(s, v) for v in range(1, 257)]
    equal = [v for v, d in zip(range(1, 257), values) if d == 0]
    if not equal:
        if len(set(values)) == 1:
            return f"{label} differs by {abs(values[0])} whatever {s} is"
        return f"{label} differs by {diff}, for every {s}"
    if len(equal) == 256:
        return f"{label} differs for no {s} ≥ 1"
    for m in range(1, 65):
        res = sorted({v % m for v in equal})
        if all((v % m in res) == (v in equal) for v in range(max(equal[0], 1), 257)):
            cond = f"{s} ≡ {', '.join(map(str, res))} (mod {m})" if m > 1 else f"{s} ≥ {equal[0]}"
            return f"{label} differs by {diff}: they are equal only when {cond}"
    return f"{label} differs by {diff}"


@register
class Add(_Merge):
    name = "add"
    aliases = ("sum",)
    torch = "archcalc.reference.helpers.Add (x + y, broadcasting)"
    summary = "element-wise sum, broadcasting as PyTorch (residual connections)"
    name_prefix = "add"
    broadcasts = True

    def combine(self, xs: tuple[Shape, ...], out: Shape) -> Facts:
        return Facts(out, call=Call("Add"))


@register
class Multiply(_Merge):
    name = "multiply"
    aliases = ("mul", "product")
    torch = "archcalc.reference.helpers.Multiply (x * y, broadcasting)"
    summary = "element-wise product, broadcasting as PyTorch (a C×1×1 gate over C×H×W: " \
              "squeeze-and-excitation)"
    name_prefix = "mul"
    broadcasts = True
    single_value_hint = "to multiply by a constant, write `- scale: …`"  # (the parser's)

    def combine(self, xs: tuple[Shape, ...], out: Shape) -> Facts:
        return Facts(out, call=Call("Multiply"))

    def saved(self, xs, y):
        # aten.mul keeps both operands, each at its own (unbroadcast) size; a product of
        # more than two inputs, computed pairwise, keeps its partial products too
        partial, kept = xs[0], []
        for x in xs[1:-1]:
            partial = broadcast(partial, x)
            kept.append(Saved("new", partial.numel))
        return (Saved("inputs"), *kept)


@register
class Concat(_Merge):
    name = "concat"
    aliases = ("cat", "concatenate")
    torch = "archcalc.reference.helpers.Concat (torch.cat(dim=1))"
    summary = "channel-wise concatenation of inputs of the same spatial size (Inception)"
    name_prefix = "concat"

    def combine(self, xs: tuple[Shape, ...], out: Shape) -> Facts:
        channels = num.Add(*(x.c for x in xs))
        formula = ChannelSum(tuple(x.c for x in xs), channels)
        return Facts(Shape(channels, out.dims), formulas=(formula,) * max(len(out.dims), 1),
                     call=Call("Concat"))
