"""Where a run writes, so that a second `archcalc train` never replaces the first.

Without `--out` each run gets a new numbered directory, `runs/NAME-1`, `runs/NAME-2`, …
(NAME: the spec's file stem, which is a built-in spec's name): one more than the highest
number there, so the numbers follow the order the runs began in, and made with an exclusive
mkdir, so two runs started at once never share one. `--resume` without `--out` continues
the latest run of that spec: the `runs/NAME-N` whose checkpoint was written last. An
explicit `--out` that already holds a run is refused unless `--resume` (continue it) or
`--overwrite` (replace it) is given.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import RunDirError

RUNS = Path("runs")
RUN_FILES = ("checkpoint.pt", "metrics.jsonl")  # what makes a directory hold a run
WRITTEN = RUN_FILES + ("steps.jsonl", "curves.png")  # everything a run writes there


def run_name(source_name: str) -> str:
    """The stem of the spec's file, with only letters, digits, '.', '_' and '-' (a
    stranger's file name must not name a path elsewhere)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", Path(source_name).stem).lstrip(".")
    return stem[:64] or "run"


def _numbered(root: Path, name: str) -> list[tuple[int, Path]]:
    pattern = re.compile(re.escape(name) + r"-([0-9]{1,9})")
    if not root.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in root.iterdir()
                  if (m := pattern.fullmatch(p.name)) and p.is_dir())


def new_run(root: Path, name: str) -> Path:
    """Make and return `root/NAME-N`, N one more than the highest there."""
    root.mkdir(parents=True, exist_ok=True)
    n = max((k for k, _ in _numbered(root, name)), default=0) + 1
    while True:
        path = root / f"{name}-{n}"
        try:
            path.mkdir()
            return path
        except FileExistsError:  # another run took it (or a file has the name): the next
            n += 1


def latest_run(root: Path, name: str) -> Path | None:
    """The `root/NAME-N` whose checkpoint was written last (the higher N on a tie)."""
    held = [(p / "checkpoint.pt", k, p) for k, p in _numbered(root, name)
            if (p / "checkpoint.pt").is_file()]
    if not held:
        return None
    return max(held, key=lambda t: (t[0].stat().st_mtime_ns, t[1]))[2]


def held_files(path: Path) -> list[str]:
    return [f for f in RUN_FILES if (path / f).exists() or (path / f).is_symlink()]


def choose(out: str | None, name: str, resume: bool, overwrite: bool,
           root: Path = RUNS) -> tuple[Path, str]:
    """The run's directory (made if new) and the header line that says which and why."""
    if resume and overwrite:
        raise RunDirError("--resume continues a run and --overwrite replaces it: give one")
    if out is not None:
        path = Path(out)
        held = held_files(path)
        if held and not (resume or overwrite):
            raise RunDirError(f"{path} already holds a run ({', '.join(held)}): --resume to "
                              "continue it, --overwrite to replace it, or another --out")
        note = " (replacing the run in it: --overwrite)" if held and overwrite else ""
        return path, f"run directory: {path}{note}"
    if resume:
        latest = latest_run(root, name)
        if latest is not None:
            return latest, (f"run directory: {latest} (the latest run of {name}: its "
                            "checkpoint was written last; --out DIR to resume another)")
        path = new_run(root, name)
        return path, (f"run directory: {path} (no run of {name} in {root}/ to resume: a new "
                      "run)")
    path = new_run(root, name)
    return path, f"run directory: {path} (a new run; --out DIR to choose)"
