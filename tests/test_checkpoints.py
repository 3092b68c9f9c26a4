"""`--resume` reads a checkpoint as a stranger's file: each damaged one (made here from a
real one) ends in one line naming the file, a run with other settings says which differ,
and metrics.jsonl holds each epoch once after any kill."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from helpers import SPECS

torch = pytest.importorskip("torch")

from archcalc.reference import checkpoint as C
from archcalc.reference import train_records as records
from archcalc.reference.train import TrainConfig, TrainError, train

LENET = SPECS / "lenet5.yaml"
LENET_BYTES = 61_706 * 4  # its weights, float32


def config(out, **kw):
    base = {"data": "synthetic:64", "epochs": 1, "batch_size": 32, "device": "cpu",
            "out": str(out), "lr": 0.01, "warmup_epochs": 0.0}
    base.update(kw)
    return TrainConfig(**base)


def quiet(*a, **k):
    pass


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A real checkpoint of LeNet-5 after one epoch: its bytes."""
    out = tmp_path_factory.mktemp("good")
    train(LENET, config(out), quiet)
    return (out / "checkpoint.pt").read_bytes()


def resume_error(out, **kw) -> str:
    with pytest.raises(TrainError) as info:
        train(LENET, config(out, resume=True, **kw), quiet)
    return str(info.value)


