"""ONNX files from strangers: `archcalc import x.onnx` and `archcalc check x.onnx` end in a
verified spec or a diagnostic and exit 2 — never a traceback, never a hang, never memory
in proportion to a bomb. Each hostile file is a fixture built here and its refusal is
asserted by its text; a hypothesis test wires random nodes with absurd attributes.

The byte-level fuzz (bytes changed, the file cut short) is in test_importers.py;
bench/hostile_inputs.py times the bombs as whole processes.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")

from onnx import AttributeProto, TensorProto, helper  # noqa: E402

from archcalc.importers import onnx_wire  # noqa: E402


def save(path, nodes, inits=(), in_shape=(1, 3, 8, 8), out_shape=(1, 3, 8, 8)):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     in_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                          list(inits))
    path.write_bytes(helper.make_model(g).SerializeToString())
    return path


def tensor(name, dims, values=None):
    """A float initializer; without values, only its dims (a shape is all a layer reads)."""
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    if values is not None:
        t.float_data.extend(values)
    return t


W = [tensor("w", [4, 3, 3, 3], [0.0] * 108)]


def conv(**attrs):
    return [helper.make_node("Conv", ["x", "w"], ["y"], name="c", **attrs)]


def ints_attr(node, name, values):
    node.attribute.append(helper.make_attribute(name, values, attr_type=AttributeProto.INTS))
    return node


def _ld(field: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (protobuf.dev/programming-guides/encoding)."""
    n, size = len(payload), bytearray()
    while True:
        size.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes([field << 3 | 2]) + bytes(size) + payload


def wire_model(path, nodes: bytes):
    """A model whose graph holds `nodes`, serialized NodeProtos written on the wire (so
    that millions of them take a second, not the minute of helper.make_graph)."""
    model = helper.make_model(helper.make_graph(
        [], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 3, 8, 8))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 3, 8, 8))]))
    graph = model.graph.SerializeToString() + nodes
    model.ClearField("graph")
    path.write_bytes(model.SerializeToString() + _ld(7, graph))
    return path


RELU = _ld(1, helper.make_node("Relu", ["x"], ["y"]).SerializeToString())


def nested_bomb(path, nodes: int):
    """An If node whose branch holds `nodes` Relu nodes."""
    attr = AttributeProto(name="then_branch", type=AttributeProto.GRAPH).SerializeToString()
    node = helper.make_node("If", ["x"], ["y"]).SerializeToString() + _ld(
        5, attr + _ld(6, RELU * nodes))
    return wire_model(path, _ld(1, node))


def raw(path, data: bytes):
    path.write_bytes(data)
    return path


# (name, how to write it, the refusal's text)
CASES = [
    ("kernel 10**9", lambda p: save(p, conv(kernel_shape=[10**9, 10**9]), W),
     "the kernel (1000000000) is larger than the padded input"),
    ("negative strides", lambda p: save(p, conv(kernel_shape=[3, 3], strides=[-1, -2]), W),
     "conv.stride[0] must be positive, got -1"),
    ("empty pads", lambda p: save(p, [ints_attr(conv(kernel_shape=[3, 3])[0], "pads", [])], W),
     "node 'c' (Conv) is malformed: pads holds 0 values; this node takes 4"),
    ("a kernel that is a string", lambda p: save(p, conv(kernel_shape="abc"), W),
     "node 'c' (Conv) is malformed: kernel_shape is not a list of integers"),
    ("3 kernel sizes on a 2-d conv", lambda p: save(p, conv(kernel_shape=[3, 3, 3]), W),
     "node 'c' (Conv) is malformed: kernel_shape holds 3 values; this node takes 2"),
    ("unknown auto_pad", lambda p: save(p, conv(kernel_shape=[3, 3], auto_pad="WHATEVER"), W),
     "auto_pad 'WHATEVER' is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER"),
    ("a 1-d conv weight", lambda p: save(p, conv(), [tensor("w", [4], [0.0] * 4)]),
     "node 'c' (Conv) is malformed: its weight 'w' has 1 dims; it takes at least 3"),
    ("a weight of 10**12 filters", lambda p: save(p, conv(), [tensor("w", [10**12, 3, 3, 3])]),
     "output shape: the spec gives (1000000000000, 6, 6), the source (3, 8, 8)"),
    ("a MaxPool without a kernel", lambda p: save(p, [helper.make_node("MaxPool", ["x"], ["y"],
                                                                      name="p")]),
     "node 'p' (MaxPool) is malformed: it has no kernel_shape"),
    ("a Clip to infinity", lambda p: save(p, [helper.make_node("Clip", ["x"], ["y"], name="k",
                                                              min=-1e308, max=1.0)]),
     "node 'k' (Clip) is malformed: min is -inf, not a finite float32"),
    ("a NaN epsilon", lambda p: save(p, [helper.make_node(
        "BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn", epsilon=float("nan"))],
        [tensor(n, [3], [0.0] * 3) for n in "sbmv"]),
     "node 'bn' (BatchNormalization) is malformed: epsilon is nan, not a finite float32"),
    ("a cycle", lambda p: save(p, [helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                                   helper.make_node("Relu", ["a"], ["b"], name="n2"),
                                   helper.make_node("Relu", ["b"], ["y"], name="n3")]),
     "node 'n1' (Add) reads 'b', which neither the input, an initializer nor an earlier node "
     "gives: the graph is cyclic or out of order"),
    ("a node with no output", lambda p: save(p, [helper.make_node("Relu", ["x"], [])]),
     "node '' (Relu) has no output"),
    ("no nodes", lambda p: save(p, []), "the graph has no layers: no node reads its input"),
    ("an Identity of nothing", lambda p: save(p, [helper.make_node("Identity", [], ["y"])]),
     "the graph has no layers: no node reads its input"),
    ("2,000,000 nodes in 28 MB", lambda p: wire_model(p, RELU * 2_000_000),
     "has more than 100,000 nodes; an ONNX import reads at most 100,000"),
    ("2,400,000 nodes nested in an If", lambda p: nested_bomb(p, 2_400_000),
     "bytes of nodes, names and lists besides its weights' values, the most an ONNX import "
     "parses"),
    ("random bytes", lambda p: raw(p, bytes(range(256)) * 20),
     "is not a readable ONNX file: its protobuf wire format is broken"),
    ("a name that writes lines", lambda p: save(p, [helper.make_node(
        "Sin", ["x"], ["y"], name="a\nlayers: [fc]\x1b[2J")]),
     "node 'a\\nlayers: [fc]\\x1b[2J' (Sin): archcalc has no layer for it"),
]


