"""One epoch of training, and the evaluation on the held-out split.

`run_epoch` trains the model once over this rank's share of the data — the order a
function of the seed and the epoch, so a resumed run sees the batches an unbroken one
would — with bf16 autocast on CUDA, and times it: the whole epoch, and the part spent
fetching batches, so that throughput can be given with and without data time.
`evaluate` counts the correct predictions on the held-out split.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .train_config import TrainConfig
from .train_data import make_loader
from .train_setup import Setup

STEP_POINTS = 100  # steps.jsonl rows per epoch at most: each the mean of its share of steps
EVAL_BATCH = 512   # held-out samples a forward pass when the data is held on the device


@dataclass(frozen=True)
class EpochResult:
    """What an epoch of training did, on this rank."""

    epoch: int                  # 1-based
    seen: int                   # samples trained on
    loss: float                 # their mean loss
    train_acc: float
    seconds: float              # the epoch (without torch.compile's first step)
    data_seconds: float         # of which fetching batches
    lr: float                   # the learning rate after its last step
    step_rows: tuple[dict, ...]  # steps.jsonl's rows: the means of runs of steps


@dataclass(frozen=True)
class Evaluation:
    """The held-out split's correct predictions."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.total, 1)


class _Clock:
    """An epoch's wall time and the part of it spent fetching batches."""

    def __init__(self):
        self.restart()

    def restart(self) -> None:
        self.start, self.data = time.perf_counter(), 0.0

    def elapsed(self) -> float:
        return max(time.perf_counter() - self.start, 1e-9)


class _Tally:
    """An epoch's running sums, and its steps.jsonl rows: one per `chunk` steps, each the
    mean of those steps."""

    def __init__(self, epoch: int, steps: int):
        self.epoch, self.steps = epoch, steps
        self.chunk = max(1, math.ceil(steps / STEP_POINTS))
        self.loss, self.correct, self.seen = 0.0, 0, 0
        self.part = [0.0, 0, 0]  # this chunk's loss sum, correct, seen
        self.rows: list[dict] = []

    def add(self, i: int, loss_sum: float, correct: int, n: int) -> None:
        self.loss += loss_sum
        self.correct += correct
        self.seen += n
        self.part = [self.part[0] + loss_sum, self.part[1] + correct, self.part[2] + n]
        if (i + 1) % self.chunk == 0 or i + 1 == self.steps:
            loss, right, seen = self.part
            self.rows.append({"epoch": self.epoch, "step": i + 1, "steps": self.steps,
                              "loss": loss / seen, "train_acc": right / seen})
            self.part = [0.0, 0, 0]


def run_epoch(s: Setup, cfg: TrainConfig, epoch: int, on_step=None,
              warm_up: bool = False) -> EpochResult:
    """Train epoch `epoch` (0-based); `on_step(epoch, step, steps, loss, accuracy,
    images_per_s)` after every step. With `warm_up` the first step (torch.compile's
    compilation) is left out of the times."""
    s.model.train()
    order = _order(s, cfg, epoch) if s.held is not None else None
    tally, clock = _Tally(epoch + 1, s.steps), _Clock()
    for i, (x, y) in enumerate(_batches(s, cfg, order, clock)):
        loss_sum, correct = _step(s, cfg, x, y)
        tally.add(i, loss_sum, correct, len(y))
        if on_step is not None:
            rate = tally.seen * s.place.world / clock.elapsed()
            on_step(epoch + 1, i + 1, s.steps, tally.loss / tally.seen,
                    tally.correct / tally.seen, rate)
        if warm_up and i == 0:
            clock.restart()
    if s.place.cuda:
        torch.cuda.synchronize(s.place.device)
    seen = max(tally.seen, 1)
    return EpochResult(epoch + 1, tally.seen, tally.loss / seen, tally.correct / seen,
                       clock.elapsed(), clock.data, s.sched.get_last_lr()[0],
                       tuple(tally.rows))


def _order(s: Setup, cfg: TrainConfig, epoch: int) -> torch.Tensor:
    """The held training samples' order: a function of the seed and the epoch alone (a
    resumed run sees what an unbroken one would), this rank's share, whole batches."""
    g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
    order = torch.randperm(len(s.dataset.train.y), generator=g)
    return order[s.place.rank::s.place.world][: s.steps * cfg.batch_size]


def _batches(s: Setup, cfg: TrainConfig, order: torch.Tensor | None, clock: _Clock):
    """The epoch's batches on the device, at most `s.steps`: by `order` from the held
    tensors, or from the loader. Fetching them is the clock's data time."""
    for i, batch in enumerate(s.loader if s.loader is not None else range(s.steps)):
        if i >= s.steps:
            break
        fetched = time.perf_counter()
        if order is not None:
            idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size].to(s.place.device)
            x, y = s.held.train_x[idx], s.held.train_y[idx]
        else:
            x, y = (t.to(s.place.device, non_blocking=True) for t in batch)
        if s.place.cuda and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        clock.data += time.perf_counter() - fetched
        yield x, y


def _step(s: Setup, cfg: TrainConfig, x: torch.Tensor, y: torch.Tensor) -> tuple[float, int]:
    """One optimizer step on a batch; its loss summed over the batch, and how many of its
    predictions were right."""
    device = s.place.device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=s.place.cuda and cfg.amp):
        logits = _main_output(s.net(x))
        loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
    s.opt.zero_grad(set_to_none=True)
    loss.backward()
    s.opt.step()
    s.sched.step()
    return loss.item() * len(y), (logits.argmax(1) == y).sum().item()


def _main_output(out):
    """A network with extra outputs (an auxiliary head) trains and is judged on its main
    one."""
    return out[0] if isinstance(out, tuple) else out


def evaluate(s: Setup, cfg: TrainConfig) -> Evaluation:
    """The model's correct predictions on the whole held-out split."""
    s.model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in _test_batches(s, cfg):
            predicted = _main_output(s.model(x)).argmax(1)
            correct += (predicted.to(y.device) == y).sum().item()
            total += len(y)
    return Evaluation(correct, total)


def _test_batches(s: Setup, cfg: TrainConfig):
    """The held-out split in batches: inputs on the device, labels where they are."""
    if s.held is not None:
        xs, ys = s.held.test_x, s.held.test_y
        for i in range(0, len(ys), EVAL_BATCH):
            yield xs[i:i + EVAL_BATCH], ys[i:i + EVAL_BATCH]
        return
    for x, y in make_loader(s.dataset, s.spec_shape, cfg, 0, 1, test=True):
        yield x.to(s.place.device), y
