"""archcalc's specs against torchvision's own models (tests/tv_oracle.py): per-layer
output shapes, parameters, buffers and FlopCounterMode FLOPs, at two input sizes each."""

from __future__ import annotations

import pytest
from helpers import SPECS
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
def test_shufflenet_v2_x1_0_equals_torchvision(tv_models, size):
    # torchvision pools with x.mean([2, 3]) (no module): the totals and the stages
    compare_with_torchvision(SPECS / "shufflenet_v2_x1_0.yaml", {"H": size, "W": size},
                             lambda: tv_models.shufflenet_v2_x1_0(weights=None),
                             SHUFFLENET_STAGES, each_call=False)


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
