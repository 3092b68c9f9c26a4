"""`archcalc sweep --plot out.png`: each figure against the swept symbol (needs matplotlib).

One panel per figure; over a grid of two symbols, one line per value of the second. The
values that fit every layer are dots, those that do not are grey crosses (and unknown ones
hollow); a budget on a figure is a dashed horizontal line in its panel. A figure spanning
more than two decades gets a log scale (MACs over input sizes from 32 to 1024 do).
"""

from __future__ import annotations

import math

from archcalc.fit.sweep import Sweep

LOG_SPAN = 100  # largest / smallest positive value beyond which the y axis is logarithmic


def series(sw: Sweep, figure: str) -> dict[object, tuple[list, list, list]]:
    """{value of the second symbol (None for one): (xs, ys, valid flags)}."""
    out: dict[object, tuple[list, list, list]] = {}
    for row in sw.rows:
        p = row.point
        if figure not in p.figures:
            continue
        key = p.values[1] if len(p.values) > 1 else None
        xs, ys, ok = out.setdefault(key, ([], [], []))
        xs.append(p.values[0])
        ys.append(float(p.figures[figure]))
        ok.append(p.valid)
    return out


def wants_log(values: list[float]) -> bool:
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > LOG_SPAN


def plot(sw: Sweep, path: str, name: str) -> str:
    """Draw the PNG; '' when written, else what went wrong."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "--plot needs matplotlib: pip install matplotlib"
    figures = sw.figures
    cols = min(3, len(figures))
    rows = math.ceil(len(figures) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    x = sw.axes[0].symbol
    for ax, figure in zip(axes.flat, figures):
        data = series(sw, figure)
        for key, (xs, ys, ok) in data.items():
            label = f"{sw.axes[1].symbol} = {key}" if key is not None else None
            line = ax.plot(xs, ys, lw=1, label=label)[0]
            good = [(a, b) for a, b, v in zip(xs, ys, ok) if v is not False]
            bad = [(a, b) for a, b, v in zip(xs, ys, ok) if v is False]
            if good:
                ax.plot(*zip(*good), ".", color=line.get_color(),
                        mfc=line.get_color() if all(ok) else "none")
            if bad:
                ax.plot(*zip(*bad), "x", color="0.6")
        for c in sw.constraints:
            if c.figure == figure:
                ax.axhline(float(c.bound), ls="--", color="crimson", lw=1,
                           label=c.text.replace("$", r"\$"))
        if wants_log([y for _, ys, _ in data.values() for y in ys]):
            ax.set_yscale("log")
        ax.set(xlabel=x.replace("$", r"\$"), ylabel=figure.replace("$", r"\$"))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(figures):]:
        ax.set_visible(False)
    fig.suptitle(f"{name}: figures against {x}".replace("$", r"\$"))
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    finally:
        plt.close(fig)
    return ""
