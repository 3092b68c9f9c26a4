"""The network as a graph: spec items expanded into named nodes, checked and ordered."""

from .expand import build_graph
from .model import Graph, Group, Node
from .names import INPUT, MODULE_ATTRIBUTES, check_layer_name

__all__ = ["INPUT", "MODULE_ATTRIBUTES", "Graph", "Group", "Node", "build_graph",
           "check_layer_name"]
