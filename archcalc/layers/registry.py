"""The plain registry of layer kinds: name -> class, plus the aliases a spec may use.

It feeds the spec parser (which kinds exist, with "did you mean"), `archcalc ops`, the
JSON Schema, `--help`, and the PyTorch compiler's mapping.
"""

from __future__ import annotations

from ..suggest import close_matches
from .base import LayerKind

KINDS: dict[str, type[LayerKind]] = {}
ALIASES: dict[str, str] = {}


def register(cls: type[LayerKind]) -> type[LayerKind]:
    for name in (cls.name, *cls.aliases):
        if name in KINDS or name in ALIASES:
            raise ValueError(f"layer kind name {name!r} registered twice")
    KINDS[cls.name] = cls
    for alias in cls.aliases:
        ALIASES[alias] = cls.name
    return cls


def merge_kinds() -> tuple[str, ...]:
    """The kinds that join any number of paths (add, multiply, concat): what a
    `parallel:` may name as its `merge`, and what generated code writes as an operator."""
    return tuple(name for name, cls in KINDS.items() if cls.arity is None)


def lookup(name: str) -> type[LayerKind] | None:
    key = name.lower()
    return KINDS.get(ALIASES.get(key, key))


def suggest(name: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Kind names close to a misspelt one (kinds are case-insensitive), for 'did you mean'."""
    return close_matches(name.lower(), [*KINDS, *ALIASES, *extra], n=3)
