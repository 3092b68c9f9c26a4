"""Spec -> standalone PyTorch source a person would be glad to have written by hand.

One `nn.Module` class per block kind, generic in the block's arguments (`Basic(in_channels,
out, stride=1)`), and one class for the network. Each class's `__init__` holds its layers,
named as in the spec, and its `forward` reads like the spec: `x = self.conv1(x)`, residual
sums as `x = x + self.shortcut1(identity)`, Inception branches as `torch.cat([...], dim=1)`.
The module docstring carries the spec's name and figures. The file imports only torch and
builds exactly the network `build()` builds: same parameter names, same outputs.

Block classes come from analysing each block alone with symbolic input channels and
arguments (`lenient`: mismatches that depend on them are checked where the block is used),
so every channel count is an expression of the class's arguments. An `auto` shortcut
becomes the conditional torchvision writes: identity when the shapes match, else a
projection. Lines are wrapped as ruff/black would wrap them.

Every string from the spec passes through `pysource.doc_text` and every identifier comes
from a `pysource.Names` allocator (class names, a block's parameters, forward's locals), so
no spec can inject code or make two names collide; the text is `ast`-parsed before it is
returned.
"""

from __future__ import annotations

import dataclasses
import re

import sympy as sp

from archcalc import __version__
from archcalc.analysis import analyze
from archcalc.analysis.result import Analysis
from archcalc.graph import INPUT, build_graph
from archcalc.notation import shape_text
from archcalc.render.numbers import both, exact
from archcalc.spec.model import BlockUse, Spec, SymbolDecl, symbol

from .build import analyse_bound, load_spec
from .calls import HELPERS, Call, helper_source, helpers_used, pyexpr, source
from .modules import CompileError, module_call
from .pysource import RESERVED, Names, checked_source, doc_text

WIDTH = 88  # ruff's and black's default line length
IN = "in_channels"
SYNTHETIC = "input:"  # a block's own input in its analysis; no spec name has a colon


