"""The command line: `archcalc check SPEC`, `archcalc ops`.

Exit codes: 0 the architecture is valid, 1 it is invalid (a layer does not fit),
2 the spec could not be read or the command was misused. Diagnostics go to stderr, the
report to stdout. Only click, rich and PyYAML load here — sympy only when something is
symbolic (archcalc/num.py), never torch or textual.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from .errors import Diagnostic, DiagnosticError, SourceLoc, SourceText, SpecError, format_diagnostic
from .importers import is_import_target
from .importers.command import import_command, import_options, imported_spec
from .suggest import close_matches, did_you_mean

FORMATS = ("table", "json", "markdown", "csv")
MAX_WIDTH = 10_000  # columns of a table: --width and COLUMNS beyond it are not widths


class _Group(click.Group):
    def format_epilog(self, ctx, formatter):
        from .layers import KINDS

        with formatter.section("Layer kinds (archcalc ops describes each)"):
            formatter.write_text(", ".join(sorted(KINDS)))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archcalc")
def main() -> None:
    """archcalc — exact sizes, parameters and FLOPs of a convolutional network written as a
    YAML spec, with the settings that do not fit flagged and fixed."""


@contextmanager
def _no_cycle_collector(spec: str = ""):
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
    from . import specs

    builtin = specs.path(spec[:-5] if spec.endswith(".yaml") else spec)
    if builtin is not None and "/" not in spec:
        return builtin
    close = close_matches(spec, specs.names(), n=3)
    hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close else
            f"built-in specs: {', '.join(specs.names())}")
    # No position: there is no file to point into.
    raise SpecError(Diagnostic("error", f"no spec file '{spec}' and no built-in spec of that "
                               "name", None, (hint,), code="io"))


def _parse(spec: str):
    """The spec a command names: a file, a built-in name, or `-` for standard input."""
    from .spec import parse_file, parse_text
    from .spec.source import MAX_SPEC_BYTES

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


def _bindings(assignments: tuple[str, ...]) -> dict:
    """The NAME=VALUE pairs of a command line as numbers (whole, or decimals kept exact
    as written); the Design checks them against the spec (names, kinds, constraints,
    range)."""
    from .spec import bounds
    from .spec.scalars import Real, resolve_plain

    out: dict = {}
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


def _print_diagnostics(diags, source: SourceText | None) -> None:
    """To stderr, as compilers print them; on a terminal (and without NO_COLOR) each
    severity is coloured as the report colours its rows (render/styles.py). Piped, the
    text is exactly `format_diagnostic`'s."""
    if not (sys.stderr.isatty() and "NO_COLOR" not in os.environ):
        for d in diags:
            click.echo(format_diagnostic(d, source), err=True)
        return
    from rich.console import Console

    from .render.styles import diagnostic_text

    console = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)
    for d in diags:
        console.print(diagnostic_text(d, format_diagnostic(d, source)))


def _fail(exc: DiagnosticError, source: SourceText | None) -> NoReturn:
    """Print a compile, train or data error as `check` prints its diagnostics — the spec's
    line under each that has a position in it — and exit with its class's status."""
    for d in exc.diagnostics:
        in_spec = source is not None and d.loc is not None and d.loc.file == source.name
        _print_diagnostics((d,), source if in_spec else None)
    sys.exit(exc.exit_code)


@main.command()
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
    from .analysis.memory import estimate
    from .design import Design, input_symbols

    source = None
    try:
        with _no_cycle_collector(spec):
            parsed = (imported_spec(spec, *importing)
                      if is_import_target(spec) else _parse(spec))
            source = parsed.source
            # --symbolic: the input's sizes stay symbols unless the command line binds them
            design = Design(parsed, _bindings(assignments),
                            free=input_symbols(parsed) if symbolic else (),
                            convention=convention)
            result = design.analysis
            memory = estimate(result, batch, dtype, optimizer)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, source or getattr(exc, "source", None) or
                           _source_of(exc))
        if many and fmt == "json":
            from .render.json_out import write_unreadable

            write_unreadable(spec, exc.diagnostics, sys.stdout)
        return 2
    try:
        with _no_cycle_collector(spec):
            _emit(result, fmt, explain, memory, view)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, None)
        return 2
    if fmt != "json":
        _print_diagnostics(result.findings, source)
    sys.stdout.flush()  # the report before the next one's diagnostics
    return 0 if result.ok else 1


