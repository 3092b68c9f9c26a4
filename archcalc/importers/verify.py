"""Every import is checked before it is written: the spec, read back by archcalc's own
parser and analysed, must give the source's figures — trainable parameters and buffers
(and, for PyTorch, FlopCounterMode's FLOPs; for ONNX, the graph's output shape)."""

from __future__ import annotations

from ..design import Design
from ..errors import SpecError
from ..spec import parse_text
from .ir import ImportRefused

# The design analyse() last verified, by (text, filename): `check` of an import reads the
# spec it verified, so it starts from that design instead of parsing and analysing the
# same text again (a 100,000-node ONNX chain: half of `check`'s time). One slot: an
# import verifies its spec last, just before it returns.
_last: dict[tuple[str, str], Design] = {}


def analyse(text: str, filename: str):
    """archcalc's analysis of the spec text at its defaults; a spec archcalc refuses is an
    import that went wrong, reported with the spec's own diagnostic."""
    _last.clear()
    try:
        design = Design(parse_text(text, filename), {})
        result = design.analysis
    except SpecError as exc:
        _refuse(exc.diagnostics[0])
    errors = [d for d in result.findings if d.severity == "error"]
    if errors:
        _refuse(errors[0])
    _last[text, filename] = design
    return result


def verified_design(text: str, filename: str) -> Design:
    """The design of this spec text at its defaults: the one analyse() verified it with
    when it was the last, else a fresh one (parsed here; SpecError if it does not parse)."""
    design = _last.pop((text, filename), None)
    return design if design is not None else Design(parse_text(text, filename), {})


def _refuse(first) -> None:
    where = f" (line {first.loc.line})" if first.loc else ""
    layer = f" at {first.layer}" if first.layer else ""
    raise ImportRefused(f"the imported spec does not analyse{layer}: {first.message}{where}",
                        *first.hints)


def compare(result, expected: dict[str, int | tuple | None]) -> None:
    """Refuse unless the analysis gives each expected figure (None: not checked)."""
    t, last = result.totals, result.rows[-1].out_shape
    ours = {"trainable parameters": t.trainable, "buffers": t.buffers, "FLOPs": t.flops,
            "parameters and buffers": t.trainable + t.buffers,
            "output shape": tuple(int(d) for d in (last.c, *last.dims))}
    wrong = [f"{what}: the spec gives {ours[what]}, the source {want}"
             for what, want in expected.items()
             if want is not None and _value(ours[what]) != want]
    if wrong:
        raise ImportRefused("the imported spec differs from its source, so nothing was "
                            "written: " + "; ".join(wrong),
                            "an --input whose channels are not the model's, or a layer "
                            "archcalc maps differently (please report it with the model)")


def _value(x):
    if isinstance(x, tuple):
        return x
    try:
        return int(x)
    except TypeError:
        return x
