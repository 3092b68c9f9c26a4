"""How a plain YAML scalar becomes a value — YAML 1.2's rules, with YAML 1.1's traps refused.

PyYAML resolves scalars by YAML 1.1: `1e-4` stays a *string* (1.1 wants a dot), `no`
and `off` become booleans, `010` becomes 8. A person writing AlexNet's LRN alpha as
`1e-4` means the float; a person writing `stride: 010` almost certainly does not mean 8.
So archcalc resolves plain scalars itself:

- decimal integers (`_` separators allowed) -> int; a leading zero (`010`) is refused;
- decimals and exponent forms (`0.5`, `1e-4`, `.5`) -> float (a `Real`, which keeps the
  text: a block argument `w_a: 36.44` is the exact rational 911/25, not the float nearest);
- `true`/`false` (any case) -> bool;
- `null`, `~` or nothing -> None;
- `yes/no/on/off/y/n` stay strings but are flagged, so a numeric or boolean field can
  say what YAML 1.1 would have made of them;
- hex/octal/binary (`0x10`, `0o10`, `0b10`) are flagged the same way;
- anything else is a string. Quoted scalars are always strings — which a numeric field
  reads as an expression (params.py): `out: "max(4, 8)"` is 8, and the quotes are how an
  expression with a comma survives YAML's `{…}`.
"""

from __future__ import annotations

import re

from .bounds import MAX_DIGITS, RANGE

_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*\.[0-9]*|\.[0-9]+|[0-9][0-9_]*)([eE][-+]?[0-9]+)?")
_RADIX = re.compile(r"[-+]?0[xXoObB][0-9a-fA-F_]+")
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


class Real(float):
    """A decimal as written: a float that keeps its text, for exact arithmetic."""

    text: str

    def __new__(cls, text: str) -> "Real":
        obj = super().__new__(cls, text)
        obj.text = str(text)
        return obj

    def __reduce__(self):
        return Real, (self.text,)


class Trap(str):
    """A plain scalar archcalc refuses to read as a value — YAML 1.1 would have read it
    differently, or it is a number out of range — kept as text, with the reason."""

    why: str

    def __new__(cls, text: str, why: str) -> "Trap":
        obj = super().__new__(cls, text)
        obj.why = why
        return obj


def resolve_plain(text: str):
    """Value of an unquoted scalar (see module docstring)."""
    t = text.strip()
    low = t.lower()
    if low in ("", "~", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    if low in _YAML11_BOOLS:
        return Trap(t, f"'{t}' is a boolean in YAML 1.1 (PyYAML reads it so); write true or false, "
                       "or a number")
    if _INT.fullmatch(t):
        digits = t.replace("_", "").lstrip("+-")
        if len(digits) > MAX_DIGITS:  # int() of 5,000 digits raises; 20 are already too many
            return Trap(t[:24] + ("…" if len(t) > 24 else ""),
                        f"a number of {len(digits)} digits is out of range: {RANGE}")
        return int(digits) * (-1 if t.startswith("-") else 1)
    if _LEADING_ZERO.fullmatch(t):
        return Trap(t, f"'{t}' has a leading zero, which YAML 1.1 reads as octal "
                       f"({_octal_or_none(t)}); write {int(t.replace('_', ''))} without it")
    if _RADIX.fullmatch(t):
        return Trap(t, f"'{t}' is a hexadecimal/octal/binary literal; write the decimal number")
    if _FLOAT.fullmatch(t):
        return Real(t.replace("_", ""))
    return t


def _octal_or_none(t: str) -> str:
    try:
        return str(int(t.replace("_", ""), 8))
    except ValueError:
        return "not even valid octal"
