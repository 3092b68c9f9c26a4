"""`archcalc fit`'s solver against brute force: a plain loop of full analyses over the
range it searched finds the same largest (smallest) value, for random small networks and
random budgets; and the batch answer against the memory estimate at it and the next."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.analysis.memory import estimate
from archcalc.design import Design
from archcalc.errors import SourceLoc
from archcalc.fit.constraints import Constraint
from archcalc.fit.figures import MemoryOptions, figure_exprs
from archcalc.fit.probe import Probe
from archcalc.fit.solve import solve
from archcalc.spec import parse_file, parse_text

LOC = SourceLoc("<constraint>", 1, 1)


@st.composite
def networks(draw):
    """A 1-D chain of convs and pools over an input of L samples; the width `c` of some
    layers a symbol too (with multiple_of sometimes)."""
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        k, s = draw(st.integers(1, 5)), draw(st.integers(1, 3))
        p = draw(st.integers(0, k // 2))
        if draw(st.booleans()):
            out = draw(st.sampled_from(["c", "2*c", "8", "c + 3"]))
            layers.append(f"  - conv: {{out: {out}, kernel: {k}, stride: {s}, padding: {p}}}")
        else:
            layers.append(f"  - maxpool: {{kernel: {k}, stride: {s}}}")
    if draw(st.booleans()):
        layers.append("  - flatten\n  - fc: 10")
    mult = draw(st.sampled_from(["", ", multiple_of: 2", ", multiple_of: 4, min: 4"]))
    return ("archcalc: 1\nname: rand\ninput: [3, L]\nsymbols:\n  L: 16\n"
            f"  c: {{default: 4{mult}}}\nlayers:\n" + "\n".join(layers) + "\n")


def brute(design, symbol, constraints, values, maximize, memory=MemoryOptions()):
    names = tuple(c.figure for c in constraints)
    found = []
    for v in values:
        d = design.rebind({symbol: v}) if design.spec.symbol_decl(symbol).violation(v) is None \
            else None
        if d is None or not d.analysis.ok:
            continue
        figs = figure_exprs(d.analysis, names, memory)
        if all(c.figure in figs and c.holds(Fraction(int(figs[c.figure].p), int(figs[c.figure].q)))
               for c in constraints):
            found.append(v)
    return (max(found) if maximize else min(found)) if found else None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.sampled_from(["L", "c"]), st.sampled_from(["params", "macs",
       "activations", "out.C", "train_memory"]), st.sampled_from(["<=", "<", ">=", ">"]),
       st.integers(1, 5000), st.booleans())
def test_solver_equals_brute_force(text, symbol, figure, op, bound, maximize):
    spec = parse_text(text)
    design = Design(spec)
    c = (Constraint(figure, op, Fraction(bound), f"{figure} {op} {bound}", LOC),)
    probe = Probe(design, (symbol,), ("params", figure), MemoryOptions())
    result = solve(probe, c, maximize, hi=40)
    expect = brute(design, symbol, c, range(result.lo, result.hi + 1), maximize)
    got = result.answer.values[0] if result.answer else None
    assert got == expect, (text, symbol, c, result)
    if result.beyond is not None and result.hi >= result.beyond.values[0] >= result.lo:
        assert result.beyond_fails  # the next valid value in range fails the budget


def test_doubling_range_resnet_input():
    design = Design(parse_file("specs/resnet18.yaml"))
    c = (Constraint("macs", "<=", Fraction(3 * 10**9), "macs <= 3e9", LOC),)
    r = solve(Probe(design, ("H",), ("macs",), MemoryOptions()), c)
    assert r.answer.values == (364,) and r.beyond.values == (365,)  # W stays 224
    at, nxt = (Design(design.spec, {"H": h}).analysis.totals.macs for h in (364, 365))
    assert at == r.answer.figures["macs"] <= 3 * 10**9 < nxt == r.beyond.figures["macs"]


def test_batch_answer_against_the_memory_estimate():
    design = Design(parse_file("specs/resnet50.yaml"))
    budget = 80 * 2**30
    c = (Constraint("train_memory", "<=", Fraction(budget), "train_memory <= 80GiB", LOC),)
    mem = MemoryOptions(1, "bf16", "adam")
    r = solve(Probe(design, ("batch",), ("train_memory",), mem), c)
    b = r.answer.values[0]
    at, nxt = (estimate(design.analysis, n, "bf16", "adam").training for n in (b, b + 1))
    assert at <= budget < nxt
    assert r.answer.figures["train_memory"] == at and r.beyond.figures["train_memory"] == nxt


def test_depth_by_reexpansion_and_none_fits():
    design = Design(parse_file("specs/resnet18.yaml"))
    c = (Constraint("params", "<=", Fraction(15 * 10**6), "params <= 15e6", LOC),)
    r = solve(Probe(design, ("d4",), ("params",), MemoryOptions()), c)
    assert r.mode == "points" and "analysed at each point" in r.note
    assert r.answer.values == (2,)  # ResNet-18 (11.69 M); a third block of 512: 16.4 M
    assert brute(design, "d4", c, range(1, r.hi + 1), True) == 2
    c = (Constraint("params", "<=", Fraction(10**6), "params <= 1e6", LOC),)
    r = solve(Probe(design, ("d4",), ("params",), MemoryOptions()), c)
    assert r.answer is None and r.closest.values == (1,) and r.closest_fails == c


def test_values_that_do_not_fit_are_skipped_and_said():
    # a stride-2 valid conv: out = ⌊(L − 2)/2⌋ + 1 grows in steps; activations of a
    # `rounding: exact` chain exist only at some L — the valid set skips the rest
    spec = parse_text("archcalc: 1\nname: t\nrounding: exact\ninput: [1, L]\nsymbols: {L: 8}\n"
                      "layers:\n  - conv: {out: 2, kernel: 2, stride: 2}\n")
    design = Design(spec)
    c = (Constraint("out.L", "<=", Fraction(5), "out.L <= 5", LOC),)
    r = solve(Probe(design, ("L",), ("out.L",), MemoryOptions()), c, hi=30)
    assert r.answer.values == (10,) and r.beyond.values == (12,)
    assert "L = 11 does not fit" in r.beyond_note


def test_not_monotone_is_said_and_searched_whole():
    spec = parse_text("archcalc: 1\nname: t\ninput: [1, L]\nsymbols: {L: 8, c: 5}\n"
                      "layers:\n  - conv: {out: (c - 6)**2 + 1, kernel: 1}\n")
    design = Design(spec)
    c = (Constraint("params", "<=", Fraction(20), "params <= 20", LOC),)
    r = solve(Probe(design, ("c",), ("params",), MemoryOptions()), c, hi=30)
    assert r.answer.values == (9,) == (brute(design, "c", c, range(1, 31), True),)
    assert r.evaluated == 22  # 30 down to 9: every value past the answer, not below it
    r = solve(Probe(design, ("c",), ("params",), MemoryOptions()), c, maximize=False, hi=30)
    assert r.answer.values == (3,) and r.beyond.values == (2,) and r.beyond_fails == c
    # params = 2·((c − 6)² + 1) falls to 2 at c = 6 and rises again: walked from the
    # bottom, the values before the answer go down and up, and that is said
    c = (Constraint("params", ">=", Fraction(100), "params >= 100", LOC),)
    r = solve(Probe(design, ("c",), ("params",), MemoryOptions()), c, maximize=False, hi=30)
    assert r.answer.values == (13,) == (brute(design, "c", c, range(1, 31), False),)
    assert r.not_monotone == ("params",)


def test_a_budget_from_below_is_searched_past_where_it_first_fails():
    """--max with `layer4.H >= 7`: small inputs fail it, so the doubling goes on to where
    the whole budget fails after being met (it used to stop at H = 1: "no value")."""
    design = Design(parse_file("specs/resnet18.yaml"))
    c = (Constraint("layer4.H", ">=", Fraction(7), "layer4.H >= 7", LOC),
         Constraint("macs", "<=", Fraction(2 * 10**9), "macs <= 2G", LOC))
    r = solve(Probe(design, ("H", "W"), ("macs", "layer4.H"), MemoryOptions()), c)
    assert r.answer.values == (224, 224) and r.beyond.values == (225, 225)
    assert r.beyond_fails == c[1:]
