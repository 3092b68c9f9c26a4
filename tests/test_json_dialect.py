"""The JSON's arithmetic is one machine-readable dialect: sympy reads each entry back and
it evaluates to the size the calculator reports (a sliding window, a ceiled pool, a
shortcut, a concatenation's channels, a flatten's features)."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from helpers import SPECS

from archcalc.design import Design
from archcalc.render.json_out import write_json
from archcalc.spec import parse_file


@pytest.mark.parametrize("name", ["alexnet", "googlenet", "resnet18", "inception_v3",
                                  "fcn1d", "lenet5"])
def test_every_arithmetic_entry_reads_back_and_evaluates_to_the_size(name, tmp_path):
    spec = parse_file(SPECS / f"{name}.yaml")
    out = tmp_path / "r.json"
    with out.open("w") as f:
        write_json(Design(spec).analysis, f)
    checked = 0
    for layer in json.loads(out.read_text())["layers"]:
        for axis, text in enumerate(layer["arithmetic"]):
            assert all(ord(ch) < 128 for ch in text), text
            value = sp.sympify(text)
            shape = layer["output_shape"]
            want = shape[0] if layer["kind"] in ("concat", "flatten") else shape[1 + axis]
            assert value == want, (layer["name"], text, want)
            checked += 1
    assert checked >= 5
