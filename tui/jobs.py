"""The work the TUI's worker threads do: analyse the text, export or verify the spec.

Each function takes everything it needs as arguments and returns the message the worker
posts (messages.py): it touches no widget, no file and nothing of the app's. The app
writes what a message asks for (the exported source) on its message pump.

torch is imported only here and only when export or verify is asked for: the TUI itself
never needs it.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from archcalc.errors import SpecError
from archcalc.spec import parse_text

from . import analysis as A
from .messages import Analysed, Exported, Formulas, JobFailed, Verified


def analyse(text: str, name: str, bindings: dict, version: int, cache: dict) -> Analysed:
    """`cache` must be this call's own (the app hands each worker a copy)."""
    try:
        result = A.run(text, name, bindings, version, cache)
    except Exception as exc:  # noqa: BLE001 - a bug must not take the editor down
        result = A.internal_error(version, exc)
    return Analysed(result, MappingProxyType(cache))


def formulas(result: A.Result) -> Formulas:
    """The formulas of `result`'s design, or none when they cannot be had (a bug: the
    numbers are shown all the same)."""
    try:
        return Formulas(result.version, A.formulas(result))
    except Exception:  # noqa: BLE001 - a bug must not take the editor down
        return Formulas(result.version, None)


def torch_job(job: str, generation: int, text: str, name: str, target: Path,
              bindings: dict) -> Exported | Verified | JobFailed:
    """Export (the source for `target`) or verify the spec written as `text`. Every way it
    can fail is a JobFailed with the reason in words."""
    try:
        import torch  # noqa: F401 - only these two actions need it
    except ImportError:
        return JobFailed(job, generation, f"{job} needs PyTorch: pip install 'archcalc[torch]'")
    try:
        from archcalc.reference import CompileError

        try:
            spec = parse_text(text, name)
            if job == "export":
                from archcalc.reference.codegen import generate

                return Exported(generation, target, generate(spec, bindings))
            from archcalc.reference.verify import verify

            return Verified(generation, verify(spec, bindings))
        except (SpecError, CompileError) as exc:
            return JobFailed(job, generation, str(exc).splitlines()[0])
    except Exception as exc:  # noqa: BLE001 - a bug here must not close the editor
        return JobFailed(job, generation, f"{job} failed: {type(exc).__name__}: {exc}")
