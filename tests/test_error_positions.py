"""The PyTorch side's errors are diagnostics: `compile`, `verify` and `train` print them as
`check` does — `file:line:col: error: …` with the spec's line and a caret where the spec
has the place, `error: …` where honestly there is none (a data file, an option) — and exit
with the status of the error's class: 1 for an architecture that is invalid or cannot be
expressed, 2 for what the command must be given."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from helpers import DATA, SPECS

torch = pytest.importorskip("torch")

from archcalc.reference import data as D  # noqa: E402
from archcalc.reference import errors as E  # noqa: E402
from archcalc.reference.train import TrainConfig, train  # noqa: E402
from archcalc.reference.train_data import _Guarded  # noqa: E402

from archcalc.errors import Diagnostic, DiagnosticError, SourceLoc  # noqa: E402

INVALID = sorted((DATA / "invalid").glob("*.yaml"))
UNCOMPILABLE = sorted((DATA / "uncompilable").glob("*.yaml"))
GUTTER = len("   6 | ")  # the source line's prefix under a diagnostic


def expected(path: Path) -> tuple[str, int, int]:
    """The fixture's `# expect: line:col: error: …` as a first line, with its line and
    column."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    text = first[len("# expect: "):]
    line, column = text.split(":")[:2]
    return f"{path}:{text}", int(line), int(column)