def _source_of(exc: SpecError) -> SourceText | None:
    loc = exc.diagnostics[0].loc
    if loc is None:
        return None
    from .spec.source import read_spec

    try:
        return SourceText(loc.file, read_spec(loc.file))  # bounded, as the parser reads it
    except SpecError:
        return None


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
        from .render.columns import parse_keys

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
        from .render.json_out import write_json

        write_json(result, sys.stdout, memory)  # streamed: a report may be 10⁸ characters
    elif fmt == "markdown":
        from .render.text_formats import render_markdown

        click.echo(render_markdown(result, explain, memory, keys=view["keys"],
                                   depth=view["depth"]), nl=False)
    elif fmt == "csv":
        from .render.text_formats import render_csv

        click.echo(render_csv(result, explain, keys=view["keys"]), nl=False)
    else:
        from rich.console import Console

        from .render.table import PIPED_WIDTH, render_table

        tty = sys.stdout.isatty()
        console = Console(no_color=not tty or "NO_COLOR" in os.environ, highlight=False,
                          markup=False)
        width = view["width"] or (console.width if tty else _piped_width() or PIPED_WIDTH)
        render_table(result, console, explain, memory, keys=view["keys"],
                     depth=view["depth"], width=width)


def _load(spec: str, assignments: tuple[str, ...]):
    """The Design a command works on: the spec parsed, bound at its defaults and the given
    bindings, and analysed — once, here, where a problem is reported (exit 2)."""
    from .design import Design

    source = None
    try:
        with _no_cycle_collector(spec):
            parsed = _parse(spec)
            source = parsed.source
            design = Design(parsed, _bindings(assignments))
            design.analysis  # noqa: B018 - made now, kept on the design for the command
            return design
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, source or _source_of(exc))
        sys.exit(2)


@main.command()
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]),
              default="mermaid", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of stdout.")
@click.option("--collapse", is_flag=True, help="Draw each top-level block as one node.")
@click.option("--rankdir", type=click.Choice(["TB", "LR"]), default="TB", show_default=True,
              help="Top to bottom, or left to right (wide networks such as GoogLeNet).")
def diagram(spec: str, assignments, sets, fmt: str, output: str | None, collapse: bool,
            rankdir: str) -> None:
    """Draw the network as Mermaid or Graphviz DOT text, or SVG (needs Graphviz's `dot`).

    Each node shows its layer, kind, settings and output shape; blocks are nested clusters.
    Like `check`, it prints the spec's diagnostics and exits 1 when the architecture is
    invalid (the diagram is still drawn, the failing layers in red).
    """
    from .render import diagram as D

    design = _load(spec, tuple(sets) + tuple(assignments))
    parsed, analysis = design.spec, design.analysis
    text = D.mermaid(analysis, collapse, rankdir) if fmt == "mermaid" else \
        D.dot(analysis, collapse, rankdir)
    data = text.encode()
    if fmt == "svg":
        try:
            data = D.svg(analysis, collapse, rankdir)
        except FileNotFoundError:
            click.echo("error: SVG needs Graphviz's `dot` (e.g. apt-get install graphviz); "
                       "`--format dot` writes the same graph as text", err=True)
            sys.exit(2)
        except (subprocess.SubprocessError, OSError) as exc:
            click.echo(f"error: Graphviz's `dot` failed: {_first_line(exc)}", err=True)
            sys.exit(2)
    if output:
        try:
            Path(output).write_bytes(data)
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        click.echo(f"wrote {output} ({len(data):,} bytes)", err=True)
    else:
        sys.stdout.buffer.write(data)
    _print_diagnostics(analysis.findings, parsed.source)
    sys.exit(0 if analysis.ok else 1)


def _first_line(exc: Exception) -> str:
    stderr = getattr(exc, "stderr", None)
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:200]


