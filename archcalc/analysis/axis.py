"""The network along one input axis, compiled to plain ints for the valid-input search.

`validset.py` evaluates the network at one input size per residue; this is what it runs.
Each layer becomes a step on ints (its axis map's `size`, `layers/axismap.py`, on plain
ints), and steps that cannot change a verdict are compiled away
(see `Axis`), so that a run costs what the network's strides and branches need, not one
step per layer. Every run is charged to a `Budget`: the search's work is bounded by
WORK_LIMIT whatever the spec, and a search that would need more gives up and says so.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from ..layers.axismap import AxisMap
from .result import LayerRow

MAX_MODULUS = 1 << 16  # beyond this, say so rather than enumerate residues
# Layer steps the search evaluates at most, over all axes (~2 s): a run per residue and
# ~80 to find the smallest size, each of one step per layer that a compiled axis keeps.
# ResNet-152 spends ~10⁴; a network that would need more is said to be too large.
WORK_LIMIT = 3_000_000


def step(W: int, m: AxisMap) -> tuple[int, bool]:
    """(next size, whether it is an integer — else floored) for one axis and layer."""
    return m.size(W)


class Budget:
    """Layer steps the search may still evaluate (WORK_LIMIT in all, for all axes)."""

    def __init__(self, steps: int | None = None):
        self.limit = WORK_LIMIT if steps is None else steps
        self.left = self.limit

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise GaveUp(self.limit)


class GaveUp(Exception):
    pass


class Axis:
    """The network along one input axis, compiled to plain ints for fast evaluation.

    Steps that cannot matter are compiled away: a layer that ends the spatial axes (and
    everything after it), and one that keeps the size (activations, norms). A run of
    stride-1 windows with no reader in between becomes one shift W → W + c with the
    smallest W that keeps every size ≥ 1, so a deep plain network costs a step or two per
    run, not one per layer."""

    def __init__(self, rows: tuple[LayerRow, ...], axis: int, budget: Budget | None = None):
        self.budget = budget or Budget()
        slot = {"input": 0}   # a layer's name -> the slot holding its size
        slots = 1
        steps = []            # (output slot, input slots, op)
        compiled: dict[int, tuple] = {}  # id of a (shared) map -> (int map, shift)
        for row in rows:
            m = row.maps[axis] if row.maps is not None else None
            ins = tuple(slot.get(i, -1) for i in row.inputs)
            if m is None or not ins or -1 in ins:
                continue  # its size is never known: neither is any reader's
            if id(m) not in compiled:
                im = m.ints()
                compiled[id(m)] = (im, im.shift(), m)  # m kept: its id stays its own
            m, c, _ = compiled[id(m)]
            if c == 0 and len(ins) == 1:
                slot[row.name] = ins[0]  # W -> W (every size reaching it is ≥ 1)
                continue
            slot[row.name] = slots
            if m.follows is not None:
                op = ("follow", m.follows)  # the size of another input (`like:`)
            elif c is not None and len(ins) == 1:
                op = ("shift", c, max(1 - c, m.least))
            elif len(ins) > 1:
                op = ("broadcast" if getattr(row.layer, "broadcasts", False) else "merge", m)
            else:
                op = ("map", m)
            steps.append((slots, ins, op))
            slots += 1
        self.steps = _fuse(steps)
        self.slots = slots
        self.pinned = _pinned(self.steps)
        # Slots whose size does not depend on W (after a global or adaptive pool): only
        # such a size 1 broadcasts in the search. A size that is 1 at some W alone is no
        # periodic condition, and W ↦ W + M must keep every verdict (validset.py).
        self.fixed = [False] * slots
        for out, ins, op in self.steps:
            self.fixed[out] = self.fixed[ins[op[1]]] if op[0] == "follow" else \
                (op[0] != "shift" and op[1].ends) or all(self.fixed[i] for i in ins)

    def run(self, value: int, signs: list | None = None) -> tuple[bool, bool]:
        """(every size ≥ 1 and every input at least what its layer accepts, every size an
        integer and every merge matched) at `value`. `signs`, when given, gets for each
        pinned merge (see `_pinned`) the sign of its input that depends on `value` minus
        its fixed one."""
        self.budget.spend(len(self.steps))
        sizes: list = [None] * self.slots
        sizes[0] = value
        integral = True
        for out, ins, op in self.steps:
            kind = op[0]
            if kind == "shift":
                W = sizes[ins[0]]
                if W < op[2]:
                    return False, integral
                sizes[out] = W + op[1]
                continue
            srcs = [sizes[i] for i in ins]
            if kind == "follow":
                sizes[out] = srcs[op[1]]
                continue
            if kind == "broadcast":  # a fixed size 1 stretches to the others
                srcs = [s for s, i in zip(srcs, ins) if s != 1 or not self.fixed[i]] or [1]
                kind = "merge"
            if kind == "merge":
                integral &= all(s == srcs[0] for s in srcs)  # a merge needs equal sizes
                if signs is not None and out in self.pinned:
                    varying, fixed = self.pinned[out]
                    # (a broadcasting merge stretches a fixed size 1 — a gate — to the
                    # others: that pins nothing; fixed sizes are the same at every W)
                    signs += [(sizes[v] > sizes[f]) - (sizes[v] < sizes[f])
                              for v in varying for f in fixed
                              if not (op[0] == "broadcast" and sizes[f] == 1)]
                sizes[out] = srcs[0]
                continue
            size, ok = op[1].size(srcs[0])
            integral &= ok
            if size < 1 or srcs[0] < op[1].least:
                return False, integral
            sizes[out] = size
        return True, integral

    def modulus(self) -> int:
        """The lcm of the numerators of the cumulative strides (rationals: an upsampling's
        stride is 1/k): sizes repeat their pattern with this period (axismap.py). Stops
        once it passes MAX_MODULUS (then the caller says so), before the products of many
        strides grow into huge integers."""
        cum: list = [None] * self.slots
        cum[0] = Fraction(1)
        m = 1
        for out, ins, op in self.steps:
            srcs = [cum[i] for i in ins]
            if op[0] == "follow":  # the same sizes as an earlier slot: nothing new
                cum[out] = srcs[op[1]]
                continue
            if op[0] in ("merge", "broadcast"):  # a fixed size has no stride: the others'
                srcs = [s for s in srcs if s is not None]
            if not srcs or any(s is None for s in srcs) or (op[0] != "shift" and op[1].ends):
                continue
            base = srcs[0]
            for s in srcs[1:]:  # lcm of rationals: lcm of numerators / gcd of denominators
                base = Fraction(base.numerator * s.numerator // gcd(base.numerator, s.numerator),
                                gcd(base.denominator, s.denominator))
            stride = Fraction(1) if op[0] in ("merge", "broadcast", "shift") else \
                _fraction(op[1].stride)
            cum[out] = base * stride
            num = cum[out].numerator
            m = m * num // gcd(m, num)
            if m > MAX_MODULUS:
                return m
        return m


def _pinned(steps: list) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """The merges where a size that depends on the input meets one that does not (an
    adaptive pool's fixed output beside a strided branch): {merge's slot: (the inputs that
    vary, the fixed ones)}. Past such a merge the input's size is pinned to the few values
    that make them equal, which no residue pattern describes (validset.py)."""
    varies = {0: True}
    pinned = {}
    for out, ins, op in steps:
        if op[0] in ("merge", "broadcast"):
            flags = [varies.get(i, False) for i in ins]
            if any(flags) and not all(flags):
                pinned[out] = (tuple(i for i, f in zip(ins, flags) if f),
                               tuple(i for i, f in zip(ins, flags) if not f))
            varies[out] = any(flags)
        elif op[0] == "follow":
            varies[out] = varies.get(ins[op[1]], False)
        else:
            varies[out] = varies.get(ins[0], False) and (op[0] == "shift" or not op[1].ends)
    return pinned


def _fraction(x) -> Fraction:
    """A stride (an int, a Fraction, or a sympy Rational for an upsampling) as a Fraction."""
    return Fraction(x) if isinstance(x, (int, Fraction)) else Fraction(int(x.p), int(x.q))


def _fuse(steps: list) -> list:
    """Merge each shift into the shift that feeds it when nothing else reads between."""
    readers: dict[int, int] = {}
    for _, ins, _ in steps:
        for i in ins:
            readers[i] = readers.get(i, 0) + 1
    out: list = []
    made_by: dict[int, int] = {}  # slot -> its step's index in `out`
    for slot, ins, op in steps:
        src = ins[0]
        k = made_by.get(src)
        if op[0] == "shift" and k is not None and out[k][2][0] == "shift" and \
                readers.get(src) == 1:
            _, first_ins, (_, c1, need1) = out[k]
            # W -> W + c1 (needs W ≥ need1) -> W + c1 + c2 (needs W + c1 ≥ need2)
            out[k] = None
            op = ("shift", c1 + op[1], max(need1, op[2] - c1))
            ins = first_ins
        made_by[slot] = len(out)
        out.append((slot, ins, op))
    return [s for s in out if s is not None]
