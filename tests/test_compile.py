"""The compiler: `build`, `archcalc compile` (readable standalone source, ONNX) and
`archcalc verify` — proven equal to the calculator."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys

import pytest
from helpers import SPECS, ruff_executable

torch = pytest.importorskip("torch")

from archcalc.reference import build, build_with_analysis  # noqa: E402
from archcalc.reference.codegen import generate  # noqa: E402
from archcalc.reference.verify import verify  # noqa: E402

from archcalc import design  # noqa: E402
from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_file, parse_text, parser  # noqa: E402

ALL = sorted(p.stem for p in SPECS.glob("*.yaml"))
# Small enough to run for real on a CPU in a test, at the smallest input that fits.
SMALL = ["lenet5", "alexnet", "alexnet_torchvision", "zfnet", "resnet18", "resnet50",
         "googlenet", "inception_v3", "fcn1d"]


@pytest.mark.parametrize("name", ALL)
def test_verify_every_spec(name):
    result = verify(SPECS / f"{name}.yaml")
    assert result.ok, result.first_mismatch


def test_verify_names_the_first_layer_that_disagrees(monkeypatch):
    from archcalc.layers.call import Call
    from archcalc.layers.conv import Conv

    real = Conv.module

    def off_by_one(self, in_channels, pads):  # a compiler bug: one filter too many
        call = real(self, in_channels, pads)
        cin, out, k = call.args
        return Call(call.target, (cin, out + 1, k), call.kwargs) if out == 16 else call

    monkeypatch.setattr(Conv, "module", off_by_one)
    result = verify(SPECS / "lenet5.yaml")  # conv3 then cannot even run: PyTorch says so
    assert not result.ok and result.first_mismatch.name == "conv2"
    assert "channel" in result.error

    def padded(self, in_channels, pads):  # another: padding where the spec has none
        call = real(self, in_channels, pads)
        return Call(call.target, call.args, (("padding", 1),)) if call.args[1] == 120 else call

    monkeypatch.setattr(Conv, "module", padded)
    result = verify(SPECS / "lenet5.yaml")
    assert not result.ok and result.first_mismatch.name == "conv3"


def test_verify_cli(cli):
    result = cli("verify", "resnet18")
    assert result.exit_code == 0, result.stderr
    assert "PyTorch agrees with the calculator on every layer." in result.stdout
    assert "FLOPs: calculator 3,628,146,688 · PyTorch 3,628,146,688 — agree" in result.stdout


def test_build_names_modules_as_the_spec_does():
    model = build(SPECS / "resnet50.yaml", H=224, W=224)
    assert isinstance(model.conv1, torch.nn.Conv2d) and model.conv1.in_channels == 3
    block = model.layer2[0]
    assert block.conv2.stride == (2, 2)  # v1.5: the stride on the 3×3
    assert isinstance(block.shortcut1[0], torch.nn.Conv2d)
    assert not any("Lazy" in type(m).__name__ for m in model.modules())


def test_build_refuses_unbound_symbols_and_invalid_specs(tmp_path):
    from archcalc.reference import CompileError

    spec = tmp_path / "s.yaml"
    spec.write_text("archcalc: 1\nname: s\ninput: [3, H, W]\nlayers:\n"
                    "  - conv: {out: 4, kernel: 3}\n")
    with pytest.raises(CompileError, match="unbound symbols: H, W"):
        build(spec)
    assert build(spec, H=8, W=8).conv1.out_channels == 4
    with pytest.raises(CompileError, match="architecture is invalid"):
        build(SPECS / "vgg16.yaml", H=100, W=100)


def _load_generated(source: str, tmp_path, name: str):
    path = tmp_path / f"gen_{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"gen_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _class(module, source: str):
    top = [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)][-1]
    return getattr(module, top)


@pytest.mark.parametrize("name", ALL)
def test_generated_source_is_formatted_and_matches_the_build(name, tmp_path):
    source = generate(SPECS / f"{name}.yaml", origin=f"{name}.yaml")
    tree = ast.parse(source)
    imports = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and n.module != "__future__"}
    assert imports <= {"torch", "collections"}  # standalone: only torch
    ruff = ruff_executable()
    if ruff:
        check = subprocess.run([ruff, "format", "--isolated", "--check", "-"], input=source,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    module = _load_generated(source, tmp_path, name)
    with torch.device("meta"):
        mine = _class(module, source)()
        reference = build(SPECS / f"{name}.yaml")
    theirs = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == theirs


@pytest.mark.parametrize("name", SMALL)
def test_generated_model_computes_the_same_outputs(name, tmp_path):
    spec = parse_file(SPECS / f"{name}.yaml")
    a = Design(spec).analysis
    sizes = {v.symbol: max(v.smallest, 32 if name != "inception_v3" else 75)
             for v in a.valid_inputs}
    sizes = {k: next(s for s in range(v, v + 64) if a.valid_inputs[0].contains(s))
             for k, v in sizes.items()}
    torch.manual_seed(0)
    reference, analysis = build_with_analysis(spec, sizes)
    source = generate(spec, sizes)
    mine = _class(_load_generated(source, tmp_path, name), source)()
    mine.load_state_dict(reference.state_dict(), strict=True)
    reference.eval(), mine.eval()
    x = torch.randn(2, *(int(d) for d in (analysis.input_shape.c, *analysis.input_shape.dims)))
    with torch.no_grad():
        expected, got = reference(x), mine(x)
    if isinstance(expected, tuple):
        assert all(torch.equal(e, g) for e, g in zip(expected, got))
    else:
        assert torch.equal(expected, got)


def test_generated_resnet_reads_like_torchvision():
    source = generate(SPECS / "resnet18.yaml")
    assert "class Basic(nn.Module):" in source
    assert "def __init__(self, in_channels, out, stride=1):" in source
    assert "        if in_channels == out and stride == 1:\n" \
           "            self.shortcut1 = nn.Identity()" in source
    assert "x = x + self.shortcut1(identity)" in source
    assert "self.layer2 = nn.Sequential(Basic(64, 128, stride=2), Basic(128, 128))" in source
    assert "Parameters: 11,689,512 (11.69 M)" in source and "buffers: 9,600." in source and "1,814,073,344" in source


def test_compile_cli(cli, tmp_path):
    out = tmp_path / "model.py"
    result = cli("compile", "lenet5", "-o", out)
    assert result.exit_code == 0
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True)
    assert run.returncode == 0 and "torch.Size([1, 10])" in run.stdout


def test_compile_unbound_symbol_is_an_error(cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("archcalc: 1\nname: s\ninput: [3, H, W]\nlayers:\n"
                    "  - conv: {out: 4, kernel: 3}\n")
    result = cli("compile", spec)
    assert result.exit_code == 2 and "unbound symbols: H, W" in result.stderr
    assert cli("compile", spec, "H=8", "W=8").exit_code == 0


def test_onnx_export(cli, tmp_path):
    pytest.importorskip("onnx")
    import onnx

    target = tmp_path / "lenet.onnx"
    result = cli("compile", "lenet5", "--onnx", target)
    assert result.exit_code == 0, result.stderr
    graph = onnx.load(str(target)).graph
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 1, 32, 32]


def test_commands_without_torch_say_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from archcalc.cli import main\n"
            "main(['verify', 'lenet5'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert "archcalc verify needs PyTorch" in out.stderr and "Traceback" not in out.stderr


def test_every_generated_file_runs_as_a_script(tmp_path):
    """`python model.py` runs the file's own self-test (batch 1, eval mode: Inception v3's aux
    head once crashed here in training mode). Every library spec, at its smallest valid input
    of at least 32 (75 for Inception v3), all in one subprocess."""
    names = []
    for name in ALL:
        spec = parse_file(SPECS / f"{name}.yaml")
        a = Design(spec).analysis
        sizes = {v.symbol: next(s for s in range(max(v.smallest, 75 if "inception" in name
                                                    else 32), v.smallest + 4096)
                                if v.contains(s)) for v in a.valid_inputs}
        (tmp_path / f"{name}.py").write_text(generate(spec, sizes), encoding="utf-8")
        names.append(name)
    script = ("import runpy, sys\n"
              "for name in sys.argv[1:]:\n"
              "    print(name, end=' ', flush=True)\n"
              "    runpy.run_path(name + '.py', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", script, *names], cwd=tmp_path,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.count("torch.Size([1,") >= len(names)


def test_build_takes_a_built_in_name():
    model = build("resnet18")
    assert sum(p.numel() for p in model.parameters()) == 11_689_512


def test_verify_shows_the_totals_and_only_the_layers_that_disagree(cli):
    result = cli("verify", "resnet50")
    assert result.exit_code == 0
    assert "layer" not in result.stdout.splitlines()[0]  # no table: nothing disagrees
    assert "layers checked; 0 disagree — --all-layers lists every layer" in result.stdout
    full = cli("verify", "resnet50", "--all-layers").stdout
    assert "layer1.0.conv1" in full and "|" in full  # plain ASCII when piped, as check


def test_compile_verify_and_train_parse_and_analyse_the_design_once(cli, monkeypatch, tmp_path):
    """One parse and one analysis of the spec at its bindings per command. `compile` also
    analyses each block alone (its class, generic in the block's arguments) and the
    network with its own symbols free (the class's keyword arguments): other questions,
    each asked once."""
    parses, analyses = [], []
    real_parse, real_analyze = parser.parse_text, design.analyze
    monkeypatch.setattr(parser, "parse_text", lambda *a: parses.append(a) or real_parse(*a))

    def analyze(graph, bindings=None, **kw):
        analyses.append((graph.name, graph.input, tuple(sorted(bindings.items())),
                         kw["lenient"]))
        return real_analyze(graph, bindings, **kw)
    monkeypatch.setattr(design, "analyze", analyze)
    runs = {"compile": ["compile", "resnet18", "-o", tmp_path / "r.py"],
            "verify": ["verify", "lenet5"],
            "train": ["train", "lenet5", "--data", "synthetic:64", "--batch", "16",
                      "--epochs", "1", "--device", "cpu", "--out", tmp_path / "run"]}
    seen = {}
    for command, args in runs.items():
        parses.clear(), analyses.clear()
        assert cli(*args).exit_code == 0, command
        assert len(parses) == 1, command
        seen[command] = [(name, str(inputs[0]), lenient) for name, inputs, _, lenient in
                         analyses]
        assert len(set(analyses)) == len(analyses), (command, analyses)
    assert seen["verify"] == seen["train"] == [("LeNet-5", "1", False)]
    assert seen["compile"] == [("ResNet-18", "3", False), ("ResNet-18", "3", True),
                        ("ResNet-18", "input:c", True)]  # the network, generic, block basic


# Specs outside the library that the generator once refused or got wrong (issue 11,
# item 10): each compiles, and the generated class computes what build() computes.
COMPILES = {
    "named_residual": """
  - conv: {out: 4, kernel: 3, padding: 1}
  - residual:
      name: res
      layers:
        - conv: {out: 4, kernel: 3, padding: 1}
""",
    "repeated_residual": """
  - conv: {out: 4, kernel: 1}
  - residual:
      repeat: 3
      layers:
        - conv: {out: 4, kernel: 3, padding: 1}
        - relu
""",
    "named_parallel": """
  - parallel:
      name: mix
      merge: concat
      branches:
        - - conv: {out: 4, kernel: 1}
        - - conv: {out: 2, kernel: 3, padding: 1}
          - relu
""",
    "symbol_in_block_call": """
  - B: {out: 2 * c}
  - B: {out: c + 1}
""",
}
BLOCK_B = """blocks:
  B:
    args: {out: ~}
    layers:
      - conv: {out: out, kernel: 3, padding: 1}
      - relu
"""


@pytest.mark.parametrize("name", sorted(COMPILES))
def test_generated_source_of_specs_outside_the_library(name, tmp_path):
    text = (f"archcalc: 1\nname: {name}\ninput: [3, 8, 8]\nsymbols: {{c: 3}}\n{BLOCK_B}"
            f"layers:{COMPILES[name]}")
    spec = parse_text(text, f"{name}.yaml")
    torch.manual_seed(0)
    reference = build(spec)
    source = generate(spec)
    mine = _class(_load_generated(source, tmp_path, name), source)()
    mine.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(reference.eval()(x), mine.eval()(x))
