"""A JSON Schema of the spec language, generated from the layer registry.

`archcalc schema > archcalc.schema.json` gives editors with a YAML language server
validation and completion of specs: every layer kind (and alias) with its arguments,
types, defaults and descriptions, and the structure around them (symbols, blocks,
residual, parallel, `from:`, `repeat:`). Block names are the user's, so a list item may
also be any other single key (a block use); archcalc itself still checks those.
"""

from __future__ import annotations

from ..layers import ALIASES, KINDS, merge_kinds
from ..layers import base as B
from .items import ITEM_KEYS, SHORTCUTS
from .model import SPEC_VERSION

EXPR = {"type": "string", "pattern": r"^[\s0-9A-Za-z_$+\-*/%^().,]+$",
        "description": "an expression of symbols: 2*c, (k - 1)/2, max(a, b)"}
ARG = {"type": "string", "pattern": r"^\$[A-Za-z_][A-Za-z0-9_]*$",
       "description": "in a block: the argument of that name (`$bias`)"}
# What a block argument may be given (or default to): a number, an expression, true/false,
# a name (a kind, a layer), or one value per spatial dim.
ARG_VALUE = {"anyOf": [{"type": "number"}, {"type": "boolean"}, EXPR,
                       {"type": "array", "minItems": 1, "maxItems": 3}]}


def _value(p: B.Param) -> dict:
    count = {"anyOf": [{"type": "integer", "minimum": 1}, EXPR]}
    nonneg = {"anyOf": [{"type": "integer", "minimum": 0}, EXPR]}
    if p.type == B.COUNT:
        return count
    if p.type in (B.SIZE, B.OUTPUT_SIZE):
        return {"anyOf": [count, {"type": "array", "items": count, "minItems": 1,
                                  "maxItems": 3}]}
    if p.type == B.INDEX:  # a piece of a chunk, from 0
        return nonneg
    if p.type == B.OFFSET:
        return {"anyOf": [nonneg, {"type": "array", "items": nonneg, "minItems": 1,
                                   "maxItems": 3}]}
    if p.type == B.SCALE:
        one = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, EXPR]}
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": 3}]}
    if p.type == B.LAYER:
        return {"type": "string", "description": "a layer's name, or input"}
    if p.type == B.PADDING:
        side = {"type": "array", "items": nonneg, "minItems": 2, "maxItems": 2}
        return {"anyOf": [nonneg, {"enum": ["valid", "same"]},
                          {"type": "array", "items": {"anyOf": [nonneg, side]},
                           "minItems": 1, "maxItems": 3}]}
    if p.type == B.FLOAT:
        return {"anyOf": [{"type": "number"}, EXPR]}
    if p.type == B.PROB:
        return {"anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 1}, EXPR]}
    if p.type == B.POSITIVE:
        return {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, EXPR]}
    if p.type == B.BOOL:
        return {"anyOf": [{"type": "boolean"}, ARG]}
    return {"anyOf": [{"enum": [*p.choices, *(a for a, _ in p.aliases)]}, ARG]}


def _item_keys() -> dict:
    return {"name": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_]*$"},
            "from": {"anyOf": [{"type": "string"}, {"type": "array",
                                                     "items": {"type": "string"}}]},
            "repeat": {"anyOf": [{"type": "integer", "minimum": 0}, EXPR]},
            "first": {"type": "object", "description": "arguments of the first copy"},
            "path": PATH}


# names.check_module_path: names, positions and ModuleDict keys joined by dots
PATH = {"anyOf": [{"type": "string", "maxLength": 128,
                   "pattern": r"^([A-Za-z_][A-Za-z0-9_-]*|0|[1-9][0-9]{0,5})"
                              r"(\.([A-Za-z_][A-Za-z0-9_-]*|0|[1-9][0-9]{0,5}))*$"},
                  {"type": "integer", "minimum": 0, "maximum": 999999}],
        "description": "where its module sits in the PyTorch model, relative to its scope "
                       "(`features.0`)"}


def _kind(kind) -> dict:
    props = {}
    for p in kind.params:
        entry = dict(_value(p), description=p.doc)
        if not p.required and p.default is not None:
            entry["default"] = p.default
        props[p.name] = entry
    props.update(_item_keys())
    args = {"type": "object", "properties": props, "additionalProperties": False,
            "required": [p.name for p in kind.params if p.required]}
    forms: list = [args]
    if kind.shorthand:
        forms.insert(0, dict(_value(kind.param(kind.shorthand)),
                             description=f"{kind.shorthand}: {kind.param(kind.shorthand).doc}"))
    if not any(p.required for p in kind.params):
        forms.append({"type": "null"})
    if kind.category == "merge":
        forms.append({"type": "array", "items": {"type": "string"}, "minItems": 2})
    return {"description": f"{kind.summary} (PyTorch: {kind.torch})", "anyOf": forms}


