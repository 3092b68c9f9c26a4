"""archcalc's specs against torchvision's own models (tests/tv_oracle.py): per-layer
output shapes, parameters, buffers and FlopCounterMode FLOPs, at two input sizes each."""

from __future__ import annotations

import re

import pytest
from helpers import SPECS, analyse_spec
from tv_oracle import compare_with_torchvision

# The stage outputs, by name: the calculator's last layer of each stage against
# torchvision's stage module (the order rule pairs every conv, norm, pool and fc too).
RESNET_STAGES = {"conv1": "conv1", "pool1": "maxpool", "layer1.1.relu2": "layer1",
                 "layer2.1.relu2": "layer2", "layer3.1.relu2": "layer3",
                 "layer4.1.relu2": "layer4", "fc1": "fc"}


@pytest.mark.parametrize("size", [224, 160])
def test_resnet18_equals_torchvision(tv_models, size):
    pairs = compare_with_torchvision(SPECS / "resnet18.yaml", {"H": size, "W": size},
                                     lambda: tv_models.resnet18(weights=None), RESNET_STAGES)
    assert pairs["layer2.0.shortcut1.0"] == "layer2.0.downsample.0"
    assert len(pairs) == 1 + 1 + 1 + 8 * 2 * 2 + 3 * 2 + 1 + 1  # stem, pools, blocks, fc


R3D_STAGES = {"conv1": "stem.0", "layer1.1.relu2": "layer1", "layer2.1.relu2": "layer2",
              "layer3.1.relu2": "layer3", "layer4.1.relu2": "layer4", "pool1": "avgpool",
              "fc1": "fc"}


@pytest.mark.parametrize("frames", [8, 16])
def test_r3d_18_equals_torchvision(tv_models, frames):
    pairs = compare_with_torchvision(SPECS / "r3d_18.yaml", {"T": frames},
                                     lambda: tv_models.video.r3d_18(weights=None), R3D_STAGES)
    assert pairs["conv1"] == "stem.0"
    assert pairs["layer4.0.shortcut1.1"] == "layer4.0.downsample.1"


@pytest.mark.parametrize("frames", [8, 16])
def test_mc3_18_equals_torchvision(tv_models, frames):
    pairs = compare_with_torchvision(SPECS / "mc3_18.yaml", {"T": frames},
                                     lambda: tv_models.video.mc3_18(weights=None), R3D_STAGES)
    assert pairs["layer2.0.conv1"] == "layer2.0.conv1.0"
    assert pairs["layer4.0.shortcut1.0"] == "layer4.0.downsample.0"


R2PLUS1D_STAGES = {"relu2": "stem", **{k: v for k, v in R3D_STAGES.items() if k != "conv1"}}


@pytest.mark.parametrize("frames", [8, 16])
def test_r2plus1d_18_equals_torchvision(tv_models, frames):
    pairs = compare_with_torchvision(SPECS / "r2plus1d_18.yaml", {"T": frames},
                                     lambda: tv_models.video.r2plus1d_18(weights=None),
                                     R2PLUS1D_STAGES)
    # the (2+1)D split: a 1×3×3 conv to `mid` channels, BN, ReLU, a 3×1×1 conv
    assert pairs["layer2.0.conv2plus1d1.conv2"] == "layer2.0.conv1.0.3"
    assert pairs["layer2.0.shortcut1.0"] == "layer2.0.downsample.0"


# S3D: torchvision's `features` by index (each separable conv, pool and inception block),
# then its head; it ends in torch.mean over T, H, W — no module — where the spec has a
# global average pool and a flatten, so the calls pair one by one up to that pool.
S3D_FEATURES = ["sep1.cna2.relu1", "pool1", "cna1.relu1", "sep2.cna2.relu1", "pool2",
                "mixed_3b.concat1", "mixed_3c.concat1", "pool3", "mixed_4b.concat1",
                "mixed_4c.concat1", "mixed_4d.concat1", "mixed_4e.concat1", "mixed_4f.concat1",
                "pool4", "mixed_5b.concat1", "mixed_5c.concat1"]
S3D = {**{layer: f"features.{k}" for k, layer in enumerate(S3D_FEATURES)},
       "pool5": "avgpool", "conv1": "classifier.1"}


