"""The command line: `archcalc check SPEC`, `archcalc ops`, … — one module per command
group, each loaded only when its command runs.

`archcalc check` runs hundreds of times from a pre-commit hook, an editor or a sweep, so the
group below knows its commands by name and imports a command's module (and, inside it, the
libraries that command needs) when that command is called or help lists them: `check`
loads neither the compiler, the trainer, the importers' torch side nor the TUI's code.
The loaders are plain functions with static imports, so tests/test_import_graph.py reads
every edge.

    common.py   reading a spec, bindings, diagnostics (shared)
    check.py    check
    publish.py  diagram, compile, verify
    train.py    train
    explore.py  ops, schema, tui
    ../importers/command.py  import;  ../fitcli.py  fit, sweep

Exit codes: 0 success (a valid architecture), 1 an invalid architecture, 2 an unreadable
spec or misuse; diagnostics go to stderr.
"""

from __future__ import annotations

import click


def _check():
    from .check import check

    return check


def _publish(name: str):
    from . import publish

    return {"diagram": publish.diagram, "compile": publish.compile_,
            "verify": publish.verify}[name]


def _train():
    from .train import train

    return train


def _explore(name: str):
    from . import explore

    return {"ops": explore.ops, "schema": explore.schema, "tui": explore.tui}[name]


def _import():
    from ..importers.command import import_command

    return import_command


def _fit(name: str):
    # fit and sweep borrow the spec reading and diagnostics (fitcli does not import cli)
    from .. import fitcli
    from .common import bindings, no_cycle_collector, parse, print_diagnostics, source_of

    group = click.Group()
    fitcli.register(group, parse=parse, bindings=bindings, print_diagnostics=print_diagnostics,
                    source_of=source_of, no_gc=no_cycle_collector)
    return group.commands[name]


# name -> loader(name): the command, its module imported only now
COMMANDS = {"check": lambda _: _check(), "diagram": _publish, "compile": _publish,
            "verify": _publish, "train": lambda _: _train(), "ops": _explore,
            "schema": _explore, "tui": _explore, "import": lambda _: _import(),
            "fit": _fit, "sweep": _fit}


class _Group(click.Group):
    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(COMMANDS[cmd_name](cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_epilog(self, ctx, formatter):
        from ..layers import KINDS

        with formatter.section("Layer kinds (archcalc ops describes each)"):
            formatter.write_text(", ".join(sorted(KINDS)))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archcalc")
def main() -> None:
    """archcalc — exact sizes, parameters and FLOPs of a convolutional network written as a
    YAML spec, with the settings that do not fit flagged and fixed."""


if __name__ == "__main__":  # pragma: no cover
    main()
