"""``textvision.read``: find words (EAST, or ranked proposals) and read them with the recogniser."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import List, Optional, Union

import numpy as np

from textvision import _validate

__all__ = ["Word", "read", "merge_words", "boxes_to_quads"]

log = logging.getLogger("textvision.spotting")


@dataclass(frozen=True, eq=False)
class Word:
    """One word found and read in an image.

    Attributes:
        quad: float32 [4, 2], image pixels, clockwise from the word's top-left corner (the reading
            direction runs from vertex 0 to vertex 1). Proposals give upright boxes.
        text: what the recogniser read (after the lexicon, when one was given); never empty.
        detection_confidence: in [0, 1]. EAST: its score (mean score-map value inside the quad).
            Proposals: ``1 - rank / K`` for the proposal's 0-based rank among the K read (their scores
            only order them).
        recognition_confidence: in [0, 1], the recogniser's confidence in the string it read (before
            the lexicon; see :func:`textvision.spotting.ctc_greedy_decode`).
    """

    quad: np.ndarray
    text: str
    detection_confidence: float
    recognition_confidence: float

    def to_dict(self) -> dict:
        """Plain JSON-ready values: ``quad`` as [[x, y] x 4] (2 decimals), the text and both confidences."""
        return {"quad": np.round(self.quad.astype(np.float64), 2).tolist(), "text": self.text,
                "detection_confidence": round(float(self.detection_confidence), 4),
                "recognition_confidence": round(float(self.recognition_confidence), 4)}


def boxes_to_quads(boxes) -> np.ndarray:
    """float [N, 4] ``(x1, y1, x2, y2)`` -> float32 [N, 4, 2] upright quads, clockwise from the top-left."""
    b = _validate.boxes(boxes, "boxes", "boxes_to_quads")
    x1, y1, x2, y2 = b.T
    return np.stack([np.stack([x1, y1], 1), np.stack([x2, y1], 1), np.stack([x2, y2], 1),
                     np.stack([x1, y2], 1)], axis=1).astype(np.float32)


def merge_words(quads, texts, confidences, *, merge_iou: float = 0.5, contain: float = 0.8) -> np.ndarray:
    """Duplicate-word merging for words read in overlapping places (proposals cover one word many times).

    Three rules, by descending confidence (ties: earlier index): of the words reading the same string
    (case-free) whose quads overlap with IoU > ``merge_iou / 2``, only the most confident is kept; then a
    word whose quad overlaps a more confident kept word's with IoU > ``merge_iou`` is dropped whatever it
    reads; last, a kept word lying more than ``contain`` of its area inside another kept word that reads a
    longer string is dropped (a piece of a word: "ell" inside "Hello").

    Args:
        quads: float [N, 4, 2]; texts: N strings; confidences: float [N].
        merge_iou: the IoU threshold in [0, 1].
        contain: the covered share of a piece's area in [0, 1] (1 turns the last rule off).

    Returns:
        int64 [K] indices of the words kept, by descending confidence.
    """
    from textvision.ops import polygon_nms

    q = _validate.quads(quads, "quads", "merge_words")
    conf = np.asarray(confidences, np.float32).reshape(-1)
    if len(texts) != len(q) or len(conf) != len(q):
        raise ValueError(f"merge_words: {len(q)} quads, {len(texts)} texts and {len(conf)} confidences differ")
    for name, v in (("merge_iou", merge_iou), ("contain", contain)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"merge_words: {name} must lie in [0, 1], got {v}")
    groups = {}
    for i, t in enumerate(texts):
        groups.setdefault(t.casefold(), []).append(i)
    survivors = []
    for idx in groups.values():
        idx = np.asarray(idx, np.int64)
        survivors.append(idx if len(idx) == 1 else idx[polygon_nms(q[idx], conf[idx], merge_iou / 2)])
    keep = np.sort(np.concatenate(survivors)) if survivors else np.zeros(0, np.int64)
    kept = keep[polygon_nms(q[keep], conf[keep], float(merge_iou))] if len(keep) else keep
    if len(kept) > 1 and contain < 1.0:
        kept = kept[~_pieces(q[kept], [len(texts[i]) for i in kept], float(contain))]
    return kept[np.lexsort((kept, -conf[kept]))]


def _pieces(q: np.ndarray, lengths, contain: float) -> np.ndarray:
    """bool [K]: quads lying more than ``contain`` of their area inside a quad with a longer text."""
    import shapely

    polys = shapely.make_valid(shapely.polygons(q.astype(np.float64)))
    area = shapely.area(polys)
    lo, hi = q.min(1), q.max(1)
    lengths = np.asarray(lengths)
    # candidate pairs (piece i, word j): bounding boxes overlap and j reads more characters
    cand = ((lo[:, None, 0] < hi[None, :, 0]) & (lo[None, :, 0] < hi[:, None, 0])
            & (lo[:, None, 1] < hi[None, :, 1]) & (lo[None, :, 1] < hi[:, None, 1])
            & (lengths[:, None] < lengths[None, :]))
    i, j = np.nonzero(cand)
    out = np.zeros(len(q), bool)
    if len(i):
        inter = shapely.area(shapely.intersection(polys[i], polys[j]))
        out[i[inter > contain * np.maximum(area[i], 1e-9)]] = True
    return out


def _reading_order(words: List[Word]) -> List[Word]:
    """Lines top to bottom, words left to right: a word whose vertical centre lies within the vertical
    extent of a line's first word belongs to that line (words taken by their centres, top first)."""
    lines: List[list] = []
    for w in sorted(words, key=lambda w: float(w.quad[:, 1].mean())):
        cy = float(w.quad[:, 1].mean())
        if lines and lines[-1][0] <= cy <= lines[-1][1]:
            lines[-1][2].append(w)
        else:
            lines.append([float(w.quad[:, 1].min()), float(w.quad[:, 1].max()), [w]])
    return [w for _, _, line in lines for w in sorted(line, key=lambda w: float(w.quad[:, 0].min()))]