# at 16×224×224, and at the smallest T and H that fit with a wider W (13×209×256: the
# mean then averages 1×1×2 positions)
@pytest.mark.parametrize("size", [{"T": 16}, {"T": 13, "H": 209, "W": 256}], ids=str)
def test_s3d_equals_torchvision(tv_models, size):
    import torch
    from archcalc.reference import build
    from tv_oracle import leaf_calls

    compare_with_torchvision(SPECS / "s3d.yaml", size,
                             lambda: tv_models.video.s3d(weights=None), S3D, each_call=False)
    with torch.device("meta"):
        ours, theirs = build(SPECS / "s3d.yaml", **size), tv_models.video.s3d(weights=None)
        x = torch.empty(1, 3, size["T"], size.get("H", 224), size.get("W", 224))
    mine, tv = leaf_calls(ours, x), leaf_calls(theirs, x)
    assert mine[-1][:2] == ("pool6", "AdaptiveAvgPool3d")  # torch.mean's stand-in
    assert [c[1:] for c in mine[:-1]] == [c[1:] for c in tv]
    assert dict(zip((c[0] for c in mine), (c[0] for c in tv)))[
        "mixed_4b.branch3.sep1.cna2.conv1"] == "features.8.branch2.1.1.0"


@pytest.mark.parametrize("size", [224, 160])
@pytest.mark.parametrize("name", ["resnext50_32x4d", "squeezenet1_1", "efficientnet_b0"])
def test_modern_library_specs_equal_torchvision(tv_models, name, size):
    pairs = compare_with_torchvision(SPECS / f"{name}.yaml", {"H": size, "W": size},
                                     lambda: getattr(tv_models, name)(weights=None))
    assert len(pairs) > 20


CONVNEXT_STAGES = {"ln1": "features.0", "stage1.2.add1": "features.1",
                   "stage2.2.add1": "features.3", "stage3.8.add1": "features.5",
                   "stage4.2.add1": "features.7", "pool1": "avgpool", "fc1": "classifier"}


@pytest.mark.parametrize("size", [224, 160])
def test_convnext_tiny_equals_torchvision(tv_models, size):
    compare_with_torchvision(SPECS / "convnext_tiny.yaml", {"H": size, "W": size},
                             lambda: tv_models.convnext_tiny(weights=None), CONVNEXT_STAGES,
                             each_call=False)


@pytest.mark.parametrize("size", [224, 160])
def test_mobilenet_v2_equals_torchvision(tv_models, size):
    # torchvision pools with F.adaptive_avg_pool2d (no module): the totals and the ends
    compare_with_torchvision(SPECS / "mobilenet_v2.yaml", {"H": size, "W": size},
                             lambda: tv_models.mobilenet_v2(weights=None),
                             {"cbr1.relu61": "features.0", "cbr2.relu61": "features.18",
                              "fc1": "classifier"}, each_call=False)


SHUFFLENET_STAGES = {"pool1": "maxpool", "stage2.unit1.2.shuffle1": "stage2",
                     "stage3.unit1.6.shuffle1": "stage3", "stage4.unit1.2.shuffle1": "stage4",
                     "conv5.relu1": "conv5", "fc1": "fc"}


@pytest.mark.parametrize("size", [224, 160])
@pytest.mark.parametrize("width", ["x0_5", "x1_0", "x1_5", "x2_0"])
def test_shufflenet_v2_equals_torchvision(tv_models, width, size):
    """Each width is the x1_0 spec with its channels c1 … c5 bound to the builder's own
    stages_out_channels. torchvision pools with x.mean([2, 3]) (no module): the totals and
    the stages."""
    make = getattr(tv_models, f"shufflenet_v2_{width}")
    channels = make(weights=None)._stage_out_channels
    compare_with_torchvision(SPECS / "shufflenet_v2_x1_0.yaml",
                             {"H": size, "W": size,
                              **{f"c{i}": c for i, c in enumerate(channels, 1)}},
                             lambda: make(weights=None), SHUFFLENET_STAGES, each_call=False)


@pytest.mark.parametrize("size", [224, 160])
def test_mobilenet_v3_large_equals_torchvision(tv_models, size):
    pairs = compare_with_torchvision(SPECS / "mobilenet_v3_large.yaml", {"H": size, "W": size},
                                     lambda: tv_models.mobilenet_v3_large(weights=None),
                                     {"cna1.hardswish1": "features.0", "bneck4.add1": "features.4",
                                      "bneck15.add1": "features.15",
                                      "cna2.hardswish1": "features.16", "fc2": "classifier.3"})
    # squeeze-and-excitation: the gate's pool and 1×1 convs in torchvision's order
    assert pairs["bneck4.squeeze_excite1.0.branch2.conv1"] == "features.4.block.2.fc1"
    assert pairs["bneck4.conv1"] == "features.4.block.3.0"


