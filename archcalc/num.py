"""Exact numbers first; sympy only where something is symbolic.

Every value the calculator computes with — a size, a count, a parameter — goes through
the names of this module (`num.Integer`, `num.floor`, `num.Max`, …), which take the
place of sympy's. A concrete value is a `Num`: an exact rational (`fractions.Fraction`)
that answers sympy's questions (`is_Integer`, `free_symbols`, `p`, `q`, `xreplace`), so
one code path serves numbers and formulas alike. A symbol is a `Sym`, and arithmetic on
it records the operations (`Lazy`: `2*c`, `floor((H - 7)/2)`) instead of doing them:
putting numbers in (`xreplace`) replays them on `Num`s, and anything only sympy can
answer (`str`, `is_integer` of a formula, `together`) *lifts* the record — replays it on
sympy objects, so the result is exactly what sympy would have made step by step — and
asks sympy. sympy is imported on the first lift, never for a spec whose symbols all have
values (`archcalc check` at the defaults): its import alone is 0.5 s, its arithmetic
~20 µs an operation against ~1 µs here (`bench/check_speed.py`).

The module is a leaf: it imports nothing of archcalc, and sympy only inside `sympy()`.
"""

from __future__ import annotations

import math
import operator
import sys
from fractions import Fraction
from functools import reduce


def sympy():
    """The sympy module, imported on first use (the one place archcalc imports it)."""
    import sympy as S

    return S


def loaded() -> bool:
    return "sympy" in sys.modules


# -- concrete numbers ------------------------------------------------------------------

def _int(n: int) -> Num:
    self = object.__new__(Num)
    self._numerator, self._denominator = n, 1
    return self


def _wrap(f) -> Num:
    if f is NotImplemented or type(f) is Num:
        return f
    if not isinstance(f, Fraction):  # a float from a fractional power: never made here
        raise TypeError(f"not an exact number: {f!r}")
    self = object.__new__(Num)
    self._numerator, self._denominator = f.numerator, f.denominator
    return self


def _coerce(b):
    """b as a Num, or None when it is symbolic (a Lazy, a sympy object)."""
    t = type(b)
    if t is Num:
        return b
    if t is int:
        return _int(b)
    if t is bool:
        return _int(int(b))
    if isinstance(b, Fraction):
        return _wrap(b)
    return None


def _operators(fraction_op, int_op=None, whole: bool = False):
    """(forward, reverse) methods of one binary operator of Num: two whole Nums through
    `int_op` on their ints where given (the fast path: almost every size is whole), any
    other number through Fraction's `fraction_op`; `whole`: the result is an int (//)."""
    def forward(a, b):
        if int_op is not None and type(b) is Num and a._denominator == 1 == b._denominator:
            return _int(int_op(a._numerator, b._numerator))
        c = _coerce(b)
        if c is None:
            return NotImplemented
        return _int(fraction_op(a, c)) if whole else _wrap(fraction_op(a, c))

    def reverse(a, b):
        c = _coerce(b)
        if c is None:
            return NotImplemented
        return _int(fraction_op(c, a)) if whole else _wrap(fraction_op(c, a))
    return forward, reverse


