"""The import round trip: a torchvision model -> `archcalc import` -> spec -> the model again.

For each torchvision classification model the language expresses (README's table), the
imported spec's `check` gives torchvision's parameters, buffers and MACs, and `build()` of
it has torchvision's module paths (`features.0.1`, `layer2.0.downsample.0`: the spec's
`path:` keys) — it loads the original model's state_dict with strict=True and then gives
its outputs on a random input (eval mode, CPU, small inputs). For resnet18 and
convnext_tiny the source that `archcalc compile` writes does the same, run as a module in
its own process. resnet18, mobilenet_v2, densenet121 and convnext_tiny run in the default
suite; the others are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from test_importers import figures as importer_figures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TV = ROOT / "examples" / "tv.py"

SMALL = (3, 64, 64)
DEFAULT = [("resnet18", SMALL), ("mobilenet_v2", (3, 64, 96)), ("densenet121", SMALL),
           ("convnext_tiny", SMALL)]
SLOW = [(name, SMALL) for name in (
    "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2",
    "squeezenet1_0", "squeezenet1_1", "densenet161", "densenet169", "densenet201",
    "googlenet", "mobilenet_v3_small", "mobilenet_v3_large", "mnasnet0_5", "mnasnet0_75",
    "mnasnet1_0", "mnasnet1_3", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet101_2",
    *(f"efficientnet_b{i}" for i in range(8)), "efficientnet_v2_s", "efficientnet_v2_m",
    "efficientnet_v2_l",
    *(f"regnet_{xy}_{size}" for xy in "xy"
      for size in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")),
    "regnet_y_128gf",  # (644 M parameters: ~6 GB while both models are held)
    "convnext_small", "convnext_base", "convnext_large")] + [
    # their classifiers follow a fixed 6×6 / 7×7 pool, which a 224 input fills exactly
    (name, (3, 224, 224)) for name in ("alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
                                       "vgg16", "vgg16_bn", "vgg19", "vgg19_bn")] + [
    ("inception_v3", (3, 96, 96))]  # its smallest input is 75×75


def figures(model, shape):
    """torchvision's trainable parameters, float buffers and MACs (FlopCounterMode / 2)."""
    params, buffers, flops = importer_figures(model, shape)
    return params, buffers, flops // 2


def checked(cli, spec: Path):
    r = cli("check", spec, "--format", "json")
    assert r.exit_code in (0, 1), r.output
    t = json.loads(r.output[r.output.index("{"):])["totals"]
    return t["params"]["trainable"], t["buffers"], t["macs"]


def imported(cli, tmp_path, name, shape) -> Path:
    out = tmp_path / f"{name}.yaml"
    r = cli("import", f"{TV}:{name}", "--input", ",".join(map(str, shape)), "-o", out)
    assert r.exit_code == 0, r.output
    return out


def source_model(tv_models, name):
    torch.manual_seed(0)  # random weights, so that equal outputs mean the weights landed
    # the auxiliary heads run only in training: the spec, of the model as it runs in eval
    # mode, has none (README), so the source is built without them
    kw = {"init_weights": True, "aux_logits": False} \
        if name in ("inception_v3", "googlenet") else {}
    return getattr(tv_models, name)(**kw).eval()


def round_trip(cli, tv_models, tmp_path, name, shape):
    from archcalc.reference import build

    spec = imported(cli, tmp_path, name, shape)
    assert checked(cli, spec) == figures(source_model(tv_models, name), shape)
    theirs = source_model(tv_models, name)
    ours = build(spec).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
    return spec


@pytest.mark.parametrize("name,shape", DEFAULT)
def test_imported_spec_builds_the_source_model(cli, tv_models, tmp_path, name, shape):
    spec = round_trip(cli, tv_models, tmp_path, name, shape)
    if name == "resnet18":
        assert "shortcut_path: downsample" in spec.read_text()
    if name == "mobilenet_v2":
        assert "name: features_0, path: features.0}" in spec.read_text()
    if name == "convnext_tiny":  # torchvision's LayerNorm2d holds its own weights
        assert "- layernorm: {eps: 1e-06, name: features_0_1, path: features.0.1}" in \
            spec.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("name,shape", SLOW)
def test_imported_spec_builds_the_source_model_slow(cli, tv_models, tmp_path, name, shape):
    round_trip(cli, tv_models, tmp_path, name, shape)


RUN_COMPILED = """
import importlib.util, sys, types
sys.modules["torchvision._meta_registrations"] = types.ModuleType("m")
import torch, torchvision
spec = importlib.util.spec_from_file_location("compiled", sys.argv[1])
compiled = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compiled)
torch.manual_seed(0)
theirs = getattr(torchvision.models, sys.argv[2])().eval()
ours = getattr(compiled, sys.argv[3])().eval()
ours.load_state_dict(theirs.state_dict(), strict=True)
assert set(ours.state_dict()) == set(theirs.state_dict())
x = torch.randn(2, 3, 64, 64)
with torch.no_grad():
    torch.testing.assert_close(ours(x), theirs(x))
print("loaded strictly, equal outputs")
"""


@pytest.mark.parametrize("name,cls,shows", [
    ("resnet18", "ResNet", "self.downsample = nn.Sequential("),
    # channel_linear's helper, and the hooks that key each γ as torchvision's CNBlock does
    ("convnext_tiny", "ConvNeXt", "LayerScale.own_keys(self)")])
def test_compiled_imported_model_loads_the_source_state_dict(cli, tv_models, tmp_path, name,
                                                             cls, shows):
    spec = imported(cli, tmp_path, name, SMALL)
    source = tmp_path / f"{name}_compiled.py"
    r = cli("compile", spec, "-o", source)
    assert r.exit_code == 0, r.output
    assert shows in source.read_text()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", RUN_COMPILED, str(source), name, cls],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loaded strictly, equal outputs" in done.stdout