DENSENET_STAGES = {"pool1": "features.pool0", "denseblock1.5.concat1": "features.denseblock1",
                   "transition1.pool1": "features.transition1",
                   "denseblock4.15.concat1": "features.denseblock4", "fc1": "classifier"}


@pytest.mark.parametrize("size", [224, 160])
def test_densenet121_equals_torchvision(tv_models, size):
    # torchvision pools with F.adaptive_avg_pool2d (no module): the totals and the stages
    compare_with_torchvision(SPECS / "densenet121.yaml", {"H": size, "W": size},
                             lambda: tv_models.densenet121(weights=None), DENSENET_STAGES,
                             each_call=False)


def test_a_mismatch_is_named(tv_models):
    """The harness can fail: resnet18's spec against torchvision's resnet34."""
    with pytest.raises(AssertionError, match=r"call 11: archcalc layer2.0.conv1 is Conv2d → "
                       r"\(128, 28, 28\), torchvision layer1.2.conv1 is Conv2d → \(64, 56, 56\)"):
        compare_with_torchvision(SPECS / "resnet18.yaml", {},
                                 lambda: tv_models.resnet34(weights=None))


INCEPTION_V3_STAGES = {"pool2": "maxpool2", "Mixed_5d.concat1": "Mixed_5d",
                       "Mixed_6e.concat1": "Mixed_6e", "Mixed_7c.concat1": "Mixed_7c",
                       "fc1": "fc"}


@pytest.mark.parametrize("size", [299, 395])  # the sizes that fit: 299 + 96·k
def test_inception_v3_equals_torchvision(tv_models, size):
    """In eval mode torchvision computes the main output alone: its calls (convolutions,
    norms and the classifier in order; its blocks pool with F.avg_pool2d and F.max_pool2d,
    which no hook sees) and FLOPs are the spec's main output's, its parameters and
    buffers the whole spec's, the auxiliary head's included (27,161,264)."""
    pairs = compare_with_torchvision(
        SPECS / "inception_v3.yaml", {"H": size, "W": size},
        lambda: tv_models.inception_v3(weights=None, aux_logits=True, init_weights=False),
        INCEPTION_V3_STAGES, pools=False, main_only=True)
    assert pairs["Mixed_7b.branch3.split31.branch2.cbr_hw1.conv1"] == \
        "Mixed_7b.branch3x3dbl_3b.conv"
    assert not any(name.startswith("AuxLogits") for name in pairs)


def test_inception_v3_auxiliary_head_runs_in_training(tv_models):
    """In training mode torchvision runs the auxiliary head too: its FLOPs are the whole
    spec's (both outputs), its second output the spec's AuxLogits (batch 2: BatchNorm
    refuses one sample per channel in training)."""
    import torch
    from helpers import analyse_spec
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = tv_models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        x = torch.empty(2, 3, 299, 299)
    with FlopCounterMode(display=False) as counter:
        logits, aux = model.train()(x)
    a = analyse_spec("inception_v3")
    assert counter.get_total_flops() == 2 * a.totals.flops > 2 * a.outputs[0].totals.flops
    assert (tuple(logits.shape), tuple(aux.shape)) == ((2, 1000), (2, 1000))


# The classic library specs against torchvision's builders: each call in order, and the
# classifier's output by name (googlenet: the totals and names only — torchvision runs its
# branches in another order).
CLASSIC = {"alexnet_torchvision": ("alexnet", {}, {"fc3": "classifier.6"}),
           "vgg11": ("vgg11", {}, {"fc3": "classifier.6"}),
           "vgg16_bn": ("vgg16_bn", {}, {"fc3": "classifier.6"}),
           "resnet34": ("resnet34", {}, {"fc1": "fc"}),
           "resnet50": ("resnet50", {}, {"fc1": "fc"}),
           "resnet101": ("resnet101", {}, {"fc1": "fc"}),
           "resnet152": ("resnet152", {}, {"fc1": "fc"}),
           "wide_resnet50_2": ("wide_resnet50_2", {}, {"fc1": "fc"}),
           "wide_resnet101_2": ("wide_resnet101_2", {}, {"fc1": "fc"}),
           **{name: (name, {}, {"fc3": "classifier.6"}) for name in (
               "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg19", "vgg19_bn")},
           "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False},
                         {"fc1": "fc"})}


