"""Large specs, legal and not (the security issue's items 3, 4 and 6): refused before the
work starts with a diagnostic that quotes little, or answered by work that is bounded by
archcalc's limits, never by a value in the spec. Huge inputs are written to tmp_path by
the tests; the bad-input fixtures with their exact errors are in tests/data/bad."""

from __future__ import annotations

import os
import sys

import pytest
from helpers import DATA

from archcalc.errors import SourceLoc, SourceText, SpecError, error, format_diagnostic
from archcalc.graph import build_graph
from archcalc.spec import parse_file, parse_text
from archcalc.spec.source import MAX_SPEC_BYTES

ANALYZE = sys.modules["archcalc.analysis.analyze"] if "archcalc.analysis.analyze" in \
    sys.modules else __import__("importlib").import_module("archcalc.analysis.analyze")


def spec_text(layers: str, head: str = "") -> str:
    return f"archcalc: 1\nname: t\ninput: [3, 8, 8]\n{head}layers:\n{layers}"


# -- size, before parsing ---------------------------------------------------------------

def test_a_50_mb_spec_is_refused_without_being_read(cli, tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with open(path, "w", encoding="utf-8") as f:
        f.write(spec_text(""))
        f.writelines(["  - relu\n" * 100_000] * 55)  # ~50 MB
    size = path.stat().st_size

    def never(*_):
        raise AssertionError("the YAML parser ran")
    monkeypatch.setattr("archcalc.spec.parser.load", never)
    result = cli("check", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:1:1: error: the spec is {size:,} bytes; archcalc reads specs of at most "
        f"{MAX_SPEC_BYTES:,} bytes (4 MiB)")
    assert len(result.stderr) < 1000 and "Traceback" not in result.stderr


def test_a_50_mb_network_name_is_refused_and_not_printed(cli, tmp_path):
    path = tmp_path / "name.yaml"
    path.write_text("archcalc: 1\nname: " + "n" * 50_000_000 + "\ninput: [3, 8, 8]\n"
                    "layers: [relu]\n", encoding="utf-8")
    result = cli("check", path)
    assert result.exit_code == 2
    assert "is 50,000,0" in result.stderr.splitlines()[0]
    assert len(result.stderr) < 1000


def test_a_long_name_under_the_size_limit_is_quoted_short(cli, tmp_path):
    path = tmp_path / "name.yaml"
    path.write_text("archcalc: 1\nname: " + "n" * 3_000_000 + "\ninput: [3, 8, 8]\n"
                    "layers: [relu]\n", encoding="utf-8")
    result = cli("check", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}:2:7: error: the network's name is 3,000,000 characters long; at most 128 "
        f"('{'n' * 40}… (3,000,000 characters)')")
    assert len(result.stderr) < 1000  # the source line is shown as a window around the caret


def test_text_over_the_limit_is_refused_by_parse_text():
    with pytest.raises(SpecError) as exc:
        parse_text("#" * (MAX_SPEC_BYTES + 1))
    assert str(exc.value) == (f"<string>:1:1: error: the spec is {MAX_SPEC_BYTES + 1:,} "
                              f"characters; archcalc reads specs of at most "
                              f"{MAX_SPEC_BYTES:,} characters (4 MiB)")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_limit():
    with pytest.raises(SpecError) as exc:
        parse_file("/dev/zero")
    assert str(exc.value) == ("/dev/zero:1:1: error: cannot read /dev/zero: it holds more "
                              f"than {MAX_SPEC_BYTES:,} bytes (4 MiB), the limit of a spec")


def test_a_layer_list_over_the_layer_limit_is_refused_before_its_items():
    from archcalc.spec.items import MAX_ITEMS

    with pytest.raises(SpecError) as exc:
        parse_text(spec_text("  - relu\n" * (MAX_ITEMS + 1)))
    assert str(exc.value) == ("<string>:5:3: error: layers lists 100,001 items; a spec "
                              "expands to at most 100,000 layers")


def test_the_list_limit_is_the_layer_limit():
    from archcalc.graph.expand import MAX_NODES
    from archcalc.spec.items import MAX_ITEMS

    assert MAX_ITEMS == MAX_NODES


