"""The language of the modern families (issue 11, item 8): a block's `in`, repeat counts
that are expressions, the `if_same` shortcut, block arguments of every type, exact
fractions, round/log/make_divisible, and quoted expressions — each through the calculator,
PyTorch (`compare`), the generated source and, for MobileNet v2, torchvision's own blocks."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
import types

import pytest
from helpers import DATA, analyse_text, compare

from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.spec import parse_file, parse_text

LANG = DATA / "lang"
torch = pytest.importorskip("torch")


def spec(text: str):
    return parse_text(textwrap.dedent(text))


def generated_matches_build(path_or_spec, tmp_path, bindings=None):
    """The generated source instantiates, has build()'s state_dict and its outputs."""
    from archcalc.reference import build_with_analysis
    from archcalc.reference.codegen import generate

    s = parse_file(path_or_spec) if not hasattr(path_or_spec, "layers") else path_or_spec
    torch.manual_seed(0)
    reference, a = build_with_analysis(s, bindings)
    source = generate(s, bindings)
    path = tmp_path / "generated.py"
    path.write_text(source)
    loader = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    top = [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)][-1]
    mine = getattr(module, top)()
    mine.load_state_dict(reference.state_dict(), strict=True)
    reference.eval(), mine.eval()
    x = torch.randn(2, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)))
    with torch.no_grad():
        assert torch.equal(reference(x), mine(x))
    return source


# -- the diagnostics a person meets first ---------------------------------------------------

def test_an_unquoted_expression_with_a_comma_says_to_quote_it(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("archcalc: 1\nname: s\ninput: [3, 8, 8]\nlayers:\n"
                    "  - conv: {out: max(4, 8), kernel: 3}\n")
    result = cli("check", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:5:17: error: conv.out: YAML split the expression `max(4, 8)` at its comma",
        "   5 |   - conv: {out: max(4, 8), kernel: 3}",
        "                       ^",
        '  hint: quote it: `out: "max(4, 8)"` (in a mapping written `{…}`, a comma separates '
        "keys)"]


def test_a_quoted_value_is_an_expression_where_a_number_is_expected():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [3, 8, 8]
        symbols: {c: 3}
        layers:
          - conv: {out: "max(4, 2 * c)", kernel: "min(3, c)", padding: '(3 - 1) / 2'}
    """)
    assert a.rows[0].out_shape.c == 6 and a.rows[0].out_shape.dims == (8, 8)


# -- in -------------------------------------------------------------------------------------

def test_in_is_each_instances_input_channels():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [6, 8, 8]
        blocks:
          dw:
            args: {t: 2}
            layers:
              - conv: {out: t * in, kernel: 1}
              - conv: {out: t * in, kernel: 3, padding: 1, groups: t * in}
          transition:
            layers:
              - conv: {out: in / 2, kernel: 1}
        layers:
          - conv: {out: in + 2, kernel: 1}
          - dw
          - dw: {t: 3}
          - transition
    """)
    outs = [r.out_shape.c for r in a.rows]
    assert outs == [8, 16, 16, 48, 48, 24]
    assert a.rows[2].layer.groups == 16 and a.rows[4].layer.groups == 48
    assert {str(s) for s, _ in a.channels} == {"in"}


def test_in_reaches_a_block_use_inside_a_block(tmp_path):
    text = """
        archcalc: 1
        name: s
        input: [4, 8, 8]
        blocks:
          inner:
            args: {c: ~}
            layers: [{conv: {out: c + in, kernel: 1}}]
          outer:
            layers:
              - conv: {out: 10, kernel: 1}
              - inner: {c: 2 * in}
        layers: [outer]
    """
    a = analyse_text(text)
    assert [r.out_shape.c for r in a.rows] == [10, 18]  # 2·4 (outer's in) + 10 (inner's)
    source = generated_matches_build(spec(text), tmp_path)
    assert "self.inner1 = Inner(10, 2 * in_channels)" in source


# -- repeat ---------------------------------------------------------------------------------

def test_repeat_counts_are_expressions_of_arguments_and_symbols(cli):
    text = """
        archcalc: 1
        name: s
        input: [3, 8, 8]
        symbols: {depth: 2}
        blocks:
          stage:
            args: {n: ~}
            layers:
              - conv: {out: 4, kernel: 1}
              - relu: {repeat: n - 1}
        layers:
          - stage: {n: 3}
          - stage: {n: 1}
          - sigmoid: {repeat: depth}
    """
    design = Design(spec(text))
    kinds = [r.kind for r in design.analysis.rows]
    assert kinds == ["conv", "relu", "relu", "conv", "sigmoid", "sigmoid"]
    more = design.rebind({"depth": 4})
    assert [r.kind for r in more.analysis.rows].count("sigmoid") == 4
    assert design.rebind({"depth": 2}).graph is design.graph


