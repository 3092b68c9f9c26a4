"""Layer kinds: one module per family, each kind registered by name in `registry`.

Importing this package imports every module in it, which registers every kind;
`registry.KINDS` is then complete. A new kind is a new module here (and its tests):
nothing else lists the kinds (docs/adding-a-layer.md).
"""

import importlib
import pkgutil

from .axismap import AxisMap, RField
from .base import Facts, LayerKind, Param, Shape
from .call import Call, NoCounterpart
from .registry import ALIASES, KINDS, lookup, merge_kinds, suggest

# The package's own modules, a fixed list on disk: kinds register themselves on import.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["ALIASES", "KINDS", "AxisMap", "Call", "Facts", "LayerKind", "NoCounterpart",
           "Param", "RField", "Shape", "lookup", "merge_kinds", "suggest"]
