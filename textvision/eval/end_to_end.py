"""End-to-end (detection + recognition) scoring: the ICDAR 2015 protocol, and recall of ranked read proposals."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from textvision.data.instances import TextInstance
from textvision.eval._inputs import _quads, _read_layout, _sort_key
from textvision.eval.iou_protocol import _all_intersections, _image
from textvision.eval.proposals import box_hits
from textvision.eval.scores import EndToEndScores, ImageScores, Match, RecallAtK, hmean

__all__ = ["icdar2015_end_to_end", "transcription_match", "end_to_end_rate", "first_read_rank", "EDGE_PUNCTUATION"]

#: Characters the official ICDAR 2015 end-to-end script lets a reading omit at either end of a GT word.
EDGE_PUNCTUATION = "!?.:,*\"()\u00b7[]/'"


def transcription_match(gt_text: str, det_text: str, *, case_sensitive: bool = False,
                        edge_punctuation: bool = False) -> bool:
    """Whether a read string counts as the ground-truth word.

    Args:
        gt_text, det_text: the transcription and the read string.
        case_sensitive: compare case as well (the generic protocol ignores it).
        edge_punctuation: also accept the GT word without one leading and/or one trailing character of
            :data:`EDGE_PUNCTUATION` (the official script's allowance: "HELLO!" is matched by "HELLO").
    """
    g, d = (gt_text, det_text) if case_sensitive else (gt_text.upper(), det_text.upper())
    if g == d:
        return True
    if not edge_punctuation or not g:
        return False
    lead, trail = g[0] in EDGE_PUNCTUATION, g[-1] in EDGE_PUNCTUATION
    return ((lead and g[1:] == d) or (trail and g[:-1] == d)
            or (lead and trail and len(g) > 1 and g[1:-1] == d))


def _gt_item(item) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    items = list(item)
    if not all(isinstance(i, TextInstance) for i in items):
        raise TypeError("end-to-end ground truth must be lists of TextInstance (quad, text, ignore) per image")
    return _quads(items), np.array([i.ignore for i in items], bool), [i.text for i in items]


def _det_item(item) -> Tuple[np.ndarray, List[str]]:
    """One image's readings: words with ``quad`` and ``text`` (Word, TextInstance), or (quads, texts)."""
    if isinstance(item, tuple) and len(item) == 2 and not hasattr(item[0], "quad"):
        quads, texts = item
        q, t = _quads(quads), [str(s) for s in texts]
    else:
        items = list(item)
        if not all(hasattr(i, "quad") and hasattr(i, "text") for i in items):
            raise TypeError("end-to-end detections must be per-image lists of words with .quad and .text "
                            "(textvision.read's Word, TextInstance) or (quads [M, 4, 2], texts) pairs")
        q, t = _quads([np.asarray(i.quad, np.float64) for i in items]), [str(i.text) for i in items]
    if len(t) != len(q):
        raise ValueError(f"detections have {len(q)} quads but {len(t)} texts")
    return q, t


def _pairs(gt, det, strict: bool):
    if isinstance(gt, (str, Path)):
        gt, _ = _read_layout(gt, "icdar2015", strict, "gt")
    if isinstance(det, (str, Path)):
        det, _ = _read_layout(det, "icdar2015", strict, "det")
    if isinstance(gt, Mapping) or isinstance(det, Mapping):
        if not (isinstance(gt, Mapping) and isinstance(det, Mapping)):
            raise TypeError("gt and det must both be per-image sequences or both be mappings/folders")
        extra = sorted(set(det) - set(gt))
        if extra:
            raise ValueError(f"detections for images without ground truth: {extra[:5]}")
        keys = sorted(gt, key=_sort_key)
        return keys, [_gt_item(gt[k]) for k in keys], [_det_item(det.get(k, [])) for k in keys]
    gt, det = list(gt), list(det)
    if len(gt) != len(det):
        raise ValueError(f"gt has {len(gt)} images but det has {len(det)}")
    return list(range(len(gt))), [_gt_item(g) for g in gt], [_det_item(d) for d in det]


def icdar2015_end_to_end(gt, det, *, iou_threshold: float = 0.5, dont_care_threshold: float = 0.5,
                         case_sensitive: bool = False, edge_punctuation: bool = False,
                         strict: bool = True) -> EndToEndScores:
    """Score words found *and read* with the ICDAR 2015 end-to-end protocol (generic vocabulary).

    Detections are matched to care ground-truth words exactly as by :func:`textvision.eval.icdar2015`
    (a detection lying more than ``dont_care_threshold`` of its area on one don't-care region is
    dropped; then one-to-one, greedy in (gt, det) index order, IoU > ``iou_threshold``); a matched pair
    is correct when the reading equals the transcription (:func:`transcription_match`). A detection
    matched with a wrong reading uses up its ground-truth word, as in the official script.

    Args:
        gt: per image, a list of :class:`~textvision.data.TextInstance` (``text``, ``ignore`` = ``###``);
            or a mapping {image id: list}; or a folder / ``.zip`` of ``gt_img_*.txt`` files.
        det: per image (same order), a list of words with ``quad`` and ``text`` (``textvision.read``'s
            :class:`~textvision.spotting.Word`, ``TextInstance``) or a pair ``(quads [M, 4, 2], texts)``;
            or a mapping; or a folder / ``.zip`` of ``res_img_*.txt`` files ``x1,y1,...,y4,transcription``.
        iou_threshold, dont_care_threshold: as in :func:`textvision.eval.icdar2015` (0.5, 0.5).
        case_sensitive, edge_punctuation: see :func:`transcription_match` (generic protocol: False).
        strict: passed to the file readers.

    Returns:
        :class:`~textvision.eval.EndToEndScores`: ``precision`` (correct / care detections), ``recall``
        (correct / care GT words), ``hmean``, ``gt_matched`` = ``det_matched`` = the words found and read
        right, ``located`` (pairs matched by IoU, read right or not), ``num_gt``, ``num_det`` and
        ``per_image`` (:class:`~textvision.eval.ImageScores`; each match's ``read`` says whether it was
        read right).
    """
    keys, gts, dets = _pairs(gt, det, strict)
    inters = _all_intersections([(q, ign) for q, ign, _ in gts], [q for q, _ in dets])
    per_image = []
    correct = matched = n_gt = n_det = 0
    for key, (_, ign, gtext), (_, dtext), (inter, ga, da) in zip(keys, gts, dets, inters):
        r = _image(inter, ga, da, ign, iou_threshold, dont_care_threshold, key)
        pairs = tuple(Match(m.kind, m.gt, m.det, transcription_match(
            gtext[m.gt[0]], dtext[m.det[0]], case_sensitive=case_sensitive, edge_punctuation=edge_punctuation))
            for m in r.matches)
        ok = sum(1 for m in pairs if m.read)
        gt_care, det_care = r.num_gt, r.num_det
        rec = ok / gt_care if gt_care else 1.0
        prec = ok / det_care if det_care else (1.0 if gt_care == 0 else 0.0)
        per_image.append(ImageScores(image=key, precision=prec, recall=rec, hmean=hmean(prec, rec), gt_matched=ok,
                                     det_matched=ok, num_gt=gt_care, num_det=det_care, matches=pairs,
                                     det_dont_care=r.det_dont_care))
        correct += ok
        matched += int(r.gt_matched)
        n_gt += gt_care
        n_det += det_care
    recall = correct / n_gt if n_gt else 0.0
    precision = correct / n_det if n_det else 0.0
    return EndToEndScores(precision=precision, recall=recall, hmean=hmean(precision, recall), gt_matched=correct,
                          det_matched=correct, num_gt=n_gt, num_det=n_det, per_image=tuple(per_image),
                          located=matched)


def first_read_rank(boxes, texts: Sequence[str], gt: Sequence[TextInstance], *, iou: float = 0.5,
                    case_sensitive: bool = False, edge_punctuation: bool = False) -> np.ndarray:
    """For each ground-truth word, the 0-based rank of the first proposal that covers it *and* reads it.

    A proposal covers a word when the IoU of its box with the word's bounding box is >= ``iou`` (the
    convention of :func:`textvision.eval.detection_rate`); it reads it when its text matches the
    transcription (:func:`transcription_match`).

    Args:
        boxes: float [P, 4] ``(x1, y1, x2, y2)``, best first.
        texts: P strings read in them ("" for a proposal not read).
        gt: the image's :class:`~textvision.data.TextInstance` list.
        iou, case_sensitive, edge_punctuation: see above.

    Returns:
        int64 [G]: the rank, or -1 when no proposal reads the word (don't-care words are -1 too).
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(texts) != len(b):
        raise ValueError(f"first_read_rank: {len(b)} boxes but {len(texts)} texts")
    out = np.full(len(gt), -1, np.int64)
    if len(b) == 0:
        return out
    for g, inst in enumerate(gt):
        if inst.ignore:
            continue
        hits = box_hits(b, np.asarray(inst.box, np.float64)[None], iou)[:, 0]
        for r in np.nonzero(hits)[0]:
            if transcription_match(inst.text, texts[r], case_sensitive=case_sensitive,
                                   edge_punctuation=edge_punctuation):
                out[g] = r
                break
    return out


def end_to_end_rate(ranks: Sequence[np.ndarray], gt: Sequence[Sequence[TextInstance]],
                    ks: Sequence[Optional[int]] = (100, 1000, None)) -> RecallAtK:
    """Recall of read proposals at top-k cut-offs, pooled over images: the fraction of care words whose
    :func:`first_read_rank` is below k (``None``: any rank).

    Args:
        ranks: per image, int [G] from :func:`first_read_rank`.
        gt: per image, the G :class:`~textvision.data.TextInstance` (don't-care words are left out).
        ks: cut-offs.

    Returns:
        :class:`~textvision.eval.RecallAtK` (``recall`` NaN when there is no care word).
    """
    if len(ranks) != len(gt):
        raise ValueError(f"end_to_end_rate: {len(ranks)} rank arrays but {len(gt)} images")
    care = []
    for r, words in zip(ranks, gt):
        r = np.asarray(r, np.int64).reshape(-1)
        if len(r) != len(words):
            raise ValueError(f"end_to_end_rate: {len(r)} ranks for {len(words)} words")
        care.append(r[~np.array([w.ignore for w in words], bool)] if len(r) else r)
    r = np.concatenate(care + [np.zeros(0, np.int64)])
    ks = tuple(ks)
    if len(r) == 0:
        return RecallAtK(ks, tuple(float("nan") for _ in ks), 0)
    return RecallAtK(ks, tuple(float(np.mean((r >= 0) & ((r < k) if k is not None else True))) for k in ks), len(r))
