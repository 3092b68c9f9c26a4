"""`archcalc import` and `archcalc check` on a model: PyTorch (torch.fx) and ONNX.

Round trips against torchvision (through examples/tv.py, the README's module file that
applies tests/tv_oracle.py's import trick): the imported spec, checked by the CLI, gives
torchvision's parameters, buffers and FlopCounterMode FLOPs. Refusals are asserted by
their text: the node, its operation, what archcalc lacks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

ROOT = Path(__file__).resolve().parent.parent
TV = ROOT / "examples" / "tv.py"


def figures(model, shape):
    """torchvision's trainable parameters, float buffers and FLOPs on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    model = model.to("meta").eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, *shape, device="meta"))
    return (sum(p.numel() for p in model.parameters()),
            sum(b.numel() for n, b in model.named_buffers()
                if b.is_floating_point() and not n.endswith("num_batches_tracked")),
            counter.get_total_flops())


def report(cli, *args):
    r = cli("check", *args, "--format", "json")
    assert r.exit_code in (0, 1), r.output
    d = json.loads(r.output[r.output.index("{"):])
    t = d["totals"]
    return t["params"]["trainable"], t["buffers"], t["flops"]


@pytest.mark.parametrize("builder,shape", [("resnet18", (3, 224, 224)),
                                           ("mobilenet_v2", (3, 96, 128)),
                                           ("densenet121", (3, 64, 64))])
def test_torchvision_round_trip(cli, tv_models, tmp_path, builder, shape):
    out = tmp_path / f"{builder}.yaml"
    r = cli("import", f"{TV}:{builder}", "--input", ",".join(map(str, shape)), "-o", out)
    assert r.exit_code == 0, r.output
    assert "verified" in r.output
    text = out.read_text()
    assert "input: [3, H, W]" in text and f"H: {shape[1]}" in text and f"W: {shape[2]}" in text
    want = figures(getattr(tv_models, builder)(), shape)
    assert report(cli, out) == want
    # check on the model directly gives the same report, and --save-spec keeps the spec
    kept = tmp_path / "kept.yaml"
    assert report(cli, f"{TV}:{builder}", "--input", ",".join(map(str, shape)),
                  "--save-spec", kept) == want
    assert kept.read_text() == text


def test_keyword_arguments_are_literals(cli, tmp_path):
    r = cli("import", f"{TV}:resnet18", "--arg", "num_classes=10", "-o", tmp_path / "r.yaml")
    assert r.exit_code == 0, r.output
    assert "out: 10, name: fc" in (tmp_path / "r.yaml").read_text()
    r = cli("import", f"{TV}:resnet18", "--arg", "num_classes=__import__('os').getpid()")
    assert r.exit_code == 2
    assert "--arg num_classes=__import__('os').getpid(): not a Python literal" in r.output


MODEL = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width)
        self.head = nn.Linear(width, 4)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = torch.sin(x)
        return self.head(x.mean((2, 3)))

