"""The PyTorch model a target names, built: `torch:MODULE:CALLABLE` imports MODULE (any
installed module), `FILE.py:CALLABLE` runs FILE — both run Python code, which is why only
these two spellings do — and CALLABLE is called with the `--arg NAME=VALUE` keywords, each
value a Python literal read with `ast.literal_eval` (nothing else is evaluated).

The model is built on the meta device where its constructor allows (no memory for the
weights, no time initialising them), else on the CPU.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import sys
from pathlib import Path

from .ir import ImportRefused

# Keyword arguments: a name and a literal each; bounded like a spec's text.
MAX_ARGS, MAX_ARG_CHARS = 64, 1000


def keywords(args: tuple[str, ...]) -> dict:
    """`--arg k=v` pairs as a dict, each value a Python literal."""
    if len(args) > MAX_ARGS:
        raise ImportRefused(f"{len(args)} --arg values; at most {MAX_ARGS}")
    out = {}
    for a in args:
        name, eq, text = a.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise ImportRefused(f"--arg '{a[:60]}' is not NAME=VALUE",
                                "e.g. --arg num_classes=10 --arg width_mult=0.5")
        if len(text) > MAX_ARG_CHARS:
            raise ImportRefused(f"--arg {name}: the value is longer than {MAX_ARG_CHARS} "
                                "characters")
        try:
            out[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ImportRefused(f"--arg {name}={text[:60]}: not a Python literal",
                                "numbers, strings in quotes, True/False/None, tuples, "
                                "lists and dicts of them; nothing is evaluated") from None
    return out


def find_callable(target: str):
    """The callable a target names (running the module or file that defines it)."""
    if target.startswith("torch:"):
        module_name, _, attr = target[len("torch:"):].partition(":")
        if not module_name or not attr:
            raise ImportRefused(f"'{target}' is not torch:MODULE:CALLABLE",
                                "e.g. torch:torchvision.models:resnet18")
        try:
            # A user's module, named on the command line: never a module of this project,
            # so no edge of tests/test_import_graph.py's graph is hidden by it.
            module = pkgutil.resolve_name(module_name)
        except Exception as exc:  # its own code failed: say what it said
            raise ImportRefused(f"importing {module_name} failed: "
                                f"{type(exc).__name__}: {str(exc)[:200]}") from None
    else:
        file, _, attr = target.rpartition(":")
        path = Path(file)
        if not path.is_file():
            raise ImportRefused(f"no Python file '{file}'")
        name = f"archcalc_import_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ImportRefused(f"running {file} failed: {type(exc).__name__}: "
                                f"{str(exc)[:200]}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImportRefused(f"'{target}': {getattr(module, '__name__', file)} has no "
                                f"'{attr}'")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImportRefused(f"'{target}' is not callable")
    return obj


def build(target: str, args: tuple[str, ...]):
    """(the model in eval mode, 'meta' or 'cpu')."""
    import torch

    make, kwargs = find_callable(target), keywords(args)
    failure = None
    for device in ("meta", "cpu"):
        try:
            with torch.device(device):
                model = make(**kwargs)
        except Exception as exc:
            failure = exc
            continue
        if not isinstance(model, torch.nn.Module):
            raise ImportRefused(f"'{target}' returned a {type(model).__name__}, not a "
                                "torch.nn.Module")
        return model.eval(), device
    raise ImportRefused(f"calling '{target}' failed: {type(failure).__name__}: "
                        f"{str(failure)[:200]}")
