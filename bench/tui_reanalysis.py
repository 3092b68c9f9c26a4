"""Re-analysis time after a one-character edit — what the TUI does on every keystroke.

Issue 6: re-analysing specs/resnet50.yaml after a one-character edit must take under 50 ms
median, in process, so that typing never lags. This times parse → graph → analysis for a
sequence of one-character edits (a channel count typed digit by digit), with the TUI's
analysis cache and, as the baseline in the same run, without it.

    python bench/tui_reanalysis.py [--edits 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402


def edits(text: str, n: int):
    """One-character edits as a person types them: layer2's width 128 → 12 → 129 → 12 →
    127 → … (backspace, then a new digit: every other text is new, so every layer after
    the edited one misses the cache), and a stride typed in layer4."""
    target = "width: 128"
    for i in range(n):
        if i % 4 == 3:
            yield text.replace("width: 512, repeat: 3, first: {stride: 2}",
                               "width: 512, repeat: 3, first: {stride: 1}")
        elif i % 2:
            yield text.replace(target, "width: 12")
        else:
            yield text.replace(target, f"width: {100 + i}")


def once(text: str, cache) -> float:
    start = time.perf_counter()
    Design(parse_text(text), cache=cache).analysis  # as tui/analysis.py: parse, graph, rows
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=40)
    args = ap.parse_args()
    text = (ROOT / "specs" / "resnet50.yaml").read_text()
    cache: dict = {}
    once(text, cache)  # the TUI's first analysis, when the file opens
    with_cache = [once(t, cache) for t in edits(text, args.edits)]
    without = [once(t, None) for t in edits(text, args.edits)]
    m1, m2 = statistics.median(with_cache) * 1000, statistics.median(without) * 1000
    print(f"resnet50 re-analysis after a one-character edit: median {m1:.1f} ms with the "
          f"TUI's cache, {m2:.1f} ms without (limit 50 ms)")
    return 0 if m1 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
