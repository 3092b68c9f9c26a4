"""How many intra-op threads the trainer gives torch on the CPU, and why.

torch's default is one thread per core. Every parallel op then hands out its work and waits
for all threads to finish. On a small model each op is microseconds of work, so the hand-out
and the wait cost more than the second thread saves; and when another process holds one of
the cores, every wait lasts until the descheduled thread runs again. A new user saw LeNet-5
train at 108–327 img/s beside other work and at 4,600–5,300 img/s with OMP_NUM_THREADS=1
(bench/train_threads.py measures both). So the trainer gives a model threads in proportion
to its work, never more than the cores this process may use.

The rule, with its numbers: one thread per whole GFLOP of training work per step, where a
step's work is 3 × archcalc's forward FLOPs per sample × the batch size (the backward pass
costs about twice the forward); at least 1, at most the usable cores. A GFLOP is ~30 ms of
one core's work here (LeNet-5's 0.16 GFLOP step takes ~4.5 ms): against that, the forks and
joins of a step's few dozen parallel ops (~10 µs each) are under 2 %, so a second thread can
pay. LeNet-5 at batch 64: 3 × 833,040 × 64 = 0.16 GFLOP → 1 thread; ResNet-18 at 64×64,
batch 16: 3 × 0.30 GFLOP × 16 = 14 GFLOP → every core. An explicit `--threads N` or
OMP_NUM_THREADS wins over the rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

FLOPS_PER_THREAD = 1e9  # training FLOPs per step that earn one more thread (see above)


@dataclass(frozen=True)
class Threads:
    count: int
    line: str  # the run's header line: how many and why


def usable_cores(processes: int = 1) -> int:
    """The cores this process may run on (its CPU affinity, which containers and `taskset`
    narrow; os.cpu_count() counts the machine's), shared among `processes` on this node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, processes))


def _positive(env, name: str) -> int | None:
    """A variable holding a positive whole number, else None (unset or not a number)."""
    value = env.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def choose(flops_per_step: float, requested: int | None = None, env=os.environ,
           cores: int | None = None) -> Threads:
    """The thread count for a model doing `flops_per_step` training FLOPs a step."""
    if cores is None:
        cores = usable_cores(_positive(env, "LOCAL_WORLD_SIZE") or 1)  # torchrun's, per node
    plural = "s" if cores != 1 else ""
    if requested is not None:
        return Threads(requested, f"threads: {requested} (--threads {requested}; "
                                  f"{cores} core{plural} usable)")
    from_env = _positive(env, "OMP_NUM_THREADS")
    if from_env is not None:
        return Threads(from_env, f"threads: {from_env} (OMP_NUM_THREADS={from_env}; "
                                 f"{cores} core{plural} usable)")
    count = max(1, min(cores, int(flops_per_step // FLOPS_PER_THREAD)))
    return Threads(count, f"threads: {count} of {cores} core{plural} (the model's "
                          f"{flops_per_step / 1e9:.2g} GFLOP a training step; one thread per "
                          "whole GFLOP; --threads N to choose)")
