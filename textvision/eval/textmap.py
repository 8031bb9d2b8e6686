"""How good is a text probability map? Pixel AP, word hits and far-field false alarms against word quads.

One image: :func:`text_map_scores`. A photo set: :func:`pool_text_map_scores` over the per-image results
(summed score histograms, so pooling needs no per-pixel arrays). :func:`average_precision` is the exact
sort/cumsum average precision used for a single image.

Pixel classes (distances are Euclidean, between pixel centres, to the nearest pixel of a rasterised quad):

- **text**: inside a legible (``ignore=False``) word quad, also where a don't-care quad overlaps it;
- **excluded**: not text, and within ``band`` px of a legible quad (the ring where box edges and real
  glyph edges disagree) or of a don't-care quad (dilated by ``band``; text there is neither rewarded nor
  penalised);
- **background**: farther than ``band`` px from every quad.

Quads are rasterised as ``textvision.data.masks.rasterize_quads`` does (``cv2.fillPoly`` on a 1/16 px
grid, boundary pixels included), the same masks training uses.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from textvision import _validate
from textvision.data.instances import TextInstance
from textvision.data.masks import rasterize_quads

__all__ = ["TextMapScores", "text_map_scores", "pool_text_map_scores", "average_precision", "N_BINS"]

log = logging.getLogger("textvision.eval.textmap")

#: Score histogram bins: bin ``k`` holds the scores that round to ``k / 10000``. 1001 bins (1/1000) put
#: pooled AP about 7e-4 off the exact figure on smooth maps; 10001 bins cut that tenfold for 80 KB.
N_BINS = 10001

_WHO = "text_map_scores"


@dataclass(frozen=True)
class TextMapScores:
    """Text-map quality of one image, or of several pooled with :func:`pool_text_map_scores`.

    Attributes:
        ap: pixel average precision of text vs background over the non-excluded pixels, in [0, 1]
            (NaN when there is no text pixel). One image: exact (:func:`average_precision`). Pooled: from
            the summed histograms, i.e. exact for the scores rounded to 1/10000.
        hit_rate: fraction of legible words whose ``word_means`` >= ``hit_threshold`` (NaN: no word).
        far_mean: mean probability over pixels farther than ``far`` px from every quad, legible or
            don't-care (NaN when there is no such pixel; every pixel counts when there is no quad).
        word_means: float64 [K], mean probability inside each legible word's quad, in input order
            (pooled: concatenated in the order of the parts).
        text_hist, background_hist: int64 [N_BINS] counts of the text / background pixels' scores,
            bin ``round(p * 10000)``.
        n_text, n_background, n_excluded, n_far: pixel counts of the classes (``n_far`` overlaps the
            background).
        far_sum: sum of the probabilities of the far pixels (so pooled ``far_mean`` is pixel-weighted).
        n_images: 1, or the number of pooled images.
        band, far, hit_threshold: the parameters the scores were computed with.
    """

    ap: float
    hit_rate: float
    far_mean: float
    word_means: np.ndarray
    text_hist: np.ndarray
    background_hist: np.ndarray
    n_text: int
    n_background: int
    n_excluded: int
    n_far: int
    far_sum: float
    n_images: int
    band: int
    far: float
    hit_threshold: float

    def summary(self) -> dict:
        """The headline figures as a JSON-ready dict (NaN becomes None)."""
        def num(v):
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else v
        return {"ap": num(float(self.ap)), "hit_rate": num(float(self.hit_rate)),
                "far_mean": num(float(self.far_mean)), "n_words": int(self.word_means.size),
                "n_hits": int(np.sum(self.word_means >= self.hit_threshold)), "n_text_px": self.n_text,
                "n_background_px": self.n_background, "n_excluded_px": self.n_excluded, "n_far_px": self.n_far,
                "n_images": self.n_images, "band": self.band, "far": self.far, "hit_threshold": self.hit_threshold}


def average_precision(scores, labels) -> float:
    """Average precision of ``scores`` ranking the positive ``labels`` first.

    The step-interpolated area under the precision-recall curve, as scikit-learn's
    ``average_precision_score``: ``sum_k (R_k - R_{k-1}) * P_k`` over the distinct score values taken as
    thresholds from high to low (equal scores enter together).

    Args:
        scores: real array of any shape.
        labels: bool (or 0/1) array of the same shape, True = positive.

    Returns:
        AP in [0, 1]; NaN when there is no positive.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel()
    if s.shape != y.shape:
        raise ValueError(f"average_precision: scores ({np.shape(scores)}) and labels ({np.shape(labels)}) "
                         f"must have the same shape")
    y = y.astype(bool)
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y, dtype=np.int64)
    seen = np.arange(1, s.size + 1, dtype=np.int64)
    # One threshold per distinct score: the last position of each run of equal scores.
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tp, seen = tp[last], seen[last]
    gain = np.diff(np.r_[0, tp]) / n_pos
    return float(np.sum(gain * (tp / seen)))


