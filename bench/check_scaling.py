"""How `archcalc check` scales: symbolic against concrete, and time and memory against size.

Issue 3 asks that `archcalc check specs/resnet152.yaml` with symbolic H and W stay under
3× the time of the same check at H = W = 224, and that the cost grow linearly with depth.
Part 1 times both checks as whole processes, interleaved, and prints the ratio. Part 2
builds ResNet-style specs of increasing depth (bottleneck stages of n blocks each), runs
parse → graph → analysis → JSON in-process at 224 and symbolically, and prints time per
layer, which stays flat when the cost is linear.

Part 3 (the security issue, item 6) generates specs up to the 100,000-layer limit — flat
(conv and ReLU alternating) and blocks nested 15 deep (each level a block of the next,
`repeat: 2`) — and runs `archcalc check SPEC --format json` on each as a whole process.
It prints wall and CPU time, peak memory, and ms per layer beyond the start-up (the time
of a one-layer spec, the baseline measured first in the same run), then that figure
relative to the smallest spec of its shape: near 1.0 all the way means linear. The limit
it checks: 100,000 layers within 30 s and 1 GB.

Part 4 (issue 13) times the analysis itself in process — parse, graph and analysis, no
report — on the same flat and nested specs at their defaults (numbers: target at most
0.1 ms a layer) and with H and W symbolic (formulas: at most 0.5 ms a layer), and prints
each figure beside its target.

    python bench/check_scaling.py [--repeats 3] [--max-layers 100000] [--skip-resnet]
                                  [--skip-processes]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the source checkout, also when not installed

from archcalc.design import Design, input_symbols  # noqa: E402
from archcalc.render.json_out import render_json  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402

SPEC = (ROOT / "specs" / "resnet50.yaml").read_text()
STAGES = "  - bottleneck: {width: %d, repeat: %d%s, name: layer%d}"
SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
LIMIT_S, LIMIT_MB = 30, 1024  # the bound at 100,000 layers
TARGET_MS = {False: 0.1, True: 0.5}  # issue 13: ms a layer, numeric and symbolic
HEAD = "archcalc: 1\nname: %s\ninput: [3, H, W]\nsymbols: {H: 32, W: 32}\n"
LEAF = ("conv: {out: 8, kernel: 3, padding: 1}", "relu", "batchnorm")


def resnet(blocks_per_stage: int) -> str:
    head, _, _ = SPEC.partition("  - bottleneck: {width: 64")
    stages = [STAGES % (w, blocks_per_stage, "" if i == 0 else ", first: {stride: 2}", i + 1)
              for i, w in enumerate((64, 128, 256, 512))]
    tail = ["  - global_avgpool", "  - flatten", "  - fc: classes"]
    return head + "\n".join(stages + tail) + "\n"


def flat(n: int) -> tuple[str, int]:
    """n layers, a 3×3 conv and a ReLU alternating."""
    layers = "\n".join(f"  - {LEAF[i % 2]}" for i in range(n))
    return HEAD % "flat" + f"layers:\n{layers}\n", n


def nested(n: int, depth: int = 15) -> tuple[str, int]:
    """About n layers from blocks nested `depth` deep: b0 holds k layers, each b_i holds
    `b_{i-1}: {repeat: 2}` (repeat 1 above the levels needed), and the spec uses b_{depth-1}."""
    twos = 0
    while twos < depth and n >> (twos + 1) >= 3:
        twos += 1
    k = max(1, round(n / 2 ** twos))
    blocks = ["  b0:\n    layers:\n" + "\n".join(f"      - {LEAF[i % 3]}" for i in range(k))]
    for i in range(1, depth):
        blocks.append(f"  b{i}:\n    layers:\n      - b{i - 1}: {{repeat: {2 if i <= twos else 1}}}")
    top = 2 if twos == depth else 1
    text = HEAD % "nested" + "blocks:\n" + "\n".join(blocks) + \
        f"\nlayers:\n  - b{depth - 1}: {{repeat: {top}}}\n"
    return text, k * 2 ** twos


# The peak memory of the check alone: a wrapper process runs it and reports its only
# child's peak resident set (RUSAGE_CHILDREN holds the largest child's).
_PEAK = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
         "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
         "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
         "print(r.returncode, time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss); "
         "sys.stderr.write(r.stderr.decode()[:500])")


def check_process(path: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak MB, exit status) of
    `archcalc check PATH --format json`."""
    out = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "archcalc",
                          "check", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    code, wall, cpu, kb = out.stdout.split()
    if out.stderr:
        print(out.stderr, file=sys.stderr)
    return float(wall), float(cpu), int(kb) / 1024, int(code)