@pytest.mark.parametrize("size", [224, 192])
@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_library_specs_equal_torchvision(tv_models, name, size):
    builder, kwargs, names = CLASSIC[name]
    compare_with_torchvision(SPECS / f"{name}.yaml", {"H": size, "W": size},
                             lambda: getattr(tv_models, builder)(weights=None, **kwargs),
                             names, each_call=name != "googlenet")


# Segmentation (torchvision.models.segmentation, weights=None, weights_backbone=None: no
# aux head, 21 classes). torchvision returns {"out": logits}; the harness compares "out"
# with the spec's last layer — the bilinear resize back to the input's size. By name: the
# dilated stages (1/8 of the input for ResNet, 1/16 for MobileNetV3), ASPP's image-pooling
# branch resized back to its input (`like: input` in a branch), ASPP, the classifier.
def _resnet_seg(layer3: int, head: dict) -> dict:
    return {"pool1": "backbone.maxpool", "layer1.2.relu3": "backbone.layer1",
            "layer2.3.relu3": "backbone.layer2", f"layer3.{layer3 - 1}.relu3": "backbone.layer3",
            "layer4.2.relu3": "backbone.layer4", **head}


ASPP = {"aspp.branch5.aspp_pooling1.up1": "classifier.0.convs.4", "aspp.dropout1": "classifier.0"}
SEGMENTATION = {
    "fcn_resnet50": _resnet_seg(6, {"conv3": "classifier.4"}),
    "fcn_resnet101": _resnet_seg(23, {"conv3": "classifier.4"}),
    "deeplabv3_resnet50": _resnet_seg(6, {**ASPP, "conv2": "classifier.4"}),
    "deeplabv3_resnet101": _resnet_seg(23, {**ASPP, "conv2": "classifier.4"}),
    "deeplabv3_mobilenet_v3_large": {"bneck4.add1": "backbone.4", "bneck15.add1": "backbone.15",
                                     "cna2.hardswish1": "backbone.16", **ASPP,
                                     "conv1": "classifier.4"},
    "lraspp_mobilenet_v3_large": {"low.add1": "backbone.4", "high.hardswish1": "backbone.16",
                                  "low_classifier": "classifier.low_classifier",
                                  "high_classifier": "classifier.high_classifier"},
}


@pytest.mark.parametrize("size", [224, 161])
@pytest.mark.parametrize("name", sorted(SEGMENTATION))
def test_segmentation_specs_equal_torchvision(tv_models, name, size):
    pairs = compare_with_torchvision(
        SPECS / f"{name}.yaml", {"H": size, "W": size},
        lambda: getattr(tv_models.segmentation, name)(weights=None, weights_backbone=None),
        SEGMENTATION[name])
    assert len(pairs) > 100


def test_segmentation_heads_pair_in_torchvisions_order(tv_models):
    pairs = compare_with_torchvision(
        SPECS / "lraspp_mobilenet_v3_large.yaml", {"H": 96, "W": 128},
        lambda: tv_models.segmentation.lraspp_mobilenet_v3_large(weights=None,
                                                                 weights_backbone=None))
    # LRASPPHead: cbr(high), then the gate scale(high), then the two classifiers
    assert [k for k in pairs if not k.startswith(("bneck", "low.", "high.", "cna"))] == [
        "head.branch1.conv1", "head.branch1.bn1", "head.branch2.pool1", "head.branch2.conv1",
        "low_classifier", "high_classifier"]
    pairs = compare_with_torchvision(
        SPECS / "deeplabv3_resnet50.yaml", {"H": 96, "W": 128},
        lambda: tv_models.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None))
    # dilation replaces stride: layer3's first block keeps stride 1 and projects 512 → 1024
    assert pairs["layer3.0.shortcut1.0"] == "backbone.layer3.0.downsample.0"
    assert pairs["aspp.branch4.cbr1.conv1"] == "classifier.0.convs.3.0"  # dilation 36


@pytest.mark.parametrize("name", ["deeplabv3_resnet50", "lraspp_mobilenet_v3_large"])
def test_segmentation_runs_at_any_size(tv_models, name):
    """Every size fits (archcalc: "any H ≥ 1"; torchvision's weights say min_size (1, 1)):
    the stride-2 layers floor with only padding unused, and the logits are resized back
    to the input, so even a 1×1 input runs — ASPP's dilation-36 3×3 included."""
    a = analyse_spec(name)
    assert [v.text for v in a.valid_inputs] == ["any H ≥ 1", "any W ≥ 1"]
    compare_with_torchvision(
        SPECS / f"{name}.yaml", {"H": 1, "W": 1},
        lambda: getattr(tv_models.segmentation, name)(weights=None, weights_backbone=None))


