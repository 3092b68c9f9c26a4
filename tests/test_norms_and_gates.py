"""The kinds modern blocks are made of — LayerNorm, GroupNorm, InstanceNorm, layer scale,
stochastic depth, the activations torchvision and timm use, broadcasting merges (the
squeeze-and-excitation gate) and channel shuffle — against PyTorch and torchvision: per
layer shapes, parameters, buffers and FLOPs (`compare`), `verify`, and the generated
source, which must import and compute what `build()` computes."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

torch = pytest.importorskip("torch")

from archcalc.reference import build_with_analysis  # noqa: E402
from archcalc.reference.codegen import generate  # noqa: E402
from archcalc.reference.verify import verify  # noqa: E402
from helpers import analyse_text, compare  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402


def spec(input_, *layers, symbols="") -> str:
    body = "".join(f"  - {line}\n" for line in layers)
    return f"archcalc: 1\nname: t\ninput: {input_}\n{symbols}layers:\n{body}"


FLAT = ("global_avgpool", "flatten")  # to a vector of C features
CASES = {
    "layernorm": [spec("[8, 6, 5]", "layernorm"), spec("[8, 6, 5]", "layernorm: {eps: 1e-6}"),
                  spec("[8, 7]", "layernorm: {affine: false}"),
                  spec("[8, 6, 5]", "layernorm: {bias: false}"),
                  spec("[8, 6, 5]", *FLAT, "layernorm")],
    "groupnorm": [spec("[8, 6, 5]", "groupnorm: 1"), spec("[8, 6, 5]", "groupnorm: 4"),
                  spec("[8, 6, 5]", "groupnorm: {groups: 8, affine: false, eps: 1e-3}"),
                  spec("[6, 9]", "groupnorm: 3"), spec("[8, 6, 5]", *FLAT, "groupnorm: 2")],
    "instancenorm": [spec("[8, 6, 5]", "instancenorm"),
                     spec("[8, 6, 5]", "instancenorm: {affine: true}"),
                     spec("[8, 6, 5]", "instancenorm: {track_running_stats: true}"),
                     spec("[4, 9]", "instancenorm: {affine: true, track_running_stats: true, "
                                    "momentum: 0.2}")],
    "layer_scale": [spec("[8, 6, 5]", "layer_scale"), spec("[8, 9]", "layer_scale: 0.5"),
                    spec("[8, 6, 5]", *FLAT, "layer_scale: {init: 1.0}")],
    "channel_linear": [spec("[8, 6, 5]", "channel_linear: 12"),
                       spec("[8, 7]", "channel_linear: {out: 3, bias: false}"),
                       spec("[4, 3, 5, 6]", "channel_linear: {out: 5}")],
    "drop_path": [spec("[8, 6, 5]", "drop_path: 0.1"),
                  spec("[8, 9]", "stochastic_depth: {p: 0.5, mode: batch}")],
    "activations": [spec("[8, 6, 5]", "gelu: {approximate: tanh}", "gelu", "celu: {alpha: 2}",
                         "hardtanh", "hardtanh: {min_val: 0, max_val: 6}", "prelu",
                         "prelu: {per_channel: true, init: 0.1}"),
                    spec("[8, 9]", *FLAT, "prelu: {per_channel: true}", "celu")],
    "channel_shuffle": [spec("[12, 6, 5]", "channel_shuffle: 1"),
                        spec("[12, 6, 5]", "channel_shuffle: 3"),
                        spec("[12, 9]", "channel_shuffle: {groups: 4}")],
    "merges": [spec("[8, 6, 5]", "conv: {out: 8, kernel: 1, name: a}",
                    "global_avgpool: {from: a, name: g}", "multiply: {from: [a, g], name: m}",
                    "add: {from: [g, m], name: s}", "concat: [s, a]"),
               spec("[8, 7]", "conv: {out: 1, kernel: 1, name: a}",
                    "adaptive_avgpool: {output_size: 1, from: input, name: g}",
                    "product: {from: [a, g, input]}")],
}
ALL = [(k, i) for k, texts in CASES.items() for i in range(len(texts))]

SE = """
archcalc: 1
name: se
input: [C, H, W]
symbols: {C: 16, S: 4, H: 12, W: 10}
layers:
  - parallel:
      merge: multiply
      branches:
        - []
        - - global_avgpool
          - conv: {out: S, kernel: 1}
          - relu
          - conv: {out: C, kernel: 1}
          - sigmoid
