"""The PyTorch side of archcalc, installed as `archcalc.reference` (needs torch).

`build(spec, **symbols)` makes the model a spec describes; each layer's module is the
`Call` its kind describes (archcalc/layers/), instantiated by `modules.module_for`.
"""

from .build import SpecModel, build, build_with_analysis
from .modules import CompileError, module_call

__all__ = ["CompileError", "SpecModel", "build", "build_with_analysis",
           "module_call"]
