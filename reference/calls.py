"""A module construction as data: `Call("nn.Conv2d", (3, 96, 11), (("stride", 4),))`.

Each layer kind describes its PyTorch module as a `Call` (archcalc/layers/call.py), so that
one description serves both ways a spec becomes PyTorch: `instantiate` builds the module
object (`build`), and `source` prints the same construction as Python (`compile`). Values
are plain numbers, strings, tuples, nested Calls, or numbers and formulas — integers when
the spec is bound, expressions of a block's arguments inside a generated block class. The
core writes them as `archcalc.num` values (exact numbers, recorded formulas); reference/
works on sympy's, so `sympy_value` lifts them where they come in.
"""

from __future__ import annotations

import inspect

import sympy as sp
from torch import nn

from archcalc import num
from archcalc.layers.call import Call

from . import helpers

HELPERS = {name: cls for name, cls in vars(helpers).items()
           if inspect.isclass(cls) and issubclass(cls, nn.Module) and cls.__module__ ==
           helpers.__name__}


def sympy_value(v):
    """v with its numbers and formulas as sympy's (the core's are `num` values: a `Num`,
    a recorded formula), inside tuples and Calls too; ints, strings and bools as they are."""
    if isinstance(v, Call):
        return Call(v.target, sympy_value(v.args),
                    tuple((k, sympy_value(x)) for k, x in v.kwargs))
    if isinstance(v, tuple):
        return tuple(sympy_value(x) for x in v)
    return num.lift(v) if isinstance(v, num.Basic) else v


def sympy_map(mapping) -> dict:
    """A substitution (symbol -> value) with both sides sympy's, for sympy's xreplace."""
    return {num.lift(k): sympy_value(v) for k, v in dict(mapping).items()}


def _value(v):
    if isinstance(v, Call):
        return instantiate(v)
    if isinstance(v, tuple):
        return tuple(_value(x) for x in v)
    if isinstance(v, num.Basic):
        v = num.lift(v)
        if not v.is_number:
            raise ValueError(f"cannot build a module with a symbolic value {v}")
        return int(v) if v.is_Integer else float(v)
    return v


def instantiate(call: Call) -> nn.Module:
    if call.target.startswith("nn."):
        cls = getattr(nn, call.target[3:])
    else:
        cls = HELPERS[call.target]
    return cls(*(_value(a) for a in call.args), **{k: _value(v) for k, v in call.kwargs})


def pyexpr(v) -> str:
    """Python source for a value: integer arithmetic stays integer (`(k - 1) // 2`)."""
    if isinstance(v, Call):
        return source(v)
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, tuple):
        inner = ", ".join(pyexpr(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, str) and '"' not in v and "'" not in v:
        return '"' + repr(v)[1:-1] + '"'  # the quotes `ruff format` writes; escapes as repr's
    if isinstance(v, (int, float, str)):
        return repr(v)
    v = sp.sympify(v)
    if v.is_Integer:
        return str(int(v))
    if v.is_Float or v.is_Rational and v.is_number:
        return repr(float(v))
    return _symbolic(v)


# Python's precedence, lowest first: `a + b`, `a * b` (also // %), `-a`, `a ** b`, atoms.
_ADD, _MUL, _NEG, _POW, _ATOM = range(5)


def _symbolic(e: sp.Expr) -> str:
    """Integer arithmetic in PEP 8 spacing: `4 * width`, `(k - 1) // 2`, `-(-w // s)`, with
    parentheses wherever Python's precedence differs from the expression's structure
    (unary minus binds tighter than `//`: `-(c // 2)` is not `-c // 2`)."""
    return _printed(e)[0]


def _printed(e: sp.Expr) -> tuple[str, int]:
    """(text, precedence) of an integer-valued expression."""
    if e.is_Integer:
        return (str(int(e)), _ATOM) if e >= 0 else (str(int(e)), _NEG)
    if e.is_Symbol:
        return e.name, _ATOM
    if isinstance(e, (sp.Max, sp.Min)):
        name = "max" if isinstance(e, sp.Max) else "min"
        return f"{name}({', '.join(_symbolic(a) for a in e.args)})", _ATOM
    if isinstance(e, sp.floor):
        num, den = sp.fraction(sp.together(e.args[0]))
        return _printed(num) if den == 1 else _binary(num, "//", den)
    if isinstance(e, sp.ceiling):  # ⌈a/b⌉ = -(-a // b)
        num, den = sp.fraction(sp.together(e.args[0]))
        if den == 1:
            return _printed(num)
        return f"-({_binary(-num, '//', den)[0]})", _NEG
    if isinstance(e, sp.Mod):  # Python's % is floored, as sympy's Mod on integers
        return _binary(e.args[0], "%", e.args[1])
    num, den = sp.fraction(sp.together(e))
    if den != 1:  # exact by construction (the spec was checked): integer division
        return _binary(num, "//", den)
    if num != e:  # over one denominator (no negative powers are left), maybe simpler:
        return _printed(num)  # c² − c·(c − 1) is c — a name, not a sum
    if e.is_Add:
        terms = e.as_ordered_terms()
        out = _wrapped(terms[0], _ADD)
        for t in terms[1:]:
            negative = t.as_coeff_Mul()[0] < 0
            out += f" - {_wrapped(-t, _MUL)}" if negative else f" + {_wrapped(t, _MUL)}"
        return out, _ADD
    if e.is_Mul:
        coeff, rest = e.as_coeff_Mul()
        factors = rest.as_ordered_factors()
        parts = [_wrapped(f, _MUL if i == 0 else _NEG) for i, f in enumerate(factors)]
        if coeff == -1:
            text, prec = (parts[0], _printed(factors[0])[1]) if len(parts) == 1 else \
                (" * ".join(parts), _MUL)
            return (f"-{text}" if prec >= _NEG else f"-({text})"), _NEG
        if coeff != 1:
            parts = [_wrapped(coeff, _MUL)] + [_wrapped(f, _NEG) for f in factors]
        return " * ".join(parts), _MUL
    if e.is_Pow and e.exp.is_Integer and e.exp >= 0:
        return f"{_wrapped(e.base, _ATOM)} ** {int(e.exp)}", _POW
    raise ValueError(f"no Python form for {e}")  # never produced by the expression parser


def _binary(left, op: str, right) -> tuple[str, int]:
    """`left op right` for a left-associative * // % operator."""
    return f"{_wrapped(left, _MUL)} {op} {_wrapped(right, _NEG)}", _MUL


def _wrapped(e, least: int) -> str:
    """e's text, in parentheses unless its precedence is at least `least`."""
    text, prec = _printed(sp.sympify(e))
    return text if prec >= least else f"({text})"


def source(call: Call) -> str:
    parts = [pyexpr(a) for a in call.args] + [f"{k}={pyexpr(v)}" for k, v in call.kwargs]
    return f"{call.target}({', '.join(parts)})"


def helpers_used(calls) -> list[str]:
    """The helper classes a set of calls needs, for a standalone file."""
    found: set[str] = set()

    def walk(v):
        if isinstance(v, Call):
            if not v.target.startswith("nn."):
                found.add(v.target)
            for a in v.args:
                walk(a)
            for _, a in v.kwargs:
                walk(a)
        elif isinstance(v, tuple):
            for a in v:
                walk(a)
    for c in calls:
        walk(c)
    return sorted(found)


def helper_source(name: str) -> str:
    return inspect.getsource(HELPERS[name])


__all__ = ["Call", "HELPERS", "helper_source", "helpers_used", "instantiate", "pyexpr",
           "source"]
