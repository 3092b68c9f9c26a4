"""The spec library reproduces the published figures exactly (issue 2, item 7)."""

from __future__ import annotations

import pytest
from helpers import SPECS, analyse_spec

from archcalc import specs as builtin
from archcalc.notation import formula_text, shape_text

FIGURES = {
    # name: (trainable parameters, MACs or None, rounding warnings expected: real input
    # pixels lost under `rounding: floor`; where only padding goes unused nothing is said).
    # The published figures (issues 2 and 3; torchvision and timm counts); MACs not given
    # there are left None here and checked against PyTorch by test_torch_differential.py.
    "lenet5": (61_706, 416_520, False),
    "alexnet": (62_378_344, None, False),
    "alexnet_torchvision": (61_100_840, 714_188_480, False),
    "zfnet": (62_357_608, 1_168_032_896, False),
    "vgg11": (132_863_336, None, False),
    "vgg13": (133_047_848, None, False),
    "vgg16": (138_357_544, 15_470_264_320, False),
    "vgg19": (143_667_240, None, False),
    "vgg11_bn": (132_868_840, None, False),
    "vgg13_bn": (133_053_736, None, False),
    "vgg16_bn": (138_365_992, None, False),
    "vgg19_bn": (143_678_248, None, False),
    "resnet18": (11_689_512, 1_814_073_344, False),
    "resnet34": (21_797_672, None, False),
    "resnet50": (25_557_032, 4_089_184_256, False),
    "resnet101": (44_549_160, None, False),
    "resnet152": (60_192_808, None, False),
    "googlenet": (6_624_904, 1_498_376_192, False),
    "inception_v3": (27_161_264, None, False),  # with the auxiliary head; see below
    "inception_v4": (42_679_816, None, False),
    "inception_resnet_v2": (55_843_464, None, False),
    "fcn1d": (265_478, None, False),
    # issue 11: torchvision's figures, MACs = FlopCounterMode FLOPs / 2 at 1×3×224×224
    "resnext50_32x4d": (25_028_904, 4_230_479_872, False),
    "squeezenet1_1": (1_235_496, 349_151_936, True),
    "convnext_tiny": (28_589_128, 4_455_531_264, False),
    "unet": (31_030_658, 48_096_083_968, False),  # the figures at 1×256×256
    "mobilenet_v2": (3_504_872, 300_774_272, False),
    "efficientnet_b0": (5_288_548, 385_814_752, False),
    "densenet121": (7_978_856, 2_834_161_664, False),
    "r3d_18": (33_371_472, 40_696_553_472, False),  # at 1×3×16×112×112
    "mc3_18": (11_695_440, 43_342_635_008, False),  # at 1×3×16×112×112
    "r2plus1d_18": (31_505_325, 40_519_080_960, False),  # at 1×3×16×112×112
    "shufflenet_v2_x1_0": (2_278_604, 144_907_992, False),
    "mobilenet_v3_large": (5_483_032, 216_589_760, False),
    "s3d": (8_320_048, 17_978_771_456, False),  # at 1×3×16×224×224 (torchvision: 17.979 G)
    # segmentation, torchvision's builders with weights=None, weights_backbone=None (no aux
    # head) and 21 classes, at 1×3×520×520 (their transforms' resize_size); the parameters
    # are torchvision's published num_params less the aux FCNHead it counts (2,365,205 on
    # layer3's 1024 channels, 3,851 on MobileNetV3's features[4], 40 channels)
    "fcn_resnet50": (32_957_013, 142_725_772_800, False),
    "fcn_resnet101": (51_949_141, 222_746_867_200, False),
    "deeplabv3_resnet50": (39_638_869, 168_731_205_888, False),
    "deeplabv3_resnet101": (58_630_997, 248_752_300_288, False),
    "deeplabv3_mobilenet_v3_large": (11_025_477, 10_436_350_688, False),
    "lraspp_mobilenet_v3_large": (3_221_538, 2_086_219_688, False),
    # torchvision's regnet_x_400mf and regnet_y_400mf, the specs' defaults; the other
    # variants at their bindings in tests/test_torchvision_oracle.py
    "regnet_x": (5_495_976, 413_812_608, False),
    "regnet_y": (4_344_144, 401_842_848, False),
    "wide_resnet50_2": (68_883_240, 11_398_021_120, False),
    "wide_resnet101_2": (126_886_696, 22_753_050_624, False),
    "mobilenet_v3_small": (2_542_856, 56_510_400, False),
    "mnasnet1_0": (4_383_312, 314_415_872, False),
    "efficientnet_v2_s": (21_458_488, 8_365_617_152, False),  # at 384, its default
    "efficientnet_v2_m": (54_139_356, 24_582_460_384, False),  # at 480
    "efficientnet_v2_l": (118_515_272, 56_079_699_008, False),  # at 480
}

