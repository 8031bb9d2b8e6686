"""Baseline vs FCN-pruned TextProposals side by side: the thesis' Table 3.1 / 3.2 in one run; rankers side
by side on the same proposals (:func:`run_rankers`).

Library code behind ``textvision bench proposals`` and ``textvision demo`` (the timing-only helpers of
``benchmarks/bench_proposals.py`` live in ``benchmarks/_proposals_bench.py``). Times are CPU seconds of
the calling thread, medians over images; detection rates are pooled over images at IoU 0.5. Nothing
here changes process-wide settings (torch's thread count included): the caller decides them.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from textvision.proposals.pipeline import DEFAULT_MIN_PROB, TextProposals
from textvision.proposals.train import AnnotatedImage, oracle_heatmap, word_boxes

__all__ = ["KS", "run_methods", "run_headline", "run_rankers", "default_methods", "format_table", "format_headline",
           "format_rankers", "default_fcn_available"]

logger = logging.getLogger("textvision.proposals.compare")

#: Ranks at which detection rates are reported (None = all proposals).
KS = (10, 100, 1000, None)


def _dr_fields(props, gts) -> dict:
    """``dr`` ({"10", "100", "1000", "all"}: detection rate; NaN without ground truth), ``words`` hit at all
    proposals and ``gt_words``: the columns every table of this module shares."""
    from textvision.eval.proposals import detection_rate

    n_gt = int(sum(len(g) for g in gts))
    dr = detection_rate(props, gts, ks=KS)
    return {"dr": {("all" if k is None else str(k)): dr.at(k) for k in KS},
            "words": int(round(dr.at(None) * n_gt)) if n_gt else 0, "gt_words": n_gt}


def default_fcn_available() -> bool:
    """True when the registry's default TextFCN weights (``text_fcn`` ``"default"``) are installed."""
    from textvision.weights import entry_path, get_entry

    path = entry_path(get_entry("default", "text_fcn"))
    return path is not None and path.is_file()


def run_methods(samples: Sequence[AnnotatedImage], methods: Dict[str, dict], heatmap_source: str = "oracle",
                fcn: Optional[Callable] = None, progress=None, keep: Optional[dict] = None) -> List[dict]:
    """Run each method over ``samples`` and summarise.

    Args:
        samples: annotated images (GT may be empty: detection rates are then NaN).
        methods: name -> dict(kwargs for :class:`TextProposals`, ``use_heatmap`` bool).
        heatmap_source: ``"oracle"`` (GT word boxes filled), ``"fcn"`` (``fcn(image)``) or ``"none"``.
        fcn: with ``"fcn"``, image (uint8 HxWx3) -> float32 HxW map in [0, 1], e.g.
            :func:`textvision.proposals.fcn_heatmap`.
        progress: optional ``progress(method_name, sample, proposals)``, called after each image.
        keep: optional dict that receives ``name -> list of Proposals`` and ``"heatmaps"``.

    Returns:
        one row per method: name, detection rates, regions found/kept, raw nodes, unique proposals,
        median CPU seconds per stage, median wall seconds, heatmap seconds (FCN only; CPU seconds of
        the calling thread, i.e. all of the work only when the caller runs torch on one thread).
    """
    if heatmap_source == "fcn" and fcn is None:
        raise ValueError("heatmap source 'fcn' needs fcn=, a function image -> heatmap (e.g. fcn_heatmap)")

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
        med = lambda key: float(np.median([st["time"][key] for st in stats]))  # noqa: E731
        rows.append({
            "method": name,
            "heatmap": heatmap_source if use_hm else "none",
            "dr": _dr_fields(props, gts)["dr"],
            "regions_kept": float(np.mean([st["regions_kept"] for st in stats])),
            "nodes": float(np.mean([st["nodes"] for st in stats])),
            "proposals": float(np.mean([st["proposals"] for st in stats])),
            "time": {k: med(k) for k in ("mser", "prune", "cues", "cluster", "rank", "total")},
            "wall": float(np.median([st["wall"] for st in stats])),
            "heatmap_time": float(np.median(hm_times)) if (use_hm and hm_times) else None,
            "images": len(samples),
        })
        logger.debug("%s: %d images, median %.3f CPU s per image", name, len(samples), rows[-1]["time"]["total"])
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