"""

# torchvision's CNBlock (convnext.py) as a spec, its modules at torchvision's paths: its
# Linear layers on the channels-last tensor are `channel_linear` (the Linear's weights, a
# 1×1 conv's counts), its γ a `layer_scale` named as the parameter it is.
CNBLOCK = """
archcalc: 1
name: cnblock
input: [C, H, W]
symbols: {C: 16, H: 9, W: 9}
layers:
  - residual:
      shortcut: identity
      layers:
        - conv: {out: C, kernel: 7, padding: 3, groups: C, path: block.0}
        - layernorm: {eps: 1e-6, path: block.2}
        - channel_linear: {out: 4*C, path: block.3}
        - gelu: {path: block.4}
        - channel_linear: {out: C, path: block.5}
        - layer_scale: {name: layer_scale}
        - drop_path: {p: 0.1, name: stochastic_depth}
"""

# A stage of blocks: the generated source writes a block class with symbolic widths.
BLOCKS = """
archcalc: 1
name: stage
input: [8, 10, 10]
blocks:
  mixer:
    args: {c: ~, g: 2}
    layers:
      - residual:
          shortcut: identity
          layers:
            - groupnorm: g
            - conv: {out: c, kernel: 3, padding: 1, groups: g}
            - channel_shuffle: g
            - layernorm
            - instancenorm: {affine: true}
            - prelu: {per_channel: true}
            - gelu: {approximate: tanh}
            - layer_scale: 0.1
            - drop_path: 0.1
      - parallel:
          merge: mul
          branches:
            - []
            - [global_avgpool, {conv: {out: c, kernel: 1}}, hardsigmoid]
layers:
  - mixer: {c: 8, repeat: 2}
  - mixer: {c: 8, g: 4}
