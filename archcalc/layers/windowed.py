"""The sliding-window half of every convolution and pooling kind: `Windowed`.

It normalises the window's arguments once — kernel, stride, dilation one value per
spatial dim, the effective window D·(K − 1) + 1, the padding forms a spec may write
(`valid`, `same`, an int, one per dim, or [lo, hi] per side) as one (lo, hi) per dim, or
None on an axis where TensorFlow's 'same' with a stride derives it from the input size —
and the rounding rule. From that one form come the axis maps (`maps`), the sizes with
their arithmetic (`slide`) and what does not fit as diagnostics: a size that is not an
integer (an error under the `exact` rule; under `cover`, the default, an error only when
real input rows are never covered; a warning with the uncovered rows under `floor`), a
volume that vanishes, `same` padding that must be asymmetric.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from .. import num
from ..errors import Change, Diagnostic
from ..notation import formula_text, number_text
from .axismap import AxisMap, CeilDiv, Slide, truth
from .base import Ctx, LayerKind, Shape, per_dim
from .convarith import window_size
from .fit import axis_text, fit_fixes

# The spatial axes' names in messages: a 3-D input is a video clip (or a volume), T×H×W.
AXES = {1: ("L",), 2: ("H", "W"), 3: ("T", "H", "W")}
ZERO = num.Integer(0)


@dataclass(frozen=True)
class Slid:
    dims: tuple[num.Expr, ...]
    formulas: tuple
    pads: tuple[tuple[num.Expr, num.Expr], ...]
    findings: tuple[Diagnostic, ...]
    fatal: bool


class Windowed(LayerKind):
    """A kind that slides a window: subclasses add channels, parameters and MACs."""

    is_pool = False

    @classmethod
    def normalise(cls, v: dict, ndim: int, rounding: str) -> dict:
        v.setdefault("dilation", (num.Integer(1),) * ndim)
        if v.get("stride") is None:
            v["stride"] = v["kernel"]  # pooling: the stride defaults to the window
        window = tuple(D * (K - 1) + 1 for K, D in zip(v["kernel"], v["dilation"]))
        padding = v.get("padding", 0)
        v["window"] = window
        v["pads"] = _pads(padding, window, v["stride"], ndim)
        v["same"] = padding == "same"
        v["rounding"] = v.get("rounding") or rounding
        return v

    def maps(self) -> tuple[AxisMap, ...]:
        return self._maps

    @cached_property
    def _maps(self) -> tuple[AxisMap, ...]:
        # made once per layer (slide and the analysis both ask; instances are immutable)
        return tuple(CeilDiv(F, S) if p is None else
                     Slide(F, S, p[0], p[1], self.rounding, self.least_input(K))
                     for F, S, p, K in zip(self.window, self.stride, self.pads, self.kernel))

    def least_input(self, kernel) -> int:
        """The smallest input size PyTorch's module accepts on an axis (padding aside)."""
        return 1

    def resolved_pads(self, x: Shape) -> tuple[tuple[num.Expr, num.Expr], ...]:
        """(lo, hi) per axis, TensorFlow-'same' axes resolved against the input."""
        return tuple(m.pads(W) if isinstance(m, CeilDiv) else (m.lo, m.hi)
                     for m, W in zip(self.maps(), x.dims))

    def slide(self, x: Shape, ctx: Ctx) -> Slid:
        n = len(x.dims)
        pads = self.resolved_pads(x)
        findings: list[Diagnostic] = list(self._same_findings(pads, ctx))
        dims, formulas, fatal = [], [], False
        for axis, m in enumerate(self.maps()):
            W, K, S, D = x.dims[axis], self.kernel[axis], self.stride[axis], self.dilation[axis]
            lo, hi = pads[axis]
            name = AXES[n][axis]
            res = window_size(W, K, S, lo, hi, D, self.rounding)
            dims.append(m.size(W)[0])
            formulas.append(res.formula)
            F = self.window[axis]
            text = formula_text(res.formula)
            if res.positive is False:
                fatal = True
                padded = f"{W} + {lo} + {hi}" if lo != hi else f"{W} + 2·{lo}"
                if (W + lo + hi - F).is_number and W + lo + hi < F:
                    msg = (f"{name}: the {'window' if self.is_pool else 'kernel'} "
                           f"({number_text(F)}) is larger than the padded input ({padded} = "
                           f"{number_text(W + lo + hi)}): the volume vanishes here")
                else:
                    msg = f"{name}: {text}: the volume vanishes here"
                findings.append(ctx.error(msg, "use a smaller kernel or stride, more padding, "
                                               "or a larger input", code="vanishes"))
                continue
            miss = res.uncovered_input
            loses = res.integral is False and (self.rounding == "exact" or (
                self.rounding == "cover" and truth(num.Eq(miss, 0)) is not True))
            if loses:
                if self.rounding == "cover":  # an error: its arithmetic as the seeds write it
                    res = window_size(W, K, S, lo, hi, D, "exact")
                    formulas[-1], text = res.formula, formula_text(res.formula)
                # the axes with this axis's arithmetic share one finding (_merge_axes) and
                # one fix; the other axes keep their values
                same = [a for a in range(n) if (x.dims[a], self.kernel[a], self.stride[a],
                                                pads[a], self.dilation[a]) ==
                        (W, K, S, pads[axis], D)]
                hints, changes = self._fixes(W, K, S, lo, hi, D, n, self._spell(same, pads))
                lost = "" if self.rounding == "exact" else \
                    f": the last {number_text(miss)} input row(s)/column(s) are never covered"
                findings.append(replace(ctx.error(
                    f"{name}: {text} is not an integer — the windows do not tile the "
                    f"input (W={number_text(W)}, F={number_text(F)}, S={number_text(S)}, "
                    f"P={_pad_text(lo, hi)}){lost}; continuing with "
                    f"⌊{number_text(res.exact)}⌋ = {number_text(num.floor(res.exact))}, as "
                    "PyTorch would",
                    *hints, param=_culprit(ctx), code="non-integer-size"), changes=changes))
            elif res.integral is False and self.rounding == "floor" and miss != 0:
                # (where only padding goes unused there is nothing to say: item 10 of the
                # new-user issue — nothing is printed that asks nothing of the user)
                findings.append(ctx.warning(
                    f"{name}: {text} is floored (the `floor` rule): the last "
                    f"{number_text(miss)} input row(s)/column(s) are never covered",
                    param=_culprit(ctx), code="floored"))
        return Slid(tuple(dims), tuple(formulas), pads, _merge_axes(findings, AXES[n]), fatal)

    def _same_findings(self, pads, ctx: Ctx):
        """'same' padding that must be asymmetric: where the extra row goes."""
        if not self.same:
            return []
        n = self.ndim
        odd = [(AXES[n][axis], lo + hi, lo, hi) for axis, (lo, hi) in enumerate(pads)
               if (lo + hi).is_number and (lo + hi) % 2 == 1]
        if not odd:
            return []
        names = ", ".join(a for a, *_ in odd)
        where = {"H": "bottom", "W": "right", "L": "end"}
        sides = "/".join(where.get(a, "end") for a, *_ in odd)
        _, total, lo, hi = odd[0]
        same_all = all(o[1:] == odd[0][1:] for o in odd)
        amount = (f"{number_text(total)} rows in all: {number_text(lo)} before and "
                  f"{number_text(hi)} after" if same_all else "an odd amount of padding")
        return [ctx.warning(
            f"'same' padding on {names} needs {amount} — the extra one goes to the "
            f"{sides}, as TensorFlow and PyTorch place it",
            "an odd kernel pads symmetrically", param="padding", code="same-asymmetric")]

    def _spell(self, axes: list[int], pads):
        """A fix's new value on `axes` written as the whole argument, the other axes as
        they are: `stride: 1` when that is every axis, else `stride: [1, 3, 3]`."""
        def spell(param: str, v) -> str:
            current = self.stride if param == "stride" else \
                [int(lo) if lo == hi else (int(lo), int(hi)) for lo, hi in pads]
            values = [v if a in axes else current[a] for a in range(self.ndim)]
            if all(c == values[0] for c in values) and not isinstance(v, tuple):
                return str(v)
            return f"[{', '.join(axis_text(c) for c in values)}]"
        return spell

    def _fixes(self, W, K, S, lo, hi, D, ndim: int, spell=None
               ) -> tuple[list[str], tuple[Change, ...]]:
        """The hints for a size that does not tile, and those that are one-argument edits."""
        concrete = all(isinstance(v, (int, num.Integer)) for v in (W, K, S, lo, hi, D))
        rounding_hint = ("" if self.rounding == "cover" else "or ") + (
            "declare `rounding: floor` on the layer or the spec, as PyTorch and Keras floor "
            "silently" + ("; or `ceil_mode: true`" if self.is_pool else ""))
        rounding = (Change("rounding", "floor", "rounding: floor on the layer (floor the "
                                                "size, as PyTorch and Keras do)", rounding_hint),) + \
            ((Change("ceil_mode", "true", "ceil_mode: true (round the size up, as Caffe)",
                     rounding_hint),) if self.is_pool else ())
        if not concrete:
            return [rounding_hint], rounding
        max_pad = int(K) // 2 if self.is_pool else None
        hints, changes = fit_fixes(int(W), int(K), int(S), int(lo), int(hi), int(D),
                                   max_pad=max_pad, ndim=ndim, spell=spell)
        # Under `cover` the floor rule is the first fix that keeps the architecture: after
        # another input size, before a different padding or stride.
        at = int(bool(hints) and hints[0].startswith("an input of")) \
            if self.rounding == "cover" else len(hints)
        return hints[:at] + [rounding_hint] + hints[at:], changes + rounding


