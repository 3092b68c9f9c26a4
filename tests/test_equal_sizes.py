"""`equal_for_every_size`: a proof over whole sizes, checked against brute force."""

from __future__ import annotations

import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archcalc import num
from archcalc.layers.equal_sizes import equal_for_every_size
from archcalc.spec.model import symbol

# The spec's symbol is a recorded `num.Symbol`; sympy expressions built on it hold its
# lifted sympy counterpart, which is what the brute force below must substitute (with the
# record itself, `xreplace` replaced nothing and equal sizes looked unequal).
H = num.lift(symbol("H"))


def test_ceil_half_equals_floor_of_h_minus_one_half_plus_one():
    # TensorFlow 'same' with stride 2 beside a 3×3 stride-2 conv padded by 1 (issue 11)
    assert equal_for_every_size(sp.ceiling(H / 2), sp.floor((H - 1) / 2) + 1) is True
    assert equal_for_every_size(sp.ceiling(H / 2), sp.floor(H / 2)) is False  # odd H
    assert equal_for_every_size(H * sp.floor(H / 2), H) is None  # not linear: undecided
    assert equal_for_every_size(H, symbol("W")) is None  # two symbols: undecided


def _size(draw, depth: int):
    """A random size of the kind the axis maps make: floors and ceilings of rational
    affine maps, nested."""
    e = H
    for _ in range(depth):
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 4))
        c = draw(st.integers(-3, 3))
        op = draw(st.sampled_from([sp.floor, sp.ceiling, lambda x: x]))
        e = op((e + c - k) / s) + 1 if op is not None else e
    return e


@st.composite
def sizes(draw):
    return _size(draw, draw(st.integers(0, 3))), _size(draw, draw(st.integers(0, 3)))


@settings(max_examples=150, deadline=None)
@given(sizes())
@example((sp.floor(H / 4 - sp.Rational(1, 4)) + 1, sp.ceiling(H / 4)))  # equal, not alike
def test_the_proof_agrees_with_brute_force(pair):
    a, b = pair
    verdict = equal_for_every_size(a, b)
    brute = all((a - b).xreplace({H: v}) == 0 for v in range(1, 400))
    assert verdict is not None
    assert verdict == brute, (a, b)


def test_symbolic_merge_of_equal_sizes_is_no_error():
    """`check --symbolic` reported a merge error for ⌈H/2⌉ against ⌊(H − 1)/2⌋ + 1 and
    then said they differ for no H (issue 11, item 10)."""
    from archcalc.analysis import analyze
    from archcalc.graph import build_graph
    from archcalc.spec import parse_text

    spec = parse_text("""archcalc: 1
name: t
input: [4, H, H]
layers:
  - conv: {out: 4, kernel: 3, stride: 2, padding: same, name: a}
  - conv: {out: 4, kernel: 3, stride: 2, padding: 1, rounding: floor, from: input, name: b}
  - add: [a, b]
""")
    a = analyze(build_graph(spec), {})
    assert a.free_symbols == ("H",)
    assert not [d for d in a.findings if d.severity == "error"], a.findings
