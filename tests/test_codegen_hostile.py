"""The code generator against hostile input: a network name, a spec file name, block and
argument names, and layer names chosen to break out of a docstring, shadow what the file
uses, or make two variables one. Every generated module parses, imports without running
anything but its definitions (a marker file would prove otherwise), and gives exactly the
outputs of `build()` with `build()`'s state_dict. All generated modules of one run are
imported in one subprocess, to keep the suite fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from archcalc.reference import build  # noqa: E402
from archcalc.reference.codegen import Generator  # noqa: E402

from archcalc.design import Design  # noqa: E402
from archcalc.spec import parse_text  # noqa: E402

MARKER = "PWNED_MARKER"
PAYLOAD = f"__import__('os').system('touch {MARKER}')"
# Pieces that end a docstring, a string or a line, or make a malformed escape.
BREAKERS = ['"""', "'''", '"', "'", "\\", "\n", "\r\n", "\r", "\x00", "\\N{NO SUCH NAME}",
            "\\x4", "\\u12", "\u2028", "\x0c", "#", "\t", "{", "}", "[/b]", "é", "\U0001f600"]
# Identifiers that a generated file uses, or that Python reserves.
SHADOWS = ["self", "in_channels", "nn", "torch", "F", "super", "x", "x_", "identity",
           "OrderedDict", "print", "isinstance", "tuple", "model", "y", "t", "int", "object",
           "Basic", "Net", "True", "None", "match", "case", "type", "_h", "_w", "Add", "Concat",
           "Scale", "PaddedConv2d", "annotations", "forward_", "sum"]

hostile_text = st.lists(st.sampled_from(BREAKERS + [PAYLOAD, "class Z:", "a", " "]),
                        min_size=1, max_size=6).map("".join)
# A layer name must be an identifier that is no keyword and no nn.Module attribute.
# (`y` is YAML 1.1's "yes", refused where a name is read)
layer_names = st.sampled_from([n for n in SHADOWS if n not in ("True", "None", "type", "_h",
                                                               "_w", "forward_", "y")] + ["a"])
arg_names = st.sampled_from([n for n in SHADOWS if n not in ("True", "None", "y")])
block_names = st.sampled_from(["basic", "Basic", "torch", "nn", "F", "net", "Net", "model",
                               "print", "Identity", "self"])


