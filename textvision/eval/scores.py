"""The result types of the evaluators: detection scores (both ICDAR protocols and end to end) and
recall at top-k cut-offs (ranked proposals)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

__all__ = ["Match", "ImageScores", "DetectionScores", "EndToEndScores", "RecallAtK", "hmean"]


def hmean(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall (0 when both are 0)."""
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _num(v):
    """JSON-ready number: NaN becomes None."""
    return None if isinstance(v, float) and math.isnan(v) else v


@dataclass(frozen=True)
class Match:
    """One match between ground-truth words and detections of an image.

    Attributes:
        kind: ``"one-to-one"`` (ICDAR 2015 and end to end: always), ``"one-to-many"`` (DetEval: one word
            split over several detections) or ``"many-to-one"`` (DetEval: several words merged into one).
        gt: indices of the ground-truth words in the image's input order.
        det: indices of the detections in the image's input order.
        read: end to end only: whether the detection's reading equals the transcription; None otherwise.
    """

    kind: str
    gt: Tuple[int, ...]
    det: Tuple[int, ...]
    read: Optional[bool] = None


@dataclass(frozen=True)
class ImageScores:
    """Scores of one image (see :class:`DetectionScores` for the fields).

    Attributes:
        image: the image's key: its index in the input sequence, or its id (``img_12``) for mappings and
            folders.
        precision, recall, hmean: in [0, 1]. An image without care ground truth has recall 1 and precision
            1 when it has no detection, else 0 (as the official scripts).
        gt_matched, det_matched: match credit of the image's care words and care detections.
        num_gt, num_det: care ground-truth words and care detections (detections lying on a don't-care
            word are dropped).
        matches: the matches, in the order the protocol found them.
        det_dont_care: indices of the detections dropped for lying on a don't-care word.
    """

    image: Union[int, str]
    precision: float
    recall: float
    hmean: float
    gt_matched: float
    det_matched: float
    num_gt: int
    num_det: int
    matches: Tuple[Match, ...]
    det_dont_care: Tuple[int, ...]


@dataclass(frozen=True)
class DetectionScores:
    """Word detection scores of a set of images, from :func:`~textvision.eval.icdar2015` or
    :func:`~textvision.eval.deteval_icdar2013`.

    Attributes:
        precision: ``det_matched / num_det`` in [0, 1] (0 when there is no care detection).
        recall: ``gt_matched / num_gt`` in [0, 1] (0 when there is no care ground-truth word).
        hmean: harmonic mean of the two, in [0, 1].
        gt_matched: care ground-truth words matched; ICDAR 2015: a count (one-to-one matches); DetEval: the
            weighted credit (a split word counts ``split_weight``, merged words ``merge_weight`` each).
        det_matched: care detections matched; ICDAR 2015: the same count; DetEval: the weighted credit.
        num_gt: care ground-truth words (don't-care words left out), >= 0.
        num_det: care detections (those lying on a don't-care word left out), >= 0.
        per_image: one :class:`ImageScores` per image, in the input's order (sorted ids for folders).
    """

    precision: float
    recall: float
    hmean: float
    gt_matched: float
    det_matched: float
    num_gt: int
    num_det: int
    per_image: Tuple[ImageScores, ...]

    def as_dict(self, per_image: bool = True) -> Dict[str, Any]:
        """The scores as a JSON-ready dict (``per_image`` with each image's scores and matches)."""
        from dataclasses import asdict

        d = asdict(self)
        if not per_image:
            d.pop("per_image")
        return d


@dataclass(frozen=True)
class EndToEndScores(DetectionScores):
    """End-to-end scores (:func:`~textvision.eval.icdar2015_end_to_end`): a detection counts when it is
    matched *and* read right, so ``gt_matched`` = ``det_matched`` = words found and read right.

    Attributes:
        located: care ground-truth words matched by IoU, read right or not (the localisation count).
    """

    located: int = 0


@dataclass(frozen=True)
class RecallAtK:
    """Recall of ground-truth words among the top-k of ranked results, at several cut-offs k.

    Attributes:
        ks: the cut-offs, in the order asked; ``None`` means no cut-off (every result).
        recall: for each cut-off, the fraction of care ground-truth words found, in [0, 1]; NaN when
            there is no care word.
        num_gt: care ground-truth words, pooled over the images, >= 0.
    """

    ks: Tuple[Optional[int], ...]
    recall: Tuple[float, ...]
    num_gt: int

    def at(self, k: Optional[int]) -> float:
        """The recall at cut-off ``k`` (one of :attr:`ks`).

        Raises:
            KeyError: ``k`` is not one of the cut-offs.
        """
        try:
            return self.recall[self.ks.index(k)]
        except ValueError:
            raise KeyError(f"no cut-off {k!r}: the recall was computed at {list(self.ks)}") from None

    def as_dict(self) -> Dict[str, Optional[float]]:
        """``{"10": recall, ..., "None": recall}`` (keys ``str(k)``), JSON-ready (NaN becomes None)."""
        return {str(k): _num(r) for k, r in zip(self.ks, self.recall)}
