"""TextProposals with FCN-guided pruning and re-ranking; the heavy lifting is in ``csrc/proposals``.

Pipeline (all in the compiled core, one job per channel image): R, G, B at scales 1 and 0.5 ->
MSER (both polarities, delta 13) -> optional pruning of regions whose mean text probability is under
``min_prob`` -> five cues per region -> single linkage per channel x cue -> every merge node a proposal
with 18 group features. Then (vectorised): score, exact duplicates removed keeping the best score,
sorted by descending score.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from textvision import _validate
from textvision._ext import core
from textvision._threads import check_num_threads
from textvision.proposals.ranker import NUM_FEATURES, Ranker

_CHANNELS = {"r": 0, "g": 1, "b": 2, "grey": 3, "gray": 3}
_PRUNE = {"none": 0, "pixels": 1, "bbox": 2}
#: Conventions of the compiled pipeline per preset: (MSER area limits absolute at every scale, regions
#: grouped by bounding-box centres). ``"textvision"`` scales the limits to each scaled image and groups
#: by pixel centroids; ``"original"`` does what the original C++ TextProposals does (docs/proposals.md).
PRESETS = {"textvision": (False, False), "original": (True, True)}

# Pruning needs every word's pixels above ``min_prob``, small words included: at ``segment``'s general
# default (longer side 512) a 1280x720 frame shrinks 2.5x and 8 px words fall to ~3 px. Measured on 10
# synthetic 1280x720 scenes with the shipped lite weights, the share of words whose glyph pixels average
# >= 0.1 is 0.83 at 512, 0.93 at 800 and 0.97 at 1280 (native), for ~0.14 s per frame on 2 threads
# (tools/fcn_working_size.py).
#: Longer side at which :func:`fcn_heatmap` runs TextFCN for proposals (``segment``'s ``max_side``).
PROPOSALS_FCN_MAX_SIDE = 1280

# Calibrated on the ICDAR 2015 validation split (img_901-img_1000, 508 legible words) with the shipped
# text_fcn_ic15 map and ranker_ic15 (tools/propose_sweep.py): at 0.01 the pruned pipeline reaches 463 of the
# 471 words the plain one does (-1.7%) in about the same CPU time (0.29 s against 0.28, map included); 0.005
# loses none but costs 1.07x; 0.02 loses 4.5% with a lite map, 0.10 (FAST's public code) 13%.
#: Default pruning threshold on a region's mean text probability (``TextProposals``, ``propose``).
DEFAULT_MIN_PROB = 0.01


@dataclass(frozen=True)
class Proposals:
    """Ranked word proposals of one image.

    Attributes:
        boxes: float32 [K, 4] ``(x1, y1, x2, y2)`` in pixels (x2, y2 exclusive), unique, sorted by
            descending ``scores``.
        scores: float32 [K], higher is better; only the order is meaningful (the scale depends on
            the ranking mode; proposals demoted for diversity have their score lowered by 2).
        stats: ``regions_found`` (None when pruning ran inside MSER), ``regions_kept``, ``nodes`` (raw
            proposals), ``proposals`` (unique), ``time`` (CPU seconds per stage: prepare, mser, prune,
            cues, cluster, rank, total) and ``wall`` (seconds).
        features: float32 [K, 18] group features (see :data:`textvision.proposals.FEATURE_NAMES`).
    """

    boxes: np.ndarray
    scores: np.ndarray
    stats: dict = field(default_factory=dict)
    features: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.boxes)

    def top(self, k: Optional[int]) -> "Proposals":
        """The ``k`` best proposals (all when ``k`` is None)."""
        sl = slice(None) if k is None else slice(0, int(k))
        return Proposals(self.boxes[sl], self.scores[sl], dict(self.stats),
                         None if self.features is None else self.features[sl])


def fcn_heatmap(image, model="default", *, device=None, num_threads: int = 1) -> np.ndarray:
    """The TextFCN heatmap to prune proposals with: :func:`textvision.segment` at ``PROPOSALS_FCN_MAX_SIDE``.

    torch runs with ``num_threads`` intra-op threads on the CPU (the rule of ``textvision._threads``);
    the caller's thread count is restored afterwards.

    Args:
        image: uint8 HxWx3 RGB (what :func:`textvision.segment` accepts).
        model: as for :func:`textvision.segment`: a ``TextFCN``, or a ``text_fcn`` registry name
            (``"default"``) or checkpoint path, loaded once per process.
        device: as for :func:`textvision.segment` (None = the model's device; for a name or path CUDA
            when available).
        num_threads: CPU cores torch may use (default 1).

    Returns:
        float32 [H, W] text probability in [0, 1], the image's size: ready for ``TextProposals()(image, hm)``.
    """
    from textvision.text_fcn import segment

    return segment(image, model, max_side=PROPOSALS_FCN_MAX_SIDE, device=device, num_threads=num_threads)


def meaningfulness(features) -> np.ndarray:
    """Ranking score without a trained model, float32 [n], from the 18 group features.

    The group's -log10 NFA (how unlikely this many regions fall in so small a box by chance) is
    moderated by shape evidence typical of words: member centres spanning the box horizontally and
    centred vertically, similar member sizes and stroke widths.
    """
    f = np.asarray(features, dtype=np.float32)
    nfa = np.maximum(f[:, 1], 0.0) + 0.5 * np.maximum(f[:, 2], 0.0)
    balance = 0.5 + 0.5 * f[:, 12]                    # top/bottom margin symmetry
    spread = np.clip(f[:, 5], 0.0, 1.0)                # centres span most of the width
    uniform = 1.0 / (1.0 + f[:, 13] + f[:, 14])        # similar diameters and strokes
    return (np.log1p(nfa) * balance * (0.25 + spread) * uniform).astype(np.float32)


def heatmap_evidence(heatmap: np.ndarray, boxes: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
    """FAST-style re-ranking evidence of boxes [n, 4] on a heatmap (float32 HxW): float32 [n] in [0, 1].

    The mean text probability inside the box times one minus the mean on a surrounding ring (half the
    box height left and right, a quarter above and below): a word's box scores high, a piece of
    a word (text continues next to it) or a box swallowing much background scores low. Boxes are
    ``(x1, y1, x2, y2)`` pixel edges (x2, y2 exclusive; fractional ones are truncated after clipping to
    the map); computed in the compiled core on ``num_threads`` cores (same values for any count; a
    NumPy reference is in the tests). The mean inside a box is :func:`textvision.ops.box_mean`'s: both
    read the one summed-area table of ``csrc/regions`` (``integral_image``).

    Raises:
        ValueError: boxes not [n, 4] or not finite, a heatmap that is not 2-D. TypeError: num_threads.
    """
    n = check_num_threads(num_threads, "heatmap_evidence")
    hm = np.ascontiguousarray(heatmap, dtype=np.float32)
    if hm.ndim != 2:
        raise ValueError(f"heatmap_evidence: heatmap must be HxW, got shape {hm.shape}")
    b = np.ascontiguousarray(boxes, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"heatmap_evidence: boxes must be [n, 4], got shape {b.shape}")
    if len(b) == 0:
        return np.zeros(0, np.float32)
    if not np.isfinite(b).all():
        raise ValueError("heatmap_evidence: boxes must be finite")
    return core().proposals_heatmap_evidence(hm, b, n)


class TextProposals:
    """Text-specific object proposals (Gomez & Karatzas 2017) with FCN-guided pruning (FAST, 2019).

    Args:
        preset: ``"original"`` (default) or ``"textvision"``: the original C++ TextProposals' region
            limits and grouping coordinates, or the conventions textvision used before (kept
            bit-identical). ``"original"`` is the default because it loses no word against
            ``"textvision"`` (synthetic 720x1280 scenes: 132 of 133 both; the six OpenCV sample
            photos: 30 of 30 both), ranks better (synthetic top-100 0.77 vs 0.73) and gives 17-30% fewer
            proposals. ``"original"`` keeps the full-resolution absolute MSER area
            limits (``min_area``/``max_area`` times the full image area, in pixels) at every scale, where
            ``"textvision"`` takes them as fractions of each scaled image (so half scale finds 4x smaller
            regions, 31-47% more proposals on real photos); and it groups regions by their bounding-box
            centres ``x + w // 2, y + h // 2`` where ``"textvision"`` uses pixel centroids. The other
            differences from the original are listed in docs/proposals.md.
        channels: channel images, any of ``"r", "g", "b", "grey"`` (default R, G, B).
        scales: image scales, each 1/k for an integer k (default 1 and 0.5).
        delta, min_area, max_area, max_variation, min_diversity: MSER parameters; areas are fractions
            of the (scaled) image area. Defaults are the original's.
        prune: with a heatmap, drop MSER regions whose mean text probability is under ``min_prob``
            before any cue or clustering work: ``"pixels"`` (over the region's pixels, the thesis),
            ``"bbox"`` (over its bounding box, the public FAST code) or ``"none"``.
        min_prob: pruning threshold (default :data:`DEFAULT_MIN_PROB` = 0.01, calibrated on ICDAR 2015
            validation photos).
        ranker: ``None`` ranks by :func:`meaningfulness`; ``"default"`` (or another name of the
            weights registry's ``ranker`` family) uses the project's trained stumps; or a :class:`Ranker`
            / a path to one (``.json``, or OpenCV ``.xml`` such as the original ``trained_boost_groups.xml``).
        rerank: with a heatmap, weight the ranking score by :func:`heatmap_evidence` (FAST's
            re-ranking by the mean text probability in the box, sharpened by the ring around it):
            ``score * ((1 - rerank_weight) + rerank_weight * evidence)``. The default weight 0.5 is
            a compromise measured on synthetic scenes: a perfect (box-shaped) map gains more from a
            higher weight, a pixel-level TextFCN map that also fires on don't-care text less.
        diversity: after ranking, walk the ``diversity_limit`` best proposals as greedy NMS at this IoU
            would and move each one overlapping a better placed proposal behind all placed ones
            (its score lowered by 2); nothing is removed. ``None`` keeps the pure score order.
        num_threads: CPU cores the call may use (``textvision._threads``): channel images processed in
            parallel, capped at the cores available (default 1, for reproducible timing).
        keep_features: keep the [K, 18] group features in the result (for training a ranker).
    """

    def __init__(self, *, preset: str = "original", channels: Sequence[str] = ("r", "g", "b"), scales: Sequence[float] = (1.0, 0.5),
                 delta: int = 13, min_area: float = 2e-5, max_area: float = 0.11, max_variation: float = 55.0,
                 min_diversity: float = 0.0, prune: str = "pixels", min_prob: float = DEFAULT_MIN_PROB,
                 ranker: Union[None, str, Path, Ranker] = None, rerank: bool = True, rerank_weight: float = 0.5,
                 diversity: Optional[float] = 0.5, diversity_limit: int = 3000, num_threads: int = 1,
                 keep_features: bool = False):
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
        self.preset = preset
        self._absolute_area, self._box_centres = PRESETS[preset]
        try:
            self._channels = [_CHANNELS[str(c).lower()] for c in channels]
        except KeyError as exc:
            raise ValueError(f"unknown channel {exc.args[0]!r}; use 'r', 'g', 'b' or 'grey'") from None
        if not self._channels:
            raise ValueError("channels must not be empty")
        self._factors = []
        for s in scales:
            k = 1.0 / float(s) if float(s) > 0 else 0
            if not (1 <= round(k) <= 16 and abs(k - round(k)) < 1e-6):
                raise ValueError(f"scales must be 1/k for an integer k in [1, 16], got {s!r}")
            self._factors.append(int(round(k)))
        if not self._factors:
            raise ValueError("scales must not be empty")
        if prune not in _PRUNE:
            raise ValueError(f"prune must be one of {sorted(_PRUNE)}, got {prune!r}")
        if not 0 < min_area < max_area <= 1:
            raise ValueError(f"need 0 < min_area < max_area <= 1, got {min_area}, {max_area}")
        if int(delta) < 1:
            raise ValueError(f"delta must be >= 1, got {delta}")
        num_threads = check_num_threads(num_threads, "TextProposals")
        self.delta, self.min_area, self.max_area = int(delta), float(min_area), float(max_area)
        self.max_variation, self.min_diversity = float(max_variation), float(min_diversity)
        if diversity is not None and not 0 < float(diversity) <= 1:
            raise ValueError(f"diversity must be an IoU in (0, 1] or None, got {diversity!r}")
        if not 0 <= float(rerank_weight) <= 1:
            raise ValueError(f"rerank_weight must be in [0, 1], got {rerank_weight!r}")
        self.rerank_weight = float(rerank_weight)
        self.prune, self.min_prob = prune, float(min_prob)
        self.diversity = None if diversity is None else float(diversity)
        self.diversity_limit = int(diversity_limit)
        self.rerank, self.num_threads, self.keep_features = bool(rerank), int(num_threads), bool(keep_features)
        if ranker is None or isinstance(ranker, Ranker):
            self.ranker = ranker
        else:
            # Registry names ("default", entry names) and paths alike, so a new default is picked up.
            self.ranker = Ranker.load(ranker)

    def __call__(self, image, heatmap=None) -> Proposals:
        """Proposals for ``image``.

        Args:
            image: the one image contract of ``textvision._validate.image_rgb`` (what
                ``textvision.segment`` takes): uint8 / uint16 / float [0, 1], HxW grey, HxWx3 RGB or
                HxWx4 RGBA, NumPy or torch. An image too small to hold a region gives no proposal.
            heatmap: optional float HxW (or HxWx1) text probability in [0, 1], same size as the image
                (e.g. :func:`fcn_heatmap`); enables pruning (``prune``) and re-ranking (``rerank``).

        Returns:
            :class:`Proposals`; empty (K = 0) when nothing survives pruning.

        Raises:
            TypeError: a wrong kind or dtype (int32 image, uint8 heatmap). ValueError: a wrong shape, a
                heatmap of another size, or float image / heatmap values outside [0, 1] / not finite.
        """
        t0, c0 = time.perf_counter(), time.thread_time()
        hm, boxes, feats, cstats = self._raw(image, heatmap)
        c1 = time.thread_time()
        keep, scores = self._order(boxes, feats, hm)
        boxes, scores = boxes[keep], scores[keep]
        t2, c2 = time.perf_counter(), time.thread_time()
        stats = {
            "regions_found": int(cstats["regions_found"]) if cstats["regions_found"] >= 0 else None,
            "regions_kept": int(cstats["regions_kept"]),
            "nodes": int(cstats["nodes"]),
            "proposals": int(len(boxes)),
            # CPU seconds per stage (summed over channel images; robust on a busy machine) ...
            "time": {
                "prepare": cstats["t_prepare"], "mser": cstats["t_mser"], "prune": cstats["t_prune"],
                "cues": cstats["t_cues"], "cluster": cstats["t_cluster"], "rank": c2 - c1,
                "total": (c2 - c0) if self.num_threads == 1 else None,
            },
            # ... and wall seconds of the whole call.
            "wall": t2 - t0,
        }
        return Proposals(boxes, scores, stats, feats[keep] if self.keep_features else None)

    def _raw(self, image, heatmap):
        """Checked map and the compiled pipeline's raw proposals: ``(heatmap or None, boxes float32 [n, 4],
        features float32 [n, 18], core stats)``; duplicates not yet removed."""
        # Both validators return the caller's array when it is already C-contiguous uint8 / float32: no
        # copy per call.
        img = _validate.image_rgb(image, "image", "TextProposals")
        hm = None if heatmap is None else _validate.heatmap(heatmap, img.shape[:2], "heatmap", "TextProposals")
        prune = _PRUNE[self.prune] if hm is not None else 0
        boxes, feats, _, _, cstats = core().proposals_text_proposals(
            img, hm, self._channels, self._factors, self.delta, self.min_area, self.max_area,
            self.max_variation, self.min_diversity, prune, self.min_prob, self.num_threads,
            self._absolute_area, self._box_centres)
        return hm, boxes, feats, cstats

    def _order(self, boxes, feats, hm):
        """Rank raw proposals in this instance's mode: ``(indices int [K] of the unique boxes, best first;
        scores float32 [n] of all raw proposals, diversity demotions applied)``."""
        scores = self.score(feats, boxes, hm)
        keep = core().proposals_dedup(boxes, scores)
        if self.diversity is not None and len(keep):
            order, demoted = core().proposals_diverse_order(boxes[keep], scores[keep], self.diversity,
                                                            self.diversity_limit)
            keep = keep[order]
            scores = scores.copy()
            scores[keep[demoted[order].astype(bool)]] -= 2.0
        return keep, scores

    def score(self, features, boxes, heatmap=None) -> np.ndarray:
        """Scores float32 [n] of raw proposals (features [n, 18], boxes [n, 4]) in this instance's mode."""
        feats = np.asarray(features, dtype=np.float32)
        if feats.ndim != 2 or feats.shape[1] != NUM_FEATURES:
            raise ValueError(f"features must be [n, {NUM_FEATURES}], got shape {feats.shape}")
        if self.ranker is not None:
            base = self.ranker.predict_proba(feats)
        else:
            m = meaningfulness(feats)
            base = m / (1.0 + m)  # monotone map to [0, 1) so it combines with probabilities
        if heatmap is not None and self.rerank and len(boxes):
            w = self.rerank_weight
            base = base * ((1.0 - w) + w * heatmap_evidence(heatmap, boxes, num_threads=self.num_threads))
        return np.ascontiguousarray(base, dtype=np.float32)

    def __repr__(self) -> str:
        return (f"TextProposals(preset={self.preset!r}, channels={self._channels}, scales={[1 / f for f in self._factors]}, "
                f"delta={self.delta}, prune={self.prune!r}, min_prob={self.min_prob}, "
                f"ranker={'meaningfulness' if self.ranker is None else f'{len(self.ranker)} stumps'}, "
                f"rerank={self.rerank}, num_threads={self.num_threads})")
