"""Safe YAML loading that keeps the source position of every value.

PyYAML's parser (safe loader, libyaml when available) gives events that carry start
marks; nothing is ever constructed from tags, so no spec can run code. We build three
small located types from them — `LMap`, `LSeq`, `LScalar` — as `yaml.compose` would
compose nodes, resolving scalars with archcalc's own rules (see `scalars.py`), refusing
tags, merge keys, duplicate keys and over-long keys, and bounding the size and depth an
alias can expand to (the "billion laughs" document).
"""

from __future__ import annotations

from typing import Iterator, Union

import yaml
from yaml.composer import ComposerError

from ..errors import SourceLoc, clip, error
from .scalars import resolve_plain
from .yamlhints import hints

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Values a spec may expand to (aliases expanded): the "billion laughs" bound. A flat spec at
# the 100,000-layer limit whose layers are `kind: {…}` mappings of three or four arguments
# has about 900,000 values; at ~210 bytes a value (slotted nodes) 1,000,000 is ~210 MB.
MAX_NODES = 1_000_000
MAX_DEPTH = 64
# Every mapping key is a name: a keyword of the language, a layer kind, a symbol, block or
# block-argument name. None needs more than 128 characters, and a key is quoted in
# messages ("unknown key …"), so a longer one is refused where it is read.
MAX_KEY = 128


# The three node types are plain slotted classes, compared by identity and never changed
# after they are made (nothing assigns to them): a spec at the 100,000-layer limit has
# ~900,000 of them, and a frozen dataclass, which sets each field through
# object.__setattr__, takes three times as long to make (issue 13's 0.1 ms a layer).


class LScalar:
    __slots__ = ("value", "loc", "quoted")

    def __init__(self, value: object, loc: SourceLoc, quoted: bool = False):
        self.value = value  # int | float | bool | None | str (maybe a Trap)
        self.loc = loc
        self.quoted = quoted

    def __repr__(self) -> str:
        return f"LScalar({self.value!r}, {self.loc})"


class LSeq:
    __slots__ = ("items", "loc")

    def __init__(self, items: tuple["Node", ...], loc: SourceLoc):
        self.items = items
        self.loc = loc

    def __iter__(self) -> Iterator["Node"]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"LSeq({len(self.items)} items, {self.loc})"


