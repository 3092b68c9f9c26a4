"""The generated file's text, printed once from `codegen_ir`'s data.

Lines are kept within ruff's and black's 88 columns by construction: every expression is
printed from a small layout — text, or a bracketed list of parts after a head
(`nn.Conv2d(` … `)`) — and a line too long for the width is split at its last bracket the
way black splits it: the parts on one indented line if they fit, else one per line with a
trailing comma, each split the same way. A layout rather than a formatter: no runtime
dependency formats Python (ruff and black are tools, not libraries archcalc may import,
and `ast.unparse` never breaks a line), and the generator knows where the brackets are.

Every text from the spec goes through `pysource.doc_text`; every identifier was allocated
by `pysource.Names` before it reached the IR. The file is compiled before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calls import HELPERS, Call, helper_source, pyexpr
from .codegen_ir import (
    HELD,
    Assign,
    ClassDef,
    Layer,
    Local,
    Member,
    Merge,
    ModuleDef,
    Return,
    Save,
    Statement,
    Value,
)
from .pysource import IDENT, checked_source, doc_text

WIDTH = 88  # ruff's and black's default line length
OPERATORS = {"add": " + ", "add_if_same": " + ", "multiply": " * "}  # the broadcasting merges, as Python writes them


@dataclass(frozen=True)
class Bracket:
    """`head` + parts joined by commas + `close`; `head` holds everything before the parts
    (`self.conv1 = nn.Conv2d(`)."""

    head: str
    parts: tuple[Doc, ...]
    close: str
    one: bool = False  # a one-element tuple: its part keeps its comma


Doc = str | Bracket


def flat(doc: Doc) -> str:
    if isinstance(doc, str):
        return doc
    inner = ", ".join(flat(p) for p in doc.parts) + ("," if doc.one else "")
    return f"{doc.head}{inner}{doc.close}"


def prefixed(text: str, doc: Doc) -> Doc:
    """`text` in front of a layout: the split stays at the layout's brackets."""
    return text + doc if isinstance(doc, str) else \
        Bracket(text + doc.head, doc.parts, doc.close, doc.one)


def wrap(doc: Doc, indent: int, suffix: str = "") -> str:
    """The layout as lines at `indent` (see the module docstring)."""
    pad = " " * indent
    text = flat(doc)
    if indent + len(text) + len(suffix) <= WIDTH or isinstance(doc, str) or not doc.parts:
        return pad + text + suffix
    body = ", ".join(flat(p) for p in doc.parts) + ("," if doc.one else "")
    if indent + 4 + len(body) <= WIDTH:
        return f"{pad}{doc.head}\n{pad}    {body}\n{pad}{doc.close}{suffix}"
    inner = "\n".join(wrap(p, indent + 4, ",") for p in doc.parts)
    return f"{pad}{doc.head}\n{inner}\n{pad}{doc.close}{suffix}"


# -- layouts of the IR's values ---------------------------------------------------------------

def construct(value) -> Doc:
    """A constructor argument: a Call, a tuple, or a number/expression (`calls.pyexpr`)."""
    if isinstance(value, Call):
        parts = [construct(a) for a in value.args]
        parts += [prefixed(f"{k}=", construct(v)) for k, v in value.kwargs]
        return Bracket(f"{value.target}(", tuple(parts), ")")
    if isinstance(value, tuple):
        return Bracket("(", tuple(construct(v) for v in value), ")", one=len(value) == 1)
    return pyexpr(value)


def access(attr: str) -> str:
    """`self.conv1`, or for a member a `path:` placed, `self.features["0"].conv`: a name
    as an attribute, a position as a key of the `nn.ModuleDict` that holds it — or, a
    position of the class itself, `getattr(self, "0")`."""
    first, *rest = attr.split(".")
    head = f"self.{first}" if IDENT.fullmatch(first) else f'getattr(self, "{doc_text(first)}")'
    return head + "".join(f".{seg}" if IDENT.fullmatch(seg) else f'["{doc_text(seg)}"]'
                          for seg in rest)


def assign(attr: str, made: Doc, indent: int) -> str:
    """`self.attr = made`; a position of the class itself is no attribute:
    `self.add_module("0", made)`."""
    if "." in attr or IDENT.fullmatch(attr):
        return wrap(prefixed(f"{access(attr)} = ", made), indent)
    return wrap(prefixed(f'self.add_module("{doc_text(attr)}", ', made), indent, ")")