def _q(text: str) -> str:
    """A YAML double-quoted scalar holding `text` (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)  # YAML refuses JSON's surrogate pairs


@st.composite
def hostile_specs(draw):
    name = draw(st.one_of(hostile_text, st.sampled_from(SHADOWS + ["Basic", "basic"])))
    b1, b2 = draw(st.lists(block_names, min_size=2, max_size=2, unique=True))
    a1, a2 = draw(st.lists(arg_names, min_size=2, max_size=2, unique=True))
    l1, l2, l3 = draw(st.lists(layer_names, min_size=3, max_size=3, unique=True))
    # A symbol of the model (a constructor argument), used at the top and inside both blocks.
    sym = draw(st.sampled_from([n for n in SHADOWS if n not in ("True", "None", "y", a1, a2)
                                and n not in ("_h", "_w")]))
    width = draw(st.integers(1, 3))
    text = textwrap.dedent(f"""\
        archcalc: 1
        name: {_q(name)}
        input: [3, 8, 8]
        symbols: {{{sym}: 2}}
        blocks:
          {b1}:
            args: {{{a1}: ~, {a2}: 1}}
            layers:
              - conv: {{out: {a1}, kernel: 3, padding: {a2}, name: {l1}}}
              - conv: {{out: "{a1} + {sym}", kernel: 1}}
              - relu
          {b2}:
            args: {{{a1}: ~}}
            layers:
              - {b1}: {{{a1}: {a1}, {a2}: 0}}
              - {b1}: {{{a1}: {a1} * 2}}
        layers:
          - {b1}: {{{a1}: {width + 1}, name: stem}}
          - {b2}: {{{a1}: {width}}}
          - conv: {{out: 4, kernel: 1, name: {l1}}}
          - conv: {{out: 2, kernel: 1, name: {l2}}}
          - conv: {{out: 2, kernel: 1, from: {l1}, name: {l3}}}
          - concat: [{l2}, {l3}, {l1}]
          - global_avgpool
          - flatten
          - fc: "{sym} + 1"
        """)
    origin = draw(st.one_of(st.just("spec.yaml"), hostile_text.map(
        lambda s: s.replace("/", "_").replace("\x00", "_") + ".yaml")))
    return text, origin


# Each example builds six models and starts one Python: no shrinking (the failing case is
# printed whole anyway), few examples. A longer run: ARCHCALC_HOSTILE_EXAMPLES=200.
@settings(max_examples=int(os.environ.get("ARCHCALC_HOSTILE_EXAMPLES", 4)), deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile_specs(), min_size=6, max_size=6))
def test_hostile_names_compile_to_safe_equal_modules(tmp_path_factory, cases):
    work = tmp_path_factory.mktemp("hostile")
    manifest = []
    torch.manual_seed(0)
    for i, (text, origin) in enumerate(cases):
        spec = parse_text(text, "hostile.yaml")
        generator = Generator(Design(spec))
        source = generator.module(origin)
        compile(source, f"m{i}.py", "exec")  # parses (the generator checked it too)
        (work / f"m{i}.py").write_text(source, encoding="utf-8")
        model = build(spec).eval()
        x = torch.randn(2, 3, 8, 8)
        with torch.no_grad():
            y = model(x)
        torch.save({"state": model.state_dict(), "x": x, "y": y}, work / f"m{i}.pt")
        manifest.append((f"m{i}", generator.top_name))
    script = textwrap.dedent("""\
        import importlib, json, sys, torch
        sys.path.insert(0, sys.argv[1])
        for module, cls in json.loads(sys.argv[2]):
            data = torch.load(f"{sys.argv[1]}/{module}.pt", weights_only=True)
            model = getattr(importlib.import_module(module), cls)().eval()
            model.load_state_dict(data["state"], strict=True)
            with torch.no_grad():
                y = model(data["x"])
            # (allclose: this process runs one thread, the test's may sum in another order)
            assert torch.allclose(y, data["y"], rtol=1e-5, atol=1e-6), module
        print("ok", len(json.loads(sys.argv[2])))
        """)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", script, str(work), json.dumps(manifest)],
                            cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f"ok {len(cases)}"
    assert not (work / MARKER).exists()


def test_the_issue_payload_is_inert(tmp_path, cli):
    """The reported exploit: a name that closes the docstring and calls os.system."""
    spec = tmp_path / "spec.yaml"
    spec.write_text('archcalc: 1\nname: "a\\"\\"\\" + \'\'\'\\n__import__(\'os\').system('
                    f"'touch {MARKER}')\\nclass Z:#\"\ninput: [1, 32, 32]\n"
                    "layers: [{conv: {out: 6, kernel: 5}}, relu, flatten, {fc: 10}]\n")
    out = tmp_path / "m.py"
    assert cli("compile", spec, "-o", out).exit_code == 0
    result = subprocess.run([sys.executable, "-c", "import m"], cwd=tmp_path,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / MARKER).exists()
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first == ('"""a\\"\\"\\" + \'\'\'\\n__import__(\'os\').system(\'touch PWNED_MARKER\')'
                     '\\nclass Z:#: the PyTorch model.')


def test_two_layers_named_x_and_x_underscore_stay_two_values():
    spec = parse_text(textwrap.dedent("""\
        archcalc: 1
        name: t
        input: [3, 8, 8]
        layers:
          - conv: {out: 2, kernel: 1, name: x}
          - conv: {out: 2, kernel: 1, name: x_}
          - conv: {out: 2, kernel: 1, from: x, name: b}
          - concat: [x_, b, x]
        """))
    source = Generator(Design(spec)).module()
    assert "torch.cat([x__, x, x_], dim=1)" in source or "torch.cat([x__, b, x_]" in source \
        or "x_, x__" in source
    forward = source[source.index("def forward"):]
    saved = [line.split("=")[0].strip() for line in forward.splitlines() if line.strip()
             .endswith("= x") and not line.strip().startswith("x =")]
    assert len(saved) == len(set(saved))


