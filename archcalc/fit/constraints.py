"""The budget language of `archcalc fit` and `sweep`: `params <= 5e6 and macs < 10G`.

Read by hand, character by character — nothing is ever evaluated as Python:

    constraints := clause ('and' clause)*
    clause      := figure OP number | number OP figure
    figure      := name ('.' name)*          params, macs, layer4.H, out.W, …
    OP          := <= | < | >= | > | ==
    number      := digits ['.' digits] [e[+-]digits] [suffix]    5e6, 1.5G, 80GiB, 10_000

Suffixes: K, M, G, T, P (10³ … 10¹⁵, as torchinfo and the papers write MACs) and Ki, Mi,
Gi, Ti, Pi (2¹⁰ … 2⁵⁰, as memory sizes), each optionally followed by B (bytes: 80GiB,
512MB); a lone B means bytes. Numbers are exact fractions (`1.5e9` is 1,500,000,000), so a
comparison with an integer figure is exact at any size. A mistake is a diagnostic at the
column of the constraint text where it is (file `<constraint>`, line = which constraint).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import Diagnostic, SourceLoc, SpecError, clip

OPS = ("<=", ">=", "==", "<", ">")  # two-character operators first
FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<", "==": "=="}
DECIMAL = {"K": 10**3, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
MAX_TEXT = 1000   # a constraint longer than this is refused unread
MAX_EXPONENT = 30  # 1e30 is past any figure a network has; 1e999999999 must not be built


@dataclass(frozen=True)
class Constraint:
    figure: str
    op: str
    bound: Fraction
    text: str        # as written, for messages
    loc: SourceLoc   # where the figure's name starts

    def holds(self, value) -> bool:
        v = Fraction(value)
        return {"<=": v <= self.bound, "<": v < self.bound, ">=": v >= self.bound,
                ">": v > self.bound, "==": v == self.bound}[self.op]

    @property
    def upper(self) -> bool:
        """A budget from above (`<=`, `<`): met by small figures."""
        return self.op in ("<=", "<")


def parse_constraints(texts: tuple[str, ...] | list[str], file: str = "<constraint>"
                      ) -> tuple[Constraint, ...]:
    """Every clause of every text (one constraint argument each), or a SpecError at the
    first mistake, its position being (text's number, column)."""
    out: list[Constraint] = []
    for line, text in enumerate(texts, 1):
        out.extend(_Reader(text, file, line).constraints())
    return tuple(out)


class _Reader:
    def __init__(self, text: str, file: str, line: int):
        self.text, self.file, self.line, self.i = text, file, line, 0
        if len(text) > MAX_TEXT:
            self.fail(f"a constraint has at most {MAX_TEXT:,} characters", 0)

    def fail(self, message: str, at: int, hint: str = "") -> None:
        raise SpecError(Diagnostic("error", message, SourceLoc(self.file, self.line, at + 1),
                                   (hint,) if hint else (), code="constraint"))

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def constraints(self) -> list[Constraint]:
        out = [self.clause()]
        while True:
            self.skip()
            if self.i >= len(self.text):
                return out
            if self.text.startswith("and", self.i) and not self._word_char(self.i + 3):
                self.i += 3
                out.append(self.clause())
                continue
            word = self.text[self.i:self.i + 2]
            hint = "write `and` (one budget is every clause together)" if word in ("&&", "or", "||", ",") \
                else "a constraint is FIGURE OP NUMBER, e.g. params <= 5e6"
            self.fail(f"expected `and` or the end, found {clip(self.text[self.i:], 20)!r}",
                      self.i, hint)

    def _word_char(self, j: int) -> bool:
        return j < len(self.text) and (self.text[j].isalnum() or self.text[j] in "_.")

    def clause(self) -> Constraint:
        self.skip()
        start = self.i
        if self.i < len(self.text) and (self.text[self.i].isdigit() or self.text[self.i] == "."):
            bound = self.number()
            op = self.op()
            loc, figure = self.i, self.figure()
            op = FLIP[op]
        else:
            loc, figure = self.i, self.figure()
            op = self.op()
            bound = self.number()
        return Constraint(figure, op, bound, self.text[start:self.i].strip(),
                          SourceLoc(self.file, self.line, self.skip_to(loc) + 1))

    def skip_to(self, j: int) -> int:
        while j < len(self.text) and self.text[j] in " \t":
            j += 1
        return j

    def figure(self) -> str:
        self.skip()
        start = self.i
        while self.i < len(self.text) and (self.text[self.i].isalnum() or self.text[self.i] in "_."):
            self.i += 1
        name = self.text[start:self.i]
        if not name or not name[0].isalpha() or ".." in name or name.endswith("."):
            self.fail("expected a figure (params, macs, flops, activations, memory, "
                      "train_memory, rf, or LAYER.AXIS)", start)
        return name

    def op(self) -> str:
        self.skip()
        for op in OPS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                return op
        hint = "write == for equality" if self.text.startswith("=", self.i) else \
            "one of <=, <, >=, >, =="
        self.fail("expected a comparison (<=, <, >=, >, ==)", self.i, hint)

    def number(self) -> Fraction:
        self.skip()
        t, start = self.text, self.i
        j = start
        while j < len(t) and (t[j].isdigit() or t[j] == "_"):
            j += 1
        if j < len(t) and t[j] == ".":
            j += 1
            while j < len(t) and t[j].isdigit():
                j += 1
        mantissa = t[start:j].replace("_", "")
        if mantissa in ("", ".") or t[start] == "_" or "__" in t[start:j]:
            self.fail("expected a number (e.g. 5e6, 10G, 80GiB)", start)
        value = Fraction(mantissa)
        if j < len(t) and t[j] in "eE":
            k = j + 1
            if k < len(t) and t[k] in "+-":
                k += 1
            e0 = k
            while k < len(t) and t[k].isdigit():
                k += 1
            if k == e0:
                self.fail("an exponent needs digits (5e6)", j)
            exponent = int(t[j + 1:k])
            if abs(exponent) > MAX_EXPONENT:
                self.fail(f"exponent out of range (at most ±{MAX_EXPONENT})", j)
            value *= Fraction(10) ** exponent
            j = k
        for table in (BINARY, DECIMAL):
            for suffix, factor in table.items():
                if t.startswith(suffix, j):
                    value *= factor
                    j += len(suffix)
                    break
            else:
                continue
            break
        if j < len(t) and t[j] == "B":
            j += 1
        if j < len(t) and (t[j].isalnum() or t[j] == "_"):
            self.fail(f"unknown unit {clip(t[j:].split()[0], 20)!r}", j,
                      "K M G T P (powers of 1000), Ki Mi Gi Ti Pi (powers of 1024), "
                      "optionally followed by B")
        self.i = j
        return value
