"""Quad geometry shared by EAST's targets and decoder: validation/repair, shrinking, RBOX frames.

Conventions: image coordinates (x right, y down, pixel centres at integers); quads float [4, 2]
clockwise on screen from the top-left corner. A cell ``(i, j)`` of a map at ``scale`` (0.25 for
EAST) covers input pixels ``j/scale .. (j+1)/scale - 1`` and stands for their centre,
``x = (j + 0.5) / scale - 0.5`` (``map_to_image``).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import cv2
import numpy as np

__all__ = ["Rbox", "RepairedQuad", "repair_quad", "shrink_quad", "rbox_of", "restore_quads", "map_to_image", "image_to_map"]


def map_to_image(idx, scale: float) -> np.ndarray:
    """Map index (float ok) -> image coordinate of the cell centre: float64 of ``idx``'s shape (a NumPy
    scalar for a scalar ``idx``)."""
    return (np.asarray(idx, dtype=np.float64) + 0.5) / scale - 0.5


def image_to_map(coord, scale: float) -> np.ndarray:
    """Image coordinate -> continuous map coordinate (inverse of :func:`map_to_image`): float64 of
    ``coord``'s shape (a NumPy scalar for a scalar ``coord``)."""
    return (np.asarray(coord, dtype=np.float64) + 0.5) * scale - 0.5


def _signed_area(q: np.ndarray) -> float:
    x, y = q[:, 0], q[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _is_convex_cw(q: np.ndarray) -> bool:
    """True for a strictly convex quad in clockwise (y down: positive cross products) order."""
    e = np.roll(q, -1, axis=0) - q
    cross = e[:, 0] * np.roll(e, -1, axis=0)[:, 1] - e[:, 1] * np.roll(e, -1, axis=0)[:, 0]
    return bool(np.all(cross > 0))


def _start_top_left(q: np.ndarray) -> np.ndarray:
    """Rotate a clockwise quad so that it starts at the corner with the smallest x + y."""
    return np.roll(q, -int(np.argmin(q[:, 0] + q[:, 1])), axis=0)


class RepairedQuad(NamedTuple):
    """A quad made usable for training, or rejected (:func:`repair_quad`).

    Attributes:
        quad: float64 [4, 2] clockwise quad, or None when rejected.
        status: ``"ok"``, ``"reordered"``, ``"rectified"`` or ``"degenerate"`` (then ``quad`` is None).
    """

    quad: Optional[np.ndarray]
    status: str


def repair_quad(quad, min_area: float = 1.0) -> RepairedQuad:
    """Make a quad usable for training, or reject it.

    Args:
        quad: [4, 2] corners, any order.
        min_area: quads with a smaller area (pixels^2) are rejected as degenerate.

    Returns:
        :class:`RepairedQuad` ``(quad, status)``: float64 [4, 2] clockwise quad and ``"ok"`` /
        ``"reordered"`` (it was counter-clockwise) / ``"rectified"`` (self-intersecting or concave:
        replaced by its minimum-area rectangle, starting top-left); or ``(None, "degenerate")`` for
        non-finite, zero-area or collinear quads.
    """
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    if not np.isfinite(q).all():
        return RepairedQuad(None, "degenerate")
    area = _signed_area(q)
    if _is_convex_cw(q) and area >= min_area:
        return RepairedQuad(q, "ok")
    if _is_convex_cw(q[::-1]) and -area >= min_area:
        return RepairedQuad(q[[0, 3, 2, 1]], "reordered")
    rect = cv2.minAreaRect(q.astype(np.float32))
    (w, h) = rect[1]
    if w * h < min_area:
        return RepairedQuad(None, "degenerate")
    pts = cv2.boxPoints(rect).astype(np.float64)
    if _signed_area(pts) < 0:
        pts = pts[::-1]
    return RepairedQuad(_start_top_left(pts), "rectified")


def shrink_quad(q: np.ndarray, ratio: float = 0.3) -> np.ndarray:
    """EAST's shrunk quad: each edge moves inward by ``ratio * r_i`` at vertex i, with r_i the
    shorter of the two edges meeting at vertex i; the longer pair of opposite edges goes first.

    Args:
        q: float [4, 2] clockwise quad.
    Returns:
        float64 [4, 2].
    """
    q = np.asarray(q, dtype=np.float64).copy()
    edge_len = np.linalg.norm(np.roll(q, -1, axis=0) - q, axis=1)  # edge i: vertex i -> i+1
    r = np.minimum(edge_len, np.roll(edge_len, 1))  # shorter edge at each vertex
    # Moving both ends of edge (i, i+1) towards each other pulls the two edges adjacent to it inward.
    pairs = [(0, 2), (1, 3)]
    if edge_len[0] + edge_len[2] < edge_len[1] + edge_len[3]:
        pairs = pairs[::-1]
    for pair in pairs:
        for i in pair:
            j = (i + 1) % 4
            d = q[j] - q[i]
            n = np.linalg.norm(d)
            if n < 1e-9:
                continue
            d /= n
            q[i] += ratio * r[i] * d
            q[j] -= ratio * r[j] * d
    return q


class Rbox(NamedTuple):
    """A rotated rectangle: centre (cx, cy), half extents (a along the top edge, b across), angle
    theta of the top edge in [-pi/4, pi/4) (positive = clockwise on screen)."""

    cx: float
    cy: float
    a: float
    b: float
    theta: float


def rbox_of(q: np.ndarray) -> Rbox:
    """The minimum-area rectangle around a quad, in EAST's RBOX convention (angle folded into
    [-pi/4, pi/4); the side then called "top" is the one nearest to horizontal)."""
    q = np.asarray(q, dtype=np.float64)
    pts = cv2.boxPoints(cv2.minAreaRect(q.astype(np.float32))).astype(np.float64)
    e = pts[1] - pts[0]
    phi = np.arctan2(e[1], e[0])
    theta = (phi + np.pi / 4) % (np.pi / 2) - np.pi / 4
    u = np.array([np.cos(theta), np.sin(theta)])
    v = np.array([-np.sin(theta), np.cos(theta)])
    c = pts.mean(0)
    pu, pv = (pts - c) @ u, (pts - c) @ v
    return Rbox(float(c[0]), float(c[1]), float(pu.max() - pu.min()) / 2, float(pv.max() - pv.min()) / 2, float(theta))


def restore_quads(xy: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """Quads from pixels and their RBOX geometry (the inverse of the targets).

    Args:
        xy: float [N, 2] image coordinates of the pixels.
        geometry: float [N, 5]: distances to top, right, bottom, left (pixels), angle (radians).

    Returns:
        float32 [N, 4, 2], clockwise from the top-left of the rotated frame.
    """
    xy = np.asarray(xy, dtype=np.float64)
    g = np.asarray(geometry, dtype=np.float64)
    t, r, b, l, th = g[:, 0], g[:, 1], g[:, 2], g[:, 3], g[:, 4]
    u = np.stack([np.cos(th), np.sin(th)], 1)
    v = np.stack([-np.sin(th), np.cos(th)], 1)
    along = np.stack([-l, r, r, -l], 1)[..., None]  # [N, 4, 1]
    across = np.stack([-t, -t, b, b], 1)[..., None]
    return (xy[:, None, :] + along * u[:, None, :] + across * v[:, None, :]).astype(np.float32)
