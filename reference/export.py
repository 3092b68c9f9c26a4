"""ONNX export of a built model, for people who deploy elsewhere.

torch 2.13's exporter defaults to the dynamo path, which needs the onnxscript package; without
it the TorchScript-based exporter (`dynamo=False`) needs only onnx. The file is checked with
onnx.checker before we say it was written.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from .build import build_with_analysis
from .errors import CompileUsageError


def export_onnx(spec, path: str | Path, bindings: dict | None = None) -> Path:
    if importlib.util.find_spec("onnx") is None:
        raise CompileUsageError("ONNX export needs the onnx package: pip install onnx "
                                "(and onnxscript for torch's default dynamo exporter)")
    import onnx

    model, a = build_with_analysis(spec, bindings)
    model.eval()
    x = torch.randn(1, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)))
    names = [o.name for o in a.outputs] or [a.rows[-1].name]
    dynamo = importlib.util.find_spec("onnxscript") is not None
    path = Path(path)
    torch.onnx.export(model, (x,), str(path), dynamo=dynamo, input_names=["input"],
                      output_names=[n.replace(".", "_") for n in names])
    onnx.checker.check_model(onnx.load(str(path)))
    return path
