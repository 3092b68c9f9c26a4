"""Spec text -> `Spec`: the top-level keys, the symbols, the input and the layer list.

Every problem is a `SpecError` whose diagnostic points at the offending key or value, with
"did you mean" for misspelt keys and layer kinds. The layer list is written one layer per
item: `- relu`, `- fc: 4096` (the kind's main argument), or `- conv: {out: 96, kernel: 11}`.
"""

from __future__ import annotations

import difflib
import keyword
import re
from pathlib import Path

import sympy as sp

from ..errors import SourceLoc, SourceText, error
from ..layers import KINDS, lookup, suggest
from . import params as P
from .expr import ExprError
from .model import SPEC_VERSION, LayerDecl, Spec, SymbolDecl, symbol
from .scalars import Trap
from .yamlnodes import LMap, LScalar, LSeq, Node, load

TOP_KEYS = ("archcalc", "name", "description", "input", "symbols", "rounding", "layers")
SYMBOL_KEYS = ("default", "multiple_of", "min", "max", "doc")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words a symbol may not be called: padding keywords, expression functions, YAML words.
RESERVED_SYMBOLS = {"same", "valid", "min", "max", "floor", "ceil", "true", "false", "null"}
MAX_LAYERS = 10_000


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def parse_file(path: str | Path) -> Spec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {path}: not UTF-8 text ({exc.reason})",
                    SourceLoc(str(path), 1, 1), code="io") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}", SourceLoc(str(path), 1, 1),
                    code="io") from None
    return parse_text(text, str(path))


def parse_text(text: str, filename: str = "<string>") -> Spec:
    root = load(text, filename)
    return _SpecParser(SourceText(filename, text), filename).parse(root)


