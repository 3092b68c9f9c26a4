"""A module construction as data: `Call("nn.Conv2d", (3, 96, 11), (("stride", 4),))`.

The layer mapping (`modules.py`) describes each layer's PyTorch module as a `Call`, so that
one description serves both ways a spec becomes PyTorch: `instantiate` builds the module
object (`build`), and `source` prints the same construction as Python (`compile`). Values
are plain numbers, strings, tuples, nested Calls, or sympy expressions — integers when the
spec is bound, expressions of a block's arguments inside a generated block class.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import sympy as sp
from torch import nn

from . import helpers


@dataclass(frozen=True)
class Call:
    target: str                                # "nn.Conv2d", or a helper class's name
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


HELPERS = {name: cls for name, cls in vars(helpers).items()
           if inspect.isclass(cls) and issubclass(cls, nn.Module) and cls.__module__ ==
           helpers.__name__}


def _value(v):
    if isinstance(v, Call):
        return instantiate(v)
    if isinstance(v, tuple):
        return tuple(_value(x) for x in v)
    if isinstance(v, sp.Basic):
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
    if isinstance(v, (int, float, str)):
        return repr(v)
    v = sp.sympify(v)
    if v.is_Integer:
        return str(int(v))
    if v.is_Float or v.is_Rational and v.is_number:
        return repr(float(v))
    return _symbolic(v)


def _symbolic(e: sp.Expr) -> str:
    """Integer arithmetic in PEP 8 spacing: `4 * width`, `(k - 1) // 2`, `-(-w // s)`."""
    if isinstance(e, (sp.floor, sp.ceiling)):
        num, den = sp.fraction(sp.together(e.args[0]))
        if den == 1:
            return _py(num)
        if isinstance(e, sp.floor):
            return f"{_atom(num)} // {_atom(den)}"
        return f"-(-{_atom(num)} // {_atom(den)})"
    if isinstance(e, (sp.Max, sp.Min)):
        name = "max" if isinstance(e, sp.Max) else "min"
        return f"{name}({', '.join(_symbolic(a) for a in e.args)})"
    num, den = sp.fraction(sp.together(e))
    if den != 1:  # exact by construction (the spec was checked): integer division
        return f"{_atom(num)} // {_atom(den)}"
    return _py(e)


def _py(e: sp.Expr) -> str:
    if e.is_Integer:
        return str(int(e))
    if e.is_Symbol:
        return e.name
    if isinstance(e, (sp.floor, sp.ceiling, sp.Max, sp.Min)) or e.is_Rational:
        return _symbolic(e)
    if e.is_Add:
        terms = e.as_ordered_terms()
        out = _py(terms[0])
        for t in terms[1:]:
            coeff, _ = t.as_coeff_Mul()
            out += f" - {_py(-t)}" if coeff < 0 else f" + {_py(t)}"
        return out
    if e.is_Mul:
        coeff, rest = e.as_coeff_Mul()
        factors = [_atom(f) for f in rest.as_ordered_factors()]
        if coeff == -1:
            return "-" + " * ".join(factors)
        return " * ".join(([str(coeff)] if coeff != 1 else []) + factors)
    if e.is_Pow:
        return f"{_atom(e.base)} ** {_atom(e.exp)}"
    return str(e)


def _atom(e: sp.Expr) -> str:
    text = _symbolic(e) if not (e.is_Add or e.is_Mul or e.is_Pow) else _py(e)
    return f"({text})" if e.is_Add or (e.is_Mul and e.as_coeff_Mul()[0] < 0) else text


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
