"""MSER with fused text-probability averaging and pruning (Python face of ``csrc/mser``).

The core floods the image once per polarity on a component tree (Nistér & Stewénius, "Linear Time
Maximally Stable Extremal Regions", ECCV 2008), recording each node's pixel count and its slice of
the flood order. The kept regions are nested slices of that order, so one walk over them gives every
region's bounding box, centroid, sum of grey values and, with a probability map, sum of probability,
reading each covered pixel once. A region's mean text probability therefore costs one read of the
map under the regions (no pixel lists, no second pass per region), and pruning by it happens inside
the core.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from textvision import _validate
from textvision._ext import core
from textvision.ops.regions import _check_prob

__all__ = ["MserRegions", "mser", "textproposals_params", "OPENCV_DEFAULTS"]

#: ``cv2.MSER_create()`` defaults, which :func:`mser` uses too.
OPENCV_DEFAULTS = dict(delta=5, min_area=60, max_area=14400, max_variation=0.25, min_diversity=0.2)

_POLARITY = {"both": 0, "dark": 1, "bright": -1, 0: 0, 1: 1, -1: -1}


@dataclass(frozen=True)
class MserRegions:
    """Maximally stable extremal regions of one grey image, one entry per region.

    Attributes:
        boxes: int32 [N, 4] ``(x1, y1, x2, y2)``, x2/y2 exclusive (``x2 - x1`` is the width).
        areas: int64 [N] pixel counts.
        centroids: float32 [N, 2] ``(cx, cy)``, mean pixel coordinates.
        polarity: int8 [N]; +1 for dark-on-light regions (darker than their surround, found on the
            image itself, OpenCV's first pass), -1 for bright-on-dark ones (found on ``255 - image``).
        mean_intensity: float32 [N] mean grey value (0..255) of the region's pixels.
        mean_prob: float32 [N] mean of the probability map over the region's pixels; NaN without
            ``prob``.
        variation: float32 [N] stability score (smaller is more stable), see :func:`mser`.
        level: uint8 [N] grey threshold: the region is a connected set of pixels ``<= level``
            (polarity +1) or ``>= level`` (polarity -1).
        pixel_offsets: int64 [N+1] CSR offsets into ``pixel_indices`` (``None`` unless
            ``return_pixels=True``).
        pixel_indices: int32 [sum(areas)] flat pixel indices ``y * W + x`` in flood order, region
            ``i`` being ``pixel_indices[pixel_offsets[i]:pixel_offsets[i+1]]``.
    """

    boxes: np.ndarray
    areas: np.ndarray
    centroids: np.ndarray
    polarity: np.ndarray
    mean_intensity: np.ndarray
    mean_prob: np.ndarray
    variation: np.ndarray
    level: np.ndarray
    pixel_offsets: Optional[np.ndarray] = None
    pixel_indices: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(self.areas.shape[0])

    def points(self, i: int, width: int) -> np.ndarray:
        """Pixels of region ``i`` as int32 [K, 2] ``(x, y)`` points (the layout of cv2's lists).

        Needs ``return_pixels=True``; ``width`` is the image width.
        """
        if self.pixel_offsets is None:
            raise ValueError("points() needs regions computed with return_pixels=True")
        flat = self.pixel_indices[self.pixel_offsets[i]:self.pixel_offsets[i + 1]]
        return np.stack([flat % width, flat // width], axis=1).astype(np.int32)


def textproposals_params(height: int, width: int) -> dict:
    """MSER settings of TextProposals (Gómez & Karatzas 2017) for an image of ``height x width``.

    ``delta=13``, ``min_area=2e-5*W*H``, ``max_area=0.11*W*H``, ``max_variation=55`` (stability
    filter effectively off) and ``min_diversity=0``; areas are truncated to int like the original
    C++ code. Use as ``mser(grey, **textproposals_params(*grey.shape))``.
    """
    area = int(height) * int(width)
    return dict(delta=13, min_area=int(2e-5 * area), max_area=int(0.11 * area), max_variation=55.0,
                min_diversity=0.0)


def _check_number(name, value, integer=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"mser: {name} must be a number, got {type(value).__name__}")
    if integer and not float(value).is_integer():
        raise ValueError(f"mser: {name} must be an integer, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"mser: {name} must be a finite number >= 0, got {value!r}")
    return int(value) if integer else float(value)


def mser(image: np.ndarray, *, delta: int = 5, min_area: int = 60, max_area: int = 14400,
         max_variation: float = 0.25, min_diversity: float = 0.2,
         polarity: Union[str, int] = "both", prob: Optional[np.ndarray] = None,
         min_prob: Optional[float] = None, return_pixels: bool = False,
         num_threads: int = 1) -> MserRegions:
    """Maximally stable extremal regions of a grey image, with per-region statistics.

    Gives the same regions as ``cv2.MSER_create(delta, min_area, max_area, max_variation,
    min_diversity).detectRegions(image)`` on grey images (OpenCV 4.x), with the same pixel lists
    (same pixels in the same flood order); the tests check boxes, areas and pixel lists against
    OpenCV (Jaccard 1.0 on every test image). The only systematic difference is the order of the
    regions: dark-on-light ones come first, then bright-on-dark ones, as in OpenCV, but within a
    polarity children come before their parents (stability is decided once over the finished tree
    instead of incrementally, which is faster and gives the same set). Like OpenCV:

    - regions are 4-connected and never contain the one-pixel image frame (images smaller than 3x3
      have no regions; OpenCV raises for them, we return none);
    - ``variation = (|R(l+delta)| - |R(l-delta)|) / |R(l)|`` where ``R(l+delta)`` is the largest
      ancestor at most ``delta`` levels up and ``R(l-delta)`` the smallest region at most ``delta``
      levels down along the largest-child chain; a region is kept when ``min_area <= area <=
      max_area``, ``variation <= max_variation``, its variation is not above any child's and (when
      positive) is below its parent's;
    - ``min_diversity`` is validated but has no effect: OpenCV 4.x only uses it for colour images.

    Defaults are OpenCV's. TextProposals uses ``delta=13, min_area=2e-5*W*H, max_area=0.11*W*H,
    max_variation=55, min_diversity=0``: see :func:`textproposals_params`.

    Args:
        image: uint8 HxW (or HxWx1) grey image, a NumPy array or torch tensor; any strides
            (non-contiguous views are read in place, Fortran order is fine).
        delta: grey-level step of the stability test (>= 0).
        min_area, max_area: inclusive pixel-count limits (>= 0); ``max_area < min_area`` gives no
            regions.
        max_variation: largest kept variation (>= 0).
        min_diversity: accepted for ``cv2.MSER_create`` compatibility (>= 0); no effect.
        polarity: ``"both"`` (0), ``"dark"`` (+1: regions darker than their surround) or
            ``"bright"`` (-1).
        prob: optional float32 HxW text-probability map in [0, 1] (NaN is an error), NumPy or a
            torch tensor; fills ``mean_prob``.
        min_prob: optional threshold in [0, 1]; regions whose mean probability is below it are
            dropped inside the core (needs ``prob``). Pruning never changes which regions are stable.
        return_pixels: also return the pixel lists (CSR ``pixel_offsets`` / ``pixel_indices``).
        num_threads: 1 (default, like ``cv2.MSER``) or more: with ``polarity="both"`` the bright
            pass then floods on a second thread; the output is identical.

    Returns:
        :class:`MserRegions`.

    Raises:
        TypeError: image not a uint8 array / tensor, prob not float32, non-numeric parameters.
        ValueError: not single-channel, prob shape mismatch, NaN or values outside [0, 1] in prob,
            negative parameters, ``min_prob`` without ``prob``, ``num_threads < 1``.
    """
    # Any strides are read in place by the core: no contiguous copy here (grey_image never makes one).
    image = _validate.grey_image(image, "image", "mser")
    delta = _check_number("delta", delta, integer=True)
    min_area = _check_number("min_area", min_area, integer=True)
    max_area = _check_number("max_area", max_area, integer=True)
    max_variation = _check_number("max_variation", max_variation)
    min_diversity = _check_number("min_diversity", min_diversity)
    try:
        pol = _POLARITY[polarity]
    except (KeyError, TypeError):
        raise ValueError(f"mser: polarity must be 'both', 'dark', 'bright', 0, 1 or -1, got {polarity!r}") from None
    if prob is not None:
        prob = _check_prob(prob, "mser", image.shape)
    if min_prob is None:
        thr = -1.0
    else:
        if prob is None:
            raise ValueError("mser: min_prob needs a prob map (pass prob=...)")
        thr = _check_number("min_prob", min_prob)
        if thr > 1:
            raise ValueError(f"mser: min_prob must be in [0, 1], got {min_prob!r}")
    num_threads = _check_number("num_threads", num_threads, integer=True)
    if num_threads < 1:
        raise ValueError(f"mser: num_threads must be >= 1, got {num_threads}")
    d = core().mser(image, prob, delta, min_area, max_area, max_variation, min_diversity, pol,
                    bool(return_pixels), thr, num_threads)
    return MserRegions(**d)
