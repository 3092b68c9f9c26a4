"""What the commands share: reading the spec a command names (a file, a built-in name,
`-`), the NAME=VALUE bindings, printing diagnostics as compilers do, and the guard that
turns running out of memory into a diagnostic. Imports only click and archcalc's errors at
load, so that `check` pays for nothing it does not use."""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from ..errors import (
    Diagnostic,
    DiagnosticError,
    SourceLoc,
    SourceText,
    SpecError,
    format_diagnostic,
)


@contextmanager
def no_cycle_collector(spec: str = ""):
    """Parsing and analysing a spec allocate ~10⁷ objects for a network at the layer limit
    and free none of them in cycles; Python's cycle collector would traverse them again and
    again (a third of the time of a 100,000-layer check, with the same peak memory), so
    it rests while they are built. Reference counting frees everything as usual.

    Inside, running out of memory (a process given less than the ~0.5 GB a spec at the
    limits needs) or of Python's stack is a diagnostic, never a traceback."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    except (MemoryError, RecursionError) as exc:
        what = "memory" if isinstance(exc, MemoryError) else "Python's stack"
        raise SpecError(Diagnostic(
            "error", f"archcalc ran out of {what} working on this spec", SourceLoc(spec, 1, 1),
            ("a spec at archcalc's limits needs about 0.5 GB; see README, Limits",),
            code="resources")) from None
    finally:
        if enabled:
            gc.enable()


def _resolve_spec(spec: str) -> Path:
    p = Path(spec)
    if p.exists():
        return p
    from .. import specs
    from ..suggest import close_matches

    builtin = specs.path(spec[:-5] if spec.endswith(".yaml") else spec)
    if builtin is not None and "/" not in spec:
        return builtin
    close = close_matches(spec, specs.names(), n=3)
    hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close else
            f"built-in specs: {', '.join(specs.names())}")
    # No position: there is no file to point into.
    raise SpecError(Diagnostic("error", f"no spec file '{spec}' and no built-in spec of that "
                               "name", None, (hint,), code="io"))


def parse(spec: str):
    """The spec a command names: a file, a built-in name, or `-` for standard input."""
    from ..spec import parse_file, parse_text
    from ..spec.source import MAX_SPEC_BYTES

    if spec != "-":
        return parse_file(_resolve_spec(spec))
    data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)  # the spec size limit, read no further
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(Diagnostic("error", f"standard input holds more than "
                                   f"{MAX_SPEC_BYTES:,} bytes (4 MiB), the most a spec may "
                                   "have", None, code="too-large"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(Diagnostic("error", f"standard input is not UTF-8 text ({exc.reason})",
                                   None, code="io")) from None
    return parse_text(text, "<stdin>")


def bindings(assignments: tuple[str, ...]) -> dict:
    """The NAME=VALUE pairs of a command line as numbers (whole, or decimals kept exact
    as written); the Design checks them against the spec (names, kinds, constraints,
    range)."""
    out: dict = {}
    if not assignments:
        return out
    from ..spec import bounds
    from ..spec.scalars import Real, resolve_plain

    for item in assignments:
        for part in item.split(","):
            name, eq, value = part.partition("=")
            name = name.strip().lstrip("$")
            if not eq or not name:
                raise click.UsageError(f"'{part}' is not NAME=VALUE (e.g. --set H=224)")
            value = value.strip()
            if len(value.lstrip("+-")) > bounds.MAX_DIGITS:  # before int(): 5,000 digits raise
                raise click.UsageError(f"{name}={value[:24]}…: out of range (numbers are at "
                                       "most 2^63 − 1)")
            try:
                out[name] = int(value)
            except ValueError:
                decimal = resolve_plain(value)  # 1.1 -> a Real, exact: 11/10
                if not isinstance(decimal, Real):
                    raise click.UsageError(f"{name}={value}: the value must be a whole number "
                                           "(or a decimal, for a fraction symbol)") from None
                out[name] = decimal
    return out


def print_diagnostics(diags, source: SourceText | None) -> None:
    """To stderr, as compilers print them; on a terminal (and without NO_COLOR) each
    severity is coloured as the report colours its rows (render/styles.py). Piped, the
    text is exactly `format_diagnostic`'s."""
    if not diags:
        return
    if not (sys.stderr.isatty() and "NO_COLOR" not in os.environ):
        for d in diags:
            click.echo(format_diagnostic(d, source), err=True)
        return
    from rich.console import Console

    from ..render.styles import diagnostic_text

    console = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)
    for d in diags:
        console.print(diagnostic_text(d, format_diagnostic(d, source)))


def fail(exc: DiagnosticError, source: SourceText | None) -> NoReturn:
    """Print a compile, train or data error as `check` prints its diagnostics — the spec's
    line under each that has a position in it — and exit with its class's status."""
    for d in exc.diagnostics:
        in_spec = source is not None and d.loc is not None and d.loc.file == source.name
        print_diagnostics((d,), source if in_spec else None)
    sys.exit(exc.exit_code)


def source_of(exc: SpecError) -> SourceText | None:
    """The text of the file a spec error points into, for the line under its diagnostic."""
    loc = exc.diagnostics[0].loc
    if loc is None:
        return None
    from ..spec.source import read_spec

    try:
        return SourceText(loc.file, read_spec(loc.file))  # bounded, as the parser reads it
    except SpecError:
        return None


def load(spec: str, assignments: tuple[str, ...]):
    """The Design a command works on: the spec parsed, bound at its defaults and the given
    bindings, and analysed — once, here, where a problem is reported (exit 2)."""
    from ..design import Design

    source = None
    try:
        with no_cycle_collector(spec):
            parsed = parse(spec)
            source = parsed.source
            design = Design(parsed, bindings(assignments))
            design.analysis  # noqa: B018 - made now, kept on the design for the command
            return design
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, source or source_of(exc))
        sys.exit(2)
