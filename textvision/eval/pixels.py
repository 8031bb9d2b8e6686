"""Pixel-level scores of a thresholded text probability map against a text mask."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Union

import numpy as np

__all__ = ["PixelScores", "pixel_scores", "pixel_scores_from_counts"]


@dataclass(frozen=True)
class PixelScores:
    """Pixel-level scores of a thresholded text map against a text mask (ignored pixels excluded).

    Attributes:
        precision: ``tp / (tp + fp)`` in [0, 1] (0 when nothing is predicted).
        recall: ``tp / (tp + fn)`` in [0, 1] (0 when there is no text pixel).
        f1: harmonic mean of precision and recall, in [0, 1].
        iou: ``tp / (tp + fp + fn)`` in [0, 1].
        tp, fp, fn: pixel counts (true positives, false positives, false negatives), >= 0.
    """

    precision: float
    recall: float
    f1: float
    iou: float
    tp: int
    fp: int
    fn: int

    def as_dict(self) -> Dict[str, Union[float, int]]:
        """The scores as a JSON-ready dict."""
        return asdict(self)


def pixel_scores_from_counts(tp: int, fp: int, fn: int) -> PixelScores:
    """:class:`PixelScores` of pixel counts (e.g. summed over the images of a set)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    iou = tp / (tp + fp + fn) if tp + fp + fn else 0.0
    return PixelScores(p, r, f1, iou, int(tp), int(fp), int(fn))


def pixel_scores(prob, mask, ignore=None, threshold: float = 0.5) -> PixelScores:
    """Pixel precision / recall / F1 / IoU of ``prob >= threshold`` against ``mask``.

    Args:
        prob: float HxW (or any shape) text probabilities in [0, 1].
        mask: same shape, nonzero = text.
        ignore: optional same-shape mask; nonzero pixels are left out.
        threshold: decision threshold.

    Returns:
        :class:`PixelScores`.
    """
    prob, mask = np.asarray(prob), np.asarray(mask)
    if prob.shape != mask.shape:
        raise ValueError(f"prob shape {prob.shape} != mask shape {mask.shape}")
    pred = prob >= threshold
    gt = mask != 0
    if ignore is not None:
        ignore = np.asarray(ignore)
        if ignore.shape != mask.shape:
            raise ValueError(f"ignore shape {ignore.shape} != mask shape {mask.shape}")
        keep = ignore == 0
        pred, gt = pred & keep, gt & keep
    tp = int(np.count_nonzero(pred & gt))
    return pixel_scores_from_counts(tp, int(np.count_nonzero(pred)) - tp, int(np.count_nonzero(gt)) - tp)
