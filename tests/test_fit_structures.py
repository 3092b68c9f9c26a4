"""A width that moves shortcuts (fit/structures.py): one symbolic analysis per structure,
its formulas evaluated at each value, must give at every value exactly what a full
analysis at that value gives — for random small networks of `if_same` and `auto`
residuals whose channel counts are equal at some widths only (hypothesis), and for
MobileNet v2 over 64 widths."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.design import Design
from archcalc.fit.figures import MemoryOptions
from archcalc.fit.probe import Probe
from archcalc.spec import parse_file, parse_text

NAMES = ("params", "macs", "activations", "train_memory", "out.C")


@st.composite
def networks(draw):
    """Residuals whose body maps make_divisible(a·w, 8) channels to make_divisible(b·w, 8):
    equal where both round alike (every small w), apart elsewhere."""
    layers = [f"  - conv: {{out: 'make_divisible({draw(st.sampled_from([8, 16, 32]))} * w, 8)',"
              " kernel: 3, padding: 1}"]
    for _ in range(draw(st.integers(1, 3))):
        shortcut = draw(st.sampled_from(["if_same", "auto"]))
        b = draw(st.sampled_from([8, 12, 16, 24, 40]))
        stride = draw(st.sampled_from([1, 1, 2]))
        layers.append(f"  - residual:\n      shortcut: {shortcut}\n      layers:\n"
                      f"        - conv: {{out: 'make_divisible({b} * w, 8)', kernel: 3, "
                      f"stride: {stride}, padding: 1}}\n        - relu")
    return ("archcalc: 1\nname: rand\ninput: [3, 16, 16]\nsymbols:\n  w: 1.0\nlayers:\n"
            + "\n".join(layers) + "\n")


def agree(design, symbol, values):
    probe = Probe(design, (symbol,), NAMES, MemoryOptions())
    assert probe.mode == "formula", probe.note
    for v in values:
        p, e = probe.at((v,)), probe.exact((v,))
        if e.valid is not False:
            assert p.figures == e.figures, (v, p, e)
    return probe


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_structures_agree_with_full_analyses(text):
    design = Design(parse_text(text))
    agree(design, "w", [Decimal(k) / 20 for k in range(1, 41)])


def test_mobilenet_v2_widths():
    design = Design(parse_file("specs/mobilenet_v2.yaml"))
    probe = agree(design, "width_mult", [Decimal(k) / 50 for k in range(1, 81, 5)])
    assert probe.structures >= 2  # small widths keep shortcuts the default drops
