"""The spatial half of every sliding-window layer (convolution and pooling).

Resolves the padding forms a spec may write (`valid`, `same`, an int, one per dim, or
[lo, hi] per side), runs `window_size` on each axis, and turns what it finds into
diagnostics: a size that is not an integer (an error under the `exact` rule, a warning
with the uncovered rows under `floor`), a volume that vanishes, `same` padding that must
be asymmetric. Conv and pool modules call `slide` and add their own parameters and MACs.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import Diagnostic
from .base import Ctx, Shape, Window, per_dim
from .convarith import number_text, window_size
from .fit import fit_hints

AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True)
class Slid:
    dims: tuple[sp.Expr, ...]
    formulas: tuple[str, ...]
    pads: tuple[tuple[sp.Expr, sp.Expr], ...]
    findings: tuple[Diagnostic, ...]
    fatal: bool


def resolve_padding(padding, x: Shape, kernel, stride, dilation, ctx: Ctx, findings: list):
    """Per-axis (lo, hi) padding and whether TensorFlow's 'same' with stride > 1 applies."""
    n = len(x.dims)
    if padding == "valid":
        return tuple((sp.Integer(0), sp.Integer(0)) for _ in range(n))
    if padding == "same":
        pads, odd = [], []
        for axis, (W, K, S, D) in enumerate(zip(x.dims, kernel, stride, dilation)):
            F = D * (K - 1) + 1
            if S == 1:
                total = F - 1
            else:  # TensorFlow's rule: output ceil(W/S), the padding it implies
                total = sp.Max((sp.ceiling(W / S) - 1) * S + F - W, 0)
            lo = sp.floor(total / 2)
            hi = total - lo
            if total.is_number and total % 2 == 1:
                odd.append((AXES[n][axis], total, lo, hi))
            pads.append((lo, hi))
        if odd:
            names = ", ".join(a for a, *_ in odd)
            where = {"H": "bottom", "W": "right", "L": "end"}
            sides = "/".join(where.get(a, "end") for a, *_ in odd)
            _, total, lo, hi = odd[0]
            same_all = all(o[1:] == odd[0][1:] for o in odd)
            amount = (f"{number_text(total)} rows in all: {number_text(lo)} before and "
                      f"{number_text(hi)} after" if same_all else "an odd amount of padding")
            findings.append(ctx.warning(
                f"'same' padding on {names} needs {amount} — the extra one goes to the "
                f"{sides}, as TensorFlow and PyTorch place it",
                "an odd kernel pads symmetrically", param="padding", code="same-asymmetric"))
        return tuple(pads)
    out = []
    for p in per_dim(padding, n):
        out.append(p if isinstance(p, tuple) else (p, p))
    return tuple(out)


