"""Fixtures: run the CLI in-process; torchvision's models (tests/helpers.py has the plain
helpers, tests/tv_oracle.py the torchvision comparison)."""

from __future__ import annotations

import sys
import types

import pytest
from click.testing import CliRunner
from tv_oracle import torchvision

from archcalc.cli import main

# The same trick as tv_oracle.torchvision(), for tests that `importorskip("torchvision")`.
sys.modules.setdefault("torchvision._meta_registrations",
                       types.ModuleType("torchvision._meta_registrations"))


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return run


@pytest.fixture
def tv_models():
    """torchvision.models, imported as these machines allow; skips where it is absent."""
    return torchvision().models
