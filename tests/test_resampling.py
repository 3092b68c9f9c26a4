"""The calculator's side of transposed convolutions, upsampling and pixel shuffles: the
arithmetic with the numbers put in, the counts as formulas, PyTorch's validity rules,
the second input `like:` wires, and the valid-input sets through these scalings checked
against brute force. (Against PyTorch: test_resampling_differential.py.)"""

from __future__ import annotations

import pytest
import sympy as sp
from helpers import analyse_text

from archcalc.errors import SpecError
from archcalc.notation import formula_ascii, formula_text

H = sp.Symbol("H", integer=True, positive=True)


def net(input_: str, *layers: str, head: str = "") -> str:
    return "\n".join(["archcalc: 1", "name: t", f"input: {input_}", head, "layers:",
                      *(f"  - {layer}" for layer in layers)]) + "\n"


def texts(row) -> list[str]:
    return [formula_text(f) for f in row.formulas]


def test_transposed_conv_size_params_and_macs():
    a = analyse_text(net("[6, 7, 5]", "conv_transpose: {out: 4, kernel: [3, 2], stride: [2, 3], "
                                      "padding: [1, 0], output_padding: [1, 2], dilation: [1, 2], "
                                      "groups: 2}"))
    row = a.rows[0]
    assert texts(row) == ["(7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14",
                          "(5 − 1)·3 − 2·0 + 2·(2 − 1) + 2 + 1 = 17"]
    assert row.trainable == 6 * 2 * 3 * 2 + 4  # C_in · C_out/g · ΠK + bias
    assert row.macs == 6 * 2 * 3 * 2 * 7 * 5  # over the INPUT positions
    symbolic = analyse_text(net("[8, H, H]", "conv_transpose: {out: 4, kernel: 4, stride: 2, "
                                             "padding: 1, bias: false}"))
    row = symbolic.rows[0]
    assert row.out_shape.dims == (2 * H, 2 * H)
    assert row.macs == 8 * 4 * 16 * H ** 2
    assert sp.sympify(formula_ascii(row.formulas[0]), locals={"H": H}) == 2 * H


def test_output_padding_below_the_stride_or_the_dilation():
    ok = analyse_text(net("[4, 6, 6]", "conv_transpose: {out: 4, kernel: 3, dilation: 3, "
                                       "output_padding: 2}"))
    assert ok.ok and ok.rows[0].out_shape.dims == (14, 14)  # 5 − 0 + 3·2 + 2 + 1
    bad = analyse_text(net("[4, 6, 6]", "conv_transpose: {out: 4, kernel: 3, stride: [2, 3], "
                                        "output_padding: 2}"))
    assert [d.message for d in bad.findings if d.severity == "error"] == [
        "H: output_padding (2) must be smaller than the stride (2) or the dilation (1), as "
        "PyTorch requires"]


def test_fractional_scale_factors_floor_and_print_as_written():
    a = analyse_text(net("[2, 15, 6]", "upsample: {scale_factor: [1.5, 0.75], mode: bilinear}"))
    row = a.rows[0]
    assert row.out_shape.dims == (22, 4)
    assert texts(row) == ["⌊1.5·15⌋ = 22", "⌊0.75·6⌋ = 4"]
    assert [formula_ascii(f) for f in row.formulas] == ["floor((3/2)*15)", "floor((3/4)*6)"]
    assert row.call.kwargs[0] == ("scale_factor", (sp.Rational(3, 2), sp.Rational(3, 4)))


def test_a_decimal_that_is_no_binary_fraction_is_refused():
    with pytest.raises(SpecError, match=r"1.1 is not a binary fraction"):
        analyse_text(net("[2, 8, 8]", "upsample: 1.1"))


def test_upsample_to_a_size_or_to_a_layers_size():
    a = analyse_text(net("[3, H, W]", "conv: {out: 4, kernel: 3, stride: 2, name: down}",
                         "upsample: {size: [9, 4], mode: bicubic}",
                         "upsample: {like: input, mode: bilinear, align_corners: true}",
                         head="rounding: floor\nsymbols: {H: 20, W: 11}"))
    resize, like = a.rows[1], a.rows[2]
    assert resize.out_shape.dims == (9, 4) and texts(resize) == ["9 → 9", "5 → 4"]
    assert like.inputs == ("up1", "input") and like.out_shape.dims == (20, 11)
    assert like.call.target == "InterpolateLike"
    assert dict(like.call.kwargs) == {"mode": "bilinear", "align_corners": True}
    assert a.valid_inputs[0].text == "any H ≥ 3"  # like copies the input's size


@pytest.mark.parametrize("layers,message", [
    (("pixel_shuffle: 2",), "input channels (6) are not divisible by upscale_factor² = 2² "
                            "= 4: 6/4 = 1.5"),
    (("upsample: {size: 4, like: input}",), "upsample takes one of scale_factor, size and "
                                            "like, not size and like"),
    (("upsample: {mode: trilinear}",), "mode trilinear interpolates 3-D data, but the input "
                                       "has 2 spatial dims (F.interpolate refuses it)"),
    (("upsample: 0.0625",), "H, W: ⌊0.0625·8⌋ = 0: the volume vanishes here"),
])
def test_pytorchs_refusals_are_errors_at_the_layer(layers, message):
    a = analyse_text(net("[6, 8, 8]", *layers))
    assert message in [d.message for d in a.findings if d.severity == "error"]


