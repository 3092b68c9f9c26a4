"""Flat ops -> the spec a person would write: a module class used more than once becomes a
block, a sequence of its instances a `repeat` (with `first` for the instance that differs),
an add of a chain and its input (or a 1×1 projection of it) a `residual`, and layers are
named by their attribute names inside each block. Where a module's path is not its name
(`features.0`, `conv.1`: a name is an identifier), the item keeps it as `path:`, so that
the spec's modules sit where the source's do and its state_dict loads into build()'s.

`Struct(ops).items()` returns the items of the `layers:` list and `blocks` the block
definitions, as nested data that yaml_out.py writes. Anything this cannot express exactly
raises `Flat`, and the importer keeps the flat spec (emit.py); the structured one is
verified like the flat one, so a mistake here can cost readability, never correctness.
"""

from __future__ import annotations

import re
from collections import Counter

from .emit import layer_name

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}
MERGES = {"add", "concat", "multiply"}


class Flat(Exception):
    """The structure cannot be written exactly; the flat spec stands."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def relative(path: str, base: str) -> str:
    return path[len(base) + 1:] if base and path.startswith(base + ".") else path


def local(path: str, base: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", relative(path, base))
    return name if re.match(r"[A-Za-z_]", name) else f"l{name}"


def placed(item: dict, path: str, base: str) -> dict:
    """`item` with its module's path relative to `base` as `path:`, where its name is not
    that path but was made from it (a second call of a parameter-free module, `relu_2`,
    takes no path: one module holds the first)."""
    rel = relative(path, base)
    if rel != item["name"] and local(path, base) == item["name"] and \
            path.startswith(base + "." if base else ""):
        item["path"] = rel
    return item


class Struct:
    def __init__(self, ops, channels: int):
        self.ops = ops
        self.index = {op.name: k for k, op in enumerate(ops)}
        self.channels = _channels(ops, channels)
        self.users: dict[str, list[int]] = {}
        for k, op in enumerate(ops):
            for i in op.inputs:
                self.users.setdefault(i, []).append(k)
        scopes: dict[str, list[int]] = {}
        self.cls: dict[str, str] = {}
        for k, op in enumerate(ops):
            for p, c in op.scope:
                scopes.setdefault(p, []).append(k)
                self.cls[p] = getattr(c, "__name__", str(c).rsplit(".", 1)[-1])
        self.members = scopes
        self.clean = {p for p, ks in scopes.items() if self._clean(ks)}
        counts = Counter(self.cls[p] for p in self.clean if self.cls[p] not in CONTAINERS)
        self.block_classes = {c for c, n in counts.items() if n > 1}
        self.instances: list[dict] = []  # each block use: class, body, slots
        self.blocks: dict[str, dict] = {}

    def _clean(self, ks: list[int]) -> bool:
        """One contiguous run of ops, one tensor in, only the last op read outside."""
        if ks != list(range(ks[0], ks[-1] + 1)):
            return False
        names = {self.ops[k].name for k in ks}
        outside = {i for k in ks for i in self.ops[k].inputs if i not in names}
        inner_out = any(u > ks[-1] for k in ks[:-1] for u in self.users.get(self.ops[k].name, ()))
        return len(outside) == 1 and not inner_out

    # -- walking a scope: its units, then layers, residuals and block uses --------------
    def units(self, path: str, ks: list[int]):
        """The op indices of scope `path` grouped by its direct child scopes: (child path
        or None, [op indices])."""
        out: list[tuple[str | None, list[int]]] = []
        for k in ks:
            chain = [p for p, _ in self.ops[k].scope]
            at = chain.index(path) + 1 if path else 0
            child = chain[at] if at < len(chain) else None
            if out and child is not None and out[-1][0] == child:
                out[-1][1].append(k)
            else:
                out.append((child, [k]))
        return out

    def convert(self, path: str, ks: list[int], base: str, names: dict, source: str):
        """Items for ops `ks` of scope `path`, named relative to `base` (the spec scope);
        `names` maps flat op names to names visible in that scope; `source` is the flat
        name of the scope's input."""
        items, prev = [], source
        units = self.units(path, ks)
        j = 0
        while j < len(units):
            child, uks = units[j]
            res = self._residual(units, j, path, base, names, prev)
            if res is not None:
                item, j, prev = res
                items.append(item)
                continue
            last = self.ops[uks[-1]].name
            items += self.unit(child, uks, base, names, prev)
            prev = last
            j += 1
        return items

    def unit(self, child, uks, base, names, prev) -> list:
        """The items of one unit: a layer, a block use, a repeat, or a scope's items."""
        if child is None:
            return [self.layer(uks[0], base, names, prev)]
        if child in self.clean and self.cls[child] in self.block_classes:
            return [self.use(child, uks, base, names, prev)]
        if not base and child in self.clean and self.cls[child] in CONTAINERS and \
                self._repeatable(child, uks):  # at the top: a block's body is written once
            return [self.repeat(child, uks, base, names, prev)]
        return self.convert(child, uks, base, names, prev)

    def ref(self, flat: str, names: dict) -> str:
        if flat not in names:
            raise Flat(f"'{flat}' is read from outside its block")
        return names[flat]

    def _from(self, op, names, prev) -> dict:
        if op.kind in MERGES:
            return {"from": [self.ref(i, names) for i in op.inputs]}
        return {} if op.inputs[0] == prev else {"from": self.ref(op.inputs[0], names)}

    def layer(self, k, base, names, prev):
        op = self.ops[k]
        name = self._name(local(op.path, base), names)
        item = {"kind": op.kind, "args": dict(op.args), "name": name,
                **self._from(op, names, prev)}
        names[op.name] = name
        return placed(item, op.path, base) if op.module else item

    def _name(self, want: str, names: dict) -> str:
        """A name not yet used in this scope, valid as a layer name (emit.layer_name)."""
        return layer_name(want, set(names.values()))

    def use(self, child, uks, base, names, prev):
        own = {self.ops[k].name for k in uks}
        src = next(i for k in uks for i in self.ops[k].inputs if i not in own)
        body = self.convert(child, uks, child, {src: "input"}, src)
        if any(i["kind"] == "repeat" for i in _walk(body)):
            raise Flat("a repeat inside a block")
        name = self._name(local(child, base), names)
        inst = placed({"kind": "use", "class": self.cls[child], "body": body, "name": name,
                       "in": self.channels.get(src)}, child, base)
        if src != prev:
            inst["from"] = self.ref(src, names)
        names[self.ops[uks[-1]].name] = name
        self.instances.append(inst)
        return inst

    def _repeatable(self, child, uks) -> bool:
        units = self.units(child, uks)
        return len(units) > 1 and all(
            c in self.clean and self.cls[c] in self.block_classes and
            self.cls[c] == self.cls[units[0][0]] for c, _ in units)

    def repeat(self, child, uks, base, names, prev):
        name = self._name(local(child, base), names)
        uses, p = [], prev
        for c, cks in self.units(child, uks):
            uses.append(self.use(c, cks, child, dict(names), p))
            p = self.ops[cks[-1]].name
        names[self.ops[uks[-1]].name] = name
        item = placed({"kind": "repeat", "uses": uses, "name": name}, child, base)
        if "from" in uses[0]:
            item["from"] = uses[0].pop("from")
        return item

    # -- residuals and branches --------------------------------------------------------
    def _residual(self, units, j, path, base, names, prev):
        """Units j..m-1 as chains from `prev` joined by the merge at unit m: a residual (an
        add of a chain and `prev`, or of a chain and a 1×1 projection of `prev`) or a
        parallel; (item, next unit, the merge's flat name), or None."""
        m = next((m for m in range(j, len(units)) if units[m][0] is None
                  and self.ops[units[m][1][0]].kind in MERGES), None)
        if m is None or m == j:
            return None
        op = self.ops[units[m][1][0]]
        chains: list[list] = []
        for unit in units[j:m]:
            own = {self.ops[k].name for k in unit[1]}
            src = {i for k in unit[1] for i in self.ops[k].inputs if i not in own}
            if src == {prev}:
                chains.append([unit])
                continue
            chain = next((c for c in chains if src == {self.ops[c[-1][1][-1]].name}), None)
            if chain is None:
                return None
            chain.append(unit)
        ends = {self.ops[c[-1][1][-1]].name: c for c in chains}
        if len(set(op.inputs)) != len(op.inputs) or set(ends) - set(op.inputs) or \
                set(op.inputs) - set(ends) - {prev}:
            return None
        order = [ends.get(i, []) for i in op.inputs]
        if op.kind in ("add", "multiply"):  # commutative: the identity first, as specs do
            order.sort(key=len)
        k = self.index[op.name]
        # read further on than the next layer, and not the scope's output (whose readers
        # the scope's own item serves)
        named = m < len(units) - 1 and any(u != k + 1 for u in self.users.get(op.name, ()))
        if op.kind == "add" and len(order) == 2 and not order[0] and not named:
            item = {"kind": "residual", "shortcut": "identity",
                    "layers": self._layers(order[1], base, names, prev)}
        elif op.kind == "add" and len(order) == 2 and not named and \
                self._projection(order[0]) is not None:
            order.reverse()  # the body, then the projection
            item = {"kind": "residual", "shortcut": "auto",
                    "batchnorm": self._projection(order[1]),
                    "shortcut_path": self.projection_path(order[1], base),
                    "layers": self._layers(order[0], base, names, prev)}
        elif op.kind == "add" and len(order) == 2 and not named and \
                self._projection(order[1]) is not None:
            item = {"kind": "residual", "shortcut": "auto",
                    "batchnorm": self._projection(order[1]),
                    "shortcut_path": self.projection_path(order[1], base),
                    "layers": self._layers(order[0], base, names, prev)}
        else:
            item = {"kind": "parallel", "merge": op.kind,
                    "branches": [_anchored(self._layers(c, base, names, prev)) for c in order]}
            if named:
                item["name"] = names[op.name] = self._name(local(op.path, base), names)
        return item, m + 1, op.name  # read only by the next layer: ref() refuses others

    def _projection(self, chain):
        """Does the chain compute `auto`'s projection (a 1×1 conv, without bias, then a
        BatchNorm or not)? True/False: with or without the BatchNorm; None: it does not."""
        if len(chain) != 1:
            return None
        ks = chain[0][1]
        kinds = [self.ops[k].kind for k in ks]
        a = self.ops[ks[0]].args
        if kinds not in (["conv"], ["conv", "batchnorm"]) or a["kernel"] != 1 or a["bias"] \
                or a["padding"] != 0 or a["groups"] != 1 or a["dilation"] != 1:
            return None
        return kinds == ["conv", "batchnorm"]

    def projection_path(self, chain, base: str) -> str | None:
        """Where the shortcut's module sits: the conv's path, or with a BatchNorm the
        Sequential holding both at 0 and 1 (`downsample`), as the shortcut builds it."""
        ops = [self.ops[k] for k in chain[0][1]]
        if len(ops) == 1:
            return relative(ops[0].path, base)
        holder = ops[0].path.removesuffix(".0")
        if ops[0].path == f"{holder}.0" and ops[1].path == f"{holder}.1":
            return relative(holder, base)
        return None

    def _layers(self, chain, base, names, prev):
        layers, p = [], prev
        for c, cks in chain:
            layers += self.unit(c, cks, base, names, p)
            p = self.ops[cks[-1]].name
        return layers