class Num(Fraction):
    """An exact rational with sympy's vocabulary. Arithmetic with ints, Fractions and Nums
    gives Nums; with a symbol, a formula (Lazy or sympy)."""

    __slots__ = ()

    is_number = is_Number = is_Rational = is_real = is_finite = is_comparable = True
    is_Symbol = is_Pow = is_Add = is_Mul = is_Function = is_Relational = False
    args = ()
    free_symbols = frozenset()

    def __new__(cls, numerator=0, denominator=None):
        if denominator is None and type(numerator) is int:
            return _int(numerator)
        return _wrap(Fraction(int(numerator) if hasattr(numerator, "is_Integer") and
                              numerator.is_Integer else numerator, denominator))

    # what sympy would say
    @property
    def is_Integer(self) -> bool:
        return self._denominator == 1

    is_integer = is_Integer

    @property
    def is_zero(self) -> bool:
        return self._numerator == 0

    @property
    def is_positive(self) -> bool:
        return self._numerator > 0

    @property
    def is_negative(self) -> bool:
        return self._numerator < 0

    @property
    def is_nonnegative(self) -> bool:
        return self._numerator >= 0

    @property
    def is_nonpositive(self) -> bool:
        return self._numerator <= 0

    @property
    def p(self) -> int:
        return self._numerator

    @property
    def q(self) -> int:
        return self._denominator

    def has(self, *patterns) -> bool:
        return False

    def xreplace(self, subs) -> Num:
        return self

    subs = xreplace

    def as_coeff_Add(self):
        return self, _int(0)

    def _sympy_(self):
        return sympy().Rational(self._numerator, self._denominator)

    def __index__(self) -> int:
        if self._denominator != 1:
            raise TypeError(f"{self} is not an integer")
        return self._numerator

    def __str__(self) -> str:
        if self._denominator == 1:
            return str(self._numerator)
        return f"{self._numerator}/{self._denominator}"

    __repr__ = __str__

    def __reduce__(self):
        return (Num, (self._numerator, self._denominator))

    # arithmetic: ints stay on the fast path, other numbers through Fraction's (the
    # forward and reverse methods of each operator from one template, as
    # fractions.Fraction._operator_fallbacks makes its own)
    __add__, __radd__ = _operators(Fraction.__add__, operator.add)
    __sub__, __rsub__ = _operators(Fraction.__sub__, operator.sub)
    __mul__, __rmul__ = _operators(Fraction.__mul__, operator.mul)
    __truediv__, __rtruediv__ = _operators(Fraction.__truediv__)
    __floordiv__, __rfloordiv__ = _operators(Fraction.__floordiv__, whole=True)
    __mod__, __rmod__ = _operators(Fraction.__mod__)

    def __pow__(a, b):
        c = _coerce(b)
        if c is None:
            return NotImplemented
        if c._denominator != 1:  # a root: irrational in general, sympy's business
            return a._sympy_() ** c._sympy_()
        return _wrap(Fraction.__pow__(a, c._numerator))

    def __rpow__(a, b):
        c = _coerce(b)
        return NotImplemented if c is None else Num.__pow__(c, a)

    def __neg__(a):
        return _int(-a._numerator) if a._denominator == 1 else _wrap(Fraction.__neg__(a))

    def __pos__(a):
        return a

    def __abs__(a):
        return _wrap(Fraction.__abs__(a))

    def __hash__(self):  # Fraction's: equal to the int's, and to sympy's Integer's
        if self._denominator == 1:  # what Fraction's gives a whole number, without its pow
            return hash(self._numerator)
        return Fraction.__hash__(self)

    def __eq__(a, b):
        if type(b) is Num:
            return a._numerator == b._numerator and a._denominator == b._denominator
        return Fraction.__eq__(a, b)


ZERO, ONE = _int(0), _int(1)


# -- symbols and formulas --------------------------------------------------------------

def _is_sympy(x) -> bool:
    return loaded() and isinstance(x, sympy().Basic)


class _LazyMeta(type):
    """isinstance(x, Symbol) holds for sympy's Symbols too (once sympy is loaded)."""

    def __instancecheck__(cls, obj):
        if type.__instancecheck__(cls, obj):
            return True
        twin = cls.__dict__.get("_twin")
        return twin is not None and loaded() and isinstance(obj, twin())


