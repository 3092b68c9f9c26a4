"""A spec from a stranger never ends in a traceback: random documents and random
mutations of the real specs either parse and analyse, or raise SpecError — nothing else."""

from __future__ import annotations

import io
import json

import yaml
from helpers import SPECS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.render.json_out import render_json
from archcalc.render.table import render_table
from archcalc.render.text_formats import render_csv, render_markdown
from archcalc.spec import parse_text

# Specs with small graphs, blocks, residuals and branches among them: mutating the
# Inception-sized ones costs time without reaching new code.
SOURCES = [(SPECS / f"{n}.yaml").read_text() for n in (
    "lenet5", "alexnet", "alexnet_torchvision", "zfnet", "vgg11_bn", "resnet18", "googlenet",
    "fcn1d")]
TOKENS = ["conv", "fc", "relu", "maxpool", "kernel", "stride", "padding", "same", "-", ":",
          "{", "}", "[", "]", ",", "0", "-1", "1e-4", "no", "010", "H", "2*H", "&a", "*a",
          "!!python/object", "\t", "\n", "  ", "'", '"', "name", "$x", "((", "**99"]


def survives(text: str) -> None:
    try:  # expanding the blocks checks what their arguments become: a SpecError too
        spec = parse_text(text, "fuzz.yaml")
        a = Design(spec).analysis
    except SpecError as exc:
        d = exc.diagnostics[0]
        assert d.severity == "error" and d.loc is not None and d.loc.file == "fuzz.yaml"
        return
    for d in a.findings:
        assert d.loc is not None
    # Whatever the calculator produced, every renderer can show it.
    json.loads(render_json(a))
    render_markdown(a, explain=True)
    render_csv(a)
    render_table(a, Console(file=io.StringIO(), width=120), explain=True)


fast = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@fast
@given(st.sampled_from(SOURCES), st.lists(st.tuples(st.integers(0, 3000),
                                                  st.sampled_from(TOKENS)), max_size=4))
def test_mutated_specs(source, edits):
    text = source
    for pos, token in edits:
        pos %= max(len(text), 1)
        text = text[:pos] + token + text[pos + len(token) // 2:]
    survives(text)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 300),
                    st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["same", "valid", "H", "2*c", "relu", "conv"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["out", "kernel", "stride", "padding", "name", "p",
                                     "groups", "bias", "x"]), inner, max_size=4)),
    max_leaves=12)
layer = st.one_of(st.sampled_from(["relu", "flatten", "conv", "bogus"]),
                  st.dictionaries(st.sampled_from(["conv", "fc", "maxpool", "avgpool",
                                                   "dropout", "batchnorm", "adaptive_avgpool",
                                                   "lrn", "zzz"]), values,
                                  min_size=1, max_size=2))


@fast
@given(st.fixed_dictionaries({
    "archcalc": st.sampled_from([1, 1, 1, 2, "1"]),
    "name": st.one_of(st.text(max_size=8), st.integers()),
    "input": st.one_of(st.lists(st.one_of(st.integers(-2, 40), st.sampled_from(["H", "W"])),
                                max_size=4), scalars),
    "layers": st.one_of(st.lists(layer, max_size=6), scalars),
}, optional={"symbols": st.dictionaries(st.sampled_from(["H", "W", "c", "same", "1x"]),
                                        values, max_size=3),
             "rounding": st.sampled_from(["exact", "floor", "ceil", 3])}))
def test_random_documents(doc):
    survives(yaml.safe_dump(doc, sort_keys=False))
