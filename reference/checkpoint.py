"""Checkpoints of `archcalc train`: written atomically, read as a stranger's file.

`save` writes one atomically (temporary file, fsync, rename): a reader sees the old
checkpoint or the new one, never half of one. `read` loads one for `--resume` without
trusting it. Before loading: a regular file (a FIFO would hang the reader), not larger
than a checkpoint of this model can be, and a zip archive of uncompressed entries as
torch.save writes it (torch would inflate a compressed entry: a zip bomb). Loading uses
torch.load(weights_only=True), so no pickled code runs. After loading, every entry is
checked against what `train` writes — its type and bounds (`checkpoint_entries`), and that
its tensors fit the model and optimizer built from the spec (`fit`). Whatever is wrong
ends in one line, `PATH: what`, as a CheckpointError — never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import stat
import struct
import zipfile
from pathlib import Path

import torch
from torch import nn

from .checkpoint_entries import (
    FORMAT,
    CheckpointError,
    check_entries,
    damaged,
    show,
    tensor_problem,
)

__all__ = ["FORMAT", "CheckpointError", "differences", "fit", "read", "restore", "save",
           "spec_hash", "write_atomic"]

SLACK = 16 << 20     # bytes besides the tensors: the pickle, the spec's text, RNG states
ROW_BYTES = 1024     # one epoch's metrics row, pickled, is far smaller
# What an optimizer's per-parameter state holds: (keys it must have, keys it may have).
OPTIMIZER_STATE = {"sgd": (set(), {"momentum_buffer"}),
                   "adam": ({"step", "exp_avg", "exp_avg_sq"},) * 2,
                   "adamw": ({"step", "exp_avg", "exp_avg_sq"},) * 2}
RESUME_KEYS = ("data", "seed", "batch_size", "max_steps", "optimizer", "lr", "momentum",
               "nesterov", "weight_decay", "schedule", "warmup_epochs", "step_size",
               "label_smoothing")


# -- writing ------------------------------------------------------------------------------

def spec_hash(spec) -> str:
    return hashlib.sha256(spec.source.text.encode()).hexdigest()


def write_atomic(path: Path, write) -> None:
    """`write(file)` into a temporary file, fsync, rename over `path`, fsync the folder."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(path: Path, state: dict) -> None:
    write_atomic(path, lambda f: torch.save(state, f))


def rng_state(device: torch.device) -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


# -- reading ------------------------------------------------------------------------------

def size_limit(model: nn.Module, epochs: int) -> int:
    """The most bytes a checkpoint of `model` can need: weights, at most three optimizer
    tensors per weight (Adam's), a metrics row per epoch, and slack for the rest."""
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    return 8 * weights + ROW_BYTES * epochs + SLACK


def read(path: Path, model: nn.Module, epochs: int) -> dict:
    """The checkpoint at `path`, loaded and checked entry by entry (not yet against the
    model: see `fit`). `epochs` is this run's, which bounds the metrics it may hold."""
    _check_file(path, size_limit(model, epochs))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{path}: holds objects other than tensors and plain data; "
                              "refused (loading them could run code)") from None
    except Exception as exc:  # noqa: BLE001 - torch's reader fails in many ways on bad bytes
        raise CheckpointError(f"{path}: not a readable checkpoint "
                              f"({type(exc).__name__}: {_first_line(exc)})") from None
    check_entries(path, state)
    return state


def _check_file(path: Path, limit: int) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{path}: a directory, not a checkpoint")
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: not a regular file")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: empty file, not a checkpoint")
    if st.st_size > limit:
        raise CheckpointError(f"{path}: {st.st_size:,} bytes, more than a checkpoint of this "
                              f"model can need ({limit:,}); refusing to read it")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read: {exc.strerror}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error,
            NotImplementedError, UnicodeDecodeError):
        raise CheckpointError(f"{path}: not a checkpoint: not a zip archive as torch.save "
                              "writes one (truncated, or another kind of file)") from None
    if not any(e.filename.endswith("/data.pkl") for e in entries):
        raise CheckpointError(f"{path}: not a checkpoint: a zip archive without data.pkl")
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
        raise CheckpointError(f"{path}: not a checkpoint: compressed entries (torch.save "
                              "stores them uncompressed)")
    if sum(e.file_size for e in entries) > limit:
        raise CheckpointError(f"{path}: its entries hold more than a checkpoint of this "
                              f"model can need ({limit:,} bytes); refusing to read it")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else "no detail"


