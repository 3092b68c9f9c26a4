"""Safe YAML loading that keeps the source position of every value.

PyYAML's `compose` (safe loader, libyaml when available) gives a node tree whose nodes
carry start marks; it never constructs Python objects from tags, so no spec can run
code. We turn that tree into three small located types — `LMap`, `LSeq`, `LScalar` —
resolving scalars with archcalc's own rules (see `scalars.py`), refusing duplicate keys,
and bounding the size an alias can expand to (the "billion laughs" document).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union

import yaml

from ..errors import SourceLoc, error
from .scalars import resolve_plain

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 200_000  # a spec of thousands of layers stays far below this
MAX_DEPTH = 64


@dataclass(frozen=True, eq=False)
class LScalar:
    value: object  # int | float | bool | None | str (maybe a Trap)
    loc: SourceLoc
    quoted: bool = False


@dataclass(frozen=True, eq=False)
class LSeq:
    items: tuple["Node", ...]
    loc: SourceLoc

    def __iter__(self) -> Iterator["Node"]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, eq=False)
class LMap:
    items: tuple[tuple[LScalar, "Node"], ...]
    loc: SourceLoc

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]

    def get(self, key: str) -> "Node | None":
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def __len__(self) -> int:
        return len(self.items)


Node = Union[LScalar, LSeq, LMap]


def to_python(node: Node):
    """Plain Python values (archcalc's scalar rules: `1e-4` is a float), e.g. to validate a
    spec against its JSON Schema as a YAML 1.2 editor would see it."""
    if isinstance(node, LMap):
        return {str(k.value): to_python(v) for k, v in node.items}
    if isinstance(node, LSeq):
        return [to_python(v) for v in node.items]
    return str(node.value) if isinstance(node.value, str) else node.value


def _loc(mark, filename: str) -> SourceLoc:
    return SourceLoc(filename, mark.line + 1, mark.column + 1)


def load(text: str, filename: str = "<string>") -> Node:
    """Parse `text` into located nodes; raise SpecError on malformed YAML."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(mark, filename) if mark is not None else SourceLoc(filename, 1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        hint = ""
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
            hint = "YAML does not allow tabs for indentation; use spaces"
        raise error(f"malformed YAML: {problem}", loc, hint, code="yaml") from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise error(f"malformed YAML: {exc}", SourceLoc(filename, 1, 1), code="yaml") from None
    if root is None:
        raise error("the spec is empty", SourceLoc(filename, 1, 1),
                    "a spec starts with `archcalc: 1`, then name, input and layers",
                    code="empty")
    return _Converter(filename).convert(root, 0)


class _Converter:
    def __init__(self, filename: str):
        self.filename = filename
        self.count = 0

    def convert(self, node, depth: int) -> Node:
        self.count += 1
        loc = _loc(node.start_mark, self.filename)
        if self.count > MAX_NODES:
            raise error(f"the spec expands to more than {MAX_NODES:,} YAML values "
                        "(through aliases?)", loc, code="too-large")
        if depth > MAX_DEPTH:
            raise error(f"the spec nests deeper than {MAX_DEPTH} levels", loc, code="too-deep")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in _STANDARD_TAGS:
            raise error(f"YAML tag {node.tag} is not allowed in a spec", loc,
                        "specs hold plain values only: numbers, strings, lists, mappings",
                        code="yaml-tag")
        if isinstance(node, yaml.SequenceNode):
            return LSeq(tuple(self.convert(n, depth + 1) for n in node.value), loc)
        if isinstance(node, yaml.MappingNode):
            items: list[tuple[LScalar, Node]] = []
            seen: dict[object, SourceLoc] = {}
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise error("YAML merge keys (<<) are not supported in specs",
                                _loc(knode.start_mark, self.filename),
                                "write the keys out, or use a block (see docs/spec.md)")
                key = self.convert(knode, depth + 1)
                if not isinstance(key, LScalar):
                    raise error("a mapping key must be a plain name", key.loc)
                hashable = key.value if not isinstance(key.value, float) else repr(key.value)
                if hashable in seen:
                    raise error(f"duplicate key '{key.value}' (first at line "
                                f"{seen[hashable].line})", key.loc, code="duplicate-key")
                seen[hashable] = key.loc
                items.append((key, self.convert(vnode, depth + 1)))
            return LMap(tuple(items), loc)
        raise error("unsupported YAML node", loc)  # pragma: no cover - compose yields only 3 kinds

    def _scalar(self, node, loc: SourceLoc) -> LScalar:
        if node.style in ("'", '"', "|", ">"):
            return LScalar(node.value, loc, quoted=True)
        return LScalar(resolve_plain(node.value), loc)


# The tags PyYAML's resolver gives untagged values; anything else was written by hand
# (`!!python/object`, `!custom`) and has no place in a spec.
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in
                  ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
