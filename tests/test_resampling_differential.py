"""Transposed convolutions, upsampling and pixel shuffles against PyTorch: each kind at
several settings through the differential harness (`compare`: per-layer shapes,
parameters, buffers, FlopCounterMode FLOPs), random chains of them (1-D and 2-D) that
agree — and are refused by both — and `verify` and `compile` on a spec using each."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch")

from archcalc.reference import build_with_analysis  # noqa: E402
from archcalc.reference.build import SpecModel  # noqa: E402
from archcalc.reference.codegen import generate  # noqa: E402
from archcalc.reference.modules import module_for  # noqa: E402
from archcalc.reference.verify import verify  # noqa: E402
from helpers import compare  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402


def spec(input_: str, *layers: str) -> str:
    return "\n".join(["archcalc: 1", "name: t", f"input: {input_}", "layers:",
                      *(f"  - {layer}" for layer in layers)]) + "\n"


CASES = [
    ("[6, 7, 5]", "conv_transpose: {out: 4, kernel: [3, 2], stride: [2, 3], padding: [1, 0], "
                  "output_padding: [1, 2], dilation: [1, 2], groups: 2}"),
    ("[3, 8, 8]", "conv_transpose: {out: 8, kernel: 4, stride: 2, padding: 1, bias: false}"),
    ("[4, 6, 6]", "conv_transpose: {out: 4, kernel: 3, stride: 1, dilation: 3, "
                  "output_padding: 2, groups: 4}"),  # E < D although E ≥ S
    ("[3, 9]", "conv_transpose: {out: 5, kernel: 4, stride: 2, padding: 1}"),
    ("[3, 9]", "conv_transpose: {out: 2, kernel: 3, stride: 3, output_padding: 2}"),
    ("[2, 7, 5]", "upsample: 2"),
    ("[2, 7, 5]", "upsample: {scale_factor: [1.5, 0.75], mode: bilinear}"),
    ("[2, 7, 5]", "upsample: {scale_factor: 1.25, mode: bicubic, align_corners: true}"),
    ("[2, 7, 5]", "upsample: {size: [9, 4], mode: bilinear}"),
    ("[2, 7, 5]", "upsample: {size: 3}"),
    ("[2, 11]", "upsample: {scale_factor: 2.5, mode: linear, align_corners: true}"),
    ("[2, 11]", "upsample: {scale_factor: 3}"),
    ("[8, 3, 5]", "pixel_shuffle: 2"),
    ("[18, 2, 2]", "pixel_shuffle: 3"),
    ("[2, 6, 4]", "pixel_unshuffle: 2"),
]


@pytest.mark.parametrize("input_,layer", CASES)
def test_each_setting_equals_pytorch(input_, layer):
    compare(parse_text(spec(input_, layer)))


def test_an_upsampling_to_another_layers_size_equals_pytorch():
    text = spec("[3, H, W]", "conv: {out: 8, kernel: 3, stride: 2, padding: 1, name: down}",
                "conv: {out: 8, kernel: 3, stride: 2, padding: 1}",
                "upsample: {like: down, mode: bilinear}",
                "upsample: {like: input, mode: bicubic, align_corners: true}")
    text = text.replace("layers:", "rounding: floor\nlayers:")
    for H, W in ((17, 12), (32, 9)):
        a = compare(parse_text(text), {"H": H, "W": W})
        assert tuple(a.rows[-1].out_shape.dims) == (H, W)


# -- random chains ------------------------------------------------------------------------

@st.composite
def resampling_chain(draw, ndim=2):
    c = draw(st.integers(1, 3)) * 2
    dims = [draw(st.integers(1, 9)) for _ in range(ndim)]
    layers, channels = [], c
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv_transpose", "conv_transpose", "upsample",
                                     "upsample_size", "shuffle"]))
        if kind == "shuffle" and ndim != 2:
            kind = "upsample"  # nn.PixelShuffle is 2-D
        if kind == "conv_transpose":
            s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
            out = groups * draw(st.integers(1, 3))
            args = dict(out=out, kernel=draw(st.integers(1, 4)), stride=s, dilation=d,
                        padding=draw(st.integers(0, 2)), groups=groups,
                        output_padding=draw(st.integers(0, max(s, d) - 1)),
                        bias=draw(st.booleans()))
            channels = out
        elif kind == "shuffle":
            kind, args = "pixel_shuffle", {"upscale_factor": 1}  # r = 1 keeps any C
            if channels % 4 == 0:
                args["upscale_factor"] = 2
                channels //= 4
        else:
            modes = {1: ["nearest", "linear"], 2: ["nearest", "bilinear", "bicubic"]}[ndim]
            mode = draw(st.sampled_from(modes))
            args = {"mode": mode}
            if kind == "upsample":
                args["scale_factor"] = draw(st.sampled_from([1, 2, 3, 1.5, 0.5, 0.75, 1.25]))
            else:
                args["size"] = draw(st.integers(1, 12))
            kind = "upsample"
            if mode != "nearest" and draw(st.booleans()):
                args["align_corners"] = True
        layers.append((kind, args))
    return c, dims, layers


def _text(c, dims, layers) -> str:
    def value(v):
        return ("true" if v else "false") if isinstance(v, bool) else str(v)
    return spec(str([c, *dims]), *(f"{k}: {{{', '.join(f'{a}: {value(v)}' for a, v in args.items())}}}"
                                   for k, args in layers))


def _agree(case):
    s = parse_text(_text(*case))
    a = Design(s).analysis
    refused = {d.code for d in a.findings if d.severity == "error"}
    if refused:
        assert refused == {"vanishes"}, [d.headline() for d in a.findings]
        # PyTorch refuses it, or (its transposed convolutions do not always check)
        # computes an empty volume
        with torch.device("meta"):
            model = SpecModel(s.name, [(r.name, r.inputs) for r in a.rows if r.call],
                              {r.name: module_for(r) for r in a.rows if r.call})
        x = torch.empty(1, *(int(d) for d in (a.input_shape.c, *a.input_shape.dims)),
                        device="meta")
        try:
            y = model.eval()(x)
        except RuntimeError as exc:
            assert "size" in str(exc) or "dimension" in str(exc)
        else:
            assert 0 in y.shape
        return
    compare(s)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resampling_chain())
def test_random_2d_resampling_equals_pytorch(case):
    _agree(case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resampling_chain(ndim=1))
def test_random_1d_resampling_equals_pytorch(case):
    _agree(case)


# -- verify and compile ------------------------------------------------------------------

SMALL = """
archcalc: 1
name: resampler
input: [3, H, W]
symbols: {H: 20, W: 12}
blocks:
  level:
    args: {width: ~, k: 2}
    layers:
      - conv: {out: width, kernel: 3, padding: 1, name: skip}
      - maxpool: 2
      - conv: {out: 2*width, kernel: 3, padding: 1}
      - conv_transpose: {out: width, kernel: k, stride: k, name: up}
      - concat: [up, skip]
      - upsample: {like: input, mode: bilinear, align_corners: true}
