"""Groups of torch.fx nodes that are one archcalc layer, and layers that mean something
else in a channels-last stretch. `mark(traced)` tags `node.meta["archcalc"]`, which
torch_import.to_ops reads before mapping a node on its own:

    ("layer", kind, args, [input node][, path])  this node is that layer, reading that
                                         input (at that module path: the weights' own)
    ("pass", input node)                 this node gives its input on (a permute)
    ("drop",)                            its value only feeds a tagged layer (x.size())

The graph itself is not changed, so it still runs for FlopCounterMode's count.

- torchvision's shufflenetv2.channel_shuffle, traced: `b, c, h, w = x.size()`,
  `x.view(b, g, c // g, h, w)`, `torch.transpose(x, 1, 2)` (or `.transpose`), `.contiguous()`,
  `.view(b, c, h, w)`: `channel_shuffle: g`.
- `x.chunk(n, dim=1)` (or torch.chunk) and its items `[i]`: `chunk: {parts: n, index: i}`
  each, ShuffleNet V2's channel split as specs/shufflenet_v2_x1_0.yaml writes it.
- ConvNeXt: `x.permute(0, 2, 3, 1)` … `x.permute(0, 3, 1, 2)` around nn.LayerNorm(C) or
  F.layer_norm(x, (C,)) (its LayerNorm2d), nn.Linear and elementwise layers: the permutes
  pass their input on, a LayerNorm is `layernorm` over the channels, a Linear
  `channel_linear` (a 1×1 conv's counts with the Linear's weights). `layer_scale * x`, a (C, 1, 1) parameter times a tensor, is `layer_scale`.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import nn

_TO_LAST, _TO_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
# Layers that act on each element, so the same in either layout (torch_map's names).
_ELEMENTWISE_MODULES = (nn.GELU, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Sigmoid, nn.Tanh,
                        nn.Hardswish, nn.Hardsigmoid, nn.Dropout, nn.Identity)
_ELEMENTWISE_FUNCTIONS = {F.gelu, F.relu, torch.relu, F.silu, F.dropout}


def mark(traced) -> None:
    modules = dict(traced.named_modules())
    for node in list(traced.graph.nodes):
        if node.meta.get("archcalc"):
            continue
        if _method(node, "view"):
            _channel_shuffle(node)
        elif _method(node, "chunk") or (node.op == "call_function" and
                                        node.target is torch.chunk):
            _chunk(node)
        elif _permute(node) == _TO_LAST:
            _channels_last(node, modules)
        elif node.op == "call_function" and node.target in (operator.mul, torch.mul):
            _layer_scale(node, traced)


def _method(node, name: str) -> bool:
    return node.op == "call_method" and node.target == name


def _tag(node, *tag) -> None:
    node.meta["archcalc"] = tag


def _channel_shuffle(view) -> None:
    """`view(x, b, g, c // g, h, w)` … `view(b, c, h, w)`: tag the last view."""
    x, *shape = view.args
    if len(shape) != 5 or len(view.users) != 1:
        return
    size = getattr(shape[0], "args", (None,))[0]
    items = [_size_item(s, size) for s in (shape[0], shape[3], shape[4])]
    div = shape[2]
    if None in items or items != [0, 2, 3] or not isinstance(shape[1], int) or \
            getattr(div, "target", None) is not operator.floordiv or \
            _size_item(div.args[0], size) != 1 or div.args[1] != shape[1] or \
            getattr(size, "args", (None,))[0] is not x or not _method(size, "size"):
        return
    (t,) = view.users
    if not ((t.op == "call_function" and t.target is torch.transpose or
             _method(t, "transpose")) and sorted(t.args[1:]) == [1, 2] and
            not t.kwargs and len(t.users) == 1):
        return
    (c,) = t.users
    nxt = c
    if _method(c, "contiguous"):
        if len(c.users) != 1:
            return
        (nxt,) = c.users
    if not _method(nxt, "view") or [_size_item(s, size) for s in nxt.args[1:]] != [0, 1, 2, 3]:
        return
    inner = {view, t, c, div, size, *shape[0:1], *shape[3:5], div.args[0]}
    if any(u not in inner and u is not nxt for n in inner for u in n.users):
        return  # a value the pattern makes is read elsewhere: not only a shuffle
    for n in inner:
        _tag(n, "drop")
    _tag(nxt, "layer", "channel_shuffle", {"groups": shape[1]}, [x])


def _size_item(node, size):
    """i for `size[i]` (operator.getitem of x.size()), else None."""
    if getattr(node, "op", None) == "call_function" and node.target is operator.getitem \
            and node.args[0] is size and isinstance(node.args[1], int):
        return node.args[1]
    return None


def _chunk(node) -> None:
    x = node.args[0]
    parts = node.args[1] if len(node.args) > 1 else node.kwargs.get("chunks")
    dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
    items = list(node.users)
    if dim != 1 or not isinstance(parts, int) or not items or not all(
            u.op == "call_function" and u.target is operator.getitem and
            isinstance(u.args[1], int) and u.args[1] >= 0 for u in items):
        return
    _tag(node, "drop")
    for u in items:
        _tag(u, "layer", "chunk", {"parts": parts, "index": u.args[1]}, [x])


def _permute(node):
    if node.op == "call_method" and node.target == "permute":
        dims = node.args[1:]
    elif node.op == "call_function" and node.target is torch.permute:
        dims = node.args[1:]
    else:
        return None
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else dims
    return tuple(dims)


def _channels_last(first, modules) -> None:
    """A chain from permute(0, 2, 3, 1) to permute(0, 3, 1, 2), each node read only by the
    next, of layers that have a channels-first equal."""
    chain, node = [], first
    while len(node.users) == 1:
        (node,) = node.users
        if _permute(node) == _TO_FIRST:
            break
        layer = _channel_layer(node, modules)
        if layer is None:
            return
        chain.append((node, layer))
    else:
        return
    if not chain:
        return
    _tag(first, "pass", first.args[0])
    _tag(node, "pass", node.args[0])
    previous = first.args[0]
    for n, layer in chain:
        if layer:
            kind, args, drop = layer
            # F.layer_norm of a module's own weights (LayerNorm2d): the layer sits where
            # they do, so that the state_dict keys are the module's (`features.0.1.weight`)
            _tag(n, "layer", kind, args, [previous],
                 *(d.target.rpartition(".")[0] for d in drop[:1]))
            for d in drop:
                _tag(d, "drop")
        previous = n


def _channel_layer(node, modules):
    """(kind, args, get_attr nodes it reads) of a node in a channels-last chain; False for
    an elementwise node torch_map maps as it is; None for anything else."""
    if node.op == "call_module":
        m = modules[node.target]
        if type(m) is nn.LayerNorm and len(m.normalized_shape) == 1:
            return "layernorm", _norm(m.eps, m.elementwise_affine, m.bias is not None), []
        if type(m) is nn.Linear:
            return "channel_linear", {"out": m.out_features} | (
                {} if m.bias is not None else {"bias": False}), []
        return False if type(m) in _ELEMENTWISE_MODULES else None
    if node.op == "call_function" and node.target is F.layer_norm:
        shape = node.args[1] if len(node.args) > 1 else node.kwargs.get("normalized_shape")
        given = dict(zip(("weight", "bias", "eps"), node.args[2:])) | dict(node.kwargs)
        if len(shape or ()) != 1 or set(given) - {"weight", "bias", "eps"} or any(
                getattr(given.get(k), "op", "get_attr") != "get_attr" or
                (given.get(k) is not None and len(given[k].users) != 1)
                for k in ("weight", "bias")):
            return None
        if given.get("weight") is None and given.get("bias") is not None:
            return None
        return "layernorm", _norm(given.get("eps", 1e-5), given.get("weight") is not None,
                                  given.get("bias") is not None), \
            [given[k] for k in ("weight", "bias") if given.get(k) is not None]
    if node.op == "call_function" and node.target in _ELEMENTWISE_FUNCTIONS:
        return False
    return None


def _norm(eps, affine: bool, bias: bool) -> dict:
    """layernorm's arguments, those at archcalc's defaults (affine, bias) left out."""
    return {"eps": float(eps)} | ({} if affine else {"affine": False}) | (
        {"bias": False} if affine and not bias else {})


def _layer_scale(node, traced) -> None:
    """`p * x` (or `x * p`) for a parameter p of shape (C, 1, 1): ConvNeXt's layer_scale."""
    if len(node.args) != 2 or node.kwargs:
        return
    attrs = [a for a in node.args if getattr(a, "op", None) == "get_attr"]
    tensors = [a for a in node.args if getattr(a, "op", None) not in (None, "get_attr")]
    if len(attrs) != 1 or len(tensors) != 1 or len(attrs[0].users) != 1:
        return
    try:
        p = traced.get_parameter(attrs[0].target)
    except AttributeError:
        return  # a buffer or a plain tensor: not a learned scale
    if p.dim() != 3 or tuple(p.shape[1:]) != (1, 1):
        return
    _tag(attrs[0], "drop")
    # at the parameter's path: helpers.LayerScale keys its γ by its module's path, which
    # is then the source's key (`features.1.0.layer_scale`, held by the CNBlock itself)
    _tag(node, "layer", "layer_scale", {}, tensors, attrs[0].target)