def test_the_output_shape_is_compared(tv_models, tmp_path):
    """The harness can fail on the output alone: without the resize back to the input,
    every module pairs and the totals agree, but the logits stay at 1/8 of the input."""
    text = (SPECS / "fcn_resnet50.yaml").read_text()
    cut = text.rsplit("\n  - upsample:", 1)[0] + "\n"
    (tmp_path / "fcn.yaml").write_text(cut)
    with pytest.raises(AssertionError, match=r"output \(21, 28, 28\) vs torchvision "
                                             r"\(21, 224, 224\)"):
        compare_with_torchvision(tmp_path / "fcn.yaml", {"H": 224, "W": 224},
                                 lambda: tv_models.segmentation.fcn_resnet50(
                                     weights=None, weights_backbone=None))


def regnet(tv_models, name):
    """torchvision's RegNet builder `name`, runnable on the meta device, and the stage
    depths and widths it derives: BlockParams.from_init_params computes them with torch
    tensors (no data on the meta device), so it runs on the CPU here."""
    import torch

    module, made = tv_models.regnet, []
    derive = module.BlockParams.from_init_params.__func__

    def on_cpu(cls, **kwargs):
        with torch.device("cpu"):
            made.append(derive(cls, **kwargs))
        return made[-1]

    def make():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(module.BlockParams, "from_init_params", classmethod(on_cpu))
            return getattr(module, name)(weights=None)
    with torch.device("meta"):
        make()  # once for the parameters it derives
    return make, made[0]


def header_table(spec: str) -> dict[str, list[int]]:
    """The bindings of each variant as the spec's header lists them (d1 … d4 w1 … w4 g)."""
    text = (SPECS / f"{spec}.yaml").read_text()
    return {m[1]: [int(v) for v in m[2].split()]
            for m in re.finditer(r"^#   (regnet_\w+) +([\d ]+)$", text, re.M)}


REGNETS = [f"regnet_{xy}_{size}" for xy in "xy" for size in (
    "400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")] + ["regnet_y_128gf"]


@pytest.mark.parametrize("size", [224, 160])
@pytest.mark.parametrize("name", REGNETS)
def test_regnet_equals_torchvision(tv_models, name, size):
    """Each torchvision RegNet is the spec at the stage depths d_i and widths w_i its own
    BlockParams derives; the group width is min(g, w_i), as torchvision adjusts it."""
    make, params = regnet(tv_models, name)
    assert params.bottleneck_multipliers == [1.0] * 4 and params.strides == [2] * 4
    assert params.se_ratio == (0.25 if "_y_" in name else None)
    g = max(params.group_widths)  # the builder's group_width, min(g, w_i) in each stage
    assert params.group_widths == [min(g, w) for w in params.widths]
    bindings = {"H": size, "W": size, "g": g,
                **{f"d{i}": d for i, d in enumerate(params.depths, 1)},
                **{f"w{i}": w for i, w in enumerate(params.widths, 1)}}
    assert header_table(name[:8])[name] == [*params.depths, *params.widths, g]
    stages = {f"block{i}.{d - 1}.relu3": f"trunk_output.block{i}"
              for i, d in enumerate(params.depths, 1)}
    compare_with_torchvision(SPECS / f"{name[:8]}.yaml", bindings, make,
                             {"relu1": "stem", **stages, "fc1": "fc"}, in_order=False)


# EfficientNet-B1 … B7 from B0's spec (B0 itself is above): torchvision's (width_mult,
# depth_mult), at each variant's own resolution (its weights' crop size) and at 192. B1 at
# its size runs by default; the rest take 9–25 s each (hundreds of modules built, hooked
# and counted twice): `pytest -m slow`.
EFFICIENTNET = {"b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 288), "b3": (1.2, 1.4, 300),
                "b4": (1.4, 1.8, 380), "b5": (1.6, 2.2, 456), "b6": (1.8, 2.6, 528),
                "b7": (2.0, 3.1, 600)}


@pytest.mark.parametrize("variant,size", [
    pytest.param(v, s, marks=[] if (v, s) == ("b1", 240) else [pytest.mark.slow])
    for v in sorted(EFFICIENTNET) for s in (EFFICIENTNET[v][2], 192)])
