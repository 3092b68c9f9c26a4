"""The optimizer and the learning-rate schedule of `archcalc train`.

SGD (momentum, Nesterov), Adam or AdamW, with weight decay on the weights only (not on
biases and BatchNorm's parameters); the rate rises linearly over the warm-up, then follows
a cosine, one-cycle or step schedule, or stays at its peak.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .errors import TrainError
from .train_config import TrainConfig


def make_optimizer(model: nn.Module, cfg: TrainConfig):
    decay = [p for p in model.parameters() if p.ndim > 1]   # no decay on biases and BN
    rest = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": rest, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum,
                               nesterov=cfg.nesterov and cfg.momentum > 0)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    raise TrainError(f"unknown optimizer {cfg.optimizer}: sgd, adam or adamw")


def lr_factor(step: int, cfg: TrainConfig, steps_per_epoch: int) -> float:
    """The learning rate at `step`, as a fraction of cfg.lr."""
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = int(cfg.warmup_epochs * steps_per_epoch)
    if step < warm:
        return (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if cfg.schedule == "onecycle":  # linear up to the peak at 30 %, cosine down
        return t / 0.3 if t < 0.3 else 0.5 * (1 + math.cos(math.pi * (t - 0.3) / 0.7))
    if cfg.schedule == "step":
        return 0.1 ** ((step // steps_per_epoch) // cfg.step_size)
    return 1.0


def make_schedule(opt, cfg: TrainConfig, steps_per_epoch: int, start_step: int = 0):
    """The schedule, at `start_step` (a resumed run's steps so far): the same learning rate
    as the checkpoint's scheduler held, and this run's plan when it trains longer."""
    if start_step:
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]  # LambdaLR's base when it starts mid-way
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: lr_factor(step, cfg, steps_per_epoch), last_epoch=start_step - 1)
