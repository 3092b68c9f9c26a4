"""Block arguments put into a block's layers as it is expanded, and what they must become.

A block argument is a number (exact: `t: 1.5`, `w_a: 36.44`), true/false, a name — a
layer kind or block (`act: silu`, used as `- $act`), a layer to read (`skip: down1`, in
`from: [$skip, up]`), a choice (`mode: reflect`) — or a pair (`k: [1, 7]`). In the block's
layers it stands as a placeholder symbol (spec/model.py). Numbers are put into expressions
within the bounds of spec/bounds.py; the other values replace a placeholder written alone
(`kernel: k`, `bias: $b`). Every argument that held a placeholder is then checked as the
parser checks a value written in place — with the same converter, so the same messages —
and a size that is not a whole number says the arithmetic that made it (`conv.out =
make_divisible(c * w, 8) with c = 32, w = 7/5 is 224/5`).

A name given to a block is bound to the scope it is written in (`ScopedWord`): `from: $skip`
reads the layer the caller means, wherever the block is used; `- $act` is the item the kind
(or block) it names would be, with its defaults. A block that reads `in` gets
a `Channels` symbol per instance; a layer that uses one records which layer's channels it
stands for, and the analysis puts them in (analysis/analyze.py).
"""

from __future__ import annotations

import dataclasses

from .. import num
from ..errors import SourceLoc, SpecError, clip, error
from ..layers import KINDS
from ..layers import base as B
from ..spec import bounds
from ..spec import params as P
from ..spec.items import ItemParser
from ..spec.model import ArgItem, Channels, Item, Word, arg_name, is_placeholder
from ..spec.names import INPUT
from ..spec.yamlnodes import LScalar, LSeq
from .scope import Ref

INTEGRAL = (B.COUNT, B.INDEX, B.SIZE, B.PADDING, B.OUTPUT_SIZE, B.OFFSET)  # whole numbers


class ScopedWord(Word):
    """A name given as a block argument, with the scope where it was given (a `Scope`)."""

    scope: object

    def __new__(cls, text: str, scope) -> ScopedWord:
        obj = super().__new__(cls, text)
        obj.scope = scope
        return obj


