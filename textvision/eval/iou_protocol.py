"""ICDAR 2015 (Robust Reading, Challenge 4) localisation protocol: one-to-one matching at IoU > 0.5."""
from __future__ import annotations

from typing import List

import numpy as np
import shapely

from textvision.eval._inputs import gather
from textvision.eval.scores import DetectionScores, ImageScores, Match, hmean

__all__ = ["icdar2015", "polygon_iou_matrix"]


def _polygons(quads: np.ndarray):
    polys = shapely.polygons(np.asarray(quads, np.float64))
    bad = ~shapely.is_valid(polys)
    if bad.any():  # self-intersecting ("bow-tie") quads: use their valid area instead of failing
        polys[bad] = shapely.make_valid(polys[bad])
    return polys


def _intersections(pa, pb, qa: np.ndarray, qb: np.ndarray) -> np.ndarray:
    """Intersection areas [A, B] of two polygon arrays, computed only where the boxes overlap."""
    out = np.zeros((len(pa), len(pb)), np.float64)
    if len(pa) == 0 or len(pb) == 0:
        return out
    amin, amax = qa.min(1), qa.max(1)
    bmin, bmax = qb.min(1), qb.max(1)
    overlap = ((amin[:, None, 0] < bmax[None, :, 0]) & (bmin[None, :, 0] < amax[:, None, 0])
               & (amin[:, None, 1] < bmax[None, :, 1]) & (bmin[None, :, 1] < amax[:, None, 1]))
    ia, ib = np.nonzero(overlap)
    if len(ia):
        out[ia, ib] = shapely.area(shapely.intersection(pa[ia], pb[ib]))
    return out


def polygon_iou_matrix(quads_a: np.ndarray, quads_b: np.ndarray) -> np.ndarray:
    """IoU of every pair of polygons, float64 [A, B], for quads [A, 4, 2] and [B, 4, 2] (shapely)."""
    qa, qb = np.asarray(quads_a, np.float64), np.asarray(quads_b, np.float64)
    pa, pb = _polygons(qa), _polygons(qb)
    inter = _intersections(pa, pb, qa, qb)
    union = shapely.area(pa)[:, None] + shapely.area(pb)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _image(inter, gt_area, det_area, gt_ignore, iou_thr, dc_thr, key=0) -> ImageScores:
    """Match one image given its GT x det intersection areas [N, M] and polygon areas."""
    n_gt, n_det = inter.shape
    det_dc = np.zeros(n_det, bool)
    if gt_ignore.any() and n_det:
        # A detection lying mostly on one don't-care region is dropped (neither TP nor FP).
        on_dc = inter[gt_ignore]  # [K, M]
        frac = np.divide(on_dc, det_area[None, :], out=np.zeros_like(on_dc), where=det_area[None, :] > 0)
        det_dc = (frac > dc_thr).any(0)
    matched = 0
    pairs: List[Match] = []
    if n_gt and n_det:
        union = gt_area[:, None] + det_area[None, :] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        det_used = det_dc.copy()
        # Greedy in (gt, det) index order, as the official script: each care GT takes the first
        # free care detection with IoU above the threshold.
        for g in np.nonzero(~gt_ignore & (iou > iou_thr).any(1))[0]:
            cand = np.nonzero((iou[g] > iou_thr) & ~det_used)[0]
            if len(cand):
                d = int(cand[0])
                det_used[d] = True
                matched += 1
                pairs.append(Match("one-to-one", (int(g),), (d,)))
    gt_care = int(n_gt - gt_ignore.sum())
    det_care = int(n_det - det_dc.sum())
    if gt_care == 0:
        recall = 1.0
        precision = 0.0 if det_care > 0 else 1.0
    else:
        recall = matched / gt_care
        precision = 0.0 if det_care == 0 else matched / det_care
    return ImageScores(image=key, precision=precision, recall=recall, hmean=hmean(precision, recall),
                       gt_matched=matched, det_matched=matched, num_gt=gt_care, num_det=det_care,
                       matches=tuple(pairs), det_dont_care=tuple(np.nonzero(det_dc)[0].tolist()))


