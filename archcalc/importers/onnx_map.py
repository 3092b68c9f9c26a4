"""One ONNX node -> one archcalc layer (kind and arguments), or the reason it cannot be.

`Graph` holds what the mapping reads besides the node: the initializers' shapes (never
their data, which may be external), the small constants (Clip bounds, Reshape shapes) and
the attributes. Weights are the initializers a layer reads at input 1 and after.
"""

from __future__ import annotations

from .ir import Unsupported, one


class Malformed(Unsupported):
    """A node that breaks the ONNX operator's own rules (onnx.ai/onnx/operators): an
    attribute of the wrong type or length, a weight of the wrong rank, a missing input."""


def attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def f32(x, what: str = "attribute") -> float:
    """A float32 attribute as the decimal it was written as (1e-05, not 9.9999997e-06)."""
    import numpy as np

    if not isinstance(x, (int, float)):
        raise Malformed(f"{what} is not a number")
    v = float(str(np.float32(x)))
    if not np.isfinite(v):
        raise Malformed(f"{what} is {v}, not a finite float32")
    return v


def _ints(a: dict, key: str, count: int, default=None) -> list[int]:
    """The INTS attribute `key`, `count` of them (`default` when it is absent)."""
    v = a.get(key, default)
    if v is None:
        raise Malformed(f"it has no {key}")
    if not isinstance(v, list) or not all(isinstance(x, int) for x in v):
        raise Malformed(f"{key} is not a list of integers")
    if len(v) != count:
        raise Malformed(f"{key} holds {len(v)} values; this node takes {count}")
    return v


def _int(a: dict, key: str, default: int) -> int:
    v = a.get(key, default)
    if not isinstance(v, int):
        raise Malformed(f"{key} is not an integer")
    return v


def _weight(node, g, rank: int | None = None, least: int = 0) -> list[int]:
    if len(node.input) < 2 or not node.input[1]:
        raise Malformed("it has no weight input")
    w = g.shape(node.input[1])
    if (rank is not None and len(w) != rank) or len(w) < least:
        raise Malformed(f"its weight '{node.input[1][:60]}' has {len(w)} dims; it takes "
                        + (f"{rank}" if rank is not None else f"at least {least}"))
    return w


def _pads(a, n: int):
    """ONNX pads [b1.., e1..] (or auto_pad) as archcalc's padding."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode(errors="replace") if isinstance(auto, bytes) else str(auto)
    if auto == "VALID":
        return 0
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if auto == "SAME_LOWER" or any(s != 1 for s in a.get("strides", [1])):
            raise Unsupported(f"auto_pad {auto} with a stride: archcalc's 'same' pads as "
                              "TensorFlow (SAME_UPPER) and this one is checked at stride 1 only")
        return "same"
    if auto != "NOTSET":
        raise Malformed(f"auto_pad {auto[:40]!r} is none of NOTSET, VALID, SAME_UPPER, "
                        "SAME_LOWER")
    pads = _ints(a, "pads", 2 * n, [0] * 2 * n)
    begin, end = pads[:n], pads[n:]
    return one(begin) if begin == end else [[b, e] for b, e in zip(begin, end)]


def conv(node, g):
    a, w = attrs(node), _weight(node, g, least=3)
    n, groups = len(w) - 2, _int(a, "group", 1)
    if "output_shape" in a:
        raise Unsupported("output_shape (archcalc takes output_padding)")
    args = {"kernel": one(_ints(a, "kernel_shape", n, w[2:])),
            "stride": one(_ints(a, "strides", n, [1] * n)), "padding": _pads(a, n),
            "dilation": one(_ints(a, "dilations", n, [1] * n)), "groups": groups,
            "bias": len(node.input) > 2 and node.input[2] != ""}
    if node.op_type == "Conv":
        return "conv", {"out": w[0], **args}
    return "conv_transpose", {"out": w[1] * groups, **args,
                              "output_padding": one(_ints(a, "output_padding", n, [0] * n))}


def gemm(node, g):
    a = attrs(node)
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        raise Unsupported("transA, alpha or beta other than a plain x·Wᵀ + b")
    w = _weight(node, g, rank=2)
    return "linear", {"out": w[0] if _int(a, "transB", 0) else w[1],
                      "bias": len(node.input) > 2 and node.input[2] != ""}


def matmul(node, g):
    w = _weight(node, g)
    if len(w) != 2:
        raise Unsupported(f"a MatMul with a {len(w)}-d weight")
    return "linear", {"out": w[1], "bias": False}


def batchnorm(node, g):
    a = attrs(node)
    # ONNX's momentum weighs the running value (0.9), PyTorch's the new one (0.1).
    if len([i for i in node.input[1:] if i]) != 4:
        raise Malformed("it takes 5 inputs: X, scale, B, mean, var")
    for i in node.input[1:]:
        _weight_shape(g, i, 1)
    return "batchnorm", {"eps": f32(a.get("epsilon", 1e-5), "epsilon"),
                         "momentum": round(1.0 - f32(a.get("momentum", 0.9), "momentum"), 7)}


def _weight_shape(g, name: str, rank: int) -> list[int]:
    w = g.shape(name)
    if len(w) != rank:
        raise Malformed(f"its weight '{name[:60]}' has {len(w)} dims; it takes {rank}")
    return w


def pool(node, g):
    a = attrs(node)
    k = a.get("kernel_shape")
    n = len(k) if isinstance(k, list) and k else 1  # 1-3 spatial axes; checked below
    k = _ints(a, "kernel_shape", n)
    args = {"kernel": one(k), "stride": one(_ints(a, "strides", n, [1] * n)),
            "padding": _pads(a, n), "ceil_mode": bool(_int(a, "ceil_mode", 0))}
    if node.op_type == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("the indices output")
        return "maxpool", {**args, "dilation": one(_ints(a, "dilations", n, [1] * n))}
    return "avgpool", {**args, "count_include_pad": bool(_int(a, "count_include_pad", 0))}


def clip(node, g):
    lo = g.scalar(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    hi = g.scalar(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    a = attrs(node)
    lo, hi = a.get("min", lo), a.get("max", hi)
    if (lo, hi) == (0.0, 6.0):
        return "relu6", {}
    if lo is None or hi is None:
        raise Unsupported("a Clip bounded on one side only")
    return "hardtanh", {"min_val": f32(lo, "min"), "max_val": f32(hi, "max")}


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
    if abs(f32(a.get("alpha", 0.2), "alpha") - 1 / 6) > 1e-6 or a.get("beta", 0.5) != 0.5:
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
                               {"negative_slope": f32(attrs(n).get("alpha", 0.01), "alpha")}),
    "Elu": lambda n, g: ("elu", {"alpha": f32(attrs(n).get("alpha", 1.0), "alpha")}),
    "Softmax": _axis1("softmax"), "Concat": _axis1("concat"),
    "Add": lambda n, g: ("add", {}), "Mul": lambda n, g: ("multiply", {}),
    "Identity": lambda n, g: ("identity", {}), "Dropout": lambda n, g: ("identity", {}),
}
WEIGHTED = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization"}
