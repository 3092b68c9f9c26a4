"""Fixtures: run the CLI in-process (tests/helpers.py has the plain helpers).

torchvision 0.28's C extension does not load on the CPU torch 2.13 wheel; its models and
ops are pure Python and import once `torchvision._meta_registrations` (which registers the
extension's meta kernels) is an empty module, so the tests compare against them."""

from __future__ import annotations

import sys
import types

import pytest
from click.testing import CliRunner

from archcalc.cli import main

sys.modules.setdefault("torchvision._meta_registrations",
                       types.ModuleType("torchvision._meta_registrations"))


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return run