COMMANDS = {"compile": ["compile"], "verify": ["verify"],
            "train": ["train", "--device", "cpu", "--data", "synthetic:64", "--epochs", "1"]}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_architecture_is_checks_diagnostic_and_exits_1(cli, path, command, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(*COMMANDS[command][:1], path, *COMMANDS[command][1:])
    assert result.exit_code == 1
    first, line, column = expected(path)
    lines = result.stderr.splitlines()
    assert lines[0] == first
    assert lines[1] == f"{line:>4} | " + path.read_text().splitlines()[line - 1]
    assert lines[2].index("^") == GUTTER + column - 1
    assert not (tmp_path / "runs").exists()  # refused before a run directory is made


@pytest.mark.parametrize("path", UNCOMPILABLE, ids=lambda p: p.stem)
def test_what_pytorch_source_cannot_express_is_positioned_and_exits_1(cli, path):
    assert cli("check", path).exit_code == 0  # the architecture itself is valid
    result = cli("compile", path)
    assert result.exit_code == 1 and result.stdout == ""
    first, _, column = expected(path)
    lines = result.stderr.splitlines()
    assert lines[0] == first
    assert lines[2].index("^") == GUTTER + column - 1


SYMBOLIC = "archcalc: 1\nname: s\ninput: [3, H, W]\nlayers:\n  - conv: {out: 4, kernel: 3}\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unbound_symbols_have_no_position_and_exit_2(cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "s.yaml"
    spec.write_text(SYMBOLIC)
    result = cli(*COMMANDS[command][:1], spec, *COMMANDS[command][1:])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unbound symbols: H, W ")


def test_an_output_width_that_is_not_the_class_count_points_at_the_layer(cli, tmp_path,
                                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "fixed.yaml"
    spec.write_text("archcalc: 1\nname: f\ninput: [1, 8, 8]\nlayers:\n  - flatten\n"
                    "  - fc: 7\n")
    result = cli(*COMMANDS["train"][:1], spec, *COMMANDS["train"][1:])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:3] == [
        (f"{spec}:6:5: error: fc1: the network outputs 7 values but synthetic has 10 classes; "
         "write the width as a symbol (fc: classes) or change it"),
        "   6 |   - fc: 7",
        "           ^"]


def test_data_errors_name_the_file_or_the_option_and_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = ["train", "lenet5", "--device", "cpu", "--epochs", "1", "--data"]
    missing = cli(*run, f"cifar10:{tmp_path / 'none'}")
    assert missing.exit_code == 2
    assert missing.stderr.splitlines() == [
        f"error: missing data_batch_1 in {tmp_path / 'none'} (CIFAR-10's python batches)"]
    unknown = cli(*run, "imagenet")
    assert unknown.exit_code == 2
    assert unknown.stderr.splitlines() == [
        ("error: unknown data source 'imagenet': digits, mnist:DIR, fashion-mnist:DIR, "
         "cifar10:DIR, folder:DIR or synthetic[:N]")]


def test_a_missing_package_exits_2(cli, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnx" else real(name, *a))
    result = cli("compile", "lenet5", "--onnx", tmp_path / "m.onnx")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ONNX export needs the onnx package: pip install onnx")


# -- the errors themselves ------------------------------------------------------------------

def test_each_error_class_has_its_exit_status():
    classes = (E.CompileError, E.InvalidArchitecture, E.CompileUsageError, E.TrainError,
               E.DataError, E.CheckpointError, E.RunDirError)
    assert all(issubclass(cls, DiagnosticError) for cls in classes)
    assert {cls.__name__: cls.exit_code for cls in classes} == {
        "CompileError": 1, "InvalidArchitecture": 1, "CompileUsageError": 2, "TrainError": 2,
        "DataError": 2, "CheckpointError": 2, "RunDirError": 2}


def test_an_error_carries_its_position_or_none_and_survives_pickling():
    loc = SourceLoc("s.yaml", 6, 5)
    positioned = E.CompileError("no module", loc, "a hint", layer="pool1")
    assert positioned.diagnostics == (Diagnostic("error", "no module", loc, ("a hint",),
                                                 "pool1"),)
    assert str(positioned) == "s.yaml:6:5: pool1: no module"
    plain = E.DataError("/d/x.png: not an image")
    assert plain.diagnostics[0].loc is None and str(plain) == "/d/x.png: not an image"
    found = Diagnostic("error", "the volume vanishes here", loc, layer="pool4")
    assert str(E.InvalidArchitecture([found])) == \
        "the architecture is invalid: s.yaml:6:5: pool4: the volume vanishes here"
    copy = pickle.loads(pickle.dumps(positioned))
    assert type(copy) is E.CompileError and copy.diagnostics == positioned.diagnostics
    assert str(copy) == str(positioned)
    with pytest.raises(ValueError):
        E.TrainError([])


def test_a_workers_data_error_ends_the_run_with_its_last_line():
    """torch re-raises a DataLoader worker's error as its class with the worker's traceback
    as the text (far longer than a diagnostic keeps); the run ends with the message."""
    message = "/d/b/1.png: not an image Pillow can read"
    text = ("Caught DataError in DataLoader worker process 0.\nOriginal Traceback (most "
            "recent call last):\n" + '  File "w.py", line 1, in f\n    g()\n' * 200
            + f"archcalc.reference.errors.DataError: {message}\n")

    class Loader:
        def __iter__(self):
            raise D.DataError(text)
    with pytest.raises(D.DataError) as info:
        list(_Guarded(Loader()))
    assert str(info.value) == message and info.value.diagnostics[0].message == message


def test_the_process_group_is_destroyed_when_a_rank_fails(tmp_path, monkeypatch):
    from archcalc.reference import train as T
    from archcalc.reference import train_setup as S
    from archcalc.reference.train_config import Place

    calls = []
    monkeypatch.setattr(T, "locate", lambda cfg: Place(0, 2, torch.device("cpu")))
    monkeypatch.setattr(S.dist, "init_process_group", lambda backend: calls.append(backend))
    monkeypatch.setattr(S.dist, "broadcast_object_list", lambda answer, src: None)
    monkeypatch.setattr(S.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(S.dist, "destroy_process_group", lambda: calls.append("destroyed"))
    (tmp_path / "file").write_text("")
    cfg = TrainConfig(data="synthetic:64", epochs=1, device="cpu",
                      out=str(tmp_path / "file" / "r"))
    with pytest.raises(E.RunDirError, match="cannot make the run directory"):
        train(SPECS / "lenet5.yaml", cfg, lambda *a, **k: None)
    assert calls == ["gloo", "destroyed"]


def test_a_verify_mismatch_points_at_the_layer_that_disagrees(cli, monkeypatch):
    """`verify`'s verdict is a diagnostic at the first layer PyTorch disagrees on, with the
    spec's line under it (here a faked disagreement: the real LeNet-5 agrees)."""
    import dataclasses

    from archcalc.specs import path as library_path

    from archcalc.analysis.verification import LayerCheck, Verification
    from archcalc.design import Design
    from archcalc.spec import parse_file

    spec = library_path("lenet5")
    conv2 = Design(parse_file(spec)).analysis.row("conv2")
    check = LayerCheck("conv2", "conv", ((16, 10, 10), (17, 10, 10)), (2416, 2567), (0, 0),
                       (480000, 510000), conv2.loc)
    fake = Verification("LeNet-5", (check,), (("FLOPs", 833040, 745200),), "")
    monkeypatch.setattr("archcalc.reference.verify.verify", lambda *a, **k: fake)
    result = cli("verify", str(spec))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (f"{spec}:{conv2.loc.line}:{conv2.loc.column}: error: PyTorch disagrees "
                        "with the calculator — first mismatch: conv2 (conv)")
    assert lines[2].index("^") == GUTTER + conv2.loc.column - 1
    assert dataclasses.replace(check, loc=None).ok is False


def test_train_refuses_a_dense_prediction_at_its_last_layer(cli, tmp_path, monkeypatch):
    """The reference trainer classifies; a U-Net's C×H×W head is a positioned error
    before any data is read or a run directory made (it ended in a traceback from
    cross_entropy)."""
    monkeypatch.chdir(tmp_path)
    result = cli("train", "unet", "H=32", "W=32", "--data", "synthetic:16", "--epochs", "1",
                 "--device", "cpu")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.endswith(": error: head: the trainer trains classifiers, whose last layer "
                          "gives one score per class; head gives a 2×32×32 volume")
    assert ":43:5:" in first and not (tmp_path / "runs").exists()
