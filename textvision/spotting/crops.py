"""Word crops for the recogniser: rectified, grey, height 64, width by aspect ratio."""
from __future__ import annotations

from typing import List, Optional

import cv2
import numpy as np

from textvision import _validate
from textvision.models.recognizer import INPUT_HEIGHT

__all__ = ["word_crops", "fit_crop", "crop_width"]

#: Widest crop (an aspect ratio of 24): a longer box is squeezed to it.
MAX_WIDTH = 1536


def crop_width(src_w: float, src_h: float, *, height: int = INPUT_HEIGHT, max_width: int = MAX_WIDTH) -> int:
    """The crop width for a ``src_w`` x ``src_h`` word at ``height``: the aspect ratio kept, rounded down as
    EasyOCR does (``int(height * w / h)``), within [1, max_width]."""
    w = int(height * float(src_w) / max(float(src_h), 1e-6))
    return int(min(max(w, 1), max_width))


def _grey(image, who: str) -> np.ndarray:
    arr = _validate.as_array(image, "image", who)
    grey = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 1)
    if grey and arr.dtype == np.uint8:
        return _validate.grey_image(arr, "image", who)  # as it is: no 3-channel detour
    rgb = _validate.image_rgb(arr, "image", who)  # the one image contract
    return np.ascontiguousarray(rgb[:, :, 0]) if grey else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _resize(patch: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = patch.shape
    if (w, h) == (width, height):
        return np.ascontiguousarray(patch)
    # Area averaging when shrinking both sides (no aliasing of fine strokes), bilinear otherwise.
    interp = cv2.INTER_AREA if (width <= w and height <= h) else cv2.INTER_LINEAR
    return cv2.resize(patch, (width, height), interpolation=interp)


def fit_crop(crop, *, height: int = INPUT_HEIGHT) -> np.ndarray:
    """One word image (already cut out) as the recogniser reads it: grey, ``height`` rows, width by aspect.

    Args:
        crop: uint8 [h, w] grey or [h, w, 3] RGB ([h, w, 4] RGBA loses its alpha), h, w >= 1.
        height: output height (the recogniser's 64).

    Returns:
        uint8 [height, W] with W = :func:`crop_width` (w, h); the input itself when it already fits.
    """
    g = _grey(crop, "fit_crop")
    h, w = g.shape
    if h == height and w <= MAX_WIDTH:
        return g
    return _resize(g, crop_width(w, h, height=height), height)


def word_crops(image, quads=None, *, boxes=None, height: int = INPUT_HEIGHT) -> List[np.ndarray]:
    """Cut words out of an image, rectified to upright grey strips the recogniser reads.

    A quad is warped (perspective) onto a rectangle as wide as its longer top/bottom edge and as tall as
    its longer left/right edge, then resized to ``height`` rows keeping that aspect ratio (width rounded
    down, at most 1536); a box is cut and resized the same way. Quad vertices are pixel centres (as in
    ICDAR ground truth and ``east.detect``: a quad from x = 10 to x = 19 covers 10 columns); box edges are
    pixel edges (x2, y2 exclusive). Parts outside the image repeat its border.

    Args:
        image: the one image contract (``textvision._validate.image_rgb``; never modified).
        quads: float [N, 4, 2] (or [N, 8]) clockwise from the word's top-left corner (the reading
            direction runs from vertex 0 to vertex 1), in image pixels.
        boxes: instead of ``quads``: float [N, 4] ``(x1, y1, x2, y2)`` (x2, y2 exclusive).
        height: crop height (the recogniser's 64).

    Returns:
        N uint8 arrays [height, W_i]; a degenerate word (a side under 1 px, or a box outside the image)
        gives an empty [height, 0] array, which the recogniser reads as "" with confidence 0.

    Raises:
        TypeError / ValueError: a bad image, both or neither of ``quads`` and ``boxes``, wrongly shaped or
            non-finite coordinates.
    """
    if (quads is None) == (boxes is None):
        raise ValueError("word_crops: give quads or boxes (one of them)")
    grey = _grey(image, "word_crops")
    img_h, img_w = grey.shape
    empty = np.zeros((height, 0), np.uint8)
    out: List[np.ndarray] = []
    if boxes is not None:
        b = _validate.boxes(boxes, "boxes", "word_crops")
        x1 = np.floor(np.clip(b[:, 0], 0, img_w)).astype(np.int64)
        y1 = np.floor(np.clip(b[:, 1], 0, img_h)).astype(np.int64)
        x2 = np.ceil(np.clip(b[:, 2], 0, img_w)).astype(np.int64)
        y2 = np.ceil(np.clip(b[:, 3], 0, img_h)).astype(np.int64)
        for a, c, e, f in zip(x1, y1, x2, y2):
            if e <= a or f <= c:
                out.append(empty)
                continue
            out.append(_resize(grey[c:f, a:e], crop_width(e - a, f - c, height=height), height))
        return out
    q = _validate.quads(quads, "quads", "word_crops").astype(np.float64)
    for quad in q:
        crop = _warp(grey, quad, height)
        out.append(empty if crop is None else crop)
    return out


def _warp(grey: np.ndarray, quad: np.ndarray, height: int) -> Optional[np.ndarray]:
    tl, tr, br, bl = quad
    w = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    h = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if w < 1 or h < 1:
        return None
    # Vertices are pixel centres: an edge of length L spans L + 1 pixels, corner pixel to corner pixel.
    rw, rh = int(round(w)) + 1, int(round(h)) + 1
    dst = np.array([[0, 0], [rw - 1, 0], [rw - 1, rh - 1], [0, rh - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    flat = cv2.warpPerspective(grey, m, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return _resize(flat, crop_width(rw, rh, height=height), height)
