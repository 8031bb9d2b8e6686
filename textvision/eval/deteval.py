"""ICDAR 2013 (focused text) DetEval protocol (Wolf & Jolion 2006, as the Robust Reading scripts run it).

Rectangles are compared by area recall (intersection / GT area) and area precision (intersection /
detection area) with inclusive pixel coordinates (a box ``0,0,9,9`` has area 100). Matches are
found in three passes: one-to-one (both constraints, a single overlap each way and close centres),
one-to-many (one GT split over several detections) and many-to-one (several GT merged into one
detection). Split matches are weighted 0.8 (``split_weight``); merges count in full by default, as
in the ICDAR 2013 script (``merge_weight=1.0``; Wolf & Jolion's original penalises them by 0.8 too).
"""
from __future__ import annotations

from typing import List

import numpy as np

from textvision.eval._inputs import gather
from textvision.eval.scores import DetectionScores, ImageScores, Match, hmean

__all__ = ["deteval_icdar2013"]


def _rects(quads: np.ndarray) -> np.ndarray:
    if len(quads) == 0:
        return np.zeros((0, 4), np.float64)
    return np.concatenate([quads.min(1), quads.max(1)], axis=1)


def _inter(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dx = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + 1
    dy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + 1
    return np.where((dx >= 0) & (dy >= 0), dx * dy, 0.0)


def _area(r: np.ndarray) -> np.ndarray:
    return (r[:, 2] - r[:, 0] + 1) * (r[:, 3] - r[:, 1] + 1)


def _image(gq, g_ignore, dq, tr, tp, center_thr, w_split, w_merge, key=0) -> ImageScores:
    g, d = _rects(gq), _rects(dq)
    n_gt, n_det = len(g), len(d)
    det_dc = np.zeros(n_det, bool)
    if g_ignore.any() and n_det:
        inter = _inter(d, g[g_ignore])
        ad = _area(d)[:, None]
        frac = np.divide(inter, ad, out=np.zeros_like(inter), where=ad != 0)
        det_dc = (frac > tp).any(1)
    recall_acc = precision_acc = 0.0
    pairs: List[Match] = []
    if n_det and n_gt:
        inter = _inter(g, d)
        ag, ad = _area(g)[:, None], _area(d)[None, :]
        R = np.divide(inter, ag, out=np.zeros_like(inter), where=ag != 0)
        P = np.divide(inter, ad, out=np.zeros_like(inter), where=ad != 0)
        ok = (R >= tr) & (P >= tp)
        ok_per_gt, ok_per_det = ok.sum(1), ok.sum(0)
        overlap = R > 0
        n_over_gt = (overlap & ~det_dc[None, :]).sum(1)  # care detections touching each GT
        n_over_det = (overlap & ~g_ignore[:, None]).sum(0)  # care GT touching each detection
        gt_done = np.zeros(n_gt, bool)
        det_done = np.zeros(n_det, bool)
        cg = np.stack([(g[:, 0] + g[:, 2] + 1) / 2, (g[:, 1] + g[:, 3] + 1) / 2], 1)
        cd = np.stack([(d[:, 0] + d[:, 2] + 1) / 2, (d[:, 1] + d[:, 3] + 1) / 2], 1)
        diag_g = np.hypot(g[:, 2] - g[:, 0] + 1, g[:, 3] - g[:, 1] + 1)
        diag_d = np.hypot(d[:, 2] - d[:, 0] + 1, d[:, 3] - d[:, 1] + 1)

        # 1. one-to-one
        for i in range(n_gt):
            if g_ignore[i]:
                continue
            for j in range(n_det):
                if gt_done[i] or det_done[j] or det_dc[j]:
                    continue
                if not (ok[i, j] and ok_per_gt[i] == 1 and ok_per_det[j] == 1):
                    continue
                if n_over_gt[i] != 1 or n_over_det[j] != 1:
                    continue
                dist = np.hypot(*(cg[i] - cd[j])) / (diag_g[i] + diag_d[j]) * 2.0
                if dist < center_thr:
                    gt_done[i] = det_done[j] = True
                    recall_acc += 1.0
                    precision_acc += 1.0
                    pairs.append(Match("one-to-one", (i,), (j,)))
        # 2. one-to-many: one GT split over several detections
        for i in range(n_gt):
            if g_ignore[i] or gt_done[i]:
                continue
            js = np.nonzero(~det_done & ~det_dc & (P[i] >= tp))[0]
            if round(float(R[i, js].sum()), 4) >= tr and n_over_gt[i] >= 2:
                gt_done[i] = True
                det_done[js] = True
                recall_acc += 1.0 if len(js) == 1 else w_split
                precision_acc += 1.0 if len(js) == 1 else w_split * len(js)
                pairs.append(Match("one-to-many", (i,), tuple(js.tolist())))
        # 3. many-to-one: several GT merged into one detection
        for j in range(n_det):
            if det_dc[j] or det_done[j]:
                continue
            is_ = np.nonzero(~gt_done & ~g_ignore & (R[:, j] >= tr))[0]
            if round(float(P[is_, j].sum()), 4) >= tp and n_over_det[j] >= 2:
                det_done[j] = True
                gt_done[is_] = True
                recall_acc += 1.0 if len(is_) == 1 else w_merge * len(is_)
                precision_acc += 1.0 if len(is_) == 1 else w_merge
                pairs.append(Match("many-to-one", tuple(is_.tolist()), (j,)))
    gt_care = int(n_gt - g_ignore.sum())
    det_care = int(n_det - det_dc.sum())
    if gt_care == 0:
        recall, precision = 1.0, (0.0 if n_det > 0 else 1.0)  # as the script: any detection, even dropped
    else:
        recall = recall_acc / gt_care
        precision = 0.0 if det_care == 0 else precision_acc / det_care
    return ImageScores(image=key, precision=precision, recall=recall, hmean=hmean(precision, recall),
                       gt_matched=recall_acc, det_matched=precision_acc, num_gt=gt_care, num_det=det_care,
                       matches=tuple(pairs), det_dont_care=tuple(np.nonzero(det_dc)[0].tolist()))


def deteval_icdar2013(gt, det, *, area_recall: float = 0.8, area_precision: float = 0.4,
                      center_threshold: float = 1.0, split_weight: float = 0.8, merge_weight: float = 1.0,
                      strict: bool = True) -> DetectionScores:
    """Evaluate word detections with the ICDAR 2013 DetEval protocol.

    Args:
        gt: per-image ground truth as for :func:`~textvision.eval.icdar2015` (instances, ``(quads,
            ignore)`` pairs, quads or boxes [N, 4] ``(xmin, ymin, xmax, ymax)``), a mapping, or a folder
            / ``.zip`` of ICDAR 2013 ``gt_*.txt`` files (files with 8 coordinates per line, ICDAR 2015
            style, are read as quads). Quads are reduced to their bounding boxes.
            Coordinates are inclusive pixel indices (area = (w + 1) * (h + 1)).
        det: per-image detections (quads [M, 4, 2], boxes [M, 4]), a mapping, or a folder / ``.zip``
            of ``res_*.txt`` files (``xmin,ymin,xmax,ymax``).
        area_recall, area_precision: DetEval constraints t_r = 0.8, t_p = 0.4. A detection whose
            area lies more than ``area_precision`` on a don't-care GT is discarded.
        center_threshold: one-to-one matches need the centre distance, over the mean diagonal, below
            this (1.0).
        split_weight: credit of a one-to-many (split) match: 0.8 recall for the GT, 0.8 precision for
            each of its detections.
        merge_weight: credit of a many-to-one (merge) match per GT (recall) and for the detection
            (precision); 1.0 as the ICDAR 2013 script, 0.8 as Wolf & Jolion's original.
        strict: passed to the file readers.

    Returns:
        :class:`~textvision.eval.DetectionScores`: ``precision``, ``recall``, ``hmean`` in [0, 1] over all
        images (accumulated match credit ``det_matched`` over care detections ``num_det``, ``gt_matched``
        over care GT ``num_gt``) and ``per_image`` (:class:`~textvision.eval.ImageScores`, the same per
        image, ``matches`` with their kind, ``gt`` and ``det`` indices).
    """
    keys, gts, dets = gather(gt, det, "icdar2013", strict)
    per_image = []
    r_sum = p_sum = 0.0
    n_gt = n_det = 0
    for key, (gq, gi), dq in zip(keys, gts, dets):
        r = _image(gq, gi, dq, area_recall, area_precision, center_threshold, split_weight, merge_weight, key)
        per_image.append(r)
        r_sum += r.gt_matched
        p_sum += r.det_matched
        n_gt += r.num_gt
        n_det += r.num_det
    recall = r_sum / n_gt if n_gt else 0.0
    precision = p_sum / n_det if n_det else 0.0
    return DetectionScores(precision=precision, recall=recall, hmean=hmean(precision, recall), gt_matched=r_sum,
                           det_matched=p_sum, num_gt=n_gt, num_det=n_det, per_image=tuple(per_image))