def describe(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"'{clip(value, 40)}'"
    if isinstance(value, tuple):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    return str(value)


def put(value, subs: dict, whole: dict, loc: SourceLoc, what: str):
    """`value` with the arguments put in: `subs` maps placeholders to sympy values, `whole`
    to the others (true/false, names, pairs), which replace a placeholder written alone."""
    if isinstance(value, tuple):
        return tuple(put(v, subs, whole, loc, what) for v in value)
    if not isinstance(value, num.Basic) or not value.free_symbols:
        return value
    if whole:
        if value in whole:
            return whole[value]
        bad = sorted((s for s in value.free_symbols if s in whole), key=str)
        if bad:
            raise error(f"{what}: the block argument {arg_name(bad[0])} is "
                        f"{describe(whole[bad[0]])}, which is not a number", loc,
                        code="type")
    try:
        return bounds.substitute(value, subs)
    except bounds.BoundError as exc:
        raise error(f"{what}: with the block's arguments put in, {exc}", loc,
                    code="range") from None


def shown(expr: num.Basic) -> str:
    """An expression as written in the block: its placeholders by their arguments' names."""
    return str(expr.xreplace({s: num.Symbol(arg_name(s)) for s in expr.free_symbols
                              if is_placeholder(s)}))


def layer_args(kind: str, args: tuple, arg_locs: tuple, subs: dict, whole: dict,
               ndim: int, loc: SourceLoc, where: str) -> tuple:
    """A layer's arguments with the block's put in, each checked for its parameter's type
    (`where` names the block instance, for the hint)."""
    k = KINDS.get(kind)
    at = dict(arg_locs)
    out = []
    for name, value in args:
        p = k.param(name) if k is not None else None
        new = put(value, subs, whole, at.get(name, loc), f"{kind}.{name}")
        if p is not None and new is not value and _held_placeholder(value):
            new = _checked(p, value, new, kind, ndim, at.get(name, loc), subs, where)
        out.append((name, new))
    return tuple(out)


def _held_placeholder(value) -> bool:
    if isinstance(value, tuple):
        return any(_held_placeholder(v) for v in value)
    return isinstance(value, num.Basic) and any(is_placeholder(s) for s in value.free_symbols)


def _checked(p, before, value, kind: str, ndim: int, loc: SourceLoc, subs: dict, where: str):
    """`value` as the parser would have read it written in place, or a SpecError there."""
    if p.type in INTEGRAL:
        for old, new in zip(_leaves(before), _leaves(value)):
            if isinstance(new, num.Basic) and new.is_number and not new.is_integer:
                used = sorted((s for s in old.free_symbols if s in subs), key=str)
                given = ", ".join(f"{arg_name(s)} = {subs[s]}" for s in used)
                raise with_hint(error(
                    f"{kind}.{p.name} = {shown(old)}" + (f" with {given}" if given else "")
                    + f" is {new}: not a whole number", loc,
                    "round it: floor(…), ceil(…), round(…) or make_divisible(…, 8)",
                    code="type"), where)
    try:
        return P.convert(p, _node(value, loc), kind, ndim, _no_names)
    except SpecError as exc:
        raise with_hint(exc, where) from None


def _leaves(value):
    if isinstance(value, tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _node(value, loc: SourceLoc):
    if isinstance(value, tuple):
        return LSeq(tuple(_node(v, loc) for v in value), loc)
    return LScalar(value, loc)


def _no_names(name: str, offset: int):  # pragma: no cover - values hold no text to parse
    raise AssertionError(name)


def with_hint(exc: SpecError, where: str) -> SpecError:
    d = exc.diagnostics[0]
    return SpecError([dataclasses.replace(d, hints=d.hints + (where,)), *exc.diagnostics[1:]])


def channels_in(args: tuple) -> set:
    """The instances' `in` symbols a layer's arguments still hold."""
    found = set()
    for _, v in args:
        for leaf in _leaves(v):
            if isinstance(leaf, num.Basic):
                found |= {s for s in leaf.free_symbols if isinstance(s, Channels)}
    return found


def repeat_count(count, subs: dict, whole: dict, values: dict, loc: SourceLoc,
                 limit: int) -> int:
    """A repeat's count with the arguments and the symbols' values put in: a whole number
    from 0 to `limit`, or a SpecError with the arithmetic."""
    if not isinstance(count, num.Basic) or count.is_Integer:
        return int(count)
    value = put(count, subs, whole, loc, "repeat")
    if isinstance(value, num.Basic) and value.free_symbols:
        value = put(value, values, {}, loc, "repeat")
    if isinstance(value, num.Basic) and not value.free_symbols and value.is_integer and \
            0 <= value <= limit:
        return int(value)  # (the message below is made only when it is said: it lifts)
    used = sorted((s for s in count.free_symbols if s in subs), key=str)
    given = " with " + ", ".join(f"{arg_name(s)} = {subs[s]}" for s in used) if used else ""
    said = f"repeat = {shown(count)}{given}"
    if not isinstance(value, num.Basic):
        raise error(f"{said} is {describe(value)}, not a number", loc, code="type")
    if value.free_symbols:
        names = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise error(f"{said} depends on {names}, which has no value here", loc,
                    "a repeat count needs every symbol bound (give it a default or "
                    "--set it; --symbolic leaves the input's sizes unbound)", code="type")
    if not value.is_integer:
        raise error(f"{said} is {value}: not a whole number", loc, code="type")
    if not 0 <= value <= limit:
        raise error(f"{said} is {value}: a repeat count is from 0 to {limit}", loc,
                    code="range" if value > limit else "type")
    return int(value)


def given(value, scope, loc: SourceLoc, what: str):
    """A block argument's value in the caller's `scope`; a name is bound to that scope."""
    value = put(value, scope.subs, scope.whole, loc, what)
    if isinstance(value, str) and not isinstance(value, ScopedWord):
        return ScopedWord(value, scope)
    return value


def source(scope, name: str, loc: SourceLoc):
    """What a `from:` name reads: `$skip` is the layer the block argument names, looked up
    in the scope where it was given."""
    if name.startswith("$"):
        value = scope.whole.get(num.Symbol(name[1:], real=True))
        if value is None:
            value = scope.subs.get(num.Symbol(name[1:], real=True))
        if not isinstance(value, ScopedWord):
            raise error(f"`from: ${arg_name(num.Symbol(name[1:]))}`: the block argument is "
                        f"{describe(value)}, not a layer's name", loc, code="type")
        scope, name = value.scope, str(value)
    return Ref(scope, name, loc) if name != INPUT else scope.input


def named_kind(it: ArgItem, scope, spec) -> Item:
    """`- $act` as if the kind (or block) its argument names were written there."""
    arg = arg_name(it.arg)
    value = put(it.arg, scope.subs, scope.whole, it.loc, f"${arg}")
    if isinstance(value, num.Symbol) and not is_placeholder(value):
        value = value.name  # a spec symbol that shares the name: the name
    if not isinstance(value, str):
        raise error(f"`- ${arg}`: the block argument is {describe(value)}, not a layer kind "
                    "or block", it.loc, code="type")
    parser = ItemParser(spec.ndim, None, {b.name: (b.params, b.loc) for b in spec.blocks})
    try:
        made = parser.dispatch(LScalar(str(value), it.loc), None, 0, it.loc)
    except SpecError as exc:
        raise with_hint(exc, f"`${arg}` is '{clip(value, 40)}' in {scope.path}") from None
    return dataclasses.replace(made, name=it.name, sources=it.sources)
