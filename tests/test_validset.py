"""The valid-input set, checked against a full analysis at every size in a range."""

from __future__ import annotations

import pytest
from helpers import SPECS
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from archcalc.analysis import analyze
from archcalc.design import Design
from archcalc.graph import build_graph
from archcalc.spec import parse_file, parse_text


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "zfnet", "alexnet_torchvision"])
def test_valid_set_matches_brute_force(name):
    spec = parse_file(SPECS / f"{name}.yaml")
    base = Design(spec).analysis
    h = base.valid_inputs[0]
    assert not h.reason
    for size in range(1, 300, 1 if name == "lenet5" else 3):
        a = Design(spec, {"H": size, "W": size}).analysis
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
    a = Design(spec).analysis
    (v,) = a.valid_inputs  # one symbol shared by both axes
    assert v.axes == ("H", "W")
    for size in range(16, 200):
        ok = analyze(build_graph(spec), {"H": size}).ok and size % 8 == 0
        assert v.contains(size) == ok, size


@pytest.mark.parametrize("layers, text", [
    ("  - conv: {out: 2, kernel: 1, stride: 3}\n  - conv: {out: 2, kernel: 4}\n"
     "  - maxpool: {kernel: 1, stride: 2}\n", "H ≡ 4 (mod 6), H ≥ 10"),
    ("  - conv: {out: 2, kernel: 5}\n"
     "  - residual: {shortcut: projection, layers: [conv: {out: 4, kernel: 3, stride: 2, "
     "padding: 1}]}\n"
     "  - residual: {shortcut: zeropad, layers: [conv: {out: 8, kernel: 3, stride: 3}]}\n"
     "  - conv: {out: 2, kernel: 1, stride: 2}\n", "H ≡ 9 (mod 12), H ≥ 9")])
def test_layers_after_one_that_vanishes_at_the_current_size_still_count(layers, text):
    """At H = 3 the second conv vanishes and the layers after it are not inferred; their
    strides (a shortcut's from its body) still enter the set, as at any other size."""
    spec = parse_text(f"archcalc: 1\nname: t\nrounding: exact\ninput: [1, H, H]\n"
                      f"layers:\n{layers}")
    assert {analyze(build_graph(spec), {"H": h}).valid_inputs[0].text for h in (3, 60)} == {
        text}


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
    a = Design(spec).analysis
    assert all(v.text for v in a.valid_inputs)


# -- bounded work (issue item 5): nearest sizes by arithmetic, the search on a budget --------

def test_nearest_sizes_come_from_the_residues_not_a_scan(monkeypatch):
    from archcalc.analysis.result import AxisValidity
    from archcalc.analysis.validset import _nearest

    v = AxisValidity("H", ("H",), 32, (3, 7), 67, None, 67, None)
    calls = []
    contains = AxisValidity.contains
    monkeypatch.setattr(AxisValidity, "contains",
                        lambda self, w: calls.append(w) or contains(self, w))
    for current in (2 ** 62, 2 ** 62 + 3, 10 ** 40 + 1):
        calls.clear()
        below, above = _nearest(v, current)
        assert len(calls) <= 2  # not one test per size between `current` and the answer
        assert below % 32 in (3, 7) and above % 32 in (3, 7)
        assert current - 32 < below < current < above < current + 32
        assert all(w % 32 not in (3, 7) for w in range(below + 1, above) if w != current)


def test_nearest_sizes_equal_a_scan():
    from archcalc.analysis.result import AxisValidity
    from archcalc.analysis.validset import _nearest

    for modulus, residues, minimum, maximum in [(32, (3,), 67, None), (6, (1, 4), 10, 50),
                                                 (1, (0,), 5, None), (8, (0, 5), 1, 30)]:
        v = AxisValidity("H", ("H",), modulus, residues, minimum, maximum, None, None)
        for current in range(1, 80):
            if v.contains(current):
                continue
            below = [w for w in range(minimum, current) if v.contains(w)]
            above = [w for w in range(current + 1, current + modulus + minimum + 2)
                     if v.contains(w)]
            expected = tuple(([below[-1]] if below else []) + ([above[0]] if above else []))
            assert _nearest(v, current) == expected, (modulus, residues, current)


def test_a_deep_plain_network_compiles_to_one_step():
    """Stride-1 convs and ReLUs compile to one shift per axis: a run costs one step, not
    one per layer."""
    from archcalc.analysis.axis import Axis

    layers = "\n".join(f"  - conv: {{out: 2, kernel: 3, padding: {i % 2}}}\n  - relu"
                       for i in range(300))
    spec = parse_text(f"archcalc: 1\nname: t\ninput: [1, H, H]\nsymbols: {{H: 700}}\n"
                      f"layers:\n{layers}\n  - maxpool: 2\n")
    a = Design(spec).analysis
    axis = Axis(a.rows, 0)
    assert [op[0] for _, _, op in axis.steps] == ["shift", "map"]
    assert a.valid_inputs[0].text == "H ≡ 0 (mod 2), H ≥ 302"


def test_the_search_gives_up_on_its_budget_and_says_so(monkeypatch):
    from archcalc.analysis import axis

    spec = parse_file(SPECS / "resnet18.yaml")
    assert Design(spec).analysis.valid_inputs[0].reason == ""
    monkeypatch.setattr(axis, "WORK_LIMIT", 500)
    reasons = {v.reason for v in Design(spec).analysis.valid_inputs}
    assert reasons == {"the search would evaluate more than 500 layer steps"}


# -- a fixed size meeting one that depends on the input (issue 11, item 10) ---------------

def _pinned_spec(fixed: int, kernel: int, stride: int, pad: int, floor: bool) -> str:
    rounding = ", rounding: floor" if floor else ""
    return f"""archcalc: 1
name: t
input: [4, H, H]
symbols: {{H: 14}}
layers:
  - conv: {{out: 4, kernel: 3, padding: 1, name: stem}}
  - adaptive_avgpool: {{output_size: {fixed}, name: fixed}}
  - conv: {{out: 4, kernel: {kernel}, stride: {stride}, padding: {pad}, from: stem, name: branch{rounding}}}
  - concat: [fixed, branch]  # (add would broadcast a size 1: see axis.py)
"""


def test_an_adaptive_pool_meeting_a_strided_branch_fits_where_the_sizes_meet():
    """Adaptive pool to 7 beside a 2×2 stride-2 conv: only H = 14 (it said "no H fits; H =
    14 does NOT fit" because the residue search never reaches 14)."""
    spec = parse_text(_pinned_spec(7, 2, 2, 0, False))  # a 2×2 stride-2 conv
    (v,) = Design(spec).analysis.valid_inputs
    assert v.text.startswith("H = 14 only") and v.current_fits


@settings(max_examples=40, deadline=None)
@given(fixed=st.integers(1, 9), kernel=st.integers(1, 5), stride=st.integers(1, 4),
       pad=st.integers(0, 2), floor=st.booleans())
def test_pinned_valid_sets_equal_brute_force(fixed, kernel, stride, pad, floor):
    assume(pad <= kernel // 2)
    spec = parse_text(_pinned_spec(fixed, kernel, stride, pad, floor))
    (v,) = Design(spec).analysis.valid_inputs
    assert not v.reason
    graph = build_graph(spec)
    for size in range(1, fixed * stride + kernel + 8):
        assert analyze(graph, {"H": size}).ok == v.contains(size), (size, v.text)
