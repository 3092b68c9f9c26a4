"""One harness, two implementations: every case runs through the calculator and through
PyTorch (on the meta device: no memory, no time), and the two must agree exactly —
per-layer output shapes, trainable parameters, floating-point buffers, FLOPs as
torch.utils.flop_counter.FlopCounterMode counts them, and which settings are refused."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from helpers import SPECS, compare  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from archcalc.design import Design, input_symbols  # noqa: E402
from archcalc.graph import MODULE_ATTRIBUTES  # noqa: E402
from archcalc.layers import KINDS  # noqa: E402
from archcalc.spec import parse_file, parse_text  # noqa: E402


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_spec_library_equals_pytorch(path):
    compare(parse_file(path))


ALL_KINDS_SPEC = """
archcalc: 1
name: every kind
input: [3, 32, 32]
layers:
  - conv: {out: 8, kernel: 3, padding: 1, name: stem}
  - batchnorm
  - lrn: 3
  - layernorm: {eps: 1e-6}
  - groupnorm: 4
  - instancenorm: {affine: true}
  - channel_shuffle: 2
  - residual:
      layers:
        - conv: {out: 16, kernel: 4, stride: 2, padding: 1}
        - relu
      shortcut: projection
  - residual:
      layers:
        - relu6
        - leaky_relu
        - elu
        - selu
        - gelu
        - silu
        - mish
        - hardswish
        - hardsigmoid
        - tanh
        - sigmoid
        - softplus
        - identity
        - celu
        - hardtanh
        - prelu: {per_channel: true}
        - scale: 0.5
        - layer_scale
        - channel_linear: 6
        - drop_path: 0.1
  - residual:
      shortcut: if_same
      layers: [{conv: {out: 16, kernel: 3, padding: 1}}]
  - parallel:
      merge: concat
      branches:
        - [maxpool: {kernel: 3, stride: 1, padding: 1}]
        - [avgpool: {kernel: 3, stride: 1, padding: 1}]
        - [lppool: {kernel: 1}]
  - conv: {out: 16, kernel: 1, name: a}
  - conv: {out: 16, kernel: 1, from: a, name: b}
  - add: {from: [a, b]}
  - parallel:
      merge: multiply
      branches:
        - []
        - [global_avgpool, {conv: {out: 16, kernel: 1}}, sigmoid]
  - conv_transpose: {out: 16, kernel: 3, stride: 2, padding: 1, output_padding: 1, groups: 2}
  - pixel_unshuffle: 2
  - pixel_shuffle: 2
  - upsample: {like: a, mode: bilinear}
  - adaptive_maxpool: 4
  - adaptive_avgpool: 2
  - upsample: 2
  - chunk: {parts: 3, index: 1}
  - global_maxpool
  - global_avgpool
  - flatten
  - dropout
  - linear: 64
  - unflatten: {out: 4, size: 4}
  - flatten
  - linear: 10
  - softmax
  - log_softmax