def test_pixel_shuffle_and_unshuffle_arithmetic():
    a = analyse_text(net("[8, H, W]", "pixel_unshuffle: 2", "pixel_shuffle: 4"))
    unshuffle, shuffle = a.rows
    assert unshuffle.out_shape.c == 32 and shuffle.out_shape.c == 2
    sizes = analyse_text(net("[8, 6, 10]", "pixel_unshuffle: 2", "pixel_shuffle: 4")).rows
    assert texts(sizes[0]) == ["6/2 = 3", "10/2 = 5"] and texts(sizes[1]) == ["4·3 = 12",
                                                                               "4·5 = 20"]
    assert a.valid_inputs[0].text == "H ≡ 0 (mod 2), H ≥ 2"


UNET = """\
archcalc: 1
name: u
input: [3, H, H]
symbols: {{H: 32}}
rounding: {rounding}
layers:
  - conv: {{out: 8, kernel: 3, padding: 1, name: skip}}
  - {down}
  - conv: {{out: 16, kernel: 3, padding: 1}}
  - {up}
  - concat: [up, skip]
"""
UP2 = "conv_transpose: {out: 8, kernel: 2, stride: 2, name: up}"


@pytest.mark.parametrize("rounding,down,up,expected", [
    # PyTorch's floor: 2·⌈H/2⌉ = H for even H
    ("floor", "conv: {out: 8, kernel: 3, stride: 2, padding: 1}", UP2, "H ≡ 0 (mod 2), H ≥ 1"),
    # exact windows want an odd H, and give (H + 1)/2 back: doubled, never H
    ("exact", "conv: {out: 8, kernel: 3, stride: 2, padding: 1}", UP2, "no H fits"),
    # U-Net's own: a 2×2 max pool and a 2×2 up-convolution
    ("exact", "maxpool: 2", UP2, "H ≡ 0 (mod 2), H ≥ 2"),
    ("exact", "maxpool: 2", "upsample: {scale_factor: 2, name: up}", "H ≡ 0 (mod 2), H ≥ 2"),
    ("exact", "pixel_unshuffle: 2", "pixel_shuffle: {upscale_factor: 2, name: up}",
     "H ≡ 0 (mod 2), H ≥ 2"),
    ("floor", "upsample: 0.5", "upsample: {scale_factor: 2, name: up}",
     "H ≡ 0 (mod 2), H ≥ 2"),
    ("floor", "maxpool: 3", "upsample: {like: skip, name: up}", "any H ≥ 3"),
    # two stride-2 steps down, one up: the concat never matches
    ("floor", "maxpool: 4", UP2, "no H fits"),
])
def test_valid_inputs_through_scalings_equal_brute_force(rounding, down, up, expected):
    """The valid-input set through a stride-1/S map (transposed convolution, upsampling,
    pixel shuffle), against analysing every size from 1 to 48."""
    text = UNET.format(rounding=rounding, down=down, up=up)
    a = analyse_text(text)
    v = a.valid_inputs[0]
    assert v.text == expected
    for size in range(1, 49):
        assert v.contains(size) == analyse_text(text, H=size).ok, size


def test_receptive_fields_through_transposed_convolutions():
    a = analyse_text(net("[3, 64, 64]", "conv: {out: 8, kernel: 4, stride: 2, padding: 1}",
                         "conv_transpose: {out: 3, kernel: 4, stride: 2, padding: 1}"))
    conv, up = (r.receptive[0] for r in a.rows)
    assert (conv.size, conv.jump, conv.start) == (4, 2, sp.Rational(1, 2))
    # each output reads ⌈4/2⌉ = 2 conv units, 2 pixels apart: 4 + 2; it steps 1 pixel and
    # sits where the input pixel it came back to does (DCGAN's encoder-decoder aligns)
    assert (up.size, up.jump, up.start) == (6, 1, 0)


def test_a_layer_of_one_input_refuses_two_from_names():
    with pytest.raises(SpecError, match="upsample reads one input; `from:` names 2"):
        analyse_text(net("[3, 8, 8]", "conv: {out: 3, kernel: 1, name: a}",
                         "upsample: {from: [a, input]}"))


def test_a_scale_factor_expression_must_bind_to_a_binary_fraction():
    text = net("[3, 9, 9]", "upsample: {scale_factor: k/4}", "upsample: {scale_factor: k/3}",
               head="symbols: {k: 5}")
    a = analyse_text(text)
    assert a.rows[0].out_shape.dims == (11, 11)  # ⌊5/4·9⌋
    assert [d.message for d in a.findings if d.severity == "error"] == [
        "upsample.scale_factor = k/3 gives 5/3: not a binary fraction (PyTorch's "
        "floating-point size would differ)"]


def test_the_schema_takes_the_new_kinds_and_arguments():
    import jsonschema
    import yaml

    from archcalc.spec.schema import spec_schema

    validator = jsonschema.Draft202012Validator(spec_schema())
    good = net("[3, 8, 8]", "conv_transpose: {out: 4, kernel: 2, stride: 2, "
                            "output_padding: [1, 0], padding: [0, 1]}",
               "upsample: {scale_factor: [1.5, 2], mode: bilinear, align_corners: true}",
               "upsample: {like: input}", "pixel_unshuffle: 2", "pixel_shuffle: 2")
    assert not list(validator.iter_errors(yaml.safe_load(good)))
    bad = net("[3, 8, 8]", "upsample: {scale_factor: -1.5}")
    assert not validator.is_valid(yaml.safe_load(bad))
