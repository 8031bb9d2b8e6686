"""Batched word reading: crops -> the recogniser network -> CTC greedy decoding (-> an optional lexicon)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import numpy as np

from textvision.spotting.crops import fit_crop, word_crops
from textvision.spotting.ctc import ctc_greedy_decode
from textvision.spotting.lexicon import Lexicon

if TYPE_CHECKING:  # the network (and torch) load on first use
    from textvision.models.recognizer import Recognizer

__all__ = ["Recognitions", "as_recognizer", "recognize", "recognize_crops", "padded_width", "stretch_contrast"]

log = logging.getLogger("textvision.spotting")

#: Crops of one padded width go through the network together, up to this many columns in all (B x W): it
#: bounds the first convolution's activations to about 130 MB.
MAX_BATCH_COLUMNS = 16384
#: A crop is right-padded to a multiple of this width by repeating its last column: EasyOCR's input
#: convention (``NormalizePAD``). The network's readings depend on that padding (its backward LSTM reads
#: it first): without it a third of hard crops read differently from EasyOCR's own implementation.
PAD_MULTIPLE = 64


def padded_width(width: int) -> int:
    """The network input width of a crop ``width`` columns wide: the next multiple of 64 (at least 64)."""
    return PAD_MULTIPLE * max(1, -(-int(width) // PAD_MULTIPLE))


@dataclass(frozen=True)
class Recognitions:
    """What the recogniser read in N word crops.

    Attributes:
        texts: N strings (after the lexicon when one was given; "" when nothing was read).
        confidences: float32 [N] in [0, 1]: the recogniser's confidence in ``raw_texts`` (EasyOCR's
            measure, see :func:`textvision.spotting.ctc_greedy_decode`); 0 for an empty read.
        raw_texts: N strings as the network read them, before the lexicon.
        lexicon_distances: int32 [N]: edit distance from the raw text to the lexicon word that replaced
            it, -1 where none did (no lexicon, or none within its bound).
    """

    texts: Tuple[str, ...]
    confidences: np.ndarray
    raw_texts: Tuple[str, ...]
    lexicon_distances: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def as_recognizer(model="default") -> Recognizer:
    """``model`` itself when it is an ``nn.Module`` (a :class:`~textvision.models.recognizer.Recognizer` or a
    module with its interface); otherwise a ``recognizer`` registry name or a state_dict path, loaded once per
    process (CPU, eval mode) and shared.

    Raises:
        TypeError: anything else. FileNotFoundError / ValueError: as :func:`textvision.models.recognizer`.
    """
    from torch import nn

    from textvision.checkpoint import load_once
    from textvision.models.recognizer import recognizer
    from textvision.weights import resolve

    if isinstance(model, nn.Module):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a Recognizer, a registry name or a weights path, got {type(model).__name__}")
    return load_once(recognizer, resolve(model, "recognizer"))


def _as_lexicon(lexicon) -> Optional[Lexicon]:
    if lexicon is None or isinstance(lexicon, Lexicon):
        return lexicon
    if isinstance(lexicon, (str, bytes)):
        raise TypeError("lexicon must be a Lexicon or a list of words, not one string")
    return Lexicon(lexicon)


def stretch_contrast(strip: np.ndarray, target: float = 0.5) -> np.ndarray:
    """A low-contrast grey crop stretched for a second reading (EasyOCR's ``adjust_contrast`` rule).

    With ``lo``, ``hi`` the 10th and 90th percentiles, a crop whose contrast ``(hi - lo) / max(10, hi + lo)``
    is under ``target`` is mapped by ``(x - lo + 25) * 200 / max(10, hi - lo)`` and clipped to [0, 255]
    (its ink and paper spread over most of the range); a crop with enough contrast is returned as it is.

    Args:
        strip: uint8 [h, w] grey crop. target: the contrast in [0, 1] below which it is stretched.

    Returns:
        uint8 [h, w] (a new array when stretched).
    """
    lo, hi = np.percentile(strip, [10, 90])
    if (hi - lo) / max(10.0, hi + lo) >= target:
        return strip
    out = (strip.astype(np.float64) - lo + 25.0) * (200.0 / max(10.0, hi - lo))
    return np.clip(out, 0, 255).astype(np.uint8)


def recognize_crops(crops: Sequence[np.ndarray], model="default", *, lexicon=None, num_threads: int = 1,
                    bf16: bool = False, max_batch_columns: int = MAX_BATCH_COLUMNS,
                    contrast_retry: Optional[float] = None) -> Recognitions:
    """Read word crops with the recogniser, in batches of crops of one padded width.

    EasyOCR's input convention: each crop is right-padded to the next multiple of 64 columns by repeating
    its last column, then scaled to [-1, 1]; crops of one padded width share a forward pass (a crop's
    reading does not depend on the others in its batch).

    Args:
        crops: uint8 word images: [64, W] grey strips as :func:`textvision.spotting.word_crops` makes
            them, or any [h, w] grey / [h, w, 3] RGB crop (resized with
            :func:`textvision.spotting.fit_crop`); an empty array reads as "" with confidence 0.
        model: a ``Recognizer``, or a registry name / path (``"default"``: EasyOCR's ``english_g2``,
            loaded once per process).
        lexicon: None, a :class:`~textvision.spotting.Lexicon`, or a list of words (a ``Lexicon`` with
            its defaults: case-free, at most 2 edits).
        num_threads: CPU threads torch may use for the call (see ``textvision._threads``).
        bf16: run the network under bfloat16 autocast (about 1.7x faster on CPUs with AVX512-BF16; the
            strings can differ from float32 on hard crops).
        max_batch_columns: the most crop columns (batch size x width) per forward pass.
        contrast_retry: None, or a confidence in [0, 1]: crops read with a lower confidence are read again
            after :func:`stretch_contrast` and the more confident reading is kept (EasyOCR's default: 0.1;
            +2 points of word accuracy on ICDAR 2015 validation crops for ~1.4x the time).

    Returns:
        :class:`Recognitions`, one entry per crop, in the crops' order.

    Raises:
        TypeError / ValueError: a crop that is not a uint8 image, a bad ``lexicon``, ``model`` or
            ``max_batch_columns``.
    """
    import torch
    import torch.nn.functional as F

    from textvision._threads import torch_threads
    from textvision.models.recognizer import word_tensor

    if isinstance(max_batch_columns, bool) or not isinstance(max_batch_columns, int) or max_batch_columns < 1:
        raise ValueError(f"recognize_crops: max_batch_columns must be an int >= 1, got {max_batch_columns!r}")
    if contrast_retry is not None and (isinstance(contrast_retry, bool) or not 0.0 <= float(contrast_retry) <= 1.0):
        raise ValueError(f"recognize_crops: contrast_retry must be None or in [0, 1], got {contrast_retry!r}")
    lex = _as_lexicon(lexicon)
    strips: List[Optional[np.ndarray]] = []
    for i, c in enumerate(crops):
        arr = np.asarray(c) if not hasattr(c, "detach") else c.detach().cpu().numpy()
        if arr.size == 0:
            strips.append(None)
            continue
        if arr.dtype != np.uint8:
            raise TypeError(f"recognize_crops: crop {i} must be a uint8 image, got dtype {arr.dtype}")
        strips.append(fit_crop(arr))
    net = as_recognizer(model)  # after the cheap checks: a bad crop is reported without loading weights
    n = len(strips)
    raw = [""] * n
    conf = np.zeros(n, np.float32)
    param = next(net.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")

    def run(items: Dict[int, np.ndarray]):
        """Read {index: strip}: texts and confidences by index."""
        by_width: Dict[int, List[int]] = {}
        for i, s in items.items():
            by_width.setdefault(padded_width(s.shape[1]), []).append(i)
        got_t, got_c = {}, {}
        for width, idx in sorted(by_width.items()):
            per = max(1, max_batch_columns // width)
            for s in range(0, len(idx), per):
                part = idx[s:s + per]
                x = word_tensor([_pad(items[i], width) for i in part]).to(device)
                probs = F.softmax(net(x).float(), dim=2).cpu().numpy()
                dec = ctc_greedy_decode(probs, net.charset)
                for k, i in enumerate(part):
                    got_t[i], got_c[i] = dec.texts[k], float(dec.confidences[k])
        return got_t, got_c

    was_training = net.training
    net.eval()
    try:
        with torch_threads(num_threads, "recognize"), torch.inference_mode(), \
                torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(bf16)):
            got_t, got_c = run({i: s for i, s in enumerate(strips) if s is not None})
            for i in got_t:
                raw[i], conf[i] = got_t[i], got_c[i]
            if contrast_retry is not None:
                weak = {i: stretch_contrast(strips[i]) for i in got_t if conf[i] < float(contrast_retry)}
                again_t, again_c = run(weak)
                for i in again_t:
                    if again_c[i] > conf[i]:
                        raw[i], conf[i] = again_t[i], again_c[i]
    finally:
        net.train(was_training)
    texts, dist = list(raw), np.full(n, -1, np.int32)
    if lex is not None:
        for i, t in enumerate(raw):
            if t:
                m = lex.match(t)
                if m.word is not None:
                    texts[i], dist[i] = m.word, m.distance
    return Recognitions(tuple(texts), conf, tuple(raw), dist)


def _pad(strip: np.ndarray, width: int) -> np.ndarray:
    extra = width - strip.shape[1]
    return strip if extra == 0 else np.pad(strip, ((0, 0), (0, extra)), mode="edge")


def recognize(image, quads=None, *, boxes=None, model="default", lexicon=None, num_threads: int = 1,
              bf16: bool = False, contrast_retry: Optional[float] = None) -> Recognitions:
    """Read the words at given places of an image: :func:`word_crops` then :func:`recognize_crops`.

    Args:
        image: uint8 [H, W, 3] RGB or [H, W] grey (never modified).
        quads: float [N, 4, 2] word quads, clockwise from the word's top-left corner; or
        boxes: float [N, 4] ``(x1, y1, x2, y2)`` boxes (one of the two).
        model, lexicon, num_threads, bf16, contrast_retry: see :func:`recognize_crops`.

    Returns:
        :class:`Recognitions`, one entry per quad / box, in their order.
    """
    return recognize_crops(word_crops(image, quads, boxes=boxes), model, lexicon=lexicon, num_threads=num_threads,
                           bf16=bf16, contrast_retry=contrast_retry)