def _ap_from_histograms(text_hist: np.ndarray, background_hist: np.ndarray) -> float:
    """:func:`average_precision` of scores given as per-bin counts (bins are the distinct thresholds)."""
    n_pos = int(text_hist.sum())
    if n_pos == 0:
        return float("nan")
    tp = np.cumsum(text_hist[::-1], dtype=np.int64)
    seen = tp + np.cumsum(background_hist[::-1], dtype=np.int64)
    gain = np.diff(np.r_[0, tp]) / n_pos
    # Empty leading bins have seen == 0 but also gain == 0.
    return float(np.sum(gain * (tp / np.maximum(seen, 1))))


def _hist(values: np.ndarray) -> np.ndarray:
    bins = np.clip(np.rint(values.astype(np.float64) * (N_BINS - 1)), 0, N_BINS - 1).astype(np.int64)
    return np.bincount(bins, minlength=N_BINS).astype(np.int64)


def _check_params(band, far, hit_threshold) -> Tuple[int, float, float]:
    if isinstance(band, bool) or not isinstance(band, (int, np.integer)) or band < 0:
        raise ValueError(f"{_WHO}: band must be an integer >= 0 (pixels), got {band!r}")
    if isinstance(far, bool) or not isinstance(far, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(float(far)) and float(far) >= 0):
        raise ValueError(f"{_WHO}: far must be a finite number >= 0 (pixels), got {far!r}")
    if isinstance(hit_threshold, bool) or not isinstance(hit_threshold, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(hit_threshold) <= 1.0:
        raise ValueError(f"{_WHO}: hit_threshold must be a number in [0, 1], got {hit_threshold!r}")
    return int(band), float(far), float(hit_threshold)


def _quads(instances) -> Tuple[np.ndarray, np.ndarray, list]:
    """Legible quads, don't-care quads (float64 [N, 4, 2]) and the legible ones' indices in ``instances``."""
    if isinstance(instances, (str, bytes)) or not isinstance(instances, Sequence):
        raise TypeError(f"{_WHO}: instances must be a list of TextInstance, got {type(instances).__name__}")
    legible, dont, idx = [], [], []
    for i, inst in enumerate(instances):
        if not isinstance(inst, TextInstance):
            raise TypeError(f"{_WHO}: instances[{i}] must be a TextInstance, got {type(inst).__name__}")
        q = np.asarray(inst.quad, dtype=np.float64)
        if not np.isfinite(q).all():
            raise ValueError(f"{_WHO}: instances[{i}] ({inst.text!r}) has a non-finite quad {q.tolist()}")
        x, y = q[:, 0], q[:, 1]
        area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))
        if area < 1e-6:
            raise ValueError(f"{_WHO}: instances[{i}] ({inst.text!r}) has a degenerate quad (area {area:g} px^2): "
                             f"{q.tolist()}")
        if inst.ignore:
            dont.append(q)
        else:
            legible.append(q)
            idx.append(i)
    return np.array(legible).reshape(-1, 4, 2), np.array(dont).reshape(-1, 4, 2), idx


