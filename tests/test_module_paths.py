"""`path:` — where a layer's module sits in the PyTorch model (graph/paths.py).

The graph gives each layer its module path (relative to its scope: a block instance, a
repeat copy, a named residual; a branch's items relative to the scope around the
parallel); build() and the generated source place each module there, so both have the
same state_dict keys and outputs. Bad paths are fixtures in tests/data/bad (path_*.yaml).
"""

from __future__ import annotations

import importlib.util

import pytest

from archcalc.graph import build_graph
from archcalc.spec import parse_text

SPEC = """\
archcalc: 1
name: placed
input: [3, 16, 16]
blocks:
  cna:
    args: {out: ~}
    layers:
      - conv: {out: out, kernel: 3, padding: 1, bias: false, path: "0"}
      - batchnorm: {path: 1}
      - relu: {path: 2}
  named:
    layers:
      - conv: {out: 16, kernel: 1, name: reduce, path: conv.0}
      - relu: {path: conv.1}
layers:
  - cna: {out: 8, path: features.0}
  - cna: {out: 8, path: features.1}
  - residual:
      shortcut: projection
      batchnorm: true
      shortcut_path: downsample
      layers:
        - conv: {out: 16, kernel: 3, stride: 2, padding: 1, path: body.0}
  - named: {path: features.2}
  - cna: {out: 16, repeat: 2, path: stage}
  - parallel:
      branches:
        - [{conv: {out: 4, kernel: 1, path: branch1.conv}}]
        - [{conv: {out: 4, kernel: 1, path: "tower.0"}}]
  - global_avgpool
  - flatten
  - linear: {out: 10, path: classifier.1}
"""

PLACED = {
    "features.0.0", "features.0.1", "features.0.2", "features.1.0", "features.1.1",
    "features.1.2", "body.0", "downsample", "add1", "features.2.conv.0", "features.2.conv.1",
    "stage.0.0", "stage.0.1", "stage.0.2", "stage.1.0", "stage.1.1", "stage.1.2",
    "branch1.conv", "tower.0", "concat1", "pool1", "flatten1", "classifier.1"}


def test_each_layer_has_its_module_path():
    graph = build_graph(parse_text(SPEC))
    assert {n.module_path for n in graph.nodes} == PLACED
    assert graph.node("cna1.conv1").module_path == "features.0.0"
    assert graph.node("named1.reduce").module_path == "features.2.conv.0"
    assert graph.node("conv1").module_path == "body.0"  # in an unnamed residual: its scope's
    assert graph.node("branch2.conv1").module_path == "tower.0"  # not under branch2


def test_without_paths_a_module_path_is_the_name():
    graph = build_graph(parse_text("archcalc: 1\nname: t\ninput: [3, 8, 8]\nlayers:\n"
                                   "  - conv: {out: 4, kernel: 3, repeat: 2}\n"))
    assert [n.module_path for n in graph.nodes] == ["conv1.0", "conv1.1"]
    assert all(n.module == "" for n in graph.nodes)


def _load(source: str, tmp_path):
    path = tmp_path / "placed.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("placed_generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_and_generated_source_place_parameters_alike(tmp_path):
    torch = pytest.importorskip("torch")
    from archcalc.reference import build
    from archcalc.reference.codegen import generate

    built = build(parse_text(SPEC)).eval()
    keys = {k.rsplit(".", 1)[0] for k in built.state_dict()}
    assert keys == {"features.0.0", "features.0.1", "features.1.0", "features.1.1", "body.0",
                    "downsample.0", "downsample.1", "features.2.conv.0", "stage.0.0",
                    "stage.0.1", "stage.1.0", "stage.1.1", "branch1.conv", "tower.0",
                    "classifier.1"}
    assert built.module_path("cna1.bn1") == "features.0.1"
    assert built.features[0][1] is built.get_submodule("features.0.1")
    source = generate(parse_text(SPEC))
    assert 'self.add_module("0", nn.Conv2d(' in source  # a block class's own position
    assert 'self.features["2"] = Named(16)' in source
    assert "x = self.tower[\"0\"](x)" in source  # a branch whose layer sits outside it
    assert 'x = self.classifier["1"](x)' in source
    generated = _load(source, tmp_path).Placed().eval()
    generated.load_state_dict(built.state_dict(), strict=True)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), built(x))


def test_generated_source_refuses_a_member_inside_another():
    pytest.importorskip("torch")
    from archcalc.reference.codegen import generate
    from archcalc.reference.errors import CompileError

    spec = parse_text("archcalc: 1\nname: t\ninput: [3, 8, 8]\nlayers:\n"
                      "  - conv: {out: 4, kernel: 3, padding: 1, repeat: 2, name: stage}\n"
                      "  - conv: {out: 4, kernel: 3, padding: 1, path: stage.5}\n")
    with pytest.raises(CompileError, match=r"module path stage\.5 and another member's are "
                                           "one inside the other") as caught:
        generate(spec)
    assert caught.value.diagnostics[0].loc.line == 6


def test_a_module_dict_key_is_a_segment(tmp_path):
    """RegNet's `trunk_output.block1.block1-0`: a key with `-`, an item of the ModuleDict
    the generated source makes (`self.block1["block1-0"]`), or the class's own."""
    torch = pytest.importorskip("torch")
    from archcalc.reference import build
    from archcalc.reference.codegen import generate

    spec = parse_text("archcalc: 1\nname: keyed\ninput: [3, 8, 8]\nblocks:\n  b:\n"
                      "    layers:\n      - conv: {out: 4, kernel: 1, path: block1-0}\n"
                      "layers:\n  - b: {path: trunk}\n"
                      "  - conv: {out: 4, kernel: 1, path: block1.block1-1}\n")
    built = build(spec).eval()
    assert set(built.state_dict()) == {"trunk.block1-0.weight", "trunk.block1-0.bias",
                                       "block1.block1-1.weight", "block1.block1-1.bias"}
    source = generate(spec)
    assert 'self.add_module("block1-0", nn.Conv2d(' in source
    assert 'self.block1["block1-1"] = nn.Conv2d(' in source
    generated = _load(source, tmp_path).Keyed().eval()
    generated.load_state_dict(built.state_dict(), strict=True)
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), built(x))


def test_verify_finds_each_layer_at_its_path(cli, tmp_path):
    """`archcalc verify` hooks each layer's module where its path put it."""
    pytest.importorskip("torch")
    spec = tmp_path / "placed.yaml"
    spec.write_text(SPEC)
    r = cli("verify", spec)
    assert r.exit_code == 0, r.output
    assert "23 layers checked; 0 disagree" in r.output


def test_a_branch_at_positions_is_a_sequential(tmp_path):
    """GoogLeNet's `branch2.0`, `branch2.1`: the branch is torchvision's nn.Sequential."""
    torch = pytest.importorskip("torch")
    from archcalc.reference import build
    from archcalc.reference.codegen import generate

    spec = parse_text("archcalc: 1\nname: branchy\ninput: [3, 8, 8]\nlayers:\n"
                      "  - parallel:\n      branches:\n"
                      "        - [{conv: {out: 2, kernel: 1, path: branch1}}]\n"
                      "        - [{conv: {out: 2, kernel: 1, path: branch2.0}},\n"
                      "           {conv: {out: 2, kernel: 3, padding: 1, path: branch2.1}}]\n")
    source = generate(spec)
    assert "self.branch2 = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Conv2d(2, 2, 3, padding=1))" \
        in source
    built = build(spec).eval()
    generated = _load(source, tmp_path).Branchy().eval()
    generated.load_state_dict(built.state_dict(), strict=True)
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), built(x))
