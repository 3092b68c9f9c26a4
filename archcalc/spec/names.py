"""What may name a layer or a block instance.

Names must be Python identifiers that do not clash with `torch.nn.Module` attributes, since
the compiler turns them into attributes and source code; unnamed layers get names from
their kind (conv1, pool1, fc1, …), Keras-style, counted per scope.

The rules live in `spec` because the parser applies them to every `name:` as it is written;
graph expansion (which names the unnamed layers and resolves `from:`) reuses them, so the
dependency runs one way, graph -> spec. `archcalc.graph` re-exports them for the faces.
"""

from __future__ import annotations

import keyword
import re

from ..errors import clip

INPUT = "input"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A layer name becomes a Python attribute and a line of generated code, and every message
# about the layer quotes it; 64 characters is far above any real layer's name.
MAX_NAME = 64

# Attributes of torch.nn.Module (torch 2.x) that a submodule name would shadow; kept here,
# without importing torch, and compared with dir(nn.Module) by a test where torch is present.
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda
double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
get_submodule half ipu load_state_dict modules mtia named_buffers named_children
named_modules named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
set_submodule share_memory smart_apply state_dict to to_empty train training type xpu
zero_grad
""".split())


def check_layer_name(name: str) -> str | None:
    """Why `name` cannot name a layer, or None."""
    if len(name) > MAX_NAME:
        return f"layer name '{clip(name, 40)}' is longer than {MAX_NAME} characters"
    if not _IDENT.fullmatch(name):
        return f"layer name '{name}' is not a Python identifier (letters, digits, _)"
    if keyword.iskeyword(name):
        return f"layer name '{name}' is a Python keyword"
    if name in MODULE_ATTRIBUTES or name.startswith("_"):
        return (f"layer name '{name}' would shadow torch.nn.Module.{name}"
                if not name.startswith("_") else f"layer name '{name}' starts with '_'")
    if name == INPUT:
        return "'input' names the network's input"
    return None


# A module path (`path: features.0`, `path: conv.1`): the place of a layer's module in the
# PyTorch model, relative to its scope, as torchvision's positional children are named.
# Each segment is a name a layer may have, a position (0–999,999: no container holds
# more), or a key of letters, digits, `_` and `-` that starts with a letter (an
# nn.ModuleDict's: RegNet's `block1-0`); 128 characters and 16 segments are far above
# torchvision's deepest (`features.denseblock4.denselayer16.conv2`, 4 in one scope).
MAX_MODULE_PATH = 128
MAX_SEGMENTS = 16
_POSITION = re.compile(r"0|[1-9][0-9]{0,5}")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*-[A-Za-z0-9_-]*")


def check_module_path(path: str) -> str | None:
    """Why `path` cannot be a module path, or None."""
    if len(path) > MAX_MODULE_PATH:
        return f"path '{clip(path, 40)}' is longer than {MAX_MODULE_PATH} characters"
    segments = path.split(".")
    if len(segments) > MAX_SEGMENTS:
        return f"path '{clip(path, 40)}' has more than {MAX_SEGMENTS} segments"
    for seg in segments:
        if not seg:
            return f"path '{clip(path, 40)}' has an empty segment (write `a.b.0`)"
        if seg[0].isdigit() or not seg.isascii() or "-" in seg:
            if _POSITION.fullmatch(seg) or (_KEY.fullmatch(seg) and len(seg) <= MAX_NAME):
                continue
            return (f"path segment '{clip(seg, 20)}' is neither a name, a position "
                    "(0–999999, without leading zeros) nor a key (letters, digits, _ and -, "
                    "from a letter)")
        problem = check_layer_name(seg)
        if problem:
            return "path segment " + problem.removeprefix("layer name ")
    return None
