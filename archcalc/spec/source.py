"""Reading a spec's text, bounded before any of it is parsed.

A spec comes from a stranger, so its size is checked first: a regular file by its size on
disk (stat, before reading a byte), anything else — a pipe, a device such as /dev/zero —
by reading at most one byte more than the limit. Text given directly (`parse_text`, the
TUI's editor) is held to the same limit in characters. The largest library spec,
inception_resnet_v2.yaml, is under 4 KB and a flat spec at the 100,000-layer limit is
about 3.5 MB, so 4 MiB refuses nothing a person writes and bounds the parser's memory
(PyYAML's node tree is ~60× the text).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SourceLoc, error

MAX_SPEC_BYTES = 4 * 1024 * 1024  # see the module docstring


def too_large(size: int, filename: str, unit: str = "bytes"):
    """The error for a spec of `size` bytes (or characters) over the limit."""
    return error(f"the spec is {size:,} {unit}; archcalc reads specs of at most "
                 f"{MAX_SPEC_BYTES:,} {unit} (4 MiB)", SourceLoc(filename, 1, 1),
                 "a large network is written with blocks and `repeat:`, not layer by layer",
                 code="too-large")


def check_text(text: str, filename: str) -> None:
    if len(text) > MAX_SPEC_BYTES:
        raise too_large(len(text), filename, "characters")


def read_spec(path: str | Path) -> str:
    """The text of the spec at `path`, or a SpecError: missing, unreadable, not UTF-8, or
    over MAX_SPEC_BYTES (then without reading it)."""
    path = Path(path)
    where = SourceLoc(str(path), 1, 1)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > MAX_SPEC_BYTES:
                raise too_large(st.st_size, str(path))
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}", where, code="io") from None
    if len(data) > MAX_SPEC_BYTES:  # not a regular file: a pipe or a device
        raise error(f"cannot read {path}: it holds more than {MAX_SPEC_BYTES:,} bytes "
                    "(4 MiB), the limit of a spec", where, code="too-large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {path}: not UTF-8 text ({exc.reason})", where,
                    code="io") from None
    # Universal newlines, as reading in text mode gives (the checkpoint's spec hash and
    # the quoted source lines were always of this text).
    return text.replace("\r\n", "\n").replace("\r", "\n")
