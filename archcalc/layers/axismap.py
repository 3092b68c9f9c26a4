"""How a layer maps one spatial axis: one small object per kind of map.

A map answers three questions, on plain ints (the valid-input search) and on sympy
expressions (the symbolic table) alike, with one copy of the arithmetic:
  - `size(W)`: the next size from a size, and whether it fits without rounding;
  - `field(rf, W)`: the receptive field through it (Araujo et al., Distill 2019:
    r' = r + (F − 1)·j, j' = j·S, s' = s + ((F − 1)/2 − P)·j), W being the input size;
  - `stride`: how far apart two neighbouring outputs are, in inputs, as a rational —
    a sliding window's S, an upsampling's 1/k.
The valid-input proof is written once per map (`validset.py` relies on it): each map is
monotone in W, and W → W + M·stride shifts its output by M, with exact integrality, so
integrality of every size depends only on W modulo the lcm of the cumulative strides'
numerators. A map that fixes its output size (`Fixed`) ends the axis's dependence on W.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction

from .. import num

HALF = num.Rational(1, 2)
ONE, ZERO = num.Integer(1), num.Integer(0)


# Division rounded down or up, on ints (exact and fast) or sympy expressions.
def floor_div(a, b):
    if type(a) in _EXACT and type(b) in _EXACT:
        return num.Num(a) // b
    return _rounded_div(num.floor, num.sympify(a), num.sympify(b))


def ceil_div(a, b):
    if type(a) in _EXACT and type(b) in _EXACT:
        return -(-num.Num(a) // b)
    return _rounded_div(num.ceiling, num.sympify(a), num.sympify(b))


_EXACT = (int, num.Num)


def _rounded_div(rnd, x, S):
    """⌊x/S⌋ (or ⌈x/S⌉), flattening a nested one: for integers k and n > 0,
    ⌊(⌊y⌋ + k)/n⌋ = ⌊(y + k)/n⌋ — so a deep network's formula stays one floor deep."""
    if S.is_Integer and S > 0 and not x.is_number:
        x = num.lift(x)
        const, rest = x.as_coeff_Add()
        if type(rest).__name__ == rnd.__name__ and const.is_Integer:
            return rnd((rest.args[0] + const) / S)
    return rnd(x / S)


def truth(value) -> bool | None:
    """A sympy truth value as True/False, or None when it depends on symbols."""
    if value is None:
        return None
    try:
        return bool(value)
    except TypeError:  # a relational that depends on symbols
        return None


def _int(v):
    return int(v) if isinstance(v, num.Integer) else v


@dataclass(frozen=True)
class RField:
    size: num.Expr = ONE
    jump: num.Expr = ONE
    start: num.Expr = ZERO
    whole: bool = False  # sees the whole input (after global pooling, flatten, linear)


INPUT_FIELD = RField()
WHOLE = RField(whole=True)


class AxisMap:
    """Base of the maps. Subclasses are frozen dataclasses."""

    ends = False  # the output size does not depend on the input's (global pooling)
    least = 1     # the smallest input size PyTorch accepts (3-D average pooling: the window)
    follows = None  # an int i: the output size is input number i's (an interpolation to a
    # layer's size); the valid-input search copies it, and the field goes through input 0

    @property
    def stride(self):
        return ONE

    def size(self, W):  # pragma: no cover - abstract
        raise NotImplementedError

    def field(self, rf: RField, W) -> RField:
        return rf

    def shift(self):
        """c when the map sends every size W to W + c, else None (compiled away)."""
        return None

    def ints(self) -> AxisMap:
        """The same map on plain Python ints (the valid-input search runs it per residue)."""
        return self

    def concrete(self) -> bool:
        """Are its settings numbers (not expressions of unbound symbols)?"""
        return all(isinstance(getattr(self, f.name), (int, str, num.Integer, num.Rational))
                   for f in fields(self))


@dataclass(frozen=True)
class Keep(AxisMap):
    """The size unchanged: activations, norms, merges."""

    def size(self, W):
        return W, True

    def shift(self):
        return 0


KEEP = Keep()