def _channels(ops, first: int) -> dict:
    """Each op's output channels where they follow from the settings alone (what a block
    argument may be a multiple of: `6*in`); None after a flatten."""
    ch = {"input": first}
    for op in ops:
        ins = [ch.get(i) for i in op.inputs]
        if op.kind in ("conv", "conv_transpose", "linear"):
            ch[op.name] = op.args["out"]
        elif op.kind == "concat":
            ch[op.name] = None if None in ins else sum(ins)
        elif op.kind in ("flatten", "chunk", "pixel_shuffle", "pixel_unshuffle"):
            ch[op.name] = None
        else:
            ch[op.name] = ins[0] if ins else None
    return ch


def _anchored(items: list) -> list:
    """A branch's items: a branch opens a scope of names (`branch1.conv`) but `path:` is
    relative to the scope around the parallel, so every named item takes its path — its
    name where it has none — and an unnamed residual's layers, which sit in the branch,
    too (a parallel holds no module: its own branches were anchored when it was made)."""
    for i in items:
        if i["kind"] == "residual":
            _anchored(i["layers"])
        elif "name" in i and i["kind"] != "parallel":  # a parallel's branches: anchored
            i.setdefault("path", i["name"])
    return items


def _walk(items):
    for i in items:
        yield i
        yield from _walk(i.get("layers", ()))
        for b in i.get("branches", ()):
            yield from _walk(b)
