"""A small, whitelisted parser for the arithmetic a spec may write in a numeric field.

`out: 2*c`, `kernel: k`, `padding: (k - 1)/2` — integers, decimals (exact rationals:
`1.4` is 7/5), symbol names, the operators + - * / // % ** (or ^), parentheses and the
functions min, max, floor, ceil, round, log and make_divisible (`functions.py`). Nothing else: the text is tokenised and parsed by hand into sympy objects, never passed
to `eval` or `sympify`, so a spec from a stranger cannot run code. Length, nesting and
exponents are bounded, a number literal is bounded before it is converted, and every
intermediate value is checked against `bounds.py` after every step, so no expression can
take unbounded time or memory (`((2**64)**64)**64` stops at the second power).

A symbol may be written bare (`c`) or with a `$` sigil (`$c`); both mean the same.
"""

from __future__ import annotations

import re
from typing import Callable

from .. import num
from . import bounds
from .functions import DomainError, log, make_divisible, round_half_even

MAX_LENGTH = 256
MAX_DEPTH = 32
MAX_EXPONENT = 64  # 2**64 already exceeds any tensor dimension
_LITERAL = re.compile(r"(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[-+]?[0-9]+))?")

_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)"
                    r"|(?P<name>\$?[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|//|[-+*/%^(),]))")
MAX_ARGS = 16
_FUNCTIONS = {"min": (num.Min, 2, None), "max": (num.Max, 2, None),
              "floor": (num.floor, 1, 1), "ceil": (num.ceiling, 1, 1),
              "round": (round_half_even, 1, 1), "log": (log, 1, 2),
              "make_divisible": (make_divisible, 2, 3)}
FUNCTIONS = tuple(_FUNCTIONS)  # reserved: no symbol may take one of these names


