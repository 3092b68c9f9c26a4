"""The errors of the PyTorch side: compiling a spec into a model, and training it.

Each is an `archcalc.errors.DiagnosticError`: it carries diagnostics with the real
position where there is one (a layer's place in the spec) and none where there is none (a
file, a command-line setting), and its class says the command's exit status:

    CompileError          1  the spec cannot become a PyTorch model as written
      InvalidArchitecture 1    the calculator finds the architecture invalid
      CompileUsageError   2    something the command must be given is missing: a symbol's
                               value, a package, a readable spec
    TrainError            2  a run that cannot start or go on
      DataError           2    the data cannot be read (the message starts with the file)
      CheckpointError     2    the checkpoint cannot be resumed from (it starts with the path)
      RunDirError         2    the run's directory cannot be used
"""

from __future__ import annotations

from archcalc.errors import DiagnosticError

__all__ = ["CheckpointError", "CompileError", "CompileUsageError", "DataError",
           "InvalidArchitecture", "RunDirError", "TrainError"]


class CompileError(DiagnosticError):
    """The spec cannot become a PyTorch model as written: a layer or setting PyTorch has no
    module for, a structure the generated source cannot express yet."""

    exit_code = 1


class InvalidArchitecture(CompileError):
    """The calculator's errors about the spec (its findings, with their positions): there
    is no model to build. Exit 1, as `check` exits for the same spec."""

    def __str__(self) -> str:
        return f"the architecture is invalid: {super().__str__()}"


class CompileUsageError(CompileError):
    """Something the command must be given is missing — a value for a symbol, a package
    (onnx), a spec that can be read — rather than the architecture being wrong."""

    exit_code = 2


class TrainError(DiagnosticError):
    """A run that cannot start or go on: the settings, a package, the data, the run
    directory or the checkpoint."""


class DataError(TrainError):
    """A dataset that cannot be read; the message starts with the file, or names the
    source (`--data`) when no file is at fault."""


class CheckpointError(TrainError):
    """A checkpoint that cannot be resumed from; the message starts with its path."""


class RunDirError(TrainError):
    """A run directory that cannot be used (one that holds a run, one that cannot be made)."""
