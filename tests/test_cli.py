"""`archcalc check` as a user runs it: formats, bindings, exit codes, plain output."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import jsonschema
import pytest
from helpers import DATA, ROOT, SPECS

from archcalc.render.json_out import SCHEMA


def test_table_by_default(cli):
    result = cli("check", SPECS / "alexnet.yaml")
    assert result.exit_code == 0
    out = result.stdout
    assert "(227 − 11 + 2·0)/4 + 1 = 55" in out and "96×55×55" in out
    assert "62,378,344 (62.38 M)" in out
    assert "FLOPs = 2 × MACs" in out  # the convention is stated in every report
    assert "H ≡ 3 (mod 32), H ≥ 67; smallest 67; H = 227 fits — likewise W" in out
    assert "\x1b[" not in out  # not a terminal: plain text


def test_builtin_spec_by_name(cli):
    result = cli("check", "lenet5")
    assert result.exit_code == 0 and "61,706" in result.stdout


def test_json_is_stable_and_exact(cli):
    result = cli("check", SPECS / "vgg16.yaml", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["schema"] == SCHEMA and doc["ok"] is True
    assert doc["totals"]["params"]["total"] == 138_357_544
    assert doc["totals"]["macs"] == 15_470_264_320
    assert doc["totals"]["flops"] == 2 * 15_470_264_320
    first = doc["layers"][0]
    assert first["output_shape"] == [64, 224, 224] and first["line"] > 0
    assert doc["valid_inputs"][0]["text"] == "H ≡ 0 (mod 32), H ≥ 32"
    jsonschema.validate(doc, json.loads((SPECS.parent / "docs" / "check.schema.json")
                                        .read_text()))


def test_json_on_invalid_spec_carries_findings(cli):
    result = cli("check", DATA / "invalid" / "seed003_stride.yaml", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    (f,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert f["code"] == "non-integer-size" and f["line"] == 6 and "4.5" in f["message"]


def test_markdown_and_csv(cli):
    md = cli("check", "lenet5", "--format", "markdown").stdout
    assert md.startswith("## LeNet-5") and "| conv1 | conv | 6×28×28 |" in md
    rows = list(csv.DictReader(io.StringIO(cli("check", "lenet5", "--format", "csv").stdout)))
    assert rows[0]["layer"] == "conv1" and rows[0]["params"] == "156"
    assert sum(int(r["MACs"]) for r in rows) == 416_520


def test_symbolic_formulas_and_set(cli):
    sym = cli("check", "alexnet", "--symbolic").stdout
    assert "(H − 7)/4" in sym and "Symbolic in H, W" in sym
    bound = cli("check", "alexnet", "--symbolic", "--set", "H=259", "W=259").stdout
    assert "96×63×63" in bound


def test_set_to_a_size_that_does_not_fit(cli):
    result = cli("check", "alexnet", "H=224", "W=224")
    assert result.exit_code == 1
    assert "the nearest sizes that do are 195 and 227" in result.stderr


def test_explain_shows_the_unshared_count(cli):
    out = cli("check", "alexnet", "--explain").stdout
    assert "105,705,600" in out and "363" in out


def test_convention_macs(cli):
    doc = json.loads(cli("check", "lenet5", "--format", "json", "--convention", "macs").stdout)
    assert doc["totals"]["flops"] == doc["totals"]["macs"] == 416_520


def test_warning_only_exits_0(cli):
    # squeezenet1_1 declares `rounding: floor`: its stem loses an input row and column
    result = cli("check", "squeezenet1_1")
    assert result.exit_code == 0
    assert ": warning: conv1: H, W: ⌊(224 − 3 + 2·0)/2⌋ + 1 = 111" in result.stderr


def test_only_padding_unused_is_silent_and_lost_pixels_are_an_error(cli, tmp_path):
    """The default rule, `cover` (issue 12, item 1): a CIFAR ResNet's 3×3 stride-2 conv
    padded by 1 on 32 gives 16.5 → 16 with only padding unused — no error, no warning;
    the same conv unpadded loses a real row and column — an error, `rounding: floor` the
    first fix after another input size."""
    spec = tmp_path / "cifar.yaml"
    head = "archcalc: 1\nname: c\ninput: [3, 32, 32]\nlayers:\n"
    spec.write_text(head + "  - conv: {out: 16, kernel: 3, stride: 2, padding: 1}\n")
    result = cli("check", spec)
    assert result.exit_code == 0 and result.stderr == ""
    assert "⌊(32 − 3 + 2·1)/2⌋ + 1 = 16  (exact 16.5)" in result.stdout
    spec.write_text(head + "  - conv: {out: 16, kernel: 3, stride: 2}\n")
    result = cli("check", spec)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith("(32 − 3 + 2·0)/2 + 1 = 15.5 is not an integer — the windows do "
                             "not tile the input (W=32, F=3, S=2, P=0): the last 1 input "
                             "row(s)/column(s) are never covered; continuing with ⌊15.5⌋ = "
                             "15, as PyTorch would")
    assert lines[3].startswith("  hint: an input of 31")
    assert lines[4].startswith("  hint: declare `rounding: floor`")
    spec.write_text(head.replace("name: c", "name: c\nrounding: exact")
                    + "  - conv: {out: 16, kernel: 3, stride: 2, padding: 1}\n")
    assert cli("check", spec).exit_code == 1  # the seeds' literal rule, when asked for


def test_ops_lists_the_registry(cli):
    out = cli("ops").stdout
    assert "conv (also: conv1d, conv2d, conv3d, convolution)" in out
    assert "nn.Conv1d / nn.Conv2d / nn.Conv3d" in out
    assert "padding_mode: choice [zeros|reflect|replicate|circular], default zeros" in out


def test_help_lists_layer_kinds(cli):
    assert "adaptive_avgpool" in cli("--help").stdout


def test_usage_errors_exit_2(cli):
    assert cli("check").exit_code == 2
    assert cli("check", "lenet5", "--format", "xml").exit_code == 2
    assert cli("check", "lenet5", "H").exit_code == 2


def test_no_color_in_a_terminal(tmp_path):
    """Under a pseudo-terminal rich colours the report unless NO_COLOR is set."""
    pty = pytest.importorskip("pty")
    import os

    def run(env):
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - child
            os.environ.update(env)
            os.execv(sys.executable, [sys.executable, "-m", "archcalc", "check",
                                      str(DATA / "invalid" / "seed003_stride.yaml")])
        chunks = []
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode()

    # no-color.org forbids colour, not emphasis: look for SGR colour codes (30–38, 90–97).
    colour = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")
    assert colour.search(run({"TERM": "xterm-256color", "COLUMNS": "200"}))
    assert not colour.search(run({"TERM": "xterm-256color", "COLUMNS": "200", "NO_COLOR": "1"}))


def test_a_piped_table_is_coloured_only_where_rich_would_colour_it():
    """Piped, the table is plain text written without rich's console; FORCE_COLOR or
    TTY_COMPATIBLE=1 make rich treat the pipe as a terminal, and the table then comes
    through rich with its styles, as it always did (TTY_COMPATIBLE=0 overrides both)."""
    import os

    def table(**extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
        out = subprocess.run([sys.executable, "-m", "archcalc", "check", "lenet5"],
                             capture_output=True, text=True, env={**env, **extra})
        assert out.returncode == 0, out.stderr
        return out.stdout

    plain = table()
    assert "\x1b[" not in plain and plain.splitlines()[1].startswith("=====")
    for extra in ({"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}):
        drawn = table(**extra)
        assert "\x1b[1m" in drawn and "━━━━━" in drawn  # bold header, a terminal's rules
    assert table(FORCE_COLOR="") == plain
    assert table(TTY_COMPATIBLE="0", FORCE_COLOR="1") == plain


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "archcalc", "check", "lenet5"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "416,520" in out.stdout


def test_markup_in_a_spec_name_is_shown_as_written(cli, tmp_path):
    """rich would parse `[/b]` as a closing tag (MarkupError) and `[link=…]` as a link."""
    name = "[/b] [link=file:///etc/passwd]x[/link] [red]"
    spec = tmp_path / "m.yaml"
    spec.write_text(f'archcalc: 1\nname: "{name}"\ninput: [1, 32, 32]\n'
                    "layers: [{conv: {out: 6, kernel: 5}}, relu, flatten, {fc: 10}]\n")
    result = cli("check", spec)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(f"{name} — input 1×32×32")


def test_memory_lines_give_each_term_its_own_number(cli):
    result = cli("check", "resnet50", "--batch", "256", "--dtype", "bf16", "--optimizer", "adam")
    text = " ".join(result.stdout.split())
    assert ("Training footprint with Adam (2× params): 11,611,274,880 B (10.81 GiB) = "
            "parameters and buffers 102,440,608 B (97.69 MiB) + gradients 102,228,128 B "
            "(97.49 MiB) + optimizer state 204,456,256 B (194.98 MiB) + saved for backward "
            "11,202,149,888 B (10.43 GiB)") in text
    assert ("every layer's output of one forward pass, if all were kept at once, "
            "18,459,906,048 B (17.19 GiB) (an upper bound") in text


def test_ops_shows_the_kinds_named(cli):
    result = cli("ops", "conv", "fc")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("conv (also: conv1d, conv2d, conv3d, convolution) — convolution")
    assert any(line.startswith("linear (also: fc, dense") for line in lines)
    assert not any(line.startswith("relu") for line in lines)
    result = cli("ops", "conf")
    assert result.exit_code == 2
    assert result.stderr == "error: no layer kind 'conf'; did you mean 'conv'?\n"


def test_check_reads_standard_input():
    from click.testing import CliRunner

    from archcalc.cli import main

    text = (SPECS / "lenet5.yaml").read_text()
    result = CliRunner().invoke(main, ["check", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"]["trainable"] == 61706
    result = CliRunner().invoke(main, ["check", "-"], input="archcalc: 1\nname: [\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("<stdin>:3:1: error: malformed YAML")


def test_the_first_example_of_the_spec_reference_checks(cli, tmp_path):
    text = (ROOT / "docs" / "spec.md").read_text().split("```yaml", 1)[1].split("```", 1)[0]
    spec = tmp_path / "first.yaml"
    spec.write_text(text)
    assert cli("check", spec).exit_code == 0


def test_control_characters_in_names_never_reach_the_terminal(cli, tmp_path):
    spec = tmp_path / "e\x1b]0;pwned\x07.yaml"
    spec.write_text('archcalc: 1\nname: "\\x1b[31mRED\\x1b[0m"\ninput: [3, 8, 8]\n'
                    "layers: [{conv: {out: 4, kernel: 3, stride: 2}}]\n")
    result = cli("check", spec)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stderr
    assert result.stdout.startswith("\\x1b[31mRED\\x1b[0m — input 3×8×8")
    assert "e\\x1b]0;pwned\\x07.yaml:4:45: error: conv1" in result.stderr
