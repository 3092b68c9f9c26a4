"""An ONNX file measured before it is parsed: its nodes counted and the bytes that parse
into many small objects summed, by walking the protobuf wire format of its top levels
(protobuf.dev/programming-guides/encoding: each field is a varint key, field number << 3
| wire type, then a varint, 8 bytes, a varint length and that many bytes, or 4 bytes).

Why: parsing a model costs memory in proportion to what it holds, and some bytes cost far
more than others. A weight's raw bytes parse to as many bytes; a node of 14 bytes
(`Relu x -> y`) parses to about 350 (a 28 MB file of two million of them took 760 MB), so a
1 GiB file of nodes would take some 28 GiB. The walk is bounded too: it steps over each
node and each initializer's fields without entering them, and stops at the first limit
passed, so it reads at most a few million fields whatever the file holds.

Field numbers: onnx/onnx.proto — ModelProto.graph 7; GraphProto.node 1, initializer 5;
TensorProto float_data 4, raw_data 9, double_data 10 (the weights' values, parsed 1:1).
"""

from __future__ import annotations

import mmap

from .ir import ImportRefused

# Bytes of nodes, names and lists: each takes ~28 in memory once parsed (57 MB of nested
# nodes took 1.6 GB), so at most ~0.9 GB; the nodes of a 100,000-node CNN take ~10 MB.
MAX_STRUCTURE = 32 << 20
MAX_FIELDS = 2_000_000    # fields the walk reads (a real CNN: a few thousand)
_GRAPH, _NODE, _INIT = 7, 1, 5
_VALUES = {4, 9, 10}  # a tensor's float_data, raw_data, double_data: one byte, one byte


class _Corrupt(Exception):
    pass


class _TooMany(Exception):
    pass


def _varint(buf, i: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= end or shift > 63:
            raise _Corrupt
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf, start: int, end: int, budget: list[int]):
    """(field number, first byte, end) of each field of the message in buf[start:end]."""
    i = start
    while i < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooMany
        key, i = _varint(buf, i, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            j = _varint(buf, i, end)[1]
        elif wire == 1:
            j = i + 8
        elif wire == 2:
            n, i = _varint(buf, i, end)
            j = i + n
        elif wire == 5:
            j = i + 4
        else:  # 3, 4 (groups, unused by ONNX), 6, 7: not protobuf
            raise _Corrupt
        if j > end or number == 0:
            raise _Corrupt
        yield number, i, j
        i = j


def measure(path: str, max_nodes: int) -> None:
    """Refuse, before parsing, a file with more than `max_nodes` nodes in its graph, more
    than MAX_STRUCTURE bytes of anything other than weight values, or a broken wire format
    (which the parser would refuse too, after reading it)."""
    with open(path, "rb") as f:
        try:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file: an empty model, which the import refuses
            return
        with buf:
            try:
                nodes, structure = _walk(buf, max_nodes)
            except _Corrupt:
                raise ImportRefused(f"{path} is not a readable ONNX file: its protobuf "
                                    "wire format is broken") from None
            except _TooMany:
                raise ImportRefused(f"{path} holds more than {MAX_FIELDS:,} entries in its "
                                    "graph's lists, the most an ONNX import reads") from None
    if nodes > max_nodes:
        raise ImportRefused(f"{path} has more than {max_nodes:,} nodes; an ONNX import reads "
                            f"at most {max_nodes:,}")
    if structure > MAX_STRUCTURE:
        raise ImportRefused(f"{path} holds more than {MAX_STRUCTURE:,} bytes of nodes, names "
                            "and lists besides its weights' values, the most an ONNX import "
                            "parses (each such byte takes some 28 in memory)")


def _walk(buf, max_nodes: int) -> tuple[int, int]:
    """(nodes, structure bytes), stopping as soon as either passes its limit."""
    budget = [MAX_FIELDS]
    nodes = structure = 0
    for number, start, end in _fields(buf, 0, len(buf), budget):
        if number != _GRAPH:
            structure += end - start  # opset, metadata, functions, training graphs
            continue
        for field, a, b in _fields(buf, start, end, budget):
            if field == _NODE:
                nodes += 1
                structure += b - a
            elif field == _INIT:
                structure += sum(y - x for n, x, y in _fields(buf, a, b, budget)
                                 if n not in _VALUES)
            else:
                structure += b - a
            if nodes > max_nodes or structure > MAX_STRUCTURE:
                return nodes, structure
        if structure > MAX_STRUCTURE:
            break
    return nodes, structure
