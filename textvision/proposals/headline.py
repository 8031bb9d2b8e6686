"""``textvision.propose``: the headline call, TextFCN-guided word proposals of one image in one line."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional, Union

from textvision import _validate
from textvision._threads import check_num_threads
from textvision.proposals.pipeline import DEFAULT_MIN_PROB, PROPOSALS_FCN_MAX_SIDE, Proposals, TextProposals
from textvision.proposals.ranker import Ranker

__all__ = ["propose"]

# One TextProposals per configuration named by strings: building one reads and parses the ranker file.
_CACHE: dict = {}


def _proposer(preset, min_prob, ranker, num_threads) -> TextProposals:
    def build():
        return TextProposals(preset=preset, prune="pixels", min_prob=min_prob, ranker=ranker, rerank=True,
                             num_threads=num_threads)

    if not (ranker is None or isinstance(ranker, str)):
        return build()
    key = (preset, float(min_prob), ranker, num_threads)
    if key not in _CACHE:
        _CACHE[key] = build()
    return _CACHE[key]


def propose(image, heatmap=None, *, model="default",
            ranker: Union[None, str, Path, Ranker] = "default", preset: str = "original", min_prob: float = DEFAULT_MIN_PROB,
            max_side: Optional[int] = PROPOSALS_FCN_MAX_SIDE, top: Optional[int] = None, device=None,
            num_threads: int = 1) -> Proposals:
    """Ranked word proposals of one image, guided by TextFCN: the recipe that keeps small words.

    TextFCN's text map at the working size that keeps 8 px words (longer side
    ``PROPOSALS_FCN_MAX_SIDE`` = 1280, see :func:`textvision.proposals.fcn_heatmap`) -> TextProposals
    (``preset``) with MSER regions pruned by their mean text probability over their pixels
    (``min_prob``) -> ranking (``ranker``) re-ranked by the map's evidence around each box -> diversity
    order. ``TextProposals()`` (no map) stays available as the control.

    Args:
        image: the one image contract of ``textvision._validate.image_rgb`` (what ``textvision.segment``
            takes): uint8 / uint16 / float [0, 1], HxW grey, HxWx3 RGB or HxWx4 RGBA, NumPy or torch.
        heatmap: optional float32 HxW (or HxWx1) text probability in [0, 1] of the image's size; given,
            TextFCN is not run (``model``/``max_side``/``device`` unused).
        model: the segmenter, as :func:`textvision.segment` takes it: a ``TextFCN``, or a ``text_fcn``
            registry name (``"default"``: the registry default) or checkpoint path, loaded once per process
            and file version.
        ranker: ``"default"`` (the ``ranker`` registry default), another registry name or a
            ``.json``/``.xml`` path, a :class:`~textvision.proposals.Ranker`, or None (NFA
            meaningfulness).
        preset: ``"original"`` or ``"textvision"``, see :class:`~textvision.proposals.TextProposals`.
        min_prob: pruning threshold on a region's mean text probability, in [0, 1].
        max_side: the longer side TextFCN sees (None = native size).
        top: keep the ``top`` best proposals (None = all).
        device: TextFCN's device as for :func:`textvision.segment` (None = CUDA for the default model
            when available, else the CPU).
        num_threads: CPU cores the call may use, TextFCN on the CPU and the compiled core alike (the
            rule of ``textvision._threads``: torch's thread count is set for the map and restored after).

    Returns:
        :class:`~textvision.proposals.Proposals`, best first. ``stats`` holds TextProposals' own plus
        ``heatmap`` (the float32 HxW map used), ``time["heatmap"]`` (CPU seconds of the process while
        the map was computed: all torch threads; 0 for a given map), ``time["all"]`` (map + proposals, CPU
        seconds; None when the compiled core ran on several threads), ``wall_heatmap`` and ``wall_all``
        (seconds).

    Raises:
        TypeError: a wrong kind or dtype (int32 image, uint8 heatmap). ValueError: a wrong shape or size,
            float image or heatmap values outside [0, 1], unknown preset/ranker name, num_threads < 1.
    """
    img = _validate.image_rgb(image, "image", "propose")
    n = check_num_threads(num_threads, "propose")
    if not 0.0 <= float(min_prob) <= 1.0:
        raise ValueError(f"propose: min_prob must be in [0, 1], got {min_prob!r}")
    if top is not None and int(top) < 1:
        raise ValueError(f"propose: top must be >= 1 or None, got {top!r}")
    tp = _proposer(preset, min_prob, ranker, n)
    c0, t0 = time.process_time(), time.perf_counter()
    if heatmap is None:
        from textvision.text_fcn import segment

        # segment applies the thread rule itself (on the CPU: n torch threads, restored afterwards).
        hm = segment(img, model, max_side=max_side, device=device, num_threads=n)
        t_map, w_map = time.process_time() - c0, time.perf_counter() - t0
    else:
        hm = _validate.heatmap(heatmap, img.shape[:2], "heatmap", "propose")
        t_map, w_map = 0.0, 0.0
    p = tp(img, hm)
    total = p.stats["time"]["total"]
    stats = {**p.stats, "heatmap": hm,
             "time": {**p.stats["time"], "heatmap": t_map, "all": None if total is None else t_map + total},
             "wall_heatmap": w_map, "wall_all": w_map + p.stats["wall"]}
    return Proposals(p.boxes, p.scores, stats, p.features).top(top)
