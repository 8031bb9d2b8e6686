"""Training a :class:`~textvision.proposals.Ranker` and the sample sources the proposal commands share.

A ranker learns which merge nodes are words: each raw proposal of a training image is a positive when
its box overlaps a ground-truth word box with IoU >= 0.5. Any dataset with word boxes works; the
default is the project's synthetic scenes (:func:`textvision.data.synth.render_scene`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from textvision.proposals.pipeline import TextProposals
from textvision.proposals.ranker import Ranker


class Sample(NamedTuple):
    """One annotated image: ``image`` uint8 HxWx3 RGB, ``instances`` list of TextInstance, ``name``."""

    image: np.ndarray
    instances: list
    name: str


def paired_samples(image_dir, gt_dir, n: Optional[int] = None) -> List[Sample]:
    """Images of ``image_dir`` (sorted) with their ICDAR 2015 gt ``gt_dir/gt_<stem>.txt``; images without
    one are skipped with a logged warning.

    Raises:
        FileNotFoundError: a folder is missing, or no image has a gt file (both folders named).
    """
    import logging

    from textvision import io
    from textvision.data import read_icdar2015

    image_dir, gt_dir = Path(image_dir), Path(gt_dir)
    if not gt_dir.is_dir():
        raise FileNotFoundError(f"gt folder not found: {gt_dir}")
    images = io.list_images(image_dir)
    pairs = [(p, gt_dir / f"gt_{p.stem}.txt") for p in images]
    found = [(p, g) for p, g in pairs if g.is_file()]
    if not found:
        raise FileNotFoundError(f"no image of {image_dir} has a gt_<name>.txt file in {gt_dir}")
    if len(found) < len(pairs):
        logging.getLogger("textvision.proposals").warning(
            "%d image(s) of %s without a gt_<name>.txt in %s skipped", len(pairs) - len(found), image_dir, gt_dir)
    found = found[: None if n is None else int(n)]
    return [Sample(io.read_rgb(p), list(read_icdar2015(g)), p.stem) for p, g in found]


def iter_samples(data: str, *, n: Optional[int] = None, size: Tuple[int, int] = (720, 1280), seed: int = 0,
                 split: str = "train", gt: Optional[str] = None) -> Iterator[Sample]:
    """Annotated images from ``data``: ``"synth"`` (``n`` synthetic scenes of ``size`` = (H, W), seeds
    ``(seed, i)``), or a folder: with ``gt``, its images paired with ``gt/gt_<stem>.txt``; otherwise
    an ICDAR-style folder read by :class:`textvision.data.IcdarDataset`, or, failing that, images with
    a ``gt/`` subfolder beside them (the OpenCV samples' layout). First ``n`` images."""
    if data == "synth":
        from textvision.data.synth import render_scene

        for i in range(10 if n is None else int(n)):
            sc = render_scene((seed, i), size=size)
            yield Sample(sc.image, list(sc.instances), f"synth_{seed}_{i}")
        return
    root = Path(data)
    if not root.is_dir():
        raise FileNotFoundError(f"--data must be 'synth' or a dataset folder; not found: {root}")
    if gt is not None:
        yield from paired_samples(root, gt, n)
        return
    from textvision.data import IcdarDataset

    try:
        ds = IcdarDataset(root, split=split)
    except FileNotFoundError:
        if not (root / "gt").is_dir():
            raise
        yield from paired_samples(root, root / "gt", n)
        return
    for i in range(len(ds) if n is None else min(int(n), len(ds))):
        item = ds[i]
        yield Sample(item["image"], list(item["instances"]), str(item.get("id", i)))


def word_boxes(instances) -> np.ndarray:
    """Axis-aligned boxes float32 [G, 4] of the care (not ``ignore``) instances."""
    quads = [np.asarray(t.quad, np.float32) for t in instances if not t.ignore]
    if not quads:
        return np.zeros((0, 4), np.float32)
    q = np.stack(quads)
    return np.concatenate([q.min(1), q.max(1)], axis=1).astype(np.float32)


def oracle_heatmap(instances, shape_hw) -> np.ndarray:
    """A perfect text map: the care word quads filled with 1.0 (float32 HxW), what FAST calls an oracle."""
    from textvision.data import instances_to_masks

    care = [t for t in instances if not t.ignore]
    return instances_to_masks(care, tuple(shape_hw))[0].astype(np.float32)


def max_iou(boxes: np.ndarray, gt: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """For each box [n, 4], its best IoU with any of ``gt`` [G, 4] (0 when G = 0): float32 [n]."""
    out = np.zeros(len(boxes), np.float32)
    if len(gt) == 0:
        return out
    g = gt.astype(np.float64)
    ga = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    for s in range(0, len(boxes), chunk):
        b = boxes[s:s + chunk].astype(np.float64)
        iw = np.clip(np.minimum(b[:, None, 2], g[None, :, 2]) - np.maximum(b[:, None, 0], g[None, :, 0]), 0, None)
        ih = np.clip(np.minimum(b[:, None, 3], g[None, :, 3]) - np.maximum(b[:, None, 1], g[None, :, 1]), 0, None)
        inter = iw * ih
        ba = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        out[s:s + chunk] = (inter / (ba[:, None] + ga[None, :] - inter)).max(1)
    return out


def collect_training_data(samples, proposer: Optional[TextProposals] = None, *, iou: float = 0.5,
                          max_negatives_per_image: int = 4000, seed: int = 0,
                          progress=None) -> Tuple[np.ndarray, np.ndarray]:
    """Group features and labels of the raw (de-duplicated) proposals of ``samples``.

    Negatives are subsampled to ``max_negatives_per_image`` per image (all positives kept).

    Returns:
        ``(features float32 [n, 18], labels bool [n])``.
    """
    tp = proposer or TextProposals(keep_features=True, diversity=None)
    if not tp.keep_features:
        raise ValueError("the proposer must be built with keep_features=True")
    rng = np.random.default_rng(seed)
    feats: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    for s in samples:
        p = tp(s.image)
        y = max_iou(p.boxes, word_boxes(s.instances)) >= iou
        neg = np.flatnonzero(~y)
        if len(neg) > max_negatives_per_image:
            neg = rng.choice(neg, max_negatives_per_image, replace=False)
        idx = np.concatenate([np.flatnonzero(y), neg])
        feats.append(p.features[idx])
        labels.append(y[idx])
        if progress is not None:
            progress(s, int(y.sum()), len(p))
    if not feats:
        raise ValueError("no training samples")
    return np.concatenate(feats), np.concatenate(labels)


def train_ranker(samples, *, num_stumps: int = 100, iou: float = 0.5, proposer: Optional[TextProposals] = None,
                 progress=None) -> Ranker:
    """Collect features on ``samples`` (iterable of :class:`Sample`) and fit boosted stumps."""
    x, y = collect_training_data(samples, proposer, iou=iou, progress=progress)
    r = Ranker.fit(x, y, num_stumps=num_stumps)
    r.meta.update({"iou": iou})
    return r


def evaluate(proposals_per_image: Sequence[np.ndarray], gts: Sequence[np.ndarray],
             ks=(10, 100, 1000, None)) -> dict:
    """Detection rate at IoU 0.5 pooled over images (see :func:`textvision.eval.detection_rate`)."""
    from textvision.eval.proposals import detection_rate

    return detection_rate(list(proposals_per_image), list(gts), ks=ks, iou=0.5)