def run_headline(samples: Sequence[AnnotatedImage], ranker_xml=None, fcn_model="default", progress=None,
                 keep: Optional[dict] = None, threads: int = 1) -> List[dict]:
    """Baseline ``TextProposals()`` vs :func:`textvision.propose` (vs the original's XML ranker), one thread;
    with ``threads`` > 1 also ``propose`` on that many threads (the scaling row).

    Args:
        samples: annotated images.
        ranker_xml: optional path of the original's ``trained_boost_groups.xml`` (or any ranker file):
            adds ``TextProposals(ranker=PATH)``, no map, the original's own ranking.
        fcn_model: ``propose``'s ``model``: a TextFCN, or a ``text_fcn`` registry name or path (default
            ``"default"``).
        progress: optional ``progress(method_name, sample, proposals)`` after each image.
        keep: optional dict that receives ``"heatmaps"``, the TextFCN maps ``propose`` used (float32
            HxW per sample), e.g. for :func:`run_rankers`.
        threads: with more than 1, a last row ``textvision.propose, N threads``: the same call with
            ``num_threads=N``, for its wall time (its ``cpu`` is None: CPU time of several threads is
            not the caller's) and ``same_proposals`` (True when every image's ranked boxes equal the
            one-thread call's, as they must).

    Returns:
        one row per method: ``method``, ``dr`` (top 10/100/1000/all at IoU 0.5, pooled), ``words``
        (hit at all proposals, of ``gt_words``), ``proposals`` (mean), ``cpu`` (median CPU seconds per
        image, the map included for ``propose``; TextFCN runs on the CPU at one torch thread),
        ``cpu_map`` (its map part), ``wall`` (median wall seconds per image).
    """
    from textvision.proposals.headline import propose

    gts = [word_boxes(s.instances) for s in samples]
    methods = {"baseline TextProposals()": lambda im: TextProposals()(im)}
    if ranker_xml is not None:
        tp_xml = TextProposals(ranker=ranker_xml)
        methods[f"TextProposals(ranker={Path(ranker_xml).name})"] = tp_xml
    methods["textvision.propose"] = lambda im: propose(im, model=fcn_model, device="cpu", num_threads=1)
    if int(threads) < 1:
        raise ValueError(f"threads must be >= 1, got {threads!r}")
    scaled = f"textvision.propose, {int(threads)} threads"
    if threads > 1:
        methods[scaled] = lambda im: propose(im, model=fcn_model, device="cpu", num_threads=int(threads))
    rows, boxes_of_method = [], {}
    for name, fn in methods.items():
        props, cpu, cpu_map, wall, n = [], [], [], [], []
        for s in samples:
            t0 = time.perf_counter()
            p = fn(s.image)
            wall.append(time.perf_counter() - t0)
            props.append(p.boxes)
            n.append(len(p))
            t = p.stats["time"]
            cpu.append(t.get("all", t["total"]))
            cpu_map.append(t.get("heatmap", 0.0))
            if keep is not None and "heatmap" in p.stats and name == "textvision.propose":
                keep.setdefault("heatmaps", []).append(p.stats["heatmap"])
            if progress:
                progress(name, s, p)
        boxes_of_method[name] = props
        row = {"method": name, **_dr_fields(props, gts), "proposals": float(np.mean(n)),
               "cpu": None if None in cpu else float(np.median(cpu)), "cpu_map": float(np.median(cpu_map)),
               "wall": float(np.median(wall)), "images": len(samples)}
        if name == scaled:
            row["same_proposals"] = all(np.array_equal(a, b) for a, b in
                                        zip(props, boxes_of_method["textvision.propose"]))
        rows.append(row)
    return rows


