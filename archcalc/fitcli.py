"""`archcalc fit` and `archcalc sweep`: the budget questions on the command line.

    archcalc fit specs/resnet50.yaml --solve H --max 'macs <= 10e9'
    archcalc sweep resnet50 H=32..512:32 --plot h.png --budget 'macs <= 10G'

`cli.py` registers these commands (`register`) and lends its spec reading and diagnostic
printing, so that this module does not import it back. Exit status: 0 an answer (fit) or a
table (sweep), 1 no value meets the budget, 2 an unreadable spec or budget, or misuse.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal

import click

from .errors import Diagnostic, SourceText, SpecError, clip
from .suggest import did_you_mean

_CLI: dict = {}   # what cli.py lends: parse, print_diagnostics, source_of, no_gc

_MEMORY = [
    click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
                 help="Batch size for memory and train_memory."),
    click.option("--dtype", type=click.Choice(["fp32", "bf16", "fp16"]), default="fp32",
                 show_default=True, help="Activation dtype for the memory figures."),
    click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam", "adamw"]),
                 default="momentum", show_default=True, help="Optimizer state in train_memory."),
    click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                 help="Bind the other symbols, e.g. --set W=320."),
    click.option("--convention", type=click.Choice(["torch", "macs"]), default="torch",
                 show_default=True, help="FLOP convention (see check)."),
]


def _options(f):
    for o in reversed(_MEMORY):
        f = o(f)
    return f


def register(main: click.Group, **lent) -> None:
    _CLI.update(lent)
    main.add_command(fit)
    main.add_command(sweep)


def _load(spec: str, sets, convention: str, texts: tuple[str, ...]):
    """(design, constraints) or a diagnostic and exit 2."""
    from .design import Design
    from .fit.constraints import parse_constraints

    source = None
    try:
        with _CLI["no_gc"](spec):
            constraints = parse_constraints(texts)
            parsed = _CLI["parse"](spec)
            source = parsed.source
            design = Design(parsed, _CLI["bindings"](tuple(sets)), convention=convention)
            return design, constraints
    except SpecError as exc:
        _report(exc, source or _CLI["source_of"](exc), texts)


def _report(exc: SpecError, source: SourceText | None, texts: tuple[str, ...]):
    """Print a SpecError under the text it points into — a constraint's or the spec's —
    and exit 2."""
    loc = exc.diagnostics[0].loc
    if loc is not None and loc.file == "<constraint>":
        source = SourceText("<constraint>", "\n".join(texts))
    _CLI["print_diagnostics"](exc.diagnostics, source)
    sys.exit(2)


def _check_symbol(design, name: str) -> None:
    if name == "batch" or design.spec.symbol_decl(name) is not None:
        return
    known = [s.name for s in design.spec.symbols]
    raise SpecError(Diagnostic("error", f"the spec has no symbol '{clip(name)}' (symbols: "
                               f"{clip(', '.join(known) or 'none', 200)}, or batch)", None,
                               tuple(h for h in [did_you_mean(name, [*known, 'batch'])] if h),
                               code="binding"))


@click.command()
@click.argument("spec")
@click.argument("constraints", nargs=-1, required=True, metavar="CONSTRAINT...")
@click.option("--solve", "symbol", required=True, metavar="SYMBOL",
              help="The symbol to size (a spec symbol, or batch); H,W: both, one value.")
@click.option("--max/--min", "maximize", default=True, help="Largest (default) or smallest.")
@click.option("--range", "span", metavar="LO..HI", help="Search these values only.")
@click.option("--step", metavar="DECIMAL", help="A fraction symbol's grid (default 0.01).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True,
              help="json: docs/fit.schema.json (schema archcalc.fit/1).")
@_options
def fit(spec, constraints, symbol, maximize, span, step, fmt, batch, dtype, optimizer, sets,
        convention):
    """Size a network to a budget: the largest (or smallest) value of SYMBOL that fits.

    CONSTRAINT: FIGURE OP NUMBER, joined by `and` — figures params, buffers, macs, flops,
    activations, memory, train_memory, rf, or LAYER.AXIS (layer4.H, out.C); numbers like
    5e6, 10G, 80GiB. E.g. archcalc fit resnet50 --solve H --max 'macs <= 10e9'.
    """
    from .fit.figures import SHOWN, MemoryOptions, check_figures
    from .fit.probe import Probe
    from .fit.solve import solve
    from .render.fit_json import render_fit_json, render_fit_markdown
    from .render.fit_text import render_fit

    design, cons = _load(spec, sets, convention, constraints)
    lo, hi = _span(span)
    try:
        with _CLI["no_gc"](spec):
            symbols = tuple(s.strip() for s in symbol.split(","))
            for s in symbols:
                _check_symbol(design, s)
            check_figures(design.analysis, cons)
            names = tuple(dict.fromkeys([*SHOWN, *(c.figure for c in cons)]))
            probe = Probe(design, symbols, names, MemoryOptions(batch, dtype, optimizer))
            result = solve(probe, cons, maximize, lo, hi, _step(step))
    except SpecError as exc:
        _report(exc, design.source, constraints)
    render = {"text": render_fit, "json": render_fit_json, "markdown": render_fit_markdown}
    click.echo(render[fmt](result, cons, design.spec.name, names), nl=False)
    sys.exit(0 if result.answer is not None else 1)


def _span(span: str | None) -> tuple[Decimal | None, Decimal | None]:
    if span is None:
        return None, None
    lo, sep, hi = span.partition("..")
    a, b = (_decimal(x, f"--range {clip(span)}: LO..HI") if x.strip() else None
            for x in (lo, hi))
    if not sep or (a is not None and b is not None and a > b) or any(
            x is not None and not 0 < x < 2**63 for x in (a, b)):
        raise click.UsageError(f"--range {clip(span)}: LO..HI with 0 < LO ≤ HI")
    return a, b


def _step(step: str | None) -> Decimal | None:
    if step is None:
        return None
    value = _decimal(step, f"--step {clip(step)}: a decimal")
    # a step below 1e-6 makes a grid of millions of analyses over a unit interval
    if not Decimal("1e-6") <= value <= 1000:
        raise click.UsageError(f"--step {clip(step)}: from 0.000001 to 1000")
    return value


def _decimal(text: str, what: str) -> Decimal:
    # digits and one point only: no exponent, NaN or Infinity, and a bounded length
    if len(text.strip()) > 40 or not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip()):
        raise click.UsageError(f"{what}, a number like 3, 224 or 1.25")
    return Decimal(text.strip())


@click.command()
@click.argument("spec")
@click.argument("ranges", nargs=-1, required=True, metavar="SYMBOL=START..STOP[:STEP]...")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]),
              default="table", show_default=True)
@click.option("--figures", default="params,macs,flops,activations,train_memory",
              show_default=True, help="Comma-separated figures to tabulate.")
@click.option("--budget", "budget", multiple=True, metavar="CONSTRAINT",
              help="Mark the values that meet it; drawn as a line by --plot.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, writable=True),
              help="Draw each figure against the symbol into this PNG (needs matplotlib).")
@_options
def sweep(spec, ranges, fmt, figures, budget, plot_path, batch, dtype, optimizer, sets,
          convention):
    """The figures over a range of a symbol, or a grid of two: H=32..512:32 d3=1..12."""
    from .fit.figures import MemoryOptions, check_figures
    from .fit.probe import Probe
    from .fit.sweep import parse_axis
    from .fit.sweep import sweep as run
    from .render.fit_text import render_sweep

    design, cons = _load(spec, sets, convention, budget)
    try:
        with _CLI["no_gc"](spec):
            axes = tuple(parse_axis(r) for r in ranges)
            if len(axes) > 2 or len({a.symbol for a in axes}) != len(axes):
                raise click.UsageError("sweep one symbol, or a grid of two different ones")
            for a in axes:
                _check_symbol(design, a.symbol)
            asked = tuple(f.strip() for f in figures.split(",") if f.strip())
            check_figures(design.analysis, cons)
            check_figures(design.analysis, _as_constraints(asked))
            names = tuple(dict.fromkeys([*asked, *(c.figure for c in cons)]))
            probe = Probe(design, tuple(a.symbol for a in axes), names,
                          MemoryOptions(batch, dtype, optimizer))
            table = run(probe, axes, cons)
    except SpecError as exc:
        _report(exc, design.source, budget)
    click.echo(render_sweep(table, fmt), nl=False)
    if plot_path:
        try:
            from .reference.sweep_plot import plot
        except ImportError:  # pragma: no cover - reference is part of the package
            raise click.UsageError("--plot needs archcalc's reference package") from None
        problem = plot(table, plot_path, design.spec.name)
        if problem:
            click.echo(f"error: {problem}", err=True)
            sys.exit(2)
        click.echo(f"wrote {plot_path}", err=True)


def _as_constraints(names):
    """--figures' names as constraints, for `check_figures` (no position: an option)."""
    from fractions import Fraction

    from .fit.constraints import Constraint

    return tuple(Constraint(n, "<=", Fraction(0), n, None) for n in names)
