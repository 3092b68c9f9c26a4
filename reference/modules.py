"""Each layer kind the calculator knows, as the PyTorch module that computes it.

`MODULES[kind](args, row, ndim)` returns a `Call` describing a concrete module
(`nn.Conv2d(3, 96, 11, stride=4)`, never a Lazy one: the analysis knows every input size),
with PyTorch's defaults left out so that generated code reads as a person would write it.
The analysis row supplies the input shape and the padding the calculator resolved, so
`same` with a stride, and per-side padding, compile to exactly what was calculated. A kind
without a mapping, or a setting PyTorch cannot express, raises `CompileError` — never a
silent substitute.
"""

from __future__ import annotations

from archcalc.analysis.result import LayerRow
from archcalc.layers.base import per_dim

from .calls import Call
from .errors import CompileError


def _dims(value, ndim: int):
    """One value, or a tuple when the axes differ (kernel_size=3 rather than (3, 3))."""
    vals = tuple(per_dim(value, ndim))
    return vals[0] if len(set(vals)) == 1 else vals


def _kw(**pairs) -> tuple:
    """Keyword arguments, dropping those equal to PyTorch's default (the second item)."""
    return tuple((k, v) for k, (v, default) in pairs.items() if v != default)


def _pads(row: LayerRow):
    return tuple(tuple(p) for p in dict(row.resolved)["padding"])


def _side_order(pads) -> tuple:
    """F.pad wants the last axis first: (left, right, top, bottom)."""
    out: list = []
    for lo, hi in reversed(pads):
        out += [lo, hi]
    return tuple(out)


_F_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
               "circular": "circular"}


def conv(args, row: LayerRow, ndim: int) -> Call:
    pads = _pads(row)
    positional = (row.in_shape.c, args["out"], _dims(args["kernel"], ndim))
    stride = (_dims(args["stride"], ndim), 1)
    rest = dict(dilation=(_dims(args["dilation"], ndim), 1), groups=(args["groups"], 1),
                bias=(bool(args["bias"]), True))
    cls = "nn.Conv1d" if ndim == 1 else "nn.Conv2d"
    if all(lo == hi for lo, hi in pads):  # in nn.Conv2d's own order
        padding = (_dims(tuple(lo for lo, _ in pads), ndim), 0)
        return Call(cls, positional, _kw(stride=stride, padding=padding, **rest,
                                          padding_mode=(args["padding_mode"], "zeros")))
    return Call("PaddedConv1d" if ndim == 1 else "PaddedConv2d", positional,
                _kw(stride=stride, **rest, side_padding=(_side_order(pads), None),
                    pad_mode=(_F_PAD_MODE[args["padding_mode"]], "constant")))


def _pool_padding(row: LayerRow, kind: str, ndim: int):
    pads = _pads(row)
    if any(lo != hi for lo, hi in pads):
        raise CompileError(f"{kind} with per-side padding {pads} has no PyTorch "
                           "pooling module (they pad symmetrically)", row.loc, layer=row.name)
    return _dims(tuple(lo for lo, _ in pads), ndim)


def _stride(args, ndim):
    return _dims(args["stride"] if args["stride"] is not None else args["kernel"], ndim)


def maxpool(args, row, ndim):
    kernel = _dims(args["kernel"], ndim)
    return Call("nn.MaxPool1d" if ndim == 1 else "nn.MaxPool2d", (kernel,), _kw(
        stride=(_stride(args, ndim), kernel), padding=(_pool_padding(row, "maxpool", ndim), 0),
        dilation=(_dims(args["dilation"], ndim), 1), ceil_mode=(bool(args["ceil_mode"]), False)))


def avgpool(args, row, ndim):
    kernel = _dims(args["kernel"], ndim)
    return Call("nn.AvgPool1d" if ndim == 1 else "nn.AvgPool2d", (kernel,), _kw(
        stride=(_stride(args, ndim), kernel), padding=(_pool_padding(row, "avgpool", ndim), 0),
        ceil_mode=(bool(args["ceil_mode"]), False),
        count_include_pad=(bool(args["count_include_pad"]), True)))


def lppool(args, row, ndim):
    kernel = _dims(args["kernel"], ndim)
    return Call("nn.LPPool1d" if ndim == 1 else "nn.LPPool2d",
                (float(args["norm_type"]), kernel),
                _kw(stride=(_stride(args, ndim), kernel),
                    ceil_mode=(bool(args["ceil_mode"]), False)))