class LMap:
    __slots__ = ("items", "loc")

    def __init__(self, items: tuple[tuple[LScalar, "Node"], ...], loc: SourceLoc):
        self.items = items
        self.loc = loc

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]

    def get(self, key: str) -> "Node | None":
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"LMap({self.keys()!r}, {self.loc})"


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
        # the parser's events pulled one by one (yaml.parse wraps the same calls in a
        # generator that asks twice for each)
        parser = _Loader(text)
        try:
            root = _Builder(filename).document(parser.get_event)
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(mark, filename) if mark is not None else SourceLoc(filename, 1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        fixes = hints(exc.problem or "", exc.context or "", exc.problem_mark,
                      exc.context_mark, text.splitlines())
        raise error(f"malformed YAML: {problem}", loc, *fixes, code="yaml") from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise error(f"malformed YAML: {exc}", SourceLoc(filename, 1, 1), code="yaml") from None
    if root is None:
        raise error("the spec is empty", SourceLoc(filename, 1, 1),
                    "a spec starts with `archcalc: 1`, then name, input and layers",
                    code="empty")
    return root


class _Builder:
    """Located nodes straight from the parser's events — what `yaml.compose` would build,
    without its node tree (PyYAML resolves every scalar's tag in Python, and the tree
    doubles the memory; archcalc resolves scalars itself). An alias reuses its anchor's
    (immutable) node, but counts its values and nesting as if written out, so that the
    bounds hold for what the document expands to."""

    def __init__(self, filename: str):
        self.filename = filename
        self.count = 0
        # a plain scalar's text -> its value: a spec repeats a few (`out`, `kernel`, `3`)
        # thousands of times, and each value is immutable (bounded: one per distinct text)
        self.plain: dict[str, object] = {}
        # anchor -> (node, values, height, start mark); node None while it is being built
        self.anchors: dict[str, tuple] = {}

    def document(self, next_event) -> Node | None:
        self.next = next_event
        self.next()  # StreamStart
        event = self.next()  # DocumentStart or StreamEnd
        if isinstance(event, yaml.StreamEndEvent):
            return None
        event = self.next()
        start = event.start_mark
        root, _ = self.node(event, 0)
        self.next()  # DocumentEnd
        event = self.next()
        if not isinstance(event, yaml.StreamEndEvent):  # as yaml.compose says it
            raise ComposerError("expected a single document in the stream", start,
                                "but found another document", event.start_mark)
        return root

    def node(self, event, depth: int) -> tuple[Node, int]:
        """(the node that starts with `event`, its height) — a scalar's height is 0."""
        if event.__class__ is yaml.AliasEvent:
            return self.alias(event, depth)
        mark = event.start_mark
        loc = SourceLoc(self.filename, mark.line + 1, mark.column + 1)
        self.count += 1
        if self.count > MAX_NODES:
            raise error(f"the spec expands to more than {MAX_NODES:,} YAML values "
                        "(through aliases?)", loc, code="too-large")
        if depth > MAX_DEPTH:
            raise error(f"the spec nests deeper than {MAX_DEPTH} levels", loc, code="too-deep")
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence",
                                    self.anchors[anchor][3], "second occurrence",
                                    event.start_mark)
            self.anchors[anchor] = (None, 0, 0, event.start_mark)
        before = self.count
        if event.__class__ is yaml.ScalarEvent:
            if event.style in ("'", '"', "|", ">"):
                node, height = LScalar(event.value, loc, True), 0
            else:
                text = event.value
                value = self.plain.get(text, _UNSEEN)
                if value is _UNSEEN:
                    value = self.plain[text] = resolve_plain(text)
                node, height = LScalar(value, loc), 0
        else:
            if event.tag not in (None, "!") and event.tag not in _STANDARD_TAGS:
                raise error(f"YAML tag {event.tag} is not allowed in a spec", loc,
                            "specs hold plain values only: numbers, strings, lists, mappings",
                            code="yaml-tag")
            if isinstance(event, yaml.SequenceStartEvent):
                node, height = self.sequence(loc, depth)
            else:
                node, height = self.mapping(loc, depth)
        if anchor is not None:
            self.anchors[anchor] = (node, self.count - before + 1, height, event.start_mark)
        return node, height

    def alias(self, event, depth: int) -> tuple[Node, int]:
        if event.anchor not in self.anchors:
            raise ComposerError(None, None, "found undefined alias",
                                event.start_mark)
        node, values, height, mark = self.anchors[event.anchor]
        if node is None:  # an alias inside its own anchor's value: it expands forever
            raise error(f"the spec nests deeper than {MAX_DEPTH} levels",
                        _loc(mark, self.filename), code="too-deep")
        if self.count + values > MAX_NODES or depth + height > MAX_DEPTH:
            self.expand(node, depth)  # raises at the value where a bound is crossed
        self.count += values
        return node, height

    def expand(self, root: Node, depth: int) -> None:
        """Count an alias's values one by one, as if written out, to name the value where
        a bound is crossed (at most MAX_NODES steps: the first crossing raises)."""
        todo = [(root, depth)]
        while todo:
            node, d = todo.pop()
            self.count += 1
            if self.count > MAX_NODES:
                raise error(f"the spec expands to more than {MAX_NODES:,} YAML values "
                            "(through aliases?)", node.loc, code="too-large")
            if d > MAX_DEPTH:
                raise error(f"the spec nests deeper than {MAX_DEPTH} levels", node.loc,
                            code="too-deep")
            if isinstance(node, LSeq):
                todo.extend((n, d + 1) for n in reversed(node.items))
            elif isinstance(node, LMap):
                for k, v in reversed(node.items):
                    todo.extend(((v, d + 1), (k, d + 1)))

    def sequence(self, loc: SourceLoc, depth: int) -> tuple[LSeq, int]:
        items, height = [], 0
        event = self.next()
        while event.__class__ is not yaml.SequenceEndEvent:
            item, h = self.node(event, depth + 1)
            items.append(item)
            if h >= height:
                height = h + 1
            event = self.next()
        return LSeq(tuple(items), loc), height

    def mapping(self, loc: SourceLoc, depth: int) -> tuple[LMap, int]:
        items: list[tuple[LScalar, Node]] = []
        seen: dict[object, SourceLoc] = {}
        height = 0
        event = self.next()
        while event.__class__ is not yaml.MappingEndEvent:
            if event.__class__ is yaml.ScalarEvent and (
                    event.tag == _MERGE or (event.tag in (None, "!") and not event.style
                                            and event.value == "<<")):
                raise error("YAML merge keys (<<) are not supported in specs",
                            _loc(event.start_mark, self.filename),
                            "write the keys out, or use a block (see docs/spec.md)")
            key, h = self.node(event, depth + 1)
            if not isinstance(key, LScalar):
                raise error("a mapping key must be a plain name", key.loc)
            value = key.value
            if isinstance(value, str) and len(value) > MAX_KEY:
                raise error(f"a key is {len(value):,} characters long; keys are names "
                            f"of at most {MAX_KEY} ('{clip(value, 40)}')", key.loc,
                            code="too-long")
            hashable = value if not isinstance(value, float) else repr(value)
            if hashable in seen:
                raise error(f"duplicate key '{value}' (first at line "
                            f"{seen[hashable].line})", key.loc, code="duplicate-key")
            seen[hashable] = key.loc
            item, hv = self.node(self.next(), depth + 1)
            items.append((key, item))
            if h >= height or hv >= height:
                height = max(h, hv) + 1
            event = self.next()
        return LMap(tuple(items), loc), height


_MERGE = "tag:yaml.org,2002:merge"
_UNSEEN = object()
# The tags PyYAML's resolver gives untagged values; anything else was written by hand
# (`!!python/object`, `!custom`) and has no place in a spec.
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in
                  ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
