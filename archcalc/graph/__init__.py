"""The network as a graph: spec items expanded into named nodes, checked and ordered."""

from ..spec.names import INPUT, MODULE_ATTRIBUTES, check_layer_name
from .expand import build_graph
from .model import Graph, Group, Node

__all__ = ["INPUT", "MODULE_ATTRIBUTES", "Graph", "Group", "Node", "build_graph",
           "check_layer_name"]
