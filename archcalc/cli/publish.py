"""`archcalc diagram`, `archcalc compile` and `archcalc verify`: the network drawn, written
as PyTorch source, and built in PyTorch to be compared with the calculator. compile and
verify need torch; each command imports what it uses when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from ..errors import Diagnostic, DiagnosticError
from .common import fail, load, print_diagnostics


@click.command()
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
    from ..render import diagram as D

    design = load(spec, tuple(sets) + tuple(assignments))
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
    print_diagnostics(analysis.findings, parsed.source)
    sys.exit(0 if analysis.ok else 1)


def _first_line(exc: Exception) -> str:
    stderr = getattr(exc, "stderr", None)
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:200]


def need_torch(command: str) -> None:
    """compile/verify/train need PyTorch; say how to get it rather than fail on import."""
    try:
        import torch  # noqa: F401 - the command needs it anyway
    except ImportError:
        click.echo(f"error: archcalc {command} needs PyTorch, which is not installed.\n"
                   "  hint: pip install 'archcalc[torch]' — on a machine with a local CPU "
                   "wheel, pip install torch==2.13.0 numpy", err=True)
        sys.exit(2)


@click.command("compile")
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
    need_torch("compile")
    from ..reference.codegen import generate

    design = load(spec, tuple(sets) + tuple(assignments))
    parsed = design.spec
    try:
        text = generate(design, origin=Path(parsed.source.name).name)
        if onnx_path:
            from ..reference.export import export_onnx

            export_onnx(design, onnx_path)
            click.echo(f"wrote {onnx_path}", err=True)
    except DiagnosticError as exc:
        fail(exc, parsed.source)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        click.echo(f"wrote {output} ({len(text.splitlines())} lines)", err=True)
    elif not onnx_path:
        click.echo(text, nl=False)


@click.command()
@click.argument("spec")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a symbol.")
@click.option("--all-layers", is_flag=True, help="List every layer, not only a summary.")
def verify(spec: str, assignments, sets, all_layers: bool) -> None:
    """Build SPEC in PyTorch (meta device) and compare it with the calculator, layer by
    layer: output shapes, parameters, buffers, FLOPs (FlopCounterMode). Exit 1 on any
    mismatch, naming the first layer that disagrees."""
    need_torch("verify")
    from ..reference.verify import verify as run

    design = load(spec, tuple(sets) + tuple(assignments))
    parsed = design.spec
    try:
        result = run(design)
    except DiagnosticError as exc:
        fail(exc, parsed.source)
    from rich.console import Console

    from ..render import verify_text as V

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
        print_diagnostics((Diagnostic("error", problems[0], bad.loc if bad else None,
                                       tuple(problems[1:])),),
                           parsed.source)
        sys.exit(1)
    console.print(V.AGREES)