def test_a_bare_n_is_the_argument_not_yaml_1_1s_no():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [3, 8, 8]
        blocks:
          stage: {args: {n: ~, y: 2}, layers: [{conv: {out: y, kernel: 1, repeat: n}}]}
        layers: [{stage: {n: 3}}]
    """)
    assert [r.out_shape.c for r in a.rows] == [2, 2, 2]


def test_a_repeat_of_zero_copies_passes_its_input_on():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [3, 8, 8]
        layers:
          - conv: {out: 4, kernel: 1}
          - relu: {repeat: 0, name: nothing}
          - conv: {out: 5, kernel: 1, from: nothing}
    """)
    assert [r.name for r in a.rows] == ["conv1", "conv2"]
    assert a.rows[1].inputs == ("conv1",)


# -- if_same --------------------------------------------------------------------------------

IF_SAME = """
    archcalc: 1
    name: s
    input: [8, 9, 9]
    blocks:
      ir:
        args: {out: ~, stride: 1}
        layers:
          - residual:
              shortcut: if_same
              layers:
                - conv: {out: out, kernel: 3, stride: stride, padding: 1}
    layers:
      - ir: 8
      - ir: {out: 8, stride: 2}
      - ir: 16
"""


def test_if_same_adds_where_the_body_keeps_the_shape_and_is_absent_elsewhere(tmp_path):
    a = compare(spec(IF_SAME))
    adds = [r for r in a.rows if r.kind == "add_if_same"]
    assert [len(r.inputs) for r in adds] == [2, 1, 1]  # absent: reads the body alone
    assert all(r.macs == 0 and r.trainable == 0 for r in adds)
    # the absent sums join nothing: the stride-2 body's smaller size is no merge mismatch
    assert all(v.residues and v.current_fits for v in a.valid_inputs)
    source = generated_matches_build(spec(IF_SAME), tmp_path)
    assert "self.use_res_connect = in_channels == out and stride == 1" in source
    assert "x = x + identity if self.use_res_connect else x" in source


@pytest.mark.parametrize("stride, sums", [(1, 1), (2, 0)])
def test_a_decided_shortcut_is_a_plain_sum_or_nothing(stride, sums, tmp_path):
    source = generated_matches_build(spec(f"""
        archcalc: 1
        name: s
        input: [8, 9, 9]
        layers:
          - residual:
              shortcut: if_same
              layers: [{{conv: {{out: 8, kernel: 3, stride: {stride}, padding: 1}}}}]
    """), tmp_path)
    assert source.count("x = x + identity") == sums and "use_res_connect" not in source


# -- MobileNet v2 against torchvision's InvertedResidual --------------------------------------

def _torchvision():
    sys.modules.setdefault("torchvision._meta_registrations",
                           types.ModuleType("torchvision._meta_registrations"))
    return pytest.importorskip("torchvision")


@pytest.mark.parametrize("size", [112, 57])
def test_mobilenet_v2_stages_equal_torchvisions_inverted_residuals(size):
    from torch.utils.flop_counter import FlopCounterMode

    tv = _torchvision()
    features = tv.models.mobilenet_v2().features[1:7].eval()  # rows t=1, 6, 6 of the table
    a = compare(LANG / "mobilenet_v2_stages.yaml", {"H": size})
    blocks = [g for g in a.groups if g.kind == "inverted_residual"]
    assert len(blocks) == len(features) == 6
    shapes = []
    for block in features:
        block.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:])))
    with FlopCounterMode(display=False) as counter:
        features(torch.randn(1, 32, size, size))
    ours = [tuple(int(d) for d in (g.out_shape.c, *g.out_shape.dims)) for g in blocks]
    assert ours == shapes
    assert sum(p.numel() for p in features.parameters()) == a.totals.trainable
    assert sum(b.numel() for n, b in features.named_buffers()
               if not n.endswith("num_batches_tracked")) == a.totals.buffers
    assert counter.get_total_flops() == a.totals.flops
    adds = [r for r in a.rows if r.kind == "add_if_same"]
    assert [len(r.inputs) == 2 for r in adds] == [b.use_res_connect for b in features]


def test_mobilenet_v2_stages_compile(tmp_path):
    """A block whose repeat count its arguments decide is written once per instance, with
    each shortcut decided: torchvision's three use_res_connect blocks are two classes (the
    last two blocks are one), each with its sum."""
    source = generated_matches_build(LANG / "mobilenet_v2_stages.yaml", tmp_path)
    assert source.count("x = x + identity") == 2


# -- every kind of block argument -------------------------------------------------------------

def test_block_arguments_of_every_type():
    path = LANG / "block_arguments.yaml"
    a = compare(path)
    by = {r.name: r for r in a.rows}
    assert by["cba1.hardswish1"].kind == "hardswish"          # act: hardswish, `- $act`
    assert by["mbconv3.0.cba1.relu61"].kind == "relu6"        # passed down two blocks
    assert by["cba1.conv1"].layer.bias is False               # bias: $bias
    assert by["mbconv2.cba1.conv1"].out_shape.c == 136        # make_divisible(16·6·1.4, 8)
    assert by["hw1.conv1"].layer.kernel == (1, 3)             # k: [1, 3]
    assert by["hw1.dropout1"].layer.p == 0.25                 # drop: 0.25
    assert by["widths1.conv1"].out_shape.c == 64              # 8·round((24 + 36.44)/8)
    assert by["widths1.conv2"].out_shape.c == 16              # floor(log(w_m², w_m))·8
    assert by["transition1.conv1"].out_shape.c == 12          # in / 2
    assert len([r for r in a.rows if r.name.startswith("mbconv3.")]) == 2 * 9  # depth 2
    assert by["fc1"].out_shape.c == 10                        # "max(4, 10)"


