"""The axis maps (archcalc/layers/axismap.py): one copy of each map's arithmetic serves
plain ints and sympy expressions, and the valid-input search built on them is exact —
checked against brute force over random chains of maps, upsampling included, whose
rational strides are what the search's period rests on."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.analysis.axis import Axis
from archcalc.analysis.result import LayerRow
from archcalc.errors import SourceLoc
from archcalc.layers.axismap import INPUT_FIELD, CeilDiv, Fixed, Keep, Scale, Slide

settings.register_profile("archcalc", deadline=None, max_examples=200)
settings.load_profile("archcalc")

H = sp.Symbol("H", integer=True, positive=True)
LOC = SourceLoc("t.yaml", 1, 1)

slides = st.builds(lambda F, S, lo, hi, r: Slide(F, S, lo, hi, r), st.integers(1, 7),
                   st.integers(1, 4), st.integers(0, 3), st.integers(0, 3),
                   st.sampled_from(["exact", "floor", "ceil"]))
maps = st.one_of(slides, st.builds(CeilDiv, st.integers(1, 5), st.integers(2, 4)),
                 st.builds(Scale, st.integers(2, 3)), st.just(Keep()))


def _sympy(m):
    """The same map with sympy Integer settings."""
    if isinstance(m, Slide):
        return Slide(*(sp.Integer(v) for v in (m.F, m.S, m.lo, m.hi)), m.rounding)
    if isinstance(m, CeilDiv):
        return CeilDiv(sp.Integer(m.F), sp.Integer(m.S))
    if isinstance(m, Scale):
        return Scale(sp.Integer(m.k))
    return m


@given(maps, st.integers(1, 200))
def test_one_arithmetic_for_ints_and_expressions(m, W):
    size, fits = m.size(W)
    sym, sym_fits = _sympy(m).size(H)
    assert sp.sympify(sym).subs(H, W) == size or not fits  # exact & non-integral: floored
    if fits:
        assert sp.sympify(sym).subs(H, W) == size
    concrete, _ = _sympy(m).size(sp.Integer(W))
    assert concrete == size


def _rows(chain):
    rows, prev = [], "input"
    for i, m in enumerate(chain):
        rows.append(LayerRow(f"l{i}", "x", LOC, (prev,), None, None, maps=(m,)))
        prev = f"l{i}"
    return tuple(rows)


def _brute(chain, W) -> tuple[bool, bool]:
    integral = True
    for m in chain:
        W, ok = m.size(W)
        integral &= ok
        if W < 1:
            return False, integral
    return True, integral


@settings(max_examples=300)
@given(st.lists(maps, min_size=1, max_size=6), st.integers(1, 120))
def test_compiled_axis_runs_the_maps(chain, W):
    """The search's compiled axis (shifts fused, identities dropped) = the maps one by one."""
    positive, integral = Axis(_rows(chain), 0).run(W)
    want_positive, want_integral = _brute(chain, W)
    assert positive == want_positive
    if positive:
        assert integral == want_integral


@settings(max_examples=300)
@given(st.lists(maps, min_size=1, max_size=6))
def test_integrality_is_periodic_in_the_modulus(chain):
    """The valid-input proof: past the smallest size that keeps every size ≥ 1, whether
    every size is an integer depends only on W mod M, M the lcm of the numerators of the
    cumulative strides (an upsampling's 1/k included)."""
    axis = Axis(_rows(chain), 0)
    M = axis.modulus()
    start = next((w for w in range(1, 400) if _brute(chain, w)[0]), None)
    if start is None:
        return
    for W in range(start, start + 2 * M + 8):
        assert _brute(chain, W)[1] == _brute(chain, W + M)[1], (W, M)


def test_upsampling_stride_is_a_rational_and_its_field_steps_finer():
    up = Scale(sp.Integer(2))
    assert up.stride == sp.Rational(1, 2)
    conv = Slide(sp.Integer(3), sp.Integer(2), sp.Integer(1), sp.Integer(1))
    field = up.field(conv.field(INPUT_FIELD, 64), 32)
    # a stride-2 3×3 conv's units see 3 pixels, 2 apart; upsampled, 1 apart, same size
    assert (field.size, field.jump) == (3, 1)
    assert field.start == sp.Rational(-1, 2)  # centred between the conv unit's pixels


def test_fixed_map_ends_the_axis():
    assert Fixed(sp.Integer(1)).ends and Fixed(sp.Integer(1)).field(INPUT_FIELD, 7).whole
    assert Fixed(sp.Integer(1)).size(123) == (1, True)