layers:
  - level: {width: 4}
  - pixel_unshuffle: 2
  - pixel_shuffle: 2
  - upsample: {scale_factor: [0.5, 1.5], mode: bicubic}
  - conv_transpose: {out: 6, kernel: 4, stride: 2, padding: 1, output_padding: 1, groups: 2}
  - upsample: {size: [H, W]}
  - upsample: {like: input}
"""


def test_verify_and_compile_a_spec_using_each_kind(tmp_path):
    s = parse_text(SMALL)
    assert {r.kind for r in Design(s).analysis.rows} >= {
        "conv_transpose", "upsample", "pixel_shuffle", "pixel_unshuffle"}
    result = verify(s)
    assert result.ok, result.first_mismatch
    source = generate(s)
    assert "nn.ConvTranspose2d(2 * width, width, k, stride=k)" in source
    assert "InterpolateLike(mode=\"bilinear\", align_corners=True)" in source
    path = tmp_path / "resampler.py"
    path.write_text(source)
    loaded = importlib.util.spec_from_file_location("resampler", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    torch.manual_seed(0)
    reference, a = build_with_analysis(s)
    mine = module.Resampler()
    mine.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 20, 12)
    with torch.no_grad():
        assert torch.equal(reference.eval()(x), mine.eval()(x))


UNET = """
archcalc: 1
name: unet
input: [1, H, H]
symbols: {H: 256}
blocks:
  double:
    args: {c: ~}
    layers:
      - conv: {out: c, kernel: 3, padding: 1}
      - relu
      - conv: {out: c, kernel: 3, padding: 1}
      - relu
layers:
  - double: {c: 64, name: e1}
  - maxpool: 2
  - double: {c: 128, name: e2}
  - maxpool: 2
  - double: {c: 256, name: e3}
  - maxpool: 2
  - double: {c: 512, name: e4}
  - maxpool: 2
  - double: {c: 1024}
  - conv_transpose: {out: 512, kernel: 2, stride: 2, name: u4}
  - concat: [e4, u4]
  - double: 512
  - conv_transpose: {out: 256, kernel: 2, stride: 2, name: u3}
  - concat: [e3, u3]
  - double: 256
  - conv_transpose: {out: 128, kernel: 2, stride: 2, name: u2}
  - concat: [e2, u2]
  - double: 128
  - conv_transpose: {out: 64, kernel: 2, stride: 2, name: u1}
  - concat: [e1, u1]
  - double: 64
  - conv: {out: 2, kernel: 1}
"""


def test_ronneberger_unet_equals_the_issues_figures_and_pytorch():
    """Issue 11's U-Net: padded 3×3 convs, ConvTranspose2d(C, C/2, 2, stride 2) up-steps,
    the skip concatenated first, a 1×1 head; 1×256×256, 2 classes."""
    a = compare(parse_text(UNET), batch=1)
    assert (a.totals.trainable, a.totals.macs) == (31_030_658, 48_096_083_968)
    assert a.valid_inputs[0].text == "H ≡ 0 (mod 16), H ≥ 16"