def whole_process(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archcalc", *args], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
    return time.perf_counter() - start


def in_process(text: str, symbolic: bool) -> tuple[float, int]:
    start = time.perf_counter()
    spec = parse_text(text)
    a = Design(spec, free=input_symbols(spec) if symbolic else ()).analysis
    render_json(a)
    return time.perf_counter() - start, len(a.rows)


def resnet_parts(repeats: int) -> bool:
    spec = str(ROOT / "specs" / "resnet152.yaml")
    concrete, symbolic = [], []
    for _ in range(repeats):
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
        t224 = min(in_process(text, False)[0] for _ in range(repeats))
        tsym, layers = min(in_process(text, True) for _ in range(repeats))
        print(f"{n:>12} {layers:>7} {t224 * 1000:>8.0f} {t224 / layers * 1e6:>9.0f} "
              f"{tsym * 1000:>12.0f} {tsym / layers * 1e6:>9.0f}")
    print()
    return s < 3 * c


def size_part(max_layers: int) -> bool:
    ok = True
    print(f"archcalc check SPEC --format json, whole process (limit at 100,000 layers: "
          f"{LIMIT_S} s, {LIMIT_MB:,} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.yaml"
        one.write_text(flat(1)[0], encoding="utf-8")
        startup = min(check_process(one)[0] for _ in range(3))
        print(f"start-up (a one-layer spec, the baseline): {startup * 1000:.0f} ms")
        print(f"{'shape':>8} {'layers':>8} {'wall s':>7} {'CPU s':>6} {'peak MB':>8} "
              f"{'ms/layer':>9} {'vs first':>9}")
        for shape, make in (("flat", flat), ("nested", nested)):
            base = None
            for n in (s for s in SIZES if s <= max_layers):
                text, layers = make(n)
                path = Path(tmp) / f"{shape}{n}.yaml"
                path.write_text(text, encoding="utf-8")
                wall, cpu, mb, code = check_process(path)
                per = max(wall - startup, 0) / layers * 1000
                base = base or per or None  # a small spec may end within the start-up's noise
                ratio = f"{per / base:>9.2f}" if base else f"{'—':>9}"
                print(f"{shape:>8} {layers:>8,} {wall:>7.1f} {cpu:>6.1f} {mb:>8.0f} "
                      f"{per:>9.3f} {ratio}" + ("" if code == 0 else f"  exit {code}"))
                ok &= code == 0 and (n < 100_000 or (wall < LIMIT_S and mb < LIMIT_MB))
    return ok


def analysis_time(text: str, symbolic: bool) -> tuple[float, int, float]:
    """(seconds, layers, CPU seconds) of parse → graph → analysis in this process (no
    report). The CPU time is what a busy shared machine does not inflate."""
    start, cpu = time.perf_counter(), time.process_time()
    spec = parse_text(text)
    a = Design(spec, free=input_symbols(spec) if symbolic else ()).analysis
    return time.perf_counter() - start, len(a.rows), time.process_time() - cpu


def per_layer_part(max_layers: int, repeats: int) -> bool:
    ok = True
    print("parse + graph + analysis in process, ms a layer (best of "
          f"{repeats}; targets: numbers {TARGET_MS[False]}, formulas {TARGET_MS[True]})")
    print(f"{'shape':>8} {'layers':>8} {'numbers':>8} {'target':>7} {'formulas':>9} "
          f"{'target':>7}   CPU ms a layer: numbers, formulas")
    for shape, make in (("flat", flat), ("nested", nested)):
        for n in (s for s in SIZES if s <= max_layers):
            text, _ = make(n)
            runs = 1 if n >= 30_000 else repeats
            row, cpus = [], []
            for symbolic in (False, True):
                t, layers, cpu = min(analysis_time(text, symbolic) for _ in range(runs))
                per = t / layers * 1000
                ok &= per <= TARGET_MS[symbolic]
                row.append(f"{per:>8.3f} {'≤ ' + str(TARGET_MS[symbolic]):>7}"
                           + ("" if per <= TARGET_MS[symbolic] else " MISSED"))
                cpus.append(f"{cpu / layers * 1000:.3f}")
            print(f"{shape:>8} {layers:>8,} {row[0]} {row[1]:>17}   {', '.join(cpus)}")
    print()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-layers", type=int, default=100_000)
    ap.add_argument("--skip-resnet", action="store_true", help="no parts 1 and 2")
    ap.add_argument("--skip-processes", action="store_true", help="no part 3")
    args = ap.parse_args()
    ok = True
    if not args.skip_resnet:
        ok &= resnet_parts(args.repeats)
    ok &= per_layer_part(args.max_layers, args.repeats)
    if not args.skip_processes:
        ok &= size_part(args.max_layers)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
