"""How `archcalc check` scales: symbolic against concrete, and time against depth.

Issue 3 asks that `archcalc check specs/resnet152.yaml` with symbolic H and W stay under
3× the time of the same check at H = W = 224, and that the cost grow linearly with depth.
Part 1 times both checks as whole processes, interleaved, and prints the ratio. Part 2
builds ResNet-style specs of increasing depth (bottleneck stages of n blocks each), runs
parse → graph → analysis → JSON in-process at 224 and symbolically, and prints time per
layer, which stays flat when the cost is linear.

    python bench/check_scaling.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the source checkout, also when not installed

from archcalc.analysis import analyze  # noqa: E402
from archcalc.render.json_out import render_json  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402

SPEC = (ROOT / "specs" / "resnet50.yaml").read_text()
STAGES = "  - bottleneck: {width: %d, repeat: %d%s, name: layer%d}"


def resnet(blocks_per_stage: int) -> str:
    head, _, _ = SPEC.partition("  - bottleneck: {width: 64")
    stages = [STAGES % (w, blocks_per_stage, "" if i == 0 else ", first: {stride: 2}", i + 1)
              for i, w in enumerate((64, 128, 256, 512))]
    tail = ["  - global_avgpool", "  - flatten", "  - fc: classes"]
    return head + "\n".join(stages + tail) + "\n"


def whole_process(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archcalc", *args], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
    return time.perf_counter() - start


def in_process(text: str, symbolic: bool) -> tuple[float, int]:
    start = time.perf_counter()
    spec = parse_text(text)
    bindings = {"classes": 1000} if symbolic else spec.defaults
    a = analyze(spec, bindings)
    render_json(a)
    return time.perf_counter() - start, len(a.rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    spec = str(ROOT / "specs" / "resnet152.yaml")
    concrete, symbolic = [], []
    for _ in range(args.repeats):
        concrete.append(whole_process(["check", spec]))
        symbolic.append(whole_process(["check", spec, "--symbolic"]))
    c, s = statistics.median(concrete), statistics.median(symbolic)
    print(f"archcalc check resnet152.yaml            median {c * 1000:6.0f} ms (H = W = 224)")
    print(f"archcalc check resnet152.yaml --symbolic median {s * 1000:6.0f} ms (H, W symbolic)")
    print(f"ratio symbolic/concrete: {s / c:.2f} (limit 3.00)")
    print()
    print(f"{'blocks/stage':>12} {'layers':>7} {'224 ms':>8} {'µs/layer':>9} "
          f"{'symbolic ms':>12} {'µs/layer':>9}")
    for n in (2, 4, 8, 16, 32):
        text = resnet(n)
        t224 = min(in_process(text, False)[0] for _ in range(args.repeats))
        tsym, layers = min(in_process(text, True) for _ in range(args.repeats))
        print(f"{n:>12} {layers:>7} {t224 * 1000:>8.0f} {t224 / layers * 1e6:>9.0f} "
              f"{tsym * 1000:>12.0f} {tsym / layers * 1e6:>9.0f}")
    return 0 if s < 3 * c else 1


if __name__ == "__main__":
    sys.exit(main())