# -- against this run ---------------------------------------------------------------------

def differences(state: dict, spec, settings: dict) -> list[str]:
    """How this run differs from the checkpoint's (each a short phrase); `settings` holds
    RESUME_KEYS, `epochs`, `bindings` and `world`. More epochs is no difference."""
    out = []
    if state["spec_sha256"] != spec_hash(spec):
        out.append(f"written for another spec (sha256 {state['spec_sha256'][:12]}…, this one is "
                   f"{spec_hash(spec)[:12]}…)")
    config = state["config"]
    for key in RESUME_KEYS:
        if key in config and config[key] != settings[key]:
            out.append(f"--{key.replace('_', '-')} {show(config[key])} "
                       f"(now {show(settings[key])})")
    if settings["epochs"] < config["epochs"]:
        out.append(f"--epochs {config['epochs']} (now {settings['epochs']}: a shorter schedule)")
    old, new = state["bindings"], settings["bindings"]
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            out.append(f"{name}={show(old.get(name, 'unset'))} "
                       f"(now {show(new.get(name, 'unset'))})")
    if state["world"] != settings["world"]:
        out.append(f"{state['world']} processes (now {settings['world']})")
    return out


def fit(path: Path, state: dict, model: nn.Module, opt, optimizer: str) -> bool:
    """Check the checkpoint's tensors against `model` and `opt` (built from the spec at this
    run's bindings); True when its optimizer state is `optimizer`'s and will be restored."""
    saved, own = state["model"], model.state_dict()
    if len(saved) > len(own):
        extra = next(k for k in saved if k not in own)
        raise CheckpointError(f"{path}: does not fit the model: it has a tensor "
                              f"{show(extra)} that the model does not")
    for name, ref in own.items():
        if name not in saved:
            raise CheckpointError(f"{path}: does not fit the model: no tensor {name}")
        problem = tensor_problem(saved[name], ref.shape, ref.dtype)
        if problem:
            raise CheckpointError(f"{path}: does not fit the model: {name} {problem}")
    kind = state["config"].get("optimizer")
    if kind not in OPTIMIZER_STATE:
        raise damaged(path, f"unknown optimizer {show(kind)}")
    params = [p for group in opt.param_groups for p in group["params"]]
    _check_optimizer_state(path, state["optimizer"], kind, params)
    return kind == optimizer


def _check_optimizer_state(path: Path, saved: dict, kind: str, params: list) -> None:
    if len(saved) != 2 or set(saved) != {"state", "param_groups"} or \
            not isinstance(saved["state"], dict):
        raise damaged(path, "'optimizer' is not an optimizer's state_dict")
    state = saved["state"]
    if len(state) > len(params):
        raise damaged(path, f"optimizer state for {len(state)} tensors, the model has "
                      f"{len(params)}")
    required, allowed = OPTIMIZER_STATE[kind]
    for index, entry in state.items():
        if not isinstance(index, int) or isinstance(index, bool) or \
                not 0 <= index < len(params) or not isinstance(entry, dict):
            raise damaged(path, "optimizer state is not keyed by parameter number")
        if len(entry) > len(allowed) or not required <= set(entry) <= allowed:
            raise damaged(path, f"optimizer state of parameter {index} is not {kind}'s")
        for key, value in entry.items():
            if key == "step":
                problem = _step_problem(value)
            else:
                problem = value is not None and tensor_problem(
                    value, params[index].shape, params[index].dtype)
            if problem:
                raise damaged(path, f"optimizer state {key} of parameter {index} {problem}")


def _step_problem(value) -> str | None:
    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or not value.is_floating_point():
            return "is not a number"
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "is not a number"
    return None if 0 <= value <= 1e15 else "is out of range"


def restore(path: Path, state: dict, model: nn.Module, opt, device: torch.device) -> None:
    """Load the weights, the optimizer's per-parameter state (when `opt` is given; its
    settings stay this run's) and the RNG states. `fit` has checked them."""
    try:
        model.load_state_dict(state["model"])
        if opt is not None:
            groups = opt.state_dict()["param_groups"]
            opt.load_state_dict({"state": state["optimizer"]["state"], "param_groups": groups})
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        v = rng["python"]
        random.setstate((v[0], tuple(v[1]), v[2]))
        if "cuda" in rng and device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], device)
    except (RuntimeError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise CheckpointError(f"{path}: cannot be restored: {_first_line(exc)}") from None
