"""The input as written: a channels-last input (Keras's order) is warned about, with the
channels-first spelling as the fix; ordinary channels-first inputs are not."""

from __future__ import annotations

import pytest

from archcalc.analysis.layout import channels_last
from archcalc.errors import SourceLoc

LOC = SourceLoc("s.yaml", 3, 8)


def _spec(tmp_path, dims: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"archcalc: 1\nname: s\ninput: {dims}\nlayers:\n  - relu\n")
    return path


def test_a_keras_input_is_warned_about_with_the_fix(cli, tmp_path):
    path = _spec(tmp_path, "[32, 32, 3]")
    result = cli("check", path)
    assert result.exit_code == 0  # a warning: the spec may mean it
    lines = result.stderr.splitlines()
    assert lines[0] == (f"{path}:3:8: warning: input: [32, 32, 3] reads as 32 channels of "
                        "32 × 3: archcalc, like PyTorch, writes the channels first")
    assert "  hint: for 32 × 32 images with 3 channels (Keras's channels-last order), write " \
           "`input: [3, 32, 32]`" in lines


@pytest.mark.parametrize("dims, fixed", [((224, 224, 3), "[3, 224, 224]"),
                                         ((28, 28, 1), "[1, 28, 28]"),
                                         ((16, 112, 112, 3), "[3, 16, 112, 112]"),
                                         ((64, 64, 4), "[4, 64, 64]")])
def test_channels_last_inputs(dims, fixed):
    (found,) = channels_last(dims, LOC)
    assert found.severity == "warning" and found.code == "channels-last"
    assert found.hints[0].endswith(f"`input: {fixed}`")


@pytest.mark.parametrize("dims", [(3, 224, 224), (1, 28, 28), (64, 56, 56), (3, 16, 112, 112),
                                  (8, 100), (32, 32, 5), (32, 4, 3), (3, 32, 3)])
def test_channels_first_inputs_are_not_warned_about(dims):
    assert channels_last(dims, LOC) == []


def test_symbolic_inputs_are_not_guessed_at(cli, tmp_path):
    import sympy as sp

    assert channels_last((sp.Symbol("H"), sp.Symbol("W"), sp.Integer(3)), LOC) == []
    result = cli("check", _spec(tmp_path, "[3, 32, 32]"))
    assert "warning" not in result.stderr