@pytest.mark.parametrize("command", ["import", "check"])
@pytest.mark.parametrize("name,write,text", CASES, ids=[c[0] for c in CASES])
def test_hostile_onnx_files_are_refused_with_their_reason(cli, tmp_path, command, name,
                                                          write, text):
    path = write(tmp_path / "x.onnx")
    r = cli(command, path)  # the fixture lets any exception through: none may come
    assert r.exit_code == 2, r.output
    assert "error: " in r.output and text in r.output
    assert "Traceback" not in r.output


def test_the_wire_walk_is_bounded(tmp_path, monkeypatch):
    """The walk before parsing reads at most MAX_FIELDS fields, whatever the file holds."""
    from archcalc.importers import ImportRefused

    save(tmp_path / "x.onnx", [helper.make_node("Relu", ["x"], ["y"])],
         [tensor(f"t{i}", [1], [0.0]) for i in range(50)])
    onnx_wire.measure(str(tmp_path / "x.onnx"), 10)  # 50 initializers: within the limits
    monkeypatch.setattr(onnx_wire, "MAX_FIELDS", 100)
    with pytest.raises(ImportRefused, match="holds more than 100 entries in its graph's "
                                            "lists, the most an ONNX import reads"):
        onnx_wire.measure(str(tmp_path / "x.onnx"), 10)


OPS = ["Conv", "MaxPool", "AveragePool", "Relu", "Add", "Concat", "Gemm", "MatMul", "Clip",
       "BatchNormalization", "Flatten", "Reshape", "GlobalAveragePool", "LeakyRelu", "Mul",
       "HardSigmoid", "ConvTranspose", "Identity", "Sin"]
ABSURD = st.one_of(st.integers(-2**63, 2**63 - 1), st.sampled_from([0, -1, 1, 10**9]))
ATTRS = st.dictionaries(
    st.sampled_from(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad",
                     "axis", "alpha", "epsilon", "transB", "output_padding", "ceil_mode"]),
    st.one_of(st.lists(ABSURD, max_size=5), ABSURD, st.floats(allow_nan=True),
              st.sampled_from(["SAME_UPPER", "VALID", "x", ""])), max_size=4)


@st.composite
def graphs(draw):
    """Up to six nodes, each reading earlier tensors, later ones (a cycle) or weights of
    random shapes, with random attributes."""
    names = ["x"]
    nodes, inits = [], []
    count = draw(st.integers(1, 6))
    for i in range(count):
        op = draw(st.sampled_from(OPS))
        inputs = [draw(st.sampled_from(names + [f"t{count}"]))]
        for j in range(draw(st.integers(0, 3))):
            dims = draw(st.lists(st.integers(0, 2**40), max_size=5))
            inits.append(TensorProto(name=f"w{i}_{j}", data_type=TensorProto.FLOAT, dims=dims))
            inputs.append(f"w{i}_{j}")
        out = "y" if i == count - 1 else f"t{i + 1}"
        node = helper.make_node(op, inputs, [out], name=f"n{i}")
        for key, value in draw(ATTRS).items():
            if isinstance(value, list) and not value:
                ints_attr(node, key, [])
            else:
                node.attribute.append(helper.make_attribute(key, value))
        nodes.append(node)
        names.append(out)
    shape = draw(st.lists(st.integers(-1, 2**40), min_size=0, max_size=6))
    return nodes, inits, shape


@settings(max_examples=int(os.environ.get("ARCHCALC_FUZZ_EXAMPLES", 80)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(), st.sampled_from(["import", "check"]))
def test_random_hostile_graphs_end_in_a_spec_or_a_refusal(cli, tmp_path, graph, command):
    nodes, inits, shape = graph
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    (tmp_path / "x.onnx").write_bytes(helper.make_model(g).SerializeToString())
    r = cli(command, tmp_path / "x.onnx")
    assert r.exit_code in (0, 1, 2), r.output
    if r.exit_code == 2:
        assert "error: " in r.output
