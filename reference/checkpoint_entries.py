"""What a checkpoint of `archcalc train` holds, checked entry by entry after loading.

torch.load(weights_only=True) admits only tensors and plain data, but any shape of it: a
tensor where a dict belongs, a hash that is a number, an epoch of -3, a list of a billion
references to one object. Each entry is checked for its type and bounds before anything
uses it, and every collection's length is checked before it is walked, so the work here is
bounded by us, not by the file.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch

from .errors import CheckpointError

FORMAT = "archcalc-checkpoint/2"
MAX_EPOCHS = 1_000_000
MAX_TEXT = 16 << 20          # characters of the spec's text
MAX_STRING = 4096            # a setting's text (a data path)
MAX_ITEMS = 1024             # settings, bindings, a metrics row's fields
MAX_PROCESSES = 1 << 16

ENTRIES = {"format": str, "model": dict, "optimizer": dict, "scheduler": dict, "epoch": int,
           "rng": dict, "spec_text": str, "spec_sha256": str, "config": dict, "bindings": dict,
           "world": int, "metrics": list}


def damaged(path: Path, what: str) -> CheckpointError:
    return CheckpointError(f"{path}: damaged checkpoint: {what}")


def _kind(value) -> str:
    """`a list`, `an int`: what a value is, for a message."""
    name = type(value).__name__
    return ("an " if name[0] in "aeiouAEIOU" else "a ") + name


def _is(value, kind) -> bool:
    """isinstance, except that a bool is not a number."""
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def show(value) -> str:
    """A value from the file, for a message: a short text, or what kind of thing it is."""
    if isinstance(value, int) and not -10**30 < value < 10**30:
        return "a huge number"  # (str() of a 5,000-digit int raises)
    if isinstance(value, (str, int, float)) or value is None:
        text = str(value)
        return text if len(text) <= 40 else text[:39] + "…"
    return _kind(value)


def tensor_problem(value, shape, dtype) -> str | None:
    """Why `value` is not a plain CPU tensor of `shape` and `dtype`, or None."""
    if type(value) not in (torch.Tensor, torch.nn.Parameter):
        return f"is {_kind(value)}, not a tensor"
    if value.layout != torch.strided or value.device.type != "cpu":
        return "is not a dense tensor"
    if value.shape != shape:
        return f"is {_dims(value.shape)} in the checkpoint, {_dims(shape)} in the model"
    if value.dtype != dtype:
        return f"is {value.dtype} in the checkpoint, {dtype} in the model"
    return None


def _dims(shape) -> str:
    return "×".join(map(str, shape)) or "a scalar"


def check_entries(path: Path, state) -> None:
    """Raise a CheckpointError unless `state` has exactly the entries `train` writes, each
    of its type and within its bounds."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a checkpoint: it holds {_kind(state)}, "
                              "not a dict")
    if "format" not in state:
        raise CheckpointError(f"{path}: not a checkpoint of this archcalc (no 'format' entry; "
                              "checkpoints of older versions cannot be resumed)")
    if state["format"] != FORMAT:
        raise CheckpointError(f"{path}: format {show(state['format'])}, not {FORMAT} "
                              "(written by another version of archcalc?)")
    if len(state) > len(ENTRIES) or not set(state) <= set(ENTRIES):
        extra = next(iter(k for k in state if k not in ENTRIES), None)
        raise damaged(path, f"unexpected entry {show(extra)}")
    for key, kind in ENTRIES.items():
        if key not in state:
            raise damaged(path, f"no '{key}' entry")
        if not _is(state[key], kind):
            raise damaged(path, f"'{key}' is {_kind(state[key])}, not {_kind(kind())}")
    _check_strings(path, state)
    _check_config(path, state["config"])
    if not 1 <= state["epoch"] <= state["config"]["epochs"]:
        raise damaged(path, f"epoch {show(state['epoch'])}, outside 1 to "
                      f"{state['config']['epochs']} (the run's epochs)")
    if not 1 <= state["world"] <= MAX_PROCESSES:
        raise damaged(path, f"{show(state['world'])} processes")
    _check_bindings(path, state["bindings"])
    _check_rng(path, state["rng"])
    _check_metrics(path, state["metrics"], state["epoch"])
    if len(state["model"]) > 1 << 20:
        raise damaged(path, "more tensors than any model has")


def _check_strings(path: Path, state: dict) -> None:
    digest = state["spec_sha256"]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise damaged(path, "'spec_sha256' is not a SHA-256 in hex")
    if len(state["spec_text"]) > MAX_TEXT:
        raise damaged(path, "the spec's text is longer than any spec")


def _plain(value) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_STRING
    return value is None or isinstance(value, (bool, int, float))


def _check_config(path: Path, config: dict) -> None:
    if len(config) > MAX_ITEMS or not all(isinstance(k, str) and len(k) <= 64 and _plain(v)
                                          for k, v in config.items()):
        raise damaged(path, "'config' holds other than named plain settings")
    epochs = config.get("epochs")
    if not _is(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise damaged(path, f"the run's epochs are {show(epochs)} (1 to {MAX_EPOCHS:,})")


def _check_bindings(path: Path, bindings: dict) -> None:
    if len(bindings) > MAX_ITEMS or not all(
            isinstance(k, str) and len(k) <= 128 and _is(v, int) and abs(v) < 1 << 62
            for k, v in bindings.items()):
        raise damaged(path, "'bindings' is not a table of symbols and whole numbers")


def _check_rng(path: Path, rng: dict) -> None:
    if not {"torch", "python"} <= set(rng) or not set(rng) <= {"torch", "python", "cuda"}:
        raise damaged(path, "'rng' is not the random generators' states")
    own = torch.get_rng_state()
    if tensor_problem(rng["torch"], own.shape, own.dtype):
        raise damaged(path, "the torch generator's state is not one")
    cuda = rng.get("cuda")
    if cuda is not None and (not isinstance(cuda, torch.Tensor) or cuda.dtype != torch.uint8
                             or cuda.dim() != 1 or cuda.numel() > 1 << 20):
        raise damaged(path, "the CUDA generator's state is not one")
    version, words, _ = random.getstate()
    v = rng["python"]
    if not (isinstance(v, (tuple, list)) and len(v) == 3 and v[0] == version
            and isinstance(v[1], (tuple, list)) and len(v[1]) == len(words)
            and all(_is(w, int) and 0 <= w < 1 << 32 for w in v[1])
            and v[1][-1] <= len(words) - 1 and (v[2] is None or _is(v[2], float))):
        raise damaged(path, "Python's generator state is not one")


def _check_metrics(path: Path, rows: list, epoch: int) -> None:
    if len(rows) != epoch:
        raise damaged(path, f"{len(rows)} metrics rows for {epoch} epochs")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or len(row) > MAX_ITEMS or row.get("epoch") != i + 1 \
                or not all(isinstance(k, str) and len(k) <= 64 and
                           (v is None or _is(v, (int, float))) for k, v in row.items()):
            raise damaged(path, f"metrics row {i + 1} is not one")
