"""`archcalc verify`: build the model and prove PyTorch agrees with the calculator.

One forward pass on the meta device (no memory, no time, so VGG-19 and ResNet-152 cost
nothing) with a hook on every layer and torch.utils.flop_counter.FlopCounterMode around
it; per layer, PyTorch's output shape, trainable parameters, floating-point buffers
(BatchNorm's running statistics; num_batches_tracked is not counted) and FLOPs are set
beside the calculator's. The first layer that disagrees is named. The result is plain
data (analysis/verification.py), shown by the CLI and the TUI alike (render/verify_text.py).
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from archcalc.analysis.verification import LayerCheck, Verification

from .build import build_with_analysis


def _own(module: torch.nn.Module, trainable: bool) -> int:
    if trainable:
        return sum(p.numel() for p in module.parameters() if p.requires_grad)
    return sum(b.numel() for n, b in module.named_buffers()
               if b.is_floating_point() and not n.endswith("num_batches_tracked"))


def verify(spec, bindings: dict | None = None, batch: int = 1) -> Verification:
    with torch.device("meta"):
        model, a = build_with_analysis(spec, bindings)
    model.eval()
    shapes: dict[str, tuple[int, ...]] = {}
    for row in a.rows:
        model.get_submodule(model.module_path(row.name)).register_forward_hook(
            lambda m, i, o, name=row.name: shapes.__setitem__(name, tuple(o.shape[1:])))
    x = torch.empty(batch, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)),
                    device="meta")
    error = ""
    with FlopCounterMode(display=False) as counter:
        try:
            model(x)
        except RuntimeError as exc:  # a module PyTorch cannot run: the layers so far tell
            error = str(exc).splitlines()[0]
    # FlopCounterMode keys modules by class name and path: "SpecModel.layer1.0.conv1"
    per_module = {k.split(".", 1)[1]: v for k, v in counter.get_flop_counts().items()
                  if "." in k}
    checks = []
    for row in a.rows:
        module = model.get_submodule(model.module_path(row.name))
        flops = sum(per_module.get(model.module_path(row.name), {}).values()) // batch
        checks.append(LayerCheck(
            row.name, row.kind,
            (tuple(int(d) for d in (row.out_shape.c, *row.out_shape.dims)),
             shapes.get(row.name, ())),
            (int(row.trainable), _own(module, True)), (int(row.buffers), _own(module, False)),
            (int(row.flops), flops), row.loc))
    totals = (("trainable parameters", int(a.totals.trainable), _own(model, True)),
              ("non-trainable (buffers)", int(a.totals.buffers), _own(model, False)),
              ("FLOPs", int(a.totals.flops), counter.get_total_flops() // batch))
    return Verification(a.name, tuple(checks), totals, error)
