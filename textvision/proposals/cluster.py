"""Exact single-linkage clustering of low-dimensional points (Python face of ``csrc/cluster``).

The compiled core builds the Euclidean minimum spanning tree with Boruvka rounds over a k-d tree
(roughly O(n log n) in 2-3 dimensions, never the O(n^2) distance matrix), then merges its edges in
order. Equal distances are broken by the edge's endpoint indices, so the result is unique.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from textvision._ext import core


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


def euclidean_mst(points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euclidean minimum spanning tree.

    Args:
        points: [n, d] real array, 1 <= d <= 8.

    Returns:
        ``(u, v, length)``: int32 [n-1] endpoints with ``u < v`` and float64 [n-1] Euclidean lengths,
        sorted by (length, u, v).
    """
    u, v, d2 = core().proposals_euclidean_mst(_points(points))
    return u, v, np.sqrt(d2)


def single_linkage(points) -> Dendrogram:
    """Single-linkage dendrogram of ``points`` ([n, d] real, 1 <= d <= 8) under Euclidean distance."""
    left, right, height, size = core().proposals_single_linkage(_points(points))
    return Dendrogram(left, right, height, size)
