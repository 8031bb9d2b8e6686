"""Exact single-linkage clustering of low-dimensional points (Python face of ``csrc/proposals/cluster.cpp``).

The compiled core builds the Euclidean minimum spanning tree, then merges its edges in order. Up to
a few thousand points (``prim_max_points``; by default 6000 on CPUs with AVX2, 4000 otherwise) it runs
an O(n^2)-time, O(n)-memory Prim loop, above that Boruvka rounds over a k-d tree (roughly
O(n log n) in 2-3 dimensions); neither builds the distance matrix. Equal distances are broken by the
edge's endpoint indices, so the result is unique and the same whichever algorithm ran.
"""
from __future__ import annotations

import logging
import operator
from typing import NamedTuple, Optional

import numpy as np

from textvision._ext import core

logger = logging.getLogger(__name__)


class Dendrogram(NamedTuple):
    """Single-linkage merges in SciPy's ``linkage`` convention.

    Merge ``i`` creates cluster ``n + i`` from ``left[i] < right[i]`` (ids below ``n`` are the input
    points). ``left``, ``right``, ``size``: int32 [n-1]; ``height``: float64 [n-1], non-decreasing.
    """

    left: np.ndarray
    right: np.ndarray
    height: np.ndarray
    size: np.ndarray

    def to_linkage(self) -> np.ndarray:
        """The SciPy-style linkage matrix float64 [n-1, 4]: (left, right, height, size)."""
        return np.stack([self.left, self.right, self.height, self.size], axis=1).astype(np.float64)


class SpanningTree(NamedTuple):
    """A Euclidean minimum spanning tree of n points (:func:`euclidean_mst`): its n - 1 edges, sorted by
    ``(length, u, v)``.

    Attributes:
        u, v: int32 [n-1] endpoint indices into the points, ``u < v``.
        length: float64 [n-1] Euclidean edge lengths, non-decreasing.
    """

    u: np.ndarray
    v: np.ndarray
    length: np.ndarray


def _points(points) -> np.ndarray:
    pts = np.asarray(points)
    if pts.ndim != 2 or not 1 <= pts.shape[1] <= 8:
        raise ValueError(f"points must be [n, d] with 1 <= d <= 8, got shape {pts.shape}")
    if not np.issubdtype(pts.dtype, np.number) or np.issubdtype(pts.dtype, np.complexfloating):
        raise TypeError(f"points must be real numbers, got dtype {pts.dtype}")
    pts = np.ascontiguousarray(pts, dtype=np.float64)
    if not np.isfinite(pts).all():
        raise ValueError("points contain NaN or infinity")
    return pts


def _prim_max_points(prim_max_points: Optional[int]) -> int:
    if prim_max_points is None:
        return -1  # the core's built-in switch point
    if isinstance(prim_max_points, (bool, np.bool_)):
        raise TypeError(f"prim_max_points must be an int or None, got {prim_max_points!r}")
    try:
        value = operator.index(prim_max_points)
    except TypeError:
        raise TypeError(
            f"prim_max_points must be an int or None, got {type(prim_max_points).__name__}"
        ) from None
    if value < 0:
        raise ValueError(f"prim_max_points must be >= 0, got {value}")
    return value


def euclidean_mst(points, *, prim_max_points: Optional[int] = None) -> SpanningTree:
    """Euclidean minimum spanning tree.

    Args:
        points: [n, d] real array, 1 <= d <= 8.
        prim_max_points: run the O(n^2) Prim loop when n <= this, k-d tree Boruvka above; both give
            the same unique MST, only the speed differs. None: the built-in crossover (6000 points
            with AVX2, 4000 without). The algorithm that ran is logged at DEBUG.

    Returns:
        :class:`SpanningTree` ``(u, v, length)``: int32 [n-1] endpoints with ``u < v`` and float64 [n-1]
        Euclidean lengths, sorted by (length, u, v).
    """
    pts = _points(points)
    u, v, d2, algorithm = core().proposals_euclidean_mst(
        pts, prim_max_points=_prim_max_points(prim_max_points), return_algorithm=True
    )
    logger.debug("euclidean_mst: %d points, %s", len(pts), algorithm)
    return SpanningTree(u, v, np.sqrt(d2))


def single_linkage(points, *, prim_max_points: Optional[int] = None) -> Dendrogram:
    """Single-linkage dendrogram of ``points`` ([n, d] real, 1 <= d <= 8) under Euclidean distance.

    ``prim_max_points`` chooses the MST algorithm as in :func:`euclidean_mst` (None: built-in).
    """
    pts = _points(points)
    left, right, height, size, algorithm = core().proposals_single_linkage(
        pts, prim_max_points=_prim_max_points(prim_max_points), return_algorithm=True
    )
    logger.debug("single_linkage: %d points, %s", len(pts), algorithm)
    return Dendrogram(left, right, height, size)
