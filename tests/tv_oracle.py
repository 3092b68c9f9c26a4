"""torchvision's own models as the oracle: a spec must build what torchvision builds.

`torchvision()` imports it the way these machines allow (its C extension does not load on
the CPU torch 2.13 wheel, but its models are pure Python once an empty module stands in
for `torchvision._meta_registrations`) or skips the test, saying why.

`compare_with_torchvision(spec, bindings, make_model)` runs the spec through the
calculator, through `build()` (tests/helpers.py `compare`: the two agree) and runs
torchvision's model on the meta device in eval mode, at the spec's input size, and asserts:
  - per layer: the modules that hold weights or pool (convolutions, norms, linear layers,
    pooling), taken in the order each model runs them, are of the same PyTorch class
    (a torchvision subclass such as `Conv3DSimple` counts as its `nn.Conv3d`) and give
    the same output shape — the rule that matches the two without a table of names
    (`in_order=False`: the same classes and shapes as often, in any order);
  - `names` ({archcalc layer: torchvision module}), where given, pairs layers by name too:
    the calculator's output shape of the layer against the module's;
  - the model's output shape against the calculator's last layer (torchvision's
    segmentation models return a dict: its "out" tensor, the main head's logits);
  - trainable parameters, floating-point buffers (BatchNorm's running statistics, not
    `num_batches_tracked`) and FlopCounterMode FLOPs against the calculator's totals.
Both models run in eval mode (BatchNorm after a global pool sees one value per channel
at batch 1, which training mode refuses).
It returns the matched pairs, archcalc leaf → torchvision module.
"""

from __future__ import annotations

import sys
import types
from collections import Counter

import pytest
from helpers import compare

from archcalc.design import Design
from archcalc.spec import parse_file


def torchvision():
    """The torchvision package, or a skip that says how to install it."""
    pytest.importorskip("torch")
    # torchvision registers meta kernels for its C++ ops at import, which fails without its
    # C extension; the models need none of them.
    name = "torchvision._meta_registrations"
    sys.modules.setdefault(name, types.ModuleType(name))
    return pytest.importorskip(
        "torchvision", reason="torchvision is not installed: pip install --no-deps "
                              "torchvision==0.28.0 (README's test command does)")


def _counted(pools: bool = True):
    """The module classes whose calls are compared one by one: those with weights or
    running statistics, and pooling unless `pools` is false (activations are reused and
    run in place)."""
    from torch import nn
    from torch.nn.modules import batchnorm, conv, pooling

    return (conv._ConvNd, batchnorm._NormBase, nn.Linear, nn.GroupNorm, nn.LayerNorm) + (
        (pooling._MaxPoolNd, pooling._AvgPoolNd, pooling._AdaptiveAvgPoolNd,
         pooling._AdaptiveMaxPoolNd, pooling._LPPoolNd) if pools else ())


def torch_class(module) -> str:
    """The PyTorch class a module is, or derives from: Conv3DSimple → Conv3d."""
    return next(c.__name__ for c in type(module).__mro__
                if c.__module__.startswith("torch.nn.modules"))


def main_output(out):
    """The tensor a torchvision model returns: its "out" entry where it returns a dict
    (segmentation models: {"out": logits} and "aux" with aux_loss)."""
    return out["out"] if isinstance(out, dict) else out


def leaf_calls(model, x, pools: bool = True) -> list[tuple[str, str, tuple]]:
    """(module name, PyTorch class, output shape) of each counted module, in call order."""
    import torch

    counted, calls, handles = _counted(pools), [], []
    for name, m in model.named_modules():
        if isinstance(m, counted):
            handles.append(m.register_forward_hook(
                lambda m, i, o, name=name: calls.append(
                    (name, torch_class(m), tuple(o.shape[1:])))))
    with torch.no_grad():
        model.eval()(x)
    for h in handles:
        h.remove()
    return calls


