"""Detection rate of ranked object proposals (recall of word boxes among the top-k proposals)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from textvision.data.instances import TextInstance
from textvision.eval.scores import RecallAtK

__all__ = ["detection_rate", "first_hit_rank", "box_hits"]

_CHUNK = 16384  # proposals per block: bounds the IoU block to CHUNK x G floats


def _boxes(x, what: str) -> np.ndarray:
    if isinstance(x, (list, tuple)) and x and all(isinstance(i, TextInstance) for i in x):
        return np.stack([i.box for i in x]).astype(np.float64)
    a = np.asarray(x, np.float64)
    if a.size == 0:
        return np.zeros((0, 4), np.float64)
    if a.ndim == 3 and a.shape[1:] == (4, 2):  # quads -> their boxes
        a = np.concatenate([a.min(1), a.max(1)], axis=1)
    if a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"{what} must be boxes [N, 4] (x1, y1, x2, y2), got shape {a.shape}")
    return a


def box_hits(boxes: np.ndarray, gt_boxes: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """bool [P, G]: box p overlaps ground-truth box g with IoU >= ``iou`` (computed without dividing:
    ``inter >= iou * union`` and ``inter > 0``). Both float [N, 4] ``(x1, y1, x2, y2)``, already checked;
    memory P x G, so callers with many boxes pass them in chunks."""
    b = np.asarray(boxes, np.float64)
    g = np.asarray(gt_boxes, np.float64)
    iw = np.minimum(b[:, None, 2], g[None, :, 2]) - np.maximum(b[:, None, 0], g[None, :, 0])
    ih = np.minimum(b[:, None, 3], g[None, :, 3]) - np.maximum(b[:, None, 1], g[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[:, None] + ((g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]))[None, :] \
        - inter
    return (inter >= iou * union) & (inter > 0)


def first_hit_rank(proposals: np.ndarray, gt_boxes: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """For each GT box, the 0-based rank of the first proposal with IoU >= ``iou`` (-1 if none).

    Args:
        proposals: float [P, 4] ``(x1, y1, x2, y2)``, best first.
        gt_boxes: float [G, 4].

    Returns:
        int64 [G].
    """
    p = _boxes(proposals, "proposals")
    g = _boxes(gt_boxes, "gt_boxes")
    first = np.full(len(g), -1, np.int64)
    if len(g) == 0 or len(p) == 0:
        return first
    todo = np.ones(len(g), bool)
    for s in range(0, len(p), _CHUNK):
        if not todo.any():
            break
        hit = box_hits(p[s:s + _CHUNK], g[todo], iou)
        any_hit = hit.any(0)
        idx = np.nonzero(todo)[0]
        first[idx[any_hit]] = s + hit[:, any_hit].argmax(0)
        todo[idx[any_hit]] = False
    return first


def detection_rate(proposals, gt_boxes, ks: Sequence[Optional[int]] = (10, 100, 1000, None),
                   iou: float = 0.5, ignore=None) -> RecallAtK:
    """Fraction of ground-truth words hit (IoU >= ``iou``) by at least one of the top-k proposals.

    Args:
        proposals: float [P, 4] boxes ``(x1, y1, x2, y2)`` ranked best first, or a list of such
            arrays (one per image).
        gt_boxes: float [G, 4] boxes (or quads [G, 4, 2], or a list of
            :class:`~textvision.data.TextInstance`), or a list of those per image.
        ks: cut-offs; ``None`` means all proposals.
        iou: intersection over union needed for a hit.
        ignore: optional bool [G] (or a list per image) of don't-care words, which are left out
            (instances carry their own ``ignore`` flag).

    Returns:
        :class:`~textvision.eval.RecallAtK`: for each k in ``ks``, hits over care GT words pooled over
        all images, in [0, 1] (NaN when there is no care GT word); ``.at(k)`` reads one.
        Vectorised: 10^5 proposals x 50 boxes take tens of ms.
    """
    per_image = isinstance(proposals, (list, tuple)) and (
        len(proposals) == 0 or not np.isscalar(proposals[0]) and np.ndim(proposals[0]) == 2)
    if per_image:
        props, gts = list(proposals), list(gt_boxes)
        igns = list(ignore) if ignore is not None else [None] * len(gts)
        if not (len(props) == len(gts) == len(igns)):
            raise ValueError(f"per-image lists differ in length: {len(props)} proposals, {len(gts)} gt, "
                             f"{len(igns)} ignore")
    else:
        props, gts, igns = [proposals], [gt_boxes], [ignore]
    ranks = []
    for p, g, ig in zip(props, gts, igns):
        if ig is None and isinstance(g, (list, tuple)) and g and all(isinstance(i, TextInstance) for i in g):
            ig = [i.ignore for i in g]
        gb = _boxes(g, "gt_boxes")
        keep = np.ones(len(gb), bool) if ig is None else ~np.asarray(ig, bool).reshape(-1)
        if len(keep) != len(gb):
            raise ValueError(f"ignore has {len(keep)} flags for {len(gb)} gt boxes")
        ranks.append(first_hit_rank(p, gb[keep], iou))
    r = np.concatenate(ranks) if ranks else np.zeros(0, np.int64)
    rates = []
    for k in ks:
        if len(r) == 0:
            rates.append(float("nan"))
        elif k is None:
            rates.append(float(np.mean(r >= 0)))
        else:
            rates.append(float(np.mean((r >= 0) & (r < int(k)))))
    return RecallAtK(tuple(ks), tuple(rates), len(r))
