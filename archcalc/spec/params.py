"""Turning one located YAML value into a typed layer argument, with precise errors.

Each `Param` type (see `layers/base.py`) has a converter here: counts and sizes accept a
positive integer or an expression of symbols, sizes and paddings also one value per
spatial dim, paddings `valid`/`same` and [lo, hi] per side, and so on. Errors point at
the value's line and column and say what was expected.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable

from .. import num
from ..errors import SourceLoc, error
from ..layers import base as B
from . import bounds
from .expr import ExprError, decimal, parse_expr
from .model import IN, Word, is_placeholder
from .scalars import Real, Trap
from .yamlnodes import LMap, LScalar, LSeq, Node

Resolve = Callable[[str, int], num.Expr]  # symbol name -> sympy symbol (or ExprError)


def _expr_loc(node: LScalar, offset: int) -> SourceLoc:
    return SourceLoc(node.loc.file, node.loc.line, node.loc.column + offset +
                     (1 if node.quoted else 0))


def integer(node: Node, what: str, resolve: Resolve, minimum: int) -> num.Expr:
    """A whole number >= minimum, or an expression of symbols (checked once bound)."""
    if not isinstance(node, LScalar):
        raise error(f"{what} must be a number, not a {'list' if isinstance(node, LSeq) else 'mapping'}",
                    node.loc, code="type")
    v = node.value
    if type(v) is int:  # a whole number as written (most values): checked on the int
        if abs(v) > bounds.MAX_VALUE:
            raise error(f"{what}: {v} is out of range: {bounds.RANGE}", node.loc,
                        code="range")
        if v < minimum:
            raise error(f"{what} must be {'positive' if minimum == 1 else f'at least {minimum}'}, "
                        f"got {v}", node.loc, code="range")
        return num.Integer(v)
    if isinstance(v, Trap):
        v = _named(v, resolve)  # `repeat: n`: YAML 1.1's `n` (no), or a symbol or argument
        if isinstance(v, Trap):
            raise error(f"{what}: {v.why}", node.loc, code="yaml11")
    if isinstance(v, bool) or v is None:
        raise error(f"{what} must be a whole number, got {str(v).lower() if v is not None else 'nothing'}",
                    node.loc, code="type")
    if isinstance(v, float):
        raise error(f"{what} must be a whole number, got {v:g}", node.loc, code="type")
    if isinstance(v, Word):  # a block argument given as a name, used as a number
        raise error(f"{what} must be a number, but the block argument is '{v}', which names "
                    "no symbol", node.loc, code="type")
    if isinstance(v, num.Basic):  # a value with a block's arguments put in (graph/expand.py)
        value = v
    elif isinstance(v, int):
        value = num.Integer(v)
        if abs(v) > bounds.MAX_VALUE:
            raise error(f"{what}: {v} is out of range: {bounds.RANGE}", node.loc,
                        code="range")
    else:
        try:
            value = parse_expr(str(v), resolve)
        except ExprError as exc:
            raise error(f"{what}: {exc}", _expr_loc(node, exc.offset), code="expr") from None
    if value.is_number:
        if not value.is_integer:
            raise error(f"{what} must be a whole number, but {v} = {value}", node.loc, code="type")
        if value < minimum:
            raise error(f"{what} must be {'positive' if minimum == 1 else f'at least {minimum}'}, "
                        f"got {value}", node.loc, code="range")
    return value


def _named(v: Trap, resolve: Resolve):
    """A word YAML 1.1 reads as a boolean (`n`, `y`, `on`) is, where a number is expected,
    the symbol or block argument of that name if there is one."""
    if IDENT.fullmatch(v):
        try:
            resolve(str(v), 0)
        except ExprError:
            return v
        return str(v)
    return v


def real(node: Node, what: str, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False, resolve: Resolve | None = None):
    """A real number — or, in a block, an expression of its arguments (`p: drop`, `eps:
    1/t`), returned as such and checked once they are put in (graph/expand.py)."""
    if not isinstance(node, LScalar) or isinstance(node.value, bool) or node.value is None:
        raise error(f"{what} must be a number", node.loc, code="type")
    v = node.value
    if isinstance(v, Trap):
        raise error(f"{what}: {v.why}", node.loc, code="yaml11")
    if isinstance(v, str) and not isinstance(v, Word) and resolve is not None:
        try:
            v = parse_expr(v, resolve)
        except ExprError as exc:
            raise error(f"{what}: {exc}", _expr_loc(node, exc.offset), code="expr") from None
        if not v.is_number:
            if any(is_placeholder(s) for s in v.free_symbols):
                return v
            raise error(f"{what} must be a number (it may use a block's arguments, not "
                        f"symbols), got {v}", node.loc, code="type")
    if isinstance(v, num.Basic):
        if not (v.is_number and v.is_real):
            raise error(f"{what} must be a number, got {v}", node.loc, code="type")
        v = float(v) if abs(v) <= bounds.MAX_VALUE else float("inf")
    if not isinstance(v, (int, float)):
        raise error(f"{what} must be a number, got '{v}'", node.loc, code="type")
    v = float(v)
    if v != v or abs(v) > bounds.MAX_VALUE:  # NaN, ±inf (`1e999`), or beyond any size
        raise error(f"{what} must be a finite number of at most 2^63 − 1", node.loc,
                    code="range")
    if low is not None and (v < low or (low_open and v == low)):
        raise error(f"{what} must be {'>' if low_open else '≥'} {low:g}, got {v:g}", node.loc,
                    code="range")
    if high is not None and (v > high or (high_open and v == high)):
        raise error(f"{what} must be {'<' if high_open else '≤'} {high:g}, got {v:g}", node.loc,
                    code="range")
    return v


def placeholder(node: Node, resolve: Resolve | None, bare: bool) -> num.Symbol | None:
    """The block argument a value names — `$act`, or `act` too where `bare` — as its
    placeholder, or None if it names none (a `$` name that is no argument is an error)."""
    if resolve is None or not isinstance(node, LScalar) or not isinstance(node.value, str) \
            or isinstance(node.value, (Trap, Word)):
        return None
    text = node.value
    sigil = text.startswith("$")
    if not (sigil or bare) or not IDENT.fullmatch(text.removeprefix("$")):
        return None
    try:
        value = resolve(text.removeprefix("$"), 0)
    except ExprError as exc:
        if sigil:
            raise error(str(exc), _expr_loc(node, 0), code="expr") from None
        return None
    return value if is_placeholder(value) else None


def boolean(node: Node, what: str, resolve: Resolve | None = None):
    if isinstance(node, LScalar) and isinstance(node.value, bool):
        return node.value
    arg = placeholder(node, resolve, bare=True)
    if arg is not None:
        return arg
    if isinstance(node, LScalar) and isinstance(node.value, Trap):
        raise error(f"{what}: write true or false ('{node.value}' is YAML 1.1 only)", node.loc,
                    code="yaml11")
    raise error(f"{what} must be true or false", node.loc, code="type")


def choice(node: Node, what: str, p: B.Param, resolve: Resolve | None = None):
    arg = placeholder(node, resolve, bare=False)
    if arg is not None:
        return arg
    if isinstance(node, LScalar) and isinstance(node.value, str) and not isinstance(node.value, Trap):
        key = node.value.lower()
        aliases = dict(p.aliases)
        if key in p.choices:
            return key
        if key in aliases:
            return aliases[key]
    shown = ", ".join(p.choices)
    raise error(f"{what} must be one of {shown}" +
                (f" (or {', '.join(a for a, _ in p.aliases)})" if p.aliases else ""),
                node.loc, code="choice")


def per_dim(node: Node, what: str, ndim: int, one: Callable[[Node, str], object]):
    """One value for every axis, or a list of `ndim` values."""
    if isinstance(node, LSeq):
        if len(node) != ndim:
            raise error(f"{what} lists {len(node)} values but the input has {ndim} spatial "
                        f"dim{'s' if ndim > 1 else ''}", node.loc, code="dims")
        return tuple(one(item, f"{what}[{i}]") for i, item in enumerate(node))
    return one(node, what)


def padding(node: Node, what: str, ndim: int, resolve: Resolve):
    if isinstance(node, LScalar) and isinstance(node.value, str) and \
            node.value.lower() in ("valid", "same"):
        return node.value.lower()

    def side(item: Node, w: str):
        if isinstance(item, LSeq):
            if len(item) != 2:
                raise error(f"{w}: per-side padding is [before, after], two values", item.loc,
                            code="dims")
            return tuple(integer(x, f"{w}[{i}]", resolve, 0) for i, x in enumerate(item))
        return integer(item, w, resolve, 0)

    if isinstance(node, LSeq) and len(node) != ndim:
        hint = (f"for per-side padding on a 1-D input write [[{', '.join('…' for _ in node)}]]"
                if ndim == 1 and len(node) == 2 else "")
        raise error(f"{what} lists {len(node)} values but the input has {ndim} spatial "
                    f"dim{'s' if ndim > 1 else ''}", node.loc, hint, code="dims")
    return per_dim(node, what, ndim, side) if isinstance(node, LSeq) else side(node, what)


# A scale factor's denominator: a power of 2 up to 2^16 (0.0000152587890625 = 1/65536).
MAX_SCALE_DENOMINATOR = 1 << 16


def scale(node: Node, what: str, resolve: Resolve) -> num.Expr:
    """A scale factor: a whole number or an expression (as a count), or a decimal that is a
    binary fraction (1.5, 0.75), read as the exact rational. PyTorch computes an
    interpolation's size as ⌊float(W)·k⌋ in doubles (ATen's `compute_output_size`); a
    binary fraction is a double exactly, and so is W·k while W times k's numerator stays
    below 2^53 (far beyond any tensor), so the calculator's ⌊W·k⌋ is PyTorch's. A
    decimal like 0.29 is no double: 100·0.29 rounds to 28.999…, and PyTorch's size is 28
    where the exact one is 29 — refused rather than computed differently."""
    given = node.value if isinstance(node, LScalar) else None
    if isinstance(given, num.Basic) and given.is_Rational and not given.is_Integer:
        given = float(given)  # a block's fraction argument, put in: checked as if written
    if isinstance(node, LScalar) and isinstance(given, float):
        v = real(LScalar(given, node.loc), what, 0.0, low_open=True)
        exact = Fraction(repr(v))  # the shortest decimal that reads back as v: as written
        q = exact.denominator
        if q & (q - 1) or q > MAX_SCALE_DENOMINATOR:
            raise error(f"{what}: {v:g} is not a binary fraction, so PyTorch's size "
                        f"⌊W·{v:g}⌋, computed in floating point, is for some W one less "
                        "than the exact value (100·0.29 gives 28)",
                        node.loc, "write a whole number or a factor whose denominator is a "
                        "power of 2 (1.5, 1.25, 0.75), or give the output `size:`",
                        code="scale")
        return num.Rational(exact.numerator, q)
    return integer(node, what, resolve, 1)


def layer_name(node: Node, what: str) -> str:
    """A layer's name (or `input`), resolved like a `from:` name once the graph is built."""
    if not isinstance(node, LScalar) or not isinstance(node.value, str) or \
            isinstance(node.value, Trap):
        raise error(f"{what} names a layer (or `input`)", node.loc, code="type")
    return str(node.value)


