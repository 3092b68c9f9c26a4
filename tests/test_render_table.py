"""`archcalc check`'s table at ordinary widths (issue 12, item 11) and its renderer.

The CLI runs under click's CliRunner, whose stdout is not a terminal: the table is plain
text, 100 columns wide unless COLUMNS or --width says otherwise. The terminal path is
drawn on a rich Console that is told it is one.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from helpers import DATA
from rich.console import Console

from archcalc import specs
from archcalc.design import Design
from archcalc.render.columns import parse_keys
from archcalc.render.table import render_table
from archcalc.spec import parse_file

ESC = re.compile(r"\x1b\[[0-9;]*m")


def body(out: str) -> list[str]:
    """The table's rows: the lines between its two `-` rules."""
    lines = out.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
    return lines[rules[0] + 1:rules[1]]


def table_part(out: str) -> list[str]:
    """The title, rules, header, rows and total of a report (its first `=` rule to its
    last), without the notes and summary under it."""
    lines = out.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    return lines[:rules[-1] + 1]


@pytest.mark.parametrize("spec,args", [("alexnet", ()), ("resnet18", ()), ("googlenet", ()),
                                       ("alexnet", ("--symbolic",)),
                                       ("alexnet", ("--explain",)),
                                       ("unet", ("--symbolic", "--explain"))])
def test_piped_output_is_plain_text_100_columns_wide(cli, spec, args):
    """It was a fixed ~200-column ASCII box (`+---+`, `|`) whatever the reader."""
    out = cli("check", spec, *args).stdout
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "|" not in out and "+--" not in out and "\x1b[" not in out