# -- expansion: bounded by counts, not by the spec's numbers ----------------------------

def test_the_empty_block_bomb_is_refused_before_it_is_walked(monkeypatch):
    """Every expansion opens a group; a repeat whose copies would open more than MAX_GROUPS
    (a lower bound counted from the blocks, memoized) is refused before the first one —
    not after 10¹² empty expansions, nor after 100,000."""
    from archcalc.graph import expand

    spec = parse_file(DATA / "bad" / "empty_block_bomb.yaml")
    calls = []
    group = expand._Expander.group
    monkeypatch.setattr(expand._Expander, "group",
                        lambda self, *a, **k: calls.append(1) or group(self, *a, **k))
    with pytest.raises(SpecError, match="more than 100,000 block instances"):
        build_graph(spec)
    assert len(calls) == 0


def test_the_running_count_still_stops_what_the_lower_bound_misses(monkeypatch):
    """Branches are not in the lower bound; the running count catches them."""
    from archcalc.graph import expand

    monkeypatch.setattr(expand, "MAX_GROUPS", 50)
    text = spec_text("  - p: {repeat: 30}\n", "blocks:\n  p:\n    layers:\n"
                     "      - parallel: {merge: add, branches: [[relu], [relu]]}\n")
    with pytest.raises(SpecError, match="more than 50 block instances"):
        build_graph(parse_text(text))


def test_repeats_of_layers_stop_at_the_layer_limit():
    text = spec_text("  - b: {repeat: 101}\n",
                     "blocks:\n  b: {layers: [{relu: {repeat: 1000}}]}\n")
    with pytest.raises(SpecError) as exc:
        build_graph(parse_text(text))
    assert str(exc.value) == ("<string>:5:16: error: the spec expands to more than 100,000 "
                              "layers")


def test_from_through_a_long_chain_of_empty_blocks_resolves():
    """Each empty block passes on what it reads: 3,000 of them in a chain (three times
    Python's recursion limit) lead the last layer back to the first."""
    chain = "".join(f"  - e: {{name: e{i}, from: {'first' if i == 0 else f'e{i - 1}'}}}\n"
                    for i in range(3000))
    text = spec_text("  - relu: {name: first}\n" + chain + "  - relu: {name: last, "
                     "from: e2999}\n", "blocks:\n  e: {layers: []}\n")
    graph = build_graph(parse_text(text))
    assert [(n.name, n.inputs) for n in graph.nodes] == [("first", ("input",)),
                                                          ("last", ("first",))]


def test_nesting_just_under_the_limit_is_expanded():
    """15 blocks, each wrapping the next in three residuals (60 levels): no recursion
    error (the expansion keeps its nesting in generators, not Python frames)."""
    def wrap(inner):
        for _ in range(3):
            inner = "{residual: {layers: [" + inner + "], shortcut: identity}}"
        return inner
    blocks = "".join(f"  b{i}: {{layers: [{wrap(f'b{i - 1}' if i else 'relu')}]}}\n"
                     for i in range(15))
    graph = build_graph(parse_text(spec_text("  - b14\n", "blocks:\n" + blocks)))
    assert len(graph.nodes) == 1 + 2 * 45  # the ReLU, a shortcut and an add per residual


# -- what diagnostics quote ------------------------------------------------------------

def test_a_diagnostic_shows_a_window_of_a_long_line_with_the_caret_in_place():
    line = "x" * 5000 + "HERE" + "y" * 5000
    source = SourceText("f.yaml", "first\n" + line + "\n")
    text = format_diagnostic(error("bad", SourceLoc("f.yaml", 2, 5001)).diagnostics[0],
                             source)
    _, shown, caret = text.splitlines()
    assert len(shown) < 200
    assert shown[caret.index("^"):].startswith("HERE")


def test_a_message_is_cut_whatever_it_quotes():
    diag = error("unknown thing '" + "z" * 10_000 + "'", None).diagnostics[0]
    assert len(diag.message) < 2100
    assert diag.message.endswith("… (10,016 characters)")