def convert(p: B.Param, node: Node, layer_kind: str, ndim: int, resolve: Resolve):
    what = f"{layer_kind}.{p.name}"
    if p.type == B.COUNT:
        return integer(node, what, resolve, 1)
    if p.type == B.INDEX:
        return integer(node, what, resolve, 0)
    if p.type in (B.SIZE, B.OUTPUT_SIZE):
        return per_dim(node, what, ndim, lambda n, w: integer(n, w, resolve, 1))
    if p.type == B.PADDING:
        return padding(node, what, ndim, resolve)
    if p.type == B.OFFSET:
        if isinstance(node, LScalar) and str(node.value).lower() in ("same", "valid"):
            raise error(f"{what} is a number of cells, or one per spatial dim: "
                        f"'{node.value}' is a convolution's padding rule", node.loc,
                        "a transposed convolution's output grows by the stride; pick its "
                        "size with padding and output_padding", code="type")
        return per_dim(node, what, ndim, lambda n, w: integer(n, w, resolve, 0))
    if p.type == B.SCALE:
        return per_dim(node, what, ndim, lambda n, w: scale(n, w, resolve))
    if p.type == B.LAYER:
        return layer_name(node, what)
    if p.type == B.FLOAT:
        return real(node, what, resolve=resolve)
    if p.type == B.PROB:
        return real(node, what, 0.0, 1.0, high_open=True, resolve=resolve)
    if p.type == B.POSITIVE:
        return real(node, what, 0.0, low_open=True, resolve=resolve)
    if p.type == B.BOOL:
        return boolean(node, what, resolve)
    if p.type == B.CHOICE:
        return choice(node, what, p, resolve)
    raise AssertionError(p.type)  # pragma: no cover


