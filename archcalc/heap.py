"""The cycle collector paused while a spec is read, expanded and analysed.

Those three phases allocate hundreds of thousands of small objects (YAML nodes, source
positions, layer nodes, rows) that live until the command ends. CPython's cycle collector
runs after every 700 net allocations and, as the heap grows, re-scans it whole from time to
time: about 30 % of the in-process time of a 3,000-layer spec, and more at 30,000
(`bench/check_scaling.py`, issue 13). The phases make no garbage cycles but a caught
SpecError's traceback (at most `errors.MAX_ERRORS` a reading), which the first collection
after them frees; reference counting frees everything else as before. Reentrant: only the
outermost pause resumes the collector, and a collector the caller turned off stays off.
"""

from __future__ import annotations

import functools
import gc


def collector_paused(fn):
    """`fn` run with the cycle collector paused (see the module docstring)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return run
