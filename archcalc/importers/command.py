"""`archcalc import` and the part of `archcalc check` that reads a model rather than a
spec: what the command line does with a target, the messages it prints, the files it
writes. Loads only click and archcalc until an import runs (then torch, or onnx)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import SpecError, format_diagnostic
from .ir import is_import_target, runs_python

SOURCE_HELP = """SOURCE is one of

\b
  torch:MODULE:CALLABLE   an installed module's model builder (torch:torchvision.models:resnet18)
  FILE.py:CALLABLE        a function or class in a Python file (examples/tv.py:resnet50)
  FILE.onnx               an ONNX graph

Importing from Python RUNS THAT CODE (the module or file, then CALLABLE with the --arg
keywords): import only code you would run. An ONNX file runs no code: it is read as data,
within a size and a node limit. The spec is written only once archcalc's analysis of it
gives the source's parameters and FLOPs (PyTorch) or initializer sizes and output shape
(ONNX); an operation archcalc cannot express stops the import, naming the node."""


def import_options(f):
    f = click.option("--arg", "args", multiple=True, metavar="NAME=VALUE",
                     help="A keyword argument of CALLABLE, a Python literal "
                          "(--arg num_classes=10); read with ast.literal_eval.")(f)
    f = click.option("--input", "input_dims", metavar="C,H,W",
                     help="The input's size (default 3,224,224; an ONNX file: its own); the "
                          "spatial sizes become symbols with these defaults.")(f)
    return click.option("--partial", is_flag=True,
                        help="Import up to the first operation archcalc cannot express, and "
                             "say where it stopped.")(f)


def run_import(source: str, args=(), input_dims=None, partial=False):
    """The Imported spec, or exit 2 with the reason printed."""
    from . import load

    try:
        if runs_python(source):
            import torch  # noqa: F401 - say it is missing before running anything
    except ImportError:
        click.echo("error: importing a PyTorch model needs PyTorch: pip install "
                   "'archcalc[torch]'", err=True)
        sys.exit(2)
    try:
        imported = load(source, tuple(args), input_dims, partial)
    except SpecError as exc:
        for d in exc.diagnostics:
            click.echo(format_diagnostic(d), err=True)
        sys.exit(2)
    for note in imported.notes:
        click.echo(f"note: {note}", err=True)
    return imported


def write(text: str, path: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc.strerror or exc}", err=True)
        sys.exit(2)


@click.command("import", help="Write a spec for an existing model (PyTorch or ONNX), "
               "verified against it.\n\n" + SOURCE_HELP)
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the spec here (default: stdout).")
@import_options
def import_command(source: str, output: str | None, args, input_dims, partial) -> None:
    if not is_import_target(source):
        raise click.UsageError(f"'{source}' is not torch:MODULE:CALLABLE, FILE.py:CALLABLE "
                               "or FILE.onnx")
    imported = run_import(source, args, input_dims, partial)
    if output:
        write(imported.text, output)
        what = (f"{imported.trainable:,} parameters, {imported.flops:,} FLOPs"
                if imported.flops is not None else
                f"{imported.trainable:,} weights: parameters and buffers")
        click.echo(f"wrote {output} ({len(imported.text.splitlines())} lines; verified: "
                   f"{what})", err=True)
    else:
        click.echo(imported.text, nl=False)


def imported_design(source: str, args, input_dims, partial, save_spec: str | None):
    """For `check`: the design of an imported model's spec at its defaults, as the import
    verified it (saved too with --save-spec, and then read from there, so that its
    diagnostics name the saved file)."""
    from .verify import verified_design

    imported = run_import(source, args, input_dims, partial)
    name = f"<import of {source}>"
    if save_spec:
        write(imported.text, save_spec)
        name = save_spec
    return verified_design(imported.text, name)
