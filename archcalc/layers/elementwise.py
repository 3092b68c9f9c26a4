"""Layers that keep the shape: activations, dropout and a constant scale.

Every activation is one line of the table below: its name, aliases, PyTorch module and
the arguments it takes. Softmax and log-softmax act across channels (dim 1). PReLU, the one
activation with parameters (a learned slope, shared or one per channel), and Hardtanh,
whose bounds must be ordered, are classes of their own. None counts MACs: FlopCounterMode
counts no elementwise op (torch 2.13).
"""

from __future__ import annotations

from .base import BOOL, CHOICE, FLOAT, PROB, Ctx, Facts, LayerKind, Param, Saved, Shape
from .call import Call, kw
from .registry import register


class _ShapeKeeping(LayerKind):
    keeps: str | None = None  # "input" or "output": the tensor its backward needs
    fixed: tuple = ()         # PyTorch arguments archcalc always passes (softmax's dim=1)
    is_view = False           # the output is the input tensor itself (identity)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        return Facts(xs[0], call=self.module(), view=self.is_view)

    def module(self) -> Call:
        """`nn.X(...)` from the torch name, passing each argument that is not PyTorch's
        default (they share names and defaults: negative_slope, alpha, p, approximate)."""
        own = kw(**{p.name: (_plain(p, getattr(self, p.name)), p.default)
                    for p in self.params})
        return Call(self.torch.split("(")[0], (), self.fixed + own)

    def saved(self, xs, y):
        return (Saved(self.keeps),) if self.keeps else ()


def _plain(p: Param, v):
    return float(v) if p.type in (FLOAT, PROB) else v


@register
class Dropout(_ShapeKeeping):
    name = "dropout"
    category = "regularization"
    torch = "nn.Dropout"
    summary = "dropout: zero each activation with probability p while training"
    name_prefix = "dropout"
    shorthand = "p"
    params = (Param("p", PROB, 0.5, "probability of dropping an activation"),)

    def saved(self, xs, y):
        return (Saved("new", xs[0].numel),)  # the mask (activation-sized on the CPU)


@register
class Scale(_ShapeKeeping):
    name = "scale"
    category = "elementwise"
    torch = "archcalc.reference.helpers.Scale (x · factor)"
    summary = "multiply by a constant (Inception-ResNet scales its residual branches)"
    name_prefix = "scale"
    shorthand = "factor"
    params = (Param("factor", FLOAT, doc="the constant"),)

    def module(self) -> Call:
        return Call("Scale", (float(self.factor),))


_ACTIVATIONS = (
    # name, aliases, torch module, params, what backward keeps, summary
    ("relu", (), "nn.ReLU", (), "output", "max(0, x)"),
    ("relu6", (), "nn.ReLU6", (), "input", "min(max(0, x), 6)"),
    ("leaky_relu", ("leakyrelu",), "nn.LeakyReLU",
     (Param("negative_slope", FLOAT, 0.01, "slope for x < 0"),), "input",
     "x, or slope·x below 0"),
    ("elu", (), "nn.ELU", (Param("alpha", FLOAT, 1.0, "scale of the negative part"),), "input",
     "exponential linear unit"),
    ("selu", (), "nn.SELU", (), "input", "scaled exponential linear unit"),
    ("gelu", (), "nn.GELU",
     (Param("approximate", CHOICE, "none", "'tanh': the tanh approximation (GPT-2, timm's "
            "GELUTanh)", choices=("none", "tanh")),), "input", "Gaussian error linear unit"),
    ("celu", (), "nn.CELU", (Param("alpha", FLOAT, 1.0, "α of max(0, x) + min(0, α·(e^(x/α) "
                                   "− 1))"),), "input", "continuously differentiable ELU"),
    ("silu", ("swish",), "nn.SiLU", (), "input", "x·sigmoid(x)"),
    ("mish", (), "nn.Mish", (), "input", "x·tanh(softplus(x))"),
    ("hardswish", ("hard_swish",), "nn.Hardswish", (), "input", "piecewise-linear swish"),
    ("hardsigmoid", ("hard_sigmoid",), "nn.Hardsigmoid", (), "input",
     "piecewise-linear sigmoid"),
    ("tanh", (), "nn.Tanh", (), "output", "hyperbolic tangent (LeNet-5)"),
    ("sigmoid", ("logistic",), "nn.Sigmoid", (), "output", "1/(1 + e^−x)"),
    ("softplus", (), "nn.Softplus", (), "input", "log(1 + e^x)"),
    ("softmax", (), "nn.Softmax(dim=1)", (), "output", "normalised exponentials across channels"),
    ("log_softmax", ("logsoftmax",), "nn.LogSoftmax(dim=1)", (), "output", "log of softmax"),
    ("identity", ("linear_activation",), "nn.Identity", (), None, "x"),
)

for _name, _aliases, _torch, _params, _keeps, _summary in _ACTIVATIONS:
    register(type(_name.title().replace("_", ""), (_ShapeKeeping,), {
        "name": _name, "aliases": _aliases, "torch": _torch, "params": _params,
        "keeps": _keeps, "summary": f"activation: {_summary}", "category": "activation",
        "name_prefix": _name, "__module__": __name__,
        "fixed": (("dim", 1),) if "dim=1" in _torch else (), "is_view": _name == "identity",
    }))


@register
class Hardtanh(_ShapeKeeping):
    name = "hardtanh"
    aliases = ("hard_tanh",)
    category = "activation"
    torch = "nn.Hardtanh"
    summary = "activation: x clipped to [min_val, max_val]"
    name_prefix = "hardtanh"
    keeps = "input"
    params = (Param("min_val", FLOAT, -1.0, "lower bound"),
              Param("max_val", FLOAT, 1.0, "upper bound"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        if self.max_val <= self.min_val:  # nn.Hardtanh asserts it
            return Facts(xs[0], findings=(ctx.error(
                f"hardtanh: max_val ({self.max_val:g}) must be above min_val "
                f"({self.min_val:g})", param="max_val", code="range"),), fatal=True)
        return super().infer(xs, ctx)


@register
class PReLU(LayerKind):
    name = "prelu"
    category = "activation"
    torch = "nn.PReLU"
    summary = "activation: x, or a learned slope a·x below 0 (one a, or one per channel)"
    name_prefix = "prelu"
    params = (Param("per_channel", BOOL, False, "one slope per channel (PyTorch's "
                    "num_parameters = C) rather than one for all"),
              Param("init", FLOAT, 0.25, "the slopes' initial value"))

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        slopes = xs[0].c if self.per_channel else 1
        return Facts(xs[0], trainable=slopes, call=Call("nn.PReLU", (), kw(
            num_parameters=(slopes, 1), init=(float(self.init), 0.25))))

    def saved(self, xs, y):
        return (Saved("input"),)  # and the slopes, which are parameters
