"""`archcalc train`: the reference trainer — a few readable steps, not a framework.

A spec becomes a model (`build`), the data (`data.py`) is fitted to its input, and the
model trains with SGD (momentum, Nesterov), Adam or AdamW, a cosine, one-cycle or step
schedule after a linear warm-up, weight decay and label smoothing; it is evaluated on the
held-out split every epoch. On CUDA: bf16 autocast, channels_last, cudnn.benchmark and
optional torch.compile (its warm-up not counted in throughput). Datasets that fit are
held on the device and batched there, as the fastest CIFAR-10 trainers do; others stream
through a DataLoader with pinned memory. Under `torchrun --nproc_per_node N` it trains
with DistributedDataParallel (NCCL on GPUs, Gloo on CPUs), each rank on its shard,
metrics and checkpoints from rank 0 only. On the CPU torch gets threads in proportion to
the model's work per step (threads.py: a small model gets one, which is what keeps it fast
beside other work). Each run writes to a new runs/NAME-N unless told where (rundir.py).

Runs are never lost: a checkpoint — model, optimizer, scheduler, RNG states, epoch, the
spec's text and hash, the bindings, the settings and the metrics so far — is written
atomically (temporary file, fsync, rename) after every epoch, and the epoch's metrics row
is appended after it; `--resume` continues from it exactly (data order is a function of
the seed and the epoch) and rewrites metrics.jsonl to the checkpoint's rows, so a kill at
any moment leaves each epoch in it once. `checkpoint` reads it as a stranger's file and
names what differs from this run, which then refuses unless `force`.

Speed is reported against the limit: images/s with and without data time, achieved
FLOP/s from the calculator's FLOPs (training ≈ 3 × forward: the backward pass costs about
twice the forward), and MFU against the device's peak when known.

The steps, each in its module: set up (train_setup.py: the model, the data — train_data.py
— the optimizer and schedule — train_optim.py — the run directory and the resumed
checkpoint), run an epoch and evaluate (train_loop.py), checkpoint (train_records.py), and
draw the curves (train_plot.py). This module runs them in order and returns what they
did as a `TrainResult`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from . import checkpoint as C
from .errors import TrainError
from .train_config import TrainConfig, locate, settings
from .train_loop import EpochResult, evaluate, run_epoch
from .train_plot import plot
from .train_records import read_steps, record_epoch
from .train_setup import Setup, join, leave, set_up

__all__ = ["EpochMetrics", "TrainConfig", "TrainError", "TrainResult", "train"]


@dataclass(frozen=True)
class EpochMetrics:
    """An epoch's figures: its row of metrics.jsonl (and of the checkpoint's metrics)."""

    epoch: int
    loss: float                 # mean training loss
    train_acc: float
    test_acc: float             # held-out accuracy (NaN on ranks other than 0)
    images_per_s: float         # all ranks together, with data time
    images_per_s_compute: float  # without it
    lr: float
    seconds: float
    achieved_tflops: float      # 3 × the calculator's forward FLOPs × images/s
    mfu: float | None           # against the device's peak, when known

    @classmethod
    def of(cls, result: EpochResult, test_acc: float, s: Setup) -> EpochMetrics:
        world, seconds = s.place.world, result.seconds
        rate = result.seen * world / seconds
        achieved = 3 * s.flops * rate / 1e12
        return cls(result.epoch, result.loss, result.train_acc, test_acc, rate,
                   result.seen * world / max(seconds - result.data_seconds, 1e-9),
                   result.lr, seconds, achieved, achieved / s.peak if s.peak else None)

    def row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """What a run did, on this rank."""

    history: tuple[EpochMetrics, ...]  # this run's epochs (not a resumed checkpoint's)
    flops_per_sample: int       # forward
    peak_tflops: float | None
    weights_sha256: str         # of the final weights
    rank: int
    world: int
    out: Path                   # the run directory
    device: str
    data: str                   # the dataset's name


def train(spec_path, cfg: TrainConfig, log=print, on_step=None) -> TrainResult:
    """Train; `log(message)` gets the one-line reports, `on_step(epoch, step, steps,
    loss, accuracy, images_per_s)` every step (the CLI's progress bar). torch's thread
    count is chosen for the run (threads.py) and given back after it."""
    previous = torch.get_num_threads()
    try:
        return _run(spec_path, cfg, log, on_step)
    finally:
        torch.set_num_threads(previous)


def _run(spec_path, cfg: TrainConfig, log, on_step) -> TrainResult:
    place = locate(cfg)
    try:
        join(place, cfg)
        s = set_up(spec_path, cfg, place, log if place.main else _quiet)
        history = _epochs(s, cfg, log, on_step if place.main else None)
        metrics = [*s.resumed.metrics, *(h.row() for h in history)]
        if cfg.plot and place.main and metrics:
            plot(metrics, read_steps(s.files.steps), s.files.dir / "curves.png",
                 f"{s.spec.name} on {s.dataset.name}")
        result = TrainResult(history, s.flops, s.peak, _digest(s.model), place.rank,
                             place.world, s.files.dir, str(place.device), s.dataset.name)
        if place.world > 1:
            dist.barrier()
        return result
    finally:
        leave(place)


def _quiet(*_, **__) -> None:
    """Where the reports of ranks other than 0 go."""


def _epochs(s: Setup, cfg: TrainConfig, log, on_step) -> tuple[EpochMetrics, ...]:
    """Train the epochs the run has left: each trained, evaluated and — on rank 0 —
    checkpointed and reported."""
    history, metrics = [], list(s.resumed.metrics)
    for epoch in range(s.resumed.epoch, cfg.epochs):
        # torch.compile compiles on the run's first step: not throughput
        result = run_epoch(s, cfg, epoch, on_step, cfg.compile and epoch == s.resumed.epoch)
        test_acc = evaluate(s, cfg).accuracy if s.place.main else float("nan")
        row = EpochMetrics.of(result, test_acc, s)
        history.append(row)
        metrics.append(row.row())
        if s.place.main:
            _checkpoint(s, cfg, metrics, result.step_rows)
            log(f"epoch {row.epoch}/{cfg.epochs}: loss {row.loss:.4f}, train "
                f"{row.train_acc:.2%}, held-out {row.test_acc:.2%}, "
                f"{row.images_per_s:,.0f} img/s")
    return tuple(history)


def _checkpoint(s: Setup, cfg: TrainConfig, metrics: list[dict],
                step_rows: tuple[dict, ...]) -> None:
    """The checkpoint after the epoch that `metrics` ends with, then its rows."""
    state = {"format": C.FORMAT, "model": s.model.state_dict(),
             "optimizer": s.opt.state_dict(), "scheduler": s.sched.state_dict(),
             "epoch": metrics[-1]["epoch"], "rng": C.rng_state(s.place.device),
             "spec_text": s.spec.source.text, "spec_sha256": C.spec_hash(s.spec),
             "config": settings(cfg), "bindings": s.bindings, "world": s.place.world,
             "metrics": metrics}
    record_epoch(s.files, state, metrics[-1], step_rows)


def _digest(model) -> str:
    """A SHA-256 of the weights: ranks (and a resumed run and an unbroken one) compare."""
    return hashlib.sha256(b"".join(t.detach().cpu().numpy().tobytes()
                                   for t in model.state_dict().values())).hexdigest()
