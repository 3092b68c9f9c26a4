"""Spec text -> parsed `Spec` with source positions (safe YAML, whitelisted expressions)."""

from .model import Spec
from .parser import parse_file, parse_text

__all__ = ["Spec", "parse_file", "parse_text"]