"""


@pytest.mark.parametrize("kind, i", ALL, ids=[f"{k}-{i}" for k, i in ALL])
def test_kind_equals_pytorch(kind, i):
    text = CASES[kind][i]
    a = analyse_text(text)
    assert a.ok, [d.headline() for d in a.findings]
    compare(parse_text(text))
    result = verify(parse_text(text))
    assert result.ok, result.first_mismatch


def _generated(text: str, tmp_path, bindings=None):
    source = generate(parse_text(text), bindings)
    path = tmp_path / "gen.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location("gen", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    top = [line.split()[1].split("(")[0] for line in source.splitlines()
           if line.startswith("class ")][-1]
    return getattr(module, top)()


@pytest.mark.parametrize("text", [CASES[k][i] for k, i in ALL] + [SE, CNBLOCK, BLOCKS],
                         ids=[f"{k}-{i}" for k, i in ALL] + ["se", "cnblock", "blocks"])
def test_generated_source_computes_what_build_computes(text, tmp_path):
    torch.manual_seed(0)
    reference, a = build_with_analysis(parse_text(text))
    with torch.no_grad():  # random affine parameters, so a lost scale would show
        for p in reference.parameters():
            p.uniform_(0.5, 1.5)
    mine = _generated(text, tmp_path)
    mine.load_state_dict(reference.state_dict(), strict=True)
    reference.eval(), mine.eval()
    x = torch.randn(3, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)))
    with torch.no_grad():
        assert torch.equal(reference(x), mine(x))
    assert verify(parse_text(text)).ok


def test_cli_compiles_and_verifies_a_spec_using_every_new_kind(cli, tmp_path):
    path = tmp_path / "stage.yaml"
    path.write_text(textwrap.dedent(BLOCKS))
    result = cli("verify", path)
    assert result.exit_code == 0 and "PyTorch agrees with the calculator on every layer." \
        in result.stdout
    source = cli("compile", path).stdout
    for text in ("nn.GroupNorm(g, in_channels)", "nn.ChannelShuffle(g)", "LayerNorm2d(c)",
                 "nn.InstanceNorm2d(c, affine=True)",
                 "nn.PReLU(num_parameters=c)", 'nn.GELU(approximate="tanh")',
                 "LayerScale(c, init=0.1)", 'StochasticDepth(0.1, "row")', "x * self.branch2(x)",
                 "class LayerNorm2d(nn.LayerNorm):", "class StochasticDepth(nn.Module):"):
        assert text in source, text


# -- against torchvision ----------------------------------------------------------------

def _flops(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def test_squeeze_excitation_equals_torchvision():
    from torchvision.ops import SqueezeExcitation

    for c, s, h, w in ((16, 4, 12, 10), (64, 16, 7, 7), (3, 1, 5, 9)):
        theirs = SqueezeExcitation(c, s).eval()
        mine, a = build_with_analysis(parse_text(SE), {"C": c, "S": s, "H": h, "W": w})
        mine.eval()
        assert a.ok and a.totals.trainable == sum(p.numel() for p in theirs.parameters())
        x = torch.randn(2, c, h, w)
        assert 2 * a.totals.flops == _flops(theirs, x) == _flops(mine, x)
        mine.load_state_dict(dict(zip(mine.state_dict(), theirs.state_dict().values())))
        with torch.no_grad():
            y = theirs(x)
            assert y.shape == mine(x).shape == (2, c, h, w)
            assert torch.equal(y, mine(x))
        compare(parse_text(SE), {"C": c, "S": s, "H": h, "W": w})


def test_convnext_block_equals_torchvision():
    from functools import partial

    from torchvision.models.convnext import CNBlock

    for c, h in ((16, 9), (32, 14)):
        theirs = CNBlock(c, 1e-6, 0.1, partial(torch.nn.LayerNorm, eps=1e-6)).eval()
        with torch.no_grad():  # γ = 1e-6 would hide the branch: make it count
            theirs.layer_scale.uniform_(0.5, 1.5)
        mine, a = build_with_analysis(parse_text(CNBLOCK), {"C": c, "H": h, "W": h})
        mine.eval()
        assert a.totals.trainable == sum(p.numel() for p in theirs.parameters())
        x = torch.randn(2, c, h, h)
        assert 2 * a.totals.flops == _flops(theirs, x) == _flops(mine, x)
        # torchvision's own state_dict, as it is: the same keys and shapes
        mine.load_state_dict(theirs.state_dict(), strict=True)
        assert set(mine.state_dict()) == set(theirs.state_dict())
        assert torch.equal(mine.state_dict()["layer_scale"], theirs.layer_scale)
        # inside a larger model too (the keys carry its prefix), and back again
        outer = torch.nn.Sequential(mine)
        assert "0.layer_scale" in outer.state_dict()
        outer.load_state_dict(outer.state_dict(), strict=True)
        with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.layer_scale"'):
            outer.load_state_dict({k: v for k, v in outer.state_dict().items()
                                   if k != "0.layer_scale"})
        with torch.no_grad():
            y = theirs(x)
            assert (y - x).abs().max() > 0.1  # the branch shows in the output
            assert torch.allclose(y, mine(x), atol=1e-5, rtol=0)


def test_layernorm2d_is_torchvisions():
    from archcalc.reference.helpers import LayerNorm2d
    from torchvision.models.convnext import LayerNorm2d as Theirs

    theirs, mine = Theirs(8, eps=1e-6), LayerNorm2d(8, eps=1e-6)
    with torch.no_grad():
        theirs.weight.uniform_(), theirs.bias.uniform_()
    mine.load_state_dict(theirs.state_dict(), strict=True)  # the same names: weight, bias
    x = torch.randn(2, 8, 5, 6)
    assert torch.equal(theirs(x), mine(x))


@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_stochastic_depth_is_torchvisions(p, mode):
    from archcalc.reference.helpers import StochasticDepth
    from torchvision.ops import StochasticDepth as Theirs

    x = torch.randn(16, 4, 3, 3)
    for training in (True, False):
        theirs, mine = Theirs(p, mode).train(training), StochasticDepth(p, mode).train(training)
        torch.manual_seed(1)
        expected = theirs(x)
        torch.manual_seed(1)
        assert torch.equal(mine(x), expected)
        if not training or p == 0:
            assert torch.equal(expected, x)


# -- broadcasting merges against PyTorch -------------------------------------------------

@st.composite
def broadcast_case(draw):
    """Two or three paths from one input, each pooled to a random size (1 often) and
    projected to a random width, merged by add or multiply; or flat paths."""
    n = draw(st.integers(2, 3))
    size = st.sampled_from([1, 1, 2, 3])
    shapes = [(draw(st.sampled_from([1, 1, 3, 4])), draw(size), draw(size)) for _ in range(n)]
    flat = draw(st.booleans()) and n == 2
    merge = draw(st.sampled_from(["add", "multiply"]))
    return shapes, merge, flat


def _broadcast_spec(shapes, merge, flat) -> str:
    lines = ["archcalc: 1", "name: b", "input: [2, 6, 6]", "layers:", "  - parallel:",
             f"      merge: {merge}", "      branches:"]
    for i, (c, h, w) in enumerate(shapes):
        tail = ", flatten" if flat and i == 0 else ""
        lines.append(f"        - [{{adaptive_avgpool: {{output_size: [{h}, {w}]}}}}, "
                     f"{{conv: {{out: {c}, kernel: 1}}}}{tail}]")
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broadcast_case())
def test_broadcasting_merges_equal_pytorch(case):
    shapes, merge, flat = case
    text = _broadcast_spec(shapes, merge, flat)
    a = Design(parse_text(text)).analysis
    try:
        expected = torch.broadcast_shapes(*((2, *s) for s in shapes)) if not flat else None
    except RuntimeError:
        expected = None
    if expected is None:
        errors = [d for d in a.findings if d.severity == "error"]
        assert errors and errors[0].code == "merge-shape"
        message = errors[0].headline()
        assert (" mixes flat and spatial inputs" in message) if flat else \
            ("differs by" in message and "or one of them 1" in str(errors[0].hints))
        return
    assert a.ok, [d.headline() for d in a.findings]
    out = a.rows[-1].out_shape
    assert (2, int(out.c), *(int(d) for d in out.dims)) == tuple(expected)
    compare(parse_text(text))


def test_a_gate_broadcasts_over_every_input_size():
    text = spec("[8, H, W]", "conv: {out: 8, kernel: 3, stride: 2, name: a}",
                "global_avgpool", "conv: {out: 8, kernel: 1}", "sigmoid: {name: g}",
                "multiply: [a, g]", "maxpool: 2", symbols="symbols: {H: 17, W: 17}\n")
    a = analyse_text(text)
    assert a.ok and a.rows[-2].out_shape.dims == (8, 8)
    valid = a.valid_inputs[0]
    assert valid.text == "H ≡ 1 (mod 4), H ≥ 5", valid.text
    for h in range(3, 40):  # the valid set, against the calculator at each size
        ok = analyse_text(text.replace("H: 17", f"H: {h}")).ok
        assert ok == valid.contains(h), h


def test_symbolic_gate_keeps_the_symbols():
    import sympy as sp

    a = Design(parse_text(textwrap.dedent(SE)), free=["H", "W"]).analysis
    assert a.ok, [d.headline() for d in a.findings]
    assert a.rows[-1].out_shape.dims == (sp.Symbol("H", positive=True, integer=True),
                                         sp.Symbol("W", positive=True, integer=True))


# -- what the errors say ----------------------------------------------------------------

@pytest.mark.parametrize("fixture, hint", [
    ("invalid/broadcast_mismatch", "along each axis the sizes must be equal, or one of them "
                                   "1 (broadcasting, as torch.broadcast_shapes)"),
    ("invalid/concat_mismatch", "the inputs of concat must have the same size along every "
                                "axis but the channels (as torch.cat(dim=1))"),
    ("invalid/groupnorm_groups", "choose groups among the divisors of 64: 1, 2, 4, 8, 16, "
                                 "32, 64"),
    ("invalid/instancenorm_flat", "normalise before `flatten`, or use `layernorm`"),
    ("bad/multiply_constant", "to multiply by a constant, write `- scale: …`"),
    ("bad/merge_kind", "concat: channels side by side; add: the sum; multiply: the product "
                       "(a gate)"),
])
def test_errors_say_how_to_fix_them(cli, fixture, hint):
    from helpers import DATA

    result = cli("check", DATA / f"{fixture}.yaml")
    assert f"  hint: {hint}" in result.stderr.splitlines()


def test_multiply_is_a_merge_and_scale_the_constant():
    from archcalc.layers import ALIASES, KINDS, merge_kinds

    assert "multiply" not in ALIASES and KINDS["multiply"].arity is None
    assert set(merge_kinds()) == {"add", "multiply", "concat"}
    assert KINDS["scale"].aliases == ()


@pytest.mark.parametrize("text", [SE, CNBLOCK, BLOCKS, *(CASES[k][i] for k, i in ALL)],
                         ids=["se", "cnblock", "blocks"] + [f"{k}-{i}" for k, i in ALL])
def test_saved_for_backward_matches_autograd(text):
    """What each kind says it keeps for backward (`saved`) is what autograd keeps."""
    from archcalc.analysis.memory import estimate

    model, a = build_with_analysis(parse_text(text))
    model.train()
    own = {t.data_ptr() for t in (*model.parameters(), *model.buffers())}
    kept: dict[int, int] = {}

    def pack(t):
        if t.data_ptr() not in own:
            kept[t.data_ptr()] = max(kept.get(t.data_ptr(), 0), t.numel() * t.element_size())
        return t

    # as in the middle of a network: the input needs a gradient too
    x = torch.randn(2, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)),
                    requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    assert int(estimate(a, batch=2).saved) == sum(kept.values())


def test_the_schema_accepts_every_new_kind_and_refuses_a_wrong_merge():
    import json

    import jsonschema
    from click.testing import CliRunner
    from helpers import DATA

    from archcalc.cli import main
    from archcalc.spec.yamlnodes import load, to_python

    schema = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    validator = jsonschema.Draft202012Validator(schema)
    for text in [SE, CNBLOCK, BLOCKS, *(CASES[k][i] for k, i in ALL)]:
        errors = list(validator.iter_errors(to_python(load(textwrap.dedent(text)))))
        assert not errors, errors[0].message
    for name in ("merge_kind", "drop_path_p", "drop_path_mode", "gelu_approximate",
                 "layernorm_eps"):
        assert not validator.is_valid(to_python(load((DATA / "bad" / f"{name}.yaml")
                                                     .read_text())))
