"""CTC greedy decoding (pure NumPy): per-step class probabilities -> strings and confidences."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

__all__ = ["CTCDecoded", "ctc_greedy_decode"]


@dataclass(frozen=True)
class CTCDecoded:
    """Strings read from a batch of CTC outputs.

    Attributes:
        texts: one string per sequence ("" when every step is the blank).
        confidences: float32 [B] in [0, 1] (0 for an empty string), see :func:`ctc_greedy_decode`.
    """

    texts: Tuple[str, ...]
    confidences: np.ndarray


def ctc_greedy_decode(probs, charset: str, *, lengths: Optional[Sequence[int]] = None,
                      blank: int = 0) -> CTCDecoded:
    """Best-path CTC decoding: the most probable class at each step, repeats collapsed, blanks removed.

    A character repeated in the text needs a blank between its two runs (``a a`` -> "a", ``a - a`` ->
    "aa"). The confidence is EasyOCR's: with ``p`` the winning probabilities of the non-blank steps
    (repeated steps included), ``prod(p) ** (2 / sqrt(len(p)))``; 0 when no step is non-blank.

    Args:
        probs: float [B, T, C] (or [T, C] for one sequence) per-step class probabilities in [0, 1]
            (softmax outputs); class ``blank`` is the CTC blank, the others map to ``charset`` in order
            (class k -> ``charset[k - 1]`` for the default ``blank=0``).
        charset: the C - 1 characters of the non-blank classes.
        lengths: optional int [B]: the number of valid steps of each sequence (the rest is padding).
        blank: index of the blank class.

    Returns:
        :class:`CTCDecoded` with B texts and float32 [B] confidences.

    Raises:
        TypeError / ValueError: a non-numeric or wrongly shaped ``probs``, C != len(charset) + 1, a
            ``blank`` outside [0, C), or ``lengths`` of the wrong size or outside [0, T].
    """
    p = np.asarray(probs)
    if p.dtype.kind not in "fiu":
        raise TypeError(f"ctc_greedy_decode: probs must be a real-valued [B, T, C] array, got dtype {p.dtype}")
    if p.ndim == 2:
        p = p[None]
    if p.ndim != 3:
        raise ValueError(f"ctc_greedy_decode: probs must have shape [B, T, C] (or [T, C]), got {np.shape(probs)}")
    b, t, c = p.shape
    if c != len(charset) + 1:
        raise ValueError(f"ctc_greedy_decode: {c} classes but a charset of {len(charset)} characters "
                         f"(expected classes = characters + 1 blank)")
    if not 0 <= blank < c:
        raise ValueError(f"ctc_greedy_decode: blank must be a class index in [0, {c}), got {blank}")
    if lengths is None:
        lens = np.full(b, t, np.int64)
    else:
        lens = np.asarray(lengths).astype(np.int64).reshape(-1)
        if len(lens) != b or (lens < 0).any() or (lens > t).any():
            raise ValueError(f"ctc_greedy_decode: lengths must be {b} integers in [0, {t}], got {np.asarray(lengths)}")
    symbols = np.array(list(charset[:blank]) + [""] + list(charset[blank:]), dtype=object)
    best = p.argmax(axis=2) if c else np.zeros((b, t), np.int64)
    top = np.take_along_axis(p, best[:, :, None], axis=2)[:, :, 0].astype(np.float64)
    texts, conf = [], np.zeros(b, np.float32)
    for i in range(b):
        k = best[i, :lens[i]]
        if len(k) == 0:
            texts.append("")
            continue
        new = np.ones(len(k), bool)
        new[1:] = k[1:] != k[:-1]
        texts.append("".join(symbols[k[new & (k != blank)]]))
        won = top[i, :lens[i]][k != blank]
        if len(won):
            with np.errstate(divide="ignore"):  # a zero probability gives log 0 = -inf, i.e. confidence 0
                conf[i] = float(np.exp(2.0 / np.sqrt(len(won)) * np.log(won).sum()))  # no underflow
    return CTCDecoded(tuple(texts), conf)