# -- the three commands that read a spec say the same -------------------------------------

@pytest.mark.parametrize("command", ["check", "diagram", "compile", "verify"])
def test_every_command_diagnoses_a_from_cycle(cli, command):
    if command in ("compile", "verify"):
        pytest.importorskip("torch")
    path = DATA / "bad" / "from_empty_block.yaml"
    result = cli(command, path)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:9:24: error: the `from:` names form a cycle through empty blocks: "
        "a (line 9) → a (line 9)")


# -- the fast paths give the answers of the plain ones -----------------------------------

LIBRARY = sorted((DATA.parent.parent / "specs").glob("*.yaml"))


class _NoMemo(dict):
    def get(self, key, default=None):
        return default

    def __setitem__(self, key, value):
        pass


@pytest.mark.parametrize("path", LIBRARY + sorted((DATA / "invalid").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_reused_layer_results_change_nothing(path, monkeypatch):
    """Layers alike share one inference; without the memo every figure, row, group and
    finding is the same."""
    spec = parse_file(path)
    symbolic = {k: v for k, v in spec.defaults.items()
                if k not in {str(d) for d in spec.input[1:]}}
    graph = build_graph(spec, spec.defaults)  # repeat counts may be symbols (RegNet's d_i)
    with_memo = [ANALYZE.analyze(graph, b) for b in (spec.defaults, symbolic)]
    init = ANALYZE._Walk.__init__

    def no_memo(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.memo = _NoMemo()
    monkeypatch.setattr(ANALYZE._Walk, "__init__", no_memo)
    without = [ANALYZE.analyze(graph, b) for b in (spec.defaults, symbolic)]
    assert with_memo == without
    for a, b in zip(with_memo, without):
        assert [g.rows for g in a.groups] == [g.rows for g in b.groups]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_the_streamed_json_is_the_report(path):
    import json

    from archcalc.analysis.memory import estimate
    from archcalc.render.json_out import _dumps, _layer, _layer_line, render_json, to_dict

    spec = parse_file(path)
    a = ANALYZE.analyze(build_graph(spec, spec.defaults), spec.defaults)
    m = estimate(a)
    assert json.loads(render_json(a, m)) == json.loads(json.dumps(to_dict(a, m)))
    memo: dict = {}
    assert [_layer_line(r, memo) for r in a.rows] == [_dumps(_layer(r)) for r in a.rows]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_located_values_are_those_yaml_compose_gives(path):
    """The nodes built from the parser's events have compose's values and positions."""
    import yaml

    from archcalc.spec.yamlnodes import LMap, LSeq, load

    text = path.read_text(encoding="utf-8")

    def pairs(ours, theirs):
        mark = theirs.start_mark
        assert (ours.loc.line, ours.loc.column) == (mark.line + 1, mark.column + 1)
        if isinstance(ours, LMap):
            for (k, v), (tk, tv) in zip(ours.items, theirs.value, strict=True):
                pairs(k, tk)
                pairs(v, tv)
        elif isinstance(ours, LSeq):
            for o, t in zip(ours.items, theirs.value, strict=True):
                pairs(o, t)
        else:
            assert str(ours.value).lower() == theirs.value.lower() or ours.value in (
                None, True, False) or float(ours.value) == float(theirs.value)
    pairs(load(text), yaml.compose(text, Loader=yaml.SafeLoader))


@pytest.mark.parametrize("error_type", [MemoryError, RecursionError])
def test_running_out_of_memory_is_a_diagnostic(cli, monkeypatch, error_type):
    """A process given less memory than a spec at the limits needs ends with a diagnostic."""
    def exhausted(*_, **__):
        raise error_type()
    monkeypatch.setattr("archcalc.design.analyze", exhausted)
    result = cli("check", "lenet5")
    assert result.exit_code == 2
    what = "memory" if error_type is MemoryError else "Python's stack"
    assert result.stderr.splitlines()[0] == (
        f"lenet5:1:1: error: archcalc ran out of {what} working on this spec")
    assert "Traceback" not in result.stderr
