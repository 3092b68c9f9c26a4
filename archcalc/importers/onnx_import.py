"""`archcalc import FILE.onnx`: an ONNX graph read as data (no code runs), mapped node by
node, verified before it is returned.

An ONNX file is input from a stranger, like a spec: its size is checked before it is read
(MAX_BYTES), its node count and the bytes that parse into many small objects before it
is parsed (MAX_NODES, the spec's layer limit; onnx_wire.py), and
external data is never read — a layer needs only a weight's shape, which the file itself
holds — but a reference to data outside the file's own folder is refused all the same.

Verification: the spec's trainable parameters plus buffers equal the sizes of the
floating-point initializers its layers read as weights, and its output shape the graph's.
"""

from __future__ import annotations

from pathlib import Path

from .emit import layer_name, parse_dims, spec_text
from .ir import Imported, ImportRefused, Op, Unsupported
from .onnx_map import MAP, WEIGHTED, Malformed
from .onnx_wire import measure
from .verify import analyse, compare

MAX_BYTES = 1 << 30   # 1 GiB: protobuf's own limit is 2 GiB; larger models keep weights outside
MAX_NODES = 100_000   # the spec language's layer limit (docs/spec.md, Limits)
_FLOATS = {1, 10, 11, 16}  # TensorProto FLOAT, FLOAT16, DOUBLE, BFLOAT16


class Graph:
    """The initializers' shapes, the small constants, and the value shapes."""

    def __init__(self, model):
        from onnx import numpy_helper

        self.inits = {t.name: t for t in model.graph.initializer}
        for node in model.graph.node:  # torch's exporter names shared weights by Identity
            if node.op_type == "Identity" and node.input and node.output and \
                    node.input[0] in self.inits:
                self.inits[node.output[0]] = self.inits[node.input[0]]
        self.constants = {}
        for t in model.graph.initializer:
            if t.data_location != 1 and len(t.dims) <= 1 and _numel(t.dims) <= 16:
                self.constants[t.name] = numpy_helper.to_array(t)
        for node in model.graph.node:
            if node.op_type == "Constant" and node.attribute and node.output:
                a = node.attribute[0]
                if a.name == "value" and _numel(a.t.dims) <= 16:
                    self.constants[node.output[0]] = numpy_helper.to_array(a.t)

    def shape(self, name: str) -> list[int]:
        if name not in self.inits:
            raise Unsupported(f"its weight '{name}' is computed, not an initializer")
        return [int(d) for d in self.inits[name].dims]

    def constant(self, name: str):
        return self.constants.get(name)

    def scalar(self, name: str):
        v = self.constant(name)
        if v is None or v.size != 1:
            raise Unsupported(f"'{name}' is not a constant number")
        return float(v.reshape(()))


def _numel(dims) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n


def load_model(path: str):
    import onnx

    p = Path(path)
    if not p.is_file():
        raise ImportRefused(f"no ONNX file '{path}'")
    if p.stat().st_size > MAX_BYTES:
        raise ImportRefused(f"{path} holds {p.stat().st_size:,} bytes, more than the "
                            f"{MAX_BYTES:,} an ONNX import reads")
    measure(str(p), MAX_NODES)
    try:
        model = onnx.ModelProto()  # onnx.load takes ~7x the memory on nested graphs
        model.ParseFromString(p.read_bytes())  # external data: never loaded
    except Exception as exc:
        raise ImportRefused(f"{path} is not a readable ONNX file: {str(exc)[:200]}") from None
    folder = p.resolve().parent
    for t in model.graph.initializer:
        if t.data_location == 1:  # EXTERNAL
            where = next((e.value for e in t.external_data if e.key == "location"), "")
            if not where or (folder / where).resolve().parent != folder:
                raise ImportRefused(f"initializer '{t.name[:60]}' keeps its data at "
                                    f"'{where[:80]}', outside the file's own folder")
    return model


def _dims(value_info) -> tuple:
    t = value_info.type.tensor_type
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)


def import_onnx(path: str, input_dims: str | None, partial: bool) -> Imported:
    """The verified spec of an ONNX file. A file from a stranger ends in a spec or in a
    refusal, never in a traceback: whatever a malformed graph makes fail is refused."""
    try:
        return _import(path, input_dims, partial)
    except ImportRefused:
        raise
    except Exception as exc:  # a malformed file: a missing attribute, a wrong type, …
        raise ImportRefused(f"{path} is not a well-formed ONNX graph: {type(exc).__name__}: "
                            f"{str(exc)[:200]}") from None


