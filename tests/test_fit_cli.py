"""`archcalc fit` and `sweep` on the command line: README's worked examples, word for word,
the budget language (numbers, units, mistakes at their column), and the sweep's formats."""

from __future__ import annotations

import json
import re
import shlex
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from archcalc.cli import main
from archcalc.errors import SpecError
from archcalc.fit.constraints import parse_constraints

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_examples():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Sizing to a budget")[1].split("\n## ")[0]
    out = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for cmd in re.split(r"^\$ ", block, flags=re.M)[1:]:
            line, _, expect = cmd.partition("\n")
            out.append((line, expect))
    return out


@pytest.mark.parametrize("line,expect", readme_examples())
def test_readme_examples(line, expect):
    args = shlex.split(line)
    assert args[0] == "archcalc"
    r = CliRunner().invoke(main, args[1:])
    assert r.exit_code == 0, r.output
    assert r.stdout == expect


def test_readme_names_the_answers():
    text = README.read_text(encoding="utf-8")
    for answer in ("is H = W = 344", "is batch = 1953", "d3 = 9", "growth = 36",
                   "width_mult = 1.23 (4,994,504 parameters; 1.24 has 5,027,944"):
        assert answer in text
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "d3", "params <= 30e6"])
    assert "the largest d3 with params <= 30e6 is d3 = 9" in r.stdout
    r = CliRunner().invoke(main, ["fit", "densenet121", "--solve", "growth",
                                  "params <= 10M and macs <= 4G"])
    assert "is growth = 36" in r.stdout and "growth = 37 does not fit" in r.stdout


@pytest.mark.parametrize("text,value", [
    ("params <= 5e6", 5 * 10**6), ("macs<10G", 10**10), ("train_memory <= 80GiB", 80 * 2**30),
    ("memory <= 1.5MiB", 3 * 2**19), ("params <= 10_000", 10**4), ("flops <= 2.5e9", 25 * 10**8),
    ("5M >= params", 5 * 10**6), ("params <= 512B", 512), ("params <= 1k", 1000)])
def test_numbers_are_exact(text, value):
    (c,) = parse_constraints([text])
    assert c.bound == Fraction(value)
    assert c.op in ("<=", "<")  # `5M >= params` is `params <= 5M`


def test_and_joins_clauses():
    cs = parse_constraints(["params <= 5e6 and macs < 1G", "layer4.H >= 7"])
    assert [(c.figure, c.op, c.loc.line, c.loc.column) for c in cs] == [
        ("params", "<=", 1, 1), ("macs", "<", 1, 19), ("layer4.H", ">=", 2, 1)]


@pytest.mark.parametrize("text,column,message", [
    ("params <= 5e6 nd macs", 15, "expected `and` or the end, found 'nd macs'"),
    ("params = 5", 8, "expected a comparison"),
    ("params <= 5Q", 12, "unknown unit 'Q'"),
    ("params <= ", 11, "expected a number"),
    ("<= 5", 1, "expected a figure"),
    ("params <= 1e99999", 12, "exponent out of range"),
    ("params <= 5e", 12, "an exponent needs digits"),
    ("params <= 5 or macs <= 1", 13, "expected `and`")])
def test_mistakes_point_at_their_column(text, column, message):
    with pytest.raises(SpecError) as e:
        parse_constraints([text])
    d = e.value.diagnostics[0]
    assert d.loc.column == column and message in d.message


def test_cli_errors():
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "H", "parms <= 5e6"])
    assert r.exit_code == 2 and "unknown figure 'parms'" in r.stderr
    assert "1 | parms <= 5e6" in r.stderr and "did you mean 'params'?" in r.stderr
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "Hx", "params <= 5e6"])
    assert r.exit_code == 2 and "no symbol 'Hx'" in r.stderr and "'H'" in r.stderr
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "H", "params <= 1e6"])
    assert r.exit_code == 1 and "params <= 1e6 fails first" in r.stdout


def test_sweep_formats_agree():
    args = ["sweep", "resnet18", "H=60..68:4", "--budget", "layer4.H >= 3"]
    rows = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).stdout)["rows"]
    assert [(r["H"], r["layer4.H"], r["meets"]) for r in rows] == [
        (60, 2, "no"), (64, 2, "no"), (68, 3, "yes")]
    csv = CliRunner().invoke(main, [*args, "--format", "csv"]).stdout.splitlines()
    assert csv[0] == "H,valid,params,macs,flops,activations,train_memory,layer4.H,meets"
    assert csv[3].startswith("68,yes,11689512,")


