"""fx imports of layers that PyTorch writes as several operations (torch_patterns.py):
ShuffleNet V2's channel split (x.chunk) and channel shuffle (view, transpose, view of
x.size()), ConvNeXt's channels-last stretches (permute, LayerNorm, Linear, permute) and
layer scale. Each import is verified by the importer (parameters, buffers, FlopCounterMode
FLOPs) and checked here again against torchvision; look-alikes that are not these layers
are refused, not mistaken for them.
"""

from __future__ import annotations

import pytest
from test_importers import TV, figures, report

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("builder,shape,lines", [
    ("shufflenet_v2_x0_5", (3, 64, 64), [
        "              - chunk: {parts: 2, index: 0, name: chunk, path: chunk}\n",
        "              - chunk: {parts: 2, index: 1, name: chunk_2, path: chunk_2}\n",
        "      - channel_shuffle: {groups: 2, name: channel_shuffle}\n"]),
    ("convnext_tiny", (3, 64, 64), [
        "            - layernorm: {eps: 1e-06, name: block_2, path: block.2}\n",
        "            - channel_linear: {out: 4*in, name: block_3, path: block.3}\n",
        "            - channel_linear: {out: in, name: block_5, path: block.5}\n",
        "            - layer_scale: {name: layer_scale}\n",
        "  - layernorm: {eps: 1e-06, name: features_0_1, path: features.0.1}\n"]),
])
def test_torchvision_models_written_as_several_operations(cli, tv_models, tmp_path, builder,
                                                           shape, lines):
    out = tmp_path / f"{builder}.yaml"
    r = cli("import", f"{TV}:{builder}", "--input", ",".join(map(str, shape)), "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    for line in lines:
        assert line in text
    assert "permute" not in text and "view" not in text
    assert report(cli, out) == figures(getattr(tv_models, builder)(), shape)


@pytest.mark.slow
@pytest.mark.parametrize("builder", ["shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                                     "shufflenet_v2_x2_0", "convnext_small", "convnext_base",
                                     "convnext_large"])
def test_the_other_sizes(cli, tv_models, tmp_path, builder):
    out = tmp_path / "m.yaml"
    r = cli("import", f"{TV}:{builder}", "--input", "3,64,64", "-o", out)
    assert r.exit_code == 0, r.output
    assert report(cli, out) == figures(getattr(tv_models, builder)(), (3, 64, 64))


LOOKALIKES = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, forward):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.norm = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 8)
        self.scale = nn.Parameter(torch.ones(8, 1, 1))
        self.w_scale = nn.Parameter(torch.ones(8))  # broadcast over W, not the channels
        self.kind = forward

    def forward(self, x):
        x = self.conv(x)
        if self.kind == "transpose 2, 3":  # not a channel shuffle
            b, c, h, w = x.size()
            x = x.view(b, 2, c // 2, h, w).transpose(2, 3).contiguous().view(b, c, h, w)
        elif self.kind == "chunk of H":
            x = x.chunk(2, dim=2)[0]
        elif self.kind == "norm over W":  # nn.LayerNorm with no permute: over the last dim
            x = self.norm(x)
        elif self.kind == "permute, no way back":
            x = self.fc(x.permute(0, 2, 3, 1))
        elif self.kind == "scale over W":
            x = x * self.w_scale
        elif self.kind == "shuffle":
            b, c, h, w = x.size()
            x = x.view(b, 4, c // 4, h, w).transpose(1, 2).contiguous().view(b, c, h, w)
        elif self.kind == "channels last":
            x = self.fc(self.norm(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2) * self.scale
        return x


def net(forward):
    return Net(forward)
'''


@pytest.mark.parametrize("forward,refusal", [
    ("transpose 2, 3", "tensor method .size()"),
    ("chunk of H", "tensor method .chunk()"),
    ("norm over W", "module class torch.nn.modules.normalization.LayerNorm"),
    ("permute, no way back", "tensor method .permute()"),
    ("scale over W", "a get_attr node (a parameter or buffer used directly)"),
])
def test_lookalikes_are_refused(cli, tmp_path, forward, refusal):
    (tmp_path / "m.py").write_text(LOOKALIKES)
    r = cli("import", f"{tmp_path}/m.py:net", "--arg", f"forward={forward!r}", "--input",
            "3,8,8")
    assert r.exit_code == 2, r.output
    assert "archcalc has no layer for it" in r.output and refusal in r.output


@pytest.mark.parametrize("forward,lines", [
    ("shuffle", ["- channel_shuffle: {groups: 4, name: channel_shuffle}"]),
    ("channels last", ["- layernorm: {eps: 1e-05, name: norm}",
                       "- channel_linear: {out: 8, name: fc}",
                       "- layer_scale: {name: scale}"]),
])
def test_the_patterns_in_a_model_of_ones_own(cli, tmp_path, forward, lines):
    (tmp_path / "m.py").write_text(LOOKALIKES)
    r = cli("import", f"{tmp_path}/m.py:net", "--arg", f"forward={forward!r}", "--input",
            "3,8,8")
    assert r.exit_code == 0, r.output
    for line in lines:
        assert line in r.output