def value(v: Value) -> Doc:
    if isinstance(v, Local):
        return v.name
    if isinstance(v, Layer):
        return Bracket(f"{access(v.attr)}(", tuple(value(a) for a in v.args), ")")
    if isinstance(v, Merge) and v.kind == "concat":
        return Bracket("torch.cat(", (Bracket("[", tuple(value(a) for a in v.operands), "]"),
                                      "dim=1"), ")")
    if isinstance(v, Merge) and v.when:  # `x + identity if self.use_res_connect else x`
        *first, last = v.operands
        total = "".join(flat(value(a)) + " + " for a in first) + flat(value(last))
        return f"{total} if self.{v.when} else {flat(value(v.operands[0]))}"
    if isinstance(v, Merge):  # add, multiply: the split, if any, in the last operand
        op = OPERATORS[v.kind]
        *first, last = v.operands
        return prefixed("".join(flat(value(a)) + op for a in first), value(last))
    raise TypeError(f"not a printable value: {v!r}")  # a Use left unlowered: a bug


def statement(s: Statement) -> Doc:
    if isinstance(s, Assign):
        return prefixed(f"{HELD} = ", value(s.value))
    if isinstance(s, Save):
        return f"{s.name} = {HELD}"
    if isinstance(s, Return):
        return "return " + ", ".join(v.name for v in s.values)
    raise TypeError(f"not a statement: {s!r}")


def member(m: Member, held: set[str]) -> list[str]:
    """`self.attr = …`, after the `nn.ModuleDict`s that hold a member at a path (`held`:
    those made so far in this class)."""
    parts = m.attr.split(".")
    lines = []
    for i in range(1, len(parts)):
        holder = ".".join(parts[:i])
        if holder not in held:
            held.add(holder)
            lines.append(assign(holder, "nn.ModuleDict()", 8))
    made = construct(m.make)
    if not m.identity_when:
        return [*lines, assign(m.attr, made, 8)]
    same = " and ".join(f"{left} == {right}" for left, right in m.identity_when)
    return [*lines, wrap(f"if {same}:", 8), assign(m.attr, "nn.Identity()", 12),
            "        else:", assign(m.attr, made, 12)]


def class_text(c: ClassDef, own_keys: bool = False) -> str:
    """A class's source; `own_keys`: the network's class of a file with LayerScale
    layers, which registers the hooks that key each γ by its module's path."""
    params = ("self", *(p.name if p.default is None else f"{p.name}={p.default}"
                        for p in c.params))
    lines = [f"class {c.name}(nn.Module):", f'    """{doc_text(c.doc)}"""', "",
             wrap(Bracket("def __init__(", params, "):"), 4), "        super().__init__()"]
    for f in c.flags:
        lines.append(wrap(f"self.{f.attr} = " + " and ".join(
            f"{left} == {right}" for left, right in f.equal), 8))
    held: set[str] = set()
    for m in c.members:
        lines += member(m, held)
    if own_keys:
        lines.append("        LayerScale.own_keys(self)  # state_dict keys as torchvision's")
    lines += ["", f"    def forward(self, {', '.join((HELD, *c.inputs))}):"]
    lines += [wrap(statement(s), 8) for s in c.forward]
    return "\n".join(lines) + "\n"


def targets(classes) -> set[str]:
    """Every constructor a file's classes call: what it must import or define."""
    found: set[str] = set()
    todo = [m.make for c in classes for m in c.members]
    while todo:
        v = todo.pop()
        if isinstance(v, Call):
            found.add(v.target)
            todo += [*v.args, *(a for _, a in v.kwargs)]
        elif isinstance(v, tuple):
            todo += v
    return found


def module_text(m: ModuleDef) -> str:
    used = targets(m.classes)
    doc = [doc_text(line) for line in m.doc]
    header = ['"""' + doc[0], *doc[1:], '"""', "", "from __future__ import annotations", ""]
    if "OrderedDict" in used:
        header += ["from collections import OrderedDict", ""]
    helpers = [helper_source(h) for h in sorted(used & set(HELPERS))]
    needs_f = any("F." in h for h in helpers)
    header += ["import torch", *(["import torch.nn.functional as F"] if needs_f else []),
               "from torch import nn", "", "", ""]
    top = m.classes[-1].name
    # eval(): a batch of one in training mode fails any BatchNorm that sees 1×1 (the
    # Inception v3 aux head), and a self-test should not update running statistics.
    main = ['if __name__ == "__main__":', f"    model = {top}().eval()",
            f"    y = model(torch.randn(1, {', '.join(map(str, m.example))}))",
            "    print(*(t.shape for t in y) if isinstance(y, tuple) else [y.shape])"]
    classes = [class_text(c, own_keys=c is m.classes[-1] and "LayerScale" in used)
               for c in m.classes]
    blocks = [b.rstrip("\n") for b in (*helpers, *classes, "\n".join(main))]
    return checked_source("\n".join(header) + "\n\n\n".join(blocks) + "\n")
