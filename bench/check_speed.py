"""Whole-process time of `archcalc check specs/vgg16.yaml` beside `python -c "import torch"`.

Issue 2: the check a person (or a pre-commit hook) runs many times a day must take less
time than importing torch. Both commands run as fresh processes, interleaved, several
times each, on the same machine in the same run; the script prints the medians and the
ratio, and exits 1 if the check is not faster.

    python bench/check_speed.py [--repeats 7] [--spec specs/vgg16.yaml]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--spec", default=str(ROOT / "specs" / "vgg16.yaml"))
    args = ap.parse_args()
    exe = shutil.which("archcalc")
    check = [exe] if exe else [sys.executable, "-m", "archcalc"]
    check += ["check", args.spec]
    torch = [sys.executable, "-c", "import torch"]
    if subprocess.run(torch, capture_output=True).returncode != 0:
        print("torch is not installed: no baseline to compare with", file=sys.stderr)
        return 2
    timed(check), timed(torch)  # warm the file cache for both
    a, b = [], []
    for _ in range(args.repeats):
        a.append(timed(check))
        b.append(timed(torch))
    ca, cb = statistics.median(a), statistics.median(b)
    print(f"archcalc check {Path(args.spec).name}: median {ca * 1000:7.0f} ms "
          f"(min {min(a) * 1000:.0f}, max {max(a) * 1000:.0f}) over {args.repeats} runs")
    print(f"python -c 'import torch':  median {cb * 1000:7.0f} ms "
          f"(min {min(b) * 1000:.0f}, max {max(b) * 1000:.0f}) over {args.repeats} runs")
    print(f"ratio check/import-torch: {ca / cb:.2f} ({'faster' if ca < cb else 'SLOWER'})")
    return 0 if ca < cb else 1


if __name__ == "__main__":
    sys.exit(main())
