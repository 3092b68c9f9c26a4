"""Networks that are not chains: blocks, repeats, residuals, branches, named references —
checked against PyTorch where torch is installed, and their receptive fields and memory."""

from __future__ import annotations

import json

import pytest
from helpers import DATA, SPECS, analyse_spec, analyse_text

from archcalc.notation import shape_text
from archcalc.spec import parse_text

RESNET_STAGE = """
archcalc: 1
name: a stage of residual blocks
rounding: floor
input: [16, 32, 32]
blocks:
  basic:
    args: {out: ~, stride: 1}
    layers:
      - residual:
          shortcut: SHORTCUT
          layers:
            - conv: {out: out, kernel: 3, stride: stride, padding: 1, bias: false}
            - bn
            - relu
            - conv: {out: out, kernel: 3, padding: 1, bias: false}
            - bn
      - relu
layers:
  - basic: {out: 32, repeat: 2, first: {stride: 2}, name: stage}
"""


def stage(shortcut: str):
    return analyse_text(RESNET_STAGE.replace("SHORTCUT", shortcut))


def test_repeat_with_a_different_first_copy():
    a = stage("auto")
    assert shape_text(a.row("stage.0.conv1").out_shape) == "32×16×16"  # stride 2 first
    assert shape_text(a.row("stage.1.conv1").out_shape) == "32×16×16"  # stride 1 after
    assert dict(a.row("stage.0.conv1").args)["stride"] == 2
    assert dict(a.row("stage.1.conv1").args)["stride"] == 1


MODE = {"nn.Identity": "identity", "nn.Conv2d": "projection", "ZeroPadShortcut": "zeropad"}


@pytest.mark.parametrize("shortcut, mode, params", [
    ("auto", "projection", 16 * 32),        # a 1×1 conv from 16 to 32 channels
    ("projection", "projection", 16 * 32),
    ("zeropad", "zeropad", 0),              # ResNet's option A: no parameters
])
def test_shortcut_kinds(shortcut, mode, params):
    a = stage(shortcut)
    first = a.row("stage.0.shortcut1")
    assert MODE[first.call.target] == mode  # what the analysis chose, by its module
    bias = 32 if mode == "projection" else 0  # no batchnorm: the projection has a bias
    assert first.trainable == params + bias
    assert shape_text(first.out_shape) == "32×16×16"
    second = a.row("stage.1.shortcut1")  # shapes match: auto picks identity
    if shortcut == "auto":
        assert MODE[second.call.target] == "identity" and second.trainable == 0


@pytest.mark.parametrize("shortcut", ["auto", "projection", "zeropad"])
def test_shortcuts_equal_pytorch(shortcut):
    pytest.importorskip("torch")
    from helpers import compare

    compare(parse_text(RESNET_STAGE.replace("SHORTCUT", shortcut)))


def test_zeropad_shortcut_computes_option_a():
    torch = pytest.importorskip("torch")
    from archcalc.reference.helpers import ZeroPadShortcut

    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    y = ZeroPadShortcut((2, 2), 3)(x)
    assert y.shape == (1, 5, 2, 2)
    assert torch.equal(y[:, :2], x[:, :, ::2, ::2]) and not y[:, 2:].any()


INCEPTION = """
archcalc: 1
name: an inception module
input: [192, 28, 28]
layers:
  - parallel:
      merge: concat
      branches:
        - - conv: {out: 64, kernel: 1}
        - - conv: {out: 96, kernel: 1}
          - conv: {out: 128, kernel: 3, padding: 1}
        - - conv: {out: 16, kernel: 1}
          - conv: {out: 32, kernel: 5, padding: 2}
        - - maxpool: {kernel: 3, stride: 1, padding: 1}
          - conv: {out: 32, kernel: 1}
"""


def test_parallel_concat():
    a = analyse_text(INCEPTION)
    merge = a.rows[-1]
    assert merge.kind == "concat" and shape_text(merge.out_shape) == "256×28×28"
    assert [r.name for r in a.rows[:2]] == ["branch1.conv1", "branch2.conv1"]
    assert a.totals.trainable == (192 * 64 + 64) + (192 * 96 + 96) + (96 * 128 * 9 + 128) + \
        (192 * 16 + 16) + (16 * 32 * 25 + 32) + (192 * 32 + 32)


def test_parallel_equals_pytorch():
    pytest.importorskip("torch")
    from helpers import compare

    compare(parse_text(INCEPTION))


def test_named_references_make_a_dag():
    a = analyse_text("""
        archcalc: 1
        name: dag
        input: [3, 16, 16]
        layers:
          - conv: {out: 8, kernel: 3, padding: 1, name: stem}
          - conv: {out: 8, kernel: 3, padding: 1, name: left}
          - conv: {out: 8, kernel: 1, from: stem, name: right}
          - concat: [left, right, stem]
        """)
    assert shape_text(a.rows[-1].out_shape) == "24×16×16"
    assert a.row("right").inputs == ("stem",)


def test_empty_branch_passes_the_input_through():
    a = analyse_text("""
        archcalc: 1
        name: t
        input: [8, 8, 8]
        layers:
          - parallel:
              merge: add
              branches:
                - []
                - - conv: {out: 8, kernel: 3, padding: 1}
        """)
    assert a.rows[-1].inputs == ("input", "branch2.conv1")


def test_auxiliary_outputs_are_not_unreachable():
    a = analyse_spec("inception_v3")
    assert a.ok and [o.name for o in a.outputs] == ["fc1", "AuxLogits.fc1"]