def class_name(name: str) -> str:
    """The CamelCase a class of this name would be given (before allocation)."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts) or "Net"
    return "Net" + out if out[0].isdigit() else out


class _Scope:
    """The direct children ("units") of one scope: its layers and sub-groups, in order."""

    def __init__(self, a: Analysis, groups: dict, path: str):
        self.a, self.groups, self.path = a, groups, path
        self.units: list[tuple[str, object]] = []  # (local name, LayerRow | Group)
        self.rows_of: dict[str, list] = {}
        for r in a.rows:
            if path and path not in r.groups:
                continue
            k = r.groups.index(path) + 1 if path else 0
            key = r.groups[k] if len(r.groups) > k else r.name
            if key not in self.rows_of:
                self.rows_of[key] = []
                unit = groups[key] if key in groups and key != r.name else r
                self.units.append((key, unit))
            self.rows_of[key].append(r)
        self.output_of = {key: rows[-1].name for key, rows in self.rows_of.items()}
        owner = {r.name: key for key, rows in self.rows_of.items() for r in rows}
        self.inputs: dict[str, list[str]] = {}
        for key, rows in self.rows_of.items():
            names = {r.name for r in rows}
            ins: list[str] = []
            for r in rows:
                for i in r.inputs:
                    if i in names:
                        continue
                    src = owner.get(i, INPUT)
                    if src not in ins:
                        ins.append(src)
            self.inputs[key] = ins if key not in groups else ins[:1]
            if key not in groups:  # a layer: all its inputs, in order
                self.inputs[key] = [owner.get(i, INPUT) for i in rows[0].inputs]

    def local(self, key: str) -> str:
        return key.rsplit(".", 1)[-1]


class Generator:
    def __init__(self, spec: Spec, bindings: dict | None = None):
        self.spec = spec
        self.analysis = analyse_bound(spec, bindings)
        self.bindings = dict(self.analysis.bindings)
        self.ndim = spec.ndim
        # Every module-level name is allocated up front, so that no parameter or local
        # allocated later in a child scope can take a class name a body refers to.
        self.names = Names(RESERVED | set(HELPERS))
        self.top_name = self.names.take(class_name(spec.name))
        self.class_of = {b.name: self.names.take(class_name(b.name)) for b in spec.blocks}
        self.params_of: dict[str, dict[str, str]] = {}  # block -> {argument: parameter}
        self.input_param: dict[str, str] = {}  # block -> its input channels' parameter
        self.built: set[str] = set()
        self.classes: list[str] = []
        self.calls: list[Call] = []
        self.uses_ordered_dict = False
        # The model's own symbols (all but the input's) become keyword arguments of the
        # classes that use them (`ResNet18(classes=10)`); `rename` maps a symbol to its
        # parameter in the class being written, when the allocator had to rename it.
        inputs = {str(s) for d in spec.input for s in d.free_symbols}
        self.model_symbols = [s.name for s in spec.symbols if s.name not in inputs
                              and s.name in self.bindings]
        self.symbol_params: dict[str, dict[str, str]] = {}  # block -> {symbol: parameter}
        self.rename: dict = {}
        self.top_analysis = self._top_analysis()

    # -- expressions -------------------------------------------------------------------
    def expr(self, value) -> str:
        """Python for a value in the class being written: the symbols that are not the
        model's arguments put in, the others named as their parameters."""
        if isinstance(value, sp.Basic) and value.free_symbols:
            value = value.xreplace({symbol(k): sp.Integer(v) for k, v in self.bindings.items()
                                    if k not in self.model_symbols})
            value = value.xreplace(self.rename) if self.rename else value
        return pyexpr(value)

    def row_init(self, row, generic: bool) -> str:
        call = module_call(row)
        self.calls.append(call)
        if self.rename:
            call = _renamed(call, self.rename)
        if any(str(s).startswith(SYNTHETIC) for s in _free(call)):
            raise CompileError("its PyTorch module depends on the input's "
                               "spatial size (TensorFlow's `same` padding with a stride?), "
                               "which a block class does not receive; write the padding "
                               "explicitly", row.loc, layer=row.name)
        return source(call)

    def auto_shortcut(self, row) -> str | None:
        """The condition under which a generic block's `auto` shortcut is the identity."""
        if row.kind != "shortcut" or row.layer.mode != "auto" or row.view:
            return None  # not an `auto` shortcut, or one that is the identity here
        strides = {self.expr(m.stride) for m in row.maps}
        same = f"{self.expr(row.in_shape.c)} == {self.expr(row.out_shape.c)}"
        return " and ".join([same] + [f"{s} == 1" for s in sorted(strides) if s != "1"])

    def group_init(self, scope: _Scope, key: str, generic: bool) -> str:
        g = scope.groups[key]
        if g.role == "block":
            cls = self.block_class(g.kind)
            first = scope.rows_of[key][0] if key in scope.rows_of else None
            rows = first or self._first_row(scope.a, key)
            parts = [self.expr(rows.in_shape.c)]
            bd = self.spec.block(g.kind)
            defaults = {n: d for n, d, _ in bd.params}
            params = self.params_of[g.kind]
            for name, value in g.args:
                d = defaults.get(name)
                # A default that names a symbol was baked into the class: pass it always.
                if d is not None and not sp.sympify(d).free_symbols and \
                        sp.simplify(sp.sympify(value) - d) == 0:
                    continue
                parts.append(f"{params[name]}={self.expr(value)}" if d is not None
                             else self.expr(value))
            for sym, param in self.symbol_params[g.kind].items():  # the model's symbols
                parts.append(f"{param}={self.expr(symbol(sym))}")
            return f"{cls}({', '.join(parts)})"
        inner = _Scope(scope.a, scope.groups, key)
        if g.role == "repeat":
            return "nn.Sequential(" + ", ".join(self.unit_init(inner, k, generic)
                                                for k, _ in inner.units) + ")"
        if g.role in ("branch", "shortcut"):
            prev = INPUT
            for k, _ in inner.units:
                if inner.inputs[k] != [prev]:
                    raise CompileError("a branch that is not a chain of layers cannot "
                                       "be exported yet; put its layers in a block", g.loc,
                                       layer=key)
                prev = k
            self.uses_ordered_dict = True
            items = ", ".join(f"{inner.local(k)}={self.unit_init(inner, k, generic)}"
                              for k, _ in inner.units)
            return f"nn.Sequential(OrderedDict({items}))"
        raise CompileError(f"a named {g.role} cannot be exported yet; make it a block", g.loc,
                           layer=key)

    def _first_row(self, a: Analysis, key):
        for r in a.rows:
            if key in r.groups:
                return r
        raise KeyError(key)

    def unit_init(self, scope: _Scope, key: str, generic: bool) -> str:
        if key in scope.groups:
            return self.group_init(scope, key, generic)
        return self.row_init(scope.rows_of[key][0], generic)

    # -- classes -----------------------------------------------------------------------
    def block_class(self, block: str) -> str:
        name = self.class_of[block]
        if block in self.built:
            return name
        self.built.add(block)
        bd = self.spec.block(block)
        # The parameters' scope: `self` and the input channels first, then the model's
        # symbols, then the arguments — none equal to another spec symbol or the block's
        # synthetic input dims (see _block_analysis).
        scope_names = self.names.child({"self", *(
            s.name for s in self.spec.symbols if s.name not in self.model_symbols)})
        self.input_param[block] = scope_names.take(IN)
        symbol_param = {m: scope_names.take(m) for m in self.model_symbols}
        params_of = {n: scope_names.take(n) for n, _, _ in bd.params}
        self.params_of[block] = params_of
        # The analysis below names the input channels and the arguments `input:c`, `arg:N`
        # (no spec name can be either); printing maps every symbol to its parameter.
        rename = {symbol(f"{SYNTHETIC}c"): symbol(self.input_param[block]),
                  **{symbol(f"arg:{n}"): symbol(p) for n, p in params_of.items()},
                  **_rename_map(symbol_param)}
        a, graph = self._block_analysis(block)
        # The model's symbols this block's layers (its inner blocks' too) depend on.
        self.symbol_params[block] = {m: symbol_param[m] for m in self.model_symbols
                                     if m in a.free_symbols}
        groups = {g.path: g for g in graph.groups}
        scope = _Scope(a, groups, "block")
        required = [params_of[n] for n, d, _ in bd.params if d is None]
        optional = [f"{params_of[n]}={pyexpr(self._bind(d))}" for n, d, _ in bd.params
                    if d is not None]
        optional += [f"{param}={self.bindings[m]}" for m, param in
                     self.symbol_params[block].items()]
        params = ", ".join([self.input_param[block], *required, *optional])
        doc = f'Block `{block}` of the spec ({", ".join(n for n, _, _ in bd.params) or "no"} ' \
              "arguments)."
        outer, self.rename = self.rename, rename
        try:
            self.classes.append(self.class_source(name, doc, params, scope, generic=True))
        finally:
            self.rename = outer
        return name

    def _top_analysis(self) -> Analysis:
        """The network with the model's symbols unbound, for a class generic in them; where
        that analysis cannot stand (an error that depends on them), every symbol is baked in
        as before and the class takes no arguments."""
        if not self.model_symbols:
            return self.analysis
        values = {k: v for k, v in self.bindings.items() if k not in self.model_symbols}
        a = analyze(self.spec, values, lenient=True)
        if any(d.severity == "error" for d in a.findings) or \
                any(r.out_shape is None for r in a.rows):
            self.model_symbols = []
            return self.analysis
        return a

    def _bind(self, value):
        subs = {symbol(k): sp.Integer(v) for k, v in self.bindings.items()}
        return sp.sympify(value).xreplace(subs)

    def _block_analysis(self, block: str):
        """The block alone, with symbolic input channels and arguments."""
        bd = self.spec.block(block)
        loc = bd.loc
        args = [f"arg:{n}" for n, _, _ in bd.params]
        cin = f"{SYNTHETIC}c"
        dims = [f"{SYNTHETIC}{d}" for d in ("hw" if self.ndim == 2 else "l")]
        spec = dataclasses.replace(
            self.spec, input=(symbol(cin), *map(symbol, dims)), outputs=(),
            symbols=tuple(SymbolDecl(n, loc) for n in (cin, *dims, *args)) + self.spec.symbols,
            layers=(BlockUse(block, tuple((n, symbol(a), loc) for (n, _, _), a in
                                          zip(bd.params, args)), loc, "block"),))
        values = {k: v for k, v in self.bindings.items() if k not in self.model_symbols}
        graph = build_graph(spec)
        return analyze(spec, values, graph=graph, lenient=True), graph

    def class_source(self, name: str, doc: str, params: str, scope: _Scope,
                     generic: bool) -> str:
        lines = [f"class {name}(nn.Module):", f'    """{doc_text(doc)}"""', "",
                 f"    def __init__(self{', ' + params if params else ''}):",
                 "        super().__init__()"]
        for k, unit in scope.units:
            if _inline_merge(unit):
                continue
            attr = f"self.{scope.local(k)}"
            cond = self.auto_shortcut(unit) if generic and k not in scope.groups else None
            if cond:  # torchvision's: a projection only where the shapes differ
                lines += [wrap(f"if {cond}:", 8), wrap(f"{attr} = nn.Identity()", 12),
                          "        else:",
                          wrap(f"{attr} = {self.unit_init(scope, k, generic)}", 12)]
            else:
                lines.append(wrap(f"{attr} = {self.unit_init(scope, k, generic)}", 8))
        forward = self.forward(scope)
        lines += ["", "    def forward(self, x):"]
        lines += [wrap(line, 8) for line in forward]
        return "\n".join(lines) + "\n"

    def forward(self, scope: _Scope) -> list[str]:
        units = [k for k, _ in scope.units]
        consumers: dict[str, list[str]] = {INPUT: []}
        for k in units:
            consumers.setdefault(k, [])
            for i in scope.inputs[k]:
                consumers.setdefault(i, []).append(k)
        for o in self._outputs(scope):  # returning a value is a use of it
            consumers[o].append("<return>")
        inline = {k for k in units
                  if _shortcut_like(scope, k) and len(consumers[k]) == 1
                  and _is_merge(scope, consumers[k][0])}
        statements = [k for k in units if k not in inline]
        lines: list[str] = []
        holder = INPUT  # the value `x` holds
        saved = {INPUT: "identity"}
        local_names = self.names.child({"self", "x", "identity"})  # forward's locals
        var_of: dict[str, str] = {}

        def var(k):
            if k not in var_of:
                var_of[k] = local_names.take(scope.local(k))
            return var_of[k]
        later_use = {v: [c for c in cs] for v, cs in consumers.items()}

        def owner_statement(k):
            return next((s for s in statements if s == k or k in scope.inputs[s]), k)

        def needs_saving(v, now):
            users = {owner_statement(c) if c in inline else c for c in later_use[v]}
            nxt = statements[statements.index(now) + 1] if now in statements and \
                statements.index(now) + 1 < len(statements) else None
            return bool(users - {nxt}) or (v == INPUT and users - {statements[0]})

        if needs_saving(INPUT, None if not statements else statements[0]) and \
                any(c != statements[0] for c in consumers[INPUT]):
            lines.append("identity = x")

        def ref(v):
            return "x" if v == holder else saved.get(v) or var(v)

        def expr(k):
            ins = [expr(i) if i in inline else ref(i) for i in scope.inputs[k]]
            if _is_merge(scope, k):
                kind = scope.rows_of[k][0].kind
                if kind == "concat":
                    return f"torch.cat([{', '.join(ins)}], dim=1)"
                return " + ".join(ins)
            return f"self.{scope.local(k)}({', '.join(ins)})"

        for k in statements:
            lines.append(f"x = {expr(k)}")
            holder = k
            if any(c not in (statements[statements.index(k) + 1:statements.index(k) + 2])
                   for c in consumers[k]) or len(consumers[k]) > 1:
                saved[k] = var(k)
                lines.append(f"{saved[k]} = x")
        outputs = self._outputs(scope)
        if len(outputs) > 1:
            lines.append(f"return {', '.join(ref(o) for o in outputs)}")
        else:
            lines.append("return x" if outputs[0] == holder else f"return {ref(outputs[0])}")
        return _drop_unused(lines)

    def _outputs(self, scope: _Scope) -> list[str]:
        if scope.path:
            return [scope.units[-1][0]]
        owner = {r.name: k for k, rows in scope.rows_of.items() for r in rows}
        names = [o.name for o in self.analysis.outputs] or [self.analysis.rows[-1].name]
        return [owner[n] for n in names]

    # -- the file ----------------------------------------------------------------------
    def module(self, origin: str = "") -> str:
        a = self.analysis
        name = self.top_name
        groups = {g.path: g for g in build_graph(self.spec).groups}
        top_names = self.names.child({"self"})
        used = set(self.top_analysis.free_symbols)
        top_param = {m: top_names.take(m) for m in self.model_symbols if m in used}
        params = ", ".join(f"{p}={self.bindings[m]}" for m, p in top_param.items())
        self.rename = _rename_map(top_param)
        top = self.class_source(name, f"{self.spec.name}, as the spec describes it.", params,
                                _Scope(self.top_analysis, groups, ""), generic=bool(top_param))
        self.rename = {}
        t = a.totals
        bound = ", ".join(f"{k} = {v}" for k, v in a.bindings) or "no symbols"
        doc = [
            f"{self.spec.name}: the PyTorch model.",
            "",
            f"Generated by archcalc {__version__}" + (f" from {origin}." if origin else "."),
            f"Input {shape_text(a.input_shape)} ({bound}).",
            f"Parameters: {exact(t.trainable)} trainable + {exact(t.buffers)} non-trainable "
            f"= {both(t.params)}.",
            f"MACs: {both(t.macs)}; FLOPs = 2 × MACs = {exact(t.flops)}.",
            "Names follow the spec: the model's state_dict matches archcalc.reference.build."]
        doc = [doc_text(line) for line in doc]
        header = ['"""' + doc[0], *doc[1:], '"""', "", "from __future__ import annotations", ""]
        if self.uses_ordered_dict:
            header += ["from collections import OrderedDict", ""]
        helpers = [helper_source(h) for h in self._helpers()]
        needs_f = any("F." in h for h in helpers)
        header += ["import torch", *(["import torch.nn.functional as F"] if needs_f else []),
                   "from torch import nn", "", "", ""]
        example = ", ".join(str(int(d)) for d in (a.input_shape.c, *a.input_shape.dims))
        # eval(): a batch of one in training mode fails any BatchNorm that sees 1×1 (the
        # Inception v3 aux head), and a self-test should not update running statistics.
        main = ['if __name__ == "__main__":', f"    model = {name}().eval()",
                f"    y = model(torch.randn(1, {example}))",
                "    print(*(t.shape for t in y) if isinstance(y, tuple) else [y.shape])"]
        blocks = [b.rstrip("\n") for b in (*helpers, *self.classes, top, "\n".join(main))]
        return checked_source("\n".join(header) + "\n\n\n".join(blocks) + "\n")

    def _helpers(self) -> list[str]:
        return [h for h in helpers_used(self.calls) if h not in ("Add", "Concat")]


