"""Helpers the tests import: analyse a spec given as text or by name."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

from archcalc.design import Design
from archcalc.spec import parse_file, parse_text

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
DATA = Path(__file__).resolve().parent / "data"
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def analyse_text(text: str, **bindings):
    return Design(parse_text(textwrap.dedent(text)), bindings).analysis


def analyse_spec(name: str, **bindings):
    return Design(parse_file(SPECS / f"{name}.yaml"), bindings).analysis


def one_layer(layer: str, input_: str) -> str:
    return f"archcalc: 1\nname: t\ninput: {input_}\nlayers:\n  - {layer}\n"


def compare(spec, bindings=None, batch=2):
    """Run `spec` through the calculator and through PyTorch (meta device) and assert they
    agree: per-layer shapes, parameters, buffers, FlopCounterMode FLOPs. Needs torch."""
    import torch
    from archcalc.reference import build_with_analysis
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model, a = build_with_analysis(spec, bindings)
    model.eval()
    seen = {}
    for row in a.rows:
        model.get_submodule(model.module_path(row.name)).register_forward_hook(
            lambda m, i, o, name=row.name: seen.__setitem__(name, tuple(o.shape[1:])))
    x = torch.empty(batch, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)),
                    device="meta")
    with FlopCounterMode(display=False) as counter:
        model(x)
    assert len(seen) == len(a.rows)
    for row in a.rows:
        expected = tuple(int(d) for d in (row.out_shape.c, *row.out_shape.dims))
        assert seen[row.name] == expected, f"{row.name}: torch {seen[row.name]} vs {expected}"
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in model.named_buffers()
                  if b.is_floating_point() and not n.endswith("num_batches_tracked"))
    assert trainable == a.totals.trainable
    assert buffers == a.totals.buffers
    assert counter.get_total_flops() == batch * a.totals.flops
    return a


def ruff_executable() -> str | None:
    """ruff on PATH, or beside this interpreter (a virtual environment's bin when PATH
    does not name it): the generated source's formatting is checked wherever ruff is."""
    return shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
