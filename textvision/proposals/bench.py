"""Baseline vs FCN-pruned TextProposals side by side: the thesis' Table 3.1 / 3.2 in one run.

Used by ``textvision bench proposals``, ``textvision demo`` and ``benchmarks/bench_proposals.py``.
Times are CPU seconds of the (single) working thread, medians over images; detection rates are pooled
over images at IoU 0.5.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from textvision.proposals.pipeline import TextProposals
from textvision.proposals.train import Sample, oracle_heatmap, word_boxes

KS = (10, 100, 1000, None)


# Pruning needs every word's pixels above ``min_prob``, small words included: at ``segment``'s general
# default (longer side 512) a 1280x720 frame shrinks 2.5x and 8 px words fall to ~3 px. Measured on 10
# synthetic 1280x720 scenes with the shipped lite weights, the share of words whose glyph pixels average
# >= 0.1 is 0.83 at 512, 0.93 at 800 and 0.97 at 1280 (native), for ~0.14 s per frame on 2 threads
# (benchmarks/fcn_working_size.py).
PROPOSALS_FCN_MAX_SIDE = 1280


def fcn_heatmap_fn(weights: Optional[str] = None) -> Callable[[np.ndarray], np.ndarray]:
    """A function image -> TextFCN heatmap (``textvision.segment`` at ``PROPOSALS_FCN_MAX_SIDE``), from
    ``weights`` or the shipped default."""
    import torch

    from textvision.segmentation import segment

    model = None
    if weights:
        from textvision.models.fcn import load_text_fcn

        model = load_text_fcn(weights)
    torch.set_num_threads(1)

    def run(image: np.ndarray) -> np.ndarray:
        return segment(image, model, max_side=PROPOSALS_FCN_MAX_SIDE, device="cpu")

    return run


def default_fcn_available() -> bool:
    """True when the shipped TextFCN weights (``textvision/weights/text_fcn_lite.pt``) exist."""
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent / "weights" / "text_fcn_lite.pt").is_file()


def mser_alone_seconds(image: np.ndarray, channels=(0, 1, 2), factors=(1, 2)) -> float:
    """CPU seconds of plain MSER (both polarities, TextProposals parameters, no pixel lists) on the
    channel images the pipeline uses: the floor under any MSER-based proposal method."""
    from textvision.ops import mser

    planes = []
    for f in factors:  # channel images prepared outside the timed part
        img = image if f == 1 else image[: image.shape[0] // f * f, : image.shape[1] // f * f].reshape(
            image.shape[0] // f, f, image.shape[1] // f, f, 3).mean(axis=(1, 3)).round().astype(np.uint8)
        planes += [np.ascontiguousarray(img[:, :, c]) for c in channels]
    t = time.thread_time()
    for p in planes:
        h, w = p.shape
        mser(p, delta=13, min_area=max(1, round(2e-5 * h * w)), max_area=int(0.11 * h * w), max_variation=55.0,
             min_diversity=0.0)
    return time.thread_time() - t


def run_methods(samples: Sequence[Sample], methods: Dict[str, dict], heatmap_source: str = "oracle",
                fcn: Optional[Callable] = None, progress=None, keep: Optional[dict] = None) -> List[dict]:
    """Run each method over ``samples`` and summarise.

    Args:
        samples: annotated images (GT may be empty: detection rates are then NaN).
        methods: name -> dict(kwargs for :class:`TextProposals`, ``use_heatmap`` bool).
        heatmap_source: ``"oracle"`` (GT word boxes filled), ``"fcn"`` (``fcn(image)``) or ``"none"``.
        keep: optional dict that receives ``name -> list of Proposals`` and ``"heatmaps"``.

    Returns:
        one row per method: name, detection rates, regions found/kept, raw nodes, unique proposals,
        median CPU seconds per stage, median wall seconds, heatmap seconds (FCN only).
    """
    from textvision.eval.proposals import detection_rate

    heatmaps, hm_times = [], []
    for s in samples:
        if heatmap_source == "oracle":
            heatmaps.append(oracle_heatmap(s.instances, s.image.shape[:2]))
        elif heatmap_source == "fcn":
            t = time.thread_time()
            heatmaps.append(fcn(s.image))
            hm_times.append(time.thread_time() - t)
        elif heatmap_source == "none":
            heatmaps.append(None)
        else:
            raise ValueError(f"heatmap source must be oracle, fcn or none, got {heatmap_source!r}")
    rows = []
    gts = [word_boxes(s.instances) for s in samples]
    for name, cfg in methods.items():
        cfg = dict(cfg)
        use_hm = cfg.pop("use_heatmap", False)
        if use_hm and heatmap_source == "none":
            continue
        tp = TextProposals(**cfg)
        props, stats, full = [], [], []
        for s, hm in zip(samples, heatmaps):
            p = tp(s.image, hm if use_hm else None)
            props.append(p.boxes)
            full.append(p)
            stats.append(p.stats)
            if progress:
                progress(name, s, p)
        if keep is not None:
            keep[name] = full
            keep["heatmaps"] = heatmaps
        has_gt = sum(len(g) for g in gts) > 0
        dr = detection_rate(props, gts, ks=KS) if has_gt else {k: float("nan") for k in KS}
        med = lambda key: float(np.median([st["time"][key] for st in stats]))  # noqa: E731
        rows.append({
            "method": name,
            "heatmap": heatmap_source if use_hm else "none",
            "dr": {("all" if k is None else str(k)): dr[k] for k in KS},
            "regions_kept": float(np.mean([st["regions_kept"] for st in stats])),
            "nodes": float(np.mean([st["nodes"] for st in stats])),
            "proposals": float(np.mean([st["proposals"] for st in stats])),
            "time": {k: med(k) for k in ("mser", "prune", "cues", "cluster", "rank", "total")},
            "wall": float(np.median([st["wall"] for st in stats])),
            "heatmap_time": float(np.median(hm_times)) if (use_hm and hm_times) else None,
            "images": len(samples),
        })
    return rows


def default_methods(ranker_available: bool = True) -> Dict[str, dict]:
    """Baseline (no map) and pruned (pixels / bbox, re-ranked) configurations, single thread."""
    m = {"baseline": {"ranker": None}}
    if ranker_available:
        m["baseline + ranker"] = {"ranker": "default"}
    m["pruned pixels + rerank"] = {"prune": "pixels", "use_heatmap": True}
    m["pruned bbox + rerank"] = {"prune": "bbox", "use_heatmap": True}
    if ranker_available:
        m["pruned pixels + ranker + rerank"] = {"prune": "pixels", "ranker": "default", "use_heatmap": True}
        m["pruned pixels + ranker, no rerank"] = {"prune": "pixels", "ranker": "default", "rerank": False,
                                                  "use_heatmap": True}
    return m


def format_table(rows: List[dict]) -> str:
    """Markdown table: detection rate at top 10/100/1000/all, counts, CPU seconds per stage."""
    head = ("| method | map | DR@10 | DR@100 | DR@1000 | DR@all | regions | proposals | MSER s | cues s | "
            "cluster s | rank s | total s |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        d = r["dr"]
        t = r["time"]
        f = lambda v: "n/a" if v != v else f"{v:.2f}"  # noqa: E731
        lines.append(
            f"| {r['method']} | {r['heatmap']} | {f(d['10'])} | {f(d['100'])} | {f(d['1000'])} | {f(d['all'])} | "
            f"{r['regions_kept']:.0f} | {r['proposals']:.0f} | {t['mser']:.3f} | {t['cues']:.3f} | "
            f"{t['cluster']:.3f} | {t['rank']:.3f} | {t['total']:.3f} |")
    return "\n".join(lines)
