"""The calculator *is* the formula, so check it against something independent: an
enumeration of every window position (hypothesis draws the settings)."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.analysis.validset import step
from archcalc.layers.base import Window
from archcalc.layers.convarith import window_size
from archcalc.layers.fit import fit_hints

settings.register_profile("archcalc", deadline=None, max_examples=200)
settings.load_profile("archcalc")

axis = st.fixed_dictionaries({
    "W": st.integers(1, 80), "K": st.integers(1, 9), "S": st.integers(1, 6),
    "lo": st.integers(0, 4), "hi": st.integers(0, 4), "D": st.integers(1, 3)})


def enumerate_windows(W, K, S, lo, hi, D, mode):
    """Start positions in the padded input (length W + lo + hi), counted one by one."""
    F = D * (K - 1) + 1
    L = W + lo + hi
    starts = []
    p = 0
    while True:
        fits = p + F <= L
        if mode == "ceil":
            # Caffe/PyTorch ceil mode: a partial last window counts (it overruns by less
            # than a stride), but no window may start in the right-hand padding.
            fits = (fits or p + F - L < S) and p < W + lo
        if not fits:
            break
        starts.append(p)
        p += S
    return starts


@given(axis)
def test_floor_count_equals_enumeration(a):
    starts = enumerate_windows(**a, mode="floor")
    r = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], "floor")
    if not starts:
        assert r.positive is False
        return
    assert r.size == len(starts)
    F = a["D"] * (a["K"] - 1) + 1
    tiles = starts[-1] + F == a["W"] + a["lo"] + a["hi"]
    assert r.integral == tiles  # the seeds' "fits neatly": the last window ends at the edge
    exact = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], "exact")
    assert exact.integral == tiles
    if tiles:
        assert exact.size == len(starts)
    else:
        assert int(sp.floor(exact.size)) == len(starts)


@given(axis)
def test_ceil_count_equals_enumeration(a):
    # Pooling is the only ceil_mode user; PyTorch allows it symmetric padding of at most
    # half the window, where its single "drop a window starting in the padding" step is
    # exactly the enumeration's rule.
    F = a["D"] * (a["K"] - 1) + 1
    a["hi"] = a["lo"] = min(a["lo"], F // 2)
    if a["W"] + a["lo"] + a["hi"] < F:
        return
    starts = enumerate_windows(**a, mode="ceil")
    r = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], "ceil")
    assert r.size == len(starts)


@given(axis, st.sampled_from(["exact", "floor", "ceil"]))
def test_integer_path_agrees_with_symbolic_path(a, rounding):
    """validset.step (ints) and convarith.window_size (sympy) give one answer."""
    F = a["D"] * (a["K"] - 1) + 1
    if a["W"] + a["lo"] + a["hi"] < F:
        return
    w = Window("window", sp.Integer(F), sp.Integer(a["S"]), sp.Integer(a["lo"]),
               sp.Integer(a["hi"]), rounding)
    size, integral = step(a["W"], w)
    r = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], rounding)
    assert size == int(sp.floor(r.size))  # a non-integer size continues floored
    assert integral == (r.integral if rounding == "exact" else True)


@given(axis)
def test_symbolic_formula_evaluates_to_the_concrete_size(a):
    H = sp.Symbol("H", integer=True, positive=True)
    for rounding in ("exact", "floor", "ceil"):
        sym = window_size(H, a["K"], a["S"], a["lo"], a["hi"], a["D"], rounding)
        num = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], rounding)
        assert sym.size.subs(H, a["W"]) == num.size


@given(axis)
def test_every_suggested_fix_fits(a):
    F = a["D"] * (a["K"] - 1) + 1
    W, S, lo, hi = a["W"], a["S"], a["lo"], a["hi"]
    if W + lo + hi < F or (W + lo + hi - F) % S == 0:
        return
    hints = fit_hints(W, a["K"], S, lo, hi, a["D"])
    for h in hints:
        if h.startswith("padding "):
            p = int(h.split()[1].rstrip(":"))
            assert (W - F + 2 * p) % S == 0
        if h.startswith("stride "):
            for part in h[len("stride "):].split(" or "):
                s = int(part.split()[0])
                assert (W + lo + hi - F) % s == 0
        if h.startswith("an input of "):
            for part in h[len("an input of "):].split(" fits")[0].split(" or "):
                w = int(part.split()[0])
                assert (w + lo + hi - F) % S == 0
