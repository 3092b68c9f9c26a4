"""archcalc.suggest: one "did you mean" rule for the parser, graph expansion and the CLI."""

from __future__ import annotations

import textwrap

import pytest

from archcalc.errors import SpecError
from archcalc.graph import build_graph
from archcalc.spec import parse_text
from archcalc.suggest import MAX_WORD, close_matches, did_you_mean


def test_the_closest_option_is_suggested():
    assert did_you_mean("kernal", ("kernel", "stride", "padding")) == "did you mean 'kernel'?"
    assert did_you_mean("HH", ["H", "W"]) == "did you mean 'H'?"
    assert did_you_mean("zzz", ["conv", "relu"]) == ""
    assert close_matches("resnet", ["resnet18", "resnet34", "vgg16", "resnet50"], n=3) == [
        "resnet50", "resnet34", "resnet18"]


def test_an_overlong_word_is_not_compared():
    option = "a" * MAX_WORD
    assert did_you_mean("a" * (MAX_WORD - 1) + "b", [option]) == f"did you mean '{option}'?"
    assert did_you_mean(option + "b", [option]) == ""  # difflib never sees it
    assert close_matches("x" * 1_000_000, ["x"]) == []


def test_a_from_name_longer_than_a_layer_name_still_gets_a_hint():
    # Expansion used its own copy bounded at the layer-name limit (64); the shared rule's
    # bound is 128, so a name one character too long is still matched.
    name = "a" * 64
    spec = parse_text(textwrap.dedent(f"""\
        archcalc: 1
        name: t
        input: [1, 8, 8]
        layers:
          - conv: {{out: 2, kernel: 3, name: {name}}}
          - relu: {{from: {name}b}}
        """))
    with pytest.raises(SpecError) as exc:
        build_graph(spec)
    assert exc.value.diagnostics[0].hints[0] == f"did you mean '{name}'?"
