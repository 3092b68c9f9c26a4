"""The lines under every report: totals, the FLOP convention, the input sizes that fit."""

from __future__ import annotations

from ..analysis.result import Analysis
from .numbers import both, exact, size_bytes

OPTIMIZER_TEXT = {"sgd": "SGD (no state)", "momentum": "SGD with momentum (1× params)",
                  "adam": "Adam (2× params)", "adamw": "AdamW (2× params)"}


def memory_lines(m) -> list[str]:
    """Each term its own number. The forward pass's outputs all held at once can exceed the
    training footprint: training keeps only what backward reads (`saved`), and inference
    frees each output once the next layers have read it — so the first is an upper bound."""
    return [
        f"Memory, batch {m.batch}, activations in {m.dtype}: parameters and buffers "
        f"{size_bytes(m.params)}; every layer's output of one forward pass, if all were kept "
        f"at once, {size_bytes(m.activations)} (an upper bound: inference frees each output "
        "once it is read, training keeps only what backward needs, below)",
        f"Training footprint with {OPTIMIZER_TEXT[m.optimizer]}: {size_bytes(m.training)} = "
        f"parameters and buffers {size_bytes(m.params)} + gradients {size_bytes(m.grads)} + "
        f"optimizer state {size_bytes(m.optimizer_state)} + saved for backward "
        f"{size_bytes(m.saved)} (no CUDA context or allocator cache)",
    ]


def summary_lines(a: Analysis, memory=None) -> list[str]:
    t = a.totals
    lines = [
        f"Parameters: {both(t.params)}, all trainable" + (
            f" · buffers: {exact(t.buffers)} (BatchNorm's running statistics: state, not "
            "parameters)" if t.buffers != 0 else ""),
        f"MACs: {both(t.macs)} · FLOPs: {both(t.flops)}",
        f"Activations: {both(t.activations)} output elements per sample",
        f"Convention: {a.convention_text}.",
    ]
    if len(a.outputs) > 1:
        for o in a.outputs:
            lines.append(f"Output {o.name} alone: parameters {both(o.totals.params)}, "
                         f"MACs {both(o.totals.macs)}")
    if memory is not None:
        lines.extend(memory_lines(memory))
    if a.rounding != "cover":  # the default says nothing
        lines.append(f"Rounding: `{a.rounding}` — " + (
            "non-integer sizes are floored (PyTorch, Keras)." if a.rounding == "floor" else
            "every non-integer size is an error (the seeds' literal rule)."))
    shown: dict[tuple, list] = {}
    for v in a.valid_inputs:  # H and W with the same answer print once
        shown.setdefault((v.modulus, v.residues, v.minimum, v.maximum, v.current, v.reason),
                         []).append(v)
    for group in shown.values():
        v = group[0]
        likewise = f" — likewise {', '.join(g.symbol for g in group[1:])}" if group[1:] else ""
        if v.reason:
            axes = ", ".join(ax for g in group for ax in g.axes)
            lines.append(f"Input sizes that fit ({axes}): not computed — {v.reason}")
            continue
        smallest = f"; smallest {v.smallest}" if v.smallest is not None else ""
        now = ""
        if v.current is not None:
            now = f"; {v.symbol} = {v.current} {'fits' if v.current_fits else 'does NOT fit'}"
        lines.append(f"Input sizes that fit: {v.text}{smallest}{now}{likewise}")
    if a.bindings:
        lines.append("Evaluated at " + ", ".join(f"{k} = {v}" for k, v in a.bindings) + ".")
    if a.free_symbols:
        lines.append("Symbolic in " + ", ".join(a.free_symbols) +
                     " (bind with --set NAME=VALUE).")
    return lines
