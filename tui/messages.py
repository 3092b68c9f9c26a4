"""What the TUI's worker threads post to the app: their results, and nothing else.

A worker computes and posts one of these; it calls no widget, writes no file and shares
no state (jobs.py). The app's handlers, on its message pump, apply them in order, and
each carries the generation it was asked for so that a superseded worker's result —
which may arrive after its successor's — is dropped rather than shown or written.

Dataclasses, as Textual's own messages are; what they carry is immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from archcalc.analysis import Analysis
from archcalc.analysis.verification import Verification

from .analysis import Result


@dataclass
class Analysed(Message):
    """An analysis of the editor's text; `result.version` is its generation."""

    result: Result
    # The worker's own cache (a copy it was given), handed back read-only: the next
    # analysis starts from a copy of it. No cache is shared between threads.
    cache: Mapping


@dataclass
class Formulas(Message):
    """The formulas of analysis `version` (analysis.formulas; None: the input has no
    symbols)."""

    version: int
    symbolic: Analysis | None


@dataclass
class JobFailed(Message):
    """Export or verify could not be done; `reason` says why in words."""

    job: str  # "export" | "verify"
    generation: int
    reason: str


@dataclass
class Exported(Message):
    """The PyTorch source of the spec, for the app to write to `target`."""

    generation: int
    target: Path
    source: str
    job: str = "export"


@dataclass
class Verified(Message):
    """The calculator's figures beside PyTorch's."""

    generation: int
    verification: Verification
    job: str = "verify"
