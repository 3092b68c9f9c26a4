"""What a run leaves in its directory, and resuming from it.

After every epoch the checkpoint is written atomically (checkpoint.py), then the epoch's
row is appended to metrics.jsonl, then its rows of steps.jsonl (the per-step curve): a
kill between any two loses no row that the checkpoint has. `--resume` checks the
checkpoint as a stranger's file and against this run (checkpoint.py), restores it, and
rewrites metrics.jsonl and steps.jsonl to the checkpoint's epochs, so a kill at any moment
leaves each epoch in them once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from . import checkpoint as C
from . import rundir as R
from .errors import CheckpointError
from .train_config import Place, TrainConfig
from .train_optim import lr_factor


@dataclass(frozen=True)
class RunFiles:
    """The files of a run's directory."""

    dir: Path

    @property
    def checkpoint(self) -> Path:
        return self.dir / "checkpoint.pt"

    @property
    def metrics(self) -> Path:
        return self.dir / "metrics.jsonl"

    @property
    def steps(self) -> Path:
        return self.dir / "steps.jsonl"

    def has_checkpoint(self) -> bool:
        return self.checkpoint.exists() or self.checkpoint.is_symlink()

    def keep_to(self, epoch: int, rows: tuple[dict, ...]) -> None:
        """metrics.jsonl and steps.jsonl as the checkpoint has them: rows of epochs after
        it (written before a kill) are dropped."""
        write_metrics(self.metrics, list(rows))
        write_metrics(self.steps, [r for r in read_steps(self.steps) if r["epoch"] <= epoch])

    def clear(self) -> None:
        """A new run in the directory (an --overwrite): nothing of the run it replaces is
        left to be mistaken for its own."""
        for name in R.WRITTEN:
            (self.dir / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Resumed:
    """Where a run starts: the epochs done (0 for a new run) and their metrics rows."""

    epoch: int = 0
    metrics: tuple[dict, ...] = ()


# -- resuming ----------------------------------------------------------------------------

def resume(path: Path, spec, model, opt, cfg: TrainConfig, bindings: dict, place: Place,
           steps: int, say) -> Resumed:
    """Restore the checkpoint at `path` into `model`, `opt` and the RNGs, after checking
    it (see `checkpoint`); its epoch and metrics rows."""
    state = C.read(path, model, cfg.epochs)
    differ = _differences(path, state, spec, cfg, bindings, place.world)
    same_optimizer = C.fit(path, state, model, opt, cfg.optimizer)
    C.restore(path, state, model, opt if same_optimizer else None, place.device)
    start, planned = state["epoch"], state["config"]["epochs"]
    if differ:
        say(f"resuming although the run differs (--force): {'; '.join(differ)}"
            + ("" if same_optimizer else "; the optimizer's state starts afresh"))
    if cfg.epochs > planned and start < cfg.epochs:
        say(_longer(cfg, planned, start * steps, steps))
    say(f"resumed from {path} at epoch {start}" + (
        "" if start < cfg.epochs else f": all {start} epochs are done (--epochs N to train "
        "longer)"))
    return Resumed(start, tuple(state["metrics"]))


def _differences(path: Path, state: dict, spec, cfg: TrainConfig, bindings: dict,
                 world: int) -> list[str]:
    """How this run differs from the checkpoint's; a CheckpointError when it cannot go on
    from it: past its epochs, or different without --force."""
    start = state["epoch"]
    if start > cfg.epochs:
        raise CheckpointError(f"{path}: the checkpoint is at epoch {start}, past --epochs "
                              f"{cfg.epochs}; give --epochs {start + 1} or more to train "
                              "longer")
    settings = {**{k: getattr(cfg, k) for k in C.RESUME_KEYS}, "epochs": cfg.epochs,
                "bindings": bindings, "world": world}
    differ = C.differences(state, spec, settings)
    if differ and not cfg.force:
        raise CheckpointError(f"{path}: the checkpoint's run differs from this one: "
                              f"{'; '.join(differ)}; give the same settings to resume, "
                              "or --force to resume anyway")
    return differ


def _longer(cfg: TrainConfig, planned: int, step: int, steps: int) -> str:
    """How the schedule goes on when a run trains longer than it was planned."""
    head = f"training longer: {planned} → {cfg.epochs} epochs"
    if cfg.schedule in ("step", "none"):
        return f"{head}; the {cfg.schedule} schedule does not depend on the run's length"
    was = cfg.lr * lr_factor(step, replace(cfg, epochs=planned), steps)
    now = cfg.lr * lr_factor(step, cfg, steps)
    return (f"{head}; the {cfg.schedule} schedule is re-planned over {cfg.epochs} epochs: "
            f"the learning rate goes on at {now:.4g} (the {planned}-epoch plan is at "
            f"{was:.4g} here)")


# -- after each epoch ------------------------------------------------------------------------

def record_epoch(files: RunFiles, state: dict, row: dict, step_rows: tuple[dict, ...]) -> None:
    """The checkpoint first, then the metrics row, then the steps' rows: a kill between
    any two loses no row the checkpoint has (see `resume`)."""
    C.save(files.checkpoint, state)
    append_metrics(files.metrics, row)
    append_steps(files.steps, list(step_rows))


def write_metrics(path: Path, rows: list[dict]) -> None:
    """metrics.jsonl holding exactly `rows`, replaced atomically."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    C.write_atomic(path, lambda f: f.write(text.encode()))


def append_metrics(path: Path, row: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def append_steps(path: Path, rows: list[dict]) -> None:
    """An epoch's rows of steps.jsonl (the per-step curve --plot draws), after its metrics
    row: a kill before them loses only the curve of that epoch, never a metrics row."""
    with open(path, "a") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))


def _is_step_row(row) -> bool:
    return isinstance(row, dict) and all(isinstance(row.get(k), (int, float)) for k in
                                         ("epoch", "step", "steps", "loss", "train_acc")) \
        and row["steps"] > 0


def read_steps(path: Path) -> list[dict]:
    """steps.jsonl's rows, skipping any that are not one (half a line after a kill)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if _is_step_row(row):
            rows.append(row)
    return rows
