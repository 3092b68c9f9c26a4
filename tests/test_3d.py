"""3-D input, `input: [C, T, H, W]` (issue 11, item 7): every kind that takes a volume
against PyTorch's 3-D modules, random 3-D chains through tests/helpers.py `compare`, the
valid-input set of each axis against a full analysis at every size, the fixes that name
one axis of a layer whose axes differ, and the generated source."""

from __future__ import annotations

import pytest
from helpers import analyse_text, compare, one_layer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archcalc.analysis import analyze
from archcalc.design import Design
from archcalc.graph import build_graph
from archcalc.spec import parse_text

EVERY_KIND_3D = """
archcalc: 1
name: every kind in 3-D
rounding: floor
input: [3, 6, 20, 20]
layers:
  - conv: {out: 8, kernel: [3, 5, 5], stride: [1, 2, 2], padding: [1, 2, 2], name: stem}
  - batchnorm
  - lrn: 3
  - conv: {out: 8, kernel: 3, padding: [[0, 2], 1, [1, 0]], padding_mode: replicate,
           groups: 2}
  - conv: {out: 8, kernel: 3, padding: same, dilation: [1, 2, 2], padding_mode: reflect}
  - residual:
      layers:
        - conv: {out: 16, kernel: 3, stride: [1, 2, 2], padding: 1}
        - relu
      shortcut: projection
      batchnorm: true
  - residual:
      layers: [conv: {out: 24, kernel: 1, stride: 2}]
      shortcut: zeropad
  - parallel:
      merge: concat
      branches:
        - [maxpool: {kernel: 3, stride: 1, padding: 1, dilation: [1, 1, 1]}]
        - [avgpool: {kernel: 3, stride: 1, padding: 1, count_include_pad: false}]
        - [lppool: {kernel: 1}]
        - []
  - maxpool: {kernel: [1, 2, 2], ceil_mode: true}
  - upsample: {scale_factor: [1, 2, 2]}
  - adaptive_maxpool: {output_size: [2, 3, 3]}
  - adaptive_avgpool: 2
  - global_maxpool
  - global_avgpool
  - flatten
  - dropout
  - linear: 10
"""


def test_every_volume_kind_in_3d_equals_pytorch():
    pytest.importorskip("torch")
    a = compare(parse_text(EVERY_KIND_3D))
    modules = {r.call.target for r in a.rows} | {
        c.target for r in a.rows for c in r.call.args if hasattr(c, "target")}
    assert {m for m in modules if m.endswith("3d")} == {
        "nn.Conv3d", "PaddedConv3d", "nn.BatchNorm3d", "nn.MaxPool3d", "nn.AvgPool3d",
        "nn.LPPool3d", "nn.AdaptiveMaxPool3d", "nn.AdaptiveAvgPool3d"}


def test_3d_shapes_and_names():
    a = analyse_text(EVERY_KIND_3D)
    assert a.ok and str(a.rows[0].out_shape.dims) == "(6, 10, 10)"
    from archcalc.render.columns import columns

    assert columns(a)[2].header == "output (C×T×H×W)"


@pytest.mark.parametrize("pool", ["avgpool: {kernel: 3, padding: 1, stride: 1}",
                                  "lppool: {kernel: 3, stride: 2, ceil_mode: true}",
                                  "maxpool: {kernel: 3, padding: 1, stride: 1}"])
def test_3d_average_pooling_needs_the_window_on_every_axis_as_pytorch(pool):
    """AvgPool3d (and LPPool3d, which calls it) refuses an input smaller than the window on
    some axis even where padding or ceil_mode gives an output; MaxPool3d does not."""
    torch = pytest.importorskip("torch")
    from archcalc.reference.modules import module_for

    a = analyse_text(one_layer(pool, "[2, 4, 4, 2]"))
    refused = [d for d in a.findings if d.code == "pool-input-size"]
    module, x = module_for(a.rows[0]), torch.empty(1, 2, 4, 4, 2, device="meta")
    if pool.startswith("maxpool"):
        assert a.ok and tuple(module(x).shape[1:]) == (2, 4, 4, 2)
        return
    assert [d.message for d in refused] == [
        "W: the input (4×4×2) is smaller than the window (3×3×3): PyTorch's 3-D average "
        "pooling refuses it, whatever the padding"]
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        module(x)


def test_a_fix_changes_only_the_axes_that_do_not_fit():
    """T fits; H and W do not: the fixes keep T's stride and padding."""
    a = analyse_text("""
        archcalc: 1
        name: t
        rounding: exact
        input: [3, 16, 112, 112]
        layers:
          - conv: {out: 8, kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3]}
        """)
    (d,) = [d for d in a.findings if d.code == "non-integer-size"]
    assert d.message.startswith("H, W: (112 − 7 + 2·3)/2 + 1 = 56.5")
    edits = {c.value for c in d.changes}
    assert {"[1, [3, 4], [3, 4]]", "1", "[1, 3, 3]", "floor"} <= edits
    assert "  per-side padding `padding: [1, [3, 4], [3, 4]]`" in "\n".join(
        "  " + h for h in d.hints)


# -- random 3-D chains against PyTorch ------------------------------------------------

def per_axis(low: int, high: int):
    """One value for every axis, or one per axis."""
    return st.one_of(st.integers(low, high), st.lists(st.integers(low, high), min_size=3,
                                                      max_size=3))