def _need_torch(command: str) -> None:
    """compile/verify/train need PyTorch; say how to get it rather than fail on import."""
    try:
        import torch  # noqa: F401 - the command needs it anyway
    except ImportError:
        click.echo(f"error: archcalc {command} needs PyTorch, which is not installed.\n"
                   "  hint: pip install 'archcalc[torch]' — on a machine with a local CPU "
                   "wheel, pip install torch==2.13.0 numpy", err=True)
        sys.exit(2)


@main.command("compile")
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the PyTorch source here (default: stdout).")
@click.option("--onnx", "onnx_path", type=click.Path(dir_okay=False, writable=True),
              help="Also export the model to this ONNX file (needs the onnx package).")
def compile_(spec: str, assignments, sets, output: str | None, onnx_path: str | None) -> None:
    """Write standalone, readable PyTorch source for SPEC (one class per block kind).

    Symbols take the spec's defaults unless bound (--set H=224 or H=224). The file imports
    only torch, and builds the same network as archcalc.reference.build.
    """
    _need_torch("compile")
    from .reference.codegen import generate

    design = _load(spec, tuple(sets) + tuple(assignments))
    parsed = design.spec
    try:
        text = generate(design, origin=Path(parsed.source.name).name)
        if onnx_path:
            from .reference.export import export_onnx

            export_onnx(design, onnx_path)
            click.echo(f"wrote {onnx_path}", err=True)
    except DiagnosticError as exc:
        _fail(exc, parsed.source)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        click.echo(f"wrote {output} ({len(text.splitlines())} lines)", err=True)
    elif not onnx_path:
        click.echo(text, nl=False)


@main.command()
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("--all-layers", is_flag=True, help="List every layer, not only a summary.")
def verify(spec: str, assignments, sets, all_layers: bool) -> None:
    """Build SPEC in PyTorch (meta device) and compare it with the calculator, layer by
    layer: output shapes, parameters, buffers, FLOPs (FlopCounterMode). Exit 1 on any
    mismatch, naming the first layer that disagrees."""
    _need_torch("verify")
    from .reference.verify import verify as run

    design = _load(spec, tuple(sets) + tuple(assignments))
    parsed = design.spec
    try:
        result = run(design)
    except DiagnosticError as exc:
        _fail(exc, parsed.source)
    from rich.console import Console

    from .render import verify_text as V

    tty = sys.stdout.isatty()
    console = Console(width=None if tty else 160, highlight=False, markup=False)
    # By default the totals and the layers that disagree; --all-layers every layer.
    shown = V.shown_layers(result, all_layers)
    if shown:
        console.print(V.layer_table(result, shown, ascii=not tty))  # plain when piped
    for line in V.totals_lines(result):
        console.print(line)
    console.print(V.checked_line(result, shown, all_layers) +
                  ("" if all_layers else " — --all-layers lists every layer"))
    problems = V.disagreement(result)
    if problems:  # at the first layer that disagrees, where there is one
        bad = result.first_mismatch
        _print_diagnostics((Diagnostic("error", problems[0], bad.loc if bad else None,
                                       tuple(problems[1:])),),
                           parsed.source)
        sys.exit(1)
    console.print(V.AGREES)


@main.command()
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("--data", default="digits", show_default=True,
              help="digits | mnist[:DIR] | fashion-mnist:DIR | cifar10:DIR | folder:DIR | "
                   "synthetic[:N]")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--batch-size", "--batch", "batch_size", type=click.IntRange(min=1), default=64,
              show_default=True, help="Samples per step (--batch, as `check` spells it, too).")
@click.option("--lr", type=float, default=0.05, show_default=True, help="Peak learning rate.")
@click.option("--optimizer", type=click.Choice(["sgd", "adam", "adamw"]), default="sgd",
              show_default=True)
@click.option("--momentum", type=float, default=0.9, show_default=True)
@click.option("--nesterov/--no-nesterov", default=True, show_default=True)
@click.option("--weight-decay", type=float, default=5e-4, show_default=True)
@click.option("--schedule", type=click.Choice(["cosine", "onecycle", "step", "none"]),
              default="cosine", show_default=True)