def _distance_to(mask: np.ndarray) -> Optional[np.ndarray]:
    """Euclidean distance (px, float32) of every pixel to the nearest nonzero pixel of ``mask``; None if empty."""
    if not mask.any():
        return None
    return cv2.distanceTransform((mask == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def text_map_scores(prob, instances: Sequence[TextInstance], *, band: int = 3, far: float = 30,
                    hit_threshold: float = 0.3) -> TextMapScores:
    """Score one image's text probability map against its word quads.

    Pixel classes (see the module docstring): **text** = inside a legible word quad; **background** =
    farther than ``band`` px from every quad (legible or don't-care); everything else is **excluded**
    (the ``band``-px ring around legible words, and don't-care quads dilated by ``band``).

    - ``ap``: pixel average precision of text vs background, excluded pixels left out (step-interpolated
      area under the precision-recall curve, as scikit-learn's; a constant map scores the text fraction
      ``n_text / (n_text + n_background)``).
    - ``word_means``: mean probability inside each legible word's own quad; ``hit_rate``: fraction of
      them >= ``hit_threshold``.
    - ``far_mean``: mean probability over the pixels farther than ``far`` px from every quad.

    Args:
        prob: float32 [H, W] (or [H, W, 1]) text probability in [0, 1] (NumPy or torch), validated by
            ``textvision._validate.heatmap``; never modified.
        instances: the image's words, ``TextInstance`` list (as ``textvision.data.read_icdar2015``
            returns): quad float [4, 2] in pixel coordinates of ``prob``, ``ignore`` = don't care.
        band: width in px of the excluded ring around each quad (integer >= 0; 0 = no ring).
        far: distance in px beyond which a pixel counts for ``far_mean`` (>= 0).
        hit_threshold: a word is hit when its mean probability is >= this (in [0, 1]).

    Returns:
        :class:`TextMapScores` (with the score histograms for :func:`pool_text_map_scores`).

    Raises:
        TypeError: ``prob`` not a float array (e.g. a uint8 map), ``instances`` not a list of TextInstance.
        ValueError: ``prob`` not HxW or outside [0, 1]; a quad with non-finite corners or zero area; a
            legible quad with no pixel inside the map (wrong image?); bad ``band`` / ``far`` / ``hit_threshold``.
    """
    band, far, hit_threshold = _check_params(band, far, hit_threshold)
    p = _validate.heatmap(prob, None, "prob", _WHO)
    h, w = p.shape
    if h == 0 or w == 0:
        raise ValueError(f"{_WHO}: prob must not be empty, got shape {p.shape}")
    legible, dont, idx = _quads(instances)

    text = rasterize_quads(legible, (h, w)).astype(bool)
    dont_mask = rasterize_quads(dont, (h, w)).astype(bool)
    d_leg = _distance_to(text)
    d_dont = _distance_to(dont_mask)
    near = np.zeros((h, w), bool)
    for d in (d_leg, d_dont):
        if d is not None:
            near |= d <= band
    background = ~near
    excluded = near & ~text

    word_means = np.empty(len(idx), np.float64)
    for k, (q, i) in enumerate(zip(legible, idx)):
        # Rasterise in the quad's bounding box only: one full-size mask per word is wasteful on big images.
        x0 = max(0, int(math.floor(q[:, 0].min())) - 1)
        y0 = max(0, int(math.floor(q[:, 1].min())) - 1)
        x1 = min(w, int(math.ceil(q[:, 0].max())) + 2)
        y1 = min(h, int(math.ceil(q[:, 1].max())) + 2)
        inside = None
        if x1 > x0 and y1 > y0:
            inside = rasterize_quads((q - [x0, y0])[None], (y1 - y0, x1 - x0)).astype(bool)
        if inside is None or not inside.any():
            raise ValueError(f"{_WHO}: instances[{i}] ({instances[i].text!r}) quad {q.tolist()} has no pixel "
                             f"inside the {h}x{w} map (ground truth of another image size?)")
        word_means[k] = float(p[y0:y1, x0:x1][inside].mean(dtype=np.float64))

    if d_leg is None and d_dont is None:
        far_mask = np.ones((h, w), bool)
    else:
        d_any = d_leg if d_dont is None else d_dont if d_leg is None else np.minimum(d_leg, d_dont)
        far_mask = d_any > far
    n_far = int(far_mask.sum())
    far_sum = float(p[far_mask].sum(dtype=np.float64))

    text_px, bg_px = p[text], p[background]
    log.debug("%dx%d map: %d text, %d background, %d excluded, %d far pixels; %d legible, %d don't-care quads",
              h, w, text_px.size, bg_px.size, int(excluded.sum()), n_far, len(legible), len(dont))
    ap = average_precision(np.concatenate([text_px, bg_px]),
                           np.concatenate([np.ones(text_px.size, bool), np.zeros(bg_px.size, bool)]))
    return TextMapScores(
        ap=ap, hit_rate=float(np.mean(word_means >= hit_threshold)) if word_means.size else float("nan"),
        far_mean=far_sum / n_far if n_far else float("nan"), word_means=word_means,
        text_hist=_hist(text_px), background_hist=_hist(bg_px), n_text=int(text_px.size),
        n_background=int(bg_px.size), n_excluded=int(excluded.sum()), n_far=n_far, far_sum=far_sum,
        n_images=1, band=band, far=far, hit_threshold=hit_threshold)


def pool_text_map_scores(parts: Sequence[TextMapScores]) -> TextMapScores:
    """Pool per-image :class:`TextMapScores` into the scores of the whole set.

    Pooled ``ap`` is the average precision of all images' text and background pixels ranked together,
    computed from the summed score histograms (exact for scores rounded to 1/10000; about 1e-4 from
    the exact figure on smooth maps). ``hit_rate`` is over all words, ``far_mean`` over all far pixels
    (pixel-weighted), counts are summed.

    Args:
        parts: one or more results of :func:`text_map_scores` (or of this function), all computed with
            the same ``band``, ``far`` and ``hit_threshold``.

    Returns:
        :class:`TextMapScores` of the set (``n_images`` = total images).
    """
    if not isinstance(parts, (list, tuple)):
        raise TypeError(f"pool_text_map_scores: parts must be a list of TextMapScores, got {type(parts).__name__}")
    if not parts:
        raise ValueError("pool_text_map_scores: parts is empty; pass at least one TextMapScores")
    for i, s in enumerate(parts):
        if not isinstance(s, TextMapScores):
            raise TypeError(f"pool_text_map_scores: parts[{i}] must be a TextMapScores, got {type(s).__name__}")
        if (s.band, s.far, s.hit_threshold) != (parts[0].band, parts[0].far, parts[0].hit_threshold):
            raise ValueError(f"pool_text_map_scores: parts[{i}] used band={s.band}, far={s.far}, "
                             f"hit_threshold={s.hit_threshold} but parts[0] used band={parts[0].band}, "
                             f"far={parts[0].far}, hit_threshold={parts[0].hit_threshold}")
    text_hist = np.sum([s.text_hist for s in parts], axis=0).astype(np.int64)
    background_hist = np.sum([s.background_hist for s in parts], axis=0).astype(np.int64)
    word_means = np.concatenate([s.word_means for s in parts]).astype(np.float64)
    n_far = sum(s.n_far for s in parts)
    far_sum = float(sum(s.far_sum for s in parts))
    thr = parts[0].hit_threshold
    return TextMapScores(
        ap=_ap_from_histograms(text_hist, background_hist),
        hit_rate=float(np.mean(word_means >= thr)) if word_means.size else float("nan"),
        far_mean=far_sum / n_far if n_far else float("nan"), word_means=word_means, text_hist=text_hist,
        background_hist=background_hist, n_text=sum(s.n_text for s in parts),
        n_background=sum(s.n_background for s in parts), n_excluded=sum(s.n_excluded for s in parts),
        n_far=n_far, far_sum=far_sum, n_images=sum(s.n_images for s in parts), band=parts[0].band,
        far=parts[0].far, hit_threshold=thr)
