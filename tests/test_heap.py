"""archcalc.heap: the cycle collector paused while a spec is read, expanded and analysed,
and resumed after — also after an error, and never turned on where the caller had it off."""

from __future__ import annotations

import gc

import pytest

from archcalc.errors import SpecError
from archcalc.heap import collector_paused
from archcalc.spec import parse_text


@collector_paused
def _state(fail: bool = False):
    inside = gc.isenabled()
    if fail:
        parse_text("archcalc: 1\nname: x\ninput: [3, 8, 8]\nlayers:\n  - nope\n")
    return inside


def test_paused_inside_resumed_after_and_after_an_error():
    assert gc.isenabled()
    assert _state() is False
    assert gc.isenabled()
    with pytest.raises(SpecError, match="unknown layer kind 'nope'"):
        _state(fail=True)
    assert gc.isenabled()


def test_a_collector_turned_off_stays_off():
    gc.disable()
    try:
        assert _state() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
