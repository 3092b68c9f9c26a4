"""The calculator *is* the formula, so check it against something independent: an
enumeration of every window position (hypothesis draws the settings)."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.analysis.validset import step
from archcalc.layers.axismap import Slide
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
def test_cover_fits_exactly_when_the_windows_cover_every_input_pixel(a):
    """The default rule (issue 12, item 1): the floored count, and it fits exactly when
    the windows, one by one, reach the last real input row — only padding unused."""
    starts = enumerate_windows(**a, mode="floor")
    if not starts:
        return
    F = a["D"] * (a["K"] - 1) + 1
    size, fits = Slide(F, a["S"], a["lo"], a["hi"], "cover").size(a["W"])
    assert size == len(starts)
    assert fits == (starts[-1] + F >= a["lo"] + a["W"])
    r = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], "cover")
    assert (r.uncovered_input == 0) == fits


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


@given(axis, st.sampled_from(["exact", "floor", "ceil", "cover"]))
def test_integer_path_agrees_with_symbolic_path(a, rounding):
    """validset.step (ints) and convarith.window_size (sympy) give one answer."""
    F = a["D"] * (a["K"] - 1) + 1
    if a["W"] + a["lo"] + a["hi"] < F:
        return
    w = Slide(sp.Integer(F), sp.Integer(a["S"]), sp.Integer(a["lo"]), sp.Integer(a["hi"]),
              rounding).ints()
    size, integral = step(a["W"], w)
    r = window_size(a["W"], a["K"], a["S"], a["lo"], a["hi"], a["D"], rounding)
    assert size == int(sp.floor(r.size))  # a non-integer size continues floored
    fits = {"exact": r.integral, "cover": r.integral or r.uncovered_input == 0}
    assert integral == fits.get(rounding, True)


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


# -- fixes for huge values: arithmetic, not loops over the values (issue item 5) ----------

huge = st.integers(1, 2 ** 62)


def _recheck(hints, W, K, S, lo, hi, D=1, ndim=1):
    """Each suggested fix, re-analysed by the calculator: it must give an integer size."""
    checked = 0
    for h in hints:
        if h.startswith("padding "):
            p = int(h.split()[1].rstrip(":"))
            assert window_size(W, K, S, p, p, D).integral
            checked += 1
        elif h.startswith("stride "):
            for part in h[len("stride "):].split(" — ")[0].split(" or "):
                s = int(part.split()[0])
                assert window_size(W, K, s, lo, hi, D).integral
                checked += 1
        elif h.startswith("an input of "):
            for part in h[len("an input of "):].split(" fits")[0].split(" or "):
                assert window_size(int(part.split()[0]), K, S, lo, hi, D).integral
                checked += 1
        elif h.startswith("per-side padding"):
            pads = h.split("`padding: [[")[1].split("]")[0]
            a, b = (int(x) for x in pads.split(", "))
            assert window_size(W, K, S, a, b, D).integral
            checked += 1
    return checked


class _Count:
    def __init__(self, monkeypatch):
        from archcalc.layers import fit

        self.calls = 0
        original = fit._divides

        def counted(n, d):
            self.calls += 1
            return original(n, d)
        monkeypatch.setattr(fit, "_divides", counted)


@given(W=huge, K=huge, S=huge, lo=st.integers(0, 2 ** 62), hi=st.integers(0, 2 ** 62))
@settings(max_examples=150)
def test_fixes_for_huge_values_recheck_with_bounded_work(W, K, S, lo, hi):
    from _pytest.monkeypatch import MonkeyPatch

    from archcalc.layers import fit

    if W + lo + hi < K or (W + lo + hi - K) % S == 0:
        return
    with MonkeyPatch.context() as mp:
        count = _Count(mp)
        hints = fit_hints(W, K, S, lo, hi, ndim=1)
    assert _recheck(hints, W, K, S, lo, hi) >= 2
    # Every remainder the stride search takes is counted: at most the trial divisions and
    # the window around S, whatever the values.
    assert count.calls <= fit.TRIAL_LIMIT + 2 * fit.SEARCH_RADIUS + 1


def test_the_issues_cases_answer_at_once(monkeypatch):
    """kernel 10,000,000 that does not fit, 2³¹, and padding 1e20 with stride 2."""
    from archcalc.layers import fit

    count = _Count(monkeypatch)
    for W, K, S, lo, hi in [(10_000_001, 10_000_000, 2, 0, 0), (2 ** 31 + 1, 2 ** 31, 2, 0, 0),
                            (10, 3, 2, 10 ** 20, 10 ** 20), (2 ** 62 + 1, 10 ** 7, 2 ** 31 - 1, 0, 0)]:
        hints = fit_hints(W, K, S, lo, hi)
        assert _recheck(hints, W, K, S, lo, hi) >= 2
    assert count.calls <= 4 * (fit.TRIAL_LIMIT + 2 * fit.SEARCH_RADIUS + 1)


def test_a_gave_up_stride_search_says_so():
    # 2⁶¹ − 1 is prime: between 2,000 and 2⁶¹/2,000 no divisor was looked for, and the two
    # found (1 and itself) are far from S, so the hint must not claim they are the nearest.
    span, S = 2 ** 61 - 1, 10 ** 6
    hints = fit_hints(span + 3, 3, S, 0, 0)
    stride = next(h for h in hints if h.startswith("stride "))
    assert stride == (f"stride 1 (→ {span + 1}) — the nearest divisors of {span} that a "
                      "bounded search found; a nearer one may exist")


def test_strides_offered_are_sensible_ones_not_any_divisor():
    # (62 − 3)/2 + 1 = 30.5: 59 is prime, and stride 59 (→ 2) was offered beside stride 1.
    assert [h for h in fit_hints(62, 3, 2, 0, 0) if h.startswith("stride")] == [
        "stride 1 (→ 60)"]
    # AlexNet's conv1 at 224 with padding 2: 217 = 7·31, so 7 (≤ the 11-wide window) fits.
    assert [h for h in fit_hints(224, 11, 4, 2, 2) if h.startswith("stride")] == [
        "stride 1 (→ 218) or 7 (→ 32)"]
    # A 1×1 window with stride 4 on 30: 29 is prime; 1 is the only stride at most 4.
    assert [h for h in fit_hints(30, 1, 4, 0, 0) if h.startswith("stride")] == [
        "stride 1 (→ 30)"]


@given(axis)
def test_the_strides_offered_are_the_nearest_at_most_the_window_or_the_stride(a):
    """A stride above both the window and the one written skips input no window sees:
    never offered; below that, the two nearest the written stride that tile."""
    F = a["D"] * (a["K"] - 1) + 1
    W, S, lo, hi = a["W"], a["S"], a["lo"], a["hi"]
    span = W + lo + hi - F
    if span <= 0 or span % S == 0:
        return
    hint = next(h for h in fit_hints(W, a["K"], S, lo, hi, a["D"]) if h.startswith("stride"))
    offered = [int(part.split()[0]) for part in hint[len("stride "):].split(" or ")]
    every = [d for d in range(1, max(F, S) + 1) if span % d == 0 and d != S]
    assert offered == sorted(sorted(every, key=lambda d: (abs(d - S), d))[:2])


@given(n=st.integers(1, 5000), S=st.integers(1, 80), limit=st.integers(1, 120))
def test_near_divisors_under_a_limit_are_the_nearest(n, S, limit):
    from archcalc.layers.fit import near_divisors

    everything = [d for d in range(1, min(n, limit) + 1) if n % d == 0 and d != S]
    near, exact = near_divisors(n, S, limit=limit)
    assert exact
    assert near == sorted(everything, key=lambda d: (abs(d - S), d))[:2]


@given(n=st.integers(1, 5000), S=st.integers(1, 80))
def test_near_divisors_are_the_nearest(n, S):
    from archcalc.layers.fit import near_divisors

    everything = [d for d in range(1, n + 1) if n % d == 0 and d != S]
    near, exact = near_divisors(n, S)
    assert exact
    assert near == sorted(everything, key=lambda d: (abs(d - S), d))[:2]


@given(W=st.integers(1, 300), F=st.integers(1, 60), S=st.integers(1, 16),
       limit=st.integers(0, 80), current2=st.integers(0, 40))
def test_symmetric_padding_equals_the_enumeration(W, F, S, limit, current2):
    """The congruence's answer is the one the old loop over every P found."""
    from archcalc.layers.fit import symmetric_padding

    sym = [p for p in range(limit + 1) if (W - F + 2 * p) % S == 0 and W + 2 * p >= F]
    expected = min(sym, key=lambda p: (abs(p - current2 / 2), p)) if sym else None
    assert symmetric_padding(W, F, S, limit, current2) == expected