def _import(path: str, input_dims: str | None, partial: bool) -> Imported:
    import onnx

    model = load_model(path)
    graph = Graph(model)
    inputs = [i for i in model.graph.input if i.name not in graph.inits]
    if len(inputs) != 1:
        raise ImportRefused(f"the graph has {len(inputs)} inputs; archcalc networks have one")
    dims = own = _dims(inputs[0])[1:]
    if input_dims:
        dims = parse_dims(input_dims)
    if not dims or None in dims:
        raise ImportRefused(f"the input's size is not fixed in the file ({dims}): give it "
                            "with --input C,H,W")
    ops, notes, weights, stopped = to_ops(model, graph, inputs[0].name, partial)
    if stopped is None and tuple(dims) == tuple(own):  # the graph's own output, at its size
        out_shape = _dims(model.graph.output[0])[1:]
        if None in out_shape or not out_shape:
            inferred = onnx.shape_inference.infer_shapes(model)
            out_shape = _dims(inferred.graph.output[0])[1:]
    else:
        out_shape = None
    if not any(n.op_type == "BatchNormalization" for n in model.graph.node) and any(
            o.kind == "conv" and o.args.get("bias") for o in ops):
        notes.append("the graph has no BatchNormalization: if the model had any, the "
                     "exporter folded it into the convolutions' weights and biases (torch "
                     "keeps it with training=TrainingMode.PRESERVE, do_constant_folding=False)")
    header = [f"imported by archcalc from {Path(path).name} (ONNX)",
              f"{len(ops)} layers, verified: parameters and buffers equal the weights' sizes"
              + (", the output shape the graph's" if out_shape else "")] + notes
    text = spec_text(model.graph.name or Path(path).stem, dims, ops, header)
    size = sum(_numel(graph.inits[w].dims) for w in weights
               if graph.inits[w].data_type in _FLOATS)
    compare(analyse(text, f"<import of {path}>"),
            {"parameters and buffers": size,
             "output shape": tuple(out_shape) if out_shape and None not in out_shape else None})
    return Imported(text, notes, size, None)


def to_ops(model, graph: Graph, input_name: str, partial: bool):
    """(ops, notes, weight initializer names read, the node --partial stopped at or None)."""
    ops: list[Op] = []
    names = {input_name: "input"}  # tensor -> layer name
    by_name: dict[str, Op] = {}
    taken: set[str] = set()
    weights: list[str] = []
    known = set(graph.inits) | set(graph.constants)
    for node in model.graph.node:
        label = node.name or (node.output or [""])[0]
        where = f"node '{_printable(label)}' ({_printable(node.op_type[:40])})"
        if not node.output or not node.output[0]:
            raise ImportRefused(f"{where} has no output")
        if all(i in known or not i for i in node.input):  # constants, and their copies
            known.update(node.output)
            continue
        unknown = next((i for i in node.input if i and i not in known and i not in names), None)
        if unknown is not None:  # ONNX lists nodes in topological order (IR spec, Graphs)
            raise ImportRefused(f"{where} reads '{_printable(unknown)}', which neither the "
                                "input, an initializer nor an earlier node gives: the graph "
                                "is cyclic or out of order")
        try:
            if node.op_type not in MAP:
                raise Unsupported(f"operation {node.op_type}")
            kind, args = MAP[node.op_type](node, graph)
            tensors = [i for i in node.input if i in names]
            read = []
            if node.op_type in WEIGHTED:
                tensors = tensors[:1]
                read = [graph.inits[i].name for i in node.input[1:] if i in graph.inits]
            elif kind == "add" and len(tensors) == 1:  # MatMul's bias
                prev = by_name.get(names[tensors[0]])
                bias = [i for i in node.input if i in graph.inits]
                if prev and prev.kind == "linear" and not prev.args["bias"] and bias \
                        and graph.shape(bias[0])[-1:] == [prev.args["out"]]:
                    prev.args["bias"] = True
                    prev.weights += [graph.inits[b].name for b in bias]
                    weights += prev.weights[-len(bias):]
                    names[node.output[0]] = prev.name
                    continue
            if len(tensors) != (2 if kind in ("add", "multiply") else
                                len(tensors) if kind == "concat" else 1):
                raise Unsupported(f"{len(tensors)} layer inputs to a {node.op_type} "
                                  "(a constant operand archcalc has no layer for)")
        except Unsupported as why:
            if partial and ops:
                return ops, [f"--partial: stopped before {where}: {why}"], weights, node
            if isinstance(why, Malformed):
                raise ImportRefused(f"{where} is malformed: {why}",
                                    "--partial imports the layers before it") from None
            raise ImportRefused(f"{where}: archcalc has no layer for it — {why}",
                                "--partial imports the layers before it") from None
        name = layer_name(_path(node), taken)
        op = Op(name, kind, args, [names[t] for t in tensors], node.name, weights=read)
        weights += read
        ops.append(op)
        by_name[name] = op
        names[node.output[0]] = name
    if not ops:
        raise ImportRefused("the graph has no layers: no node reads its input")
    if len(model.graph.output) != 1:
        raise ImportRefused(f"the graph has {len(model.graph.output)} outputs; archcalc "
                            "networks have one")
    out = model.graph.output[0].name
    if names.get(out) != ops[-1].name:
        raise ImportRefused(f"the graph's output '{_printable(out)}' is not its last layer")
    return ops, [], weights, None


def _printable(name: str) -> str:
    """A name from the file, for a message: 60 characters, escapes for the unprintable."""
    return name[:60].encode("unicode_escape").decode("ascii")


def _path(node) -> str:
    """torch's exporter names nodes by module path: '/layer1/layer1.0/conv1/Conv' ->
    'layer1.0.conv1'; a function keeps its operation: '/layer1/layer1.0/Add' ->
    'layer1.0.add'."""
    parts = [p for p in (node.name or node.output[0]).strip("/").split("/") if p]
    if len(parts) > 1 and parts[-1].split("_")[0] == node.op_type and node.op_type in WEIGHTED | {
            "Relu", "Clip", "MaxPool", "AveragePool", "Sigmoid", "HardSwish", "HardSigmoid"}:
        parts = parts[:-1]
    path: list[str] = []  # each scope is named relative to its parent: 'conv', 'conv.0'
    for p in parts:
        if path and p.startswith(path[-1] + "."):
            path[-1] = p
        else:
            path.append(p)
    return ".".join(path).lower()
