"""The verify summary, one text for `archcalc verify` and the TUI's f6.

From a `Verification` (plain data: analysis/verification.py, never torch): a table of the
layers shown (by default those that disagree), a line per total, how many layers were
checked, and the verdict. Every cell is a `rich.text.Text`, never parsed as markup: a
layer's name is shown as written. Colours come from the shared style table (styles.py).
"""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..analysis.verification import LayerCheck, Verification
from ..errors import terminal_safe
from .styles import GOOD, STATUS

AGREES = "PyTorch agrees with the calculator on every layer."
_BAD = STATUS["error"]
_NUMBERS = ("params", "buffers", "FLOPs")


def shown_layers(v: Verification, every: bool) -> tuple[LayerCheck, ...]:
    """Every layer, or (by default) only those that disagree."""
    return tuple(c for c in v.layers if every or not c.ok)


def _pair(calculator, torch) -> Text:
    if calculator == torch:
        return Text(f"{calculator:,}")
    return Text(f"{calculator:,} ≠ {torch:,}", style=_BAD)


def _shape(c: LayerCheck) -> Text:
    ours, theirs = ("×".join(map(str, s)) for s in c.shape)
    return Text(ours) if c.shape[0] == c.shape[1] else Text(f"{ours} ≠ {theirs}", style=_BAD)


def layer_table(v: Verification, layers: tuple[LayerCheck, ...], ascii: bool = False) -> Table:
    """The layers side by side; `ascii` for a report that is piped (as `check` does)."""
    table = Table(title=Text(terminal_safe(f"{v.name}: calculator vs PyTorch (meta device)")),
                  box=box.ASCII if ascii else box.HEAVY_HEAD)
    for col in ("layer", "kind", "output shape", *_NUMBERS, "agree"):
        table.add_column(col, justify="right" if col in _NUMBERS else "left")
    for c in layers:
        table.add_row(Text(c.name), Text(c.kind), _shape(c), _pair(*c.params),
                      _pair(*c.buffers), _pair(*c.flops),
                      Text("yes") if c.ok else Text("NO", style=_BAD))
    return table


def totals_lines(v: Verification) -> list[Text]:
    """`FLOPs: calculator 1,234 · PyTorch 1,234 — agree`, one per total."""
    return [Text.assemble(f"{what}: calculator {calc:,} · PyTorch {torch:,} — ",
                          ("agree", GOOD) if calc == torch else ("DISAGREE", _BAD))
            for what, calc, torch in v.totals]


def checked_line(v: Verification, shown: tuple[LayerCheck, ...], every: bool) -> str:
    if every:
        return f"{len(v.layers)} layers checked"
    return (f"{len(v.layers)} layers checked; {len(shown)} disagree" +
            (" (shown above)" if shown else ""))


def disagreement(v: Verification) -> list[str]:
    """Where PyTorch first disagrees, then PyTorch's own error if it stopped; [] if it
    agrees on everything."""
    if v.ok:
        return []
    bad = v.first_mismatch
    where = f"first mismatch: {bad.name} ({bad.kind})" if bad else "totals differ"
    lines = [f"PyTorch disagrees with the calculator — {where}"]
    if v.error:
        lines.append(f"PyTorch stopped with: {v.error}")
    return lines


def summary(v: Verification) -> Group:
    """Everything at once, as the TUI shows it: the layers that disagree (if any), the
    totals, the count and the verdict."""
    shown = shown_layers(v, every=False)
    parts: list = [layer_table(v, shown)] if shown else []
    parts += totals_lines(v)
    parts.append(Text(checked_line(v, shown, every=False)))
    problems = disagreement(v)
    parts += [Text(line, style=_BAD) for line in problems] if problems else \
        [Text(AGREES, style=GOOD)]
    return Group(*parts)