# -- block arguments ------------------------------------------------------------------------

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_PAIR = 3  # a per-axis value lists one entry per spatial dim (at most 3: video)


def arg_value(node: Node, what: str, resolve: Resolve, depth: int = 0):
    """A block argument as given (or as its default): a number or an expression (exact:
    `1.4` is 7/5), true/false, a name (`silu`, `down1`: a `Word`, when it names no symbol
    or argument), or a list of numbers, one per spatial dim (`[3, 5]`, and per side
    `[[0, 1], [0, 1]]`). What each may be is checked where the block's layers use it."""
    if isinstance(node, LMap):
        raise error(f"{what} is a number, true or false, a name or a list, not a mapping",
                    node.loc, code="type")
    if isinstance(node, LSeq):
        if depth > 1 or not 1 <= len(node) <= MAX_PAIR:
            raise error(f"{what} lists one value per spatial dim (at most {MAX_PAIR}), or "
                        "[before, after] per side", node.loc, code="dims")
        return tuple(arg_value(item, f"{what}[{i}]", resolve, depth + 1)
                     for i, item in enumerate(node))
    v = node.value
    if isinstance(v, bool):
        return v
    if isinstance(v, Real) and depth == 0:
        text = v.text.lstrip("+-")
        try:
            value = decimal(text, 0)
        except ExprError as exc:
            raise error(f"{what}: {exc}", node.loc, code="range") from None
        return -value if v.text.startswith("-") else value
    if isinstance(v, str) and not isinstance(v, Trap) and IDENT.fullmatch(v) and depth == 0 \
            and v != IN:
        try:
            return resolve(v, 0)
        except ExprError:
            return Word(v)  # names no symbol or argument: a kind, a block or a layer
    return integer(node, what, resolve, 0) if depth else _number_or_expr(node, what, resolve)


def _number_or_expr(node: LScalar, what: str, resolve: Resolve) -> num.Expr:
    """A whole number ≥ 0 as written, or an expression (its value may be a fraction)."""
    v = node.value
    if not isinstance(v, str) or isinstance(v, Trap):
        return integer(node, what, resolve, 0)  # ints, and the errors for the rest
    try:
        return parse_expr(v, resolve)
    except ExprError as exc:
        raise error(f"{what}: {exc}", _expr_loc(node, exc.offset), code="expr") from None