def compare_with_torchvision(spec, bindings: dict, make_model, names: dict | None = None,
                             each_call: bool = True, in_order: bool = True,
                             pools: bool = True, main_only: bool = False):
    """Assert archcalc's `spec` at `bindings` equals torchvision's `make_model()` (see
    the module docstring); the matched pairs, archcalc module → torchvision module.
    `each_call=False` compares the `names` and the totals only — for a model whose
    modules differ in class though not in count (ConvNeXt's Linear layers on a
    channels-last tensor are 1×1 convs in the spec: the same weights and FLOPs).
    `in_order=False` compares the calls as multisets (each class and output shape as often
    in each model) and pairs none — for RegNet, whose blocks call the shortcut's projection
    before the body (`self.proj(x) + self.f(x)`) where archcalc's residual calls it after.
    `pools=False` leaves pooling out of the calls compared, for a model that pools with
    functions inside its blocks (Inception v3's F.avg_pool2d), which no hook sees.
    `main_only=True`: torchvision's model computes only the spec's main output in eval
    mode (Inception v3's auxiliary head runs only in training): the calls and FLOPs are
    those of the layers the main output depends on; the parameters and buffers are the
    whole spec's, as torchvision counts the head's too."""
    import torch
    from archcalc.reference import build_with_analysis
    from torch.utils.flop_counter import FlopCounterMode

    parsed = parse_file(spec)
    a = compare(parsed, bindings, batch=1)  # the calculator equals build()
    shape = (1, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)))
    with torch.device("meta"):
        ours, _ = build_with_analysis(Design(parsed, bindings))
        theirs = make_model().eval()
        x = torch.empty(*shape)
    mine, tv = ((leaf_calls(ours, x, pools), leaf_calls(theirs, x, pools)) if each_call
                else ([], []))
    flops = a.totals.flops
    if main_only:
        keep = _depends_on(a, a.outputs[0].name)
        mine, flops = [c for c in mine if c[0] in keep], a.outputs[0].totals.flops
    if not in_order:
        unpaired = Counter(c[1:] for c in mine)
        unpaired.subtract(c[1:] for c in tv)
        assert not +unpaired and not -unpaired, (
            f"calls archcalc makes more often: {dict(+unpaired)}, torchvision: {dict(-unpaired)}")
        mine, tv = [], []
    pairs = {}
    for k, (left, right) in enumerate(zip(mine, tv)):
        assert left[1:] == right[1:], (
            f"call {k}: archcalc {left[0]} is {left[1]} → {left[2]}, torchvision "
            f"{right[0]} is {right[1]} → {right[2]}")
        pairs[left[0]] = right[0]
    assert len(mine) == len(tv), (
        f"archcalc runs {len(mine)} counted modules, torchvision {len(tv)}; the first "
        f"unmatched: {(mine[len(tv):] or tv[len(mine):])[0]}")
    names, seen = names or {}, {}
    handles = [theirs.get_submodule(m).register_forward_hook(
        lambda mod, i, o, m=m: seen.__setitem__(m, tuple(o.shape[1:])))
        for m in names.values()]
    with FlopCounterMode(display=False) as counter:  # one pass: FLOPs, named shapes, output
        out = main_output(theirs(x))
    for h in handles:
        h.remove()
    for layer, module in names.items():
        row = a.row(layer)
        want = tuple(int(d) for d in (row.out_shape.c, *row.out_shape.dims))
        assert seen[module] == want, f"{layer} {want} vs torchvision {module} {seen[module]}"
    last = a.row(a.outputs[0].name).out_shape if main_only else a.rows[-1].out_shape
    want = tuple(int(d) for d in (last.c, *last.dims))
    assert tuple(out.shape[1:]) == want, f"output {want} vs torchvision {tuple(out.shape[1:])}"
    trainable = sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in theirs.named_buffers()
                  if b.is_floating_point() and not n.endswith("num_batches_tracked"))
    assert (trainable, buffers, counter.get_total_flops()) == (
        a.totals.trainable, a.totals.buffers, flops)
    return pairs


def _depends_on(analysis, output: str) -> set[str]:
    """The layers `output` reads, directly or through others, and itself."""
    inputs = {r.name: r.inputs for r in analysis.rows}
    seen, todo = set(), [output]
    while todo:
        name = todo.pop()
        if name in inputs and name not in seen:
            seen.add(name)
            todo.extend(inputs[name])
    return seen
