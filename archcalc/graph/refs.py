"""What a `from:` name stands for, once every scope is expanded (names may point forwards).

A name resolves in the scope it is written in, then outward; it may stand for what an
empty block or branch passes on — another `from:` name — which is followed, each name at
most once in the whole run (linear), and a chain that leads back to itself is an error.
"""

from __future__ import annotations

from itertools import islice

from ..errors import clip, error
from ..suggest import did_you_mean
from .scope import Ref


class Resolver:
    def __init__(self, by_name: dict):
        self.by_name = by_name
        self.resolved: dict[tuple[int, str], str] = {}  # (scope, `from:` name) -> node

    def resolve(self, entry) -> str:
        """The node an input entry stands for. A `from:` name may stand for what an empty
        block or branch passes on — another `from:` name — so this follows such names, each
        at most once: `{name: a, from: a}` on an empty block is a cycle, not a recursion."""
        chain: list[Ref] = []
        on_chain: set[tuple[int, str]] = set()
        while not isinstance(entry, str):
            key = (id(entry.scope), entry.name)
            if key in self.resolved:
                entry = self.resolved[key]
                break
            if key in on_chain:
                names = " → ".join(f"{clip(r.name)} (line {r.loc.line})"
                                   for r in chain[:6] + [entry])
                raise error(f"the `from:` names form a cycle through empty blocks: {names}",
                            entry.loc,
                            "an empty block or branch passes on what it reads, so a `from:` "
                            "must not lead back to itself", code="cycle")
            chain.append(entry)
            on_chain.add(key)
            entry = self.lookup(entry)
        for r in chain:  # each name is followed once in the whole run: linear
            self.resolved[(id(r.scope), r.name)] = entry
        return entry

    def lookup(self, ref: Ref):
        """What `from: name` names: a node, or what an empty scope passes on."""
        s = ref.scope
        while s is not None:
            if ref.name in s.locals:
                return s.locals[ref.name]
            if s.full(ref.name) in self.by_name:
                return s.full(ref.name)
            s = s.parent
        near = []
        s = ref.scope
        for count in ref.before:  # only the layers written before it
            near += list(islice(s.locals, count))
            s = s.parent
        hint = did_you_mean(ref.name, near)
        if not hint:
            listed = sorted(set(near))
            hint = "layers here: " + (", ".join(clip(n) for n in listed[:20]) or "none") + \
                (f" and {len(listed) - 20:,} more" if len(listed) > 20 else "")
        raise error(f"`{ref.key}: {clip(ref.name)}` names no layer here", ref.loc, hint,
                    code="dangling-ref")
