"""Merges: `add` (residual sums, H(x) = f(x) + x) and `concat` (Inception's channel
concatenation). No parameters, no MACs (the convention does not count adds).

At a merge the shapes must agree — all of them for `add`, the spatial ones for `concat` —
and when they do not, the error names the inputs, the dims and by how much they differ;
with a symbolic input it also says for which sizes they would be equal ("only when
H ≡ 0 (mod 2)"), found by trying sizes, as no tool does.
"""

from __future__ import annotations

import sympy as sp

from ..formula import ChannelSum
from ..notation import shape_text
from .base import Ctx, Facts, LayerKind, Shape
from .call import Call
from .equal_sizes import equal_for_every_size
from .registry import register
from .windowed import AXES


class _Merge(LayerKind):
    category = "merge"
    arity = None  # any number of inputs, named with `from:`
    with_channels = True  # add: the whole shape must agree; concat: the spatial dims

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        problem = self.check(xs, ctx.input_names, ctx, with_channels=self.with_channels)
        if problem:
            return Facts(xs[0], findings=(problem,), fatal=True)
        return self.combine(xs)

    def combine(self, xs: tuple[Shape, ...]) -> Facts:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def check(cls, xs, names, ctx: Ctx, with_channels: bool):
        first = xs[0]
        if any(x.flat != first.flat for x in xs):
            return ctx.error(f"{cls.name} mixes flat and spatial inputs: " +
                             ", ".join(f"{n} is {shape_text(x)}" for n, x in zip(names, xs)),
                             code="merge-shape")
        labels = (("C",) if with_channels else ()) + AXES.get(len(first.dims), ())
        for n, x in zip(names[1:], xs[1:]):
            pairs = list(zip(labels, ((first.c,) if with_channels else ()) + first.dims,
                             ((x.c,) if with_channels else ()) + x.dims))
            diffs = [(label, a, b) for label, a, b in pairs if sp.simplify(a - b) != 0
                     and not equal_for_every_size(a, b)
                     and not (ctx.lenient and not sp.simplify(a - b).is_number)]
            if not diffs:
                continue
            detail = "; ".join(_difference(label, a, b) for label, a, b in diffs)
            return ctx.error(f"{cls.name}: {names[0]} is {shape_text(first)} but {n} is {shape_text(x)} "
                             f"— {detail}", "the inputs of a merge must have the same "
                             + ("shape" if with_channels else "spatial size"),
                             code="merge-shape")
        return None


def _difference(label: str, a, b) -> str:
    diff = sp.simplify(a - b)
    if diff.is_number:
        return f"{label} differs by {abs(diff)}"
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
    torch = "archcalc.reference.helpers.Add (x + y)"
    summary = "element-wise sum of inputs of the same shape (residual connections)"
    name_prefix = "add"

    def combine(self, xs: tuple[Shape, ...]) -> Facts:
        return Facts(xs[0], call=Call("Add"))


@register
class Concat(_Merge):
    name = "concat"
    aliases = ("cat", "concatenate")
    torch = "archcalc.reference.helpers.Concat (torch.cat(dim=1))"
    summary = "channel-wise concatenation of inputs of the same spatial size (Inception)"
    name_prefix = "concat"
    with_channels = False

    def combine(self, xs: tuple[Shape, ...]) -> Facts:
        channels = sp.Add(*(x.c for x in xs))
        formula = ChannelSum(tuple(x.c for x in xs), channels)
        return Facts(Shape(channels, xs[0].dims), formulas=(formula,) * max(len(xs[0].dims), 1),
                     call=Call("Concat"))
