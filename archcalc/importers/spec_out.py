"""The structured spec (structure.py) written out: block definitions, their arguments
inferred from what differs between the instances, and the layers.

Instances of one class with the same structure (kinds, names, residuals) share a block; a
setting that differs between them becomes an argument — one argument for settings that
are equal in every instance, `k*arg` for one that is a whole multiple of another in every
instance (a bottleneck's `4*width`) — with the most common value as its default.
"""

from __future__ import annotations

import copy
import json
from collections import Counter

from ..spec.parser import check_block_name
from .emit import path_text, preamble, shown, value
from .structure import _walk, snake

CHANNELS = {"out", "groups"}  # settings that may be multiples of each other (4*width)


class Expr(str):
    """An argument's value written as is: `out`, `4*out`, `$bias`."""


def template(item):
    """The item's structure with every layer setting replaced by '#'."""
    if isinstance(item, list):
        return [template(i) for i in item]
    out = {}
    for k, v in item.items():
        if k in ("body", "class", "in", "defaults", "batchnorm", "shortcut",
                 "shortcut_path"):  # _define
            continue
        out[k] = ({a: "#" for a in v} if k == "args" else
                  template(v) if k in ("layers", "uses") else
                  [template(b) for b in v] if k == "branches" else v)
    return out


def slots(items, path=()):
    """(position, key, value) of every layer setting, in order."""
    for n, item in enumerate(items):
        for k, v in item.get("args", {}).items():
            yield (*path, n), k, v, item
        yield from slots(item.get("layers", ()), (*path, n))
        for b, branch in enumerate(item.get("branches", ())):
            yield from slots(branch, (*path, n, b))


def depth(inst) -> int:
    return 1 + max((depth(i) for i in _uses(inst["body"])), default=0)


def _uses(items):
    return (i for i in _walk(items) if i["kind"] == "use")


def finalize(instances) -> dict:
    """Assign each instance its block and arguments; the block definitions by name."""
    blocks: dict[str, dict] = {}
    for d in sorted({depth(i) for i in instances}):
        groups: dict[str, list] = {}
        level = [i for i in instances if depth(i) == d]
        _if_same(level)
        for inst in level:
            sig = json.dumps([inst["class"], template(inst["body"])], sort_keys=True)
            groups.setdefault(sig, []).append(inst)
        for insts in groups.values():
            name = _block_name(snake(insts[0]["class"]), blocks)
            blocks[name] = _define(insts)
            for inst in insts:
                inst["block"] = name
    return blocks


def _if_same(level) -> None:
    """Instances of one class that are one residual with an identity shortcut, and others
    that are its layers alone (torchvision's `use_res_connect`): all become `shortcut:
    if_same` — the sum where the body keeps the channels and the size. Where that rule
    is not the model's, the spec does not verify and the flat one is written."""
    def sig(cls, items):
        return json.dumps([cls, template(items)], sort_keys=True)

    wrapped = {sig(i["class"], i["body"][0]["layers"]) for i in level
               if len(i["body"]) == 1 and i["body"][0]["kind"] == "residual"
               and i["body"][0]["shortcut"] == "identity"}
    for i in level:
        if sig(i["class"], i["body"]) in wrapped:
            i["body"] = [{"kind": "residual", "shortcut": "if_same", "layers": i["body"]}]
    for i in level:
        if len(i["body"]) == 1 and i["body"][0].get("shortcut") == "identity" and \
                sig(i["class"], i["body"][0]["layers"]) in wrapped:
            i["body"][0]["shortcut"] = "if_same"


def _block_name(want: str, blocks) -> str:
    name, n = (want if check_block_name(want) is None else f"{want}_block"), 2
    while name in blocks:
        name, n = f"{want}_{n}", n + 1
    return name


def _define(insts) -> dict:
    per = [list(slots(i["body"])) for i in insts]
    body = copy.deepcopy(insts[0]["body"])
    # A projection's BatchNorm: an identity shortcut is `auto` too, and `auto` is the
    # identity wherever the shapes match, so the block takes the projections' setting.
    for n, res in enumerate(i for i in _walk(body) if i["kind"] == "residual"):
        same = [[i for i in _walk(inst["body"]) if i["kind"] == "residual"][n]
                for inst in insts]
        if any(r["shortcut"] == "auto" for r in same):
            res["shortcut"] = "auto"
            res["batchnorm"] = any(r.get("batchnorm") for r in same)
            # where the projections sit (torchvision's `downsample`), if they agree
            paths = {r.get("shortcut_path") for r in same if r["shortcut"] == "auto"}
            res["shortcut_path"] = paths.pop() if len(paths) == 1 else None
    where = list(slots(body))
    args: dict[str, list] = {}
    kinds: dict[str, str] = {}  # each argument's setting: a multiple only of channels
    used: set[str] = set()
    for s, (pos, key, _, item) in enumerate(where):
        vals = [p[s][2] for p in per]
        if all(v == vals[0] for v in vals):
            continue
        ins = [i.get("in") for i in insts]
        of_in = _times_in(vals, ins)
        if of_in:
            item["args"][key] = Expr(of_in)
            continue
        same = next((a for a, va in args.items() if va == vals), None)
        multiple = next((f"{vals[0] // va[0]}*{a}" for a, va in args.items()
                         if key in CHANNELS and kinds[a] in CHANNELS and _multiple(vals, va)),
                        None)
        if same or multiple:
            item["args"][key] = Expr(same or multiple)
            continue
        a = key if key not in used else f"{item.get('name', 'layer')}_{key}"
        used.add(a)
        args[a] = vals
        kinds[a] = key
        bare = isinstance(vals[0], (int, float, list)) and not isinstance(vals[0], bool)
        item["args"][key] = Expr(a if bare else f"${a}")
    defaults = {}
    for a, vals in args.items():
        # A default where it reads as one (a stride of 1, a flag); channels are given.
        common, n = Counter(json.dumps(v) for v in vals).most_common(1)[0]
        common = json.loads(common)
        defaults[a] = common if n > 1 and (common == 1 or isinstance(common, (bool, str))) \
            else None
    for i, inst in enumerate(insts):
        inst["args"] = {a: vals[i] for a, vals in args.items()}
        inst["defaults"] = defaults
    return {"args": defaults, "layers": body}


