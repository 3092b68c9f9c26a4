"""Cluster titles kept legible in Graphviz's SVG: drawn last, over the edges, with a halo.

`dot` reserves a band at the top of each cluster for its title, and an edge entering the
cluster from above runs through that band; in a cluster about as narrow as its title (an
Inception branch, a `cbr` block) the edge crosses the text, and since `dot` writes clusters
before edges, the line is drawn on top of the letters. Moving each cluster's title to the
end of the drawing, outlined in the background colour (`paint-order: stroke`, the halo
maps put under place names), lets the edge pass *behind* the title: it stays readable and
the edge stays visible on both sides of it. Layout is `dot`'s own; only the drawing order
of the titles changes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
# 4 px of white outline: wider than an edge's 1 px stroke plus anti-aliasing, narrower than
# the gap between a title and the cluster's border (dot leaves 8 pt).
_HALO = "paint-order:stroke;stroke:white;stroke-width:4px;stroke-linejoin:round"

ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)


def titles_over_edges(svg: bytes) -> bytes:
    """The same SVG with every cluster's title moved after the edges, haloed."""
    root = ET.fromstring(svg)
    graph = root.find(f"{{{_SVG}}}g")
    if graph is None:
        return svg
    titles = ET.SubElement(graph, f"{{{_SVG}}}g", {"class": "cluster-titles"})
    for cluster in graph.findall(f"{{{_SVG}}}g[@class='cluster']"):
        for text in cluster.findall(f"{{{_SVG}}}text"):
            cluster.remove(text)
            text.set("style", _HALO)
            titles.append(text)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