def spec_schema() -> dict:
    kinds = {name: {"$ref": f"#/$defs/kind_{KINDS[name].name}"} for name in KINDS}
    kinds.update({alias: {"$ref": f"#/$defs/kind_{target}"} for alias, target in ALIASES.items()})
    layers = {"type": "array", "items": {"$ref": "#/$defs/item"}}
    item_props = dict(kinds)
    item_props["residual"] = {"type": "object", "required": ["layers"],
                              "additionalProperties": False,
                              "properties": {"layers": layers, "batchnorm": {"type": "boolean"},
                                             "shortcut_path": PATH,
                                             "shortcut": {"anyOf": [{"enum": list(SHORTCUTS)},
                                                                    layers]},
                                             **_item_keys()}}
    item_props["parallel"] = {"type": "object", "required": ["branches"],
                              "additionalProperties": False,
                              "properties": {"branches": {"type": "array", "items": layers,
                                                          "minItems": 2},
                                             "merge": {"enum": [
                                                 n for n in (*KINDS, *ALIASES)
                                                 if ALIASES.get(n, n) in merge_kinds()]},
                                             **{k: v for k, v in _item_keys().items()
                                                if k != "path"}}}  # it holds no module
    bare = sorted(n for n in [*KINDS, *ALIASES]
                  if not any(p.required for p in KINDS[ALIASES.get(n, n)].params))
    item = {"anyOf": [
        {"type": "string", "description": "a kind with no required argument, or a block",
         "examples": bare},
        {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": item_props,
         "additionalProperties": {"description": "a block use: its arguments (or `$act`: "
                                                 "the kind a block argument names)",
                                  "anyOf": [{"type": "object"}, ARG_VALUE, {"type": "null"}]}}]}
    dim = {"anyOf": [{"type": "integer", "minimum": 1},
                     {"type": "string", "pattern": r"^\$?[A-Za-z_][A-Za-z0-9_]*$"}]}
    # A decimal (`width_mult: 1.0`) makes a fraction symbol: any positive value.
    fraction = {"type": "number", "exclusiveMinimum": 0}
    symbol = {"anyOf": [{"type": "integer", "minimum": 1}, fraction, {"type": "null"}, {
        "type": "object", "additionalProperties": False,
        "properties": {"default": {"anyOf": [{"type": "integer", "minimum": 1}, fraction]},
                       "multiple_of": {"type": "integer", "minimum": 1},
                       "min": {"anyOf": [{"type": "integer", "minimum": 0}, fraction]},
                       "max": {"anyOf": [{"type": "integer", "minimum": 1}, fraction]},
                       "doc": {"type": "string"}}}]}
    block = {"type": "object", "required": ["layers"], "additionalProperties": False,
             "properties": {"args": {"type": "object", "additionalProperties": {
                 "anyOf": [ARG_VALUE, {"type": "null"}]}},
                 "layers": layers, "doc": {"type": "string"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"archcalc.spec/{SPEC_VERSION}",
        "title": f"archcalc spec (version {SPEC_VERSION})",
        "type": "object",
        "required": ["archcalc", "name", "input", "layers"],
        "additionalProperties": False,
        "properties": {
            "archcalc": {"const": SPEC_VERSION, "description": "the spec language version"},
            "name": {"type": "string"}, "description": {"type": "string"},
            "rounding": {"enum": ["cover", "exact", "floor"], "default": "cover",
                         "description": "cover: a non-integer size is floored where only "
                                        "padding goes unused and an error where input "
                                        "pixels would be lost; exact: every non-integer "
                                        "size is an error; floor: floored as PyTorch and "
                                        "Keras do"},
            "input": {"type": "array", "items": dim, "minItems": 2, "maxItems": 4,
                      "description": "[channels, length], [channels, height, width] or "
                                     "[channels, time, height, width]"},
            "symbols": {"type": "object", "additionalProperties": symbol},
            "blocks": {"type": "object", "additionalProperties": block},
            "layers": layers,
            "outputs": {"type": "array", "items": {"type": "string"}},
        },
        "$defs": {"item": item, **{f"kind_{n}": _kind(KINDS[n]) for n in KINDS}},
        "x-item-keys": list(ITEM_KEYS),
    }