"""


def test_every_layer_kind_has_a_pytorch_module():
    """Every kind, as the library and the differential harness use it, describes its
    PyTorch counterpart; none is left without one."""
    from archcalc.analysis import analyze
    from archcalc.graph import build_graph

    seen = set()
    for path in sorted(SPECS.glob("*.yaml")):
        spec = parse_file(path)  # as `check --symbolic`: symbols other than the input's
        # sizes (RegNet's depths, ShuffleNet's channels) at their defaults
        for row in Design(spec, free=input_symbols(spec)).analysis.rows:
            assert row.call is not None, row.name
            seen.add(row.kind)
    spec = parse_text(ALL_KINDS_SPEC)
    a = analyze(build_graph(spec), {})
    assert a.ok, [d.headline() for d in a.findings]
    for row in a.rows:
        assert row.call is not None, row.name
        seen.add(row.kind)
    assert seen == set(KINDS), set(KINDS) - seen
    compare(spec)  # and each counterpart computes what the calculator says


def test_reserved_layer_names_cover_nn_module():
    public = {a for a in dir(torch.nn.Module) if not a.startswith("_")}
    assert public <= MODULE_ATTRIBUTES


# -- random architectures ---------------------------------------------------------------

@st.composite
def window_args(draw, pool=False):
    k = draw(st.integers(1, 5))
    args = {"kernel": k, "stride": draw(st.integers(1, 3))}
    if pool:
        args["padding"] = draw(st.integers(0, 3))  # beyond k//2 too: both sides must refuse
        args["ceil_mode"] = draw(st.booleans())
    else:
        args["padding"] = draw(st.one_of(
            st.integers(0, 3), st.just("same"), st.just("valid"),
            st.tuples(st.integers(0, 2), st.integers(0, 2)).map(lambda p: [list(p), list(p)])))
        args["dilation"] = draw(st.integers(1, 2))
        if args["padding"] == "same":
            args["stride"] = 1 if draw(st.booleans()) else args["stride"]
    return args


@st.composite
def chain(draw):
    c = draw(st.integers(1, 6))
    h, w = draw(st.integers(6, 40)), draw(st.integers(6, 40))
    layers, channels = [], c
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "bn", "relu"]))
        if kind == "conv":
            args = draw(window_args())
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
            out = groups * draw(st.integers(1, 4))
            args.update(out=out, groups=groups, bias=draw(st.booleans()),
                        padding_mode=draw(st.sampled_from(["zeros", "reflect", "replicate",
                                                           "circular"])))
            channels = out
            layers.append(("conv", args))
        elif kind in ("maxpool", "avgpool"):
            layers.append((kind, draw(window_args(pool=True))))
        elif kind == "bn":
            layers.append(("batchnorm", {}))
        else:
            layers.append(("relu", {}))
    tail = draw(st.sampled_from(["none", "gap", "adaptive", "flatten_fc"]))
    if tail == "gap":
        layers.append(("global_avgpool", {}))
    elif tail == "adaptive":
        layers.append(("adaptive_avgpool", {"output_size": draw(st.integers(1, 3))}))
    if tail != "none":
        layers += [("flatten", {}), ("linear", {"out": draw(st.integers(1, 10))})]
        if draw(st.booleans()):
            layers.append(("batchnorm", {}))
    return c, h, w, layers


def to_yaml(c, h, w, layers) -> str:
    lines = ["archcalc: 1", "name: random", "rounding: floor", f"input: [{c}, {h}, {w}]",
             "layers:"]
    for kind, args in layers:
        if not args:
            lines.append(f"  - {kind}")
            continue
        body = ", ".join(f"{k}: {_yaml(v)}" for k, v in args.items())
        lines.append(f"  - {kind}: {{{body}}}")
    return "\n".join(lines) + "\n"


def _yaml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).replace("'", "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chain())
def test_random_chains_equal_pytorch(case):
    spec = parse_text(to_yaml(*case))
    a = Design(spec).analysis
    refused = {d.code for d in a.findings if d.severity == "error"}
    assume(not refused & {"vanishes", "padding-mode"})
    if "pool-padding" in refused:
        # The calculator refuses pooling padding beyond half the window: so must PyTorch.
        with pytest.raises(RuntimeError):
            model, _ = _build_unchecked(spec)
            x = torch.empty(1, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)),
                            device="meta")
            model.eval()(x)
        return
    assert a.ok, [d.headline() for d in a.findings]
    compare(spec)


def _build_unchecked(spec):
    """PyTorch modules for every layer, even where the calculator reported an error."""
    from archcalc.reference.build import SpecModel
    from archcalc.reference.modules import module_for

    a = Design(spec).analysis
    with torch.device("meta"):
        modules = {r.name: module_for(r) for r in a.rows if r.call is not None}
    order = [(r.name, r.inputs) for r in a.rows if r.name in modules]
    return SpecModel(spec.name, order, modules), a


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(8, 60), st.integers(1, 7), st.integers(1, 3),
       st.integers(0, 3))
def test_random_1d_convs_equal_pytorch(c, length, k, s, p):
    spec = parse_text(to_yaml(c, 0, 0, [])
                      .replace(f"input: [{c}, 0, 0]", f"input: [{c}, {length}]") +
                      f"  - conv: {{out: 3, kernel: {k}, stride: {s}, padding: {p}}}\n"
                      "  - maxpool: 2\n  - flatten\n  - fc: 5\n")
    a = Design(spec).analysis
    assume(a.ok)
    compare(spec)


@st.composite
def branched(draw):
    """A stem conv, then a parallel block (concat or add) of size-keeping branches, then
    a residual with a random shortcut kind and stride."""
    c, h = draw(st.integers(1, 5)), draw(st.integers(8, 24))
    width = draw(st.integers(1, 6))
    merge = draw(st.sampled_from(["concat", "add"]))
    lines = ["archcalc: 1", "name: branched", "rounding: floor", f"input: [{c}, {h}, {h}]",
             "layers:", f"  - conv: {{out: {width}, kernel: 3, padding: 1}}",
             "  - parallel:", f"      merge: {merge}", "      branches:"]
    for _ in range(draw(st.integers(2, 3))):
        k = draw(st.sampled_from([1, 3, 5]))
        kind = draw(st.sampled_from(["conv", "maxpool", "avgpool", "identity"]))
        if kind == "identity":
            lines.append("        - []")
        elif kind == "conv":
            out = width if merge == "add" else draw(st.integers(1, 6))
            lines.append(f"        - - conv: {{out: {out}, kernel: {k}, padding: {k // 2}}}")
        else:
            lines.append(f"        - - {kind}: {{kernel: 3, stride: 1, padding: 1}}")
    shortcut = draw(st.sampled_from(["auto", "projection", "zeropad", "identity"]))
    stride = 1 if shortcut == "identity" else draw(st.integers(1, 2))
    grow = 0 if shortcut == "identity" else draw(st.integers(0, 4))
    lines += ["  - residual:", f"      shortcut: {shortcut}",
              f"      batchnorm: {draw(st.sampled_from(['true', 'false']))}", "      layers:",
              f"        - conv: {{out: OUT+{grow}, kernel: 3, stride: {stride}, padding: 1}}",
              "        - relu"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branched())
def test_random_branches_and_residuals_equal_pytorch(text):
    # the residual's width is the merged width (known only once the branches are chosen)
    spec = parse_text(text.replace("OUT+", "999+"))
    merged = Design(spec).analysis.rows
    before = next(r for r in merged if r.kind in ("concat", "add"))
    spec = parse_text(text.replace("OUT+", f"{int(before.out_shape.c)}+"))
    a = Design(spec).analysis
    assert a.ok, [d.headline() for d in a.findings]
    compare(spec)
