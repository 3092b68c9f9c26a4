"""The note under the layer table (layer_table.py) and the totals bar.

Every widget of the TUI (here, layer_table.py, problems.py, views.py) follows one rule:
attributes down, messages up. The app sets a reactive attribute — most are data-bound to
the app's own (`result`, `stale`, `findings`) — and the widget renders in its `watch_…`
method; what the user does in a widget goes up as a message. None computes an analysis. Names and
messages from the spec reach the screen as `rich.text.Text` or `plain()`, never as markup
(plain.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from archcalc.render.numbers import both, exact, size_bytes

from .analysis import Result
from .plain import plain


class HiddenColumns(Static):
    """The line under the table naming the columns it leaves out."""

    # Not run on mount: the line keeps its place until the table first reports (as it
    # always has; the snapshots show it so).
    headers: reactive[tuple[str, ...]] = reactive((), init=False)

    def watch_headers(self, headers: tuple[str, ...]) -> None:
        self.display = bool(headers)
        self.update(plain(f"not shown, for want of room: {', '.join(headers)} — f8 narrows "
                          "the editor, f7 hides it"))


class Totals(Widget):
    """Parameters, MACs, FLOPs and memory on one line: the longest wording that fits."""

    result: reactive[Result | None] = reactive(None)
    wordings: reactive[tuple[str, ...]] = reactive(())

    def watch_result(self, result: Result | None) -> None:
        if result is None:
            return
        t, m = result.analysis.totals, result.memory
        full = (f"params {both(t.params)} · MACs {both(t.macs)} · FLOPs {both(t.flops)}"
                + (f" · memory: params {size_bytes(m.params)}, activations "
                   f"{size_bytes(m.activations)}, training {size_bytes(m.training)}"
                   if m is not None else ""))
        short = f"params {tiny(t.params)} · MACs {tiny(t.macs)}"
        self.tooltip = plain(full)  # the exact figures, whatever the width shows
        self.wordings = (
            full,
            f"{short} · FLOPs {tiny(t.flops)}" + (
                f" · memory: params {tiny_bytes(m.params)}, activations "
                f"{tiny_bytes(m.activations)}, training {tiny_bytes(m.training)}"
                if m is not None else ""),
            f"{short} · FLOPs {tiny(t.flops)}" + (
                f" · mem {tiny_bytes(m.params)} · act {tiny_bytes(m.activations)} · train "
                f"{tiny_bytes(m.training)}" if m is not None else ""),
            short + (f" · mem {tiny_bytes(m.params)} · train {tiny_bytes(m.training)}"
                     if m is not None else ""),
            short,
        )

    def render(self) -> Content:
        room = self.content_region.width or self.size.width
        fits = [w for w in self.wordings if Text(w).cell_len <= room]
        return plain(fits[0] if fits else (self.wordings[-1] if self.wordings else ""))


def tiny(x) -> str:
    """416,520 → 417k; 62,378,344 → 62.4M (about three digits); a formula as it is."""
    return _tiny(x, ((10 ** 12, "T"), (10 ** 9, "G"), (10 ** 6, "M"), (10 ** 3, "k")), "")


def tiny_bytes(x) -> str:
    """761,019,116 bytes → 726MiB."""
    return _tiny(x, ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")),
                 "B")


def _tiny(x, units, unit_of_one: str) -> str:
    text = exact(x)
    if not text.replace(",", "").isdigit():
        return f"{text} {unit_of_one}".rstrip()  # symbolic: the formula as it is
    n = int(text.replace(",", ""))
    for size, unit in units:
        if n >= size:
            v = n / size
            # not `:.3g`, which writes 999.95 as 1e+03
            return (f"{v:.0f}" if v >= 99.95 else f"{v:.1f}" if v >= 9.995 else f"{v:.2f}") + unit
    return f"{n}{unit_of_one}"
