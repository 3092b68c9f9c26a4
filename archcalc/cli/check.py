"""`archcalc check SPEC...`: calculate a network layer by layer and flag what does not fit.

Exit codes: 0 the architecture is valid, 1 it is invalid (a layer does not fit),
2 the spec could not be read or the command was misused. Diagnostics go to stderr, the
report to stdout. The command a pre-commit hook or an editor runs hundreds of times, so it
loads only what the report asks for: click and PyYAML always; rich only to colour a
terminal's table (piped, the table is plain text); sympy only when something is symbolic
(archcalc/num.py); never torch or textual.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import SpecError
from ..importers.command import import_options, imported_design
from ..importers.ir import is_import_target
from .common import bindings, no_cycle_collector, parse, print_diagnostics, source_of

FORMATS = ("table", "json", "markdown", "csv")
MAX_WIDTH = 10_000  # columns of a table: --width and COLUMNS beyond it are not widths


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="SPEC... [NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Bind a symbol, e.g. --set H=224 W=224 (or H=224,W=224).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Report format.")
@click.option("--symbolic", is_flag=True,
              help="Leave the input's spatial symbols unbound: sizes, MACs and activations "
                   "print as formulas in them.")
@click.option("--collapse", is_flag=True,
              help="Show each top-level block as one row with its totals (--depth 0).")
@click.option("--depth", type=click.IntRange(min=0), metavar="N",
              help="Show rows nested at most N blocks deep; a block's row carries its "
                   "hidden layers' totals (torchinfo's depth=). Default: every row.")
@click.option("--columns", "column_names", multiple=True, metavar="NAME,...",
              help="The table's columns, in order (the layer's name always first): type, "
                   "output, arithmetic, params, buffers, macs, flops, activations, "
                   "receptive, connected, connections, unshared, dense. Chosen columns all "
                   "show, whatever the width. Default: those that fit, most useful first.")
@click.option("--width", type=click.IntRange(20, MAX_WIDTH), metavar="N",
              help="The table's width in columns. Default: the terminal's, else COLUMNS, "
                   "else 100.")
@click.option("--explain", is_flag=True,
              help="Add the seeds' weight-sharing figures: connections per neuron and the "
                   "parameters each conv layer would need without sharing.")
@click.option("--convention", type=click.Choice(["torch", "macs"]), default="torch",
              show_default=True, help="FLOP convention: torch (FLOPs = 2×MACs, "
              "FlopCounterMode) or macs (FLOPs = MACs: fvcore, thop, torchinfo).")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch size for the memory estimate.")
@click.option("--dtype", type=click.Choice(["fp32", "bf16", "fp16"]), default="fp32",
              show_default=True, help="Activation dtype for the memory estimate.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam", "adamw"]),
              default="momentum", show_default=True,
              help="Optimizer whose state the training footprint includes.")
@import_options
@click.option("--save-spec", type=click.Path(dir_okay=False, writable=True),
              help="An imported model: keep its spec in this file.")
def check(targets, sets, fmt: str, symbolic: bool, collapse: bool,
          depth: int | None, column_names: tuple[str, ...], width: int | None,
          explain: bool, convention: str, batch: int, dtype: str, optimizer: str,
          args=(), input_dims=None, partial=False, save_spec=None) -> None:
    """Calculate a network layer by layer and flag the settings that do not fit.

    SPEC is a YAML file or the name of a built-in spec (lenet5, alexnet, vgg16, ...), or a
    model to import first: torch:MODULE:CALLABLE or FILE.py:CALLABLE (this RUNS that
    Python code) or FILE.onnx (runs none) — see `archcalc import --help`. Several are
    checked one after another, one report each (JSON: an array of reports).
    Exit status: 0 valid, 1 invalid architecture, 2 unreadable spec or misuse — with
    several specs, the worst of theirs.
    """
    specs = [a for a in targets if "=" not in a or Path(a).exists()]
    assignments = tuple(a for a in targets if a not in specs)
    if not specs:
        raise click.UsageError("no SPEC given (a YAML file or a built-in name)")
    view = _table_view(fmt, collapse, depth, column_names, width)
    options = (tuple(sets) + assignments, fmt, symbolic, view, explain, convention,
               batch, dtype, optimizer, (args, input_dims, partial, save_spec))
    if len(specs) == 1:
        sys.exit(_check_one(specs[0], *options))
    worst = 0
    if fmt == "json":
        sys.stdout.write("[\n")
    for i, spec in enumerate(specs):
        if i:
            sys.stdout.write(",\n" if fmt == "json" else "\n")
        worst = max(worst, _check_one(spec, *options, many=True))
    if fmt == "json":
        sys.stdout.write("]\n")
    sys.exit(worst)


def _check_one(spec: str, assignments, fmt: str, symbolic: bool, view: dict,
               explain: bool, convention: str, batch: int, dtype: str, optimizer: str,
               importing: tuple, many: bool = False) -> int:
    """Check one spec and print its report; its exit status. `importing`: the import
    options (--arg, --input, --partial, --save-spec) for a model to import first. `many`:
    one of several (an unreadable spec's JSON is then an entry of the array, its
    diagnostics in it)."""
    from ..analysis.memory import estimate
    from ..design import Design, input_symbols

    source = None
    try:
        with no_cycle_collector(spec):
            verified = imported_design(spec, *importing) if is_import_target(spec) \
                else None
            parsed = verified.spec if verified is not None else parse(spec)
            source = parsed.source
            # --symbolic: the input's sizes stay symbols unless the command line binds them
            free = input_symbols(parsed) if symbolic else ()
            if verified is not None and verified.convention == convention:
                design = verified.rebind(bindings(assignments), free=free)  # analysed once
            else:
                design = Design(parsed, bindings(assignments), free=free,
                                convention=convention)
            result = design.analysis
            memory = estimate(result, batch, dtype, optimizer)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, source or getattr(exc, "source", None) or
                           source_of(exc))
        if many and fmt == "json":
            from ..render.json_out import write_unreadable

            write_unreadable(spec, exc.diagnostics, sys.stdout)
        return 2
    try:
        with no_cycle_collector(spec):
            _emit(result, fmt, explain, memory, view)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, None)
        return 2
    if fmt != "json":
        print_diagnostics(result.findings, source)
    sys.stdout.flush()  # the report before the next one's diagnostics
    return 0 if result.ok else 1


def _table_view(fmt: str, collapse: bool, depth: int | None, names: tuple[str, ...],
                width: int | None) -> dict:
    """What the report shows of the rows and columns: `--columns` parsed, `--collapse` as
    depth 0, and the options a format has no use for refused (exit 2)."""
    unused = {"json": ("--depth", "--columns", "--width"),
              "csv": ("--depth", "--width"), "markdown": ("--width",)}
    given = {"--collapse": collapse, "--depth": depth is not None, "--columns": bool(names),
             "--width": width is not None}
    for option in unused.get(fmt, ()):
        if given[option]:
            raise click.UsageError(f"{option} shapes the table; --format {fmt} "
                                   + ("reports every layer and column" if fmt == "json" else
                                      "has no use for it"))
    if collapse and depth not in (None, 0):
        raise click.UsageError("--collapse is --depth 0: give one of them")
    keys = None
    if names:
        from ..render.columns import parse_keys

        try:
            keys = parse_keys(names)
        except ValueError as exc:
            raise click.UsageError(f"--columns: {exc}") from None
    return {"depth": 0 if collapse else depth, "keys": keys, "width": width}


def _piped_width() -> int | None:
    """COLUMNS, where it holds a usable width (rich reads it for a terminal the same way)."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and 20 <= int(value) <= MAX_WIDTH else None


