"""Fixtures: run the CLI in-process (tests/helpers.py has the plain helpers)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archcalc.cli import main


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return run
