"""What a run of `archcalc train` is told, and where it runs.

`TrainConfig` holds the command line's settings; `Place` is this process's part in the run
— its rank among the run's processes (one, or torchrun's N) and its device; `peak_tflops`
is the device's peak rate, which MFU is measured against.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import torch

# Dense peak rates in TFLOP/s (bf16, fp32) from the vendors' data sheets; --peak-tflops
# overrides. Matched against torch.cuda.get_device_name().
PEAK_TFLOPS = {"H200": (989.0, 67.0), "H100": (989.0, 67.0), "A100": (312.0, 19.5),
               "L40S": (362.0, 91.6), "L4": (121.0, 30.3), "A10": (125.0, 31.2),
               "RTX 4090": (165.2, 82.6), "V100": (125.0, 15.7), "T4": (65.0, 8.1)}


@dataclass
class TrainConfig:
    data: str = "digits"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.05
    optimizer: str = "sgd"          # sgd | adam | adamw
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "cosine"        # cosine | onecycle | step | none
    warmup_epochs: float = 1.0
    step_size: int = 10             # step schedule: epochs between ×0.1
    label_smoothing: float = 0.0
    seed: int = 0
    deterministic: bool = False
    device: str = "auto"
    compile: bool = False
    amp: bool = True                # bf16 autocast on CUDA
    out: str | None = None          # None: a new runs/NAME-N (see rundir.py)
    resume: bool = False
    overwrite: bool = False         # replace the run an explicit `out` holds
    threads: int | None = None      # CPU threads; None: chosen from the work (threads.py)
    force: bool = False             # resume although the settings differ from the checkpoint's
    plot: bool = False
    peak_tflops: float | None = None
    max_steps: int | None = None    # stop an epoch after this many steps (tests, smoke runs)
    bindings: dict = field(default_factory=dict)


def settings(cfg: TrainConfig) -> dict:
    """The plain settings a checkpoint stores (not the bindings: it stores those apart)."""
    return {k: v for k, v in asdict(cfg).items()
            if isinstance(v, (int, float, str, bool, type(None)))}


@dataclass(frozen=True)
class Place:
    """This process in the run: its rank, the number of processes, its device."""

    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        """Rank 0: the one that evaluates, reports and writes the run's files."""
        return self.rank == 0

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def locate(cfg: TrainConfig) -> Place:
    """This process's place: torchrun's RANK and WORLD_SIZE (one process without them)."""
    return Place(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")),
                 pick_device(cfg.device))


def peak_tflops(device: torch.device, cfg: TrainConfig) -> float | None:
    """The device's peak TFLOP/s at the run's precision, when known (or given)."""
    if cfg.peak_tflops:
        return cfg.peak_tflops
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, (bf16, fp32) in PEAK_TFLOPS.items():
        if key in name:
            return bf16 if cfg.amp else fp32
    return None
