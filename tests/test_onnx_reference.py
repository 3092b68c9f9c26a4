"""An imported ONNX graph computes what the graph computes: torchvision models exported
with BatchNorm kept (training=TrainingMode.PRESERVE, do_constant_folding=False), imported,
built by reference.build with the file's initializers loaded into the layers that read
them, give `onnx.reference.ReferenceEvaluator`'s output on a random input — and the
imported spec's parameters and buffers are the initializers' sizes, one for one.

resnet18 runs in the default suite; mobilenet_v2 and squeezenet1_0 are marked slow.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.reference")

from onnx import numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from archcalc.importers import onnx_import  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402

# The torch names of the initializers a layer reads, in the ONNX node's input order
# (onnx.ai/onnx/operators: Conv X W B; BatchNormalization X scale B mean var; Gemm A B C).
PARAMS = {"conv": ("weight", "bias"), "conv_transpose": ("weight", "bias"),
          "linear": ("weight", "bias"),
          "batchnorm": ("weight", "bias", "running_mean", "running_var")}


def export(model, path, shape):
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), torch.randn(1, *shape), str(path), dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def loaded(path):
    """The imported spec built as a torch module, the file's initializers in its layers;
    and (name, size) of each initializer a layer reads."""
    from archcalc.reference.build import build

    imported = onnx_import.import_onnx(str(path), None, False)
    model = onnx_import.load_model(str(path))
    graph = onnx_import.Graph(model)
    ops, _, _, _ = onnx_import.to_ops(model, graph, _input(model, graph).name, False)
    nodes = {n.name: n for n in model.graph.node}
    net = build(parse_text(imported.text, "imported.yaml")).eval()
    modules = dict(net.named_modules())
    state, read = {}, []
    for op in ops:
        assert len(op.weights) <= len(PARAMS.get(op.kind, ())), op
        for attr, name in zip(PARAMS.get(op.kind, ()), op.weights):  # a bias may be absent
            value = numpy_helper.to_array(graph.inits[name])
            node = nodes[op.source]
            if op.kind == "linear" and attr == "weight" and not (
                    node.op_type == "Gemm" and _attr(node, "transB")):
                value = value.T  # MatMul and Gemm without transB hold (in, out)
            state[f"{op.name}.{attr}"] = torch.from_numpy(np.array(value))
            read.append((name, value.size))
        assert op.name in modules
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert unexpected == []
    assert all(k.endswith("num_batches_tracked") for k in missing), missing
    return net, imported, read


def _input(model, graph):
    return next(i for i in model.graph.input if i.name not in graph.inits)


def _attr(node, name):
    return next((onnx.helper.get_attribute_value(a) for a in node.attribute
                 if a.name == name), 0)


def check_against_reference(path, shape):
    net, imported, read = loaded(path)
    model = onnx.load(str(path))
    floats = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer
              if t.data_type == onnx.TensorProto.FLOAT}
    # every float initializer is some layer's weight, and the spec counts each read (the
    # exporter keeps one copy of equal tensors, such as a fresh BatchNorm's ones, through
    # Identity nodes: several layers read it)
    assert {name for name, _ in read} == set(floats)
    assert imported.trainable == sum(size for _, size in read) == sum(
        p.numel() for p in net.state_dict().values() if p.is_floating_point())
    x = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
    (want,) = ReferenceEvaluator(model).run(None, {model.graph.input[0].name: x})
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("builder,shape", [
    pytest.param("resnet18", (3, 32, 32)),
    pytest.param("mobilenet_v2", (3, 32, 32), marks=pytest.mark.slow),
    pytest.param("squeezenet1_0", (3, 64, 64), marks=pytest.mark.slow)])
def test_onnx_import_computes_the_graph(tv_models, tmp_path, builder, shape):
    torch.manual_seed(0)
    model = getattr(tv_models, builder)(num_classes=10)
    for m in model.modules():  # running statistics other than 0 and 1, so they matter
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    export(model, tmp_path / f"{builder}.onnx", shape)
    check_against_reference(tmp_path / f"{builder}.onnx", shape)