@st.composite
def chain3d(draw):
    c = draw(st.integers(1, 4))
    dims = [draw(st.integers(3, 12)) for _ in range(3)]
    layers, channels = [], c
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "lppool", "bn",
                                     "relu"]))
        window = {"kernel": draw(per_axis(1, 3)), "stride": draw(per_axis(1, 2))}
        if kind == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
            out = groups * draw(st.integers(1, 3))
            pad = draw(st.one_of(per_axis(0, 2), st.just("same"), st.lists(
                st.tuples(st.integers(0, 2), st.integers(0, 2)).map(list), min_size=3,
                max_size=3)))
            layers.append(("conv", window | {
                "out": out, "groups": groups, "padding": pad, "dilation": draw(per_axis(1, 2)),
                "bias": draw(st.booleans()),
                "padding_mode": draw(st.sampled_from(["zeros", "replicate", "circular"]))}))
            channels = out
        elif kind in ("maxpool", "avgpool"):
            layers.append((kind, window | {"padding": draw(per_axis(0, 1)),
                                           "ceil_mode": draw(st.booleans())}))
        elif kind == "lppool":
            layers.append((kind, window))
        else:
            layers.append(("batchnorm" if kind == "bn" else "relu", {}))
    tail = draw(st.sampled_from(["none", "gap", "adaptive"]))
    if tail == "gap":
        layers.append(("global_avgpool", {}))
    elif tail == "adaptive":
        layers.append(("adaptive_maxpool", {"output_size": draw(per_axis(1, 3))}))
    if tail != "none":
        layers += [("flatten", {}), ("linear", {"out": draw(st.integers(1, 5))})]
    return c, dims, layers


def to_yaml(c, dims, layers) -> str:
    lines = ["archcalc: 1", "name: random 3-D", "rounding: floor",
             f"input: [{c}, {', '.join(map(str, dims))}]", "layers:"]
    for kind, args in layers:
        body = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                         for k, v in args.items())
        lines.append(f"  - {kind}: {{{body}}}" if args else f"  - {kind}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chain3d())
def test_random_3d_chains_equal_pytorch(case):
    pytest.importorskip("torch")
    spec = parse_text(to_yaml(*case))
    a = Design(spec).analysis
    # settings both sides refuse (a window over the padded input, padding over half a
    # pooling window, circular padding over the input) are checked by the 2-D tests
    assume(not {d.code for d in a.findings if d.severity == "error"})
    compare(spec)


# -- the valid-input set of each axis against brute force ------------------------------

@st.composite
def exact_chain3d(draw):
    """Windows with different settings per axis, on T, H, W, under a rule that makes a
    size that is not whole an error (always, or where input is lost)."""
    layers = [draw(st.sampled_from(["exact", "cover"]))]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "maxpool", "avgpool"]))
        args = {"kernel": draw(per_axis(1, 4)), "stride": draw(per_axis(1, 2))}
        if kind == "conv":
            args |= {"out": 2, "padding": draw(per_axis(0, 2))}
        elif draw(st.booleans()):
            args["ceil_mode"] = True
        layers.append((kind, args))
    return layers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exact_chain3d())
def test_valid_inputs_of_each_axis_match_brute_force(case):
    """Each axis's set, at the spec's sizes (where a layer may vanish), against a full
    analysis at every size over two periods past the smallest, the other axes fitting."""
    rounding, *layers = case
    text = to_yaml(1, ["T", "H", "W"], layers).replace(
        "rounding: floor", f"rounding: {rounding}\nsymbols: {{T: 5, H: 6, W: 7}}")
    spec = parse_text(text)
    graph = build_graph(spec)
    sets = {v.symbol: v for v in analyze(graph, {}).valid_inputs}
    assert set(sets) == {"T", "H", "W"}
    assume(all(v.smallest is not None for v in sets.values()))
    base = {k: v.smallest for k, v in sets.items()}
    at_base = analyze(graph, base)
    assert at_base.ok and [v.text for v in at_base.valid_inputs] == [
        v.text for v in sets.values()]  # the answer does not depend on the current size
    for axis, v in sets.items():
        for size in range(1, v.minimum + 2 * v.modulus + 1):
            assert analyze(graph, base | {axis: size}).ok == v.contains(size), (
                axis, size, v.text)


# -- compile: the generated source of a 3-D spec equals build() ------------------------

def test_generated_source_of_r3d_18_equals_build(tmp_path):
    torch = pytest.importorskip("torch")
    from archcalc.reference import build
    from archcalc.reference.codegen import generate
    from helpers import SPECS

    source = generate(SPECS / "r3d_18.yaml", {"T": 4, "H": 32, "W": 32})
    assert "nn.Conv3d(\n            3, 64, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), " \
        "bias=False\n        )" in source and "nn.BatchNorm3d(out)" in source
    namespace: dict = {}
    exec(compile(source, "r3d_18.py", "exec"), namespace)  # our own generated file
    torch.manual_seed(0)
    built = build(SPECS / "r3d_18.yaml", T=4, H=32, W=32).eval()
    generated = namespace["R3D18"]().eval()
    assert generated.state_dict().keys() == built.state_dict().keys()
    generated.load_state_dict(built.state_dict())
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(generated(x), built(x))


def test_transposed_conv_upsampling_and_norms_in_3d_equal_pytorch():
    """The modern kinds take a clip too: ConvTranspose3d, trilinear upsampling, group and
    channels-first layer norm over C×T×H×W (issue 11, items 2 and 7)."""
    compare(parse_text("""archcalc: 1
name: t3
input: [4, T, H, W]
symbols: {T: 4, H: 8, W: 8}
layers:
  - conv: {out: 8, kernel: 3, stride: 2, padding: 1}
  - conv_transpose: {out: 4, kernel: [2, 2, 2], stride: 2}
  - upsample: {scale_factor: [1, 2, 2], mode: trilinear}
  - groupnorm: 2
  - layernorm
"""))
