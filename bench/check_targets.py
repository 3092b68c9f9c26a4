"""Issue 13's whole-process targets for `archcalc check`, each beside its baseline, timed in
the same run, interleaved, medians of fresh processes:

1. `check specs/vgg16.yaml` (table, and --format json) against
   `python -c "import yaml, rich.table, click"` — target at most 2×;
   `check specs/resnet152.yaml` (table, and --format json) against a torchinfo-style
   summary of the same network (archcalc.reference.build, one forward pass with forward
   hooks collecting every module's output shape and parameters) — target at least 10×
   faster. Needs torch; that part is skipped without it.
2. every library spec in one process (`check specs/*.yaml`, --format json and --collapse)
   against one spec with the same options — target under 3×.

An installed package carries its compiled bytecode; this checkout may not (the environment
may set PYTHONDONTWRITEBYTECODE), so the script compiles archcalc first and runs every
command without that variable: otherwise each run would compile ~120 modules (~0.5 s).

    python bench/check_targets.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CHECK = [PY, "-m", "archcalc", "check"]
SPECS = sorted(str(p) for p in (ROOT / "specs").glob("*.yaml"))

# torchinfo's approach without torchinfo: hooks on every module record output shapes and
# parameter counts during one forward pass of the model archcalc builds.
SUMMARY = """
import torch
from archcalc.reference import build
model = build({spec!r}).eval()
rows = []
def hook(m, i, o):
    rows.append((type(m).__name__, tuple(o.shape) if hasattr(o, "shape") else None,
                 sum(p.numel() for p in m.parameters(recurse=False))))
for m in model.modules():
    m.register_forward_hook(hook)
with torch.no_grad():
    model(torch.zeros(1, 3, 224, 224))
print(len(rows), sum(r[2] for r in rows))
"""


def env() -> dict:
    e = dict(os.environ, OMP_NUM_THREADS="1")
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return e


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                   env=env(), check=False)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], repeats: int) -> dict[str, float]:
    for cmd in commands.values():
        timed(cmd)  # warm the file cache
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(repeats):
        for k, cmd in commands.items():
            times[k].append(timed(cmd))
    return {k: statistics.median(v) for k, v in times.items()}


def line(label: str, seconds: float, ratio: str = "") -> None:
    print(f"  {label:<58} {seconds * 1000:7.0f} ms  {ratio}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    for d in ("archcalc", "tui", "reference"):
        compileall.compile_dir(str(ROOT / d), quiet=1)
    ok = True
    has_torch = subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode == 0

    print(f"1. one spec, whole process (medians of {args.repeats}, interleaved)")
    cmds = {"base": [PY, "-c", "import yaml, rich.table, click"],
            "vgg": CHECK + ["specs/vgg16.yaml"],
            "vgg json": CHECK + ["specs/vgg16.yaml", "--format", "json"],
            "r152": CHECK + ["specs/resnet152.yaml"],
            "r152 json": CHECK + ["specs/resnet152.yaml", "--format", "json"]}
    if has_torch:
        cmds["summary"] = [PY, "-c", SUMMARY.format(spec=str(ROOT / "specs/resnet152.yaml"))]
    m = medians(cmds, args.repeats)
    line('python -c "import yaml, rich.table, click" (baseline)', m["base"])
    for k in ("vgg", "vgg json"):
        r = m[k] / m["base"]
        ok &= r <= 2
        line("archcalc check specs/vgg16.yaml" + (" --format json" if "json" in k else ""),
             m[k], f"{r:.2f}× the baseline (target ≤ 2)" + ("" if r <= 2 else "  MISSED"))
    if has_torch:
        line("torch hooks summary of resnet152 (baseline)", m["summary"])
        for k in ("r152", "r152 json"):
            r = m["summary"] / m[k]
            ok &= r >= 10
            line("archcalc check specs/resnet152.yaml" + (" --format json" if "json" in k
                                                          else ""), m[k],
                 f"{r:.1f}× faster (target ≥ 10)" + ("" if r >= 10 else "  MISSED"))
    else:
        print("  (torch is not installed: no torch summary to compare resnet152 with)")

    print(f"\n2. every library spec ({len(SPECS)}) in one process against one spec")
    for opts in (["--format", "json"], ["--collapse"]):
        m = medians({"one": CHECK + ["specs/vgg16.yaml", *opts],
                     "all": CHECK + [*SPECS, *opts]}, args.repeats)
        r = m["all"] / m["one"]
        ok &= r < 3
        line(f"archcalc check specs/vgg16.yaml {' '.join(opts)}", m["one"])
        line(f"archcalc check specs/*.yaml {' '.join(opts)}", m["all"],
             f"{r:.2f}× one spec (target < 3)" + ("" if r < 3 else "  MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
