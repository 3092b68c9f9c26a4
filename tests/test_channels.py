"""Channel surgery (`chunk`, `unflatten`): sizes as torch computes them, counted as
PyTorch counts them, and the errors for pieces and shapes that do not exist."""

from __future__ import annotations

import pytest
from helpers import analyse_text, compare
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.errors import SpecError

pytest.importorskip("torch")
import torch  # noqa: E402

from archcalc.spec import parse_text  # noqa: E402

HEAD = "archcalc: 1\nname: t\ninput: [{c}, 6, 6]\nlayers:\n"


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 24), parts=st.integers(1, 8), data=st.data())
def test_chunk_sizes_are_torch_chunks(c, parts, data):
    pieces = torch.chunk(torch.zeros(1, c, 6, 6), parts, dim=1)
    index = data.draw(st.integers(0, len(pieces) - 1))
    a = analyse_text(HEAD.format(c=c) + f"  - chunk: {{parts: {parts}, index: {index}}}\n")
    assert int(a.rows[0].out_shape.c) == pieces[index].shape[1]


def test_shufflenet_split_reads_both_halves_and_equals_pytorch():
    compare(parse_text(HEAD.format(c=8) + """\
  - chunk: {parts: 2, index: 0, name: left}
  - chunk: {parts: 2, index: 1, from: input, name: right}
  - conv: {out: 4, kernel: 3, padding: 1, groups: 4}
  - concat: [left, conv1]
"""))


def test_a_chunk_that_torch_does_not_make_is_an_error_with_the_arithmetic():
    # 9 channels in 4 parts: torch.chunk makes three pieces of 3, not four
    a = analyse_text(HEAD.format(c=9) + "  - chunk: {parts: 4, index: 3}\n")
    [d] = [d for d in a.findings if d.severity == "error"]
    assert d.message == ("chunk index 3 of 9 channels in 4 parts: torch.chunk makes 3 pieces "
                         "of ⌈9/4⌉ = 3")
    assert d.hints == ("index is 0 … 2",)


def test_unflatten_projects_a_vector_to_a_volume_as_pytorch_does():
    compare(parse_text("""archcalc: 1
name: g
input: [16, 1, 1]
layers:
  - flatten
  - fc: 128
  - unflatten: {out: 8, size: [4, 4]}
  - conv: {out: 4, kernel: 3, padding: 1}
"""))


def test_unflatten_needs_the_features_it_makes():
    a = analyse_text("archcalc: 1\nname: g\ninput: [16, 1, 1]\nlayers:\n  - flatten\n"
                     "  - unflatten: {out: 8, size: 4}\n")
    [d] = [d for d in a.findings if d.severity == "error"]
    assert d.message == "unflatten to 8×4×4 needs 128 features, but gets 16"


def test_a_negative_chunk_index_is_refused_where_it_is_written():
    with pytest.raises(SpecError) as exc:
        parse_text(HEAD.format(c=4) + "  - chunk: {parts: 2, index: -1}\n", "x.yaml")
    assert exc.value.diagnostics[0].loc.line == 5