def _adaptive(avg: bool, size):
    def make(args, row, ndim):
        kind = "Avg" if avg else "Max"
        return Call(f"nn.Adaptive{kind}Pool{ndim}d", (_dims(size(args), ndim),))
    return make


def linear(args, row, ndim):
    return Call("nn.Linear", (row.in_shape.c, args["out"]), _kw(bias=(bool(args["bias"]), True)))


def batchnorm(args, row, ndim):
    cls = "nn.BatchNorm2d" if len(row.in_shape.dims) == 2 else "nn.BatchNorm1d"
    return Call(cls, (row.in_shape.c,), _kw(
        eps=(float(args["eps"]), 1e-5), momentum=(float(args["momentum"]), 0.1),
        affine=(bool(args["affine"]), True),
        track_running_stats=(bool(args["track_running_stats"]), True)))


def lrn(args, row, ndim):
    return Call("nn.LocalResponseNorm", (args["size"],), _kw(
        alpha=(float(args["alpha"]), 1e-4), beta=(float(args["beta"]), 0.75),
        k=(float(args["k"]), 1.0)))


def shortcut(args, row: LayerRow, ndim: int) -> Call:
    resolved = dict(row.resolved)
    mode = resolved["mode"]
    if mode == "identity":
        return Call("nn.Identity")
    stride = _dims(tuple(resolved["stride"]), ndim)
    cin, cout = row.in_shape.c, row.out_shape.c
    if mode == "zeropad":
        return Call("ZeroPadShortcut", (tuple(per_dim(stride, ndim)), cout - cin))
    conv1x1 = Call("nn.Conv1d" if ndim == 1 else "nn.Conv2d", (cin, cout, 1),
                   _kw(stride=(stride, 1), bias=(not args["batchnorm"], True)))
    if not args["batchnorm"]:
        return conv1x1
    return Call("nn.Sequential", (conv1x1, Call("nn.BatchNorm1d" if ndim == 1 else
                                               "nn.BatchNorm2d", (cout,))))


def _simple(name: str, **fixed):
    return lambda args, row, ndim: Call(name, (), tuple(fixed.items()))


MODULES = {
    "conv": conv,
    "maxpool": maxpool,
    "avgpool": avgpool,
    "lppool": lppool,
    "global_avgpool": _adaptive(True, lambda a: 1),
    "global_maxpool": _adaptive(False, lambda a: 1),
    "adaptive_avgpool": _adaptive(True, lambda a: a["output_size"]),
    "adaptive_maxpool": _adaptive(False, lambda a: a["output_size"]),
    "linear": linear,
    "flatten": _simple("nn.Flatten"),
    "batchnorm": batchnorm,
    "lrn": lrn,
    "dropout": lambda a, r, n: Call("nn.Dropout", (), _kw(p=(float(a["p"]), 0.5))),
    "relu": _simple("nn.ReLU"),
    "relu6": _simple("nn.ReLU6"),
    "leaky_relu": lambda a, r, n: Call("nn.LeakyReLU", (), _kw(
        negative_slope=(float(a["negative_slope"]), 0.01))),
    "elu": lambda a, r, n: Call("nn.ELU", (), _kw(alpha=(float(a["alpha"]), 1.0))),
    "selu": _simple("nn.SELU"),
    "gelu": _simple("nn.GELU"),
    "silu": _simple("nn.SiLU"),
    "mish": _simple("nn.Mish"),
    "hardswish": _simple("nn.Hardswish"),
    "hardsigmoid": _simple("nn.Hardsigmoid"),
    "tanh": _simple("nn.Tanh"),
    "sigmoid": _simple("nn.Sigmoid"),
    "softplus": _simple("nn.Softplus"),
    "softmax": _simple("nn.Softmax", dim=1),
    "log_softmax": _simple("nn.LogSoftmax", dim=1),
    "identity": _simple("nn.Identity"),
    "scale": lambda a, r, n: Call("Scale", (float(a["factor"]),)),
    "add": _simple("Add"),
    "concat": _simple("Concat"),
    "shortcut": shortcut,
}


def module_call(kind: str, args: dict, row: LayerRow, ndim: int) -> Call:
    factory = MODULES.get(kind)
    if factory is None:
        raise CompileError(f"layer kind '{kind}' has no PyTorch counterpart yet", row.loc,
                           layer=row.name)
    return factory(args, row, ndim)


def module_for(kind: str, args: dict, row: LayerRow, ndim: int):
    from .calls import instantiate

    return instantiate(module_call(kind, args, row, ndim))
