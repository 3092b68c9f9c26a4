"""A sweep of 1,000 input sizes of ResNet-50 beside one `archcalc check` (issue 15).

README: "1,000 input sizes of ResNet-50 cost one symbolic analysis and ~0.4 s of exact
evaluation" — a sweep evaluates the formulas of one analysis with H left free, it does not
re-analyse the network per point. Both commands run as fresh processes, interleaved,
several times each, in the same run; the script prints each run, the medians, the ratio,
and the CPU time of each (user + system of the child: the machine may be shared), and
checks in-process that the sweep made no full analysis per point.

    python bench/sweep_speed.py [--repeats 5] [--spec specs/resnet50.yaml] [--points 1000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--spec", default=str(ROOT / "specs" / "resnet50.yaml"))
    ap.add_argument("--points", type=int, default=1000)
    args = ap.parse_args()
    exe = shutil.which("archcalc") or os.path.join(os.path.dirname(sys.executable), "archcalc")
    check = [exe, "check", args.spec]
    sweep = [exe, "sweep", args.spec, f"H=1..{args.points}", "--format", "csv"]
    runs: dict[str, list[tuple[float, float]]] = {"check": [], "sweep": []}
    for i in range(args.repeats):
        for name, cmd in (("check", check), ("sweep", sweep)):
            wall, cpu = timed(cmd)
            runs[name].append((wall, cpu))
            print(f"run {i + 1} {name:5}: {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
    med = {n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
           for n, r in runs.items()}
    for n, (w, c) in med.items():
        print(f"median {n:5}: {w:6.2f} s wall, {c:6.2f} s CPU  ({' '.join(map(str, cmd_of(n, check, sweep)))})")
    print(f"sweep / check: {med['sweep'][0] / med['check'][0]:.2f}× wall, "
          f"{med['sweep'][1] / med['check'][1]:.2f}× CPU")
    full, structures, mode = sweep_work(args.spec, args.points)
    print(f"sweep of {args.points:,} points: mode {mode}, {structures} symbolic "
          f"analys{'is' if structures == 1 else 'es'}, {full} full analyses")
    return 0 if full == 0 and mode == "formula" else 1


def cmd_of(name, check, sweep):
    return check[1:] if name == "check" else sweep[1:]


def sweep_work(spec: str, points: int) -> tuple[int, int, str]:
    from archcalc.design import Design
    from archcalc.fit.figures import MemoryOptions
    from archcalc.fit.probe import Probe
    from archcalc.fit.sweep import parse_axis, sweep
    from archcalc.spec import parse_file

    design = Design(parse_file(spec))
    probe = Probe(design, ("H",), ("params", "macs", "flops", "activations", "train_memory"),
                  MemoryOptions())
    sweep(probe, (parse_axis(f"H=1..{points}"),))
    return probe.analyses, probe.structures, probe.mode


if __name__ == "__main__":
    sys.exit(main())
