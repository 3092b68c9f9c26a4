"""Ops -> spec text: a flat list of layers in execution order, each named, reading the
previous layer unless `from:` says otherwise; merges name all their inputs.

Input dims: the channels as written, the spatial sizes as symbols (L; H, W; T, H, W) with
the given sizes as defaults, so `--set H=…` and `--symbolic` work on the imported spec.
Sizes round down as PyTorch's do (`rounding: floor`): the spec is the model as it runs,
and the table's warnings name the rows and columns a layer never reads.
"""

from __future__ import annotations

import json
import re

from ..errors import terminal_safe
from ..spec.names import check_layer_name
from .ir import ImportRefused, Op

SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("T", "H", "W")}
MERGES = {"add", "concat", "multiply"}
# archcalc's defaults (`archcalc ops KIND`), left out of the written spec.
_WINDOW = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}
DEFAULTS = {
    "conv": _WINDOW, "conv_transpose": {**_WINDOW, "output_padding": 0},
    "batchnorm": {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True},
    "maxpool": {"padding": 0, "dilation": 1, "ceil_mode": False},
    "avgpool": {"padding": 0, "ceil_mode": False, "count_include_pad": True},
    "linear": {"bias": True}, "dropout": {"p": 0.5}, "groupnorm": {"eps": 1e-5, "affine": True},
    "gelu": {"approximate": "none"}, "leaky_relu": {"negative_slope": 0.01},
    "elu": {"alpha": 1.0}, "hardtanh": {"min_val": -1.0, "max_val": 1.0},
}


def shown(kind: str, args: dict) -> dict:
    """The arguments that differ from archcalc's defaults (a pool's stride: its kernel)."""
    default = DEFAULTS.get(kind, {})
    out = {k: v for k, v in args.items()
           if k not in default or v != default[k] or type(v) is not type(default[k])}
    if kind in ("maxpool", "avgpool") and out.get("stride") == out.get("kernel"):
        out.pop("stride")
    return out


def name_of(path: str) -> str:
    """The layer name a source path reads as: `layer1.0.conv1` -> `layer1_0_conv1`."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", path).strip("_") or "layer"
    if base[0].isdigit():
        base = f"l{base}"
    base = base[:56]
    return f"{base}_" if check_layer_name(base) is not None else base


def layer_name(path: str, taken: set[str]) -> str:
    """A unique layer name for a source path (`name_of`; `_2`, `_3`, … where taken)."""
    base = name_of(path)
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def value(v) -> str:
    """One argument's YAML text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", v):
        return v
    raise ImportRefused(f"internal: cannot write the value {v!r}")


def path_text(path: str) -> str:
    """A module path as YAML: quoted where it would read as a number (`"0"`, `"1.0"`)."""
    return path if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*", path) \
        else json.dumps(path)


def item(op: Op, previous: str) -> str:
    """`- kind: {args, name, path, from}` for one op: `path` where a module's path is not
    its name but made it (`classifier.1`; a second call of a parameter-free module,
    `relu_2`, takes none: the first holds the module)."""
    fields = {k: value(v) for k, v in shown(op.kind, op.args).items()}
    fields["name"] = op.name
    if op.module and op.path != op.name and name_of(op.path) == op.name:
        fields["path"] = path_text(op.path)
    if op.kind in MERGES:
        fields["from"] = value(op.inputs)
    elif op.inputs and op.inputs[0] != previous:
        fields["from"] = op.inputs[0]
    return f"- {op.kind}: {{" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}"


def preamble(name: str, dims: tuple[int, ...], header: list[str]) -> list[str]:
    """The spec's first lines: header comments, name, rounding, input and its symbols. A
    header line quotes a file or module name, a stranger's text: unprintable characters
    (a newline would start a YAML line of its own) are written as escapes."""
    symbols = SPATIAL[len(dims) - 1]
    lines = [f"# {terminal_safe(h)}" for h in header]
    lines += ["archcalc: 1", f"name: {json.dumps(name)}", "rounding: floor",
              f"input: [{dims[0]}, {', '.join(symbols)}]", "symbols:"]
    return lines + [f"  {s}: {d}" for s, d in zip(symbols, dims[1:])]


def spec_text(name: str, dims: tuple[int, ...], ops: list[Op], header: list[str]) -> str:
    """The spec: header comments, input with symbols, the layers."""
    if len(dims) - 1 not in SPATIAL:
        raise ImportRefused(f"the input has {len(dims)} dims; archcalc takes channels and "
                            "1, 2 or 3 spatial dims (--input 3,224,224)")
    lines = preamble(name, dims, header)
    lines.append("layers:")
    previous = "input"
    for op in ops:
        lines.append("  " + item(op, previous))
        previous = op.name
    return "\n".join(lines) + "\n"


def parse_dims(text: str | None) -> tuple[int, ...]:
    """`--input 3,224,224` as numbers (default 3×224×224, an ImageNet image)."""
    if not text:
        return (3, 224, 224)
    try:
        dims = tuple(int(p) for p in text.replace("x", ",").split(",") if p.strip())
    except ValueError:
        raise ImportRefused(f"--input {text[:40]}: not C,H,W numbers",
                            "e.g. --input 3,224,224") from None
    if not 2 <= len(dims) <= 4 or not all(0 < d <= 1 << 20 for d in dims):
        raise ImportRefused(f"--input {text[:40]}: channels and 1 to 3 spatial sizes, each "
                            "from 1 to 1,048,576")
    return dims
