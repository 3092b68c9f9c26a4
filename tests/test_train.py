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
    assert result["history"][0]["test_acc"] > 0
    spec = tmp_path / "fixed.yaml"
    spec.write_text("archcalc: 1\nname: f\ninput: [1, 8, 8]\nlayers:\n  - flatten\n"
                    "  - fc: 7\n")
    with pytest.raises(TrainError, match="outputs 7 values but digits has 10 classes"):
        train(spec, small(tmp_path, data="digits"), print)


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


def test_two_processes_on_gloo_end_with_identical_weights(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", "-m", "archcalc", "train", "lenet5", "--data", "synthetic:512", "--epochs", "1",
           "--max-steps", "4", "--batch-size", "16", "--device", "cpu", "--rank-digests",
           "--out", str(tmp_path / "ddp")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ENV)
    assert out.returncode == 0, out.stderr[-2000:]
    digests = {line.split()[1]: line.split()[-1] for line in out.stderr.splitlines()
               if "weights sha256" in line}
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]


@pytest.mark.slow
def test_lenet5_on_the_embedded_digits_reaches_97_percent(tmp_path):
    start = time.perf_counter()
    result = train(SPECS / "lenet5.yaml", TrainConfig(out=str(tmp_path / "r"), device="cpu"),
                   lambda *a, **k: None)
    assert result["history"][-1]["test_acc"] >= 0.97
    assert time.perf_counter() - start < 60


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.exists(), reason="../shared/data/mnist is absent")
def test_lenet5_on_mnist_reaches_99_percent_in_10_epochs(tmp_path):
    result = train(SPECS / "lenet5.yaml", TrainConfig(
        data=f"mnist:{MNIST}", epochs=10, batch_size=128, lr=0.05, device="cpu",
        out=str(tmp_path / "m")), lambda *a, **k: None)
    assert result["history"][-1]["test_acc"] >= 0.99
