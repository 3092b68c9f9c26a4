"""The two ways a spec's strings reach generated Python source, each made safe in one place.

A spec, a file name or a block argument comes from a stranger, and the generated file is
imported by the user: so no text may end a docstring or a comment, and no identifier may
collide with a keyword, a builtin, an import, or another name in the file.

- `doc_text(s)`: text for inside a triple-quoted docstring or after `#`. Backslashes and
  double quotes are escaped and every character that is not printable (newlines, CR, NUL,
  U+2028, lone surrogates …) is written as an escape, so the literal cannot be closed,
  cannot contain a malformed `\\N{…}`/`\\x` escape, and reads back as the original text.
- `Names`: the allocator every generated identifier comes from. A scope reserves what is
  visible in it; `take(wanted)` returns `wanted` or the first free `wanted_`, `wanted_2`, …
  A child scope (a method's parameters or locals) sees its parent's names as taken, so a
  block argument called `nn`, `self`, `super` or `F` cannot shadow what the body uses.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re

from .modules import CompileError

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Names a generated file must never rebind: keywords (hard and soft), builtins, what the
# file imports, and the module-level names of its `__main__` block.
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) \
    | {"torch", "nn", "F", "OrderedDict", "annotations", "model", "y", "t"}


def doc_text(text: str) -> str:
    """`text` as it may stand inside a `\"\"\"docstring\"\"\"` or a `# comment` (see above)."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


class Names:
    """Identifiers of one scope; see the module docstring."""

    def __init__(self, reserved=(), parent: "Names | None" = None):
        self.parent = parent
        self.used: set[str] = set(reserved)

    def taken(self, name: str) -> bool:
        return name in self.used or (self.parent is not None and self.parent.taken(name))

    def reserve(self, *names: str) -> None:
        self.used.update(names)

    def take(self, wanted: str) -> str:
        base = wanted if IDENT.fullmatch(wanted) else "_" + re.sub(r"\W", "_", wanted, flags=re.A)
        if not base.isidentifier():
            base = "name"
        candidates = [base, base + "_"]
        # Bounded by us: one more candidate than names taken in this scope and its parents.
        candidates += [f"{base}_{i}" for i in range(2, self._count() + 3)]
        for name in candidates:
            if not self.taken(name) and not keyword.iskeyword(name):
                self.used.add(name)
                return name
        raise AssertionError("unreachable: more candidates than taken names")

    def _count(self) -> int:
        return len(self.used) + (self.parent._count() if self.parent is not None else 0)

    def child(self, reserved=()) -> "Names":
        return Names(reserved, parent=self)


def checked_source(text: str) -> str:
    """`text` if it compiles as Python (nothing is run); the generator's last line of defence before a file is
    written (a failure here is a bug in archcalc, reported as such, never a silent file)."""
    try:  # ast.parse alone misses what the symbol table finds (a duplicate argument)
        compile(ast.parse(text), "<generated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise CompileError(f"the generated source does not parse (line {exc.lineno}: {exc.msg}); "
                         "this is a bug in archcalc — please report it with the spec") from None
    return text
