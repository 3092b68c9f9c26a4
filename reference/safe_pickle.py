"""Read CIFAR-10's python batches without letting a pickle run code.

A batch is a pickled dict of a numpy array, lists, bytes and ints, but pickle.load would
call whatever a crafted file names — os.system included. `load_batch` unpickles with
`find_class` admitting only the names numpy's and Python's pickles of such a dict use,
each resolved to a stand-in here (in a `_Stub`), never to numpy itself: `_reconstruct`
and `dtype` record their arguments and state (a real ndarray.__setstate__ or
dtype.__setstate__ given a crafted state can make numpy read raw bytes as object
pointers), and `to_array` then builds a plain numeric array with np.frombuffer after
checking that the sizes agree.
"""

from __future__ import annotations

import io
import math
import pickle
import re

import numpy as np

MAX_DIMS = 4
_DTYPE = re.compile(r"[uif][1248]|b1")      # numeric dtypes only: no objects, no records


class Refused(pickle.UnpicklingError):
    """The pickle names something a CIFAR-10 batch never holds."""


def _text(value) -> str:
    # Python 2's pickles (the real batches) give bytes under encoding="bytes".
    return value.decode("latin1") if isinstance(value, bytes) else value


class DType:
    """A recorded numpy.dtype(code, align, copy) and its __setstate__."""

    def __init__(self, code, align=False, copy=False):
        code = _text(code)
        if not isinstance(code, str) or not _DTYPE.fullmatch(code):
            raise Refused(f"a numpy dtype {str(code)[:20]!r}, not a plain number type")
        self.code, self.order = code, "|"

    def __setstate__(self, state):
        # numpy writes (3, byte order, None, None, None, -1, -1, 0) for a plain number type;
        # anything else would give it fields, sub-arrays or object flags.
        if not (isinstance(state, tuple) and len(state) == 8 and state[0] == 3
                and _text(state[1]) in ("<", ">", "|", "=") and state[2:] == (None,) * 3
                + (-1, -1, 0)):
            raise Refused("a numpy dtype with fields or flags, not a plain number type")
        self.order = _text(state[1])

    def numpy(self) -> np.dtype:
        return np.dtype(("" if self.order == "|" else self.order) + self.code)


class Array:
    """A recorded ndarray: shape, dtype and raw bytes, built by `to_array`."""

    def __init__(self, shape=(0,), dtype=None, raw=b"", fortran=False):
        self.shape, self.dtype, self.raw, self.fortran = shape, dtype, raw, fortran

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) == 5):
            raise Refused("an ndarray state numpy does not write")
        _, self.shape, self.dtype, self.fortran, self.raw = state

    def to_array(self) -> np.ndarray:
        shape = self.shape
        if not (isinstance(shape, tuple) and len(shape) <= MAX_DIMS and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 1 << 40
                for n in shape)):
            raise Refused("an array shape that is not a few whole numbers")
        if not isinstance(self.dtype, DType) or not isinstance(self.raw, (bytes, bytearray)):
            raise Refused("an array without a plain number type or raw bytes")
        dtype = self.dtype.numpy()
        if math.prod(shape) * dtype.itemsize != len(self.raw):
            raise Refused(f"an array of {len(self.raw):,} bytes for a shape of {shape}")
        return np.frombuffer(bytearray(self.raw), dtype).reshape(  # writable, one copy
            shape, order="F" if self.fortran is True else "C")


class _Stub:
    """What find_class hands the pickle: calls go to a stand-in here. A pickle may BUILD
    on anything it holds, which would set attributes on our functions and classes; a
    stub has no attributes to set and refuses a state."""

    __slots__ = ("_call",)

    def __init__(self, call):
        self._call = call

    def __call__(self, *args):
        return self._call(*args)

    def __setstate__(self, state):
        raise Refused("a state for a class or function")


def _not_called(*args):
    raise Refused("numpy.ndarray called directly")


_NDARRAY = _Stub(_not_called)  # stands for numpy.ndarray, the class _reconstruct is given


def _reconstruct(cls, shape, code):
    if cls is not _NDARRAY:
        raise Refused("an array of a class other than numpy.ndarray")
    return Array()


def _frombuffer(buffer, dtype, shape, order):  # numpy's pickles of protocol 5
    return Array(shape, dtype, buffer, _text(order) == "F")


def _encode(text, encoding="utf-8"):  # Python 3's pickles of bytes at protocol 2
    if _text(encoding) not in ("latin1", "latin-1") or not isinstance(text, str):
        raise Refused("a codec other than latin-1")
    return text.encode("latin1")


ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _Stub(_reconstruct),
           ("numpy._core.multiarray", "_reconstruct"): _Stub(_reconstruct),
           ("numpy.core.numeric", "_frombuffer"): _Stub(_frombuffer),
           ("numpy._core.numeric", "_frombuffer"): _Stub(_frombuffer),
           ("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _Stub(DType),
           ("_codecs", "encode"): _Stub(_encode)}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        found = ALLOWED.get((module, name))
        if found is None:
            raise Refused(f"{module[:60]}.{name[:60]}, which a CIFAR-10 batch never holds")
        return found

    def persistent_load(self, pid):
        raise Refused("a persistent reference, which a CIFAR-10 batch never holds")


def load_batch(data: bytes):
    """The unpickled batch: dicts, lists, bytes, str, numbers and `Array`s (call
    `to_array`). Raises Refused for anything else, pickle.UnpicklingError and others for
    bytes that are not a pickle."""
    return _Unpickler(io.BytesIO(data), encoding="bytes").load()
