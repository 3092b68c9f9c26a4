"""The data as a run reads it: held on the device, or streamed through a DataLoader.

A dataset that fits (a quarter of the GPU's memory, 4 GB on the CPU) is converted to the
spec's input once, standardised, and held on the device as `Held` tensors, batched there
by index, as the fastest CIFAR-10 trainers do; any other streams through a DataLoader with
pinned memory, sharded across ranks under torchrun.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

from . import data as D
from .train_config import Place, TrainConfig


@dataclass(frozen=True)
class Held:
    """Both splits on the device, converted to the spec's input and standardised."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def hold(dataset: D.Dataset, spec_shape: tuple[int, ...], place: Place) -> Held | None:
    """Train and test tensors on the device, when they fit; else None (stream them)."""
    if not dataset.in_memory:
        return None
    limit = torch.cuda.get_device_properties(place.device).total_memory * 0.25 \
        if place.cuda else 4e9
    n = len(dataset.train.y) + len(dataset.test.y)
    if n * math.prod(spec_shape) * 4 > limit:
        return None
    xs = [D.adapt(s.x, spec_shape) for s in (dataset.train, dataset.test)]
    xtr, xte = D.standardise(*xs)
    device = place.device
    return Held(xtr.to(device), dataset.train.y.to(device), xte.to(device),
                dataset.test.y.to(device))


def make_loader(dataset: D.Dataset, spec_shape: tuple[int, ...], cfg: TrainConfig,
                rank: int, world: int, test: bool = False):
    """A split streamed in batches: the training split shuffled (and this rank's shard of
    it under torchrun), the held-out split in order, whole."""
    split = dataset.test if test else dataset.train
    if split.files is not None:
        items = D.FolderImages(split, dataset.shape[0], spec_shape)
    else:
        items = torch.utils.data.TensorDataset(D.adapt(split.x, spec_shape), split.y)
    sampler = None if test else torch.utils.data.DistributedSampler(
        items, world, rank, shuffle=True, seed=cfg.seed) if world > 1 else None
    return _Guarded(torch.utils.data.DataLoader(
        items, batch_size=cfg.batch_size, shuffle=not test and sampler is None,
        sampler=sampler, num_workers=min(4, os.cpu_count() or 1),
        pin_memory=torch.cuda.is_available(), drop_last=not test))


class _Guarded:
    """A DataLoader whose unreadable file (a DataError, in this process or a worker) ends
    the run with the error's one line rather than a worker's traceback."""

    def __init__(self, loader):
        self.loader = loader

    def __iter__(self):
        try:
            yield from self.loader
        except D.DataError as exc:
            raise D.DataError(D.one_line(exc)) from None
