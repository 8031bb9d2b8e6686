"""Rasterise word quads to training masks."""
from __future__ import annotations

from typing import NamedTuple, Sequence, Tuple

import cv2
import numpy as np

from textvision.data.instances import TextInstance

__all__ = ["TextMasks", "instances_to_masks", "rasterize_quads"]

_SHIFT = 4  # cv2.fillPoly sub-pixel bits: vertices on a 1/16 px grid


def rasterize_quads(quads: np.ndarray, shape_hw: Tuple[int, int]) -> np.ndarray:
    """Fill quads float32 [N, 4, 2] (pixel coordinates) into a uint8 {0, 1} mask of ``shape_hw``."""
    h, w = int(shape_hw[0]), int(shape_hw[1])
    mask = np.zeros((h, w), np.uint8)
    quads = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    finite = np.all(np.isfinite(quads), axis=(1, 2))
    if finite.any():
        pts = np.rint(quads[finite] * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, list(pts), 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask


class TextMasks(NamedTuple):
    """The training masks of one image's words (:func:`instances_to_masks`).

    Attributes:
        text: uint8 {0, 1} [h, w]: the filled quads of the words to learn from (``ignore=False``).
        ignore: uint8 {0, 1} [h, w]: the filled quads of the don't-care words (``ignore=True``).
    """

    text: np.ndarray
    ignore: np.ndarray


def instances_to_masks(instances: Sequence[TextInstance], shape_hw: Tuple[int, int],
                       scale: float = 1.0) -> TextMasks:
    """Rasterise word quads to a text (box) mask and a don't-care mask.

    Args:
        instances: :class:`TextInstance` list in the coordinates of an image of size ``shape_hw``.
        shape_hw: ``(H, W)`` of that image.
        scale: output resolution relative to the image (e.g. 0.25 for a 1/4-resolution target map).
            The output is ``(round(H * scale), round(W * scale))`` and quads map as
            ``(p + 0.5) * scale - 0.5``, the pixel-centre convention of ``cv2.resize``.

    Returns:
        :class:`TextMasks` ``(text, ignore)``, both uint8 {0, 1} of the output size: the filled quads of
        the instances to learn from, and of the don't-care ones (``ignore=True``).
    """
    if len(shape_hw) < 2:
        raise ValueError(f"shape_hw must be (H, W), got {shape_hw!r}")
    h, w = int(shape_hw[0]), int(shape_hw[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"shape_hw must be positive, got {shape_hw!r}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    oh, ow = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    care, dont = [], []
    for inst in instances:
        q = (np.asarray(inst.quad, np.float64) + 0.5) * scale - 0.5
        (dont if inst.ignore else care).append(q)
    return TextMasks(text=rasterize_quads(np.array(care).reshape(-1, 4, 2), (oh, ow)),
                     ignore=rasterize_quads(np.array(dont).reshape(-1, 4, 2), (oh, ow)))