def _emit(result, fmt: str, explain: bool, memory=None, view: dict | None = None) -> None:
    view = view or {"depth": None, "keys": None, "width": None}
    if fmt == "json":
        from ..render.json_out import write_json

        write_json(result, sys.stdout, memory)  # streamed: a report may be 10⁸ characters
    elif fmt == "markdown":
        from ..render.text_formats import render_markdown

        click.echo(render_markdown(result, explain, memory, keys=view["keys"],
                                   depth=view["depth"]), nl=False)
    elif fmt == "csv":
        from ..render.text_formats import render_csv

        click.echo(render_csv(result, explain, keys=view["keys"]), nl=False)
    else:
        from ..render.table import PIPED_WIDTH, render_table, write_plain_table

        tty = sys.stdout.isatty()
        if not tty and _rich_would_not_colour():
            write_plain_table(result, sys.stdout, explain, memory, keys=view["keys"],
                              depth=view["depth"],
                              width=view["width"] or _piped_width() or PIPED_WIDTH)
            return
        from rich.console import Console

        console = Console(no_color=not tty or "NO_COLOR" in os.environ, highlight=False,
                          markup=False)
        width = view["width"] or (console.width if tty else _piped_width() or PIPED_WIDTH)
        render_table(result, console, explain, memory, keys=view["keys"],
                     depth=view["depth"], width=width)


def _rich_would_not_colour() -> bool:
    """For a stdout that is not a terminal: would rich's Console find no colour system
    there, so that the table is plain text and rich's console (~40 ms to import) need not
    load? Its rules (rich.console.Console.is_terminal, _detect_color_system): TTY_COMPATIBLE=1
    or a non-empty FORCE_COLOR make it a terminal (unless TTY_COMPATIBLE=0), and Jupyter
    (IPython's get_ipython among the builtins) colours; otherwise not a tty is plain."""
    import builtins

    env = os.environ
    if hasattr(builtins, "get_ipython"):
        return False  # let rich decide, as it always has
    if env.get("TTY_COMPATIBLE", "") == "0":
        return True
    return env.get("TTY_COMPATIBLE", "") != "1" and not env.get("FORCE_COLOR")
