"""The spec library, shipped inside the package as `archcalc.specs`.

`archcalc check alexnet` finds `alexnet.yaml` here after a plain install; the TUI's
templates come from here too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".yaml"))


def path(name: str) -> Path | None:
    """The file of a built-in spec, or None."""
    candidate = resources.files(__name__) / f"{name}.yaml"
    return Path(str(candidate)) if candidate.is_file() else None