def saved(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def edit(good, change):
    state = torch.load(io.BytesIO(good), weights_only=True)
    change(state)
    return saved(state)


def deflated(good) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in source.namelist():
            z.writestr(name, source.read(name))
    return buffer.getvalue()


def not_torch_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("notes.txt", "hello")
    return buffer.getvalue()


LIMIT = 8 * LENET_BYTES + C.ROW_BYTES * 1 + C.SLACK
NOT_ZIP = ("not a checkpoint: not a zip archive as torch.save writes one (truncated, or "
           "another kind of file)")


def state_with(change):
    """The good checkpoint with `change(state)` applied."""
    return lambda good: edit(good, change)


def model_with(**tensors):
    return state_with(lambda s: s["model"].update(
        {k.replace("__", "."): v for k, v in tensors.items()}))


def step_state(s):
    s["optimizer"]["state"][0] = {"step": torch.tensor(1.0)}


def moved_state(s):
    s["optimizer"]["state"][99] = s["optimizer"]["state"].pop(0)


# name: (the file's bytes, made from the good checkpoint's; the message after "PATH: ")
DAMAGED = {
    "empty": (lambda g: b"", "empty file, not a checkpoint"),
    "truncated": (lambda g: g[: len(g) // 2], NOT_ZIP),
    "random_bytes": (lambda g: bytes(range(256)) * 16, NOT_ZIP),
    "zip_of_other_things": (lambda g: not_torch_zip(),
                            "not a checkpoint: a zip archive without data.pkl"),
    "compressed": (deflated, ("not a checkpoint: compressed entries (torch.save stores them "
                              "uncompressed)")),
    "a_tensor": (lambda g: saved(torch.zeros(3)),
                 "not a checkpoint: it holds a Tensor, not a dict"),
    "a_list": (lambda g: saved([1, 2]), "not a checkpoint: it holds a list, not a dict"),
    "older_format": (state_with(lambda s: s.pop("format")),
                     ("not a checkpoint of this archcalc (no 'format' entry; checkpoints of "
                      "older versions cannot be resumed)")),
    "no_optimizer": (state_with(lambda s: s.pop("optimizer")),
                     "damaged checkpoint: no 'optimizer' entry"),
    "extra_entry": (state_with(lambda s: s.update(evil=1)),
                    "damaged checkpoint: unexpected entry evil"),
    "hash_not_a_string": (state_with(lambda s: s.update(spec_sha256=12345)),
                          "damaged checkpoint: 'spec_sha256' is an int, not a str"),
    "hash_not_hex": (state_with(lambda s: s.update(spec_sha256="z" * 64)),
                     "damaged checkpoint: 'spec_sha256' is not a SHA-256 in hex"),
    "negative_epoch": (state_with(lambda s: s.update(epoch=-3)),
                       "damaged checkpoint: epoch -3, outside 1 to 1 (the run's epochs)"),
    "epoch_a_bool": (state_with(lambda s: s.update(epoch=True)),
                     "damaged checkpoint: 'epoch' is a bool, not an int"),
    "epochs_huge": (state_with(lambda s: s["config"].update(epochs=10 ** 40)),
                    "damaged checkpoint: the run's epochs are a huge number (1 to 1,000,000)"),
    "bindings_not_numbers": (state_with(lambda s: s.update(bindings={"H": "32"})),
                             ("damaged checkpoint: 'bindings' is not a table of symbols and "
                              "whole numbers")),
    "metrics_missing_rows": (state_with(lambda s: s.update(metrics=[])),
                             "damaged checkpoint: 0 metrics rows for 1 epochs"),
    "torch_rng": (state_with(lambda s: s["rng"].update(torch=torch.zeros(9))),
                  "damaged checkpoint: the torch generator's state is not one"),
    "python_rng": (state_with(lambda s: s["rng"].update(python=(3, (1, 2), None))),
                   "damaged checkpoint: Python's generator state is not one"),
    "wrong_shape": (model_with(fc1__weight=torch.zeros(84, 7)),
                    ("does not fit the model: fc1.weight is 84×7 in the checkpoint, 84×120 in "
                     "the model")),
    "wrong_dtype": (model_with(fc2__bias=torch.zeros(10, dtype=torch.float64)),
                    ("does not fit the model: fc2.bias is torch.float64 in the checkpoint, "
                     "torch.float32 in the model")),
    "missing_tensor": (state_with(lambda s: s["model"].pop("conv1.bias")),
                       "does not fit the model: no tensor conv1.bias"),
    "extra_tensor": (model_with(extra=torch.zeros(1)),
                     "does not fit the model: it has a tensor extra that the model does not"),
    "not_a_tensor": (model_with(conv1__bias=[1.0]),
                     "does not fit the model: conv1.bias is a list, not a tensor"),
    "momentum_shape": (state_with(lambda s: s["optimizer"]["state"][0].update(
        momentum_buffer=torch.zeros(2))), ("damaged checkpoint: optimizer state "
                                           "momentum_buffer of parameter 0 is 2 in the "
                                           "checkpoint, 6×1×5×5 in the model")),
    "optimizer_state_of_adam": (state_with(step_state),
                                "damaged checkpoint: optimizer state of parameter 0 is not sgd's"),
    "optimizer_state_index": (state_with(moved_state), ("damaged checkpoint: optimizer state "
                                                        "is not keyed by parameter number")),
    "optimizer_state_count": (state_with(lambda s: s["optimizer"]["state"].update({99: {}})),
                              ("damaged checkpoint: optimizer state for 11 tensors, the model "
                               "has 10")),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_checkpoint_is_one_line_naming_it(tmp_path, good, name):
    make, message = DAMAGED[name]
    (tmp_path / "checkpoint.pt").write_bytes(make(good))
    assert resume_error(tmp_path) == f"{tmp_path / 'checkpoint.pt'}: {message}"


def test_a_directory_a_huge_file_and_a_fifo(tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.mkdir()
    assert resume_error(tmp_path) == f"{ckpt}: a directory, not a checkpoint"
    ckpt.rmdir()
    with open(ckpt, "wb") as f:
        f.truncate(10_000_000_000)  # sparse: no disk used, and never read
    assert resume_error(tmp_path) == (f"{ckpt}: 10,000,000,000 bytes, more than a checkpoint "
                                      f"of this model can need ({LIMIT:,}); refusing to read it")
    ckpt.unlink()
    os.mkfifo(ckpt)  # reading would wait for a writer forever
    assert resume_error(tmp_path) == f"{ckpt}: not a regular file"


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "checkpoint.pt").write_bytes(saved({"model": RunsCode(marker)}))
    assert resume_error(tmp_path) == (f"{tmp_path / 'checkpoint.pt'}: holds objects other than "
                                      "tensors and plain data; refused (loading them could "
                                      "run code)")
    assert not marker.exists()


def test_bindings_are_stored_and_a_resume_at_others_is_refused(tmp_path, cli):
    run = ["train", "lenet5", "--data", "synthetic:64", "--batch-size", "32", "--device",
           "cpu", "--out", tmp_path]
    assert cli(*run, "--epochs", "1", "--set", "H=64").exit_code == 0
    ckpt = tmp_path / "checkpoint.pt"
    result = cli(*run, "--epochs", "2", "--resume")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: {ckpt}: the checkpoint's run differs from this one: H=64 (now 32); give the "
        "same settings to resume, or --force to resume anyway")
    forced = cli(*run, "--epochs", "2", "--resume", "--force")
    assert forced.exit_code == 2
    assert forced.stderr.splitlines()[-1] == (
        f"error: {ckpt}: does not fit the model: fc1.weight is 84×1080 in the checkpoint, "
        "84×120 in the model")
    assert cli(*run, "--epochs", "2", "--resume", "--set", "H=64").exit_code == 0


def test_an_empty_checkpoint_through_the_cli_is_an_error_not_aborted(tmp_path, cli):
    (tmp_path / "checkpoint.pt").write_bytes(b"")
    result = cli("train", "lenet5", "--data", "synthetic:64", "--epochs", "1", "--device",
                 "cpu", "--out", tmp_path, "--resume")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == \
        f"error: {tmp_path / 'checkpoint.pt'}: empty file, not a checkpoint"
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr


def test_other_settings_are_named_and_force_goes_on(tmp_path):
    train(LENET, config(tmp_path), quiet)
    other = {"data": "synthetic:128", "seed": 1, "batch_size": 16, "optimizer": "adam",
             "epochs": 2}
    assert resume_error(tmp_path, **other) == (
        f"{tmp_path / 'checkpoint.pt'}: the checkpoint's run differs from this one: "
        "--data synthetic:64 (now synthetic:128); --seed 0 (now 1); --batch-size 32 (now 16); "
        "--optimizer sgd (now adam); give the same settings to resume, or --force to resume "
        "anyway")
    lines = []
    result = train(LENET, config(tmp_path, resume=True, force=True, **other), lines.append)
    assert ("resuming although the run differs (--force): --data synthetic:64 (now "
            "synthetic:128); --seed 0 (now 1); --batch-size 32 (now 16); --optimizer sgd (now "
            "adam); the optimizer's state starts afresh") in lines
    assert [r.epoch for r in result.history] == [2]


def test_training_longer_is_allowed_and_says_how_the_schedule_goes_on(tmp_path):
    train(LENET, config(tmp_path), quiet)
    lines = []
    result = train(LENET, config(tmp_path, resume=True, epochs=3), lines.append)
    # 57 training samples, batch 32: one step an epoch; after step 1 of a 1-epoch cosine
    # plan the rate is 0, of a 3-epoch plan 0.01 × (1 + cos(π/3)) / 2 = 0.0075.
    assert ("training longer: 1 → 3 epochs; the cosine schedule is re-planned over 3 epochs: "
            "the learning rate goes on at 0.0075 (the 1-epoch plan is at 0 here)") in lines
    assert [r.epoch for r in result.history] == [2, 3]
    assert result.history[0].lr == pytest.approx(0.01 * 0.25)  # after step 2 of 3
    again = []
    assert train(LENET, config(tmp_path, resume=True, epochs=3), again.append).history == ()
    assert f"resumed from {tmp_path / 'checkpoint.pt'} at epoch 3: all 3 epochs are done " \
           "(--epochs N to train longer)" in again


def test_fewer_epochs_than_the_checkpoint_has_is_refused(tmp_path, monkeypatch):
    train(LENET, config(tmp_path, epochs=2), quiet)
    assert resume_error(tmp_path, epochs=1) == (
        f"{tmp_path / 'checkpoint.pt'}: the checkpoint is at epoch 2, past --epochs 1; give "
        "--epochs 3 or more to train longer")
    with monkeypatch.context() as m:
        kill_at(m, "save", 2)  # a 3-epoch run with a checkpoint of epoch 1
        with pytest.raises(Killed):
            train(LENET, config(tmp_path, epochs=3, overwrite=True), quiet)
    assert resume_error(tmp_path, epochs=2) == (
        f"{tmp_path / 'checkpoint.pt'}: the checkpoint's run differs from this one: --epochs 3 "
        "(now 2: a shorter schedule); give the same settings to resume, or --force to resume "
        "anyway")


# -- metrics.jsonl after kills ---------------------------------------------------------------

class Killed(BaseException):
    """A SIGKILL at a chosen moment: nothing catches it, nothing after it runs."""


def kill_at(monkeypatch, where: str, epoch: int):
    """Kill the run at `where` in `epoch`: "save" (before the checkpoint is renamed into
    place), "append" (after it, before the metrics row) or "mid_row" (half a row written)."""
    real_save, real_append = C.save, records.append_metrics

    def save(path, state):
        if where == "save" and state["epoch"] == epoch:
            raise Killed
        real_save(path, state)

    def append(path, row):
        if row["epoch"] == epoch and where == "append":
            raise Killed
        if row["epoch"] == epoch and where == "mid_row":
            with open(path, "a") as f:
                f.write(json.dumps(row)[:20])
            raise Killed
        real_append(path, row)
    monkeypatch.setattr(C, "save", save)
    monkeypatch.setattr(records, "append_metrics", append)


def epochs_in(out) -> list[int]:
    return [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text()
            .splitlines()]


@pytest.mark.parametrize("where", ["save", "append", "mid_row"])
def test_a_kill_between_checkpoint_and_metrics_leaves_each_epoch_once(tmp_path, monkeypatch,
                                                                      where):
    with monkeypatch.context() as m:
        kill_at(m, where, 2)
        with pytest.raises(Killed):
            train(LENET, config(tmp_path, epochs=3), quiet)
    train(LENET, config(tmp_path, epochs=3, resume=True), quiet)
    assert epochs_in(tmp_path) == [1, 2, 3]


def test_any_sequence_of_kills_and_resumes_leaves_each_epoch_once(tmp_path, monkeypatch):
    for where, epoch in (("save", 2), ("append", 3), ("mid_row", 4), ("save", 5)):
        with monkeypatch.context() as m:
            kill_at(m, where, epoch)
            with pytest.raises(Killed):
                train(LENET, config(tmp_path, epochs=5, resume=True), quiet)
    train(LENET, config(tmp_path, epochs=5, resume=True), quiet)
    assert epochs_in(tmp_path) == [1, 2, 3, 4, 5]
    assert [r["epoch"] for r in torch.load(tmp_path / "checkpoint.pt",
                                           weights_only=True)["metrics"]] == [1, 2, 3, 4, 5]
