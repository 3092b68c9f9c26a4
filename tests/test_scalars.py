"""YAML scalars resolve as a person means them, and YAML 1.1's traps are caught."""

from __future__ import annotations

import pytest

from archcalc.spec.scalars import Real, Trap, resolve_plain
from archcalc.spec.yamlnodes import load


@pytest.mark.parametrize("text, value", [
    ("1e-4", 1e-4), ("2.5", 2.5), (".5", 0.5), ("1E3", 1000.0), ("42", 42), ("1_000", 1000),
    ("-3", -3), ("0", 0), ("true", True), ("False", False), ("~", None), ("null", None),
    ("relu", "relu"), ("2*c", "2*c"), ("same", "same"),
])
def test_plain_scalars(text, value):
    got = resolve_plain(text)
    assert got == value
    if type(value) is float:  # a Real: a float that keeps its text, for exact arithmetic
        assert isinstance(got, Real) and got.text == text
    else:
        assert type(got) is type(value)


@pytest.mark.parametrize("text", ["no", "yes", "on", "off", "Y", "n", "010", "0x1F", "0o7"])
def test_yaml11_traps_are_flagged(text):
    got = resolve_plain(text)
    assert isinstance(got, Trap) and got.why


def test_quoted_values_stay_strings():
    node = load("a: '010'\nb: \"1e-4\"\n")
    assert node.get("a").value == "010" and node.get("a").quoted
    assert node.get("b").value == "1e-4"


def test_positions_are_one_based():
    node = load("name: x\nlayers:\n  - relu\n")
    relu = node.get("layers").items[0]
    assert (relu.loc.line, relu.loc.column) == (3, 5)
