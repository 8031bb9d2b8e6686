"""Exact quadrilateral IoU and EAST's locality-aware NMS (compiled core: ``csrc/nms``).

Quads are float32 ``[N, 4, 2]`` in image coordinates (x right, y down), clockwise from the top-left
corner by convention; any order is accepted. Every quad is measured through the convex hull of its
four corners, so counter-clockwise, self-intersecting and zero-area quads never fail: the IoU is
exact for convex quads and is the IoU of the hulls otherwise; a zero-area quad overlaps nothing.

Inputs are NumPy arrays or torch tensors (read as ``.cpu().numpy()``), checked by
:func:`textvision._validate.quads`; errors name the function and the argument.

The slow shapely references (:func:`lanms_reference`, :func:`polygon_iou_reference`) define the
behaviour that the tests hold the compiled ops to; nothing on a hot path uses them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from textvision import _validate
from textvision._ext import core

__all__ = ["LanmsResult", "lanms", "polygon_iou", "polygon_nms", "lanms_reference", "polygon_iou_reference"]


class LanmsResult(NamedTuple):
    """Boxes kept by :func:`lanms`, in descending score order.

    Attributes:
        quads: float32 [K, 4, 2], score-weighted averages of the merged input quads (vertex order of
            the first quad of each merged run).
        scores: float32 [K], the *summed* scores of the merged boxes (EAST's convention; divide by
            ``counts`` for a mean).
        counts: int32 [K], how many input boxes were merged into each kept box (>= 1).
    """

    quads: np.ndarray
    scores: np.ndarray
    counts: np.ndarray


def _as_scores(scores, n: int, who: str) -> np.ndarray:
    arr = _validate.as_array(scores, "scores", who)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{who}: scores must be a real-valued [N] array, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{who}: scores must have shape [{n}] to match the quads, got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"{who}: scores must be finite (NaN or infinite values found)")
    return arr


def _check_threshold(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def polygon_iou(a, b) -> np.ndarray:
    """IoU matrix of two sets of quads.

    Args:
        a: [N, 4, 2] (or [N, 8]) quad corners, any real dtype, pixels.
        b: [M, 4, 2] (or [M, 8]) quad corners.

    Returns:
        float64 [N, M] in [0, 1]: area(A ∩ B) / area(A ∪ B) of the convex hulls.
    """
    qa, qb = _validate.quads(a, "a", "polygon_iou"), _validate.quads(b, "b", "polygon_iou")
    return core().nms_polygon_iou(qa, qb)


def polygon_nms(quads, scores, iou_threshold: float = 0.2) -> np.ndarray:
    """Greedy NMS on quads: indices kept, by descending score (ties: earlier index first).

    Args:
        quads: [N, 4, 2] quad corners.
        scores: [N] scores (higher is better).
        iou_threshold: a box is dropped when its IoU with a kept box is > this, in [0, 1].

    Returns:
        int64 [K] indices into ``quads``.
    """
    q = _validate.quads(quads, "quads", "polygon_nms")
    s = _as_scores(scores, len(q), "polygon_nms")
    return core().nms_polygon_nms(q, s, _check_threshold(iou_threshold, "iou_threshold"))


def lanms(quads, scores, iou_threshold: float = 0.2, *, merge_threshold: float | None = None) -> LanmsResult:
    """Locality-aware NMS (Zhou et al., EAST, CVPR 2017).

    Pass 1 walks the boxes **in the given order** (EAST's decoder emits them in raster order, so
    consecutive boxes are row neighbours) and merges a box into the running one when their IoU is
    > ``merge_threshold``: corners are averaged with the scores as weights (the incoming quad's
    vertex order is aligned to the running one first) and scores are summed. Pass 2 is standard
    greedy NMS with ``iou_threshold`` on the merged boxes by their summed scores.

    Args:
        quads: [N, 4, 2] (or [N, 8]) quad corners, pixels; any real dtype (computed in float32/64).
        scores: [N] non-negative box scores (e.g. score-map values in [0, 1]).
        iou_threshold: NMS threshold in [0, 1] (EAST: 0.2).
        merge_threshold: merge threshold in [0, 1]; defaults to ``iou_threshold``.

    Returns:
        :class:`LanmsResult` with quads float32 [K, 4, 2], summed scores float32 [K], counts int32 [K].
    """
    q = _validate.quads(quads, "quads", "lanms")
    s = _as_scores(scores, len(q), "lanms")
    nms_t = _check_threshold(iou_threshold, "iou_threshold")
    merge_t = nms_t if merge_threshold is None else _check_threshold(merge_threshold, "merge_threshold")
    out_q, out_s, out_c = core().nms_lanms(q, s, merge_t, nms_t)
    return LanmsResult(out_q, out_s, out_c)


# --------------------------------------------------------------------------------------------------
# shapely references (tests and benchmarks only)


def _hull(quad: np.ndarray):
    from shapely.geometry import MultiPoint

    return MultiPoint([tuple(map(float, p)) for p in quad]).convex_hull


def polygon_iou_reference(a, b) -> np.ndarray:
    """shapely reference of :func:`polygon_iou` (float64 [N, M])."""
    qa, qb = _validate.quads(a, "a", "polygon_iou_reference"), _validate.quads(b, "b", "polygon_iou_reference")
    ha, hb = [_hull(q) for q in qa], [_hull(q) for q in qb]
    out = np.zeros((len(qa), len(qb)), dtype=np.float64)
    for i, pa in enumerate(ha):
        for j, pb in enumerate(hb):
            out[i, j] = _iou_shapely(pa, pb)
    return out


def _iou_shapely(pa, pb) -> float:
    if pa.area <= 0 or pb.area <= 0:
        return 0.0
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    return float(inter / union) if union > 0 else 0.0


def _align(running: np.ndarray, q: np.ndarray) -> np.ndarray:
    """q's corners re-ordered (cyclic shift, either direction) to sit closest to running's."""
    best, best_d = None, np.inf
    for direction in (1, -1):
        for shift in range(4):
            idx = [(shift + direction * i) % 4 for i in range(4)]
            d = float(((q[idx].astype(np.float64) - running) ** 2).sum())
            if d < best_d:
                best, best_d = q[idx], d
    return best.astype(np.float64)


def lanms_reference(quads, scores, iou_threshold: float = 0.2, *, merge_threshold: float | None = None) -> LanmsResult:
    """shapely reference of :func:`lanms` (same semantics, ~100x slower)."""
    q = _validate.quads(quads, "quads", "lanms_reference")
    s = _as_scores(scores, len(q), "lanms_reference")
    nms_t = float(iou_threshold)
    merge_t = nms_t if merge_threshold is None else float(merge_threshold)
    merged_q, merged_s, merged_c = [], [], []
    run, run_s, run_c, run_poly = None, 0.0, 0, None
    for quad, score in zip(q, s):
        poly = _hull(quad)
        if run is not None and _iou_shapely(poly, run_poly) > merge_t:
            total = run_s + float(score)
            wa = run_s / total if total > 0 else run_c / (run_c + 1)
            run = wa * run + (1 - wa) * _align(run, quad)
            run_s, run_c = total, run_c + 1
            run_poly = _hull(run.astype(np.float32))
            continue
        if run is not None:
            merged_q.append(run.astype(np.float32))
            merged_s.append(np.float32(run_s))
            merged_c.append(run_c)
        run, run_s, run_c, run_poly = quad.astype(np.float64), float(score), 1, poly
    if run is not None:
        merged_q.append(run.astype(np.float32))
        merged_s.append(np.float32(run_s))
        merged_c.append(run_c)
    order = sorted(range(len(merged_s)), key=lambda i: -merged_s[i])  # stable: ties keep order
    polys = [_hull(m) for m in merged_q]
    keep, removed = [], set()
    for oi, i in enumerate(order):
        if i in removed:
            continue
        keep.append(i)
        for j in order[oi + 1:]:
            if j not in removed and _iou_shapely(polys[i], polys[j]) > nms_t:
                removed.add(j)
    return LanmsResult(
        np.array([merged_q[i] for i in keep], dtype=np.float32).reshape(-1, 4, 2),
        np.array([merged_s[i] for i in keep], dtype=np.float32),
        np.array([merged_c[i] for i in keep], dtype=np.int32),
    )
