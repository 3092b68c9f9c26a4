"""The one style table: how a layer's status or a diagnostic's severity is coloured.

The CLI's report table and diagnostics, the verify summary and the TUI's table, pyramid
and problems panel all take their colours from here, so a warning is the same yellow
everywhere. The marks (✗ ! ·) are `columns.status_mark`, shared the same way. Styles are
rich style strings; a console that does not colour (piped, NO_COLOR) shows the text alone.
"""

from __future__ import annotations

from ..errors import Diagnostic, terminal_safe

# A layer's status (error, warning, skipped) or a diagnostic's severity (error, warning,
# note). "ok" has no style: a valid row is plain text.
STATUS = {"error": "bold red", "warning": "yellow", "note": "cyan", "skipped": "dim"}
GOOD = "green"    # fits, no problems, PyTorch agrees
HEADER = "bold"   # a block's header row, a heading
MUTED = "dim"     # positions, hints, captions


def status_style(status: str) -> str:
    return STATUS.get(status, "")


def row_style(status: str, header: bool = False) -> str:
    """A report row's style: its status's, else bold for a block's header."""
    return status_style(status) or (HEADER if header else "")


def diagnostic_text(diag: Diagnostic, text: str):
    """`text`, the diagnostic as `format_diagnostic` wrote it, as a rich `Text` with its
    severity coloured (rich is loaded here, for a terminal, not by the style names above).

    The severity follows the position (`file:line:col: `), which terminal_safe may have
    lengthened: measured the same way, it is found whatever the file name holds."""
    from rich.text import Text

    start = len(terminal_safe(f"{diag.loc}: ")) if diag.loc else 0
    out = Text(text)
    out.stylize(status_style(diag.severity), start, start + len(diag.severity) + 1)
    return out
