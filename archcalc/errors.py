"""Source positions, diagnostics, and the exceptions that carry them.

Every message archcalc shows a person about a spec is a `Diagnostic`: a severity, a
position in the spec's text, the message, and optional hints (fixes). The first line
of its text form is always `file:line:column: severity: message`, as compilers print
it, so editors and terminals can jump to the place.

A spec is a stranger's text: what a message quotes from it goes through `clip`, and every
message, hint and quoted source line is cut to a bounded length, so that no diagnostic
prints a whole megabyte-long name or line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# How much of a spec's own text a message quotes (a name, a key, a value): the longest
# legal name is 128 characters, and a diagnostic should fit a terminal line or two.
MAX_QUOTE = 80
# The longest message or hint line a diagnostic prints: far above any message archcalc
# writes about a legal spec (the longest, a layer list in a cycle error, is ~400).
MAX_LINE = 2000
# How much of the offending source line is shown around the caret.
MAX_SOURCE = 160
# How many errors one reading of a spec reports: clang's default `-ferror-limit`. Past it
# the rest are likely consequences of the first, and a stranger's file of 100,000 bad
# layers would otherwise print 100,000 diagnostics.
MAX_ERRORS = 20


def clip(text: object, limit: int = MAX_QUOTE) -> str:
    """`text` as a message quotes it: whole when short, else its start, an ellipsis and
    its length ("aaaa… (50,000,000 characters)")."""
    text = str(text) if not isinstance(text, str) else text
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _cut(line: str) -> str:
    return clip(line, MAX_LINE)


class SourceLoc(NamedTuple):
    """A 1-based line and column in a named file (`<string>` for text given inline).

    One is made per YAML value (a 100,000-layer spec has ~900,000): a named tuple, not a
    frozen dataclass, as it is as small and three times as quick to make (0.36 against
    1.2 µs on Python 3.11; a frozen dataclass sets each field through object.__setattr__)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Change:
    """A fix as an edit an editor can apply: set the layer's argument `arg` to `value`
    (YAML text); `label` says it in words (`stride 3 (→ 10)`)."""

    arg: str
    value: str
    label: str
    hint: str = ""  # the hint, among the diagnostic's, that proposes it


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    message: str
    loc: SourceLoc | None = None
    hints: tuple[str, ...] = ()
    layer: str | None = None  # the layer the finding is about, when there is one
    code: str = ""  # a short stable identifier, e.g. "non-integer-size"
    changes: tuple[Change, ...] = ()  # the hints that set one argument, as edits

    def __post_init__(self) -> None:
        # The last line of defence: whatever a message quotes, its length is bounded.
        if len(self.message) > MAX_LINE:
            object.__setattr__(self, "message", _cut(self.message))
        if any(len(h) > MAX_LINE for h in self.hints):
            object.__setattr__(self, "hints", tuple(_cut(h) for h in self.hints))

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


def _described(loc: SourceLoc | None, layer: str | None, message: str) -> str:
    where = f"{loc}: " if loc else ""
    return f"{where}{layer}: {message}" if layer else f"{where}{message}"


class DiagnosticError(Exception):
    """An error a command reports as diagnostics — the base of the compiler's, the
    trainer's and the data readers' errors (reference/errors.py). `exit_code` is the
    command line's status for it and belongs to the class, never to the message: 1 for an
    architecture that is invalid or cannot be built as written, 2 for the rest (input that
    cannot be read, something the command must be given, a command misused).

    Raise it with a message and what position there is — `loc` (a layer's place in the
    spec), `layer`, hints — or with diagnostics made elsewhere (a spec's findings). Without
    a `loc` there is honestly no position: an error about a file (a checkpoint, a data
    file) names the file at the start of its message, for a file has no line to point at.
    `str()` is the first diagnostic on one line without its severity: `file:line:col:
    layer: message`, or just the message when it has neither.
    """

    exit_code = 2

    def __init__(self, what: str | Diagnostic | list[Diagnostic] | tuple[Diagnostic, ...],
                 loc: SourceLoc | None = None, *hints: str, layer: str | None = None,
                 code: str = ""):
        if isinstance(what, str):
            self.diagnostics = (Diagnostic("error", what, loc, tuple(h for h in hints if h),
                                           layer, code),)
            # The message whole: a DataLoader worker's error arrives with its traceback as
            # the text, whose last line is the message (the diagnostic keeps a bounded copy).
            text = _described(loc, layer, what)
        else:
            self.diagnostics = (what,) if isinstance(what, Diagnostic) else tuple(what)
            if not self.diagnostics:
                raise ValueError(f"a {type(self).__name__} needs a diagnostic")
            first = self.diagnostics[0]
            text = _described(first.loc, first.layer, first.message)
        super().__init__(text)

    def __reduce__(self):  # pickled (between processes) with its diagnostics, not its text
        return type(self), (self.diagnostics,)


def gather(items, parse, found: list[Diagnostic]) -> list:
    """`parse(item)` for each item that parses; the diagnostics of those that raise a
    SpecError are added to `found`, and parsing goes on to the next item, so that one
    reading reports every independent mistake (at most MAX_ERRORS: it stops there)."""
    out = []
    for item in items:
        if len(found) >= MAX_ERRORS:
            break
        try:
            out.append(parse(item))
        except SpecError as exc:
            found.extend(exc.diagnostics)
    return out


def raise_found(found: list[Diagnostic]) -> None:
    """Raise what `gather` found, if anything."""
    if found:
        raise SpecError(found[:MAX_ERRORS])


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
            text, column = _window(text.expandtabs(1), max(diag.loc.column - 1, 0))
            gutter = f"{diag.loc.line:>4} | "
            out.append(gutter + text)
            out.append(" " * (len(gutter) + column) + "^")
    out.extend(f"  hint: {h}" for h in diag.hints)
    return out


def _window(text: str, column: int) -> tuple[str, int]:
    """At most MAX_SOURCE characters of a source line around the caret's column, with
    ellipses where it was cut, and the caret's column in what is shown."""
    if len(text) <= MAX_SOURCE:
        return text, column
    start = max(0, min(column - MAX_SOURCE // 2, len(text) - MAX_SOURCE))
    shown = text[start:start + MAX_SOURCE]
    lead = "…" if start > 0 else ""
    tail = "…" if start + MAX_SOURCE < len(text) else ""
    return lead + shown + tail, column - start + len(lead)