@click.option("--warmup-epochs", type=float, default=1.0, show_default=True)
@click.option("--label-smoothing", type=float, default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--deterministic", is_flag=True, help="Deterministic algorithms (slower).")
@click.option("--device", default="auto", show_default=True,
              help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the model.")
@click.option("--amp/--no-amp", default=True, show_default=True,
              help="bf16 autocast on CUDA.")
@click.option("--out", help="Directory for checkpoint.pt, metrics.jsonl, steps.jsonl and "
              "curves.png. Default: a new runs/NAME-N per run (NAME: the spec's); one that "
              "holds a run is refused unless --resume or --overwrite.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt (without --out: "
              "the latest run of the spec, the one whose checkpoint was written last).")
@click.option("--overwrite", is_flag=True, help="Replace the run that --out holds.")
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads (default: OMP_NUM_THREADS if set, else one per GFLOP of "
                   "training work a step, at most the usable cores).")
@click.option("--force", is_flag=True,
              help="With --resume: go on although the settings differ from the checkpoint's.")
@click.option("--plot", is_flag=True, help="Write OUT/curves.png: loss and accuracy per step "
              "and per epoch (needs matplotlib).")
@click.option("--peak-tflops", type=float, help="The device's peak, for MFU.")
@click.option("--max-steps", type=click.IntRange(min=1), help="Steps per epoch at most.")
@click.option("--rank-digests", is_flag=True, hidden=True,
              help="Every rank prints a digest of its final weights and its run directory "
                   "(tests).")
def train(spec: str, assignments, sets, rank_digests: bool, compile_: bool, **options) -> None:
    """Train SPEC on real data with the reference trainer (see README).

    Checkpoints every epoch (atomic), metrics per epoch in JSONL, throughput and MFU from
    archcalc's own FLOP count. Runs under `torchrun --nproc_per_node N` with DDP.
    """
    _need_torch("train")
    from .reference.train import TrainConfig
    from .reference.train import train as run

    design = _load(spec, tuple(sets) + tuple(assignments))
    cfg = TrainConfig(**options, compile=compile_, bindings=dict(design.bindings))
    from rich.console import Console

    # soft_wrap: a message is one line in a log file too, not broken at 80 columns
    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    progress, task = None, None
    if console.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("epoch {task.fields[epoch]}/" + str(cfg.epochs)),
                            BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TextColumn("loss {task.fields[loss]:.4f}"),
                            TextColumn("acc {task.fields[acc]:.2%}"),
                            TextColumn("{task.fields[rate]:,.0f} img/s"), TimeElapsedColumn(),
                            console=console, transient=True)
        task = progress.add_task("train", total=1, epoch=0, loss=0.0, acc=0.0, rate=0.0)

    def log(message: str, progress_line: bool = False, **_) -> None:
        console.print(message)

    def step(epoch, i, steps, loss, acc, rate) -> None:
        if i == 1:
            progress.reset(task, total=steps)
        progress.update(task, completed=i, epoch=epoch, loss=loss, acc=acc, rate=rate)
    try:
        if progress is not None:
            with progress:
                result = run(design, cfg, log, step)
        else:
            result = run(design, cfg, log)
    except DiagnosticError as exc:  # the spec's, the data's, the run directory's, …
        _fail(exc, design.source)
    if rank_digests:
        click.echo(f"rank {result.rank} weights sha256 {result.weights_sha256}", err=True)
        click.echo(f"rank {result.rank} run directory {result.out}", err=True)
    if result.rank != 0 or not result.history:
        return
    _train_summary(result, cfg)


def _train_summary(result, cfg) -> None:
    """The summary table of a run (`result`: a reference.train.TrainResult) on stdout: box
    drawing on a terminal, plain ASCII when piped (as `check` does), so that a log file or
    another program reads it as text."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    last = result.history[-1]
    best = max(epoch.test_acc for epoch in result.history)
    console = Console(highlight=False, markup=False)
    tty = console.is_terminal
    if not tty:
        console = Console(width=200, no_color=True, highlight=False, markup=False)
    table = Table(title=f"Training summary: {result.data} on {result.device}",
                  box=box.HEAVY_HEAD if tty else box.ASCII2)
    table.add_column("")
    table.add_column("value", justify="right")
    rows = [("epochs", f"{last.epoch}"), ("final held-out accuracy", f"{last.test_acc:.2%}"),
            ("best held-out accuracy", f"{best:.2%}"), ("final training loss", f"{last.loss:.4f}"),
            ("images/s (with data time)", f"{last.images_per_s:,.0f}"),
            ("images/s (compute only)", f"{last.images_per_s_compute:,.0f}"),
            ("achieved TFLOP/s (3 x forward)", f"{last.achieved_tflops:.4f}"),
            ("MFU", f"{last.mfu:.1%}" if last.mfu is not None else
             "unknown peak (--peak-tflops)"),
            ("checkpoint", f"{result.out}/checkpoint.pt"),
            ("metrics", f"{result.out}/metrics.jsonl")]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


@main.command()
@click.argument("spec", required=False)
def tui(spec: str | None) -> None:
    """Design interactively: the spec beside its live analysis (Textual).

    SPEC is a file (created on the first save if it does not exist) or a built-in name;
    without it, start from the LeNet-5 template.
    """
    try:
        import textual  # noqa: F401
    except ImportError:
        click.echo("error: archcalc tui needs textual: pip install 'archcalc[tui]'", err=True)
        sys.exit(2)
    from .tui import run
    from .tui.session import FileProblem, atomic_write, read_spec

    path = text = None
    if spec:
        p = Path(spec)
        if not p.exists():
            from . import specs

            builtin = specs.path(spec[:-5] if spec.endswith(".yaml") else spec)
            if builtin is not None and "/" not in spec:
                p = Path(spec if spec.endswith(".yaml") else spec + ".yaml")
                if not p.exists():
                    text = builtin.read_text(encoding="utf-8")
                    try:
                        atomic_write(p, text)
                    except OSError:
                        pass  # still start: unsaved, and the first save says what is wrong
        if p.exists():
            # Read here, not in the app: a folder or a file that is not UTF-8 text is a
            # one-line error before the screen is taken over.
            try:
                text = read_spec(p)
            except FileProblem as problem:
                click.echo(f"error: cannot open {p}: {problem}", err=True)
                sys.exit(2)
        path = p
    run(path, text)


@main.command()
def schema() -> None:
    """Print a JSON Schema of the spec language (for editors with a YAML language server)."""
    import json

    from .spec.schema import spec_schema

    click.echo(json.dumps(spec_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("kinds", nargs=-1, metavar="[KIND]...")
def ops(kinds) -> None:
    """List every layer kind (or the KINDs named, aliases too) with its arguments, defaults
    and PyTorch counterpart."""
    from .layers import ALIASES, KINDS

    names = sorted(KINDS) if not kinds else []
    for wanted in kinds:
        name = ALIASES.get(wanted, wanted)
        if name not in KINDS:
            hint = did_you_mean(wanted, [*KINDS, *ALIASES])
            click.echo(f"error: no layer kind '{wanted}'" +
                       (f"; {hint}" if hint else " (archcalc ops lists them)"), err=True)
            sys.exit(2)
        names.append(name)
    for name in names:
        kind = KINDS[name]
        aliases = f" (also: {', '.join(kind.aliases)})" if kind.aliases else ""
        click.echo(f"{name}{aliases} — {kind.summary}")
        click.echo(f"    PyTorch: {kind.torch}" + (f"; `- {name}: VALUE` sets {kind.shorthand}"
                                                      if kind.shorthand else ""))
        for p in kind.params:
            default = "required" if p.required else f"default {_default_text(p.default)}"
            choices = f" [{'|'.join(p.choices)}]" if p.choices else ""
            click.echo(f"    {p.name}: {p.type}{choices}, {default} — {p.doc}")


main.add_command(import_command)


def _default_text(value) -> str:
    if value is None:
        return "see description"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


if __name__ == "__main__":  # pragma: no cover
    main()


# `fit` and `sweep` live in fitcli.py, which borrows the spec reading and diagnostics above.
from .fitcli import register as _register_fit  # noqa: E402

_register_fit(main, parse=_parse, bindings=_bindings, print_diagnostics=_print_diagnostics,
              source_of=_source_of, no_gc=_no_cycle_collector)
