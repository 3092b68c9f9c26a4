"""Source positions, diagnostics and the one exception the spec pipeline raises.

Every message archcalc shows a person about a spec is a `Diagnostic`: a severity, a
position in the spec's text, the message, and optional hints (fixes). The first line
of its text form is always `file:line:column: severity: message`, as compilers print
it, so editors and terminals can jump to the place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceLoc:
    """A 1-based line and column in a named file (`<string>` for text given inline)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    message: str
    loc: SourceLoc | None = None
    hints: tuple[str, ...] = ()
    layer: str | None = None  # the layer the finding is about, when there is one
    code: str = ""  # a short stable identifier, e.g. "non-integer-size"

    def headline(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        layer = f"{self.layer}: " if self.layer else ""
        return f"{where}{self.severity}: {layer}{self.message}"


class SpecError(Exception):
    """A spec that cannot be read: malformed YAML, unknown keys, wrong types...

    Carries one or more diagnostics; the CLI prints them and exits 2.
    """

    def __init__(self, diagnostics: Diagnostic | list[Diagnostic] | tuple[Diagnostic, ...]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.diagnostics[0].headline())


def error(message: str, loc: SourceLoc | None, *hints: str, code: str = "") -> SpecError:
    """Shorthand for raising a single-diagnostic SpecError."""
    return SpecError(Diagnostic("error", message, loc, tuple(h for h in hints if h), code=code))


@dataclass(frozen=True)
class SourceText:
    """The text a spec was read from, to quote the offending line under a diagnostic."""

    name: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.text.splitlines()))

    def line(self, number: int) -> str | None:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return None


def terminal_safe(text: str) -> str:
    """`text` with every unprintable character (ESC, BEL, CR, NUL, …) written as an escape:
    a spec's name or file name must not move the cursor, recolour or retitle a terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def format_diagnostic(diag: Diagnostic, source: SourceText | None = None) -> str:
    """`file:line:col: error: message`, then the source line with a caret, then hints —
    every line safe for a terminal (see `terminal_safe`)."""
    return "\n".join(terminal_safe(line) for line in _diagnostic_lines(diag, source))


def _diagnostic_lines(diag: Diagnostic, source: SourceText | None) -> list[str]:
    out = [diag.headline()]
    if diag.loc is not None and source is not None:
        text = source.line(diag.loc.line)
        if text is not None:
            gutter = f"{diag.loc.line:>4} | "
            shown, caret = _excerpt(text.expandtabs(1), max(diag.loc.column - 1, 0))
            out.append(gutter + shown)
            out.append(" " * (len(gutter) + caret) + "^")
    out.extend(f"  hint: {h}" for h in diag.hints)
    return out


QUOTE_WIDTH = 100  # a quoted source line is cut to this around the caret (a line may be 50 MB)


def _excerpt(text: str, column: int) -> tuple[str, int]:
    """The part of a long line around `column`, marked with … where cut, and the caret's
    new column."""
    if len(text) <= QUOTE_WIDTH:
        return text, column
    start = max(0, min(column - QUOTE_WIDTH // 2, len(text) - QUOTE_WIDTH))
    shown = text[start:start + QUOTE_WIDTH]
    caret = column - start
    if start > 0:
        shown, caret = "…" + shown, caret + 1
    if start + QUOTE_WIDTH < len(text):
        shown += "…"
    return shown, caret
