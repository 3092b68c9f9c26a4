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
from archcalc.layers.axismap import INPUT_FIELD, CeilDiv, Fixed, Keep, RField, Scale, Slide
from archcalc.layers.scalemaps import Like, Resize, Transposed

settings.register_profile("archcalc", deadline=None, max_examples=200)
settings.load_profile("archcalc")

H = sp.Symbol("H", integer=True, positive=True)
LOC = SourceLoc("t.yaml", 1, 1)

slides = st.builds(lambda F, S, lo, hi, r: Slide(F, S, lo, hi, r), st.integers(1, 7),
                   st.integers(1, 4), st.integers(0, 3), st.integers(0, 3),
                   st.sampled_from(["exact", "floor", "ceil"]))
# binary fractions, as the spec admits them: ⌊k·W⌋, stride 1/k
fractions = st.sampled_from([sp.Rational(3, 2), sp.Rational(1, 2), sp.Rational(5, 4),
                             sp.Rational(3, 4), sp.Rational(7, 8)])
transposed = st.builds(Transposed, st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
                       st.integers(0, 1))
maps = st.one_of(slides, st.builds(CeilDiv, st.integers(1, 5), st.integers(2, 4)),
                 st.builds(Scale, st.integers(2, 3)), st.builds(Scale, fractions),
                 transposed, st.builds(Resize, st.integers(1, 9)), st.just(Keep()))


def _sympy(m):
    """The same map with sympy Integer settings."""
    if isinstance(m, Slide):
        return Slide(*(sp.Integer(v) for v in (m.F, m.S, m.lo, m.hi)), m.rounding)
    if isinstance(m, CeilDiv):
        return CeilDiv(sp.Integer(m.F), sp.Integer(m.S))
    if isinstance(m, Scale):
        return Scale(sp.sympify(m.k))
    if isinstance(m, Transposed):
        return Transposed(*(sp.Integer(v) for v in (m.F, m.S, m.P, m.E)))
    if isinstance(m, Resize):
        return Resize(sp.Integer(m.out))
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


def test_a_fractional_scale_floors_as_pytorch():
    up = Scale(sp.Rational(3, 2))
    assert up.size(5) == (7, True) and up.ints().size(5) == (7, True)  # ⌊7.5⌋
    assert up.size(H)[0] == sp.floor(sp.Rational(3, 2) * H)
    assert up.stride == sp.Rational(2, 3)


def test_transposed_conv_map_sizes_and_fields():
    # DCGAN's up-step: K=4, S=2, P=1 doubles W; each output reads 2 inputs, 1/2 apart
    m = Transposed(sp.Integer(4), sp.Integer(2), sp.Integer(1), sp.Integer(0))
    assert m.size(H)[0] == 2 * H and m.stride == sp.Rational(1, 2)
    f = m.field(INPUT_FIELD, 8)
    assert (f.size, f.jump, f.start) == (2, sp.Rational(1, 2), sp.Rational(-1, 4))
    # U-Net's K=2, S=2: every output copies one input, as nearest upsampling does
    unet = Transposed(sp.Integer(2), sp.Integer(2))
    assert unet.field(INPUT_FIELD, 8) == Scale(sp.Integer(2)).field(INPUT_FIELD, 8)
    # stride 1: a convolution with padding F − 1 − P, and the same field
    one = Transposed(sp.Integer(3), sp.Integer(1), sp.Integer(0))
    conv = Slide(sp.Integer(3), sp.Integer(1), sp.Integer(2), sp.Integer(2))
    assert one.size(H)[0] == conv.size(H)[0] and one.shift() == 2 == conv.shift()
    assert one.field(INPUT_FIELD, 8) == conv.field(INPUT_FIELD, 8)


def test_interpolating_fields_read_neighbours():
    bilinear = Scale(sp.Integer(2), taps=2)
    assert bilinear.field(INPUT_FIELD, 8).size == 2  # two neighbours, one jump apart
    corners = Scale(sp.Integer(2), taps=4, align_corners=True).field(INPUT_FIELD, 8)
    assert (corners.size, corners.jump, corners.start) == (4, sp.Rational(7, 15), 0)
    resize = Resize(sp.Integer(4), taps=2).field(RField(jump=sp.Integer(2)), 8)
    assert (resize.jump, resize.start) == (4, 1)  # 8 → 4: two inputs per output


def test_a_layer_that_takes_another_inputs_size():
    """`upsample: {like: NAME}`: the search copies the named layer's size (a U-Net head
    interpolating back to the input fits every size that its encoder fits)."""
    rows = (LayerRow("down", "x", LOC, ("input",), None, None,
                     maps=(Slide(3, 2, 1, 1, "exact"),)),
            LayerRow("up", "x", LOC, ("down", "input"), None, None, maps=(Like(),)),
            LayerRow("sum", "add", LOC, ("up", "input"), None, None, maps=(Keep(),)))
    axis = Axis(rows, 0)
    assert axis.run(9) == (True, True) and axis.run(8) == (True, False)  # 8: (8 − 1)/2
    assert axis.modulus() == 2
    assert Like().concrete() and Like(H, 2 * H).stride == sp.Rational(1, 2)