class Lazy:
    """A formula recorded, not computed: `op` applied to `args` (Nums and Lazys)."""

    __slots__ = ("op", "args", "_hash", "_lifted", "_free")
    is_number = is_Number = is_Rational = is_Integer = is_Symbol = False
    is_zero = None  # (sympy may know more: it lifts for `is_integer`, `is_positive`, …)

    def __init__(self, op: str, args: tuple):
        self.op, self.args = op, args
        self._hash = self._lifted = self._free = None

    @property
    def is_Pow(self) -> bool:
        return self.op == "Pow"

    @property
    def is_Add(self) -> bool:
        return self.op == "Add"

    @property
    def is_Mul(self) -> bool:
        return self.op == "Mul"

    @property
    def free_symbols(self) -> frozenset:
        if self._free is None:
            self._free = frozenset().union(*(a.free_symbols for a in self.args
                                             if isinstance(a, Lazy)))
        return self._free

    def xreplace(self, subs):
        """The formula with `subs` put in for symbols: Nums where every symbol is given."""
        if self in subs:
            return subs[self]
        new = tuple(a.xreplace(subs) if isinstance(a, Lazy) else a for a in self.args)
        if all(n is o for n, o in zip(new, self.args)):
            return self
        return _APPLY[self.op](*new)

    def preorder(self):
        yield self
        for a in self.args:
            if isinstance(a, Lazy):
                yield from a.preorder()
            else:
                yield a

    def _sympy_(self):
        if self._lifted is None:
            self._lifted = _APPLY[self.op](*(lift(a) for a in self.args))
        return self._lifted

    def __getattr__(self, name):
        if name.startswith("_"):  # never sympy's protocol names (__sympy__, _eval_…)
            raise AttributeError(name)
        return getattr(self._sympy_(), name)

    def __str__(self) -> str:
        return str(self._sympy_())

    __repr__ = __str__

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((self.op, self.args))
        return self._hash

    def __eq__(self, other):
        if isinstance(other, Lazy):
            return self is other or (hash(self) == hash(other) and self.op == other.op
                                     and self.args == other.args)
        if _coerce(other) is not None or isinstance(other, (str, tuple, type(None))):
            return False
        if _is_sympy(other):
            return self._sympy_() == other
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __bool__(self):
        return True

    def __reduce__(self):
        return (_APPLY[self.op], self.args)

    # arithmetic records; with a sympy operand it lifts
    def __add__(a, b):
        return _bin(Add, a, b, lambda x, y: x + y)

    def __radd__(a, b):
        return _bin(Add, b, a, lambda x, y: x + y)

    def __sub__(a, b):
        return _bin(lambda x, y: Add(x, Mul(-1, y)), a, b, lambda x, y: x - y)

    def __rsub__(a, b):
        return _bin(lambda x, y: Add(x, Mul(-1, y)), b, a, lambda x, y: x - y)

    def __mul__(a, b):
        return _bin(Mul, a, b, lambda x, y: x * y)

    def __rmul__(a, b):
        return _bin(Mul, b, a, lambda x, y: x * y)

    def __truediv__(a, b):
        return _bin(lambda x, y: Mul(x, Pow(y, -1)), a, b, lambda x, y: x / y)

    def __rtruediv__(a, b):
        return _bin(lambda x, y: Mul(x, Pow(y, -1)), b, a, lambda x, y: x / y)

    def __floordiv__(a, b):
        return floor(a / b)

    def __rfloordiv__(a, b):
        return floor(b / a)

    def __mod__(a, b):
        return Mod(a, b)

    def __rmod__(a, b):
        return Mod(b, a)

    def __pow__(a, b):
        return _bin(Pow, a, b, lambda x, y: x ** y)

    def __rpow__(a, b):
        return _bin(Pow, b, a, lambda x, y: x ** y)

    def __neg__(a):
        return Mul(-1, a)

    def __pos__(a):
        return a

    def __lt__(a, b):
        return lift(a) < lift(b)

    def __le__(a, b):
        return lift(a) <= lift(b)

    def __gt__(a, b):
        return lift(a) > lift(b)

    def __ge__(a, b):
        return lift(a) >= lift(b)

    def __int__(self):
        return int(self._sympy_())

    def __float__(self):
        return float(self._sympy_())


def _bin(record, a, b, lifted):
    if _is_sympy(a) or _is_sympy(b):
        return lifted(lift(a), lift(b))
    return record(a, b)


class Symbol(Lazy, metaclass=_LazyMeta):
    """A symbol with sympy's assumptions (`integer=True, positive=True`); equal to another
    of the same name, assumptions and class. A subclass may print itself differently
    (`sympy_str`)."""

    __slots__ = ("name", "assumptions")
    is_Symbol = True
    sympy_str: str | None = None  # what a lifted symbol prints as (None: its name)

    def __init__(self, name: str, **assumptions):
        Lazy.__init__(self, "Symbol", ())
        self.name = name
        self.assumptions = tuple(sorted(assumptions.items()))
        self._free = frozenset((self,))

    @staticmethod
    def _twin():
        return sympy().Symbol

    def xreplace(self, subs):
        return subs.get(self, self)

    def __str__(self) -> str:  # as sympy prints it: no need to lift
        return self.name if self.sympy_str is None else self.sympy_str

    __repr__ = __str__

    def preorder(self):
        yield self

    def _sympy_(self):
        if self._lifted is None:
            self._lifted = _sympy_symbol(type(self))(self.name, **dict(self.assumptions))
        return self._lifted

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((type(self), self.name, self.assumptions))
        return self._hash

    def __eq__(self, other):
        if isinstance(other, Symbol) and type.__instancecheck__(Symbol, other):
            return self is other or (type(self) is type(other) and self.name == other.name
                                     and self.assumptions == other.assumptions)
        return Lazy.__eq__(self, other)

    def __reduce__(self):
        return (_make_symbol, (type(self), self.name, self.assumptions))


