"""`Design`: a spec at some bindings, checked when made, with its graph and analysis made
once; the graph carries what the later stages read of the spec, and the block tree."""

from __future__ import annotations

import textwrap

import pytest
from archcalc.tui.analysis import formulas, run
from helpers import SPECS

from archcalc import design as design_module
from archcalc.design import Design
from archcalc.errors import SpecError
from archcalc.graph import build_graph
from archcalc.graph.model import Tree
from archcalc.spec import parse_file, parse_text, parser

CONSTRAINED = textwrap.dedent("""\
    archcalc: 1
    name: c
    input: [3, H, H]
    symbols:
      H: {default: 64, multiple_of: 32}
      classes: 10
    layers: [{conv: {out: 4, kernel: 3}}, global_avgpool, flatten, {fc: classes}]
    """)


def counted(monkeypatch) -> list:
    calls = []
    real = design_module.analyze

    def analyze(graph, bindings=None, **kw):
        calls.append((graph.name, tuple(sorted((bindings or {}).items())), kw.get("lenient")))
        return real(graph, bindings, **kw)
    monkeypatch.setattr(design_module, "analyze", analyze)
    return calls


def test_the_values_are_the_defaults_with_the_bindings_over_them():
    d = Design(parse_text(CONSTRAINED), {"H": 96})
    assert dict(d.values) == {"H": 96, "classes": 10} and dict(d.bindings) == {"H": 96}
    assert d.analysis.input_shape.dims == (96, 96)
    free = Design(parse_text(CONSTRAINED), free=d.input_symbols)
    assert d.input_symbols == ("H",)  # once, though the input names it twice
    assert free.analysis.free_symbols == ("H",)


def test_an_unknown_name_is_an_error_with_a_did_you_mean():
    with pytest.raises(SpecError) as caught:
        Design(parse_text(CONSTRAINED), {"classs": 5})
    (d,) = caught.value.diagnostics
    assert d.message == "the spec has no symbol 'classs' (symbols: H, classes)"
    assert d.hints == ("did you mean 'classes'?",) and d.code == "binding"


@pytest.mark.parametrize("value, message", [
    (100, "H = 100 is not a multiple of 32"),
    (0, "H = 0: a symbol's value is a positive whole number of at most 2^63 − 1"),
    (2**63, "H = …: a symbol's value is a positive whole number of at most 2^63 − 1"),
    (-10**40, "H = …: a symbol's value is a positive whole number of at most 2^63 − 1"),
    ("64", "H = '64': a symbol's value is a whole number"),
    (True, "H = True: a symbol's value is a whole number")])
def test_a_value_the_symbol_refuses_is_an_error_at_its_declaration(value, message):
    with pytest.raises(SpecError) as caught:
        Design(parse_text(CONSTRAINED, "c.yaml"), {"H": value})
    (d,) = caught.value.diagnostics
    assert d.message == message and (d.loc.file, d.loc.line) == ("c.yaml", 5)


def test_graph_and_analysis_are_made_once_and_rebind_shares_the_graph(monkeypatch):
    calls = counted(monkeypatch)
    d = Design(parse_file(SPECS / "vgg16.yaml"))  # no repeat count reads a symbol
    assert d.analysis is d.analysis and d.graph is d.graph
    assert d.rebind() is d
    same = d.rebind({"H": 224})  # the same values, one more of them given
    assert same.analysis is d.analysis and dict(same.bindings) == {"H": 224}
    other = d.rebind({"H": 128, "W": 128})
    assert other.graph is d.graph and other.analysis.input_shape.dims == (128, 128)
    assert dict(other.bindings) == {"H": 128, "W": 128}
    generic = d.rebind(free=["classes"], lenient=True)
    assert generic.lenient and "classes" in generic.analysis.free_symbols
    assert [c[1] for c in calls] == [(("H", 224), ("W", 224), ("classes", 1000)),
                                     (("H", 128), ("W", 128), ("classes", 1000)),
                                     (("H", 224), ("W", 224))]
    with pytest.raises(SpecError, match="no symbol 'h'"):
        d.rebind({"h": 1})


