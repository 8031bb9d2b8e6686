"""Selectivity, legibility and style measures for selective style transfer.

Synthetic scenes with exact text masks, and real photographs with ICDAR 2015 word quads:

- :func:`change_outside_inside`: mean absolute change (grey levels, 0..255) outside and inside a mask
  (:class:`MaskChange`); a perfectly selective method has 0 outside.
- :func:`word_masks`: one photo's word masks and its "far from any word" background, from word quads.
- :func:`photo_change`: mean change far from the words and inside them (:class:`PhotoChange`).
- :func:`style_pair_difference`: how different two styles make the words (mean |a - b| inside them).
- :func:`craft_score_kept`: how much of CRAFT's region score a restyled word keeps (a detector's view).
- :func:`read_kept`: of the words a recogniser reads correctly on the input, how many it still reads
  correctly after restyling (:class:`Legibility`; the legibility measure).
- :meth:`PerceptualLoss.masked_style_distance`: how far the text's Gram statistics are from the
  style's (relative; smaller = more of the style).
- :func:`eval_scenes`: synthetic scenes with exact text masks (``textvision.data.synth``).

``benchmarks/eval_style.py`` runs them on synthetic scenes or, with ``--photos``, on real photographs.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np

from textvision import _validate

__all__ = ["MaskChange", "change_outside_inside", "WordMasks", "word_masks", "PhotoChange", "photo_change",
           "style_pair_difference", "craft_score_kept", "same_word", "readable_words", "Legibility", "legibility",
           "read_kept", "most_distinct",
           "EvalScene", "eval_scenes"]


class MaskChange(NamedTuple):
    """Mean absolute change of an image, in grey levels 0..255 averaged over channels (:func:`change_outside_inside`).

    Attributes:
        outside: over the pixels outside the mask (NaN: none).
        inside: over the pixels inside the mask (NaN: none).
    """

    outside: float
    inside: float


def change_outside_inside(original: np.ndarray, output: np.ndarray, mask: np.ndarray) -> MaskChange:
    """Mean |output - original| over pixels (and channels) outside / inside ``mask``, in grey levels.

    Args:
        original, output: ``uint8`` HxWx3 RGB of the same size.
        mask: HxW, nonzero = text.

    Returns:
        :class:`MaskChange` ``(outside, inside)``; NaN for an empty side.
    """
    if original.shape != output.shape or original.shape[:2] != mask.shape:
        raise ValueError(f"shapes differ: original {original.shape}, output {output.shape}, mask {mask.shape}")
    diff = np.abs(output.astype(np.int16) - original.astype(np.int16)).mean(axis=2)
    m = mask != 0
    out = float(diff[~m].mean()) if (~m).any() else float("nan")
    ins = float(diff[m].mean()) if m.any() else float("nan")
    return MaskChange(outside=out, inside=ins)


@dataclass(frozen=True)
class WordMasks:
    """Pixel masks of one photo's word quads (see :func:`word_masks`).

    Attributes:
        words: bool [K, H, W], inside each legible (``ignore=False``) word quad, in input order.
        text: bool [H, W], the union of ``words``.
        far: bool [H, W], farther than ``far_px`` from every quad, legible or don't-care (every pixel
            when there is no quad).
        far_px: that distance in pixels of the masks.
    """

    words: np.ndarray
    text: np.ndarray
    far: np.ndarray
    far_px: float


def word_masks(instances, shape_hw: Tuple[int, int], *, far: float = 30.0, scale: float = 1.0) -> WordMasks:
    """Word masks and the "far from any word" background of a photo, from its word quads.

    Quads are filled as ``textvision.data.masks.rasterize_quads`` does (boundary pixels included);
    distances are Euclidean between pixel centres (``cv2.distanceTransform``, precise mask), as in
    ``textvision.eval.text_map_scores``' ``far_mean``.

    Args:
        instances: the photo's words, a list of ``TextInstance`` (``textvision.data.read_icdar2015``):
            quads in pixel coordinates of the photo; don't-care words count for ``far`` only.
        shape_hw: ``(H, W)`` of the masks: the photo's size times ``scale``, rounded.
        far: distance in pixels **of the photo** beyond which background counts as far (>= 0);
            the masks use ``far * scale``.
        scale: mask resolution relative to the photo (> 0), e.g. 0.5 for a photo resized to half;
            quads map as ``(p + 0.5) * scale - 0.5`` (``cv2.resize``'s pixel centres).

    Returns:
        :class:`WordMasks` of size ``shape_hw``.

    Raises:
        TypeError: ``instances`` not a list of ``TextInstance``. ValueError: bad ``shape_hw``, ``far``
            or ``scale``; a legible quad with no pixel inside the masks (ground truth of another image?).
    """
    import cv2

    from textvision.data.instances import TextInstance
    from textvision.data.masks import rasterize_quads

    if not isinstance(instances, (list, tuple)):
        raise TypeError(f"word_masks: instances must be a list of TextInstance, got {type(instances).__name__}")
    if len(shape_hw) != 2 or int(shape_hw[0]) <= 0 or int(shape_hw[1]) <= 0:
        raise ValueError(f"word_masks: shape_hw must be a positive (H, W), got {shape_hw!r}")
    if not far >= 0:
        raise ValueError(f"word_masks: far must be >= 0 pixels, got {far!r}")
    if not scale > 0:
        raise ValueError(f"word_masks: scale must be > 0, got {scale!r}")
    h, w = int(shape_hw[0]), int(shape_hw[1])
    words, every = [], np.zeros((h, w), np.uint8)
    for i, inst in enumerate(instances):
        if not isinstance(inst, TextInstance):
            raise TypeError(f"word_masks: instances[{i}] must be a TextInstance, got {type(inst).__name__}")
        m = rasterize_quads((np.asarray(inst.quad, np.float64) + 0.5) * scale - 0.5, (h, w))
        every |= m
        if inst.ignore:
            continue
        if not m.any():
            raise ValueError(f"word_masks: instances[{i}] ({inst.text!r}) quad {inst.quad.tolist()} has no pixel "
                             f"inside the {h}x{w} masks (scale {scale:g}; ground truth of another image?)")
        words.append(m.astype(bool))
    words_arr = np.stack(words) if words else np.zeros((0, h, w), bool)
    far_px = float(far) * float(scale)
    if every.any():
        dist = cv2.distanceTransform((every == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        far_mask = dist > far_px
    else:
        far_mask = np.ones((h, w), bool)
    return WordMasks(words=words_arr, text=words_arr.any(axis=0), far=far_mask, far_px=far_px)


class PhotoChange(NamedTuple):
    """Mean absolute change (grey levels 0..255, averaged over channels) of a restyled photo."""

    far: float  # over the background far from every word (NaN: none)
    text: float  # inside the legible words (NaN: none)


def photo_change(original: np.ndarray, output: np.ndarray, masks: WordMasks) -> PhotoChange:
    """How much a restyled photo changed far from its words and inside them.

    Args:
        original, output: ``uint8`` HxWx3 RGB of the same size.
        masks: :func:`word_masks` of that size.

    Returns:
        :class:`PhotoChange` (``far``, ``text``).
    """
    return PhotoChange(far=change_outside_inside(original, output, ~masks.far).outside,
                       text=change_outside_inside(original, output, masks.text).inside)


def style_pair_difference(outputs: Sequence[np.ndarray], mask: np.ndarray) -> np.ndarray:
    """How differently two styles restyle the same text: mean |a - b| inside ``mask``, for every pair.

    Args:
        outputs: two or more ``uint8`` HxWx3 RGB restylings of one image (one per style).
        mask: HxW, nonzero = text (e.g. ``WordMasks.text``).

    Returns:
        float64 [S * (S - 1) / 2], grey levels 0..255, pairs in ``itertools.combinations`` order
        ((0, 1), (0, 2), ..., (1, 2), ...); NaN for an empty mask.
    """
    if len(outputs) < 2:
        raise ValueError(f"style_pair_difference: need at least two restylings, got {len(outputs)}")
    return np.array([change_outside_inside(a, b, mask).inside for a, b in itertools.combinations(outputs, 2)],
                    np.float64)


def craft_score_kept(region_before, region_after, words, *, min_score: float = 0.05) -> np.ndarray:
    """How much of CRAFT's region score each word keeps after restyling (a legibility measure).

    Args:
        region_before, region_after: float32 HxW region scores in [0, 1] of the input and the restyled
            image (``textvision.models.craft.craft_maps(...).region``), same size.
        words: bool [K, H, W] word masks (``WordMasks.words``).
        min_score: words whose mean score on the input is under this are not read as text by CRAFT
            in the first place: their ratio is NaN.

    Returns:
        float64 [K]: ``mean(region_after[word]) / mean(region_before[word])`` per word (1 = kept, can
        exceed 1); NaN for an empty mask or an input score under ``min_score``.
    """
    before = _validate.heatmap(region_before, None, "region_before", "craft_score_kept")
    after = _validate.heatmap(region_after, before.shape, "region_after", "craft_score_kept")
    words = _validate.as_array(words, "words", "craft_score_kept")
    if words.ndim != 3 or words.shape[1:] != before.shape:
        raise ValueError(f"craft_score_kept: words must be [K, {before.shape[0]}, {before.shape[1]}], got "
                         f"shape {words.shape}")
    out = np.full(words.shape[0], np.nan)
    for k, m in enumerate(words.astype(bool, copy=False)):
        if not m.any():
            continue
        b = float(before[m].mean(dtype=np.float64))
        if b >= min_score and b > 0:
            out[k] = float(after[m].mean(dtype=np.float64)) / b
    return out


def same_word(read: str, truth: str) -> bool:
    """Whether a reading equals a transcription the way ICDAR's word-spotting protocol compares them:
    case-free, ignoring everything but letters and digits (``"Exit!" == "EXIT"``); an empty transcription
    (after that) never matches."""
    b = _word_key(truth)
    return bool(b) and _word_key(read) == b


def _word_key(text: str) -> str:
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def readable_words(instances) -> list:
    """The words :func:`read_kept` compares: legible (not don't-care) ones whose transcription has a
    letter or digit, in input order."""
    return [w for w in instances if not w.ignore and _word_key(w.text)]


@dataclass(frozen=True)
class Legibility:
    """How many words stay readable after restyling (see :func:`legibility`).

    Attributes:
        words: words compared (legible, with a transcription).
        read_on_input: of those, read correctly on the input.
        still_read: of ``read_on_input``, still read correctly on the output.
        fraction: ``still_read / read_on_input`` in [0, 1]; NaN when no word was read on the input.
    """

    words: int
    read_on_input: int
    still_read: int
    fraction: float


def legibility(before: Sequence[str], after: Sequence[str], truths: Sequence[str]) -> Legibility:
    """Compare readings of the same words before and after restyling against their transcriptions.

    Args:
        before, after: what a recogniser read in each word on the input and on the output.
        truths: the words' transcriptions (same length); compared with :func:`same_word`.

    Returns:
        :class:`Legibility`: a word counts only if it was read correctly on the input, so the measure is
        about what restyling destroys, not about the recogniser's own misreadings.
    """
    if not (len(before) == len(after) == len(truths)):
        raise ValueError(f"legibility: before, after and truths differ in length: {len(before)}, {len(after)}, "
                         f"{len(truths)}")
    ok_in = [same_word(b, t) for b, t in zip(before, truths)]
    kept = sum(1 for ok, a, t in zip(ok_in, after, truths) if ok and same_word(a, t))
    n_in = sum(ok_in)
    return Legibility(words=len(truths), read_on_input=n_in, still_read=kept,
                      fraction=kept / n_in if n_in else float("nan"))


def read_kept(original: np.ndarray, outputs: Sequence[np.ndarray], instances, *, scale: float = 1.0,
              model="default") -> List[Legibility]:
    """Legibility of restyled versions of one photo: its legible words read on the input (once) and on
    every output.

    Args:
        original: ``uint8`` HxWx3 RGB (never modified).
        outputs: restyled versions of it (e.g. one per style), each ``uint8`` RGB of the same size.
        instances: the photo's words (``TextInstance`` list); don't-care words and words without a letter or
            digit in their transcription are left out (:func:`readable_words`).
        scale: the images' size relative to the quads' photo, as in :func:`word_masks` (quads map as
            ``(p + 0.5) * scale - 0.5``).
        model: the recogniser (``textvision.spotting.recognize``'s ``model``: default EasyOCR's english_g2).

    Returns:
        one :class:`Legibility` per output, over the photo's legible words.
    """
    from textvision.spotting import recognize

    original = _validate.image_rgb(original, "original", "read_kept")
    outputs = [_validate.image_rgb(o, f"outputs[{k}]", "read_kept") for k, o in enumerate(outputs)]
    for k, o in enumerate(outputs):
        if o.shape != original.shape:
            raise ValueError(f"read_kept: original {original.shape} and outputs[{k}] {o.shape} differ in size")
    if not scale > 0:
        raise ValueError(f"read_kept: scale must be > 0, got {scale!r}")
    words = readable_words(instances)
    if not words:
        return [Legibility(0, 0, 0, float("nan")) for _ in outputs]
    quads = (np.stack([np.asarray(w.quad, np.float32) for w in words]) + 0.5) * np.float32(scale) - 0.5
    truths = [w.text for w in words]
    before = recognize(original, quads, model=model).texts
    return [legibility(before, recognize(o, quads, model=model).texts, truths) for o in outputs]


def most_distinct(pair: np.ndarray, k: int, candidates: Sequence[int] = None) -> List[int]:
    """Choose ``k`` styles that restyle words differently from each other, greedily.

    Args:
        pair: float [S, S] symmetric: how differently each pair of styles restyles the same words (e.g. the
            mean of :func:`style_pair_difference` over photos; the diagonal is ignored).
        k: styles to choose, 2 <= k <= number of candidates.
        candidates: the style indices allowed (default all), e.g. those that keep words legible.

    Returns:
        ``k`` indices: the most different pair first, then each time the candidate whose mean difference
        to those already chosen is largest (ties: the lower index).
    """
    pair = np.asarray(pair, np.float64)
    if pair.ndim != 2 or pair.shape[0] != pair.shape[1] or not np.allclose(pair, pair.T, equal_nan=True):
        raise ValueError(f"most_distinct: pair must be a symmetric [S, S] matrix, got shape {pair.shape}")
    cand = list(range(pair.shape[0])) if candidates is None else sorted({int(c) for c in candidates})
    if any(not 0 <= c < pair.shape[0] for c in cand):
        raise ValueError(f"most_distinct: candidates must lie in [0, {pair.shape[0]}), got {candidates!r}")
    if not 2 <= int(k) <= len(cand):
        raise ValueError(f"most_distinct: k must be in [2, {len(cand)}], got {k!r}")
    sub = np.nan_to_num(pair[np.ix_(cand, cand)], nan=-np.inf)
    np.fill_diagonal(sub, -np.inf)
    i, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
    chosen = [min(i, j), max(i, j)]
    while len(chosen) < int(k):
        rest = [c for c in range(len(cand)) if c not in chosen]
        score = [sub[c, chosen].mean() for c in rest]
        chosen.append(rest[int(np.argmax(score))])
    return [cand[c] for c in chosen]


class EvalScene(NamedTuple):
    image: np.ndarray  # uint8 HxWx3 RGB
    mask: np.ndarray  # uint8 HxW {0, 1}: text pixels grown by ``dilate``


def eval_scenes(n: int, size: Tuple[int, int] = (256, 256), seed: int = 12345, dilate: int = 1,
                min_text: float = 0.01) -> List[EvalScene]:
    """``n`` synthetic scenes with at least ``min_text`` text pixels, seeds ``(seed, i)`` (held out from
    training, which draws 31-bit integer seeds). The mask is grown by ``dilate`` px like the distillation
    default, so anti-aliased stroke edges count as text."""
    import cv2

    from textvision.data.synth import render_scene

    scenes, i = [], 0
    while len(scenes) < n:
        try:
            sc = render_scene((seed, i), size=size)
        except ValueError:  # rare renderer failures for some seeds: skip them
            i += 1
            continue
        i += 1
        m = sc.mask.astype(np.uint8)
        if dilate > 0:
            m = cv2.dilate(m, np.ones((2 * dilate + 1, 2 * dilate + 1), np.uint8))
        if m.mean() >= min_text:
            scenes.append(EvalScene(sc.image, m))
    return scenes
