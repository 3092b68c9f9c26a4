"""The PyTorch side of archcalc, installed as `archcalc.reference` (needs torch).

`build(spec, **symbols)` makes the model a spec describes; `modules.MODULES` maps every
layer kind to its PyTorch module.
"""

from .build import SpecModel, build, build_with_analysis
from .modules import MODULES, CompileError, module_call

__all__ = ["MODULES", "CompileError", "SpecModel", "build", "build_with_analysis",
           "module_call"]
