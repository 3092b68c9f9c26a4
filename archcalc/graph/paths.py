"""Module paths: where each layer's module sits in the PyTorch model that `build()` and
`archcalc compile` make.

A layer's module path is its scope's module path and its own `path:` (`features.0`,
`conv.1`) — or its local name where it has none; a scope's (a block instance, a repeat and
its copies, a named residual or parallel, a branch, a shortcut's layers) is made the same
way — but a parallel's and its branches' items are placed relative to the scope around the
parallel (a branch has no name a path could follow). Without any `path:` a module path is
the layer's full name. With them, two layers
could be placed where PyTorch cannot hold them, so once every layer is placed:
  - no two layers at one path (`features.0` twice);
  - no layer at a path another layer's path extends (`features.0` and `features.0.1`: a
    module that holds the layer and is one).
Each error points at the `path:` that placed the later layer (spec/names.py bounds each
`path:` where it is read; `check_length` bounds the paths they make together).
"""

from __future__ import annotations

from ..errors import SourceLoc, clip, error
from .scope import MAX_PATH


def check_length(module: str, loc: SourceLoc) -> None:
    """A module path, made of nested `path:` keys, within the limit of a full name."""
    if len(module) > MAX_PATH:
        raise error(f"the module path '{clip(module, 60)}' is longer than {MAX_PATH} "
                    "characters", loc, "shorten the paths of the scopes it sits in",
                    code="too-long")


def check_module_paths(nodes: list[dict]) -> None:
    """Refuse two layers at one module path, or one at a prefix of another's (see the
    module docstring); `nodes` are expansion's dicts, in the order they were written."""
    at: dict[str, dict] = {}
    for n in nodes:
        path = n["module"] or n["name"]
        other = at.get(path)
        if other is not None:
            raise error(f"layers {clip(other['name'])} and {clip(n['name'])} are both placed at "
                        f"module path '{clip(path)}'", n["module_loc"],
                        f"{clip(other['name'])} is written at line {other['loc'].line}; give "
                        "one of them another `path:`", code="duplicate-path")
        at[path] = n
    for path, n in at.items():
        cut = path.rfind(".")
        while cut > 0:
            holder = at.get(path[:cut])
            if holder is not None:
                raise error(f"layer {clip(n['name'])} is placed at module path '{clip(path)}', "
                            f"inside layer {clip(holder['name'])}'s module "
                            f"'{clip(path[:cut])}'", n["module_loc"],
                            "a layer's module holds no other layer; give one of them another "
                            "`path:`", code="duplicate-path")
            cut = path.rfind(".", 0, cut)