def test_the_terminal_width_is_fitted_and_no_cell_wraps(cli):
    """At 120 columns the size arithmetic wrapped over three lines a layer."""
    out = cli("check", "alexnet", env={"COLUMNS": "120"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 120
    conv1 = [line for line in out.splitlines() if line.startswith("conv1 ")]
    assert len(conv1) == 1 and "(227 − 11 + 2·0)/4 + 1 = 55" in conv1[0]
    assert "34,944" in conv1[0] and "105,415,200" in conv1[0]  # one line holds the row
    for line in body(out):  # every row is one line: a layer's name begins each
        assert not line.startswith(" ")  # no continuation line of a wrapped cell


def test_what_does_not_fit_is_named_with_the_width_that_shows_it(cli):
    out = cli("check", "alexnet").stdout
    note = re.search(r"Left out to fit 100 columns: (.*) \(all need (\d+): --width \2; "
                     r"--columns chooses\)", " ".join(out.split()))
    assert note and "FLOPs" in note[1]
    assert "FLOPs" not in table_part(out)[2] + table_part(out)[3]
    wide = cli("check", "alexnet", "--width", note[2]).stdout
    assert "Left out" not in wide and "2,270,512,192" in table_part(wide)[-2]
    assert max(len(line) for line in table_part(wide)) == int(note[2])


def test_symbolic_formulas_are_whole_and_in_the_seeds_notation(cli):
    """--symbolic wrapped mid-formula, and the flatten row printed sympy's
    `(30*H - 840)*(W/4 - 7)` beside `·` and `−` everywhere else."""
    out = cli("check", "lenet5", "--symbolic", "--columns", "arithmetic,output").stdout
    flatten = next(line for line in out.splitlines() if line.startswith("flatten1"))
    assert "120×((H − 28)/4)×((W − 28)/4) = 15·(H − 28)·(W − 28)/2" in flatten
    resnet = cli("check", "resnet18", "--symbolic", "--columns", "arithmetic").stdout
    assert "⌊((floor(H/4 − 1/4) + 1) − 1)/2⌋ + 1 = floor(H/8 − 1/8) + 1" in resnet
    for text in (out, resnet, cli("check", "alexnet", "--symbolic").stdout):
        assert "*" not in text and " - " not in text


def test_explain_headers_break_between_words_and_have_a_legend(cli):
    """--explain broke a header mid-word, and nothing said what its columns mean."""
    out = cli("check", "alexnet", "--explain", "--width", "100").stdout
    head = table_part(out)[2:table_part(out).index("-" * len(table_part(out)[1]))]
    words = {w for h in ("layer", "type", "output (C×H×W)", "params", "MACs",
                         "connections/neuron", "params w/o sharing",
                         "params if fully connected", "receptive field")
             for w in [*h.split(), *re.split(r"(?<=/)|\s+", h)]}
    assert len(head) > 1 and set(" ".join(head).split()) <= words  # whole words only
    text = " ".join(out.split())
    assert "connections/neuron: the inputs each output unit is wired to" in text
    assert "params w/o sharing: the layer with its own filter" in text
    assert "params if fully connected: every input wired to every output unit" in text
    assert "105,705,600" in out and "363" in out


def test_marks_show_only_where_a_row_has_one_and_are_explained(cli):
    """An empty mark column sat before every valid row; ✗ and ! were never explained."""
    ok = cli("check", "alexnet").stdout
    assert body(ok)[0].startswith("conv1 ") and "Marks:" not in ok
    bad = cli("check", DATA / "invalid" / "seed003_stride.yaml").stdout
    assert any(line.startswith("✗ conv1") for line in bad.splitlines())
    assert "Marks: ✗ does not fit (an error)" in " ".join(bad.split())
    warned = cli("check", "squeezenet1_1").stdout
    assert any(line.startswith("! conv1") for line in warned.splitlines())
    assert "! a warning" in warned and "✗" not in warned
    assert all(line[:2] in ("! ", "  ") for line in body(warned))  # names line up


def test_depth_keeps_the_rows_nested_at_most_n_deep(cli):
    """ResNet-152's tree was 628 lines with no way to show less (torchinfo's depth=)."""
    full = cli("check", "resnet152").stdout
    one = cli("check", "resnet152", "--depth", "1").stdout
    rows = body(one)
    assert len(rows) == 4 + 4 + (3 + 8 + 36 + 3) + 3  # stem, stages, their blocks, head
    assert all(not line.startswith("    ") for line in rows)  # no layer inside a block
    assert "  [35]" in one and "60,192,808" in one  # totals unchanged
    assert "Rows nested deeper than 1 are summed into their block's row" in " ".join(
        one.split())
    assert len(full.splitlines()) > 600 and "    conv1" in full
    collapse = cli("check", "resnet152", "--collapse").stdout
    assert collapse == cli("check", "resnet152", "--depth", "0").stdout
    assert "[0]" not in "".join(body(collapse))


def test_columns_chooses_and_orders_them(cli):
    out = cli("check", "alexnet", "--columns", "macs, params", "--columns", "RECEPTIVE").stdout
    assert table_part(out)[2].split() == ["receptive"]
    assert table_part(out)[3].split() == ["layer", "MACs", "params", "field"]
    conv1 = next(line for line in out.splitlines() if line.startswith("conv1"))
    assert conv1.split() == ["conv1", "105,415,200", "34,944", "11"]
    md = cli("check", "lenet5", "--format", "markdown", "--columns", "params").stdout
    assert "| layer | params |" in md and "| conv1 | 156 |" in md
    csv = cli("check", "lenet5", "--format", "csv", "--columns", "output").stdout
    assert csv.splitlines()[:2] == ["layer,output (C×H×W),status,line", "conv1,6×28×28,ok,13"]


def test_columns_chosen_all_show_whatever_the_width(cli):
    out = cli("check", "alexnet", "--columns", "arithmetic,params,macs,flops,activations,"
              "receptive,output,type", "--width", "60").stdout
    assert "Left out" not in out and "2,270,512,192" in out


@pytest.mark.parametrize("args,message", [
    (("--columns", "makcs"), "--columns: no column 'makcs'; did you mean 'macs'?"),
    (("--format", "json", "--depth", "1"), "--depth shapes the table; --format json"),
    (("--format", "json", "--columns", "params"), "--columns shapes the table"),
    (("--format", "csv", "--width", "80"), "--width shapes the table; --format csv"),
    (("--collapse", "--depth", "2"), "--collapse is --depth 0"),
    (("--width", "5"), "5 is not in the range 20<=x<=10000"),
])
def test_table_options_misused_exit_2(cli, args, message):
    result = cli("check", "lenet5", *args)
    assert result.exit_code == 2 and message in " ".join(result.stderr.split())


def test_connected_to_names_a_merges_inputs(cli):
    """Keras's "Connected to": where the graph is not a chain, one input a line."""
    lines = cli("check", "resnet18", "--columns", "connected").stdout.splitlines()
    add = next(i for i, line in enumerate(lines) if line.startswith("    add1"))
    assert lines[add].split() == ["add1", "bn2"] and lines[add + 1].split() == ["shortcut1"]
    shortcut = next(line for line in lines if line.startswith("    shortcut1"))
    assert shortcut.split() == ["shortcut1", "pool1"]  # the branch starts before the block
    assert next(line for line in lines if line.startswith("    conv2")).split() == ["conv2"]
    assert "connected to" not in cli("check", "alexnet", "--width", "300").stdout  # a chain


def analysis(name: str):
    return Design(parse_file(specs.path(name)), {}).analysis


def test_a_terminal_gets_the_same_lines_with_each_rows_colour():
    a = Design(parse_file(DATA / "invalid" / "seed003_stride.yaml"), {}).analysis
    colour = Console(file=io.StringIO(), width=120, force_terminal=True,
                     color_system="truecolor")
    plain = Console(file=io.StringIO(), width=120)
    render_table(a, colour)
    render_table(a, plain, width=120)
    drawn = colour.file.getvalue()
    assert "\x1b[1;31m✗ conv1" in drawn  # an error's row in bold red
    rules = str.maketrans("━─", "=-")
    assert ESC.sub("", drawn).translate(rules) == plain.file.getvalue()


def test_the_table_is_drawn_without_richs_table():
    """rich's Table measured and wrapped every cell: 0.7 s of ResNet-152's 2 s check
    (bench/table_speed.py times both)."""
    code = ("import io, sys; from archcalc import specs; from archcalc.design import Design;"
            "from archcalc.spec import parse_file; from rich.console import Console;"
            "from archcalc.render.table import render_table;"
            "a = Design(parse_file(specs.path('resnet18')), {}).analysis;"
            "render_table(a, Console(file=io.StringIO(), force_terminal=True));"
            "print('rich.table' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_parse_keys_puts_the_layer_first_once():
    assert parse_keys(("params,layer", "MACs,params")) == ["layer", "params", "macs"]
    with pytest.raises(ValueError, match="no column 'size'"):
        parse_keys(("size",))
