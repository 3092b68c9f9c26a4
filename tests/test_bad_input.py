"""Bad input, as fixtures beside the good specs: each file's first line says the error its
first diagnostic line must be (`# expect: line:col: error: …`), and the `# hint: …` lines
after it, hints it must give. Unreadable specs exit 2, invalid architectures exit 1, and
neither ever shows a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    return f"{path}:{first[len('# expect: '):]}"


def expected_hints(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [f"  hint: {line[len('# hint: '):]}" for line in lines if line.startswith("# hint: ")]


@pytest.mark.parametrize("path", sorted((DATA / "bad").glob("*.yaml")), ids=lambda p: p.stem)
def test_unreadable_spec_exits_2_with_file_line_column(cli, path):
    result = cli("check", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == expected(path)
    hints = [line for line in result.stderr.splitlines() if line.startswith("  hint: ")]
    assert set(expected_hints(path)) <= set(hints)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path", sorted((DATA / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_architecture_exits_1(cli, path):
    result = cli("check", path)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors[0] == expected(path)
    assert "Traceback" not in result.stderr


def test_error_shows_the_line_and_a_caret(cli):
    result = cli("check", DATA / "bad" / "unknown_arg.yaml")
    lines = result.stderr.splitlines()
    assert lines[1] == "   6 |   - conv: {out: 6, kernal: 5}"
    assert lines[2].index("^") == lines[1].index("kernal")
    assert lines[3] == "  hint: did you mean 'kernel'?"


def test_missing_file(cli):
    result = cli("check", "no/such/spec.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no spec file 'no/such/spec.yaml' and no built-in")


def test_missing_built_in_name_suggests_the_nearest(cli):
    result = cli("check", "resnet")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: no spec file 'resnet' and no built-in spec of that name",
        "  hint: did you mean 'resnet50' or 'resnet34' or 'resnet18'?"]


def test_unknown_symbol_on_command_line(cli):
    result = cli("check", "alexnet", "--set", "HH=224")
    assert result.exit_code == 2
    assert "did you mean 'H'?" in result.stderr


def test_constraint_violation_on_command_line(cli, tmp_path):
    spec = tmp_path / "c.yaml"
    spec.write_text("archcalc: 1\nname: c\ninput: [3, H, H]\nsymbols:\n"
                    "  H: {default: 64, multiple_of: 32}\nlayers: [relu]\n")
    result = cli("check", spec, "H=100")
    assert result.exit_code == 2
    assert "H = 100 is not a multiple of 32" in result.stderr


def test_every_unknown_key_of_a_layer_at_once_with_the_framework_hint(cli):
    result = cli("check", DATA / "bad" / "keras_names.yaml")
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("  hint:")] == [
        "  hint: `filters` is Keras's name; archcalc calls it `out`",
        "  hint: `kernel_size` is Keras's and PyTorch's name; archcalc calls it `kernel`",
        "  hint: archcalc writes an activation as its own layer: `- relu` (or gelu, silu, …) "
        "after this conv"]
    result = cli("check", DATA / "bad" / "pytorch_names.yaml")
    assert "  hint: archcalc never writes input channels or features (in_features): each " \
        "layer takes them from the layer before" in result.stderr.splitlines()
    assert "  hint: `out_features` is PyTorch's name; archcalc calls it `out`" in \
        result.stderr.splitlines()


def test_every_independent_mistake_is_reported_in_one_reading(cli):
    path = DATA / "bad" / "several_mistakes.yaml"
    result = cli("check", path)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"{path}:9:26: error: conv has no argument 'kernal'",
        f"{path}:12:12: error: conv has no argument 'filters'",
        f"{path}:14:5: error: unknown layer kind 'reul'",
        f"{path}:17:45: error: conv.stride must be positive, got -1"]


def test_the_errors_reported_are_bounded(cli, tmp_path):
    from archcalc.errors import MAX_ERRORS

    spec = tmp_path / "many.yaml"
    spec.write_text("archcalc: 1\nname: m\ninput: [3, 8, 8]\nlayers:\n" +
                    "  - reul\n" * (MAX_ERRORS * 50))
    result = cli("check", spec)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == MAX_ERRORS
    assert errors[-1].startswith(f"{spec}:{4 + MAX_ERRORS}:5: error: unknown layer kind")


def test_pooling_padding_over_half_the_window_is_said_once(cli):
    # One finding for both axes (it was printed once per axis, twice over).
    result = cli("check", DATA / "invalid" / "pool_padding.yaml")
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [expected(DATA / "invalid" / "pool_padding.yaml")]
    assert result.stderr.count("hint: use padding ≤ 1") == 1


def test_pooling_padding_over_half_the_window_names_the_axes_that_differ(cli, tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("archcalc: 1\nname: p\ninput: [3, 16, 16]\nlayers:\n"
                    "  - maxpool: {kernel: [3, 5], padding: [2, 3]}\n")
    errors = [line for line in cli("check", spec).stderr.splitlines() if ": error: " in line]
    assert [e.split(": error: ")[1] for e in errors] == [
        "pool1: H: pooling padding 2 is more than half the window (3): PyTorch refuses it",
        "pool1: W: pooling padding 3 is more than half the window (5): PyTorch refuses it"]


def test_a_misspelt_from_is_offered_only_layers_before_it(cli, tmp_path):
    # `bodyx` is closer to body2/body3, written after the add (reading one would be a
    # cycle: they read the add); the suggestion is the one layer it can read.
    spec = tmp_path / "f.yaml"
    spec.write_text("archcalc: 1\nname: f\ninput: [3, 32, 32]\nlayers:\n"
                    "  - conv: {out: 8, kernel: 3, padding: 1, name: stem}\n"
                    "  - conv: {out: 8, kernel: 3, padding: 1, name: bodyA}\n"
                    "  - add: {from: [bodyA, bodyx], name: body1}\n"
                    "  - conv: {out: 8, kernel: 3, padding: 1, name: body2}\n"
                    "  - conv: {out: 8, kernel: 3, padding: 1, name: body3}\n")
    lines = cli("check", spec).stderr.splitlines()
    assert lines[0].endswith("error: `from: bodyx` names no layer here")
    assert lines[3] == "  hint: did you mean 'bodyA'?"
    spec.write_text(spec.read_text().replace("bodyA", "zz"))  # nothing close: the list
    lines = cli("check", spec).stderr.splitlines()
    assert lines[3] == "  hint: layers here: stem, zz"


def test_a_misspelt_from_in_a_block_is_offered_its_earlier_layers_and_the_outer_ones(
        cli, tmp_path):
    spec = tmp_path / "f.yaml"
    spec.write_text("archcalc: 1\nname: f\ninput: [3, 32, 32]\nblocks:\n  b:\n    layers:\n"
                    "      - conv: {out: 8, kernel: 3, padding: 1, name: qa}\n"
                    "      - add: {from: [qa, qq]}\n"
                    "      - conv: {out: 8, kernel: 3, padding: 1, name: qb}\n"
                    "layers:\n  - conv: {out: 8, kernel: 3, padding: 1, name: pp}\n"
                    "  - b: {name: blk}\n  - conv: {out: 8, kernel: 3, padding: 1, name: qc}\n")
    lines = cli("check", spec).stderr.splitlines()
    assert lines[3] == "  hint: layers here: pp, qa"
