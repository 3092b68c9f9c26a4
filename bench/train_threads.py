"""Images/s of `archcalc train` at the thread count it chooses and at torch's default.

Issue 2: on a shared CPU torch's default (one intra-op thread per core) ran LeNet-5 15-40×
slower than one thread whenever anything else ran. The trainer now chooses its threads
from the model's work per step and the usable cores (reference/threads.py). This script
runs the real trainer (`reference.train.train`, synthetic data, a fixed number of steps)
at the chosen and at the default count, first alone and then beside a busy process — a
Python loop burning one core, which the script starts and stops itself — interleaved in
repeats (which of the pair goes first alternates), and prints each median and the ratio
chosen/default. "Alone" means without the script's busy process; the machine's load
average before and after is printed beside the figures, since others may be running.

    python bench/train_threads.py [--spec lenet5] [--set H=64 ...] [--batch-size 64]
                                  [--steps 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_THREADS = torch.get_num_threads()  # torch's own choice, before the trainer's

from archcalc.reference.threads import choose  # noqa: E402
from archcalc.reference.train import TrainConfig, train  # noqa: E402

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_file  # noqa: E402

BUSY = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"


def images_per_s(spec: Path, bindings: dict, threads: int, args, out: str) -> float:
    cfg = TrainConfig(data=f"synthetic:{args.batch_size * args.steps * 2}", epochs=1,
                      batch_size=args.batch_size, max_steps=args.steps, device="cpu",
                      threads=threads, out=out, overwrite=True, bindings=bindings)
    result = train(spec, cfg, lambda *a, **k: None)
    return result.history[0].images_per_s


def measure(spec, bindings, pair: dict[str, int], args, out, results, busy: bool) -> None:
    """Each repeat runs both counts; which goes first alternates."""
    for r in range(args.repeats):
        for name in (list(pair) if r % 2 == 0 else list(reversed(pair))):
            results[(name, busy)].append(images_per_s(spec, bindings, pair[name], args, out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="lenet5", help="a built-in spec or a file")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if "OMP_NUM_THREADS" in os.environ:
        print(f"note: OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} is set: torch's default "
              f"here is {DEFAULT_THREADS}; unset it to compare with torch's own default")
    spec = Path(args.spec) if Path(args.spec).exists() else ROOT / "specs" / f"{args.spec}.yaml"
    bindings = {k: int(v) for k, v in (item.split("=") for item in args.set)}
    parsed = parse_file(spec)
    flops = int(Design(parsed, bindings).analysis.totals.flops)
    chosen = choose(3 * flops * args.batch_size, env={})
    print(f"{parsed.name}, batch {args.batch_size}, {args.steps} steps a run, "
          f"{args.repeats} repeats; {chosen.line}; torch's default: {DEFAULT_THREADS}")
    pair = {"chosen": chosen.count, "default": DEFAULT_THREADS}
    results = {(n, b): [] for n in pair for b in (False, True)}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "run")
        images_per_s(spec, bindings, chosen.count, args, out)  # warm-up: imports, caches
        measure(spec, bindings, pair, args, out, results, busy=False)
        burner = subprocess.Popen([sys.executable, "-c", BUSY])
        try:
            time.sleep(0.5)  # let it start burning
            measure(spec, bindings, pair, args, out, results, busy=True)
        finally:
            burner.kill()
            burner.wait()
    for busy in (False, True):
        c, d = (statistics.median(results[(n, busy)]) for n in pair)
        label = "beside a busy process" if busy else "alone                "
        print(f"{label}: chosen ({pair['chosen']} thread{'s' * (pair['chosen'] != 1)}) "
              f"{c:8,.0f} img/s · default ({DEFAULT_THREADS}) {d:8,.0f} img/s · "
              f"chosen/default {c / d:.2f}")
    print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{len(os.sched_getaffinity(0))} usable cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
