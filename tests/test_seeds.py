"""Every worked number in ../shared/seeds/, computed by archcalc and asserted exactly."""

from __future__ import annotations

import sympy as sp
from helpers import SPECS, analyse_spec, analyse_text, one_layer

from archcalc.analysis import analyze
from archcalc.graph import build_graph
from archcalc.notation import formula_text
from archcalc.spec import parse_file


def shape(row):
    return tuple(int(d) for d in (row.out_shape.c, *row.out_shape.dims))


def test_seed003_7x7_input_3x3_filter_stride_1_gives_5x5():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3, stride: 1}", "[1, 7, 7]"))
    assert shape(a.rows[0]) == (1, 5, 5)
    assert formula_text(a.rows[0].formulas[0]) == "(7 − 3 + 2·0)/1 + 1 = 5"


def test_seed003_7x7_input_3x3_filter_stride_2_gives_3x3():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3, stride: 2}", "[1, 7, 7]"))
    assert shape(a.rows[0]) == (1, 3, 3)


def test_seed003_w10_f3_s2_is_invalid_with_4_5():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3, stride: 2}", "[1, 10, 10]"))
    assert not a.ok
    err = [d for d in a.findings if d.severity == "error"]
    assert len(err) == 1 and err[0].code == "non-integer-size"
    assert "(10 − 3 + 2·0)/2 + 1 = 4.5 is not an integer" in err[0].message
    hints = "\n".join(err[0].hints)
    # The only padding fix is per-side, since 7 + 2P is odd (issue 2).
    assert "no symmetric padding fits (10 − 3 = 7 is odd and 2P is even)" in hints
    assert "`padding: [[0, 1], [0, 1]]`" in hints and "= 5" in hints
    assert "an input of 9 (→ 4) or 11 (→ 5)" in hints
    # Stride 7 would tile too (→ 2), but skips input a 3-wide window never sees: not offered.
    assert "\nstride 1 (→ 8)\n" in f"\n{hints}\n"


def test_seed003_5x5_filter_on_32x32x3_has_75_weights_plus_1_bias():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 5}", "[3, 32, 32]"))
    row = a.rows[0]
    assert row.connections == 75
    assert row.trainable == 75 + 1


def test_seed003_3x3_filter_on_depth_20_has_180_connections():
    a = analyse_text(one_layer("conv: {out: 1, kernel: 3}", "[20, 16, 16]"))
    assert a.rows[0].connections == 180


def test_seed003_alexnet_conv1_without_weight_sharing_105_705_600():
    a = analyse_spec("alexnet")
    conv1 = a.row("conv1")
    assert conv1.out_shape.numel == 55 * 55 * 96 == 290_400
    assert conv1.connections + 1 == 364
    assert conv1.unshared_params == 105_705_600


def test_seed002_lenet_volumes():
    a = analyse_spec("lenet5")
    seen = [shape(r) for r in a.rows if r.kind in ("conv", "avgpool")]
    assert seen == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]
    assert [int(r.out_shape.c) for r in a.rows if r.kind == "linear"] == [84, 10]


def test_seed002_alexnet_55x55x96_then_27x27x96():
    a = analyse_spec("alexnet")
    assert shape(a.row("conv1")) == (96, 55, 55)
    assert formula_text(a.row("conv1").formulas[0]) == "(227 − 11 + 2·0)/4 + 1 = 55"
    assert shape(a.row("pool1")) == (96, 27, 27)
    assert formula_text(a.row("pool1").formulas[0]) == "(55 − 3 + 2·0)/2 + 1 = 27"


def test_seed003_alexnet_62_3_million_parameters():
    a = analyse_spec("alexnet")
    assert a.totals.params == 62_378_344
    assert int(a.totals.params) // 100_000 == 623  # "62.3 million"
    from archcalc.render.numbers import short
    assert short(a.totals.params) == "62.38 M"


def test_seed004_three_5x5x3_filters_on_32x32x3_give_28x28x3():
    a = analyse_text(one_layer("conv: {out: 3, kernel: 5}", "[3, 32, 32]"))
    assert shape(a.rows[0]) == (3, 28, 28)


def test_seed003_global_pooling_gives_1x1xC():
    a = analyse_text(one_layer("global_avgpool", "[512, 7, 7]"))
    assert shape(a.rows[0]) == (512, 1, 1)


def test_seed003_pooling_formula_w1_minus_f_over_s_plus_1():
    a = analyse_text(one_layer("maxpool: {kernel: 2, stride: 2}", "[64, 224, 224]"))
    assert shape(a.rows[0]) == (64, 112, 112)
    assert a.rows[0].trainable == 0


def test_seed001_vgg_three_stacked_3x3_have_fewer_weights_than_one_7x7():
    three = analyse_text("""
        archcalc: 1
        name: three 3x3
        input: [64, 32, 32]
        layers:
          - conv: {out: 64, kernel: 3, padding: 1, bias: false}
          - conv: {out: 64, kernel: 3, padding: 1, bias: false}
          - conv: {out: 64, kernel: 3, padding: 1, bias: false}
        """)
    one = analyse_text(one_layer("conv: {out: 64, kernel: 7, padding: 3, bias: false}",
                                 "[64, 32, 32]"))
    assert three.totals.params == 3 * 9 * 64 * 64 < one.totals.params == 49 * 64 * 64


def test_symbolic_alexnet_conv1_formula():
    spec = parse_file(SPECS / "alexnet.yaml")
    a = analyze(build_graph(spec), {"classes": 1000})  # H and W stay symbols
    assert formula_text(a.row("conv1").formulas[0]) == "(H − 11 + 2·0)/4 + 1 = (H − 7)/4"
    assert a.row("conv1").out_shape.dims[0] == (sp.Symbol("H", integer=True, positive=True) - 7) / 4