def slide(x: Shape, kernel, stride, padding, dilation, rounding: str, ctx: Ctx, *,
          is_pool: bool = False) -> Slid:
    n = len(x.dims)
    kernel, stride, dilation = per_dim(kernel, n), per_dim(stride, n), per_dim(dilation, n)
    findings: list[Diagnostic] = []
    pads = resolve_padding(padding, x, kernel, stride, dilation, ctx, findings)
    dims, formulas, fatal = [], [], False
    for axis in range(n):
        W, K, S, D = x.dims[axis], kernel[axis], stride[axis], dilation[axis]
        lo, hi = pads[axis]
        name = AXES[n][axis]
        res = window_size(W, K, S, lo, hi, D, rounding)
        if padding == "same" and S != 1:
            # TensorFlow's 'same' pads to give exactly ⌈W/S⌉ (also where its padding is
            # clipped at 0). Said directly, the size holds W once: the padded formula holds
            # it several times, and a chain of such layers grew exponentially (--symbolic).
            dims.append(sp.ceiling(W / S))
        # A size that does not fit is an error; later layers see the floored size (what
        # PyTorch would compute) so that the rest of the network is still analysed.
        elif res.integral is False:
            dims.append(sp.floor(res.size))
        else:
            dims.append(res.size)
        formulas.append(res.formula)
        F = D * (K - 1) + 1
        if res.positive is False:
            fatal = True
            padded = f"{W} + {lo} + {hi}" if lo != hi else f"{W} + 2·{lo}"
            if (W + lo + hi - F).is_number and W + lo + hi < F:
                msg = (f"{name}: the {'window' if is_pool else 'kernel'} ({number_text(F)}) is "
                       f"larger than the padded input ({padded} = {number_text(W + lo + hi)}): "
                       "the volume vanishes here")
            else:
                msg = f"{name}: {res.formula}: the volume vanishes here"
            findings.append(ctx.error(msg, "use a smaller kernel or stride, more padding, "
                                           "or a larger input", code="vanishes"))
            continue
        if res.integral is False and rounding == "exact":
            hints = _hints(W, K, S, lo, hi, D, is_pool, n)
            findings.append(ctx.error(
                f"{name}: {res.formula} is not an integer — the windows do not tile the "
                f"input (W={number_text(W)}, F={number_text(F)}, S={number_text(S)}, "
                f"P={_pad_text(lo, hi)}); continuing with ⌊{number_text(res.size)}⌋ = "
                f"{number_text(sp.floor(res.size))}, as PyTorch would", *hints, param=_culprit(ctx), code="non-integer-size"))
        elif res.integral is False and rounding == "floor":
            miss = res.uncovered_input
            findings.append(ctx.warning(
                f"{name}: {res.formula} is floored (the `floor` rule): "
                + (f"the last {number_text(miss)} input row(s)/column(s) are never covered"
                   if miss != 0 else
                   f"only padding ({number_text(res.uncovered)}) is left uncovered; "
                   "every input row/column is used"),
                param=_culprit(ctx), code="floored"))
    return Slid(tuple(dims), tuple(formulas), pads, _merge_axes(findings, AXES[n]), fatal)


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
            first = Diagnostic(first.severity, f"{', '.join(axes)}: {rest}", first.loc,
                               first.hints, first.layer, first.code)
        out.append(first)
    return tuple(out)


def windows_of(kernel, stride, padding, dilation, rounding: str, ndim: int) -> tuple[Window, ...]:
    """Each axis's window from the arguments alone; TensorFlow-'same' padding with a stride
    depends on the input size, so it is its own kind of window."""
    kernel, stride, dilation = per_dim(kernel, ndim), per_dim(stride, ndim), per_dim(dilation, ndim)
    out = []
    for axis in range(ndim):
        K, S, D = kernel[axis], stride[axis], dilation[axis]
        F = D * (K - 1) + 1
        if padding == "same" and S != 1:
            out.append(Window("same_tf", F, S, rounding=rounding))
            continue
        if padding == "same":
            lo = sp.floor((F - 1) / 2)
            lohi = (lo, F - 1 - lo)
        elif padding == "valid":
            lohi = (sp.Integer(0), sp.Integer(0))
        else:
            p = per_dim(padding, ndim)[axis]
            lohi = p if isinstance(p, tuple) else (p, p)
        out.append(Window("window", F, S, lohi[0], lohi[1], rounding))
    return tuple(out)


def _culprit(ctx: Ctx) -> str:
    return "stride" if "stride" in ctx.arg_locs else ""


def _pad_text(lo, hi) -> str:
    return number_text(lo) if lo == hi else f"[{number_text(lo)}, {number_text(hi)}]"


def _hints(W, K, S, lo, hi, D, is_pool: bool, ndim: int) -> list[str]:
    concrete = all(isinstance(v, (int, sp.Integer)) for v in (W, K, S, lo, hi, D))
    rounding_hint = ("or declare `rounding: floor` on the layer or the spec, as PyTorch and "
                     "Keras floor silently" + ("; or `ceil_mode: true`" if is_pool else ""))
    if not concrete:
        return [rounding_hint]
    max_pad = int(K) // 2 if is_pool else None
    return fit_hints(int(W), int(K), int(S), int(lo), int(hi), int(D), max_pad=max_pad,
                     rounding_hint=rounding_hint, ndim=ndim)
