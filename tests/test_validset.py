"""The valid-input set, checked against a full analysis at every size in a range."""

from __future__ import annotations

import pytest
from helpers import SPECS

from archcalc.analysis import analyze
from archcalc.spec import parse_file, parse_text


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "zfnet", "alexnet_torchvision"])
def test_valid_set_matches_brute_force(name):
    spec = parse_file(SPECS / f"{name}.yaml")
    base = analyze(spec, spec.defaults)
    h = base.valid_inputs[0]
    assert not h.reason
    for size in range(1, 300, 1 if name == "lenet5" else 3):
        a = analyze(spec, {**spec.defaults, "H": size, "W": size})
        assert a.ok == h.contains(size), (name, size, h.text)


def test_symbol_constraints_intersect():
    spec = parse_text("""archcalc: 1
name: t
input: [3, H, H]
symbols:
  H: {default: 64, multiple_of: 8, min: 16}
layers:
  - conv: {out: 8, kernel: 3, stride: 2, padding: 1, rounding: floor}
  - conv: {out: 8, kernel: 3, stride: 2}
""")
    a = analyze(spec, spec.defaults)
    (v,) = a.valid_inputs  # one symbol shared by both axes
    assert v.axes == ("H", "W")
    for size in range(16, 200):
        ok = analyze(spec, {"H": size}).ok and size % 8 == 0
        assert v.contains(size) == ok, size


def test_no_size_fits_is_said():
    spec = parse_text("""archcalc: 1
name: t
input: [1, H, W]
symbols: {H: 10, W: 10}
layers:
  - conv: {out: 1, kernel: 2, stride: 2}
  - conv: {out: 1, kernel: 2, stride: 2, padding: [[0, 1], [0, 1]]}
  - conv: {out: 1, kernel: 3, stride: 2}
""")
    a = analyze(spec, spec.defaults)
    assert all(v.text for v in a.valid_inputs)
