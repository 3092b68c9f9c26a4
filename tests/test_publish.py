"""Publishing the language and the picture: `archcalc schema`, `archcalc ops`,
`archcalc diagram` (Mermaid, DOT, and SVG where Graphviz is installed)."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest
from helpers import DATA, SPECS

from archcalc.layers import ALIASES, KINDS
from archcalc.spec.yamlnodes import load, to_python


@pytest.fixture(scope="module")
def validator(request):
    from click.testing import CliRunner

    from archcalc.cli import main

    schema = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_library_spec_validates(validator, path):
    errors = list(validator.iter_errors(to_python(load(path.read_text()))))
    assert not errors, errors[0].message


@pytest.mark.parametrize("name", ["unknown_arg", "zero_kernel", "unknown_top_key",
                                  "dropout_range", "missing_field", "missing_version"])
def test_bad_specs_do_not_validate(validator, name):
    assert not validator.is_valid(to_python(load((DATA / "bad" / f"{name}.yaml").read_text())))


def test_schema_covers_every_kind_and_alias(validator):
    item = validator.schema["$defs"]["item"]["anyOf"][1]["properties"]
    assert set(KINDS) | set(ALIASES) <= set(item)
    conv = validator.schema["$defs"]["kind_conv"]
    assert "padding_mode" in conv["anyOf"][1]["properties"]


def test_diagram_mermaid_and_dot(cli):
    mermaid = cli("diagram", "resnet18").stdout
    assert mermaid.startswith("flowchart TD")
    assert 'n_layer2_0_conv1["conv1<br/>conv 3×3, stride 2, pad 1<br/>128×28×28"]' in mermaid
    assert 'n_layer2_0_conv2["conv2<br/>conv 3×3, pad 1<br/>128×28×28"]' in mermaid
    assert "subgraph n_layer2_g" in mermaid and "n_layer2_0_bn2 --> n_layer2_0_add1" in mermaid
    dot = cli("diagram", "resnet18", "--format", "dot", "--collapse").stdout
    assert dot.startswith('digraph "ResNet-18"') and 'n_layer3 [label="layer3\\nbasic ×2' in dot
    assert "n_layer3 -> n_layer4 [weight=2];" in dot


def test_diagram_marks_invalid_layers_with_a_legend_and_says_why(cli):
    result = cli("diagram", DATA / "invalid" / "seed003_stride.yaml")
    assert "style n_conv1 fill:#f4cccc" in result.stdout
    assert 'legend_error["error: the layer does not fit"]' in result.stdout
    assert result.exit_code == 1  # as `check` exits: the diagram is drawn, the spec is invalid
    assert "seed003_stride.yaml:6:39: error: conv1: H, W: (10 − 3 + 2·0)/2 + 1 = 4.5" in \
        result.stderr
    dot = cli("diagram", DATA / "invalid" / "seed003_stride.yaml", "--format", "dot").stdout
    assert 'legend_error [label="error: the layer does not fit", fillcolor="#f4cccc"];' in dot
    assert 'n_conv1 [label="conv1\\nconv 3×3, stride 2\\n4×4×4", fillcolor="#f4cccc"];' in dot


def test_diagram_left_to_right(cli):
    assert cli("diagram", "lenet5", "--rankdir", "LR").stdout.startswith("flowchart LR")
    dot = cli("diagram", "googlenet", "--format", "dot", "--rankdir", "LR").stdout
    assert "rankdir=LR; ordering=out;" in dot


def test_diagram_svg(cli, tmp_path):
    target = tmp_path / "g.svg"
    result = cli("diagram", "lenet5", "--format", "svg", "-o", target)
    if shutil.which("dot") is None:
        assert result.exit_code == 2 and "needs Graphviz" in result.stderr
        return
    assert result.exit_code == 0
    assert target.read_text().lstrip().startswith(("<?xml", "<svg")) and "6×28×28" in \
        target.read_text()


def _branch_heads_left_to_right(svg: str, block: str) -> list[str]:
    """The branches of `block` in the order an SVG draws their first layers, left to right."""
    import re

    heads = re.findall(r"<title>n_(" + block + r"_branch\d)_(?:cbr1_conv1|pool1)</title>"
                       r"[^<]*<path[^>]*>\s*<text [^>]*x=\"([-\d.]+)\"", svg)
    firsts: dict[str, float] = {}
    for branch, x in heads:
        firsts.setdefault(branch, float(x))
    return sorted(firsts, key=firsts.get)


def test_diagram_dot_declares_the_branches_as_written_and_keeps_them_compact(cli):
    dot = cli("diagram", "googlenet", "--format", "dot").stdout
    order = [dot.index(f"subgraph cluster_n_inception3a_branch{i} ") for i in (1, 2, 3, 4)]
    assert order == sorted(order)
    # newrank: sibling clusters are ordered as Graphviz installs them; an edge inside a
    # branch weighs more than the ones into the merge, so a short branch stays compact.
    assert "newrank=true;" in dot
    assert "n_inception3a_branch1_cbr1_conv1 -> n_inception3a_branch1_cbr1_bn1 [weight=2];" \
        in dot and "n_inception3a_branch1_cbr1_relu1 -> n_inception3a_concat1;" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_diagram_svg_draws_inception_branches_in_the_order_written(cli, tmp_path):
    # They came out 3, 2, 4, 1: the order Graphviz's crossing minimisation left them in.
    target = tmp_path / "g.svg"
    assert cli("diagram", "googlenet", "--format", "svg", "-o", target).exit_code == 0
    svg = target.read_text()
    for block in ("inception3a", "inception4e", "inception5b"):
        assert _branch_heads_left_to_right(svg, block) == [
            f"{block}_branch{i}" for i in (1, 2, 3, 4)]


def _svg_unit_test_input() -> bytes:
    """A small SVG laid out as Graphviz writes one: a cluster with a title, then an edge."""
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt">'
            b'<g id="graph0" class="graph"><g id="clust1" class="cluster"><title>c</title>'
            b'<path d="M0,0"/><text x="1" y="2">b1 (branch)</text></g>'
            b'<g id="edge1" class="edge"><title>a-&gt;b</title><path d="M0,0"/></g></g></svg>')


def test_svg_cluster_titles_are_drawn_after_the_edges_with_a_halo():
    # An edge entering a narrow cluster from above ran through its title, drawn over it.
    import xml.etree.ElementTree as ET

    from archcalc.render.svg_titles import titles_over_edges

    root = ET.fromstring(titles_over_edges(_svg_unit_test_input()))
    ns = "{http://www.w3.org/2000/svg}"
    graph = root.find(f"{ns}g")
    assert [g.get("class") for g in graph.findall(f"{ns}g")] == [
        "cluster", "edge", "cluster-titles"]
    assert graph.find(f"{ns}g[@class='cluster']/{ns}text") is None
    title = graph.find(f"{ns}g[@class='cluster-titles']/{ns}text")
    assert title.text == "b1 (branch)" and "paint-order:stroke" in title.get("style")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_diagram_svg_draws_every_cluster_title_last(cli, tmp_path):
    target = tmp_path / "g.svg"
    assert cli("diagram", "googlenet", "--format", "svg", "-o", target).exit_code == 0
    svg = target.read_text()
    last_edge = svg.rindex('class="edge"')
    titles = svg.index('class="cluster-titles"')
    assert last_edge < titles and svg.count("paint-order:stroke") == svg.count(
        'class="cluster"') > 50
    assert ">inception3a (inception)</text>" in svg[titles:]