def test_block_argument_error_names_use_and_definition(cli):
    result = cli("check", DATA / "bad" / "block_missing_arg.yaml")
    lines = result.stderr.splitlines()
    assert lines[0].endswith("block_missing_arg.yaml:11:5: error: block basic needs argument `out`")
    assert lines[-1].endswith("hint: block basic is defined at "
                              f"{DATA / 'bad' / 'block_missing_arg.yaml'}:6:3")


def test_merge_mismatch_says_which_sizes_would_fit(cli):
    result = cli("check", DATA / "invalid" / "merge_mismatch.yaml", "--symbolic")
    assert "they are equal only when H ≡ 0 (mod 2)" in result.stderr
    result = cli("check", DATA / "invalid" / "merge_mismatch.yaml")
    assert "the nearest sizes that do are 32 and 34 (valid: H ≡ 0 (mod 2), H ≥ 2)" in \
        result.stderr


# -- receptive fields -------------------------------------------------------------------

def test_three_stacked_3x3_convs_see_7x7():
    a = analyse_text("""
        archcalc: 1
        name: t
        input: [3, 32, 32]
        layers:
          - conv: {out: 8, kernel: 3, padding: 1}
          - conv: {out: 8, kernel: 3, padding: 1}
          - conv: {out: 8, kernel: 3, padding: 1}
        """)
    assert [int(r.receptive[0].size) for r in a.rows] == [3, 5, 7]


def test_vgg16_receptive_fields():
    a = analyse_spec("vgg16")
    assert a.row("conv13").receptive[0].size == 196  # conv5_3
    assert a.row("pool5").receptive[0].size == 212
    assert a.row("fc1").receptive[0].whole  # after flatten: the whole input


def test_resnet18_last_stage_sees_435():
    a = analyse_spec("resnet18")
    assert a.row("layer4.1.conv2").receptive[0].size == 435
    assert a.row("layer4.1.add1").receptive[0].size == 435  # largest over the two paths
    assert a.row("pool2").receptive[0].whole


def test_no_misaligned_merges_in_the_library():
    for name in ("resnet50", "googlenet", "inception_v3", "inception_resnet_v2"):
        assert not [d for d in analyse_spec(name).findings if d.code == "rf-misaligned"]


# -- memory -------------------------------------------------------------------------------

TOLERANCE = 0.005  # the estimate is within 0.5 % of what autograd keeps (exact on ResNet-18)


@pytest.mark.parametrize("name, size", [("resnet18", 64), ("googlenet", 64), ("vgg11_bn", 64),
                                        ("r3d_18", 32)])
def test_saved_for_backward_matches_autograd(name, size):
    torch = pytest.importorskip("torch")
    from archcalc.reference import build_with_analysis

    from archcalc.analysis.memory import estimate

    bindings = {"H": size, "W": size} | ({"T": 4} if name == "r3d_18" else {})
    model, a = build_with_analysis(SPECS / f"{name}.yaml", bindings)
    model.train()
    own = {t.data_ptr() for t in (*model.parameters(), *model.buffers())}
    kept: dict[int, int] = {}

    def pack(t):
        if t.data_ptr() not in own:
            kept[t.data_ptr()] = max(kept.get(t.data_ptr(), 0), t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(torch.randn(2, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims))))
    measured = sum(kept.values())
    predicted = int(estimate(a, batch=2).saved)
    assert abs(predicted - measured) <= TOLERANCE * measured


def test_training_footprint_parts():
    from archcalc.analysis.memory import estimate

    a = analyse_spec("resnet50")
    m = estimate(a, batch=256, dtype="bf16", optimizer="adam")
    assert m.params == 4 * (a.totals.params + a.totals.buffers) and m.grads == 4 * a.totals.trainable
    assert m.optimizer_state == 2 * m.grads
    assert m.training == m.params + m.grads + m.optimizer_state + m.saved
    assert m.training < 80 * 2 ** 30  # batch 256 of ResNet-50 fits in 80 GB by this measure


# -- reading deep networks --------------------------------------------------------------

def test_tree_and_collapse(cli):
    tree = cli("check", "resnet18").stdout
    assert "layer2 " in tree and "[0]" in tree and "    conv1" in tree
    collapsed = cli("check", "resnet18", "--collapse").stdout
    assert "layer2" in collapsed and "[0]" not in collapsed and "basic ×2" in collapsed
    assert "11,689,512" in collapsed and "9,600" in collapsed  # totals unchanged


def test_json_keeps_the_hierarchy(cli):
    doc = json.loads(cli("check", "resnet18", "--format", "json").stdout)
    layer2 = next(n for n in doc["tree"] if n.get("group") == "layer2")
    assert layer2["kind"] == "basic ×2" and layer2["children"][0]["group"] == "layer2.0"
    assert {"layer": "layer2.0.conv1"} in layer2["children"][0]["children"]
    assert doc["layers"][0]["receptive_field"][0] == {"size": 7, "jump": 2, "start": 0}


def test_a_named_layer_in_an_unnamed_residual_is_named_once():
    """An unnamed residual's layers live in the enclosing scope: its named layer is
    reserved there once (it was reported "used twice"), and others can read it."""
    a = analyse_text("""
        archcalc: 1
        name: t
        input: [8, 16, 16]
        layers:
          - residual:
              layers:
                - conv: {out: 8, kernel: 3, padding: 1, name: c1}
                - relu
          - conv: {out: 8, kernel: 1, name: side, from: c1}
          - add: [add1, side]
        """)
    assert a.ok and a.row("side").inputs == ("c1",)
