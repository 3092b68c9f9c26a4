"""`archcalc import torch:MODULE:CALLABLE` / `FILE.py:CALLABLE`: build, trace, map, verify.

Tracing is torch.fx's `symbolic_trace`, not `torch.export`: fx keeps each leaf module as
one `call_module` node with its path (`layer1.0.conv1`) and the module object, so a layer
is read from the module's own settings, and it runs on a model built on the meta device
without a real input; torch.export lowers modules to aten ops (a convolution becomes
`aten.convolution` with positional arguments, BatchNorm a functional call), loses the
module boundaries a spec's names and blocks come from, and needs example inputs. fx cannot
trace data-dependent Python control flow; such a model is refused with fx's own message.

Verification: the spec, analysed by archcalc, must give the traced model's trainable
parameters, floating-point buffers and FlopCounterMode FLOPs on the meta device.
"""

from __future__ import annotations

from .emit import layer_name, parse_dims, spec_text
from .ir import Imported, ImportRefused, Op, Unsupported
from .torch_map import function_layer, module_layer
from .torch_patterns import mark
from .torch_source import build
from .verify import analyse, compare


def import_torch(target: str, args: tuple[str, ...], input_dims: str | None,
                 partial: bool) -> Imported:
    import torch.fx as fx

    model, device = build(target, args)
    dims = parse_dims(input_dims)
    try:
        traced = fx.symbolic_trace(model)
    except Exception as exc:
        raise ImportRefused(f"torch.fx cannot trace '{target}': {type(exc).__name__}: "
                            f"{str(exc)[:300]}",
                            "fx traces Python control flow that does not depend on tensor "
                            "values; see README, Importing models") from None
    mark(traced)
    ops, notes, last = to_ops(traced, partial)
    notes += unused(model, traced)
    header = [f"imported by archcalc from {target}" +
              (f" with {', '.join(args)}" if args else ""),
              f"{len(ops)} layers, verified: parameters, buffers and FLOPs equal the source's"]
    if last is not None and notes:
        header.append(notes[-1])
    expected = source_figures(traced, last, dims, device)
    text = structured(type(model).__name__, dims, ops, header, expected, target, notes)
    if text is None:
        text = spec_text(type(model).__name__, dims, ops, header)
        compare(analyse(text, f"<import of {target}>"), expected)
    return Imported(text, notes, expected["trainable parameters"], expected["FLOPs"])


def structured(name, dims, ops, header, expected, target, notes) -> str | None:
    """The spec with blocks, repeats and residuals (structure.py), verified; None, with a
    note, where it cannot be written or does not verify (the flat spec is written)."""
    from . import spec_out
    from .structure import Flat, Struct

    try:
        s = Struct(ops, dims[0])
        items = s.convert("", list(range(len(ops))), "", {ops[0].inputs[0]: "input"},
                          "input")
        if not s.instances:
            return None
        blocks = spec_out.finalize(s.instances)
        text = spec_out.spec_text(name, dims, blocks, items, header)
    except Flat as why:
        notes.append(f"written flat, without blocks: {why}")
        return None
    except Exception as exc:  # a shape of model structure.py does not know: still exact
        notes.append(f"written flat, without blocks ({type(exc).__name__}: {exc})"[:300])
        return None
    try:
        compare(analyse(text, f"<import of {target}>"), expected)
    except ImportRefused as exc:
        notes.append("written flat, without blocks: the structured spec did not verify "
                     f"({exc.diagnostics[0].message[:200]})")
        return None
    return text


