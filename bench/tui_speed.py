"""The TUI's speed, measured headless (Textual's `App.run_test`): issue 13, target 4.

Part 1, start-up: from process start to the layer table holding ResNet-50's rows
(`archcalc tui specs/resnet50.yaml`), beside the same app started on an empty spec — each a
fresh process running this script's small driver (`--start SPEC ROWS`), interleaved. The
driver prints a line once the table holds every row and the screen has been painted; the
time is taken here, from just before the process is started to that line. Target: at most
1.5x the empty spec's time.

Part 2, a keystroke to the updated table: in one process, the app on ResNet-50 and on a
3,000-layer spec (bench/check_scaling.py's flat one: a 3x3 conv and a ReLU alternating),
a key pressed in the editor (a digit typed or deleted, so that the table changes), and
the time from the press to the first frame written (see "Painted") after which the
table's data shows the edit — a cell that the edit changes, on the lowest row it changes.
Everything on the way counts: the key event, the editor's own update and paint, any delay
before the analysis starts, the worker's analysis, its message, the table's update and
the paint. Beside it, the time until Pilot's `press` returned and a pause after it: Pilot
waits for the whole app to be idle after a key (tens of ms that no terminal user waits
for), which the figures before 2026-11-22's fifth session counted. Two edits each: an argument of a layer (the rows after it
follow) and a padding near the top (every row below it changes). Beside each, in the
same run: the worker's analysis alone on the same texts (what bench/tui_reanalysis.py
measures). Targets: ResNet-50 under 50 ms median, 3,000 layers under 500 ms.

"Painted": headless, Textual composes the screen's update but writes it nowhere; the driver
renders each update to the terminal's escape sequences as a real terminal session would,
so that their cost counts too.

    python bench/tui_speed.py [--starts 7] [--edits 12] [--layers 3000] [--skip-start]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

TUI: str | None = None  # --tui
SIZE = (150, 42)  # the Pilot tests' terminal


def use_tui(folder: str | None) -> None:
    """`--tui DIR`: measure the TUI package in DIR (say, main's tui/ unpacked with `git
    archive main tui | tar -x -C /tmp/before`) instead of the installed one: the before
    and after of a change, with the same core."""
    if not folder:
        return
    import importlib.util

    init = Path(folder) / "__init__.py"
    spec = importlib.util.spec_from_file_location("archcalc.tui", init,
                                                  submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules["archcalc.tui"] = module
    spec.loader.exec_module(module)


def layer_table() -> type:
    """The layer table's class, wherever the TUI measured keeps it (tui/widgets.py before
    2026-11-22's fifth session)."""
    try:
        from archcalc.tui.layer_table import LayerTable
    except ImportError:
        from archcalc.tui.widgets import LayerTable
    return LayerTable


# -- in the app's process ------------------------------------------------------------------
class Painted:
    """The time of the first frame written after `watch(shows)` for which `shows()` holds:
    when a terminal would have shown the edit."""

    def __init__(self) -> None:
        self.shows = None
        self.at: float | None = None

    def watch(self, shows) -> None:
        self.shows, self.at = shows, None

    def frame(self) -> None:
        if self.shows is not None and self.at is None and self.shows():
            self.at = time.perf_counter()


def paint_like_a_terminal(app, painted: Painted | None = None) -> None:
    """Headless, the app composes each update and drops it; render it to the escape
    sequences a terminal would be sent, as `App._display` does when not headless (and
    tell `painted` of each frame once written)."""
    from textual._compositor import CompositorUpdate

    shown = app._display

    def display(screen, renderable) -> None:
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
        shown(screen, renderable)
        if painted is not None:
            painted.frame()

    app._display = display


async def until(condition, seconds: float = 120.0) -> None:
    """Poll `condition` every millisecond (it must be cheap: it runs on the app's loop)."""
    end = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the table never showed the edit")
        await asyncio.sleep(0.001)


def table_rows(app) -> int:
    return app.query_one(layer_table()).row_count


async def start(spec: str, rows: int) -> None:
    """The driver of part 1: the app on `spec`, until its table holds `rows` rows (and
    the first analysis is shown) and the screen is painted."""
    from archcalc.tui.app import ArchcalcApp

    app = ArchcalcApp(Path(spec))
    paint_like_a_terminal(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.findings is not None and table_rows(app) == rows)
        await pilot.pause()  # the screen painted with it
        print("ready", flush=True)


# -- part 1: start-up ----------------------------------------------------------------------
def expected_rows(text: str) -> int:
    from archcalc.design import Design
    from archcalc.render.columns import entries
    from archcalc.spec import parse_text

    return len(list(entries(Design(parse_text(text)).analysis)))


def one_start(spec: Path, rows: int, env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, __file__, "--start", str(spec), str(rows)]
                         + (["--tui", TUI] if TUI else []),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    t1 = time.perf_counter()
    err = p.communicate()[1]
    if line.strip() != "ready":
        raise SystemExit(f"the driver failed on {spec}:\n{err}")
    return t1 - t0


def part1(starts: int, tmp: Path, env: dict) -> bool:
    empty = tmp / "empty.yaml"
    empty.write_text("")
    resnet = tmp / "resnet50.yaml"
    resnet.write_text((ROOT / "specs" / "resnet50.yaml").read_text())
    rows = expected_rows(resnet.read_text())
    times: dict[str, list[float]] = {"empty": [], "resnet50": []}
    one_start(empty, 0, env)  # a first start that fills the OS's file cache
    for _ in range(starts):  # interleaved
        times["empty"].append(one_start(empty, 0, env))
        times["resnet50"].append(one_start(resnet, rows, env))
    e, r = (statistics.median(times[k]) * 1000 for k in ("empty", "resnet50"))
    print(f"start to table: resnet50 ({rows} rows) {r:.0f} ms · empty spec {e:.0f} ms · "
          f"ratio {r / e:.2f} (target ≤ 1.5; medians of {starts}, interleaved; "
          f"ranges {min(times['resnet50']) * 1000:.0f}–{max(times['resnet50']) * 1000:.0f}"
          f" and {min(times['empty']) * 1000:.0f}–{max(times['empty']) * 1000:.0f} ms)")
    return r / e <= 1.5


# -- part 2: a keystroke to the updated table ----------------------------------------------
def table_cells(text: str) -> dict[str, dict[str, str]]:
    """Each row's cells as the table shows them, by the table's row key and column key."""
    from archcalc.design import Design
    from archcalc.render.columns import columns, entries
    from archcalc.spec import parse_text

    a = Design(parse_text(text)).analysis
    cols = columns(a)
    return {(e.row.name if e.row is not None else f"group:{e.group.path}"):
            {c.header: c.cell(e).replace("\n", " · ") for c in cols} for e in entries(a)}


def witness(before: str, after: str, shown: list[str]) -> tuple[str, dict[str, str]]:
    """The lowest row whose shown cells the edit changes, and those cells after it."""
    old, new = table_cells(before), table_cells(after)
    changed = [k for k in new if k in old and
               any(old[k].get(h) != new[k].get(h) for h in shown)]
    if not changed:
        raise SystemExit("the edit changes no row")
    return changed[-1], {h: new[changed[-1]][h] for h in shown}


def shows(table, key: str, cells: dict[str, str]) -> bool:
    # Only the columns still shown: an edit can widen a number so that a column the
    # table showed before (the size arithmetic, at 3,000 layers) no longer fits.
    present = {k.value for k in table.columns}
    try:
        return all(str(table.get_cell(key, h)) == v for h, v in cells.items()
                   if h in present) and "params" in present
    except Exception:  # noqa: BLE001 - the row or column is not there (yet)
        return False


async def keystrokes(name: str, text: str, where: str, keys: tuple[str, str],
                     edits: int, tmp: Path) -> tuple[list[float], list[float], list[float]]:
    """Put the cursor after `where` and press the two keys in turn (one edit each, the
    second undoing the first): the time from each press to the first frame written that
    shows it; the time until Pilot's press, a wait for the table to show it and a pause
    returned (Pilot waits for the app to be idle after a key, so this is the later); and
    the analysis alone."""
    from archcalc.tui import jobs
    from archcalc.tui.app import ArchcalcApp
    from textual.widgets import TextArea

    LayerTable = layer_table()

    path = tmp / f"{name}.yaml"
    path.write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines()) if where in ln)
    col = text.splitlines()[line].index(where) + len(where)
    edited = text.replace(where, where[:-1] if keys[0] == "backspace" else where + keys[0], 1)
    texts = (edited, text)
    app = ArchcalcApp(path)
    painted = Painted()
    paint_like_a_terminal(app, painted)
    seen, idle, alone = [], [], []
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.result is not None and table_rows(app) > 0)
        await pilot.pause()
        table = app.query_one(LayerTable)
        shown = [k.value for k in table.columns if k.value != "mark"]
        witnesses = [witness(text, edited, shown), witness(edited, text, shown)]
        editor = app.query_one("#editor", TextArea)
        editor.focus()
        editor.move_cursor((line, col))
        await pilot.pause(0.5)  # nothing else pending (e.g. a debounce timer)
        for i in range(edits):
            key, want = keys[i % 2], witnesses[i % 2]
            painted.watch(lambda: shows(table, *want))
            t0 = time.perf_counter()
            await pilot.press(key)
            await until(lambda: shows(table, *want))
            await pilot.pause()  # painted
            idle.append(time.perf_counter() - t0)
            await until(lambda: painted.at is not None)
            seen.append(painted.at - t0)
            painted.watch(None)
            assert app.text == texts[i % 2]
            await pilot.pause(0.3)  # let any trailing work finish before the next key
            # the analysis alone, as the worker runs it (with the cache it was given)
            t0 = time.perf_counter()
            jobs.analyse(texts[(i + 1) % 2], app.session.name, {}, 0, dict(app.cache))
            alone.append(time.perf_counter() - t0)
    return seen, idle, alone


def part2(edits: int, layers: int, tmp: Path) -> bool:
    from check_scaling import flat

    resnet = (ROOT / "specs" / "resnet50.yaml").read_text()
    big, n = flat(layers)
    cases = [  # name, text, type after…, keys, limit (ms), what
        ("resnet50", resnet, "width: 128", ("backspace", "8"), 50, "layer2's width typed"),
        ("resnet50", resnet, "padding: 3", ("3", "backspace"), 50,
         "the stem's padding typed (every row below changes)"),
        (f"flat{n}", big, "out: 8", ("9", "backspace"), 500, "the first conv's out typed"),
        (f"flat{n}", big, "padding: 1", ("2", "backspace"), 500,
         "the first conv's padding typed (every row below changes)"),
    ]
    from archcalc.tui import app as tui_app

    wait = getattr(tui_app, "DEBOUNCE", 0)
    print(f"delay between a keystroke and the start of its analysis (debounce): "
          f"{wait * 1000:.0f} ms, counted in the figures below")
    ok = True
    for name, text, where, keys, limit, what in cases:
        if not layers and name != "resnet50":
            continue
        seen, idle, alone = asyncio.run(keystrokes(name, text, where, keys, edits, tmp))
        m, a = statistics.median(seen) * 1000, statistics.median(alone) * 1000
        ok &= m < limit
        print(f"keystroke to the frame that shows it: {name}, {what}: median {m:.0f} ms "
              f"(range {min(seen) * 1000:.0f}–{max(seen) * 1000:.0f}; limit {limit} ms) · "
              f"to Pilot idle {statistics.median(idle) * 1000:.0f} ms · the analysis alone "
              f"{a:.0f} ms")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=7)
    ap.add_argument("--edits", type=int, default=12)
    ap.add_argument("--layers", type=int, default=3000)
    ap.add_argument("--skip-start", action="store_true")
    ap.add_argument("--skip-keys", action="store_true")
    ap.add_argument("--skip-big", action="store_true", help="keystrokes on ResNet-50 only")
    ap.add_argument("--tui", metavar="DIR", help="measure the tui package in DIR")
    ap.add_argument("--start", nargs=2, metavar=("SPEC", "ROWS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    global TUI
    TUI = args.tui
    use_tui(args.tui)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ["ARCHCALC_RECOVERY_DIR"] = str(tmp / "recovery")
        if args.start:
            asyncio.run(start(args.start[0], int(args.start[1])))
            return 0
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        ok = True
        if not args.skip_start:
            ok &= part1(args.starts, tmp, dict(os.environ))
        if not args.skip_keys:
            ok &= part2(args.edits, 0 if args.skip_big else args.layers, tmp)
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