def _make_symbol(cls, name, assumptions):
    return cls(name, **dict(assumptions))


_SYMPY_SYMBOLS: dict = {}


def _sympy_symbol(cls):
    """sympy's Symbol, or for a Symbol subclass that prints itself otherwise, a sympy
    subclass that does (made once, on the first lift)."""
    if cls.sympy_str is None:
        return sympy().Symbol
    if cls not in _SYMPY_SYMBOLS:
        text = cls.sympy_str
        _SYMPY_SYMBOLS[cls] = type(cls.__name__, (sympy().Symbol,),
                                   {"_sympystr": lambda self, printer: text})
    return _SYMPY_SYMBOLS[cls]


def settle(x):
    """A recorded formula as sympy's (canonical, simplified); numbers stay Nums."""
    return x._sympy_() if isinstance(x, Lazy) else x


def lift(x):
    """x as a sympy object (numbers, formulas), or as it is."""
    if type(x) is Num or isinstance(x, Lazy):
        return x._sympy_()
    if type(x) is int:
        return sympy().Integer(x)
    return x


# -- the operations, on numbers, records and sympy objects alike -----------------------

def _kind(args) -> str:
    """'num' when every argument is a number, 'lazy' when some is recorded and none is
    sympy's, else 'sympy'."""
    kind = "num"
    for a in args:
        if _coerce(a) is not None:
            continue
        if isinstance(a, Lazy):
            kind = "lazy"
        elif _is_sympy(a):
            return "sympy"
        else:
            raise TypeError(f"not a number or formula: {a!r}")
    return kind


def _norm(a):
    c = _coerce(a)
    return a if c is None else c


def Add(*args):
    kind = _kind(args)
    if kind == "num":  # Add() is 0, as sympy's
        return reduce(operator.add, map(_coerce, args), ZERO)
    if kind == "sympy":
        return sympy().Add(*map(lift, args))  # at once: pairwise is quadratic
    # Nested sums flattened and their numbers folded into one term, as sympy's Add.flatten
    # collects them: a record stays as short as sympy's sum (a 'same' conv's H + 2 − 3 + 1
    # is H), not one term longer for every layer — which made deep specs quadratic.
    terms, const = [], ZERO
    for a in args:
        for t in (a.args if isinstance(a, Lazy) and a.op == "Add" else (a,)):
            c = _coerce(t)
            if c is None:
                terms.append(t)
            else:
                const = const + c
    if const != 0 or not terms:
        terms.append(const)
    return terms[0] if len(terms) == 1 else Lazy("Add", tuple(terms))


def Mul(*args):
    kind = _kind(args)
    if kind == "num":  # Mul() is 1, as sympy's (a 1-D layer norm's empty dims)
        return reduce(operator.mul, map(_coerce, args), ONE)
    if kind == "sympy":
        return sympy().Mul(*map(lift, args))
    # Recorded as called, nested products not flattened: sympy's product is not
    # associative in form (`2*(x + 1)` distributes, `Mul(2, (x + 1)*y)` does not), so
    # `a * b * c` must replay as `(a*b)*c` and `Mul(a, b, c)` at once, as sympy built them.
    factors = []
    for a in args:
        c = _coerce(a)
        if c is not None and c == 0:
            return ZERO
        if not (c is not None and c == 1):  # sympy drops the ones first, too
            factors.append(c if c is not None else a)
    return factors[0] if len(factors) == 1 else Lazy("Mul", tuple(factors))