@dataclass(frozen=True)
class Slide(AxisMap):
    """A window of effective size F slid with stride S over W padded by lo and hi:
    (W − F + lo + hi)/S + 1, exact (an error when not whole), floored, or ceiled with
    PyTorch's rule that the last window starts inside the input or the left padding.
    `least`: the smallest W PyTorch accepts, whatever the padding (a monotone condition, so
    the valid-input search's W₀ accounts for it)."""

    F: object = ONE
    S: object = ONE
    lo: object = ZERO
    hi: object = ZERO
    rounding: str = "exact"
    least: int = 1

    @property
    def stride(self):
        return self.S

    def size(self, W):
        F, S, lo, hi = self.F, self.S, self.lo, self.hi
        span = W + lo + hi - F
        if self.rounding == "exact":
            if type(span) in _EXACT and type(S) in _EXACT:
                return span // S + 1, span % S == 0
            exact = num.sympify(span) / S + 1
            integral = truth(exact.is_integer)
            # A size that does not fit is an error; the next layer sees the floored size
            # (what PyTorch computes) so that the rest of the network is still analysed.
            return (num.floor(exact) if integral is False else exact), integral
        if self.rounding == "floor":
            return floor_div(span, S) + 1, True
        if self.rounding == "cover":  # floored; fits when only padding goes unused
            if type(span) in _EXACT and type(S) in _EXACT:
                return span // S + 1, span % S <= hi
            exact = num.sympify(span) / S + 1
            integral = truth(exact.is_integer)
            if integral is True or (integral is None and (hi == 0 or S == 1)):
                # whole; or stride 1, or no padding after the input, where `cover` is
                # `exact` and the seeds' expression ((H − 7)/4, not ⌊H/4 − 11/4⌋ + 1) is
                # the size
                return exact, integral
            left = num.Mod(span, S)
            return floor_div(span, S) + 1, truth(left <= hi)
        size = ceil_div(span, S) + 1
        if type(size) in _EXACT:
            return (size - 1 if (size - 1) * S >= W + lo else size), True
        last_start_outside = (size - 1) * S - (W + lo)
        if last_start_outside.is_number:
            return (size - 1 if last_start_outside >= 0 else size), True
        if truth(hi + S - F <= 0) is True:
            return size, True  # the last window always starts inside
        return num.Piecewise((size - 1, last_start_outside >= 0), (size, True)), True

    def field(self, rf: RField, W) -> RField:
        return through(rf, self.F, self.S, self.lo)

    def shift(self):
        if self.S != 1:
            return None
        c = self.lo + self.hi - self.F + 1
        if self.rounding == "ceil" and c - 1 >= self.lo:
            c -= 1  # PyTorch drops a last window that starts in the right padding
        return c

    def ints(self) -> Slide:
        return Slide(*(_int(v) for v in (self.F, self.S, self.lo, self.hi)), self.rounding,
                     _int(self.least))


@dataclass(frozen=True)
class CeilDiv(AxisMap):
    """TensorFlow's 'same' with stride S > 1: ⌈W/S⌉, padding (derived from W) the total
    max((⌈W/S⌉ − 1)·S + F − W, 0), the extra one after."""

    F: object = ONE
    S: object = ONE

    @property
    def stride(self):
        return self.S

    def size(self, W):
        return ceil_div(W, self.S), True

    def pads(self, W):
        total = num.Max((ceil_div(W, self.S) - 1) * self.S + self.F - W, 0)
        lo = num.floor(total / 2)
        return lo, total - lo

    def field(self, rf: RField, W) -> RField:
        return through(rf, self.F, self.S, self.pads(W)[0])

    def ints(self) -> CeilDiv:
        return CeilDiv(_int(self.F), _int(self.S))


@dataclass(frozen=True)
class Fixed(AxisMap):
    """An output of `out` cells whatever the input: global and adaptive pooling."""

    out: object = ONE
    ends = True

    def size(self, W):
        return self.out, True

    def field(self, rf: RField, W) -> RField:
        return WHOLE

    def ints(self) -> Fixed:
        return Fixed(_int(self.out))


