"""Fix hints that are concrete edits of one layer, and the edit of the spec's text.

The analysis gives each fix that sets one argument of a layer as data beside its hint
(`Diagnostic.changes`: padding 1, stride 3, `rounding: floor`, ...); `fixes(d, hint)` lists
those of one hint; `edit_for(text, line, column, fix)` finds that layer in the
text and says which characters to replace, keeping everything else (comments, layout) as
the user wrote it. An argument written in a form this cannot rewrite without changing its
meaning — an expression, a symbol, a block-style list — is refused with a reason
(`CannotApply`); nothing is guessed.

Pure: text in, an edit out. The YAML is only composed (PyYAML's safe composer: nodes with
positions, nothing constructed), never loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from archcalc.errors import Diagnostic
from archcalc.layers import lookup

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INT = re.compile(r"[0-9]+")
_PAIRS = re.compile(r"\[\[[0-9]+, [0-9]+\](?:, \[[0-9]+, [0-9]+\])*\]")
# The written forms an argument may have for this module to replace it: an integer, a
# keyword, or a flow list of integers. Anything else (an expression, a symbol) means
# something the hint's number cannot stand for in general.
_REPLACEABLE = re.compile(r"[0-9]+|same|valid|exact|floor|true|false|"
                          r"\[[0-9\[\], ]*\]")


@dataclass(frozen=True)
class Fix:
    arg: str     # the layer argument to set
    value: str   # its YAML text
    label: str   # what the problems panel shows


@dataclass(frozen=True)
class Edit:
    """Replace the text from `start` to `end` (0-based (line, column), the editor's
    locations) with `text`."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str
    what: str  # in words, for the notification: `stride: 3 on conv`


class CannotApply(Exception):
    """Why a fix cannot be applied to the text as written; `str()` says it in words."""


def fixes(diagnostic: Diagnostic, hint: str) -> list[Fix]:
    """The concrete edits a hint of this diagnostic proposes, as the analysis made them
    (`Diagnostic.changes`); none for advice such as 'an input of 31 fits'."""
    return [Fix(c.arg, c.value, c.label) for c in diagnostic.changes if c.hint == hint]


def edit_for(text: str, line: int, column: int, fix: Fix) -> Edit:
    """The edit that applies `fix` to the layer written at 1-based `line`:`column` (where
    the diagnostic points: the layer's item, or one of its arguments). CannotApply when
    there is no such layer or its argument is written in a form this cannot rewrite."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        raise CannotApply("the spec does not parse now; fix that first") from None
    found = _layer_at(root, (line - 1, column - 1))
    if found is None:
        raise CannotApply("no layer is written where this problem points; edit it by hand")
    key, args = found
    kind = lookup(str(key.value))
    if kind is None or kind.param(fix.arg) is None:
        raise CannotApply(f"`{key.value}` takes no `{fix.arg}`; edit it by hand")
    what = f"{fix.arg}: {fix.value} on {key.value}"
    if isinstance(args, yaml.MappingNode):
        return _in_mapping(text, args, fix, what)
    if isinstance(args, yaml.ScalarNode) and args.value != "" and kind.shorthand:
        return _from_shorthand(text, args, kind.shorthand, fix, what)
    raise CannotApply(f"`{key.value}` is written without arguments; edit it by hand")


def apply(text: str, edit: Edit) -> str:
    """`text` with `edit` made (lines split on '\\n'), as the editor would make it."""
    lines = text.split("\n")

    def index(loc: tuple[int, int]) -> int:
        return sum(len(x) + 1 for x in lines[:loc[0]]) + loc[1]
    return text[:index(edit.start)] + edit.text + text[index(edit.end):]


# -- finding the layer ----------------------------------------------------------------------

def _start(node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


def _end(node) -> tuple[int, int]:
    return node.end_mark.line, node.end_mark.column


def _layer_at(root, where: tuple[int, int]):
    """(kind key node, arguments node) of the layer item that `where` points at: the item,
    its kind, or one of its arguments' values. Walks each node once (aliases share nodes)."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if _is_layer(item) and _points_at(item, where):
                    return item.value[0]
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
    return None


def _is_layer(item) -> bool:
    return (isinstance(item, yaml.MappingNode) and len(item.value) == 1
            and isinstance(item.value[0][0], yaml.ScalarNode)
            and lookup(str(item.value[0][0].value)) is not None)


def _points_at(item, where: tuple[int, int]) -> bool:
    key, args = item.value[0]
    spots = {_start(item), _start(key), _start(args)}
    if isinstance(args, yaml.MappingNode):
        spots.update(_start(v) for _, v in args.value)
    return where in spots


# -- editing -----------------------------------------------------------------------------------

def _in_mapping(text: str, args, fix: Fix, what: str) -> Edit:
    for k, v in args.value:
        if k.value == fix.arg:
            return _replace(text, v, fix, what)
    if args.flow_style:
        # After the last value: `{out: 6, kernel: 5}` → `{out: 6, kernel: 5, stride: 3}`.
        if args.value:
            at = _end(args.value[-1][1])
            return Edit(at, at, f", {fix.arg}: {fix.value}", what)
        at = (args.start_mark.line, args.start_mark.column + 1)  # just inside `{`
        return Edit(at, at, f"{fix.arg}: {fix.value}", what)
    # Block style: a new line above the first key, indented as it is.
    first = args.value[0][0]
    line, col = _start(first)
    indent = text.split("\n")[line][:col]
    if indent.strip():
        raise CannotApply(f"the arguments of this layer are laid out in a way this cannot "
                          f"extend; add `{fix.arg}: {fix.value}` by hand")
    return Edit((line, 0), (line, 0), f"{indent}{fix.arg}: {fix.value}\n", what)


def _replace(text: str, node, fix: Fix, what: str) -> Edit:
    written = _source(text, node)
    one_line = node.start_mark.line == node.end_mark.line
    plain = not isinstance(node, yaml.ScalarNode) or not node.style  # not quoted
    if not (one_line and plain and _REPLACEABLE.fullmatch(written or "")):
        raise CannotApply(f"`{fix.arg}` is written as `{written}`, which this cannot rewrite "
                          f"safely; set `{fix.arg}: {fix.value}` by hand")
    return Edit(_start(node), _end(node), fix.value, what)


def _from_shorthand(text: str, node, shorthand: str, fix: Fix, what: str) -> Edit:
    """`- avgpool: 2` → `- avgpool: {kernel: 2, stride: 1}`: the written value is kept."""
    written = _source(text, node)
    if node.start_mark.line != node.end_mark.line or not written:
        raise CannotApply(f"the layer's value is written over several lines; add "
                          f"`{fix.arg}: {fix.value}` by hand")
    if shorthand == fix.arg:
        return _replace(text, node, fix, what)
    return Edit(_start(node), _end(node),
                f"{{{shorthand}: {written}, {fix.arg}: {fix.value}}}", what)


def _source(text: str, node) -> str:
    return text[node.start_mark.index:node.end_mark.index]
