"""`archcalc ops`, `archcalc schema` and `archcalc tui`: the language described (every
layer kind, a JSON Schema for editors) and the interactive design session (Textual)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..suggest import did_you_mean


@click.command()
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
    from ..tui import run
    from ..tui.session import FileProblem, atomic_write, read_spec

    path = text = None
    if spec:
        p = Path(spec)
        if not p.exists():
            from .. import specs

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


@click.command()
def schema() -> None:
    """Print a JSON Schema of the spec language (for editors with a YAML language server)."""
    import json

    from ..spec.schema import spec_schema

    click.echo(json.dumps(spec_schema(), indent=2, ensure_ascii=False))


@click.command()
@click.argument("kinds", nargs=-1, metavar="[KIND]...")
def ops(kinds) -> None:
    """List every layer kind (or the KINDs named, aliases too) with its arguments, defaults
    and PyTorch counterpart."""
    from ..layers import ALIASES, KINDS

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


def _default_text(value) -> str:
    if value is None:
        return "see description"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