def format_headline(rows: List[dict]) -> str:
    """Markdown table of :func:`run_headline` rows."""
    lines = ["| method | DR@10 | DR@100 | DR@1000 | DR@all | words | proposals | CPU s (map) | wall s |",
             "|" + "---|" * 9]
    one = next((r["wall"] for r in rows if r["method"] == "textvision.propose"), None)
    for r in rows:
        d = r["dr"]
        cpu = "-" if r["cpu"] is None else f"{r['cpu']:.3f} ({r['cpu_map']:.3f})"
        wall = f"{r['wall']:.3f}"
        if "same_proposals" in r and one:
            wall += f" ({one / r['wall']:.2f}x; same proposals: {'yes' if r['same_proposals'] else 'NO'})"
        lines.append(f"| {r['method']} | {d['10']:.2f} | {d['100']:.2f} | {d['1000']:.2f} | {d['all']:.2f} | "
                     f"{r['words']}/{r['gt_words']} | {r['proposals']:.0f} | {cpu} | {wall} |")
    return "\n".join(lines)


#: Map settings of :func:`run_rankers`: the plain ``TextProposals()`` and ``textvision.propose``'s pipeline.
RANKER_SETTINGS = {"none": {}, "TextFCN": {"prune": "pixels", "min_prob": DEFAULT_MIN_PROB, "rerank": True}}


def run_rankers(samples: Sequence[AnnotatedImage], rankers: Dict[str, object], heatmaps: Optional[Sequence] = None,
                progress=None) -> List[dict]:
    """Rankers side by side on the same proposals: the raw proposals of each image are computed once per
    map setting, then ranked (scores, duplicates removed, diversity order) by every ranker.

    Args:
        samples: annotated images.
        rankers: row label -> ranker as :class:`TextProposals` takes it (None = NFA meaningfulness, a
            :class:`Ranker`, a registry name or a ``.json`` / ``.xml`` path).
        heatmaps: optional TextFCN map per sample (float32 HxW in [0, 1], e.g. ``run_headline``'s
            ``keep["heatmaps"]``); given, every ranker is also run in ``textvision.propose``'s pipeline
            (regions pruned by the map at DEFAULT_MIN_PROB, re-ranked by it). Without, only ``TextProposals()``.
        progress: optional ``progress(setting, sample)`` after each image's raw proposals.

    Returns:
        one row per (map setting, ranker): ``ranker``, ``map`` (``"none"`` or ``"TextFCN"``), ``dr`` (top
        10/100/1000/all at IoU 0.5, pooled), ``words`` (hit at all proposals) of ``gt_words``,
        ``proposals`` (mean per image; equal for every ranker of a setting), ``images``.
    """
    if heatmaps is not None and len(heatmaps) != len(samples):
        raise ValueError(f"run_rankers: {len(heatmaps)} heatmaps for {len(samples)} samples")
    gts = [word_boxes(s.instances) for s in samples]
    rows = []
    for setting, cfg in RANKER_SETTINGS.items():
        if setting != "none" and heatmaps is None:
            continue
        tps = {label: TextProposals(ranker=r, **cfg) for label, r in rankers.items()}
        props: Dict[str, list] = {label: [] for label in rankers}
        counts = []
        for i, s in enumerate(samples):
            first = next(iter(tps.values()))
            hm, boxes, feats, _ = first._raw(s.image, None if setting == "none" else heatmaps[i])
            for label, tp in tps.items():
                keep, _ = tp._order(boxes, feats, hm)
                props[label].append(boxes[keep])
            counts.append(len(keep))
            if progress:
                progress(setting, s)
        for label in rankers:
            rows.append({"ranker": label, "map": setting, **_dr_fields(props[label], gts),
                         "proposals": float(np.mean(counts)) if counts else 0.0, "images": len(samples)})
    return rows


def format_rankers(rows: List[dict]) -> str:
    """Markdown table of :func:`run_rankers` rows."""
    lines = ["| ranker | map | DR@10 | DR@100 | DR@1000 | DR@all | words | proposals |", "|" + "---|" * 8]
    for r in rows:
        d = r["dr"]
        lines.append(f"| {r['ranker']} | {r['map']} | {d['10']:.2f} | {d['100']:.2f} | {d['1000']:.2f} | "
                     f"{d['all']:.2f} | {r['words']}/{r['gt_words']} | {r['proposals']:.0f} |")
    return "\n".join(lines)