def Pow(base, exp):
    kind = _kind((base, exp))
    if kind == "num":
        return _coerce(base) ** _coerce(exp)
    if kind == "sympy":
        return lift(base) ** lift(exp)
    return Lazy("Pow", (_norm(base), _norm(exp)))


def _function(name: str, numeric, symbolic):
    """A function of numbers (`numeric`) that records itself on formulas and is sympy's
    (`symbolic()` returns it) on sympy objects."""

    def apply(*args):
        kind = _kind(args)
        if kind == "num":
            return numeric(*map(_coerce, args))
        if kind == "sympy":
            return symbolic()(*map(lift, args))
        return Lazy(name, tuple(map(_norm, args)))

    apply.__name__ = apply.__qualname__ = name
    _APPLY[name] = apply
    return apply


_APPLY: dict = {"Add": Add, "Mul": Mul, "Pow": Pow}


def _sym(name):
    return lambda: getattr(sympy(), name)


floor = _function("floor", lambda x: _int(math.floor(x)), _sym("floor"))
ceiling = _function("ceiling", lambda x: _int(math.ceil(x)), _sym("ceiling"))
Min = _function("Min", lambda *xs: min(xs), _sym("Min"))
Max = _function("Max", lambda *xs: max(xs), _sym("Max"))
Mod = _function("Mod", lambda a, b: a % b, _sym("Mod"))


def function(name: str, numeric, symbolic):
    """Register a function of the spec language (spec/functions.py: round,
    make_divisible, log) so that formulas can record and replay it."""
    return _function(name, numeric, symbolic)


# -- sympy's names, for values of either kind ------------------------------------------

class _Test(type):
    """A name that both makes a value and tests one, as sympy's classes do:
    `num.Integer(3)` is a Num, and `isinstance(x, num.Integer)` holds for an integral Num
    and for a sympy Integer."""

    def __instancecheck__(cls, obj):
        return cls._test(obj)


def integral(x) -> bool:
    """isinstance(x, Integer) — an integral Num or a sympy Integer — as a plain call, for
    the loops that ask it of every layer (the metaclass's check is a second call)."""
    if type(x) is Num:
        return x._denominator == 1
    return _is_sympy(x) and x.is_Integer


class Integer(metaclass=_Test):
    def __new__(cls, v) -> Num:
        return _int(int(v))

    _test = staticmethod(integral)


class Rational(metaclass=_Test):
    def __new__(cls, p, q=1) -> Num:
        return _wrap(Fraction(int(p), int(q)))

    @staticmethod
    def _test(x) -> bool:
        return type(x) is Num or (_is_sympy(x) and x.is_Rational)


class Basic(metaclass=_Test):
    """A number or formula (a Num, a Lazy, a sympy object) — not an int, str or bool."""

    @staticmethod
    def _test(x) -> bool:
        return type(x) is Num or isinstance(x, Lazy) or _is_sympy(x)


Expr = Basic


def sympify(x):
    """x as a number or formula: ints and Fractions become Nums; other text is sympy's."""
    c = _coerce(x)
    if c is not None:
        return c
    if isinstance(x, Lazy) or _is_sympy(x):
        return x
    return sympy().sympify(x)


def simplify(x):
    return x if _coerce(x) is not None else sympy().simplify(lift(x))


def expand(x):
    return x if _coerce(x) is not None else sympy().expand(lift(x))


def Eq(a, b):
    """a = b: a bool on numbers, sympy's equation otherwise."""
    if _coerce(a) is not None and _coerce(b) is not None:
        return _coerce(a) == _coerce(b)
    return sympy().Eq(lift(a), lift(b))


def has_function(x, *names: str) -> bool:
    """Does the formula x hold one of these functions (floor, ceiling, Piecewise, …)?"""
    if not isinstance(x, Basic) or x.is_number:
        return False
    x = lift(x)
    S = sympy()
    return x.has(*(getattr(S, n) for n in names))


def preorder(x):
    """Every node of x's tree (sympy's preorder_traversal, or a Lazy's own)."""
    if isinstance(x, Lazy):
        return x.preorder()
    if _is_sympy(x):
        return sympy().preorder_traversal(x)
    return iter((x,))


def __getattr__(name: str):
    """Every other sympy name (simplify, Piecewise, …), from sympy: using one is symbolic
    work, which imports sympy."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(sympy(), name)