@dataclass(frozen=True)
class Scale(AxisMap):
    """Resampling by a factor k: W → k·W, or ⌊k·W⌋ for a fractional k (PyTorch's
    interpolate floors; `spec/params.py` admits only binary fractions, for which its
    floating-point product is exact). The stride is 1/k: W → W + M/k shifts the output by
    M whenever M/k·k is whole, as the valid-input proof needs.

    The receptive field follows one convention for every stride-1/k map (a transposed
    convolution's too, `scalemaps.py`): the jump divides by k, and a unit's centre is the
    output cell's centre mapped back into the input, (i + ½)/k − ½ input cells — PyTorch's
    coordinate rule for align_corners=False; with align_corners the corners meet and the
    jump is (W − 1)/(out − 1). A unit reads `taps` neighbouring input units (1 nearest and
    pixel shuffle, 2 linear, 4 cubic: the size grows by (taps − 1) jumps)."""

    k: object = 2
    taps: int = 1
    align_corners: bool = False

    @property
    def stride(self):
        if isinstance(self.k, Fraction):
            return 1 / self.k
        return num.Rational(1, 1) / self.k

    def size(self, W):
        k = self.k
        if isinstance(k, Fraction):  # ints(): a fractional factor on plain ints
            return W * k.numerator // k.denominator, True
        if isinstance(k, int) and type(W) is int:
            return k * W, True
        k = num.sympify(k)
        return (num.floor(k * W) if k.is_Rational and not k.is_Integer else k * W), True

    def field(self, rf: RField, W) -> RField:
        if rf.whole:
            return rf
        k = num.sympify(self.k)
        if self.align_corners:
            return resized(rf, W, self.size(W)[0], self.taps, True)
        return RField(rf.size + (self.taps - 1) * rf.jump, rf.jump / k,
                      rf.start + (1 / k - 1) * HALF * rf.jump)

    def ints(self) -> Scale:
        k = self.k
        if isinstance(k, num.Rational) and not isinstance(k, num.Integer):
            k = Fraction(int(k.p), int(k.q))
        return Scale(_int(k), self.taps, self.align_corners)


def resized(rf: RField, W, out, taps: int, align_corners: bool) -> RField:
    """The field through a resampling of W cells to `out` (PyTorch's `area_pixel_compute_
    scale`: in/out, or (in − 1)/(out − 1) with align_corners), `taps` input units a unit
    reads; the centre convention of `Scale`."""
    if rf.whole:
        return rf
    size = rf.size + (taps - 1) * rf.jump
    if align_corners:
        span = num.sympify(out) - 1
        ratio = (W - 1) / span if span != 0 else ONE  # one output cell: it sits on cell 0
        return RField(size, rf.jump * ratio, rf.start)
    ratio = num.sympify(W) / out
    return RField(size, rf.jump * ratio, rf.start + (ratio - 1) * HALF * rf.jump)


def through(rf: RField, F, S, lo) -> RField:
    """The receptive field through a window of effective size F, stride S, leading pad lo."""
    if rf.whole:
        return rf
    if F == 1 and S == 1 and lo == 0:
        return rf  # r + 0·j, j·1, s + (0 − 0)·j: nothing changes
    if _ints(rf.size, rf.jump, F, S, lo) and isinstance(rf.start, num.Rational) \
            and rf.start.q in (1, 2):
        # The same arithmetic on Python ints (twice the start: it is a half-integer), as a
        # deep network does it once per layer and axis; the sympy values are identical.
        size, jump, f, lo2 = int(rf.size), int(rf.jump), int(F), int(lo)
        start2 = 2 * rf.start.p // rf.start.q + ((f - 1) - 2 * lo2) * jump
        return RField(num.Integer(size + (f - 1) * jump), num.Integer(jump * int(S)),
                      num.Rational(start2, 2))
    return RField(rf.size + (F - 1) * rf.jump, rf.jump * S,
                  rf.start + ((F - 1) * HALF - lo) * rf.jump)


def _ints(*values) -> bool:
    return all(num.integral(v) or isinstance(v, int) for v in values)
