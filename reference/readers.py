"""The on-disk formats `data` reads — IDX, CIFAR-10's pickles, images — read as a stranger's
files: nothing in them runs code, hangs or exhausts memory.

CIFAR's pickles go through `safe_pickle` (no pickled code runs). An IDX header's sizes must
match the data that follows them, and a .gz is read with that bound plus one byte, so a
gzip bomb is cut off. Images open with Pillow's decompression-bomb limit made an error.
Only regular files are opened (a FIFO would hang the reader). Whatever is wrong is a
DataError whose message starts with the file.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np

from . import safe_pickle
from .errors import DataError

MAX_IDX_BYTES = 1 << 30         # MNIST's largest file holds 47 MB
MAX_BATCH_BYTES = 64 << 20      # a CIFAR-10 batch file is 31 MB


def find(path: Path) -> Path:
    """`path`, or `path`.gz, whichever is a file."""
    for candidate in (path, path.with_name(path.name + ".gz")):
        if candidate.exists():
            if not candidate.is_file():  # a FIFO would hang the reader
                raise DataError(f"{candidate}: not a regular file")
            return candidate
    raise DataError(f"missing {path.name} (or {path.name}.gz) in {path.parent}")


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file (LeCun's MNIST format) of `ndim` dimensions: magic 0x0000 08 NDIM, then
    NDIM big-endian sizes, then their product in bytes — no more, no less."""
    found = find(path)
    try:
        with (gzip.open(found, "rb") if found.suffix == ".gz" else open(found, "rb")) as f:
            return _idx(f, found, ndim)
    except gzip.BadGzipFile:
        raise DataError(f"{found}: not a gzip file") from None
    except EOFError:
        raise DataError(f"{found}: truncated (the compressed data ends early)") from None
    except zlib.error:
        raise DataError(f"{found}: corrupt compressed data") from None
    except OSError as exc:
        raise DataError(f"{found}: cannot be read: {exc.strerror or exc}") from None


def _idx(f, found: Path, ndim: int) -> np.ndarray:
    head = f.read(4)
    if len(head) < 4:
        raise DataError(f"{found}: too short for an IDX file")
    zero, dtype, n = struct.unpack(">HBB", head)
    if zero != 0 or dtype != 0x08:
        raise DataError(f"{found}: not an unsigned-byte IDX file")
    if n != ndim:
        raise DataError(f"{found}: {n} dimensions, where this file has {ndim}")
    raw = f.read(4 * n)
    if len(raw) < 4 * n:
        raise DataError(f"{found}: too short for its IDX header")
    dims = struct.unpack(">" + "I" * n, raw)
    size, shape = math.prod(dims), "×".join(map(str, dims))
    if size > MAX_IDX_BYTES:
        raise DataError(f"{found}: its header says {shape}, more than {MAX_IDX_BYTES:,} bytes")
    if found.suffix != ".gz":
        have = os.fstat(f.fileno()).st_size - 4 - 4 * n
        if have != size:
            raise DataError(f"{found}: {have:,} bytes of data where the header says {shape} "
                            f"({size:,})")
    data = f.read(size + 1)  # bounded: a gzip bomb stops one byte past the header's size
    if len(data) != size:
        raise DataError(f"{found}: more data than the header's {shape} ({size:,} bytes)"
                        if len(data) > size else
                        f"{found}: {len(data):,} bytes of data where the header says {shape} "
                        f"({size:,})")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: its N×3072 uint8 images and N labels (int64)."""
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    try:
        if path.stat().st_size > MAX_BATCH_BYTES:
            raise DataError(f"{path}: larger than a CIFAR-10 batch can be "
                            f"({MAX_BATCH_BYTES:,} bytes)")
        d = safe_pickle.load_batch(path.read_bytes())
        if not isinstance(d, dict) or not isinstance(d.get(b"data"), safe_pickle.Array):
            raise DataError(f"{path}: not a CIFAR-10 batch (no dict with an array b'data')")
        x = d[b"data"].to_array()
    except safe_pickle.Refused as exc:
        raise DataError(f"{path}: refused: the pickle holds {exc}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a stranger's bytes fail an unpickler many ways
        raise DataError(f"{path}: not a CIFAR-10 python batch "
                        f"({type(exc).__name__} while unpickling)") from None
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072 or not len(x):
        raise DataError(f"{path}: b'data' is {x.dtype} of shape {x.shape}, not N×3072 bytes")
    labels = d.get(b"labels")
    if not isinstance(labels, list) or len(labels) != len(x) or not all(
            type(v) is int and 0 <= v <= 9 for v in labels):
        raise DataError(f"{path}: b'labels' is not a list of one label from 0 to 9 per image")
    return x, np.array(labels, dtype=np.int64)


def read_image(path: Path, mode: str | None):
    """The image at `path` as floats in [0, 1] converted to `mode` (L or RGB) — or, with
    `mode` None, just its (mode, size) from the header. An image over Pillow's
    MAX_IMAGE_PIXELS (a decompression bomb: a few KB that decode to gigabytes) or one
    Pillow cannot read is a DataError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if mode is None:
                    return im.mode, im.size
                return np.asarray(im.convert(mode), dtype=np.float32) / 255.0
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{path}: more than {Image.MAX_IMAGE_PIXELS:,} pixels, refused as a "
                        "possible decompression bomb") from None
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image Pillow can read") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders fail in many ways on bad bytes
        raise DataError(f"{path}: cannot be decoded ({type(exc).__name__}: "
                        f"{str(exc).strip()[:120]})") from None


def one_line(exc: DataError) -> str:
    """A DataError's message. One that a DataLoader worker raised comes back with the
    worker's traceback as its text; the traceback's last line holds the message."""
    lines = str(exc).strip().splitlines() or [""]
    return lines[-1].split("DataError: ", 1)[-1]
