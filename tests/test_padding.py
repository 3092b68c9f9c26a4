"""Padding forms: `same` (PyTorch's rule at stride 1, TensorFlow's above), per side, modes."""

from __future__ import annotations

from helpers import analyse_text, one_layer

from archcalc.notation import formula_text, shape_text


def test_same_with_an_even_kernel_says_where_the_extra_row_goes():
    a = analyse_text(one_layer("conv: {out: 4, kernel: 4, padding: same}", "[3, 32, 32]"))
    assert a.ok
    assert shape_text(a.rows[0].out_shape) == "4×32×32"
    (w,) = [d for d in a.findings if d.code == "same-asymmetric"]
    assert w.severity == "warning"
    assert "3 rows in all: 1 before and 2 after" in w.message
    assert "bottom" in w.message or "right" in w.message
    assert a.rows[0].layer.resolved_pads(a.rows[0].in_shape) == ((1, 2), (1, 2))


def test_same_with_stride_is_tensorflows_ceil_rule():
    a = analyse_text(one_layer("conv: {out: 4, kernel: 3, stride: 2, padding: same}",
                               "[3, 225, 224]"))
    assert a.ok
    assert shape_text(a.rows[0].out_shape) == "4×113×112"  # ceil(225/2), ceil(224/2)
    # The padding that implies: 225 → (113−1)·2 + 3 − 225 = 2 (1 + 1); 224 → 1 (0 + 1).
    assert a.rows[0].layer.resolved_pads(a.rows[0].in_shape) == ((1, 1), (0, 1))


def test_per_side_padding_is_the_fix_for_w10_f3_s2():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3, stride: 2, padding: [[0, 1], [0, 1]]}",
                               "[1, 10, 10]"))
    assert a.ok and shape_text(a.rows[0].out_shape) == "1×5×5"
    assert formula_text(a.rows[0].formulas[0]) == "(10 − 3 + 0 + 1)/2 + 1 = 5"


def test_seed_padding_mode_names_map_to_pytorchs():
    for seed_name, torch_name in (("constant", "zeros"), ("mirror", "reflect"),
                                  ("nearest", "replicate"), ("wrap", "circular")):
        a = analyse_text(one_layer(f"conv: {{out: 1, kernel: 3, padding: 1, "
                                   f"padding_mode: {seed_name}}}", "[1, 8, 8]"))
        assert dict(a.rows[0].args)["padding_mode"] == torch_name


def test_reflect_padding_must_be_smaller_than_the_input():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 5, padding: 3, padding_mode: reflect}",
                               "[1, 3, 3]"))
    assert any(d.code == "padding-mode" for d in a.findings) and not a.ok


def test_floor_warning_counts_uncovered_input_rows():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3, stride: 2, rounding: floor}",
                               "[1, 10, 10]"))
    assert a.ok
    (w,) = a.findings
    assert w.code == "floored" and "the last 1 input row(s)/column(s) are never covered" in w.message
