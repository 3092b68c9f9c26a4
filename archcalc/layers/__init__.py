"""Layer kinds: one module per family, each kind registered by name in `registry`.

Importing this package registers every kind; `registry.KINDS` is then complete.
"""

from . import conv, elementwise, global_pool, linear, merge, norm, pool, shortcut  # noqa: F401
from .base import Facts, LayerKind, Param, Shape, Window
from .registry import ALIASES, KINDS, lookup, suggest

__all__ = ["ALIASES", "KINDS", "Facts", "LayerKind", "Param", "Shape", "Window", "lookup",
           "suggest"]
