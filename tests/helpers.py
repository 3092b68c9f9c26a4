"""Helpers the tests import: analyse a spec given as text or by name."""

from __future__ import annotations

import textwrap
from pathlib import Path

from archcalc.analysis import analyze
from archcalc.spec import parse_file, parse_text

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
DATA = Path(__file__).resolve().parent / "data"
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def analyse_text(text: str, **bindings):
    spec = parse_text(textwrap.dedent(text))
    values = dict(spec.defaults)
    values.update(bindings)
    return analyze(spec, values)


def analyse_spec(name: str, **bindings):
    spec = parse_file(SPECS / f"{name}.yaml")
    values = dict(spec.defaults)
    values.update(bindings)
    return analyze(spec, values)


def one_layer(layer: str, input_: str) -> str:
    return f"archcalc: 1\nname: t\ninput: {input_}\nlayers:\n  - {layer}\n"
