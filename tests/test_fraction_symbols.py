"""Fraction symbols: a symbol declared with a decimal (`width_mult: 1.0`) takes positive
decimals, exactly (1.1 is 11/10), from `--set`, a Design's bindings and its own default —
the width and depth coefficients of EfficientNet, MobileNet and MnasNet, bound on the
command line. Whole-number symbols (sizes, counts) stay whole."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest
import sympy as sp

from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.spec import parse_text

SCALED = textwrap.dedent("""\
    archcalc: 1
    name: scaled
    input: [3, H, W]
    symbols:
      H: 32
      W: 32
      width: 1.0
      depth: {default: 1.0, min: 0.5, max: 4}
    blocks:
      stage:
        args: {c: ~, n: ~}
        layers:
          - conv: {out: "make_divisible(c * width, 8)", kernel: 3, padding: 1, repeat: "ceil(n * depth)"}
    layers:
      - stage: {c: 32, n: 2}
      - global_avgpool
      - flatten
      - fc: 10
    """)


def convs(d: Design) -> list[tuple[str, int]]:
    return [(r.name, int(r.out_shape.c)) for r in d.analysis.rows if r.kind == "conv"]


def test_a_decimal_default_makes_a_fraction_symbol_and_an_integer_does_not():
    spec = parse_text(SCALED)
    width, h = spec.symbol_decl("width"), spec.symbol_decl("H")
    assert width.fraction and not h.fraction
    assert width.sym.is_rational and width.sym.is_integer is None
    assert h.sym.is_integer
    # floor(32·w) is not 32·w: the width is no whole number
    assert sp.floor(32 * width.sym) != 32 * width.sym


def test_bound_values_are_exact_decimals():
    d = Design(parse_text(SCALED), {"width": 1.4, "depth": 1.2})
    # make_divisible(44.8, 8) = 48; ⌈2 · 1.2⌉ = 3 copies
    assert convs(d) == [("stage1.conv1.0", 48), ("stage1.conv1.1", 48),
                        ("stage1.conv1.2", 48)]
    assert dict(d.bindings) == {"width": 1.4, "depth": 1.2}
    # ⌈10 · 0.7⌉ is 7 exactly (in floats, 10 * 0.7 is 7.000000000000001 and ceil gives 8)
    spec = parse_text(SCALED.replace("ceil(n * depth)", "ceil(5 * n * depth)"))
    assert len(convs(Design(spec, {"depth": 0.7}))) == 7


def test_the_default_is_the_decimal_as_written():
    d = Design(parse_text(SCALED))
    assert convs(d) == [("stage1.conv1.0", 32), ("stage1.conv1.1", 32)]
    assert d.analysis.bindings == (("H", 32), ("W", 32), ("depth", 1.0), ("width", 1.0))


@pytest.mark.parametrize("name, value, message", [
    ("width", 0.0, "width = 0.0: a symbol's value is positive"),
    ("width", -1.5, "width = -1.5: a symbol's value is positive"),
    ("width", 1e-30, "width = 1e-30: the number 1e-30 is out of range: numbers in a spec "
                     "are at most 2^63 − 1 in magnitude"),
    ("width", float("inf"), "width = inf: a symbol's value is a whole number or a decimal"),
    ("width", "1.1", "width = '1.1': a symbol's value is a whole number or a decimal"),
    ("depth", 4.5, "depth = 4.5 is above its maximum 4"),
    ("depth", 0.25, "depth = 0.25 is below its minimum 0.5"),
    ("H", 32.5, "H = 32.5: a symbol's value is a whole number"),
])
def test_values_a_symbol_refuses(name, value, message):
    with pytest.raises(SpecError) as caught:
        Design(parse_text(SCALED), {name: value})
    assert caught.value.diagnostics[0].message == message


@pytest.mark.parametrize("symbols, message", [
    ("H: 32\n  W: 1.5", "input dim 2 is W, a fraction symbol (a decimal is written for it): "
                        "the input's sizes are whole numbers"),
    ("H: 32\n  W: 32\n  w: {default: 1.0, multiple_of: 2}",
     "symbol w is a fraction (a decimal is written for it): it takes no multiple_of"),
    ("H: 32\n  W: 32\n  w: {min: 2.5, max: 1.5}",
     "contradictory constraints: w has min 2.5 and max 1.5: no value is both"),
    ("H: 32\n  W: 32\n  w: -0.5", "symbol w must be positive, got -0.5"),
    ("H: 32\n  W: 32\n  w: 1e99", "symbol w: the number 1e99 is out of range: numbers in a "
                                  "spec are at most 2^63 − 1 in magnitude"),
])
def test_declarations_refused(symbols, message):
    text = ("archcalc: 1\nname: t\ninput: [3, H, W]\nsymbols:\n  " + symbols +
            "\nlayers: [{conv: {out: 8, kernel: 3}}]\n")
    with pytest.raises(SpecError) as caught:
        parse_text(text)
    assert caught.value.diagnostics[0].message == message


def test_a_fraction_where_a_whole_number_is_needed_says_the_arithmetic():
    spec = parse_text(SCALED.replace('"make_divisible(c * width, 8)"', "c * width"))
    d = Design(spec, {"width": 1.1}, lenient=False)
    assert not d.analysis.ok
    assert any("176/5" in f.headline() for f in d.analysis.findings)


def test_the_command_line_binds_decimals(cli):
    out = cli("check", "efficientnet_b0", "--set", "width_mult=1.1,depth_mult=1.2",
              "--set", "H=288", "W=288")
    assert out.exit_code == 0
    assert "Parameters: 9,109,994" in out.stdout  # torchvision's efficientnet_b2
    assert "depth_mult = 1.2" in out.stdout and "width_mult = 1.1" in out.stdout
    bad = cli("check", "efficientnet_b0", "--set", "H=224.5")
    assert bad.exit_code == 2 and "H = 224.5: a symbol's value is a whole number" in bad.output
    word = cli("check", "efficientnet_b0", "--set", "width_mult=wide")
    assert word.exit_code == 2
    assert "width_mult=wide: the value must be a whole number (or a decimal, for a fraction " \
           "symbol)" in word.output


def test_generated_source_puts_the_fraction_in(tmp_path):
    torch = pytest.importorskip("torch")
    from archcalc.reference import build
    from archcalc.reference.codegen import generate

    d = Design(parse_text(SCALED), {"width": 1.4, "depth": 1.2})
    source = generate(d)
    assert "width" not in source.split("class Scaled")[1].split("def forward")[0]
    path = tmp_path / "gen_scaled.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("gen_scaled", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.device("meta"):
        mine, reference = module.Scaled(), build(d)
    shapes = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == shapes
    assert shapes["stage1.conv1.2.weight"] == (48, 48, 3, 3)
