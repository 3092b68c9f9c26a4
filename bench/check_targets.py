"""Issue 13's whole-process targets for `archcalc check`, each beside its baseline, timed in
the same run, interleaved, medians of fresh processes:

1. `check specs/vgg16.yaml` (table, and --format json) against
   `python -c "import yaml, rich.table, click"` — target at most 2×;
   `check specs/resnet152.yaml` (table, and --format json) against torchinfo's `summary()`
   of the same network — importing torch, building it with
   `archcalc.reference.build("resnet152")` and summarising it (torchinfo's default call:
   one forward pass, its table printed) — target at least 10× faster. torchinfo is not a
   dependency of archcalc: installed (`pip install torchinfo==1.8.0`) it is the baseline;
   without it a torchinfo-style hook summary stands in (forward hooks recording every
   module's output shape and parameters), and the script says which it ran. Without torch
   that part is skipped. The `archcalc` console script is timed beside `python -m
   archcalc` (it loads no importlib.metadata: pip's script imports `archcalc.cli` only).
2. every library spec in one process (`check specs/*.yaml`, --format json and --collapse)
   against one spec with the same options — target under 3×.

`--before DIR`: DIR holds an earlier checkout (`git archive main | tar -x -C DIR`); its
`check` commands run in the same rounds as this tree's, interleaved, so before and after
share the machine's load. Each figure is the median wall time; beside it, the median CPU
time (user + sys) of the process, which moves less with other processes on shared cores.

An installed package carries its compiled bytecode; this checkout may not (the environment
may set PYTHONDONTWRITEBYTECODE), so the script compiles archcalc first and runs every
command without that variable: otherwise each run would compile ~120 modules (~0.5 s).

    python bench/check_targets.py [--repeats 7] [--before DIR] [--skip-many]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CHECK = [PY, "-m", "archcalc", "check"]
SCRIPT = Path(PY).parent / "archcalc"  # the console script pip wrote beside python
SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))

TORCHINFO = """
from torchinfo import summary
from archcalc.reference import build
summary(build("resnet152"), input_size=(1, 3, 224, 224))
"""
# torchinfo's approach without torchinfo: hooks on every module record output shapes and
# parameter counts during one forward pass of the model archcalc builds.
HOOKS = """
import torch
from archcalc.reference import build
model = build("resnet152").eval()
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


def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd,
                   env=env(), check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def medians(commands: dict[str, tuple[list[str], Path]],
            repeats: int) -> dict[str, tuple[float, float]]:
    for key, (cmd, cwd) in commands.items():  # warm the file cache; each must succeed
        out = subprocess.run(cmd, capture_output=True, cwd=cwd, env=env(), text=True)
        if out.returncode not in (0, 1):
            sys.exit(f"{key}: exit {out.returncode}\n{out.stderr[-2000:]}")
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(repeats):
        for k, (cmd, cwd) in commands.items():
            times[k].append(run(cmd, cwd))
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for k, v in times.items()}


def line(label: str, m: tuple[float, float], ratio: str = "") -> None:
    print(f"  {label:<56} {m[0] * 1000:6.0f} ms (CPU {m[1] * 1000:5.0f})  {ratio}")


def verdict(r: float, ok: bool, what: str) -> str:
    return f"{r:.2f}× {what}" + ("" if ok else "  MISSED")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--before", type=Path, help="an earlier checkout to time beside this one")
    ap.add_argument("--skip-many", action="store_true", help="part 1 only")
    args = ap.parse_args()
    trees = {"": ROOT} | ({"before ": args.before.resolve()} if args.before else {})
    for tree in trees.values():
        for d in ("archcalc", "tui", "reference"):
            compileall.compile_dir(str(tree / d), quiet=1)
    ok = True
    probe = subprocess.run([PY, "-c", "import torch, torchinfo"], capture_output=True)
    has_torch = subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode == 0
    torchinfo = probe.returncode == 0

    print(f"1. one spec, whole process (medians of {args.repeats}, interleaved; "
          f"load average {os.getloadavg()[0]:.1f} at the start)")
    cmds = {"base": ([PY, "-c", "import yaml, rich.table, click"], ROOT)}
    for tag, tree in trees.items():
        for spec in ("vgg16", "resnet152"):
            cmds[f"{tag}{spec}"] = (CHECK + [f"specs/{spec}.yaml"], tree)
            cmds[f"{tag}{spec} json"] = (CHECK + [f"specs/{spec}.yaml", "--format", "json"],
                                         tree)
    if SCRIPT.exists():
        cmds["script"] = ([str(SCRIPT), "check", "specs/vgg16.yaml"], ROOT)
    if has_torch:
        cmds["summary"] = ([PY, "-c", TORCHINFO if torchinfo else HOOKS], ROOT)
    m = medians(cmds, args.repeats)
    line('python -c "import yaml, rich.table, click" (baseline)', m["base"])
    for tag in trees:
        for k in (f"{tag}vgg16", f"{tag}vgg16 json"):
            r = m[k][0] / m["base"][0]
            ok &= r <= 2 or bool(tag)
            line(f"{tag}check specs/vgg16.yaml" + (" --format json" if "json" in k else ""),
                 m[k], verdict(r, r <= 2, "the baseline (target ≤ 2)"))
    if "script" in m:
        line("archcalc check specs/vgg16.yaml (the console script)", m["script"],
             f"{m['script'][0] / m['base'][0]:.2f}× the baseline")
    if has_torch:
        name = ("torchinfo.summary(build('resnet152')) (baseline)" if torchinfo else
                "torch hooks summary of resnet152 (no torchinfo; baseline)")
        line(name, m["summary"])
        for tag in trees:
            for k in (f"{tag}resnet152", f"{tag}resnet152 json"):
                r = m["summary"][0] / m[k][0]
                ok &= r >= 10 or bool(tag)
                line(f"{tag}check specs/resnet152.yaml" + (" --format json" if "json" in k
                                                           else ""), m[k],
                     verdict(r, r >= 10, "faster (target ≥ 10)"))
    else:
        print("  (torch is not installed: no torch summary to compare resnet152 with)")
    if args.skip_many:
        return 0 if ok else 1

    print(f"\n2. every library spec ({len(SPECS)}) in one process against one spec")
    for opts in (["--format", "json"], ["--collapse"]):
        m = medians({"one": (CHECK + ["specs/vgg16.yaml", *opts], ROOT),
                     "all": (CHECK + [*SPECS, *opts], ROOT)}, args.repeats)
        r = m["all"][0] / m["one"][0]
        ok &= r < 3
        line(f"archcalc check specs/vgg16.yaml {' '.join(opts)}", m["one"])
        line(f"archcalc check specs/*.yaml {' '.join(opts)}", m["all"],
             verdict(r, r < 3, "one spec (target < 3)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
