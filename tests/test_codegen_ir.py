"""The code generator's IR and printer: saved values worked out on the data (never a line
printed and taken back), and lines kept to 88 columns by construction."""

from __future__ import annotations

import subprocess
import textwrap

import pytest
from helpers import ruff_executable
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

from archcalc.reference.calls import Call  # noqa: E402
from archcalc.reference.codegen import generate  # noqa: E402
from archcalc.reference.codegen_ir import (  # noqa: E402
    Assign,
    Layer,
    Local,
    Merge,
    Return,
    Save,
    Step,
    Use,
    lower,
    reads,
)
from archcalc.reference.codegen_print import construct, wrap  # noqa: E402
from archcalc.reference.pysource import Names  # noqa: E402

from archcalc.graph import INPUT  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402


@st.composite
def dataflows(draw):
    """Steps that each read one to three earlier values, and the outputs among them."""
    steps = []
    for i in range(draw(st.integers(1, 8))):
        earlier = [INPUT] + [s.key for s in steps]
        ins = tuple(Use(k) for k in draw(st.lists(st.sampled_from(earlier), min_size=1,
                                                  max_size=3)))
        value = Merge("add", ins) if len(ins) > 1 and draw(st.booleans()) else \
            Layer(f"m{i}", ins)
        steps.append(Step(f"k{i}", value, draw(st.sampled_from(["a", "x", "identity"]))))
    outputs = draw(st.lists(st.sampled_from([s.key for s in steps]), min_size=1, max_size=2,
                            unique=True))
    return steps, outputs


def _locals(value) -> list[str]:
    if isinstance(value, Local):
        return [value.name]
    if isinstance(value, Layer):
        return [n for a in value.args for n in _locals(a)]
    return [n for a in value.operands for n in _locals(a)]


@settings(max_examples=300, deadline=None)
@given(dataflows())
def test_the_lowered_forward_computes_the_dataflow_and_saves_only_what_is_read(flow):
    steps, outputs = flow
    statements = lower(steps, outputs, Names({"self", "x", "identity"}).take)
    held, pending, read, saved = {"x": INPUT}, iter(steps), set(), []
    for s in statements:  # run it on keys: every variable must hold what the step reads
        if isinstance(s, Save):
            assert s.name not in held, "a name is saved twice"
            held[s.name] = held["x"]
            saved.append(s.name)
        elif isinstance(s, Assign):
            step = next(pending)
            names = _locals(s.value)
            assert [held[n] for n in names] == reads(step.value)
            read |= set(names)
            held["x"] = step.key
        else:
            assert isinstance(s, Return) and s is statements[-1]
            assert [held[v.name] for v in s.values] == outputs
            read |= {v.name for v in s.values}
    assert next(pending, None) is None
    assert set(saved) <= read  # nothing saved that nothing reads


def test_a_chain_saves_nothing_and_a_residual_keeps_its_input():
    chain = [Step("a", Layer("a", (Use(INPUT),)), "a"), Step("b", Layer("b", (Use("a"),)), "b")]
    assert lower(chain, ["b"], Names().take) == (
        Assign(Layer("a", (Local("x"),))), Assign(Layer("b", (Local("x"),))),
        Return((Local("x"),)))
    residual = [*chain, Step("add", Merge("add", (Use("b"), Layer("s", (Use(INPUT),)))),
                             "add")]
    out = lower(residual, ["add"], Names().take)
    assert out[0] == Save("identity")
    assert out[3] == Assign(Merge("add", (Local("x"), Layer("s", (Local("identity"),)))))


def test_a_long_construction_splits_as_black_does():
    call = Call("nn.Conv2d", (Call("Inner", ("a" * 30, "b" * 30)), 5, (3,)),
                (("padding", (1, 2)), ("bias", False)))
    assert wrap(construct(call), 8) == textwrap.indent(textwrap.dedent(f"""\
        nn.Conv2d(
            Inner("{"a" * 30}", "{"b" * 30}"),
            5,
            (3,),
            padding=(1, 2),
            bias=False,
        )"""), " " * 8)
    assert wrap(construct((7,)), 4) == "    (7,)"


def test_long_names_give_formatted_code_that_runs():
    """A long parameter list wraps like black's `def`; a block whose optional argument
    comes before a required one is called with its keywords last."""
    wide = "a_rather_long_argument_name"
    text = textwrap.dedent(f"""\
        archcalc: 1
        name: wide
        input: [3, 8, 8]
        blocks:
          b:
            args: {{pad: 1, {wide}_1: ~, {wide}_2: ~, {wide}_3: ~}}
            layers:
              - conv: {{out: "{wide}_1 + {wide}_2", kernel: 3, padding: pad}}
        layers:
          - b: {{{wide}_1: 1, {wide}_2: 2, {wide}_3: 3, pad: 0}}
          - flatten
        """)
    source = generate(parse_text(text))
    assert "        self,\n        in_channels,\n" in source
    assert all(len(line) <= 88 for line in source.splitlines() if '"""' not in line)
    assert "self.b1 = B(3, 1, 2, 3, pad=0)" in source
    ruff = ruff_executable()
    if ruff:
        check = subprocess.run([ruff, "format", "--isolated", "--check", "-"], input=source,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    namespace: dict = {}
    exec(compile(source, "wide.py", "exec"), namespace)
    assert namespace["Wide"]().b1.conv1.out_channels == 3
