"""The reference trainer: real loading code on files the tests make, exact resume after
SIGKILL, DDP on Gloo, and (slow) the accuracy targets."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import MNIST, SPECS

torch = pytest.importorskip("torch")

from archcalc.reference import data as D  # noqa: E402
from archcalc.reference.train import TrainConfig, TrainError, train  # noqa: E402


def write_idx(path, array: np.ndarray, gz: bool):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                      *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), gz)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, gz)
    ds = D.load(f"mnist:{tmp_path}", (1, 32, 32), None)
    assert ds.train.x.shape == (30, 1, 28, 28) and ds.test.y.tolist() == list(range(10))
    assert 0 <= float(ds.train.x.min()) and float(ds.train.x.max()) <= 1
    with pytest.raises(D.DataError, match="missing train-images-idx3-ubyte"):
        D.load(f"fashion-mnist:{tmp_path / 'nowhere'}", (1, 28, 28), None)


def test_cifar10_batches(tmp_path):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(tmp_path / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                         b"labels": [0, 1, 2, 3]}, f)
    ds = D.load(f"cifar10:{tmp_path}", (3, 32, 32), None)
    assert ds.train.x.shape == (20, 3, 32, 32) and ds.classes == 10


def test_image_folder(tmp_path):
    from PIL import Image

    for split in ("train", "val"):
        for c, colour in (("cat", 30), ("dog", 200)):
            (tmp_path / split / c).mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (12, 10), (colour, i, 0)).save(tmp_path / split / c / f"{i}.png")
    ds = D.load(f"folder:{tmp_path}", (3, 16, 16), None)
    assert ds.classes == 2 and not ds.in_memory and ds.shape == (3, 10, 12)
    x, y = D.FolderImages(ds.train, 3, (3, 16, 16))[0]
    assert x.shape == (3, 16, 16) and int(y) == 0


def test_conversions_say_what_they_do():
    assert D.plan((1, 28, 28), (1, 32, 32))[1] == \
        "input: padding 2 pixels on each side (28×28 → 32×32, as LeCun did for LeNet-5)"
    assert D.plan((1, 8, 8), (3, 32, 32))[1] == "input: grey → RGB; resizing 8×8 → 32×32"
    x = torch.ones(2, 1, 28, 28)
    padded = D.adapt(x, (1, 32, 32))
    assert padded.shape == (2, 1, 32, 32) and padded[0, 0, 0, 0] == 0 and padded[0, 0, 2, 2] == 1
    with pytest.raises(D.DataError, match="no sensible conversion"):
        D.plan((1, 28, 28), (1, 128))


def small(tmp_path, **kw):
    base = dict(data="synthetic:256", epochs=2, batch_size=32, device="cpu",
                out=str(tmp_path / "run"), lr=0.01)
    base.update(kw)
    return TrainConfig(**base)


def test_class_count_binds_the_symbol_and_a_fixed_width_must_match(tmp_path):
    lines = []
    result = train(SPECS / "lenet5.yaml", small(tmp_path, data="digits", epochs=1),
                   lambda m, **k: lines.append(m))
    assert result.history[0].test_acc > 0
    spec = tmp_path / "fixed.yaml"
    spec.write_text("archcalc: 1\nname: f\ninput: [1, 8, 8]\nlayers:\n  - flatten\n"
                    "  - fc: 7\n")
    with pytest.raises(TrainError, match="outputs 7 values but digits has 10 classes"):
        train(spec, small(tmp_path, data="digits"), print)


def test_a_repeat_count_that_reads_a_symbol_trains(tmp_path):
    """`repeat: depth` (RegNet's stage depths) is bound where the trainer looks for the
    class symbol (the graph was built without values: a traceback)."""
    spec = tmp_path / "r.yaml"
    spec.write_text("archcalc: 1\nname: r\ninput: [1, 8, 8]\nsymbols: {depth: 2, classes: 10}\n"
                    "layers:\n  - conv: {out: 4, kernel: 3, padding: 1, repeat: depth}\n"
                    "  - flatten\n  - fc: classes\n")
    result = train(spec, small(tmp_path, data="digits", epochs=1), lambda m, **k: None)
    assert result.history[0].test_acc > 0


def test_a_final_softmax_is_left_out_of_the_loss(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("archcalc: 1\nname: s\ninput: [1, 8, 8]\nsymbols: {classes: 10}\n"
                    "layers:\n  - flatten\n  - fc: classes\n  - softmax\n")
    lines = []
    train(spec, small(tmp_path, data="digits", epochs=1), lambda m, **k: lines.append(m))
    assert any("cross-entropy on the logits before softmax1" in m for m in lines)


def test_metrics_jsonl_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    train(SPECS / "lenet5.yaml", small(tmp_path, plot=True), lambda *a, **k: None)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text()
            .splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"loss", "test_acc", "images_per_s", "achieved_tflops", "mfu"} <= set(rows[0])
    assert (tmp_path / "run" / "curves.png").read_bytes()[:4] == b"\x89PNG"


CLI = [sys.executable, "-m", "archcalc", "train"]
# Every training subprocess runs single-threaded: on shared cores torch's default of one
# thread per core runs a small model 15-40x slower whenever anything else runs.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
RUN = ["lenet5", "--data", "synthetic:2048", "--epochs", "3", "--batch-size", "8",
       "--device", "cpu", "--deterministic", "--seed", "7", "--rank-digests"]


def digest(stderr: str) -> str:
    return next(line.split()[-1] for line in stderr.splitlines() if "weights sha256" in line)


def test_sigkill_mid_epoch_then_resume_ends_with_the_same_weights(tmp_path):
    whole = subprocess.run(CLI + RUN + ["--out", str(tmp_path / "a")], capture_output=True,
                           text=True, timeout=300, env=ENV)
    assert whole.returncode == 0, whole.stderr
    assert "\nthreads: 1 (OMP_NUM_THREADS=1; " in whole.stderr  # single-threaded, and said
    out = tmp_path / "b"
    proc = subprocess.Popen(CLI + RUN + ["--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV)
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and (not metrics.exists() or not metrics.read_text()):
        time.sleep(0.05)
    time.sleep(0.3)  # into the second epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    state = torch.load(out / "checkpoint.pt", weights_only=True)  # never corrupt
    assert 1 <= state["epoch"] < 3
    resumed = subprocess.run(CLI + RUN + ["--out", str(out), "--resume"], capture_output=True,
                             text=True, timeout=300, env=ENV)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr
    assert digest(resumed.stderr) == digest(whole.stderr)
    assert [json.loads(line)["epoch"] for line in metrics.read_text().splitlines()] == [1, 2, 3]


def test_resume_refuses_a_checkpoint_of_another_spec(tmp_path):
    train(SPECS / "lenet5.yaml", small(tmp_path, epochs=1), lambda *a, **k: None)
    other = tmp_path / "other.yaml"
    other.write_text((SPECS / "lenet5.yaml").read_text().replace("fc: 84", "fc: 85"))
    with pytest.raises(TrainError, match="written for another spec"):
        train(other, small(tmp_path, epochs=2, resume=True), lambda *a, **k: None)


def test_two_processes_on_gloo_end_with_identical_weights_in_one_run_directory(tmp_path):
    """Without --out rank 0 makes runs/lenet5-1 and sends it to rank 1, which would
    otherwise make runs/lenet5-2 for itself (rank 0's already exists)."""
    (tmp_path / "runs" / "lenet5-1").mkdir(parents=True)  # a run dir that holds nothing yet
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", "-m", "archcalc", "train", "lenet5", "--data", "synthetic:512", "--epochs", "1",
           "--max-steps", "4", "--batch-size", "16", "--device", "cpu", "--rank-digests"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ENV,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    digests = {line.split()[1]: line.split()[-1] for line in out.stderr.splitlines()
               if "weights sha256" in line}
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    dirs = sorted(line for line in out.stderr.splitlines() if " run directory " in line)
    assert dirs == ["rank 0 run directory runs/lenet5-2", "rank 1 run directory runs/lenet5-2"]
    assert "run directory: runs/lenet5-2 (a new run; --out DIR to choose)" in out.stderr
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["lenet5-1", "lenet5-2"]
    assert (tmp_path / "runs" / "lenet5-2" / "checkpoint.pt").is_file()


@pytest.mark.slow
def test_lenet5_on_the_embedded_digits_reaches_97_percent(tmp_path):
    start = time.perf_counter()
    result = train(SPECS / "lenet5.yaml", TrainConfig(out=str(tmp_path / "r"), device="cpu"),
                   lambda *a, **k: None)
    assert result.history[-1].test_acc >= 0.97
    assert time.perf_counter() - start < 60


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.exists(), reason="../shared/data/mnist is absent")
def test_lenet5_on_mnist_reaches_99_percent_in_10_epochs(tmp_path):
    result = train(SPECS / "lenet5.yaml", TrainConfig(
        data=f"mnist:{MNIST}", epochs=10, batch_size=128, lr=0.05, device="cpu",
        out=str(tmp_path / "m")), lambda *a, **k: None)
    assert result.history[-1].test_acc >= 0.99


# -- threads --------------------------------------------------------------------------------

LENET = SPECS / "lenet5.yaml"


def test_threads_follow_the_work_and_the_usable_cores():
    from archcalc.reference.threads import Threads, choose, usable_cores

    assert choose(3 * 833_040 * 64, env={}, cores=2) == Threads(
        1, "threads: 1 of 2 cores (the model's 0.16 GFLOP a training step; one thread per "
        "whole GFLOP; --threads N to choose)")
    assert choose(14e9, env={}, cores=2).count == 2     # ResNet-18 at 64×64, batch 16
    assert choose(2.5e9, env={}, cores=16).count == 2
    assert choose(1e12, env={}, cores=16).count == 16
    assert choose(1e12, env={"OMP_NUM_THREADS": "x"}, cores=2).count == 2  # not a number
    assert choose(1e12, env={"OMP_NUM_THREADS": "1"}, cores=16) == Threads(
        1, "threads: 1 (OMP_NUM_THREADS=1; 16 cores usable)")
    assert choose(1e3, 3, env={"OMP_NUM_THREADS": "1"}, cores=2) == Threads(
        3, "threads: 3 (--threads 3; 2 cores usable)")
    assert usable_cores(2) == max(1, len(os.sched_getaffinity(0)) // 2)


def test_a_run_trains_on_the_chosen_threads_and_gives_torchs_back(tmp_path, monkeypatch):
    from archcalc.reference.threads import usable_cores

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for threads, expected in ((None, 1), (2, 2)):
            during, lines = [], []
            train(LENET, small(tmp_path, epochs=1, max_steps=2, threads=threads,
                               overwrite=True), lines.append,
                  lambda *a: during.append(torch.get_num_threads()))
            assert during == [expected, expected]
            assert torch.get_num_threads() == 2
        cores = usable_cores()
        assert lines[-2] == f"threads: 2 (--threads 2; {cores} core{'s' * (cores != 1)} usable)"
    finally:
        torch.set_num_threads(before)


# -- run directories ------------------------------------------------------------------------

QUICK = ["train", "lenet5", "--data", "synthetic:64", "--batch-size", "32", "--device", "cpu"]


def line_of(result, prefix: str) -> str:
    return next(line for line in result.stderr.splitlines() if line.startswith(prefix))


def test_each_run_gets_a_new_numbered_directory(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    first = cli(*QUICK, "--epochs", "1")
    assert first.exit_code == 0, first.stderr
    kept = (tmp_path / "runs" / "lenet5-1" / "checkpoint.pt").read_bytes()
    second = cli(*QUICK, "--epochs", "1", "--seed", "1")
    assert second.exit_code == 0, second.stderr
    assert line_of(first, "run directory") == \
        "run directory: runs/lenet5-1 (a new run; --out DIR to choose)"
    assert line_of(second, "run directory") == \
        "run directory: runs/lenet5-2 (a new run; --out DIR to choose)"
    assert "runs/lenet5-2/checkpoint.pt" in second.stdout
    assert (tmp_path / "runs" / "lenet5-1" / "checkpoint.pt").read_bytes() == kept
    spec = tmp_path / "my net$.yaml"  # the name is the file's stem, made safe for a path
    spec.write_text(LENET.read_text())
    third = cli(*QUICK[:1], spec, *QUICK[2:], "--epochs", "1")
    assert line_of(third, "run directory") == \
        "run directory: runs/my_net_-1 (a new run; --out DIR to choose)"


def test_an_out_holding_a_run_is_refused_unless_resume_or_overwrite(tmp_path, cli):
    out = tmp_path / "r"
    assert cli(*QUICK, "--epochs", "1", "--out", out).exit_code == 0
    kept = (out / "checkpoint.pt").read_bytes()
    refused = cli(*QUICK, "--epochs", "1", "--out", out)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == (
        f"error: {out} already holds a run (checkpoint.pt, metrics.jsonl): --resume to "
        "continue it, --overwrite to replace it, or another --out")
    assert (out / "checkpoint.pt").read_bytes() == kept
    both = cli(*QUICK, "--epochs", "1", "--out", out, "--resume", "--overwrite")
    assert both.exit_code == 2
    assert both.stderr.splitlines()[-1] == \
        "error: --resume continues a run and --overwrite replaces it: give one"
    replaced = cli(*QUICK, "--epochs", "1", "--out", out, "--overwrite", "--seed", "1")
    assert replaced.exit_code == 0, replaced.stderr
    assert line_of(replaced, "run directory") == \
        f"run directory: {out} (replacing the run in it: --overwrite)"
    assert (out / "checkpoint.pt").read_bytes() != kept
    assert cli(*QUICK, "--epochs", "2", "--out", out, "--resume", "--seed", "1").exit_code == 0
    (tmp_path / "file").write_text("")
    not_a_dir = cli(*QUICK, "--epochs", "1", "--out", tmp_path / "file" / "r")
    assert not_a_dir.exit_code == 2
    assert not_a_dir.stderr.splitlines()[-1] == \
        f"error: cannot make the run directory {tmp_path / 'file' / 'r'}: Not a directory"


def test_resume_without_out_continues_the_run_checkpointed_last(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    fresh = cli(*QUICK, "--epochs", "1", "--resume")
    assert line_of(fresh, "run directory") == \
        "run directory: runs/lenet5-1 (no run of lenet5 in runs/ to resume: a new run)"
    assert cli(*QUICK, "--epochs", "1").exit_code == 0               # runs/lenet5-2
    first = tmp_path / "runs" / "lenet5-1" / "checkpoint.pt"
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 10**10))
    resumed = cli(*QUICK, "--epochs", "2", "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    assert line_of(resumed, "run directory") == (
        "run directory: runs/lenet5-1 (the latest run of lenet5: its checkpoint was written "
        "last; --out DIR to resume another)")
    assert "resumed from runs/lenet5-1/checkpoint.pt at epoch 1" in resumed.stderr


# -- the command line's smaller edges ------------------------------------------------------

def test_batch_is_an_alias_of_batch_size(tmp_path, cli):
    result = cli("train", "lenet5", "--data", "synthetic:64", "--batch", "16", "--epochs", "1",
                 "--device", "cpu", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["config"]["batch_size"] \
        == 16


def test_an_invalid_architecture_exits_1_as_compile_does(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "bad.yaml"
    spec.write_text("archcalc: 1\nname: bad\ninput: [1, 8, 8]\nsymbols: {classes: 10}\n"
                    "layers:\n  - conv: {out: 4, kernel: 9}\n  - flatten\n  - fc: classes\n")
    trained, compiled = cli("train", spec, "--device", "cpu"), cli("compile", spec)
    assert trained.exit_code == compiled.exit_code == 1
    assert trained.stderr.splitlines()[0] == (
        f"{spec}:6:5: error: conv1: H, W: the kernel (9) is larger than the padded input "
        "(8 + 2·0 = 8): the volume vanishes here")
    assert trained.stderr.splitlines()[1] == "   6 |   - conv: {out: 4, kernel: 9}"
    assert trained.stderr == compiled.stderr  # the same diagnostic as compile's
    assert not (tmp_path / "runs").exists()


def test_the_summary_is_plain_ascii_when_piped(tmp_path, cli):
    result = cli(*QUICK, "--epochs", "1", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Training summary: synthetic on cpu"
    assert result.stdout.isascii() and lines[1].startswith("+-") and lines[-1].startswith("+-")
    assert any(line.startswith("| epochs ") and line.endswith(" 1 |") for line in lines)


def test_the_plot_of_one_epoch_is_curves_per_step_titled_with_spec_and_data(tmp_path,
                                                                            monkeypatch):
    pytest.importorskip("matplotlib")
    from archcalc.reference import train as T
    from archcalc.reference import train_plot as P
    from archcalc.reference.train_records import read_steps

    titles = []
    real = P.plot
    monkeypatch.setattr(T, "plot", lambda *a: titles.append(real(*a)))
    result = train(LENET, small(tmp_path, epochs=1, plot=True), lambda *a, **k: None)
    out = tmp_path / "run"
    steps = read_steps(out / "steps.jsonl")
    rows = [epoch.row() for epoch in result.history]
    series = P.plot_series(rows, steps)
    assert series["step_x"] == [(i + 1) / 7 for i in range(7)]  # 230 samples / 32: 7 steps
    assert len(series["step_loss"]) == len(series["step_acc"]) == 7
    acc = result.history[0].test_acc
    assert titles == [f"LeNet-5 on synthetic: 1 epoch, held-out {acc:.2%}"]
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    # A '$' in a spec's name would start mathtext; it is drawn as written.
    assert real(rows, steps, tmp_path / "x.png", "a $\\frac{ b") == \
        f"a \\$\\frac{{ b: 1 epoch, held-out {acc:.2%}"
