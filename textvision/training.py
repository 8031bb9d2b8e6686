"""What every trainer returns: :class:`TrainResult` (``train_text_fcn``, ``train_east``, ``train_style``,
``distill``, ``train_ranker``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

__all__ = ["TrainResult"]


@dataclass(frozen=True)
class TrainResult:
    """The outcome of a training run.

    Attributes:
        model: the trained model, unwrapped from DistributedDataParallel and in eval mode (a
            ``torch.nn.Module``; :func:`~textvision.proposals.train_ranker`: a
            :class:`~textvision.proposals.Ranker`).
        history: one record per epoch (``train_text_fcn``, ``train_east``: ``"epoch"``, ``"loss"``, ``"seconds"``
            and, with validation data, the validation scores), per step (``train_style``, ``distill``:
            ``"step"`` and the loss terms) or one for the whole fit (``train_ranker``: ``"rows"``,
            ``"positives"``); a resumed run's records include the earlier runs'.
        checkpoint: path of the checkpoint written last (the final weights), or None when nothing was
            written.
        best_epoch: the 1-based epoch of the best validation score, or None without validation.
        best_score: that score (``train_text_fcn``: pixel F1, ``train_east``: ICDAR 2015 H-mean; in [0, 1]),
            or None without validation.
        seconds: wall time of this call, in seconds (a resumed run: this part only).
    """

    model: Any
    history: Tuple[Dict[str, float], ...]
    checkpoint: Optional[str]
    best_epoch: Optional[int]
    best_score: Optional[float]
    seconds: float


def best_of(history, key: str) -> Tuple[Optional[int], Optional[float]]:
    """``(epoch, score)`` of the record with the highest ``key`` (None, None when no record has it)."""
    scored = [(float(r[key]), int(r["epoch"])) for r in history if key in r]
    if not scored:
        return None, None
    score, epoch = max(scored, key=lambda t: (t[0], -t[1]))  # the earliest epoch on a tie
    return epoch, score