# Other torchvision models from the same specs, by their symbols (each spec's header and
# README's table list them): spec, bindings, trainable parameters, MACs.
VARIANTS = {
    "efficientnet_b1": ("efficientnet_b0", dict(width_mult=1.0, depth_mult=1.1, H=240, W=240),
                        7_794_184, 686_802_832),
    "efficientnet_b2": ("efficientnet_b0", dict(width_mult=1.1, depth_mult=1.2, H=288, W=288),
                        9_109_994, 1_087_529_456),
    "efficientnet_b3": ("efficientnet_b0", dict(width_mult=1.2, depth_mult=1.4, H=300, W=300),
                        12_233_232, 1_827_141_392),
    "efficientnet_b4": ("efficientnet_b0", dict(width_mult=1.4, depth_mult=1.8, H=380, W=380),
                        19_341_616, 4_393_771_024),
    "efficientnet_b5": ("efficientnet_b0", dict(width_mult=1.6, depth_mult=2.2, H=456, W=456),
                        30_389_784, 10_266_384_752),
    "efficientnet_b6": ("efficientnet_b0", dict(width_mult=1.8, depth_mult=2.6, H=528, W=528),
                        43_040_704, 19_067_593_536),
    "efficientnet_b7": ("efficientnet_b0", dict(width_mult=2.0, depth_mult=3.1, H=600, W=600),
                        66_347_960, 37_745_884_192),
    "mobilenet_v2 (width 0.5)": ("mobilenet_v2", dict(width_mult=0.5), 1_968_680, 97_131_840),
    "mobilenet_v2 (width 1.4)": ("mobilenet_v2", dict(width_mult=1.4), 6_108_776, 582_195_824),
    "mnasnet0_5": ("mnasnet1_0", dict(alpha=0.5), 2_218_512, 104_455_968),
    "mnasnet0_75": ("mnasnet1_0", dict(alpha=0.75), 3_170_208, 215_493_104),
    "mnasnet1_3": ("mnasnet1_0", dict(alpha=1.3), 6_282_256, 526_362_432),
    **{f"efficientnet_v2_{v} at 224": (f"efficientnet_v2_{v}", dict(H=224, W=224), p, m)
       for v, p, m in (("s", 21_458_488, 2_849_895_872), ("m", 54_139_356, 5_362_207_200),
                       ("l", 118_515_272, 12_231_188_544))},
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_by_their_symbols(name):
    spec, bindings, params, macs = VARIANTS[name]
    a = analyse_spec(spec, **bindings)
    assert a.ok, [d.headline() for d in a.findings]
    assert (a.totals.trainable, a.totals.macs) == (params, macs)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_published_figures(name):
    params, macs, floored = FIGURES[name]
    a = analyse_spec(name)
    assert a.ok, [d.headline() for d in a.findings]
    assert a.totals.trainable == params
    assert a.totals.flops == 2 * a.totals.macs
    if macs is not None:
        assert a.totals.macs == macs
    assert any(d.code == "floored" for d in a.findings) == floored


def test_library_is_complete():
    assert {p.stem for p in SPECS.glob("*.yaml")} == set(FIGURES)


def test_inception_v3_with_and_without_its_auxiliary_head():
    a = analyse_spec("inception_v3")
    main, aux = a.outputs
    assert main.name == "fc1" and aux.name == "AuxLogits.fc1"
    assert main.totals.trainable == 23_834_568
    assert main.totals.macs == 5_713_216_096
    assert a.totals.trainable == 27_161_264


def test_resnet152_fits_on_one_screen():
    assert len((SPECS / "resnet152.yaml").read_text().splitlines()) <= 50


def test_lenet5_volumes_and_count():
    a = analyse_spec("lenet5")
    assert a.totals.macs == 416_520
    assert [shape_text(r.out_shape) for r in a.rows if r.kind != "tanh"] == [
        "6×28×28", "6×14×14", "16×10×10", "16×5×5", "120×1×1", "120", "84", "10"]


def test_torchvision_alexnet_conv1_is_floored_with_only_padding_unused():
    """55.25 floors to 55 and the one column left over is padding: under the default
    `cover` rule that is fine and nothing is said (issue 12, items 1 and 10)."""
    a = analyse_spec("alexnet_torchvision")
    conv1 = a.row("conv1")
    assert formula_text(conv1.formulas[0]) == "⌊(224 − 11 + 2·2)/4⌋ + 1 = 55  (exact 55.25)"
    assert [d for d in a.findings if d.layer == "conv1"] == []
    assert a.valid_inputs[0].current_fits


def test_r3d_18_stages_halve_time_height_and_width():
    a = analyse_spec("r3d_18")
    assert a.input_shape.dims == (16, 112, 112)
    assert [shape_text(a.row(f"{s}.1.relu2").out_shape) for s in (
        "layer1", "layer2", "layer3", "layer4")] == [
        "64×16×56×56", "128×8×28×28", "256×4×14×14", "512×2×7×7"]
    assert [v.text for v in a.valid_inputs] == ["any T ≥ 1", "any H ≥ 1", "any W ≥ 1"]
    # r' = r + (F − 1)·j per axis: T from the 3-frame stem (stride 1), H and W from the 7×7
    # stride-2 one, then 16 3×3×3 convs, three of them stride 2
    assert [(f.size, f.jump) for f in a.row("layer4.1.relu2").receptive] == [
        (109, 8), (219, 16), (219, 16)]


def test_zfnet_sizes():
    a = analyse_spec("zfnet")
    sizes = [int(r.out_shape.dims[0]) for r in a.rows if r.kind in ("conv", "maxpool")]
    assert sizes == [110, 55, 26, 13, 13, 13, 13, 6]


def test_vgg16_at_other_sizes_and_its_valid_set():
    a = analyse_spec("vgg16")
    (h, w) = a.valid_inputs
    assert h.text == "H ≡ 0 (mod 32), H ≥ 32" and h.smallest == 32
    bad = analyse_spec("vgg16", H=100)
    assert not bad.ok
    assert any(d.code == "nearest-input" and "96 and 128" in d.message for d in bad.findings)


def test_alexnet_valid_input_congruence():
    a = analyse_spec("alexnet")
    h = a.valid_inputs[0]
    assert (h.modulus, h.residues, h.minimum, h.smallest) == (32, (3,), 67, 67)
    assert h.text == "H ≡ 3 (mod 32), H ≥ 67"


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_spec_writes_symbolic_spatial_dims_with_defaults(path):
    from archcalc.spec import parse_file

    spec = parse_file(path)
    for dim in spec.input[1:]:
        decl = spec.symbol_decl(str(dim))
        assert decl is not None and decl.default is not None, f"{path.name}: {dim}"
    assert spec.source.text.lstrip().startswith("#"), "each spec says where its figures come from"


def test_specs_ship_inside_the_package():
    assert set(builtin.names()) >= set(FIGURES)
    assert builtin.path("alexnet").read_text() == (SPECS / "alexnet.yaml").read_text()