def _times_in(vals, ins) -> str | None:
    """'in' or 'k*in' where every instance's value is k times its input channels."""
    if None in ins or not _multiple(vals, ins, least=1):
        return None
    k = vals[0] // ins[0]
    return "in" if k == 1 else f"{k}*in"


def _multiple(vals, base, least: int = 2) -> bool:
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
               for v in (*vals, *base)):
        return False
    k = vals[0] // base[0]
    return k >= least and all(v == k * b for v, b in zip(vals, base))


# -- text ---------------------------------------------------------------------------------
def _arg(v) -> str:
    return str(v) if isinstance(v, Expr) else value(v)


def _flow(fields: dict) -> str:
    return "{" + ", ".join(f"{k}: {_field(k, v)}" for k, v in fields.items()) + "}"


def _field(key: str, v) -> str:
    if key == "path":
        return path_text(v)
    return value(v) if key == "from" else _arg(v)



def write_items(items, indent: int) -> list[str]:
    pad, lines = " " * indent, []
    for item in items:
        kind = item["kind"]
        extra = {k: item[k] for k in ("name", "path", "from") if k in item}
        if kind == "residual":
            lines.append(f"{pad}- residual:")
            lines.append(f"{pad}    shortcut: {item['shortcut']}")
            if item.get("batchnorm"):
                lines.append(f"{pad}    batchnorm: true")
            if item.get("shortcut_path"):
                lines.append(f"{pad}    shortcut_path: {path_text(item['shortcut_path'])}")
            lines.append(f"{pad}    layers:")
            lines += write_items(item["layers"], indent + 6)
        elif kind == "parallel":
            lines += [f"{pad}- parallel:", f"{pad}    merge: {item['merge']}"]
            lines += [f"{pad}    name: {item['name']}"] if "name" in item else []
            lines.append(f"{pad}    branches:")
            for branch in item["branches"]:
                if branch:
                    lines.append(f"{pad}      -")
                    lines += write_items(branch, indent + 8)
                else:
                    lines.append(f"{pad}      - []")
        elif kind == "use":
            given = {a: v for a, v in item["args"].items()
                     if item["defaults"][a] is None or v != item["defaults"][a]}
            lines.append(f"{pad}- {item['block']}: {_flow({**given, **extra})}")
        elif kind == "repeat":
            lines += _repeat(item, pad)
        else:
            lines.append(f"{pad}- {kind}: {_flow({**shown(kind, item['args']), **extra})}")
    return lines


def _repeat(item, pad) -> list[str]:
    uses = item["uses"]
    rest = uses[1:]
    # `repeat:` places its copies at positions 0, 1, … of its module (nn.Sequential's)
    positional = all(u.get("path", u["name"]) == str(n) for n, u in enumerate(uses))
    if not positional or \
            any(u["block"] != uses[0]["block"] or u["args"] != rest[0]["args"] for u in rest):
        for n, u in enumerate(uses):  # each one on its own line
            u["path"] = f"{item.get('path', item['name'])}.{u.get('path', u['name'])}"
            u["name"] = f"{item['name']}_{n}"
        if "from" in item:
            uses[0]["from"] = item["from"]
        return write_items(uses, len(pad))
    args, defaults = rest[0]["args"], rest[0]["defaults"]
    given = {a: v for a, v in args.items() if defaults[a] is None or v != defaults[a]}
    first = {a: v for a, v in uses[0]["args"].items() if v != args[a]}
    fields = {**given, "repeat": len(uses)}
    if first:
        fields["first"] = Expr(_flow(first))
    fields.update({k: item[k] for k in ("name", "path", "from") if k in item})
    return [f"{pad}- {uses[0]['block']}: {_flow(fields)}"]


def spec_text(name, dims, blocks, items, header) -> str:
    lines = preamble(name, dims, header)
    if blocks:
        lines.append("blocks:")
        for bname, b in blocks.items():
            lines.append(f"  {bname}:")
            if b["args"]:
                lines.append("    args: {" + ", ".join(
                    f"{a}: {'~' if v is None else value(v)}" for a, v in b["args"].items()) + "}")
            lines.append("    layers:")
            lines += write_items(b["layers"], 6)
    lines.append("layers:")
    lines += write_items(items, 2)
    return "\n".join(lines) + "\n"
