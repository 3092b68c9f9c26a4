"""Layers that keep the shape and hold no parameters: activations and dropout.

Every activation is one line of the table below: its name, aliases, PyTorch module and
the arguments it takes. Softmax and log-softmax act across channels (dim 1).
"""

from __future__ import annotations

from .base import FLOAT, PROB, Ctx, Facts, LayerKind, Param, Saved, Shape
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
        default (they share names and defaults: negative_slope, alpha, p)."""
        own = kw(**{p.name: (float(getattr(self, p.name)), p.default) for p in self.params})
        return Call(self.torch.split("(")[0], (), self.fixed + own)

    def saved(self, xs, y):
        return (Saved(self.keeps),) if self.keeps else ()


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
    aliases = ("multiply",)
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
    ("gelu", (), "nn.GELU", (), "input", "Gaussian error linear unit"),
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