class ExprError(ValueError):
    """A parse error at character `offset` of the expression text."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


Lookup = Callable[[str, int], num.Expr]  # (name, offset) -> value; raises ExprError if unknown


def parse_expr(text: str, lookup: Lookup) -> num.Expr:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    return _Parser(text, lookup).parse()


class _Parser:
    def __init__(self, text: str, lookup: Lookup):
        self.text = text
        self.lookup = lookup
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                bad = text[pos:].lstrip()[:1]
                raise ExprError(f"unexpected character '{bad}' in expression",
                                pos + len(text[pos:]) - len(text[pos:].lstrip()))
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def parse(self) -> num.Expr:
        if not self.tokens:
            raise ExprError("empty expression", 0)
        try:
            value = self.expr()
            if _risky(value):
                num.lift(value)  # sympy's failure refused here, where it is written
        except RecursionError:  # sympy 1.14 recurses without end on e.g.
            # Mod(floor(49/(7 - c)) - 12, 21*d + 7); say where, rather than crash
            raise ExprError("sympy cannot simplify this expression (it recursed without "
                            "end); write it another way", self.offset()) from None
        if self.i < len(self.tokens):
            _, tok, off = self.tokens[self.i]
            raise ExprError(f"unexpected '{tok}' in expression", off)
        return value

    # -- helpers ---------------------------------------------------------------
    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def offset(self) -> int:
        return self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)

    def take(self, expected: str) -> None:
        if self.peek() != expected:
            found = self.peek()
            raise ExprError(f"expected '{expected}'" + (f", found '{found}'" if found else
                                                         " at the end"), self.offset())
        self.i += 1

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nests deeper than {MAX_DEPTH} levels", self.offset())

    # -- grammar ---------------------------------------------------------------
    def expr(self) -> num.Expr:
        self.nest()
        value = self.term()
        while self.peek() in ("+", "-"):
            op, off = self.peek(), self.offset()
            self.i += 1
            rhs = self.term()
            value = self.checked(value + rhs if op == "+" else value - rhs, off)
        self.depth -= 1
        return value

    def term(self) -> num.Expr:
        value = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            op, off = self.peek(), self.offset()
            self.i += 1
            rhs = self.unary()
            if op == "*":
                value = self.checked(value * rhs, off)
                continue
            if rhs.is_zero:
                raise ExprError("division by zero", off)
            value = self.checked(value / rhs if op == "/" else num.floor(value / rhs)
                                 if op == "//" else num.Mod(value, rhs), off)
        return value

    def unary(self) -> num.Expr:
        if self.peek() in ("-", "+"):
            op = self.peek()
            self.i += 1
            self.nest()
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self) -> num.Expr:
        base = self.atom()
        if self.peek() in ("**", "^"):
            off = self.offset()
            self.i += 1
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            if not (exponent.is_Integer and 0 <= int(exponent) <= MAX_EXPONENT):
                raise ExprError(f"exponents must be whole numbers from 0 to {MAX_EXPONENT}", off)
            if bounds.size_bits(base) * int(exponent) > bounds.MAX_BITS:  # before the work
                raise ExprError(f"the power is too large: numbers in a spec are at most "
                                f"2^63 − 1 and expressions at most {bounds.MAX_BITS} bits", off)
            return self.checked(base ** exponent, off)
        return base

    def atom(self) -> num.Expr:
        if self.i >= len(self.tokens):
            raise ExprError("expression ends too early", len(self.text))
        kind, tok, off = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            return self.checked(decimal(tok.replace("_", ""), off), off)
        if kind == "name":
            name = tok.lstrip("$")
            if self.peek() == "(" and name in _FUNCTIONS and not tok.startswith("$"):
                return self.call(name, off)
            return self.lookup(name, off)
        if tok == "(":
            value = self.expr()
            self.take(")")
            return value
        raise ExprError(f"unexpected '{tok}' in expression", off)

    def call(self, name: str, off: int) -> num.Expr:
        fn, least, most = _FUNCTIONS[name]
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.i += 1
            args.append(self.expr())
            if len(args) > MAX_ARGS:
                raise ExprError(f"{name}() takes at most {MAX_ARGS} arguments", off)
        self.take(")")
        if len(args) < least or (most is not None and len(args) > most):
            count = least if most == least else f"at least {least}" if most is None else \
                f"{least} or {most}"
            raise ExprError(f"{name}() takes {count} argument{'s' if most != 1 else ''}", off)
        try:
            value = fn(*args)
        except DomainError as exc:
            raise ExprError(str(exc), off) from None
        return self.checked(value, off)

    def checked(self, value: num.Expr, off: int) -> num.Expr:
        try:
            bounds.check(value)
        except bounds.BoundError as exc:
            raise ExprError(str(exc), off) from None
        return value


def _risky(value) -> bool:
    """Does sympy have to build this formula now? One with a symbol under a `%` (Mod): sympy
    1.14 recurses without end on some (Mod(floor(49/(7 - c)) - 12, 21*d + 7)), and a formula
    is lifted to sympy wherever the analysis or the generated source needs it (`--symbolic`,
    `archcalc compile`), where that would be a traceback, not a diagnostic at the field.
    Every other formula stays recorded: no library spec writes `%` on a symbol, so none
    imports sympy for this (`archcalc check` at the defaults imports none)."""
    return isinstance(value, num.Lazy) and \
        any(isinstance(n, num.Lazy) and n.op == "Mod" for n in value.preorder())


def decimal(tok: str, off: int) -> num.Rational:
    """A decimal literal as an exact rational, its size checked before it is built:
    `num.Rational("1e999999999")` would compute 10**999999999."""
    m = _LITERAL.fullmatch(tok)
    whole, frac, exp = m.group("int") or "", m.group("frac") or "", m.group("exp")
    shift = 0 if exp is None else int(exp) if len(exp.lstrip("+-")) <= 6 else None
    if shift is None or len(whole.lstrip("0")) + shift > bounds.MAX_DIGITS or \
            len(frac) - shift > bounds.MAX_DIGITS:
        raise ExprError(f"the number {tok[:24]}{'…' if len(tok) > 24 else ''} is out of "
                        f"range: {bounds.RANGE}", off)
    value = num.Integer(int(whole or "0") * 10 ** len(frac) + int(frac or "0"))
    return value * num.Integer(10) ** shift / num.Integer(10) ** len(frac)
