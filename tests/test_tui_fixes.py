"""The TUI's fix hints: which hints are concrete edits, and the edit of the spec's text
(tui/fixes.py). Pure functions: no app, no terminal."""

from __future__ import annotations

import pytest

pytest.importorskip("textual")

from archcalc.tui.fixes import CannotApply, Fix, apply, edit_for, fixes  # noqa: E402

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402

HEAD = "archcalc: 1\ninput: [1, 32, 32]\nlayers:\n"


def test_the_hints_that_are_edits_carry_them_and_the_others_do_not():
    spec = parse_text("name: t\n" + HEAD + "  - conv: {out: 4, kernel: 5, stride: 2}\n"
                             "  - maxpool: {kernel: 3, stride: 2}\n", "x.yaml")
    [conv, pool] = [d for d in Design(spec).analysis.findings if d.severity == "error"]
    by_hint = {h: fixes(conv, h) for h in conv.hints}
    per_side = [h for h in conv.hints if h.startswith("per-side")][0]
    assert by_hint[per_side] == [Fix("padding", "[[0, 1], [0, 1]]", per_side)]
    stride = [h for h in conv.hints if h.startswith("stride ")][0]
    assert [(f.arg, f.value) for f in by_hint[stride]] == [("stride", "1"), ("stride", "3")]
    rounding = conv.hints[1]  # `cover`: first among the fixes that keep the architecture
    assert rounding.startswith("declare `rounding: floor`")
    assert [(f.arg, f.value) for f in by_hint[rounding]] == [("rounding", "floor")]
    [pool_rounding] = [h for h in pool.hints if "rounding: floor" in h]
    assert [(f.arg, f.value) for f in fixes(pool, pool_rounding)] == \
        [("rounding", "floor"), ("ceil_mode", "true")]
    advice = [h for h in conv.hints if h.startswith(("an input of", "no symmetric"))]
    assert advice and all(by_hint[h] == [] for h in advice)


def edited(layers: str, line: int, column: int, fix: Fix) -> str:
    text = HEAD + layers
    return apply(text, edit_for(text, line, column, fix))[len(HEAD):]


STRIDE = Fix("stride", "3", "")


def test_an_argument_written_as_a_number_is_replaced_and_the_rest_kept():
    layers = "  - conv: {out: 6, kernel: 5, stride: 2}   # C1\n"
    assert edited(layers, 4, 39, STRIDE) == "  - conv: {out: 6, kernel: 5, stride: 3}   # C1\n"
    assert edited(layers, 4, 5, STRIDE) == "  - conv: {out: 6, kernel: 5, stride: 3}   # C1\n"


def test_a_missing_argument_is_added_in_the_style_it_is_written():
    assert edited("  - conv: {out: 6, kernel: 5}  # C1\n", 4, 5, STRIDE) == \
        "  - conv: {out: 6, kernel: 5, stride: 3}  # C1\n"
    block = "  - conv:\n      out: 6   # six\n      kernel: 5\n"
    assert edited(block, 4, 5, STRIDE) == \
        "  - conv:\n      stride: 3\n      out: 6   # six\n      kernel: 5\n"
    assert edited("  - conv: {}\n", 4, 5, Fix("out", "6", "")) == "  - conv: {out: 6}\n"


def test_a_shorthand_becomes_a_mapping_that_keeps_the_written_value():
    assert edited("  - avgpool: 2   # S2\n", 4, 5, Fix("rounding", "floor", "")) == \
        "  - avgpool: {kernel: 2, rounding: floor}   # S2\n"


def test_a_per_side_padding_replaces_a_flow_list():
    fix = Fix("padding", "[[0, 1], [0, 1]]", "")
    assert edited("  - conv: {out: 6, kernel: 5, padding: [1, 1]}\n", 4, 5, fix) == \
        "  - conv: {out: 6, kernel: 5, padding: [[0, 1], [0, 1]]}\n"


@pytest.mark.parametrize("layers, reason", [
    ("  - conv: {out: 6, kernel: 5, stride: 2*s}\n", "written as `2*s`"),
    ("  - conv: {out: 6, kernel: 5, stride: \"2\"}\n", "written as `\"2\"`"),
    ("  - conv:\n      out: 6\n      kernel: 5\n      stride:\n        - 2\n        - 2\n",
     "written as `- 2"),
    ("  - relu\n  - conv: {out: 6, kernel: 5}\n", "no layer is written where"),
    ("  - fc: 84\n", "`fc` takes no `stride`"),
])
def test_what_cannot_be_rewritten_safely_is_refused_with_a_reason(layers, reason):
    text = HEAD + layers
    with pytest.raises(CannotApply, match=reason.replace("*", r"\*").replace("[", r"\[")):
        edit_for(text, 4, 5, STRIDE)


def test_a_text_that_does_not_parse_is_refused():
    with pytest.raises(CannotApply, match="does not parse"):
        edit_for(HEAD + "  - conv: {out: [6\n", 4, 5, STRIDE)


def test_every_fix_the_analysis_offers_for_lenet_applies_and_parses():
    """The diagnostics' own positions lead to their layers: each fix edits the right line
    and the result is still a spec."""
    from helpers import SPECS

    text = (SPECS / "lenet5.yaml").read_text().replace(  # pool2 (`avgpool: 2`) gets 11×11
        "out: 16, kernel: 5}", "out: 16, kernel: 4}")
    spec = parse_text(text, "x.yaml")
    applied = 0
    for d in Design(spec).analysis.findings:
        for fix in (f for h in d.hints for f in fixes(d, h)):
            edit = edit_for(text, d.loc.line, d.loc.column, fix)
            assert edit.start[0] == d.loc.line - 1
            parse_text(apply(text, edit), "x.yaml")
            applied += 1
    assert applied == 4  # per-side padding, stride 1 (3 skips input a 2-wide window never
    #                      sees), rounding, ceil_mode