def test_the_model_takes_its_symbols_as_keyword_arguments(tmp_path):
    """`ResNet18(classes=10)`: every symbol but the input's, with the spec's default, down
    through the blocks that use it."""
    spec = parse_text(textwrap.dedent("""\
        archcalc: 1
        name: t
        input: [3, H, H]
        symbols: {H: 8, nn: 4, classes: 5}
        blocks:
          inner:
            args: {out: ~}
            layers: [{conv: {out: "out * nn", kernel: 1}}]
          outer:
            args: {out: ~}
            layers: [{inner: {out: out}}, relu]
        layers:
          - outer: {out: 2}
          - global_avgpool
          - flatten
          - fc: classes
        """))
    generator = Generator(Design(spec))
    source = generator.module()
    assert "def __init__(self, nn_=4, classes=5):" in source
    assert "def __init__(self, in_channels, out, nn_=4):" in source  # both blocks
    assert "self.outer1 = Outer(3, 2, nn_=nn_)" in source
    assert "nn.Conv2d(in_channels, nn_ * out, 1)" in source
    assert "nn.Linear(2 * nn_, classes)" in source
    (tmp_path / "g.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__("g")
        model = getattr(module, generator.top_name)(nn_=3, classes=10)
        assert model(torch.randn(1, 3, 8, 8)).shape == (1, 10)
        assert model.outer1.inner1.conv1.out_channels == 6
        default = getattr(module, generator.top_name)()
        assert {k: v.shape for k, v in default.state_dict().items()} == \
            {k: v.shape for k, v in build(spec).state_dict().items()}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("g", None)


# -- integer arithmetic printed as Python -----------------------------------------------

from archcalc.reference.calls import pyexpr  # noqa: E402
from hypothesis import assume  # noqa: E402

from archcalc.spec.expr import ExprError, parse_expr  # noqa: E402
from archcalc.spec.model import symbol  # noqa: E402


@st.composite
def int_expressions(draw, depth=0):
    if depth > 3 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(["c", "d", "1", "2", "3", "7"]))
    a, b = draw(int_expressions(depth + 1)), draw(int_expressions(depth + 1))
    form = draw(st.sampled_from(["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} // {b}",
                                 "{a} % {b}", "-({a})", "-{a}", "floor({a} / {b})",
                                 "ceil({a} / {b})", "max({a}, {b})", "min({a}, {b})",
                                 "({a}) ** 2"]))
    return "(" + form.format(a=a, b=b) + ")"


@settings(max_examples=400, deadline=None)
@given(int_expressions(), st.booleans(), st.integers(1, 40), st.integers(1, 40))
def test_generated_arithmetic_is_the_expressions(text, divide, c, d):
    """The reviewer's cases: `-floor(c/2)` once printed as `-c // 2`, `2 * (c // 2)` as
    `2 * c // 2`, and `Mod` as a name."""
    symbols = {"c": symbol("c"), "d": symbol("d")}
    if divide:  # exact division, as a size must be: printed as //
        text = f"({text} - c) / d"
    try:
        e = parse_expr(text, lambda n, off: symbols[n])
        value = sp.sympify(e).xreplace({symbols["c"]: sp.Integer(c), symbols["d"]: sp.Integer(d)})
    except (ExprError, ZeroDivisionError, TypeError, ValueError):  # division by zero
        return  # (ExprError too where sympy recurses without end: see test_expr.py)
    assume(value.is_Integer)  # `/` is exact division in a spec: only whole values are printed
    code = pyexpr(e)
    try:
        got = eval(code, {"__builtins__": {}, "max": max, "min": min}, {"c": c, "d": d})
    except ZeroDivisionError:
        return
    assert got == int(value), (text, code)
