"""A layer's PyTorch module, from the counterpart its kind describes as a `Call`.

Each layer kind (`archcalc/layers/`) says what PyTorch module computes it, as plain data
on the analysis row (`row.call`): a concrete module (`nn.Conv2d(3, 96, 11, stride=4)`,
never a Lazy one: the analysis knows every input size). Here that description meets
torch: `module_call` checks there is one — a setting PyTorch cannot express
(`NoCounterpart`) raises `CompileError` at the layer, never a silent substitute — and
`module_for` instantiates it.
"""

from __future__ import annotations

from archcalc.analysis.result import LayerRow
from archcalc.layers.call import Call, NoCounterpart

from .calls import instantiate
from .errors import CompileError


def module_call(row: LayerRow) -> Call:
    """The row's PyTorch counterpart, or CompileError saying why it has none."""
    call = row.call
    if isinstance(call, NoCounterpart):
        raise CompileError(call.reason, row.loc, layer=row.name)
    if call is None:
        raise CompileError(f"layer kind '{row.kind}' has no PyTorch module here "
                           "(the calculator could not work out its shape)", row.loc,
                           layer=row.name)
    return call


def module_for(row: LayerRow):
    return instantiate(module_call(row))
