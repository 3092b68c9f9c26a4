"""One torch.fx node -> one archcalc layer (kind and arguments), or the reason it cannot be.

Modules map by their class (the torch.nn classes, not subclasses that may change forward:
a subclass is refused unless it is one of these exactly), functions by the function and its
constant arguments. Each mapping reads every setting that changes sizes or counts and
refuses a value archcalc cannot express rather than drop it.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import nn

from .ir import ImportRefused, Unsupported, one


def _conv(m):
    if m.padding_mode != "zeros" and isinstance(m, nn.ConvTranspose1d | nn.ConvTranspose2d |
                                                 nn.ConvTranspose3d):
        raise Unsupported(f"padding_mode {m.padding_mode!r} on a transposed convolution")
    args = {"out": m.out_channels, "kernel": one(m.kernel_size), "stride": one(m.stride),
            "padding": one(m.padding), "dilation": one(m.dilation), "groups": m.groups,
            "bias": m.bias is not None}
    if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        if m.padding_mode != "zeros":
            args["padding_mode"] = m.padding_mode
        return "conv", args
    args["output_padding"] = one(m.output_padding)
    return "conv_transpose", args


def _bn(m):
    if m.momentum is None:
        raise Unsupported("momentum=None (a cumulative average): archcalc's batchnorm "
                          "takes a number")
    return "batchnorm", {"eps": float(m.eps), "momentum": float(m.momentum),
                         "affine": m.affine, "track_running_stats": m.track_running_stats}


def _maxpool(m):
    if m.return_indices:
        raise Unsupported("return_indices=True")
    return "maxpool", {"kernel": one(m.kernel_size), "stride": one(m.stride),
                       "padding": one(m.padding), "dilation": one(m.dilation),
                       "ceil_mode": m.ceil_mode}


def _avgpool(m):
    if getattr(m, "divisor_override", None) is not None:
        raise Unsupported("divisor_override")
    return "avgpool", {"kernel": one(m.kernel_size), "stride": one(m.stride),
                       "padding": one(m.padding), "ceil_mode": m.ceil_mode,
                       "count_include_pad": m.count_include_pad}


def _adaptive(kind: str, size):
    size = one(size)
    if size is None or (isinstance(size, list) and None in size):
        raise Unsupported("an output_size of None (keep that axis): archcalc's adaptive "
                          "pooling takes sizes")
    if size == 1:
        return f"global_{kind}", {}
    return f"adaptive_{kind}", {"output_size": size}


def _flatten(start: int, end: int):
    if (start, end) != (1, -1):
        raise Unsupported(f"flatten from dim {start} to {end}: archcalc flattens from dim 1 "
                          "to the end")
    return "flatten", {}


def _linear(m):
    return "linear", {"out": m.out_features, "bias": m.bias is not None}


MODULES = {
    nn.Conv1d: _conv, nn.Conv2d: _conv, nn.Conv3d: _conv,
    nn.ConvTranspose1d: _conv, nn.ConvTranspose2d: _conv, nn.ConvTranspose3d: _conv,
    nn.BatchNorm1d: _bn, nn.BatchNorm2d: _bn, nn.BatchNorm3d: _bn,
    nn.Linear: _linear,
    nn.MaxPool1d: _maxpool, nn.MaxPool2d: _maxpool, nn.MaxPool3d: _maxpool,
    nn.AvgPool1d: _avgpool, nn.AvgPool2d: _avgpool, nn.AvgPool3d: _avgpool,
    nn.AdaptiveAvgPool1d: lambda m: _adaptive("avgpool", m.output_size),
    nn.AdaptiveAvgPool2d: lambda m: _adaptive("avgpool", m.output_size),
    nn.AdaptiveAvgPool3d: lambda m: _adaptive("avgpool", m.output_size),
    nn.AdaptiveMaxPool2d: lambda m: _adaptive("maxpool", m.output_size),
    nn.Flatten: lambda m: _flatten(m.start_dim, m.end_dim),
    nn.Dropout: lambda m: ("dropout", {"p": float(m.p)}),
    nn.GroupNorm: lambda m: ("groupnorm", {"groups": m.num_groups, "eps": float(m.eps),
                                           "affine": m.affine}),
    nn.ReLU: lambda m: ("relu", {}), nn.ReLU6: lambda m: ("relu6", {}),
    nn.SiLU: lambda m: ("silu", {}), nn.Sigmoid: lambda m: ("sigmoid", {}),
    nn.Tanh: lambda m: ("tanh", {}), nn.Hardswish: lambda m: ("hardswish", {}),
    nn.Hardsigmoid: lambda m: ("hardsigmoid", {}), nn.Mish: lambda m: ("mish", {}),
    nn.SELU: lambda m: ("selu", {}), nn.Identity: lambda m: ("identity", {}),
    nn.GELU: lambda m: ("gelu", {"approximate": m.approximate}),
    nn.LeakyReLU: lambda m: ("leaky_relu", {"negative_slope": float(m.negative_slope)}),
    nn.ELU: lambda m: ("elu", {"alpha": float(m.alpha)}),
    nn.Hardtanh: lambda m: (("relu6", {}) if (m.min_val, m.max_val) == (0.0, 6.0) else
                            ("hardtanh", {"min_val": float(m.min_val),
                                          "max_val": float(m.max_val)})),
}


def module_layer(m) -> tuple[str, dict]:
    """(kind, args) of a leaf module, or Unsupported."""
    make = MODULES.get(type(m))
    if make is None:
        raise Unsupported(f"module class {type(m).__module__}.{type(m).__qualname__}")
    return make(m)


_ADD = {operator.add, operator.iadd, torch.add}
_MUL = {operator.mul, operator.imul, torch.mul}
_ACT = {F.relu: "relu", torch.relu: "relu", F.relu6: "relu6", F.silu: "silu",
        torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", torch.tanh: "tanh",
        F.hardswish: "hardswish", F.hardsigmoid: "hardsigmoid", F.gelu: "gelu"}
_METHOD_ACT = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "relu_": "relu"}
_ADAPTIVE = {F.adaptive_avg_pool1d: "avgpool", F.adaptive_avg_pool2d: "avgpool",
             F.adaptive_avg_pool3d: "avgpool", F.adaptive_max_pool2d: "maxpool"}


def function_layer(node, is_tensor) -> tuple[str, dict, list]:
    """(kind, args, tensor inputs) of a call_function/call_method node, or Unsupported."""
    target, args, kwargs = node.target, node.args, node.kwargs
    tensors = [a for a in args if is_tensor(a)]
    if node.op == "call_method":
        if target in _METHOD_ACT and len(args) == 1 and not kwargs:
            return _METHOD_ACT[target], {}, tensors
        if target == "flatten":
            return (*_flatten(*_dims(args[1:], kwargs)), tensors)
        if target == "mean" and len(tensors) == 1:
            return (*_mean(args[1:], kwargs), tensors)
        if target in ("add", "add_", "mul", "mul_") and len(tensors) == 2 and not kwargs:
            return ("add" if target.startswith("add") else "multiply"), {}, tensors
        raise Unsupported(f"tensor method .{target}()")
    if target in _ADD | _MUL:
        if len(tensors) != 2 or kwargs:
            raise Unsupported("a sum or product with a constant (archcalc's add and "
                              "multiply join two layers)")
        return ("add" if target in _ADD else "multiply"), {}, tensors
    if target in (torch.cat, torch.concat):
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        if dim != 1 or not isinstance(args[0], (list, tuple)):
            raise Unsupported(f"concatenation along dim {dim}: archcalc concatenates "
                              "channels (dim 1)")
        if len(args[0]) == 1:  # torch.cat([x]) is x (DenseNet's first layer of a block)
            return "identity", {}, list(args[0])
        return "concat", {}, list(args[0])
    if target in _POOL:
        return (*_pool_call(target, args[1:], kwargs), tensors)
    if getattr(target, "__name__", "") == "stochastic_depth" and \
            getattr(target, "__module__", "").startswith("torchvision.ops"):
        p = args[1] if len(args) > 1 else kwargs["p"]
        mode = args[2] if len(args) > 2 else kwargs["mode"]
        return "drop_path", {"p": float(p), "mode": mode}, tensors[:1]
    if target is torch.flatten:
        return (*_flatten(*_dims(args[1:], kwargs)), tensors)
    if target in _ACT and len(tensors) == 1:
        extra = {k: v for k, v in kwargs.items() if k != "inplace"}
        if len(args) > 1 or extra:
            if target is F.gelu and set(extra) == {"approximate"}:
                return "gelu", {"approximate": extra["approximate"]}, tensors
            raise Unsupported(f"{_ACT[target]} with arguments {args[1:]} {extra}")
        return _ACT[target], {}, tensors
    if target in _ADAPTIVE:
        size = args[1] if len(args) > 1 else kwargs.get("output_size")
        return (*_adaptive(_ADAPTIVE[target], size), tensors)
    if target is getattr and len(args) == 2 and isinstance(args[1], str):
        raise Unsupported(f"function builtins.getattr: the tensor's .{args[1]} (archcalc's "
                          "layers do not read sizes at run time; a model that computes "
                          "with them — a ViT's token count, say — is not a spec)")
    raise Unsupported(f"function {getattr(target, '__module__', '')}."
                      f"{getattr(target, '__name__', target)}")


_POOL = {F.max_pool1d: "maxpool", F.max_pool2d: "maxpool", F.max_pool3d: "maxpool",
         F.avg_pool1d: "avgpool", F.avg_pool2d: "avgpool", F.avg_pool3d: "avgpool"}
_POOL_ARGS = {"maxpool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                          "return_indices"),
              "avgpool": ("kernel_size", "stride", "padding", "ceil_mode",
                          "count_include_pad", "divisor_override")}


def _pool_call(target, args, kwargs) -> tuple[str, dict]:
    """F.max_pool2d(x, 3, 2) and the like: the module's mapping, from the call's values."""
    kind = _POOL[target]
    given = dict(zip(_POOL_ARGS[kind], args)) | dict(kwargs)
    k = given["kernel_size"]
    stride = given.get("stride") or k  # None or () mean the kernel, as in PyTorch
    if kind == "maxpool":
        return _maxpool(_Settings(kernel_size=k, stride=stride,
                                  padding=given.get("padding", 0),
                                  dilation=given.get("dilation", 1),
                                  ceil_mode=given.get("ceil_mode", False),
                                  return_indices=given.get("return_indices", False)))
    return _avgpool(_Settings(kernel_size=k, stride=stride, padding=given.get("padding", 0),
                              ceil_mode=given.get("ceil_mode", False),
                              count_include_pad=given.get("count_include_pad", True),
                              divisor_override=given.get("divisor_override")))


class _Settings:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _mean(args, kwargs) -> tuple[str, dict]:
    """x.mean([2, 3]) over every spatial axis of an image: global average pooling, then
    (without keepdim) a flatten — `then` is the second layer to_ops adds."""
    dims = args[0] if args else kwargs.get("dim")
    keep = (args[1] if len(args) > 1 else kwargs.get("keepdim", False))
    if sorted(dims or ()) not in ([2, 3], [-2, -1]) or set(kwargs) - {"dim", "keepdim"}:
        raise Unsupported(f"a mean over dims {dims}: archcalc averages over H and W of an "
                          "image (x.mean([2, 3]))")
    return "global_avgpool", ({} if keep else {"then": "flatten"})


def _dims(args, kwargs) -> tuple[int, int]:
    start = args[0] if args else kwargs.get("start_dim", 0)
    end = args[1] if len(args) > 1 else kwargs.get("end_dim", -1)
    return start, end


__all__ = ["ImportRefused", "Unsupported", "function_layer", "module_layer", "one"]
