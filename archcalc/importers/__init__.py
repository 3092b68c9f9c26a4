"""Importers: a model someone already has (a PyTorch callable, an ONNX file) as a spec.

Not part of the core: these modules import torch and onnx (lazily, inside functions), so
the core packages never reach them. `load(target, ...)` reads a target written
`torch:MODULE:CALLABLE`, `FILE.py:CALLABLE` or `FILE.onnx` and returns an `Imported`: the
spec's YAML text, verified against the source before it is returned (importers/verify.py),
and the notes to print. Importing Python runs that code; importing ONNX runs none.
"""

from __future__ import annotations

from .ir import Imported, ImportRefused, is_import_target


def load(target: str, args: tuple[str, ...] = (), input_dims: str | None = None,
         partial: bool = False) -> Imported:
    """Import `target` (see the module docstring); ImportRefused says why it cannot be."""
    if target.endswith(".onnx"):
        if args:
            raise ImportRefused("--arg applies to a Python callable, not to an ONNX file")
        from .onnx_import import import_onnx

        return import_onnx(target, input_dims, partial)
    from .torch_import import import_torch

    return import_torch(target, args, input_dims, partial)


__all__ = ["Imported", "ImportRefused", "is_import_target", "load"]
