"""The generated file as data: what `codegen.py` builds and `codegen_print.py` prints.

A forward pass is first a list of `Step`s — one value each, computed from earlier values
(`Use(key)`) — and `lower` then decides, on that data, which values the variable `x`
carries from one statement to the next and which must be kept under a name (`Save`): a
value is saved exactly when a later statement reads it after `x` has moved on. Nothing is
printed before this is known, so nothing printed is ever taken back.

Module constructions (`__init__`'s members) are `Call`s (calls.py), nested as the modules
are: `nn.Sequential(Basic(64, 128, stride=2), Basic(128, 128))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archcalc.graph import INPUT

from .calls import Call

# -- values in forward ------------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """A value computed earlier in this forward (INPUT: the argument), before `lower`."""

    key: str


@dataclass(frozen=True)
class Local:
    """A variable: `x`, which holds the latest value, or a value saved under a name."""

    name: str


@dataclass(frozen=True)
class Layer:
    """`self.attr(args…)`: one member module applied."""

    attr: str
    args: tuple[Value, ...]


@dataclass(frozen=True)
class Merge:
    """Paths joined: `a + b` (add), `a * b` (multiply) or `torch.cat([a, b], dim=1)`
    (concat). With `when` (an attribute of the module), a residual sum only where it is
    set: `a + b if self.when else a` (torchvision's `use_res_connect`)."""

    kind: str
    operands: tuple[Value, ...]
    when: str = ""


Value = Use | Local | Layer | Merge


@dataclass(frozen=True)
class Step:
    key: str      # the value's key (a node's name or a group's path)
    value: Layer | Merge
    wants: str    # the name it is saved under, if it must be (before allocation)


# -- statements ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Assign:
    """`x = value`."""

    value: Value


@dataclass(frozen=True)
class Save:
    """`name = x`: the value `x` holds, kept for a later statement."""

    name: str


@dataclass(frozen=True)
class Return:
    values: tuple[Local, ...]


Statement = Assign | Save | Return


# -- classes and the file -------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    default: str | None = None  # Python source of the default; None: required


@dataclass(frozen=True)
class Member:
    """`self.attr = make`; with `identity_when`, torchvision's conditional shortcut:
    `nn.Identity()` when every (left, right) pair is equal, else `make`."""

    attr: str
    make: Call
    identity_when: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Flag:
    """`self.attr = left == right and …`: when a generic block's `if_same` shortcut is
    there (equal channels, stride 1), set in `__init__` and read by forward's `Merge`."""

    attr: str
    equal: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ClassDef:
    name: str
    doc: str                      # raw text: the printer escapes it
    params: tuple[Param, ...]
    members: tuple[Member, ...]
    forward: tuple[Statement, ...]
    flags: tuple[Flag, ...] = ()
    inputs: tuple[str, ...] = ()  # forward's arguments after x (layers read by name)


@dataclass(frozen=True)
class ModuleDef:
    """The file: its docstring, its classes, its self-test. The imports and the helper
    classes it copies are those its classes call (the printer reads them off)."""

    doc: tuple[str, ...]          # raw lines: the printer escapes them
    classes: tuple[ClassDef, ...]  # dependencies first; the network's class last
    example: tuple[int, ...]      # the input of the self-test, without the batch


# -- liveness -----------------------------------------------------------------------------

HELD = "x"          # the variable each statement assigns
IDENTITY = "identity"  # the forward's argument, when a later statement reads it


def reads(value: Value) -> list[str]:
    """The keys a value reads, in order."""
    if isinstance(value, Use):
        return [value.key]
    if isinstance(value, Layer):
        return [k for a in value.args for k in reads(a)]
    if isinstance(value, Merge):
        return [k for a in value.operands for k in reads(a)]
    return []


def lower(steps: list[Step], outputs: list[str], take: Callable[[str], str],
          params: dict[str, str] | None = None) -> tuple[Statement, ...]:
    """`x = …` per step, `name = x` where a value outlives `x`, and the return.

    Statement i runs while `x` holds step i-1's value (the argument before step 0); a read
    of anything else needs a name, so a value is saved right after it is computed exactly
    when some later statement, or the return, reads it at another time. `take` allocates
    a saved value's name (the argument's is `identity`). `params`: forward's other
    arguments (key -> name), each read by its name."""
    params = params or {}
    made = {INPUT: -1, **{k: -2 for k in params}, **{s.key: i for i, s in enumerate(steps)}}
    late = set()
    for i, step in enumerate([*steps, None]):
        for key in (reads(step.value) if step is not None else outputs):
            if made[key] != i - 1:
                late.add(key)
    names = {**({INPUT: IDENTITY} if INPUT in late else {}), **params}
    out: list[Statement] = [Save(IDENTITY)] if INPUT in late else []
    for i, step in enumerate(steps):
        out.append(Assign(_bound(step.value, made, names, i)))
        if step.key in late:
            names[step.key] = take(step.wants)
            out.append(Save(names[step.key]))
    end = len(steps)
    out.append(Return(tuple(_bound(Use(o), made, names, end) for o in outputs)))
    return tuple(out)


def _bound(value: Value, made: dict, names: dict, now: int) -> Value:
    """`value` with each Use replaced by the variable that holds it at statement `now`."""
    if isinstance(value, Use):
        return Local(HELD if made[value.key] == now - 1 else names[value.key])
    if isinstance(value, Layer):
        return Layer(value.attr, tuple(_bound(a, made, names, now) for a in value.args))
    if isinstance(value, Merge):
        return Merge(value.kind, tuple(_bound(a, made, names, now) for a in value.operands),
                     value.when)
    return value