@pytest.mark.parametrize("path", sorted(LANG.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_language_spec_verifies_and_compiles(cli, path, tmp_path):
    result = cli("verify", path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "PyTorch agrees with the calculator on every layer." in result.stdout
    generated_matches_build(path, tmp_path)


def test_a_layer_name_given_to_a_block_is_read_where_it_was_given(tmp_path):
    a = compare(LANG / "unet_skips.yaml")
    by = {r.name: r for r in a.rows}
    assert by["up1.concat1"].inputs == ("enc2.relu1", "up1.reduce")
    assert by["up2.concat1"].inputs == ("enc1.relu1", "up2.reduce")
    assert by["up1.reduce"].out_shape.c == 16  # in / 2 of the 32 channels it reads
    source = generated_matches_build(LANG / "unet_skips.yaml", tmp_path)
    assert "    def forward(self, x, enc2):" in source and "x = self.up1(x, enc2)" in source


def test_a_fraction_argument_is_exact():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [3, 8, 8]
        blocks:
          b:
            args: {w: 0.1}
            layers: [{conv: {out: w * 30, kernel: 1}}]
        layers: [{b: {w: 0.1}}, {b: {w: 0.3}}]
    """)
    assert [r.out_shape.c for r in a.rows] == [3, 9]  # 0.1·30 is 3 exactly, not 3.0000000004


def test_a_named_layer_in_an_unnamed_residual_is_not_used_twice():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [4, 8, 8]
        layers:
          - residual:
              layers: [{conv: {out: 4, kernel: 1, name: body}}]
    """)
    assert a.rows[0].name == "body"


def test_a_kind_argument_may_name_a_block():
    a = analyse_text("""
        archcalc: 1
        name: s
        input: [4, 8, 8]
        blocks:
          pair: {layers: [relu, sigmoid]}
          wrap:
            args: {inner: relu}
            layers: [{conv: {out: 4, kernel: 1}}, $inner]
        layers: [{wrap: {inner: pair}}, wrap]
    """)
    assert [r.kind for r in a.rows] == ["conv", "relu", "sigmoid", "conv", "relu"]


def test_symbolic_spatial_sizes_keep_if_same_decided(cli):
    a = Design(parse_file(LANG / "mobilenet_v2_stages.yaml"), free=["H"]).analysis
    assert not [d for d in a.findings if d.severity == "error"]
    assert [len(r.inputs) for r in a.rows if r.kind == "add_if_same"] == [1, 1, 2, 1, 2, 2]


def test_an_expansion_error_is_a_spec_error():
    with pytest.raises(SpecError, match=r"repeat = n - 1 with n = 0 is -1"):
        Design(spec("""
            archcalc: 1
            name: s
            input: [3, 8, 8]
            blocks:
              b: {args: {n: ~}, layers: [{relu: {repeat: n - 1}}]}
            layers: [{b: 0}]
        """)).graph


@pytest.mark.parametrize("path", sorted(LANG.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_json_schema_accepts_the_new_forms(path):
    import jsonschema

    from archcalc.spec.schema import spec_schema
    from archcalc.spec.yamlnodes import load, to_python

    validator = jsonschema.Draft202012Validator(spec_schema())
    errors = list(validator.iter_errors(to_python(load(path.read_text()))))
    assert not errors, errors[0].message


def test_a_shortcut_that_unbound_channels_decide_is_an_error():
    a = Design(spec("""
        archcalc: 1
        name: s
        input: [C, 8, 8]
        layers:
          - residual:
              shortcut: if_same
              layers: [{conv: {out: 4, kernel: 1}}]
    """)).analysis
    errors = [d for d in a.findings if d.severity == "error"]
    assert [(d.loc.line, d.loc.column, d.message) for d in errors] == [
        (6, 5, "whether the shortcut is there (same channels, stride 1) depends on C: "
         "give it a value")]


UNDECIDED_THEN_ANOTHER = """\
archcalc: 1
name: t
input: [3, 16, 16]
symbols: {c: ~}
layers:
  - conv: {out: 8, kernel: 1}
  - residual:
      shortcut: if_same
      layers:
        - conv: {out: c, kernel: 1}
  - residual:
      shortcut: if_same
      layers:
        - conv: {out: 8, kernel: 1}
"""


def test_an_undecided_if_same_then_another_is_a_diagnostic(cli, tmp_path):
    """The second residual is not inferred once the first is undecided; its axis maps
    come from add_if_same's arguments (an AttributeError before)."""
    path = tmp_path / "u.yaml"
    path.write_text(UNDECIDED_THEN_ANOTHER)
    result = cli("check", path)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        f"{path}:7:5: error: add1: whether the shortcut is there (same channels, stride 1) "
        "depends on c: give it a value")
