"""The image size a TextFCN runs at: :func:`work_size` and its defaults.

One fact shared by everything that runs a TextFCN on a photo (``textvision.segment``, the TextFCN gate of a
distilled :class:`~textvision.models.StyleNet`): the network sees the image scaled so its longer side is
``max_side``, since tiny text below ~8 px is invisible to it. Pure Python (no torch), so the CLI can show
the default in its help.
"""
from __future__ import annotations

from typing import Optional, Tuple

# work_size is shared by textvision's own TextFCN callers, not offered to users (segment takes max_side).
__all__ = ["DEFAULT_MAX_SIDE", "DEFAULT_MAX_UPSCALE"]

#: Longer side (pixels) of the image the network sees by default, in ``segment``, ``segment_batch`` and
#: the ``segment`` command. 1280 keeps a 1280x720 photo at its native size: shrinking it to 512 px (the
#: old default) turns 8 px words into 3 px ones, which the network cannot see.
DEFAULT_MAX_SIDE = 1280

#: Largest factor a small image is upscaled by to reach ``max_side``.
DEFAULT_MAX_UPSCALE = 2.0


def work_size(h: int, w: int, max_side: Optional[int], max_upscale: float) -> Tuple[int, int]:
    """The (height, width) a TextFCN runs at for an h x w image.

    Args:
        h, w: the image's size in pixels (>= 1).
        max_side: the longer side to scale to (>= 32), or None for the native size.
        max_upscale: the largest factor a small image is scaled up by (a larger one is scaled down freely).

    Returns:
        (height, width), each >= 1, rounded to the nearest pixel.

    Raises:
        ValueError: ``max_side`` below 32.
    """
    if max_side is None:
        return h, w
    if max_side < 32:
        raise ValueError(f"max_side must be >= 32 or None, got {max_side}")
    s = min(max_side / max(h, w), max_upscale)
    return max(1, int(round(h * s))), max(1, int(round(w * s)))