def test_memo_makes_a_face_value_once_per_design():
    d = Design(parse_text(CONSTRAINED))
    made = []
    assert d.memo("k", lambda: made.append(1) or "v") == d.memo("k", lambda: 1 / 0) == "v"
    assert made == [1] and d.rebind({"H": 32}).memo("k", lambda: "w") == "w"


def test_the_graph_carries_what_the_analysis_reads_of_the_spec():
    spec = parse_file(SPECS / "fcn1d.yaml")
    graph = build_graph(spec)
    assert (graph.input, graph.symbols, graph.source, graph.input_loc, graph.ndim) == \
        (spec.input, spec.symbols, spec.source, spec.input_loc, 1)


def _keys(tree: Tree) -> list[str]:
    return [c.key if isinstance(c, Tree) else c.name for c in tree.children]


def test_the_block_tree_holds_each_scope_with_its_children_in_order():
    graph = build_graph(parse_file(SPECS / "resnet18.yaml"))
    root = graph.tree
    assert _keys(root) == ["conv1", "bn1", "relu1", "pool1", "layer1", "layer2", "layer3",
                           "layer4", "pool2", "flatten1", "fc1"]
    layer2 = root.children[5]
    assert (layer2.group.role, _keys(layer2)) == ("repeat", ["layer2.0", "layer2.1"])
    block = layer2.children[0]
    assert block.group.kind == "basic" and dict(block.group.args)["stride"] == 2
    assert _keys(block) == [f"layer2.0.{n}" for n in (
        "conv1", "bn1", "relu1", "conv2", "bn2", "shortcut1", "add1", "relu2")]


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_tree_holds_every_node_once_in_the_graphs_order(path):
    spec = parse_file(path)
    graph = build_graph(spec, spec.defaults)  # repeat counts may be symbols (RegNet's d_i)
    assert graph.tree.nodes() == list(graph.nodes)
    groups, todo = [], [graph.tree]
    while todo:
        tree = todo.pop()
        groups += [tree.key] if tree.group is not None else []
        todo += [c for c in tree.children if isinstance(c, Tree)]
    # every group that holds a layer (a repeat of 0 copies — `repeat: n - 1` at n = 1 —
    # holds none and computes nothing: it is not in the tree)
    holding = {p for n in graph.nodes for p in n.groups}
    assert sorted(groups) == sorted(g.path for g in graph.groups if g.path in holding)


def test_each_command_parses_and_analyses_once(cli, monkeypatch, tmp_path):
    parses, real = [], parser.parse_text
    monkeypatch.setattr(parser, "parse_text", lambda *a: parses.append(a[1:]) or real(*a))
    calls = counted(monkeypatch)
    for command in (["check", "resnet18", "--format", "json"],
                    ["check", "resnet18", "--symbolic", "--format", "csv"],
                    ["diagram", "googlenet", "-o", tmp_path / "g.mmd"]):
        parses.clear(), calls.clear()
        assert cli(*command).exit_code == 0
        assert len(parses) == 1 and len(calls) == 1, (command, parses, calls)


def test_the_tui_shows_a_binding_the_spec_does_not_declare_as_its_problem():
    """A symbol renamed in the editor leaves its old value behind: that is said, with the
    nearest name, never silently dropped."""
    renamed = run(CONSTRAINED.replace("H", "S"), "c.yaml", {"H": 96}, 1, {})
    assert renamed.analysis is None
    (d,) = renamed.error.diagnostics
    assert d.message == "the spec has no symbol 'H' (symbols: S, classes)"
    ok = run(CONSTRAINED, "c.yaml", {"H": 96}, 2, {})
    assert ok.error is None and ok.input_symbols == ("H",)
    assert ok.analysis.input_shape.dims == (96, 96) and formulas(ok).free_symbols == ("H",)


def test_a_depth_symbol_rebuilds_the_graph():
    d = Design(parse_file(SPECS / "resnet18.yaml"))  # repeat: d1 … d4
    deeper = d.rebind({"d3": 3})
    assert deeper.graph is not d.graph
    assert deeper.analysis.totals.params - d.analysis.totals.params == 1_180_672  # a basic block of 256
    assert d.rebind({"d3": 2}).graph is d.graph