def _free(value) -> set:
    if isinstance(value, Call):
        return set().union(_free(value.args), *(_free(v) for _, v in value.kwargs))
    if isinstance(value, tuple):
        return set().union(*(_free(v) for v in value))
    return set(value.free_symbols) if isinstance(value, sp.Basic) else set()


def _rename_map(params: dict[str, str]) -> dict:
    """symbol -> the symbol of its parameter's name, where the two differ."""
    return {symbol(m): symbol(p) for m, p in params.items() if m != p}


def _renamed(value, rename: dict):
    """A Call (or a value inside one) with its symbols renamed."""
    if isinstance(value, Call):
        return Call(value.target, _renamed(value.args, rename),
                    tuple((k, _renamed(v, rename)) for k, v in value.kwargs))
    if isinstance(value, tuple):
        return tuple(_renamed(v, rename) for v in value)
    if isinstance(value, sp.Basic):
        return value.xreplace(rename)
    return value


def _inline_merge(unit) -> bool:
    return getattr(unit, "kind", None) in ("add", "concat") and hasattr(unit, "inputs")


def _is_merge(scope: _Scope, key: str) -> bool:
    return key not in scope.groups and scope.rows_of[key][0].kind in ("add", "concat")


def _shortcut_like(scope: _Scope, key: str) -> bool:
    if key in scope.groups:
        return scope.groups[key].role in ("branch", "shortcut")
    return scope.rows_of[key][0].kind == "shortcut"


