"""YAML splits a mapping written with braces at every comma: `{out: max(4, 8)}` reads as
`out: max(4` and a key `8)` with no value. Where a key follows an unclosed parenthesis,
this says so and how to quote it, instead of "conv has no argument '8)'"."""

from __future__ import annotations

from ..errors import clip, error
from .yamlnodes import LMap, LScalar, Node


def split_expression(value: LMap, index: int, what: str) -> None:
    """A SpecError if the key at `index` (of `what`'s arguments) is the rest of the value
    before it, split at a comma; else nothing."""
    if index == 0:
        return
    key, prev = value.items[index - 1]
    if not _empty(value.items[index][1]) or not isinstance(prev, LScalar) or \
            not isinstance(prev.value, str) or prev.quoted or \
            prev.value.count("(") <= prev.value.count(")"):
        return
    parts, depth = [str(prev.value)], prev.value.count("(") - prev.value.count(")")
    for k, v in value.items[index:]:  # the keys the rest of the expression became
        if not _empty(v) or depth <= 0:
            break
        text = str(k.value)
        parts.append(text)
        depth += text.count("(") - text.count(")")
    joined = ", ".join(parts)
    raise error(f"{what}.{key.value}: YAML split the expression `{clip(joined, 60)}` at its "
                "comma", prev.loc, f'quote it: `{key.value}: "{clip(joined, 60)}"` (in a '
                "mapping written `{…}`, a comma separates keys)", code="expr")


def _empty(node: Node | None) -> bool:
    return node is None or (isinstance(node, LScalar) and node.value is None and not node.quoted)
