"""The network as a graph of named nodes — the form every later stage works on.

A spec's layer list becomes `Node`s in topological order, each naming the nodes it reads
(`inputs`); a chain is the simplest such graph, and branches and merges use the same form.
Unnamed layers get names from their kind (conv1, pool1, fc1, …), Keras-style. Names must be
Python identifiers that do not clash with `torch.nn.Module` attributes, since the compiler
turns them into attributes and source code.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy as sp

from .errors import SourceLoc, error
from .layers import KINDS
from .spec.model import Spec

INPUT = "input"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
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
    if not _IDENT.fullmatch(name):
        return f"layer name '{name}' is not a Python identifier (letters, digits, _)"
    if keyword.iskeyword(name):
        return f"layer name '{name}' is a Python keyword"
    if name in MODULE_ATTRIBUTES or name.startswith("_"):
        return (f"layer name '{name}' would shadow torch.nn.Module.{name}"
                if not name.startswith("_") else f"layer name '{name}' starts with '_'")
    if name == INPUT:
        return "'input' names the network's input"
    if len(name) > MAX_NAME:
        return f"layer name longer than {MAX_NAME} characters"
    return None


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    args: tuple[tuple[str, object], ...]
    arg_locs: tuple[tuple[str, SourceLoc], ...]
    loc: SourceLoc
    inputs: tuple[str, ...]
    rounding: str | None = None


@dataclass(frozen=True)
class Graph:
    name: str
    input: tuple[sp.Expr, ...]
    nodes: tuple[Node, ...]  # topological order
    rounding: str = "exact"

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


def build_graph(spec: Spec) -> Graph:
    taken: dict[str, SourceLoc] = {}
    for decl in spec.layers:
        if decl.name is not None:
            if decl.name in taken:
                raise error(f"layer name '{decl.name}' is used twice (first at line "
                            f"{taken[decl.name].line})", decl.loc, code="duplicate-name")
            taken[decl.name] = decl.loc
    counters: dict[str, int] = {}
    nodes: list[Node] = []
    previous = INPUT
    for decl in spec.layers:
        name = decl.name or _auto_name(KINDS[decl.kind].name_prefix or decl.kind, counters, taken)
        taken.setdefault(name, decl.loc)
        nodes.append(Node(name, decl.kind, decl.args, decl.arg_locs, decl.loc, (previous,),
                          decl.rounding))
        previous = name
    return Graph(spec.name, spec.input, tuple(nodes), spec.rounding)


def _auto_name(prefix: str, counters: dict[str, int], taken: dict) -> str:
    while True:
        counters[prefix] = counters.get(prefix, 0) + 1
        name = f"{prefix}{counters[prefix]}"
        if name not in taken:
            return name