def _drop_unused(lines: list[str]) -> list[str]:
    """Remove `name = x` saves that nothing reads."""
    out = []
    for i, line in enumerate(lines):
        m = re.fullmatch(r"(\w+) = x", line)
        if m and not any(re.search(rf"\b{m.group(1)}\b", later) for later in lines[i + 1:]):
            continue
        out.append(line)
    return out


# -- line wrapping, as ruff/black do it -----------------------------------------------

def _split_args(text: str) -> tuple[str, list[str], str] | None:
    """`head(a, b(c, d), e)` -> ("head(", ["a", "b(c, d)", "e"], ")"), for the last
    bracket pair that spans to the end of the text."""
    if not text or text[-1] not in ")]":
        return None
    close = text[-1]
    opening = {")": "(", "]": "["}[close]
    depth, start = 0, None
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            depth -= 1
            if depth == 0:
                start = i
                break
    if start is None or text[start] != opening:
        return None
    inner, parts, depth, cur = text[start + 1:-1], [], 0, ""
    for c in inner:
        if c in "([" :
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        parts.append(cur.strip())
    return text[:start + 1], parts, close


def wrap(line: str, indent: int, suffix: str = "") -> str:
    """Black's right-hand split: the arguments on one indented line if they fit, else one
    per line with a trailing comma, each wrapped the same way."""
    pad = " " * indent
    if len(pad) + len(line) + len(suffix) <= WIDTH:
        return pad + line + suffix
    split = _split_args(line)
    if split is None or not split[1]:
        return pad + line + suffix
    head, parts, close = split
    body = ", ".join(parts)
    if indent + 4 + len(body) <= WIDTH:
        return f"{pad}{head}\n{pad}    {body}\n{pad}{close}{suffix}"
    inner = "\n".join(wrap(p, indent + 4, ",") for p in parts)
    return f"{pad}{head}\n{inner}\n{pad}{close}{suffix}"


def generate(spec, bindings: dict | None = None, origin: str = "") -> str:
    return Generator(load_spec(spec), bindings).module(origin)