@given(W=huge, F=huge, S=huge, current2=st.integers(0, 2 ** 63))
def test_symmetric_padding_of_huge_values_fits(W, F, S, current2):
    from archcalc.layers.fit import symmetric_padding

    p = symmetric_padding(W, F, S, F, current2)
    if p is not None:
        assert 0 <= p <= F and W + 2 * p >= F and (W - F + 2 * p) % S == 0


@given(axis)
def test_every_structured_fix_fits(a):
    """The fixes a diagnostic carries as edits (argument, value) make the axis fit."""
    from archcalc.layers.fit import fit_fixes

    F = a["D"] * (a["K"] - 1) + 1
    W, S, lo, hi = a["W"], a["S"], a["lo"], a["hi"]
    if W + lo + hi < F or (W + lo + hi - F) % S == 0:
        return
    hints, changes = fit_fixes(W, a["K"], S, lo, hi, a["D"], ndim=1)
    assert all(c.label in hints or c.arg == "stride" for c in changes)
    for c in changes:
        if c.arg == "stride":
            assert window_size(W, a["K"], int(c.value), lo, hi, a["D"]).integral
        elif c.value.startswith("[["):
            new_lo, new_hi = (int(v) for v in c.value.strip("[]").split(", "))
            assert window_size(W, a["K"], S, new_lo, new_hi, a["D"]).integral
        else:
            p = int(c.value)
            assert window_size(W, a["K"], S, p, p, a["D"]).integral