def read(image, model="default", *, detector="default", proposals=None, lexicon=None,
         min_confidence: Optional[float] = None, top: Optional[int] = None, merge_iou: float = 0.5,
         contrast_retry: Union[float, None, str] = "auto", num_threads: int = 1, bf16: bool = False) -> List[Word]:
    """Read the words of an image: find them, cut them out rectified, recognise them.

    Without ``proposals`` the words are the shipped EAST detector's (``textvision.east.detect``); with
    ``proposals`` (ranked boxes, e.g. ``textvision.propose(image)``) every proposal is read, reads with a
    space inside (several words in one box) are left out and the duplicates and pieces of words are merged
    away (:func:`merge_words`). Reads are stripped of leading and trailing spaces.

    Args:
        image: the one image contract of ``textvision._validate.image_rgb`` (what ``textvision.segment``
            takes): uint8 / uint16 / float [0, 1], HxW grey, HxWx3 RGB or HxWx4 RGBA, NumPy or torch; never
            modified.
        model: the recogniser: ``"default"`` (EasyOCR's ``english_g2``), another registry name, a path
            or a ``Recognizer``.
        detector: the EAST model when ``proposals`` is None: ``"default"`` (shipped), a registry name or
            checkpoint path, or an ``EAST``.
        proposals: None, a :class:`textvision.proposals.Proposals`, or float [K, 4] boxes
            ``(x1, y1, x2, y2)`` best first.
        lexicon: None, a :class:`~textvision.spotting.Lexicon` or a list of words: reads are replaced by
            their closest word within its bound.
        min_confidence: drop words read with a lower recognition confidence, in [0, 1]. Default: 0 for
            the detector's words, 0.5 for proposals (most proposals are not words, and clutter is read
            with low confidence).
        top: read only the ``top`` best proposals (None = all given).
        merge_iou: IoU threshold of duplicate merging (proposals only), in [0, 1].
        contrast_retry: words read with a lower confidence are read again with their contrast stretched
            (see :func:`textvision.spotting.recognize_crops`); ``"auto"``: 0.1 (EasyOCR's default) for the
            detector's words, None (off) for proposals, where most low-confidence reads are clutter.
        num_threads: CPU threads for the networks (see ``textvision._threads``).
        bf16: run the recogniser under bfloat16 autocast.

    Returns:
        list of :class:`Word` with non-empty text, in reading order (lines top to bottom, words left to
        right within a line). An image without text gives ``[]``.

    Raises:
        TypeError / ValueError: a bad image, proposals, threshold or model argument (one line).
    """
    from textvision.spotting.recognition import recognize

    img = _validate.image_rgb(image, "image", "read")
    if min_confidence is not None and (isinstance(min_confidence, bool) or not 0.0 <= float(min_confidence) <= 1.0):
        raise ValueError(f"read: min_confidence must lie in [0, 1], got {min_confidence!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"read: top must be an integer >= 1 or None, got {top!r}")
    if proposals is None:
        from textvision._threads import torch_threads
        from textvision.east import detect

        with torch_threads(num_threads, "read"):
            det = detect(img, detector)
        quads, det_conf = det.quads, det.scores.astype(np.float32)
        floor = 0.0 if min_confidence is None else float(min_confidence)
    else:
        boxes = getattr(proposals, "boxes", proposals)
        boxes = _validate.boxes(boxes, "proposals", "read")[:top]
        quads = boxes_to_quads(boxes)
        det_conf = (1.0 - np.arange(len(boxes), dtype=np.float32) / max(len(boxes), 1)).astype(np.float32)
        floor = 0.5 if min_confidence is None else float(min_confidence)
    if contrast_retry == "auto":
        contrast_retry = 0.1 if proposals is None else None
    places = {"quads": quads} if proposals is None else {"boxes": boxes}  # boxes: edges, not pixel centres
    rec = recognize(img, model=model, lexicon=lexicon, num_threads=num_threads, bf16=bf16,
                    contrast_retry=contrast_retry, **places)
    texts = [t.strip() for t in rec.texts]
    # A proposal read with a space inside spans several words: their own proposals read them.
    ok = np.array([bool(t) and (proposals is None or " " not in t) for t in texts], bool)
    idx = np.nonzero(ok & (rec.confidences >= floor))[0]
    if proposals is not None and len(idx):
        idx = idx[merge_words(quads[idx], [texts[i] for i in idx], rec.confidences[idx], merge_iou=merge_iou)]
    words = [Word(quads[i].copy(), texts[i], float(det_conf[i]), float(rec.confidences[i])) for i in idx]
    log.debug("read: %d places, %d words", len(quads), len(words))
    return _reading_order(words)