def test_sweep_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "s.png"
    r = CliRunner().invoke(main, ["sweep", "resnet18", "H=32..256:32", "W=112..224:112",
                                  "--budget", "macs <= 1G", "--plot", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_fraction_symbol_is_solved_on_a_decimal_grid():
    """The widest MobileNetV2 under 5 M parameters: width_mult on a grid of 0.01 (README).
    torchvision.models.mobilenet_v2(width_mult=1.23) has 4,994,504 parameters and 1.24
    5,027,944 (tests/test_torchvision_oracle.py compares the spec at other widths)."""
    r = CliRunner().invoke(main, ["fit", "mobilenet_v2", "--solve", "width_mult",
                                  "--range", "1.1..1.3", "params <= 5e6"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == ("MobileNet v2: the largest width_mult with params <= 5e6 is "
                        "width_mult = 1.23")
    assert "width_mult = 1.24 (the next valid value) fails: params = 5,027,944" in lines[2]
    assert "searched width_mult = 1.1..1.3" in lines[3]
    r = CliRunner().invoke(main, ["fit", "mobilenet_v2", "--solve", "width_mult", "--step",
                                  "0.1", "--range", "1..1.5", "params <= 5e6"])
    assert "is width_mult = 1.2\n" in r.stdout and "width_mult = 1.3 (the next" in r.stdout


@pytest.mark.parametrize("args,message", [
    (["--step", "0"], "--step 0: from 0.000001 to 1000"),
    (["--step", "1e-3"], "--step 1e-3: a decimal, a number like 3, 224 or 1.25"),
    (["--range", "1.5..1"], "--range 1.5..1: LO..HI with 0 < LO ≤ HI")])
def test_fit_refuses_a_bad_grid(args, message):
    r = CliRunner().invoke(main, ["fit", "mobilenet_v2", "--solve", "width_mult", *args,
                                  "params <= 5e6"])
    assert r.exit_code == 2 and message in r.output


def test_a_sweep_over_decimals():
    r = CliRunner().invoke(main, ["sweep", "mobilenet_v2", "width_mult=0.5..1:0.5",
                                  "--figures", "params", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1:3] == ["0.5,yes,1968680", "1,yes,3504872"]


def test_fit_json_follows_its_schema_and_says_everything():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((README.parent / "docs" / "fit.schema.json").read_text())
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "H,W", "macs <= 10e9",
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert doc["schema"] == "archcalc.fit/1" and doc["found"] and doc["goal"] == "max"
    assert doc["answer"]["value"] == 344 and doc["answer"]["figures"]["macs"] == 9882119168
    assert doc["next"]["value"] == 345 and doc["next"]["fails"] == ["macs <= 10e9"]
    assert doc["next"]["figures"]["macs"] == 10041914048
    assert doc["constraints"] == [{"text": "macs <= 10e9", "figure": "macs", "op": "<=",
                                   "bound": 10**10}]
    assert doc["searched"]["low"] == 1 and doc["searched"]["high"] == 512
    assert doc["searched"]["from"] == "high" and doc["searched"]["values"] == 169
    # none fits: the failing clause, the nearest value; exit 1
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "H", "params <= 1e6",
                                  "macs <= 1e12", "--format", "json"])
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert r.exit_code == 1 and not doc["found"] and doc["answer"] is None
    assert doc["fails_first"] == "params <= 1e6" and doc["closest"]["fails"] == ["params <= 1e6"]
    # a fraction symbol's values are exact decimals, as strings; the not-monotone figures
    r = CliRunner().invoke(main, ["fit", "mobilenet_v2", "--solve", "width_mult", "--range",
                                  "1.1..1.3", "params <= 5e6", "--format", "json"])
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert doc["answer"]["value"] == "1.23" and doc["next"]["value"] == "1.24"
    assert doc["answer"]["figures"]["params"] == 4994504
    assert doc["next"]["figures"]["params"] == 5027944
    assert doc["searched"]["mode"] == "formula" and doc["not_monotone"] == []


def test_fit_markdown():
    r = CliRunner().invoke(main, ["fit", "resnet50", "--solve", "H,W", "macs <= 10e9",
                                  "--format", "markdown"])
    lines = r.stdout.splitlines()
    assert lines[0] == "## ResNet-50: the largest H = W with `macs <= 10e9`"
    assert "| figure | H = W = 344 (answer) | H = W = 345 (next) |" in lines
    assert ("| macs | 9,882,119,168 (9.88 G) | 10,041,914,048 (10.04 G) ✗ (not <= "
            "10,000,000,000) |") in lines