def _pads(padding, window, stride, ndim: int) -> tuple:
    """One (lo, hi) per axis, or None where TensorFlow's 'same' derives it from W."""
    if padding == "valid":
        return ((ZERO, ZERO),) * ndim
    if padding == "same":
        out = []
        for F, S in zip(window, stride):
            if S != 1:
                out.append(None)
                continue
            lo = num.floor(num.sympify(F - 1) / 2)
            out.append((lo, F - 1 - lo))
        return tuple(out)
    return tuple(p if isinstance(p, tuple) else (p, p) for p in per_dim(padding, ndim))


def _merge_axes(findings: list[Diagnostic], names: tuple[str, ...]) -> tuple[Diagnostic, ...]:
    """'H: …' and 'W: …' with the same arithmetic become one 'H, W: …' finding."""
    merged: dict[tuple, list] = {}
    for d in findings:
        axis, _, rest = d.message.partition(": ")
        key = (d.severity, rest, d.hints) if axis in names else (d.severity, d.message, d.hints)
        merged.setdefault(key, []).append((axis if axis in names else None, d))
    out = []
    for (_, rest, _), items in merged.items():
        axes = [a for a, _ in items if a]
        first = items[0][1]
        if len(axes) > 1:
            first = replace(first, message=f"{', '.join(axes)}: {rest}")
        out.append(first)
    return tuple(out)


def _culprit(ctx: Ctx) -> str:
    return "stride" if ctx.has("stride") else ""


def _pad_text(lo, hi) -> str:
    return number_text(lo) if lo == hi else f"[{number_text(lo)}, {number_text(hi)}]"
