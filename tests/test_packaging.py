"""The install ships every package: pyproject lists packages explicitly (for the
tui/reference/specs mapping), so a new sub-package must be added there — this test says so."""

from __future__ import annotations

import tomllib
from helpers import ROOT


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapped = {v: k for k, v in config["package-dir"].items()}
    found = set()
    for init in ROOT.glob("**/__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and rel.parts[0] in ("tests", "bench", ".venv", "build"):
            continue
        top = rel.parts[0]
        name = ".".join((mapped.get(top, top), *rel.parts[1:]))
        if name.startswith("archcalc"):
            found.add(name)
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
