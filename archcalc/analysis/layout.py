"""Findings about the input volume as the spec writes it, before any layer reads it.

archcalc, like PyTorch, writes the channels first: `input: [C, H, W]`. Keras writes them
last (`input_shape=(32, 32, 3)`), and a spec copied from Keras code reads as 32 channels of
32 × 3 — every layer's arithmetic then follows silently from the wrong volume. The check is
a heuristic on the numbers as written, so it warns and never refuses.
"""

from __future__ import annotations

from ..errors import Diagnostic, SourceLoc

# Channel counts of images: grey, RGB, RGBA — what a channels-last input ends with.
IMAGE_CHANNELS = (1, 3, 4)
# Below this a "spatial size" is a channel count more likely than an image side: the
# smallest images the seeds' networks read are 28 × 28 (LeNet's MNIST); 8 leaves room.
MIN_SIDE = 8


def channels_last(dims: tuple, loc: SourceLoc | None) -> list[Diagnostic]:
    """A warning when `dims` ([C, …, last], numbers as written) look channels-last: an
    image channel count at the end and image-sized values before it."""
    if len(dims) < 3 or not all(getattr(d, "is_Integer", isinstance(d, int)) for d in dims):
        return []
    values = [int(d) for d in dims]
    first, middle, last = values[0], values[1:-1], values[-1]
    if last not in IMAGE_CHANNELS or first in IMAGE_CHANNELS or first < MIN_SIDE or \
            any(v < MIN_SIDE for v in middle):
        return []
    written = ", ".join(map(str, values))
    fixed = ", ".join(map(str, [last, first, *middle]))
    sides = " × ".join(map(str, values[1:]))
    return [Diagnostic(
        "warning", f"input: [{written}] reads as {first} channels of {sides}: archcalc, like "
        f"PyTorch, writes the channels first", loc,
        (f"for {' × '.join(map(str, [first, *middle]))} images with {last} channel"
         f"{'s' if last > 1 else ''} (Keras's channels-last order), write "
         f"`input: [{fixed}]`",), code="channels-last")]