def _all_intersections(gts, dets):
    """GT x det intersection areas per image, with one vectorised shapely call for the whole set."""
    gq = np.concatenate([g for g, _ in gts] + [np.zeros((0, 4, 2))])
    dq = np.concatenate(list(dets) + [np.zeros((0, 4, 2))])
    pg, pd = _polygons(gq), _polygons(dq)
    ag, ad = shapely.area(pg), shapely.area(pd)
    gmin, gmax, dmin, dmax = gq.min(1), gq.max(1), dq.min(1), dq.max(1)
    g_off = np.cumsum([0] + [len(g) for g, _ in gts])
    d_off = np.cumsum([0] + [len(d) for d in dets])
    ia_all, ib_all, counts = [], [], np.zeros(len(gts), np.int64)
    for k in range(len(gts)):
        g0, g1, d0, d1 = g_off[k], g_off[k + 1], d_off[k], d_off[k + 1]
        if g1 == g0 or d1 == d0:
            continue
        a0, a1, b0, b1 = gmin[g0:g1], gmax[g0:g1], dmin[d0:d1], dmax[d0:d1]
        ov = ((a0[:, None, 0] < b1[None, :, 0]) & (b0[None, :, 0] < a1[:, None, 0])
              & (a0[:, None, 1] < b1[None, :, 1]) & (b0[None, :, 1] < a1[:, None, 1]))
        ia, ib = np.nonzero(ov)
        counts[k] = len(ia)
        ia_all.append(ia + g0)
        ib_all.append(ib + d0)
    flat = np.zeros(0)
    if ia_all:
        ia_all, ib_all = np.concatenate(ia_all), np.concatenate(ib_all)
        flat = shapely.area(shapely.intersection(pg[ia_all], pd[ib_all]))
    out = []
    p_off = np.cumsum(np.concatenate([[0], counts]))  # pairs were generated image by image
    for k in range(len(gts)):
        g0, g1, d0, d1 = g_off[k], g_off[k + 1], d_off[k], d_off[k + 1]
        inter = np.zeros((g1 - g0, d1 - d0))
        p0, p1 = p_off[k], p_off[k + 1]
        if p1 > p0:
            inter[ia_all[p0:p1] - g0, ib_all[p0:p1] - d0] = flat[p0:p1]
        out.append((inter, ag[g0:g1], ad[d0:d1]))
    return out


def icdar2015(gt, det, *, iou_threshold: float = 0.5, dont_care_threshold: float = 0.5,
              strict: bool = True) -> DetectionScores:
    """Evaluate word detections with the ICDAR 2015 incidental-text protocol.

    Args:
        gt: per-image ground truth: a sequence with, for each image, a list of
            :class:`~textvision.data.TextInstance` (``ignore`` = don't care), or a pair
            ``(quads [N, 4, 2], ignore bool [N])``, or bare quads [N, 4, 2]; or a mapping
            ``{image id: ...}``; or a folder / ``.zip`` of ``gt_img_*.txt`` files (official layout).
        det: per-image detections: quads float [M, 4, 2] (or [M, 8], or boxes [M, 4]) per image, in the
            same order as ``gt``; or a mapping; or a folder / ``.zip`` of ``res_img_*.txt`` files.
            Images without a result file count as having no detections.
        iou_threshold: a match needs IoU strictly above this (0.5).
        dont_care_threshold: a detection whose area lies more than this fraction on one don't-care
            region is discarded before matching (0.5).
        strict: passed to the file readers (malformed lines raise, or are skipped).

    Returns:
        :class:`~textvision.eval.DetectionScores`: ``precision``, ``recall``, ``hmean`` in [0, 1] over
        all images (matched / care detections, matched / care ground truth), ``gt_matched`` =
        ``det_matched`` = the number of matches (an int), ``num_gt``, ``num_det`` (care counts) and
        ``per_image`` (:class:`~textvision.eval.ImageScores`, with the one-to-one ``matches`` and
        ``det_dont_care``). Quads are taken clockwise (counter-clockwise ones are re-ordered);
        polygons are intersected exactly (shapely); matching is one-to-one and greedy in index order,
        as in the official script.
    """
    keys, gts, dets = gather(gt, det, "icdar2015", strict)
    per_image = []
    matched = n_gt = n_det = 0
    for key, (_, gi), (inter, ga, da) in zip(keys, gts, _all_intersections(gts, dets)):
        r = _image(inter, ga, da, gi, iou_threshold, dont_care_threshold, key)
        per_image.append(r)
        matched += r.gt_matched
        n_gt += r.num_gt
        n_det += r.num_det
    recall = matched / n_gt if n_gt else 0.0
    precision = matched / n_det if n_det else 0.0
    return DetectionScores(precision=precision, recall=recall, hmean=hmean(precision, recall), gt_matched=matched,
                           det_matched=matched, num_gt=n_gt, num_det=n_det, per_image=tuple(per_image))
