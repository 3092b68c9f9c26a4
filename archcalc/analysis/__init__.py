"""The calculator: graph + symbol values -> immutable `Analysis` (no printing here)."""

from .analyze import analyze
from .conventions import CONVENTIONS
from .result import Analysis, AxisValidity, LayerRow, Totals

__all__ = ["CONVENTIONS", "Analysis", "AxisValidity", "LayerRow", "Totals", "analyze"]
