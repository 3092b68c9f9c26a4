"""What a design costs in memory: parameters, gradients, optimizer state, activations.

For inference, the activations of one forward pass (every layer's output, an upper bound
on the peak: a framework frees them as it goes). For training with a batch size and dtype,
the footprint PyTorch needs at the end of a forward pass:
    parameters + gradients (same dtype) + optimizer state
    (SGD: none; SGD with momentum: 1×; Adam/AdamW: 2× the parameters)
    + the tensors autograd saves for backward, each counted once
      (a ReLU's output that the next conv also keeps is one tensor).
What each layer saves comes from its kind (`LayerKind.saved`, measured with
torch.autograd.graph.saved_tensors_hooks on torch 2.13, CPU); a view (flatten, an
identity) is its input's tensor and costs nothing new. Not included: the CUDA
context and allocator caching (typically 0.3–1 GB on a GPU), workspace of cuDNN
algorithms, the input pipeline, and the transient gradients of activations during backward.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import num
from ..graph import INPUT
from .result import Analysis

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8}
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


@dataclass(frozen=True)
class MemoryEstimate:
    batch: int
    dtype: str
    optimizer: str
    params: num.Expr          # bytes of parameters and buffers
    grads: num.Expr
    optimizer_state: num.Expr
    activations: num.Expr     # every layer's output, one forward pass (inference)
    saved: num.Expr           # kept for backward (training)
    per_layer: tuple[tuple[str, num.Expr, num.Expr], ...]  # name, output bytes, saved bytes

    @property
    def training(self) -> num.Expr:
        return self.params + self.grads + self.optimizer_state + self.saved


def estimate(a: Analysis, batch: int = 1, dtype: str = "fp32",
             optimizer: str = "momentum") -> MemoryEstimate:
    size = DTYPE_BYTES[dtype]
    tensor_of: dict[str, str] = {INPUT: INPUT}  # node -> the tensor its output is
    numel: dict[str, num.Expr] = {INPUT: a.input_shape.numel}
    shape_of = {INPUT: a.input_shape}
    kept: dict[str, num.Expr] = {}              # tensor -> bytes, counted once
    per_layer = []
    saved_terms = []
    for row in a.rows:
        if row.out_shape is None:
            continue
        alias = row.view
        tensor_of[row.name] = tensor_of[row.inputs[0]] if alias else row.name
        numel[row.name] = row.activations  # = out_shape.numel, computed once per layer
        shape_of[row.name] = row.out_shape
        xs = tuple(shape_of.get(i, row.in_shape) for i in row.inputs)
        terms = []
        for s in row.layer.saved(xs, row.out_shape):
            if s.of in ("input", "inputs", "output"):
                names = row.inputs[:1] if s.of == "input" else \
                    row.inputs if s.of == "inputs" else (row.name,)
                for t in (tensor_of[n] for n in names):
                    if t not in kept:
                        kept[t] = _product(numel[t], size, batch)
                        terms.append(kept[t])
            else:
                each = s.bytes if s.bytes is not None else size
                terms.append(_product(s.numel, each, batch if s.batched else 1))
        saved = _sum(terms)
        saved_terms.append(saved)
        out = num.Integer(0) if alias else _product(row.activations, size, batch)
        per_layer.append((row.name, out, saved))
    # parameters and buffers in fp32 (master weights)
    params = (a.totals.trainable + a.totals.buffers) * 4
    grads = a.totals.trainable * 4
    return MemoryEstimate(
        batch, dtype, optimizer, params, grads,
        a.totals.trainable * 4 * OPTIMIZER_STATES[optimizer],
        _sum([o for _, o, _ in per_layer]), _sum(saved_terms), tuple(per_layer))


# Sums and products of sympy Integers, done on Python ints (the values are identical): a
# network at the 100,000-layer limit needs ~10⁶ of them. Anything symbolic goes to sympy.

def _sum(terms: list):
    total = 0
    for t in terms:
        if not isinstance(t, num.Integer):
            return num.Add(*terms)
        total += t.p
    return num.Integer(total)


def _product(x, *factors: int):
    if isinstance(x, num.Integer):
        n = x.p
        for f in factors:
            n *= f
        return num.Integer(n)
    for f in factors:
        x = x * f
    return x
