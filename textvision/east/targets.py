"""EAST training targets: score map, RBOX geometry and training mask at 1/4 resolution."""
from __future__ import annotations

from typing import NamedTuple, Sequence, Tuple

import cv2
import numpy as np

from textvision.east.geometry import image_to_map, map_to_image, rbox_of, repair_quad, shrink_quad

__all__ = ["EASTTargets", "targets"]

_SHIFT = 4  # fillPoly fixed-point bits: sub-cell accuracy for quads drawn at 1/4 resolution


class EASTTargets(NamedTuple):
    """Targets of one image at map size ``(h, w) = ceil(H * scale), ceil(W * scale)``.

    Attributes:
        score: float32 [h, w] in {0, 1}: 1 inside the shrunk quads of cared-for words.
        geometry: float32 [5, h, w]: distances (input pixels, >= 0) from each positive cell's centre
            to the top, right, bottom and left side of its word's rotated rectangle, and the angle
            in radians in [-pi/4, pi/4); zero elsewhere.
        mask: float32 [h, w] in {0, 1}: 0 over don't-care and too-small words (excluded from the
            loss), 1 elsewhere.
        fixed: quads that were counter-clockwise (re-ordered) or self-intersecting / concave
            (replaced by their minimum-area rectangle).
        dropped: degenerate quads (zero area, collinear, non-finite) that were skipped.
        masked: words masked out of the loss (don't care, or short side < ``min_side``).
    """

    score: np.ndarray
    geometry: np.ndarray
    mask: np.ndarray
    fixed: int
    dropped: int
    masked: int


def _instances(instances, ignore) -> Tuple[list, list]:
    """Accept a sequence of TextInstance-like objects (``.quad``, ``.ignore``) or quads [N, 4, 2]."""
    if isinstance(instances, np.ndarray) or (len(instances) and not hasattr(instances[0], "quad")):
        quads = np.asarray(instances, dtype=np.float64)
        if quads.size == 0:
            quads = quads.reshape(0, 4, 2)
        if quads.ndim != 3 or quads.shape[1:] != (4, 2):
            raise ValueError(f"quads must have shape [N, 4, 2], got {quads.shape}")
        flags = np.zeros(len(quads), bool) if ignore is None else np.asarray(ignore, bool)
        if flags.shape != (len(quads),):
            raise ValueError(f"ignore must have shape [{len(quads)}], got {flags.shape}")
        return list(quads), list(flags)
    quads, flags = [], []
    for inst in instances:
        q = np.asarray(inst.quad, dtype=np.float64)
        if q.size != 8:
            raise ValueError(f"instance quad must have 8 values, got shape {q.shape}")
        quads.append(q.reshape(4, 2))
        flags.append(bool(getattr(inst, "ignore", False)) or getattr(inst, "text", "") == "###")
    return quads, flags


def _fill(canvas: np.ndarray, quad_img: np.ndarray, scale: float, value) -> None:
    pts = np.round(image_to_map(quad_img, scale) * (1 << _SHIFT)).astype(np.int32).reshape(1, 4, 2)
    cv2.fillPoly(canvas, pts, value, lineType=cv2.LINE_8, shift=_SHIFT)


def targets(image_shape: Sequence[int], instances, *, ignore=None, scale: float = 0.25, shrink: float = 0.3,
            min_side: float = 10.0) -> EASTTargets:
    """EAST targets for one image.

    Args:
        image_shape: ``(H, W)`` or ``(H, W, C)`` of the (augmented) input image.
        instances: sequence of ``TextInstance`` (``.quad`` float [4, 2], ``.ignore``; text ``"###"``
            also means don't care) or an array of quads [N, 4, 2] in image pixels. Quads may be in
            any vertex order, self-intersecting, degenerate, or partly / wholly outside the image.
        ignore: with an array of quads, optional bool [N] don't-care flags.
        scale: map resolution relative to the image (EAST: 0.25).
        shrink: EAST's shrink ratio (0.3): positives are the quad shrunk by ``shrink * r_i``.
        min_side: words whose minimum-area rectangle has a side shorter than this (pixels) are
            masked out of the loss (EAST: 10).

    Returns:
        :class:`EASTTargets`.
    """
    if len(image_shape) not in (2, 3) or image_shape[0] <= 0 or image_shape[1] <= 0:
        raise ValueError(f"image_shape must be (H, W) or (H, W, C) with positive sizes, got {tuple(image_shape)}")
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if not 0 <= shrink < 0.5:
        raise ValueError(f"shrink must be in [0, 0.5), got {shrink}")
    H, W = int(image_shape[0]), int(image_shape[1])
    h, w = int(np.ceil(H * scale)), int(np.ceil(W * scale))
    quads, flags = _instances(instances, ignore)

    score = np.zeros((h, w), np.uint8)
    geometry = np.zeros((5, h, w), np.float32)
    mask = np.ones((h, w), np.uint8)
    fixed = dropped = masked = 0
    to_mask = []
    local = np.zeros((h, w), np.uint8)
    for quad, dont_care in zip(quads, flags):
        q, status = repair_quad(quad)
        if q is None:
            dropped += 1
            continue
        fixed += status != "ok"
        box = rbox_of(q)
        if dont_care or 2 * min(box.a, box.b) < min_side:
            to_mask.append(q)
            continue
        shrunk = shrink_quad(q, shrink)
        # Only the bounding window of the word is touched, so the cost scales with the word's size.
        m = image_to_map(q, scale)
        x0, y0 = np.clip(np.floor(m.min(0)).astype(int) - 1, 0, [w, h])
        x1, y1 = np.clip(np.ceil(m.max(0)).astype(int) + 2, 0, [w, h])
        if x1 <= x0 or y1 <= y0:
            continue  # wholly outside the image
        local[y0:y1, x0:x1] = 0
        _fill(local, shrunk, scale, 1)
        ys, xs = np.nonzero(local[y0:y1, x0:x1])
        if len(ys) == 0:
            continue
        ys, xs = ys + y0, xs + x0
        px, py = map_to_image(xs, scale) - box.cx, map_to_image(ys, scale) - box.cy
        c, s = np.cos(box.theta), np.sin(box.theta)
        pu = px * c + py * s  # along the top edge
        pv = -px * s + py * c  # across, pointing down
        geometry[0, ys, xs] = np.maximum(box.b + pv, 0)
        geometry[1, ys, xs] = np.maximum(box.a - pu, 0)
        geometry[2, ys, xs] = np.maximum(box.b - pv, 0)
        geometry[3, ys, xs] = np.maximum(box.a + pu, 0)
        geometry[4, ys, xs] = box.theta
        score[ys, xs] = 1
    # Masked words last so that an overlapping positive cannot re-enable them.
    for q in to_mask:
        masked += 1
        _fill(mask, q, scale, 0)
        local[:] = 0
        _fill(local, q, scale, 1)
        score[local > 0] = 0
        geometry[:, local > 0] = 0
    return EASTTargets(score.astype(np.float32), geometry, mask.astype(np.float32), fixed, dropped, masked)
