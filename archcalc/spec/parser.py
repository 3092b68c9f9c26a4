"""Spec text -> `Spec`: the top-level keys, the symbols, the input and the layer list.

Every problem is a `SpecError` whose diagnostic points at the offending key or value, with
"did you mean" for misspelt keys and layer kinds. The layer list is written one layer per
item: `- relu`, `- fc: 4096` (the kind's main argument), or `- conv: {out: 96, kernel: 11}`.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from .. import num
from ..errors import SourceText, clip, error, gather, raise_found
from ..heap import collector_paused
from ..layers import ALIASES, KINDS
from ..suggest import did_you_mean
from . import params as P
from .expr import FUNCTIONS, ExprError
from .items import ItemParser
from .model import (
    IN,
    IN_PLACEHOLDER,
    SPEC_VERSION,
    BlockDef,
    Spec,
    SymbolDecl,
    block_arg,
    number,
    symbol,
)
from .scalars import Real, Trap
from .source import check_text, read_spec
from .yamlnodes import MAX_KEY, LMap, LScalar, LSeq, Node, load

TOP_KEYS = ("archcalc", "name", "description", "input", "symbols", "rounding", "blocks",
            "layers", "outputs")
SYMBOL_KEYS = ("default", "multiple_of", "min", "max", "doc")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Extra outputs (auxiliary heads): each costs a pass over the network for its totals.
# Inception v3 has one; 64 is far above any network's.
MAX_OUTPUTS = 64
# The network's name is printed in every report's title and in generated code.
MAX_NETWORK_NAME = 128
# Words a symbol may not be called: padding keywords, expression functions, YAML words.
RESERVED_SYMBOLS = {"same", "valid", "true", "false", "null", *FUNCTIONS}


def check_block_name(name: str) -> str | None:
    if not IDENT.fullmatch(name) or keyword.iskeyword(name):
        return f"'{name}' is not a valid block name (letters, digits, _)"
    if name in KINDS or name in ALIASES or name in ("residual", "parallel"):
        return f"'{name}' is a layer kind; a block needs another name"
    return None


def parse_file(path: str | Path) -> Spec:
    return parse_text(read_spec(path), str(Path(path)))


@collector_paused
def parse_text(text: str, filename: str = "<string>") -> Spec:
    check_text(text, filename)
    root = load(text, filename)
    return _SpecParser(SourceText(filename, text), filename).parse(root)


class _SpecParser:
    def __init__(self, source: SourceText, filename: str):
        self.source = source
        self.filename = filename
        self.symbols: dict[str, SymbolDecl] = {}
        self.signatures: dict[str, tuple] = {}  # block name -> (params, loc)
        self.input_channels: num.Expr | None = None  # what `in` is outside a block
        self.symbolic_repeats = False

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
        name_node = self.require(root, "name", "a name for the network")
        name = self.text(name_node, "name")
        if len(name) > MAX_NETWORK_NAME:
            raise error(f"the network's name is {len(name):,} characters long; at most "
                        f"{MAX_NETWORK_NAME} ('{clip(name, 40)}')", name_node.loc,
                        code="too-long")
        description = self.text(root.get("description"), "description") if root.get(
            "description") is not None else ""
        rounding = "cover"
        if root.get("rounding") is not None:
            node = root.get("rounding")
            if not (isinstance(node, LScalar) and node.value in ("cover", "exact", "floor")):
                raise error("rounding must be `cover` (the default: a non-integer size is "
                            "floored where only padding goes unused, an error where input "
                            "pixels would be lost), `exact` (the seeds' literal rule: a "
                            "non-integer size is an "
                            "error) or `floor` (PyTorch's and Keras' rule)", node.loc,
                            code="choice")
            rounding = node.value
        if root.get("symbols") is not None:
            self.parse_symbols(root.get("symbols"))
        inp_node = self.require(root, "input", "the input volume, e.g. `input: [3, H, W]`")
        inp = self.parse_input(inp_node)
        ndim = len(inp) - 1
        found: list = []  # the mistakes of the block bodies and the layers, all reported
        blocks = self.parse_blocks(root.get("blocks"), ndim, found) \
            if root.get("blocks") is not None else ()
        layers_node = self.require(root, "layers", "the list of layers")
        if isinstance(layers_node, LSeq) and len(layers_node) == 0:
            raise error("layers is a non-empty list, one layer per item", layers_node.loc,
                        "e.g. `- conv: {out: 6, kernel: 5}`", code="type")
        self.input_channels = inp[0]
        top = ItemParser(ndim, self.resolve, self.signatures)
        layers = gather((layers_node,), top.items, found)
        raise_found(found)
        layers = layers[0]
        outputs = self.parse_outputs(root.get("outputs")) if root.get("outputs") is not None \
            else ()
        return Spec(name=name, input=inp, input_loc=inp_node.loc,
                    symbols=tuple(self.symbols.values()), layers=layers, source=self.source,
                    rounding=rounding, description=description, blocks=blocks,
                    outputs=outputs,
                    symbolic_repeats=self.symbolic_repeats or top.symbolic_repeats)

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
                        decl[k.value] = self.setting(v, f"{name}.{k.value}",
                                                     0 if k.value == "min" else 1)
            elif isinstance(value, LScalar) and value.value is not None:
                decl["default"] = self.setting(value, f"symbol {name}", 1)
            elif not (isinstance(value, LScalar) and value.value is None):
                raise error(f"symbol {name}: give a default value or a mapping", value.loc,
                            code="type")
            # A decimal default, min or max makes a fraction symbol (`width_mult: 1.0`).
            decl["fraction"] = any(isinstance(decl.get(k), Real) for k in ("default", "min", "max"))
            if decl["fraction"] and decl.get("multiple_of") is not None:
                raise error(f"symbol {name} is a fraction (a decimal is written for it): it "
                            "takes no multiple_of", key.loc, code="type")
            sd = SymbolDecl(**decl)
            if sd.contradiction():
                raise error(f"contradictory constraints: {sd.contradiction()}", key.loc,
                            code="range")
            if sd.default is not None and sd.violation(sd.default):
                raise error(f"the default breaks the symbol's own constraint: "
                            f"{sd.violation(sd.default)}", key.loc, code="range")
            self.symbols[name] = sd

    def setting(self, node: Node, what: str, minimum: int) -> int | Real:
        """A symbol's default, min or max: a plain whole number, or a positive decimal
        (exact, bounded: `1.1` is 11/10) that makes the symbol a fraction."""
        if isinstance(node, LScalar) and isinstance(node.value, Real):
            try:
                if number(node.value) <= 0:
                    raise error(f"{what} must be positive, got {node.value.text}", node.loc,
                                code="range")
            except ExprError as exc:
                raise error(f"{what}: {exc}", node.loc, code="range") from None
            return node.value
        return self.plain_int(node, what, minimum)

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

    def resolve(self, name: str, offset: int, extra: dict | None = None) -> num.Expr:
        if name in self.symbols:
            return self.symbols[name].sym
        if name == IN and self.input_channels is not None:
            return self.input_channels  # outside a block: the network's input channels
        names = [*(extra or {}), *self.symbols]
        hint = did_you_mean(name, names)
        known = ", ".join(names) or "none"
        what = "symbol or block argument" if extra else "symbol"
        raise ExprError(f"unknown {what} '{name}' (declared: {known})" +
                        (f"; {hint}" if hint else ""), offset)

    # -- input ------------------------------------------------------------------
    def parse_input(self, node: Node) -> tuple[num.Expr, ...]:
        if not isinstance(node, LSeq) or len(node) not in (2, 3, 4):
            raise error("input is [channels, length] (1-D), [channels, height, width] (2-D) or "
                        "[channels, time, height, width] (3-D)", node.loc,
                        "e.g. `input: [3, H, W]`, `input: [1, 28, 28]` or `input: [3, T, H, W]`",
                        code="input")
        dims = []
        for i, item in enumerate(node):
            what = "input channels" if i == 0 else f"input dim {i}"
            if isinstance(item, LScalar) and isinstance(item.value, str) and \
                    len(item.value) > MAX_KEY:  # a symbol's name, as under `symbols:`
                raise error(f"{what} is {len(item.value):,} characters long; a symbol's name "
                            f"has at most {MAX_KEY} ('{clip(item.value, 40)}')",
                            item.loc, code="too-long")
            if isinstance(item, LScalar) and isinstance(item.value, str) and \
                    not isinstance(item.value, Trap) and IDENT.fullmatch(item.value.lstrip("$")):
                name = self.symbol_name(item)
                # A name in `input` declares the symbol if `symbols:` did not.
                decl = self.symbols.setdefault(name, SymbolDecl(name, item.loc))
                if decl.fraction:
                    raise error(f"{what} is {name}, a fraction symbol (a decimal is written "
                                "for it): the input's sizes are whole numbers", item.loc,
                                code="input")
                dims.append(symbol(name))
            else:
                value = P.integer(item, what, self.resolve, 1)
                if not value.is_Integer:
                    raise error(f"{what} is a positive integer or a symbol name, not an "
                                f"expression ({item.value})", item.loc,
                                "declare a symbol for it: `input: [3, H, W]`", code="input")
                dims.append(value)
        return tuple(dims)

    # -- blocks and layers ------------------------------------------------------------
    def parse_blocks(self, node: Node, ndim: int, found: list) -> tuple[BlockDef, ...]:
        """The blocks; a mistake in a block's layers is added to `found` (the signatures
        are read first, and a mistake there stops the reading: every use would repeat it)."""
        if not isinstance(node, LMap):
            raise error("blocks: is a mapping of block name -> {args, layers}", node.loc,
                        code="type")
        bodies = {}
        for key, value in node.items:  # signatures first: blocks may use later blocks
            name = str(key.value)
            problem = check_block_name(name)
            if problem:
                raise error(problem, key.loc, code="name")
            if not isinstance(value, LMap) or value.get("layers") is None:
                raise error(f"block {name} needs `layers:`", key.loc,
                            "e.g. `basic: {args: {out: ~, stride: 1}, layers: [...]}`",
                            code="missing")
            for k, _ in value.items:
                if k.value not in ("args", "layers", "doc"):
                    raise error(f"block {name} has no key '{k.value}'", k.loc,
                                did_you_mean(k.value, ("args", "layers", "doc")) or
                                "a block takes: args, layers, doc", code="unknown-key")
            params = []
            args = value.get("args")
            if args is not None:
                if not isinstance(args, LMap):
                    raise error(f"block {name}: args is a mapping of name -> default "
                                "(~ for a required argument)", args.loc, code="type")
                for k, v in args.items:
                    arg = self.symbol_name(k)
                    default = None
                    if not (isinstance(v, LScalar) and v.value is None):
                        default = P.arg_value(v, f"{name}.{arg}", self.default_name)
                    params.append((arg, default, k.loc))
            self.signatures[name] = (tuple(params), key.loc)
            bodies[name] = (value.get("layers"), key.loc)
        return tuple(gather(bodies.items(), lambda body: self.parse_body(ndim, *body), found))

    def parse_body(self, ndim: int, name: str, body: tuple) -> BlockDef:
        """One block's layers, its arguments and `in` resolved as placeholders."""
        layers, loc = body
        params, _ = self.signatures[name]
        placeholders = {arg: block_arg(name, arg) for arg, _, _ in params}
        reads = []

        def resolve(n, offset, placeholders=placeholders, reads=reads):
            if n in placeholders:
                return placeholders[n]
            if n == IN:  # the block's input channels, put in per instance
                reads.append(True)
                return IN_PLACEHOLDER
            return self.resolve(n, offset, extra=placeholders)
        parser = ItemParser(ndim, resolve, self.signatures)
        items = parser.items(layers, f"block {name}'s layers")
        self.symbolic_repeats |= parser.symbolic_repeats
        return BlockDef(name, params, tuple(placeholders.items()), items, loc,
                        reads_in=bool(reads))

    def default_name(self, name: str, offset: int) -> num.Expr:
        """A block argument's default may use the spec's symbols, not `in`."""
        if name == IN:
            raise ExprError("a default cannot read `in`; use `in` in the block's layers",
                            offset)
        return self.resolve(name, offset)

    def parse_outputs(self, node: Node) -> tuple:
        items = node.items if isinstance(node, LSeq) else (node,)
        if len(items) > MAX_OUTPUTS:
            raise error(f"outputs: lists {len(items):,} layers; at most {MAX_OUTPUTS}", node.loc,
                        code="too-large")
        out = []
        for item in items:
            if not isinstance(item, LScalar) or not isinstance(item.value, str):
                raise error("outputs: lists layer names (the last layer is always an output)",
                            item.loc, code="type")
            out.append((str(item.value), item.loc))
        return tuple(out)