class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(self.conv(x))
'''


def test_an_operation_archcalc_lacks_stops_the_import(cli, tmp_path):
    (tmp_path / "net.py").write_text(MODEL)
    r = cli("import", f"{tmp_path}/net.py:Net", "--input", "3,16,16")
    assert r.exit_code == 2
    assert ("node 'sin' (call_function torch.sin): archcalc has no layer for it — function "
            "torch.sin") in r.output
    assert "--partial imports the layers before it" in r.output
    r = cli("import", f"{tmp_path}/net.py:Net", "--input", "3,16,16", "--partial",
            "--arg", "width=6")
    assert r.exit_code == 0, r.output
    assert "--partial: stopped before node 'sin'" in r.output
    assert "- relu: {name: relu}" in r.output and "out: 6" in r.output
    assert "linear" not in r.output



SIZES = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = self.conv(x)
        n = x.shape[1]  # a ViT reads its token count so
        return torch.relu(x).reshape(-1, n)
"""


def test_a_model_reading_a_tensor_size_is_refused_with_the_attribute(cli, tmp_path):
    (tmp_path / "net.py").write_text(SIZES)
    r = cli("import", f"{tmp_path}/net.py:Net", "--input", "3,16,16")
    assert r.exit_code == 2
    assert ("node 'getattr_1' (call_function builtins.getattr): archcalc has no layer for "
            "it — function builtins.getattr: the tensor's .shape (archcalc's layers do not "
            "read sizes at run time") in r.output, r.output

def test_modules_eval_mode_never_calls_are_said(cli, tv_models, tmp_path):
    r = cli("import", f"{TV}:inception_v3", "--input", "3,299,299", "-o", tmp_path / "i.yaml")
    assert r.exit_code == 0, r.output
    aux = sum(p.numel() for p in tv_models.inception_v3(init_weights=False).AuxLogits.parameters())
    assert (f"note: {aux:,} parameters of modules that forward does not call in eval mode "
            "are not in the spec: AuxLogits") in r.output


def test_shared_weights_are_refused(cli, tmp_path):
    (tmp_path / "net.py").write_text(MODEL)
    r = cli("import", f"{tmp_path}/net.py:Shared", "--input", "3,8,8")
    assert r.exit_code == 2
    assert "a second call of 'conv', whose weights are shared" in r.output


def export(model, path, shape, folded=False):
    kw = {} if folded else {"training": torch.onnx.TrainingMode.PRESERVE,
                            "do_constant_folding": False}
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model.eval(), torch.randn(1, *shape), str(path), dynamo=False, **kw)


def test_onnx_round_trip(cli, tv_models, tmp_path):
    model = tv_models.resnet18(num_classes=10)
    export(model, tmp_path / "r18.onnx", (3, 64, 64))
    out = tmp_path / "r18.yaml"
    r = cli("import", tmp_path / "r18.onnx", "-o", out)
    assert r.exit_code == 0, r.output
    params, buffers, flops = figures(model, (3, 64, 64))
    assert report(cli, out) == (params, buffers, flops)
    assert "name: layer1_0_conv1" in out.read_text()
    # the same through check, directly
    assert report(cli, tmp_path / "r18.onnx") == (params, buffers, flops)


def test_onnx_folded_batchnorm_is_said(cli, tv_models, tmp_path):
    export(tv_models.resnet18(num_classes=10), tmp_path / "f.onnx", (3, 32, 32), folded=True)
    r = cli("import", tmp_path / "f.onnx", "-o", tmp_path / "f.yaml")
    assert r.exit_code == 0, r.output
    assert "the exporter folded it into the convolutions" in r.output
    assert "batchnorm" not in (tmp_path / "f.yaml").read_text()


def graph_file(path, nodes, inits, out_shape, in_shape=(1, 3, 8, 8)):
    from onnx import TensorProto, helper

    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     in_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                          inits)
    onnx.save(helper.make_model(g), str(path))


def weight(name, dims, location=None):
    from onnx import TensorProto, helper

    n = 1
    for d in dims:
        n *= d
    t = helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * n)
    if location:
        t.ClearField("float_data")
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value=location)
    return t


def test_onnx_graph_made_by_hand(cli, tmp_path):
    from onnx import helper

    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"], name="act"),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("MatMul", ["f", "m"], ["mm"], name="fc"),
             helper.make_node("Add", ["mm", "b"], ["y"], name="fc_bias")]
    graph_file(tmp_path / "g.onnx", nodes, [weight("w", [4, 3, 3, 3]), weight("m", [4, 5]),
                                            weight("b", [5])], (1, 5))
    r = cli("import", tmp_path / "g.onnx")
    assert r.exit_code == 0, r.output
    assert "- conv: {out: 4, kernel: 3, stride: 2, padding: 1, bias: false, name: conv}" \
        in r.output
    assert "- linear: {out: 5, name: fc}" in r.output
    assert report(cli, tmp_path / "g.onnx")[:2] == (4 * 27 + 4 * 5 + 5, 0)



def test_check_of_an_import_analyses_the_verified_design_once(cli, tmp_path, monkeypatch):
    """`check FILE.onnx` starts from the design the import verified (one parse and one
    analysis, not two), and its bindings, --symbolic and --convention still apply: the
    report equals `check` of the saved spec with the same options."""
    from archcalc.importers import verify

    hand_made(tmp_path / "g.onnx")
    saved = tmp_path / "g.yaml"
    assert cli("import", tmp_path / "g.onnx", "-o", saved).exit_code == 0
    parses = []
    real = verify.parse_text
    monkeypatch.setattr(verify, "parse_text", lambda *a: parses.append(a) or real(*a))
    for options in ([], ["--set", "H=16"], ["--symbolic"], ["--convention", "macs"]):
        parses.clear()
        direct = cli("check", tmp_path / "g.onnx", *options, "--format", "json")
        assert len(parses) == 1, options  # the import's own verification, nothing after
        from_file = cli("check", saved, *options, "--format", "json")
        ours, theirs = json.loads(direct.output), json.loads(from_file.output)
        for report_ in (ours, theirs):
            report_.pop("file")
            for finding in report_["findings"]:
                finding.pop("file", None)
        assert (direct.exit_code, ours) == (from_file.exit_code, theirs), options
    parses.clear()  # a text it did not verify last is parsed afresh, under its own name
    assert verify.verified_design(saved.read_text(), "other.yaml").spec.source is not None
    assert [name for _, name in parses] == ["other.yaml"]

def hand_made(path):
    from onnx import helper

    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[2, 2],
                              strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "m", "b"], ["y"], name="fc", transB=1)]
    graph_file(path, nodes, [weight("w", [4, 3, 3, 3]), weight("m", [5, 64]),
                             weight("b", [5])], (1, 5))
    return path.read_bytes()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       st.integers(1, 10_000))
def test_onnx_files_from_strangers_end_in_a_spec_or_a_refusal(cli, tmp_path, edits, cut):
    """Bytes changed and the file cut short: never a traceback (the fixture lets one
    through), only a verified spec (0) or a refusal (2)."""
    data = bytearray(hand_made(tmp_path / "ok.onnx"))
    for at, byte in edits:
        data[at % len(data)] = byte
    (tmp_path / "x.onnx").write_bytes(bytes(data[:cut]))
    r = cli("import", tmp_path / "x.onnx")
    assert r.exit_code in (0, 2), r.output


def test_onnx_import_runs_without_torch(tmp_path):
    """An ONNX import needs only onnx: torch is never imported."""
    hand_made(tmp_path / "g.onnx")
    code = ("import sys; from archcalc.importers import load; r = load(sys.argv[1]); "
            "assert 'torch' not in sys.modules; print(r.trainable)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.onnx")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(4 * 27 + 5 * 64 + 5)  # conv without bias, fc with


def test_onnx_refusals(cli, tmp_path, monkeypatch):
    from onnx import helper

    from archcalc.importers import onnx_import

    graph_file(tmp_path / "sin.onnx", [helper.make_node("Sin", ["x"], ["y"], name="wave")],
               [], (1, 3, 8, 8))
    r = cli("import", tmp_path / "sin.onnx")
    assert r.exit_code == 2
    assert "node 'wave' (Sin): archcalc has no layer for it — operation Sin" in r.output
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[1, 1])]
    graph_file(tmp_path / "ext.onnx", nodes, [weight("w", [4, 3, 1, 1], "../secret.bin")],
               (1, 4, 8, 8))
    r = cli("import", tmp_path / "ext.onnx")
    assert r.exit_code == 2
    assert "initializer 'w' keeps its data at '../secret.bin', outside the file's own " \
           "folder" in r.output
    (tmp_path / "junk.onnx").write_bytes(b"\x08\xff\xff\xff\xff\x0fnot a model" * 10)
    r = cli("import", tmp_path / "junk.onnx")
    assert r.exit_code == 2 and "is not a readable ONNX file" in r.output
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
             helper.make_node("Sin", ["c"], ["y"], name="wave")]
    graph_file(tmp_path / "part.onnx", nodes, [weight("w", [4, 3, 1, 1])], (1, 4, 8, 8))
    r = cli("import", tmp_path / "part.onnx", "--partial")
    assert r.exit_code == 0, r.output
    assert "note: --partial: stopped before node 'wave' (Sin)" in r.output
    assert "- conv: {out: 4, kernel: 1, bias: false, name: conv}" in r.output
    monkeypatch.setattr(onnx_import, "MAX_NODES", 0)
    r = cli("check", tmp_path / "sin.onnx")
    assert r.exit_code == 2 and "sin.onnx has more than 0 nodes; an ONNX import reads at most 0" \
        in r.output
    monkeypatch.setattr(onnx_import, "MAX_BYTES", 10)
    r = cli("import", tmp_path / "sin.onnx")
    assert r.exit_code == 2 and "more than the 10 an ONNX import reads" in r.output


def test_resnet50_reads_like_the_library_spec(cli, tv_models, tmp_path):
    """A class used more than once is a block, its arguments what differs between its
    instances (4*out: a multiple of another); a sequence of them a repeat with `first`."""
    r = cli("import", f"{TV}:resnet50", "-o", tmp_path / "r50.yaml")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "r50.yaml").read_text()
    assert len(text.splitlines()) <= 60
    for line in ["  bottleneck:", "    args: {out: ~, stride: 1}",
                 "            - conv: {out: out, kernel: 3, stride: stride, padding: 1, "
                 "bias: false, name: conv2}",
                 "            - conv: {out: 4*out, kernel: 1, bias: false, name: conv3}",
                 "  - bottleneck: {out: 64, repeat: 3, name: layer1}",
                 "  - bottleneck: {out: 128, repeat: 4, first: {stride: 2}, name: layer2}",
                 "  - bottleneck: {out: 512, repeat: 3, first: {stride: 2}, name: layer4}"]:
        assert line + "\n" in text
    assert report(cli, tmp_path / "r50.yaml") == figures(tv_models.resnet50(), (3, 224, 224))


def test_mobilenet_v2_blocks_read_in_and_if_same(cli, tmp_path):
    """Channels that are a multiple of the block's input are written `6*in`; instances
    with and without torchvision's use_res_connect sum are one block, `if_same`."""
    r = cli("import", f"{TV}:mobilenet_v2", "--input", "3,64,64", "-o", tmp_path / "m.yaml")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "m.yaml").read_text()
    for line in ["          shortcut: if_same\n",
                 "            - conv2d_norm_activation: {out: 6*in, kernel: 3, stride: stride, "
                 "groups: 6*in, name: conv_1, path: conv.1}\n",
                 "  - inverted_residual_2: {stride: 2, out: 24, name: features_2, "
                 "path: features.2}\n",
                 "  - inverted_residual_2: {out: 24, name: features_3, path: features.3}\n"]:
        assert line in text


def test_squeeze_and_excitation_is_a_parallel_multiply(cli, tv_models, tmp_path):
    """MobileNet v3's SqueezeExcitation (scale * input) is a block holding a parallel
    with an empty branch, as the library spec writes it; the whole model still verifies."""
    r = cli("import", f"{TV}:mobilenet_v3_large", "--input", "3,64,64",
            "-o", tmp_path / "m.yaml")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "m.yaml").read_text()
    assert "  squeeze_excitation:\n" in text
    assert "      - parallel:\n          merge: multiply\n          branches:\n" \
           "            - []\n" in text
    assert report(cli, tmp_path / "m.yaml") == figures(tv_models.mobilenet_v3_large(),
                                                       (3, 64, 64))


def test_a_file_name_cannot_write_spec_lines(cli, tmp_path):
    """The header quotes the file's name: a newline in it is written as an escape, not a
    YAML line of the spec's own."""
    from onnx import helper

    nodes = [helper.make_node("Relu", ["x"], ["y"], name="act")]
    path = tmp_path / "m\nlayers: [fc]\n.onnx"
    graph_file(path, nodes, [], (1, 3, 8, 8))
    r = cli("import", path, "-o", tmp_path / "m.yaml")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "m.yaml").read_text()
    assert text.startswith("# imported by archcalc from m\\nlayers: [fc]\\n.onnx")
    assert "\nlayers: [fc]" not in text