def to_ops(traced, partial: bool):
    """(ops, notes, the last imported fx node when --partial stopped early, else None)."""
    ops: list[Op] = []
    names: dict = {}  # fx node -> layer name ("input" for the placeholder)
    taken: set[str] = set()
    calls: dict[str, str] = {}  # module path -> first node calling it (weights shared?)
    modules = dict(traced.named_modules())

    def is_tensor(a) -> bool:
        return a in names

    for node in traced.graph.nodes:
        if node.op == "placeholder":
            if names:
                raise ImportRefused(f"forward takes more than one input ('{node.name}'): "
                                    "archcalc networks have one")
            names[node] = "input"
            continue
        tag = node.meta.get("archcalc", ())  # torch_patterns.py
        if tag[:1] == ("drop",) or tag[:1] == ("pass",):
            if tag[0] == "pass":
                names[node] = names[tag[1]]
            continue
        if node.op == "output":
            out = node.args[0]
            if not is_tensor(out):
                raise ImportRefused("forward returns a tuple or a dict, not one tensor: "
                                    "archcalc networks have one main output")
            if names[out] != ops[-1].name:
                raise ImportRefused(f"the output is '{out.name}', not the last layer")
            return ops, [], None
        try:
            placed = False
            if node.op == "call_module":
                m = modules[node.target]
                kind, settings = (tag[1], dict(tag[2])) if tag else module_layer(m)
                inputs = list(tag[3]) if tag else [a for a in node.args if is_tensor(a)]
                if any(True for _ in m.parameters()):
                    if node.target in calls:
                        raise Unsupported(f"a second call of '{node.target}', whose weights "
                                          "are shared (archcalc layers own their weights)")
                    calls[node.target] = node.name
                path = node.target
            elif node.op in ("call_function", "call_method"):
                kind, settings, inputs = (tag[1], dict(tag[2]), list(tag[3])) if tag else \
                    function_layer(node, is_tensor)
                stack = node.meta.get("nn_module_stack") or {}
                owner = next(reversed(stack.values()))[0] if stack else ""
                placed = bool(tag) and len(tag) > 4  # at its weights' module (patterns)
                path = tag[4] if placed else f"{owner}.{kind}" if owner else kind
            else:
                raise Unsupported(f"a {node.op} node (a parameter or buffer used directly)")
            stack = [v for v in (node.meta.get("nn_module_stack") or {}).values()]
            scope = tuple((p, c) for p, c in stack if p != path)
            if len(inputs) != (len(inputs) if kind in ("add", "concat", "multiply") else 1) \
                    or not inputs:
                raise Unsupported(f"{len(inputs)} tensor inputs")
        except Unsupported as why:
            where = f"node '{node.name}' ({node.op} {_label(node)})"
            if partial and ops:
                return ops, [f"--partial: stopped before {where}: {why}"], ops_last(traced, names, ops)
            raise ImportRefused(f"{where}: archcalc has no layer for it — {why}",
                                "--partial imports the layers before it") from None
        then = settings.pop("then", None)  # a second layer for the same node
        name = layer_name(path, taken)
        ops.append(Op(name, kind, settings, [names[a] for a in inputs], node.target
                      if isinstance(node.target, str) else node.name, path, scope,
                      node.op == "call_module" or placed))
        if then:
            ops.append(Op(layer_name(f"{path}.{then}", taken), then, {}, [name], node.name,
                          f"{path}.{then}", scope))
        names[node] = ops[-1].name
    raise ImportRefused("the traced graph has no output")


def unused(model, traced) -> list[str]:
    """A note on the weights of modules forward never calls in eval mode (Inception's
    auxiliary head): the spec has the model as it runs, without them."""
    used = {n for n, _ in traced.named_parameters()}
    missing = {n: p.numel() for n, p in model.named_parameters() if n not in used}
    if not missing:
        return []
    owners = sorted({n.split(".")[0] for n in missing})  # the model's own attributes
    return [f"{sum(missing.values()):,} parameters of modules that forward does not call "
            f"in eval mode are not in the spec: {', '.join(owners[:6])}"
            + (" …" if len(owners) > 6 else "")]


def ops_last(traced, names, ops):
    """The fx node of the last imported op."""
    return next(n for n, v in names.items() if v == ops[-1].name)


def _label(node) -> str:
    t = node.target
    return t if isinstance(t, str) else f"{getattr(t, '__module__', '')}.{getattr(t, '__name__', t)}"


def source_figures(traced, last, dims, device) -> dict:
    """The traced model's trainable parameters, float buffers and FLOPs (up to `last`
    when --partial stopped early), on the meta device."""
    import torch
    import torch.fx as fx
    from torch.utils.flop_counter import FlopCounterMode

    module = traced
    if last is not None:
        graph = fx.Graph()
        env = {}
        for node in traced.graph.nodes:
            if node.op == "output":
                break
            env[node] = graph.node_copy(node, lambda n: env[n])
            if node is last:
                break
        graph.output(env[last])
        module = fx.GraphModule(traced, graph)
        module.graph.eliminate_dead_code()
        module.recompile()
    module = module.to("meta") if device != "meta" else module
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in module.named_buffers()
                  if b.is_floating_point() and not n.endswith("num_batches_tracked"))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.empty(1, *dims, device="meta"))
    return {"trainable parameters": trainable, "buffers": buffers,
            "FLOPs": counter.get_total_flops()}