class _SpecParser:
    def __init__(self, source: SourceText, filename: str):
        self.source = source
        self.filename = filename
        self.symbols: dict[str, SymbolDecl] = {}

    # -- top level --------------------------------------------------------------
    def parse(self, root: Node) -> Spec:
        if not isinstance(root, LMap):
            raise error("a spec is a mapping of keys (archcalc, name, input, layers)", root.loc,
                        "start the file with `archcalc: 1`", code="type")
        for key, _ in root.items:
            if key.value not in TOP_KEYS:
                raise error(f"unknown key '{key.value}'", key.loc,
                            did_you_mean(key.value, TOP_KEYS) or
                            f"a spec's keys are: {', '.join(TOP_KEYS)}", code="unknown-key")
        version = self.require(root, "archcalc", "the spec's version key `archcalc: 1`")
        if not (isinstance(version, LScalar) and version.value == SPEC_VERSION
                and not isinstance(version.value, bool)):
            raise error(f"unsupported spec version {getattr(version, 'value', '?')!r}; this "
                        f"archcalc reads version {SPEC_VERSION}", version.loc, code="version")
        name = self.text(self.require(root, "name", "a name for the network"), "name")
        description = self.text(root.get("description"), "description") if root.get(
            "description") is not None else ""
        rounding = "exact"
        if root.get("rounding") is not None:
            node = root.get("rounding")
            if not (isinstance(node, LScalar) and node.value in ("exact", "floor")):
                raise error("rounding must be `exact` (the seeds' rule: a non-integer size is an "
                            "error) or `floor` (PyTorch's and Keras' rule)", node.loc,
                            code="choice")
            rounding = node.value
        if root.get("symbols") is not None:
            self.parse_symbols(root.get("symbols"))
        inp_node = self.require(root, "input", "the input volume, e.g. `input: [3, H, W]`")
        inp = self.parse_input(inp_node)
        layers_node = self.require(root, "layers", "the list of layers")
        layers = self.parse_layers(layers_node, len(inp) - 1)
        return Spec(name=name, input=inp, input_loc=inp_node.loc,
                    symbols=tuple(self.symbols.values()), layers=layers, source=self.source,
                    rounding=rounding, description=description)

    def require(self, m: LMap, key: str, what: str) -> Node:
        node = m.get(key)
        if node is None:
            raise error(f"missing `{key}:` — {what}", m.loc, code="missing")
        return node

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, LScalar) or node.value is None or isinstance(node.value, bool):
            raise error(f"{what} must be text", node.loc, code="type")
        return str(node.value)

    # -- symbols ----------------------------------------------------------------
    def parse_symbols(self, node: Node) -> None:
        if not isinstance(node, LMap):
            raise error("symbols: is a mapping of name -> default value or "
                        "{default, multiple_of, min, max}", node.loc, code="type")
        for key, value in node.items:
            name = self.symbol_name(key)
            decl = dict(name=name, loc=key.loc)
            if isinstance(value, LMap):
                for k, v in value.items:
                    if k.value not in SYMBOL_KEYS:
                        raise error(f"unknown key '{k.value}' for symbol {name}", k.loc,
                                    did_you_mean(k.value, SYMBOL_KEYS) or
                                    f"a symbol takes: {', '.join(SYMBOL_KEYS)}",
                                    code="unknown-key")
                    if k.value == "doc":
                        decl["doc"] = self.text(v, f"{name}.doc")
                    else:
                        decl[k.value] = self.plain_int(v, f"{name}.{k.value}",
                                                       0 if k.value == "min" else 1)
            elif isinstance(value, LScalar) and value.value is not None:
                decl["default"] = self.plain_int(value, f"symbol {name}", 1)
            elif not (isinstance(value, LScalar) and value.value is None):
                raise error(f"symbol {name}: give a default value or a mapping", value.loc,
                            code="type")
            sd = SymbolDecl(**decl)
            if sd.default is not None and sd.violation(sd.default):
                raise error(f"the default breaks the symbol's own constraint: "
                            f"{sd.violation(sd.default)}", key.loc, code="range")
            self.symbols[name] = sd

    def symbol_name(self, key: LScalar) -> str:
        name = str(key.value).lstrip("$")
        if not IDENT.fullmatch(name) or keyword.iskeyword(name):
            raise error(f"'{key.value}' is not a valid symbol name (letters, digits, _)",
                        key.loc, code="name")
        if name.lower() in RESERVED_SYMBOLS:
            raise error(f"'{name}' is reserved and cannot name a symbol", key.loc, code="name")
        return name

    def plain_int(self, node: Node, what: str, minimum: int) -> int:
        value = P.integer(node, what, self.no_symbols, minimum)
        if not value.is_number:
            raise error(f"{what} must be a plain number", node.loc, code="type")
        return int(value)

    def no_symbols(self, name: str, offset: int):
        raise ExprError(f"'{name}': a symbol's settings are plain numbers", offset)

    def resolve(self, name: str, offset: int) -> sp.Expr:
        if name in self.symbols:
            return symbol(name)
        hint = did_you_mean(name, self.symbols)
        known = ", ".join(self.symbols) or "none"
        raise ExprError(f"unknown symbol '{name}' (declared: {known})" +
                        (f"; {hint}" if hint else ""), offset)

    # -- input ------------------------------------------------------------------
    def parse_input(self, node: Node) -> tuple[sp.Expr, ...]:
        if not isinstance(node, LSeq) or len(node) not in (2, 3):
            raise error("input is [channels, length] (1-D) or [channels, height, width] (2-D)",
                        node.loc, "e.g. `input: [3, H, W]` or `input: [1, 28, 28]`", code="input")
        dims = []
        for i, item in enumerate(node):
            what = "input channels" if i == 0 else f"input dim {i}"
            if isinstance(item, LScalar) and isinstance(item.value, str) and \
                    not isinstance(item.value, Trap) and IDENT.fullmatch(item.value.lstrip("$")):
                name = self.symbol_name(item)
                # A name in `input` declares the symbol if `symbols:` did not.
                self.symbols.setdefault(name, SymbolDecl(name, item.loc))
                dims.append(symbol(name))
            else:
                dims.append(P.integer(item, what, self.resolve, 1))
        return tuple(dims)

    # -- layers -----------------------------------------------------------------
    def parse_layers(self, node: Node, ndim: int) -> tuple[LayerDecl, ...]:
        if not isinstance(node, LSeq) or len(node) == 0:
            raise error("layers is a non-empty list, one layer per item", node.loc,
                        "e.g. `- conv: {out: 6, kernel: 5}`", code="type")
        if len(node) > MAX_LAYERS:
            raise error(f"more than {MAX_LAYERS:,} layers", node.loc, code="too-large")
        return tuple(self.parse_layer(item, ndim) for item in node)

    def parse_layer(self, item: Node, ndim: int) -> LayerDecl:
        if isinstance(item, LScalar) and isinstance(item.value, str):
            kind_node, value = item, None
        elif isinstance(item, LMap) and len(item) >= 1:
            if len(item) > 1:
                first, extra = item.items[0][0], item.items[1][0]
                raise error(f"a layer is one `kind: arguments` pair, but this item also has "
                            f"'{extra.value}'", extra.loc,
                            f"put it inside the braces: `- {first.value}: {{…, {extra.value}: …}}`"
                            " (check the indentation)", code="layer-shape")
            kind_node, value = item.items[0]
        else:
            raise error("a layer is a kind (`- relu`) or `kind: arguments` "
                        "(`- conv: {out: 96, kernel: 11}`)", item.loc, code="layer-shape")
        kind = lookup(str(kind_node.value))
        if kind is None:
            close = suggest(str(kind_node.value))
            raise error(f"unknown layer kind '{kind_node.value}'", kind_node.loc,
                        f"did you mean '{close[0]}'?" if close else
                        f"the kinds are: {', '.join(sorted(KINDS))} (archcalc ops lists them)",
                        code="unknown-kind")
        written: dict[str, tuple[Node, LScalar | None]] = {}
        name = rounding = None
        if isinstance(value, LMap):
            for k, v in value.items:
                if k.value == "name":
                    name = self.layer_name(v)
                    continue
                if kind.param(str(k.value)) is None:
                    options = [p.name for p in kind.params] + ["name"]
                    raise error(f"{kind.name} has no argument '{k.value}'", k.loc,
                                did_you_mean(k.value, options) or
                                f"{kind.name} takes: {', '.join(options)}", code="unknown-key")
                written[str(k.value)] = (v, k)
        elif isinstance(value, LSeq):
            raise error(f"{kind.name}'s arguments are a mapping, not a list", value.loc,
                        f"e.g. `- {kind.name}: {{{', '.join(p.name + ': …' for p in kind.params[:2])}}}`",
                        code="type")
        elif value is not None and not (isinstance(value, LScalar) and value.value is None):
            if kind.shorthand is None:
                raise error(f"{kind.name} takes no single value"
                            + (f"; write `- {kind.name}: {{{kind.params[0].name}: …}}`"
                               if kind.params else f"; write `- {kind.name}`"),
                            value.loc, code="type")
            written[kind.shorthand] = (value, None)
        args, locs = [], []
        for p in kind.params:
            if p.name in written:
                node, key = written[p.name]
                args.append((p.name, P.convert(p, node, kind.name, ndim, self.resolve)))
                locs.append((p.name, node.loc))
            elif p.required:
                raise error(f"{kind.name} needs `{p.name}` ({p.doc})", kind_node.loc,
                            f"e.g. `- {kind.name}: {{{', '.join(q.name + ': …' for q in kind.params if q.required)}}}`",
                            code="missing")
            else:
                args.append((p.name, p.default))
        if "rounding" in written:
            rounding = dict(args)["rounding"]
        return LayerDecl(kind.name, tuple(args), tuple(locs), item.loc, name, rounding)

    def layer_name(self, node: Node) -> str:
        from ..graph import check_layer_name

        if not isinstance(node, LScalar) or not isinstance(node.value, str):
            raise error("a layer name is text", node.loc, code="type")
        problem = check_layer_name(str(node.value))
        if problem:
            raise error(problem, node.loc, code="name")
        return str(node.value)