def test_efficientnet_variants_equal_torchvision(tv_models, variant, size):
    width, depth, _ = EFFICIENTNET[variant]
    pairs = compare_with_torchvision(
        SPECS / "efficientnet_b0.yaml",
        {"width_mult": width, "depth_mult": depth, "H": size, "W": size},
        lambda: getattr(tv_models, f"efficientnet_{variant}")(weights=None),
        {"cbs2.silu1": "features.8", "fc1": "classifier.1"})
    # the last stage's first block: its depthwise conv, by the order rule
    blocks = [n for n in pairs if n.endswith(".cbs2.conv1") and n.startswith("stage7.")]
    assert pairs[blocks[0]] == "features.7.0.block.1.0"


@pytest.mark.parametrize("size", [224, 160])
@pytest.mark.parametrize("width", [0.5, 1.4])
def test_mobilenet_v2_width_multiplier_equals_torchvision(tv_models, width, size):
    compare_with_torchvision(SPECS / "mobilenet_v2.yaml",
                             {"width_mult": width, "H": size, "W": size},
                             lambda: tv_models.mobilenet_v2(weights=None, width_mult=width),
                             {"cbr1.relu61": "features.0", "cbr2.relu61": "features.18",
                              "fc1": "classifier.1"}, each_call=False)


# EfficientNetV2: Fused-MBConv stages, then MBConv with squeeze-and-excitation of the
# block's input channels; at each model's own resolution and at 224. V2-S at 224 runs by
# default; the rest take 15–40 s each: `pytest -m slow`.
@pytest.mark.parametrize("name,size", [
    pytest.param(n, s, marks=[] if (n, s) == ("efficientnet_v2_s", 224) else [pytest.mark.slow])
    for n, own in (("efficientnet_v2_s", 384), ("efficientnet_v2_m", 480),
                   ("efficientnet_v2_l", 480)) for s in (own, 224)])
def test_efficientnet_v2_equals_torchvision(tv_models, name, size):
    pairs = compare_with_torchvision(SPECS / f"{name}.yaml", {"H": size, "W": size},
                                     lambda: getattr(tv_models, name)(weights=None),
                                     {"cbs2.silu1": "features.7" if name.endswith("s")
                                      else "features.8", "fc1": "classifier.1"})
    # stage 1 (t = 1): one k×k conv per block; stage 2: the fused expansion, then project
    assert pairs["fused_stage1.fused1.cbs1.conv1"] == "features.1.0.block.0.0"
    assert pairs["fused_stage2.fused1.project1.0.conv1"] == "features.2.0.block.1.0"
    assert pairs["mbconv_stage1.mbconv1.branch2.conv1"] == "features.4.0.block.2.fc1"


# MnasNet 0.5, 0.75, 1.0 and 1.3 from one spec: the width multiplier `alpha`.
MNASNET = {"mnasnet0_5": 0.5, "mnasnet0_75": 0.75, "mnasnet1_0": 1.0, "mnasnet1_3": 1.3}


@pytest.mark.parametrize("size", [224, 160])
@pytest.mark.parametrize("name", sorted(MNASNET))
def test_mnasnet_equals_torchvision(tv_models, name, size):
    # torchvision pools with x.mean([2, 3]) (no module): the totals and the stages
    compare_with_torchvision(SPECS / "mnasnet1_0.yaml",
                             {"alpha": MNASNET[name], "H": size, "W": size},
                             lambda: getattr(tv_models, name)(weights=None),
                             {"cbr1.relu1": "layers.2", "sep1.bn1": "layers.7",
                              "stack1.inverted_residual2.1.add1": "layers.8",
                              "stack6.inverted_residual1.add1": "layers.13",
                              "cbr2.relu1": "layers.16", "fc1": "classifier.1"},
                             each_call=False)


@pytest.mark.parametrize("size", [224, 160])
def test_mobilenet_v3_small_equals_torchvision(tv_models, size):
    pairs = compare_with_torchvision(SPECS / "mobilenet_v3_small.yaml", {"H": size, "W": size},
                                     lambda: tv_models.mobilenet_v3_small(weights=None),
                                     {"cna1.hardswish1": "features.0", "bneck1.bn1": "features.1",
                                      "bneck11.add1": "features.11",
                                      "cna2.hardswish1": "features.12", "fc2": "classifier.3"})
    # the first row: no expansion, squeeze-and-excitation at stride 2
    assert pairs["bneck1.squeeze_excite1.0.branch2.conv1"] == "features.1.block.1.fc1"
    assert pairs["bneck2.cna1.0.conv1"] == "features.2.block.0.0"
