"""One ONNX node -> one archcalc layer (kind and arguments), or the reason it cannot be.

`Graph` holds what the mapping reads besides the node: the initializers' shapes (never
their data, which may be external), the small constants (Clip bounds, Reshape shapes) and
the attributes. Weights are the initializers a layer reads at input 1 and after.
"""

from __future__ import annotations

from .ir import Unsupported, one


def attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def f32(x) -> float:
    """A float32 attribute as the decimal it was written as (1e-05, not 9.9999997e-06)."""
    import numpy as np

    return float(str(np.float32(x)))


def _ints(v):
    return [int(x) for x in v]


def _pads(a, n: int):
    """ONNX pads [b1.., e1..] (or auto_pad) as archcalc's padding."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto == "VALID":
        return 0
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if auto == "SAME_LOWER" or any(s != 1 for s in a.get("strides", [1])):
            raise Unsupported(f"auto_pad {auto} with a stride: archcalc's 'same' pads as "
                              "TensorFlow (SAME_UPPER) and this one is checked at stride 1 only")
        return "same"
    pads = _ints(a.get("pads", [0] * 2 * n))
    begin, end = pads[:n], pads[n:]
    return one(begin) if begin == end else [[b, e] for b, e in zip(begin, end)]


def conv(node, g):
    a, w = attrs(node), g.shape(node.input[1])
    n, groups = len(w) - 2, int(a.get("group", 1))
    if "output_shape" in a:
        raise Unsupported("output_shape (archcalc takes output_padding)")
    args = {"kernel": one(_ints(a.get("kernel_shape", w[2:]))),
            "stride": one(_ints(a.get("strides", [1] * n))), "padding": _pads(a, n),
            "dilation": one(_ints(a.get("dilations", [1] * n))), "groups": groups,
            "bias": len(node.input) > 2 and node.input[2] != ""}
    if node.op_type == "Conv":
        return "conv", {"out": w[0], **args}
    return "conv_transpose", {"out": w[1] * groups, **args,
                              "output_padding": one(_ints(a.get("output_padding", [0] * n)))}


def gemm(node, g):
    a = attrs(node)
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        raise Unsupported("transA, alpha or beta other than a plain x·Wᵀ + b")
    w = g.shape(node.input[1])
    return "linear", {"out": w[0] if a.get("transB", 0) else w[1],
                      "bias": len(node.input) > 2 and node.input[2] != ""}


def matmul(node, g):
    w = g.shape(node.input[1])
    if len(w) != 2:
        raise Unsupported(f"a MatMul with a {len(w)}-d weight")
    return "linear", {"out": w[1], "bias": False}


def batchnorm(node, g):
    a = attrs(node)
    # ONNX's momentum weighs the running value (0.9), PyTorch's the new one (0.1).
    return "batchnorm", {"eps": f32(a.get("epsilon", 1e-5)),
                         "momentum": round(1.0 - f32(a.get("momentum", 0.9)), 7)}


def pool(node, g):
    a = attrs(node)
    k = _ints(a["kernel_shape"])
    n = len(k)
    args = {"kernel": one(k), "stride": one(_ints(a.get("strides", [1] * n))),
            "padding": _pads(a, n), "ceil_mode": bool(a.get("ceil_mode", 0))}
    if node.op_type == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("the indices output")
        return "maxpool", {**args, "dilation": one(_ints(a.get("dilations", [1] * n)))}
    return "avgpool", {**args, "count_include_pad": bool(a.get("count_include_pad", 0))}


def clip(node, g):
    lo = g.scalar(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    hi = g.scalar(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    a = attrs(node)
    lo, hi = a.get("min", lo), a.get("max", hi)
    if (lo, hi) == (0.0, 6.0):
        return "relu6", {}
    if lo is None or hi is None:
        raise Unsupported("a Clip bounded on one side only")
    return "hardtanh", {"min_val": f32(lo), "max_val": f32(hi)}


def flatten(node, g):
    if attrs(node).get("axis", 1) != 1:
        raise Unsupported("Flatten at an axis other than 1")
    return "flatten", {}


def reshape(node, g):
    shape = g.constant(node.input[1])
    if shape is None or len(shape) != 2 or int(shape[1]) != -1 or int(shape[0]) not in (0, 1, -1):
        raise Unsupported("a Reshape other than to (batch, -1), a flatten")
    return "flatten", {}


def _axis1(kind):
    def make(node, g):
        if attrs(node).get("axis", 1) != 1:
            raise Unsupported(f"{node.op_type} along an axis other than the channels (1)")
        return kind, {}
    return make


def hardsigmoid(node, g):
    a = attrs(node)
    if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or a.get("beta", 0.5) != 0.5:
        raise Unsupported("HardSigmoid with alpha ≠ 1/6 or beta ≠ 0.5 (PyTorch's)")
    return "hardsigmoid", {}


MAP = {
    "Conv": conv, "ConvTranspose": conv, "Gemm": gemm, "MatMul": matmul,
    "BatchNormalization": batchnorm, "MaxPool": pool, "AveragePool": pool, "Clip": clip,
    "Flatten": flatten, "Reshape": reshape,
    "GlobalAveragePool": lambda n, g: ("global_avgpool", {}),
    "GlobalMaxPool": lambda n, g: ("global_maxpool", {}),
    "Relu": lambda n, g: ("relu", {}), "Sigmoid": lambda n, g: ("sigmoid", {}),
    "Tanh": lambda n, g: ("tanh", {}), "HardSwish": lambda n, g: ("hardswish", {}),
    "HardSigmoid": hardsigmoid, "Mish": lambda n, g: ("mish", {}),
    "Selu": lambda n, g: ("selu", {}),
    "LeakyRelu": lambda n, g: ("leaky_relu",
                               {"negative_slope": f32(attrs(n).get("alpha", 0.01))}),
    "Elu": lambda n, g: ("elu", {"alpha": f32(attrs(n).get("alpha", 1.0))}),
    "Softmax": _axis1("softmax"), "Concat": _axis1("concat"),
    "Add": lambda n, g: ("add", {}), "Mul": lambda n, g: ("multiply", {}),
    "Identity": lambda n, g: ("identity", {}), "Dropout": lambda n, g: ("identity", {}),
}
WEIGHTED = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization"}
