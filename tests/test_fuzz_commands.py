"""Mutated library specs through every command that reads a spec — `check`, `diagram`,
`compile` and `verify` — in-process: each ends with an exit status and, on bad input, a
`file:line:column: error:` line; none ends in a traceback. The mutations splice in the
language's bombs (powers of powers, huge literals, division by a symbol's zero, empty blocks,
references to themselves). Hangs are ruled out by bounded work, not by a clock here: no case
may loop over a value it read.

A longer run: `ARCHCALC_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_commands.py`."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from helpers import SPECS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.cli import main

torch = pytest.importorskip("torch")

SOURCES = [(SPECS / f"{n}.yaml").read_text() for n in (
    "lenet5", "alexnet", "resnet18", "googlenet", "fcn1d")]
BOMBS = ["(((2**64)**64)**64)", "1e999999999", "9" * 40, "1 + 5 % (H - 32)", "H**64",
         "2**63", "-2**63", "0", "1/3", "10000000", "2**31", "1e20", "layers: []",
         "repeat: 1000", "from: a", "{name: a, from: a}", '"\\"\\"\\""', "name: '[/b]'",
         "\\N{X}", "\x00", "H - 224", "(H - 1)/0", "max(1, 2, 3)", "floor(H/0.5)"]
TOKENS = BOMBS + ["conv", "fc", "relu", "kernel", "stride", "padding", "same", ":", "{", "}",
                  "[", "]", ",", "-1", "H", "&a", "*a", "\n", "  ", "'", '"', "name"]
COMMANDS = (("check",), ("check", "--symbolic"), ("check", "--format", "json"),
            ("diagram",), ("compile",), ("verify",))


def run(args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"archcalc {' '.join(map(str, args))} raised "
                             f"{type(result.exception).__name__}: {result.exception}") \
            from result.exception
    return result


@settings(max_examples=int(os.environ.get("ARCHCALC_FUZZ_EXAMPLES", 40)), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SOURCES), st.lists(st.tuples(st.integers(0, 4000),
                                                  st.sampled_from(TOKENS)), min_size=1,
                                        max_size=3),
       st.sampled_from(COMMANDS))
def test_every_command_survives_mutated_specs(tmp_path_factory, source, edits, command):
    text = source
    for pos, token in edits:
        pos %= max(len(text), 1)
        text = text[:pos] + token + text[pos + len(token) // 2:]
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    result = run([command[0], path, *command[1:]])
    assert "Traceback" not in result.stderr
    if result.exit_code not in (0, 1, 2):
        raise AssertionError(f"exit {result.exit_code}: {result.stderr[-2000:]}")
    if result.exit_code == 2 and command[0] in ("check", "diagram"):
        assert result.stderr.startswith(f"{path}:"), result.stderr[:500]
