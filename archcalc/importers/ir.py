"""What every importer produces: a list of `Op`s in execution order, each one archcalc
layer (a kind, its arguments, its inputs by name), and the refusal an importer raises.

The source's names (module paths, ONNX node names) are kept in `Op.source` for messages;
`Op.name` is the layer's name in the spec, a sanitised identifier (names.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Diagnostic, SpecError

# What a target names: `torch:MODULE:CALLABLE`, `FILE.py:CALLABLE` or `FILE.onnx`.
_PY_TARGET = re.compile(r".+\.py:[A-Za-z_][A-Za-z0-9_.]*")


def is_import_target(text: str) -> bool:
    """Is `text` something to import (Python or ONNX) rather than a spec?"""
    return (text.startswith("torch:") or bool(_PY_TARGET.fullmatch(text))
            or text.endswith(".onnx"))


def runs_python(text: str) -> bool:
    return text.startswith("torch:") or bool(_PY_TARGET.fullmatch(text))


class Unsupported(Exception):
    """A node with no archcalc layer; the message says what is missing."""


def one(v):
    """A per-axis tuple whose entries are equal, as one value (archcalc repeats it)."""
    if isinstance(v, (tuple, list)):
        v = [one(x) for x in v]
        return v[0] if all(x == v[0] for x in v) else v
    return v


class ImportRefused(SpecError):
    """An import that cannot give a spec equal to its source; the message says where and
    why (the node, its operation, what archcalc lacks)."""

    def __init__(self, message: str, *hints: str):
        super().__init__(Diagnostic("error", message, None, tuple(hints), code="import"))


@dataclass
class Op:
    """One layer: `kind` with `args` (archcalc's spelling), reading `inputs` (names of
    earlier ops, or "input")."""

    name: str
    kind: str
    args: dict = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    source: str = ""  # the node or module path in the source, for messages
    path: str = ""    # PyTorch: the module path (a function: its module's path . kind)
    scope: tuple = ()  # PyTorch: the enclosing modules, outermost first, (path, class)
    module: bool = False  # PyTorch: the op is a module's call (`path` is where it sits)
    weights: list = field(default_factory=list)  # ONNX: the initializers it reads, in order


@dataclass
class Imported:
    """The verified spec text, notes for the user, and the figures it was checked on."""

    text: str
    notes: list[str]
    trainable: int
    flops: int | None
