"""Training a :class:`~textvision.proposals.Ranker` and the sample sources the proposal commands share.

A ranker learns which merge nodes are words: each raw proposal of a training image is a positive when
its box overlaps a ground-truth word box with IoU >= 0.5. Any dataset with word boxes works, named by
the ``--data`` spec ``train-text-fcn`` reads (:func:`iter_samples`): synthetic scenes
(:func:`textvision.data.synth.render_scene`), synthetic words over real photographs, photographs
labelled by the CRAFT teacher, ICDAR / COCO-Text folders, or a mix.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from textvision.eval.scores import RecallAtK
from textvision.proposals.pipeline import TextProposals
from textvision.proposals.ranker import Ranker
from textvision.training import TrainResult


class AnnotatedImage(NamedTuple):
    """One annotated image: ``image`` uint8 HxWx3 RGB, ``instances`` list of TextInstance, ``name``, and
    ``repeat``, how many times it counts when training (K of a ``SPEC*K`` data part)."""

    image: np.ndarray
    instances: list
    name: str
    repeat: int = 1


#: The ``--data`` kinds the proposal commands read, besides a bare dataset folder.
DATA_KINDS = ("synth", "photos", "teacher", "icdar2015", "icdar2013", "cocotext")

logger = logging.getLogger("textvision.proposals")


def paired_samples(image_dir, gt_dir, n: Optional[int] = None) -> List[AnnotatedImage]:
    """Images of ``image_dir`` (sorted) with their ICDAR 2015 gt ``gt_dir/gt_<stem>.txt``; images without
    one are skipped with a logged warning.

    Raises:
        FileNotFoundError: a folder is missing, or no image has a gt file (both folders named).
    """
    from textvision import io
    from textvision.data import read_icdar2015
    from textvision.data.icdar import gt_pairs

    image_dir, gt_dir = Path(image_dir), Path(gt_dir)
    if not gt_dir.is_dir():
        raise FileNotFoundError(f"gt folder not found: {gt_dir}")
    found = gt_pairs(image_dir, gt_dir)
    if not found:
        raise FileNotFoundError(f"no image of {image_dir} has a gt_<name>.txt file in {gt_dir}")
    n_images = len(io.list_images(image_dir))
    if len(found) < n_images:
        logger.warning("%d image(s) of %s without a gt_<name>.txt in %s skipped", n_images - len(found), image_dir,
                       gt_dir)
    found = found[: None if n is None else int(n)]
    return [AnnotatedImage(io.read_rgb(p), list(read_icdar2015(g)), p.stem) for p, g in found]


def iter_samples(data: str, *, n: Optional[int] = None, size: Tuple[int, int] = (720, 1280), seed: int = 0,
                 split: str = "train", gt: Optional[str] = None, fonts: Sequence[str] = (),
                 val_fraction: float = 0.1, synth_n: Optional[int] = None,
                 holdout: Optional[str] = None) -> Iterator[AnnotatedImage]:
    """Annotated images from a ``--data`` spec (the one of ``train-text-fcn``), read one at a time.

    Parts, joined by ``+`` and read in order (part ``k`` renders from ``seed + k``); ``SPEC*K`` gives
    that part's samples ``repeat = K``:

    - ``synth``: ``synth_n`` (default ``n``, else 10) synthetic scenes of ``size`` = (H, W), seeds
      ``(seed + k, i)``;
    - ``photos:DIR[;DIR...]``: the same with the words over random crops of the photographs under the
      folders (:class:`textvision.data.photos.PhotoBackgrounds`);
    - ``teacher:LABEL_DIR``: photographs labelled by CRAFT (``textvision teacher-label``), on the
      label's pixel grid, the label's word quads as the words (a photo without any is negatives
      only). ``split="train"`` reads the labels :func:`textvision.data.teacher.teacher_split` trains
      on, any other split the held-out ``val_fraction`` (the split ``train-text-fcn`` uses);
    - ``icdar2015:DIR``: ``split="train"`` the images outside ``holdout`` (default ``img_901-img_1000``),
      ``split="val"`` exactly those (the project's fixed validation split), another split the official
      layout's; ``icdar2013:DIR`` (:class:`textvision.data.IcdarDataset`, ``split``),
      ``cocotext:JSON,IMAGES`` (:class:`textvision.data.CocoTextDataset`, ``split``);
    - a folder: with ``gt``, its images paired with ``gt/gt_<stem>.txt``; otherwise an ICDAR 2015
      folder, or, failing that, images with a ``gt/`` subfolder beside them (the OpenCV samples' layout).

    Real parts give their first ``n`` images (all when ``n`` is None). ``fonts``: TrueType / OpenType
    files the rendered parts draw from besides the built-in faces.

    Raises (when called, before any image is read):
        ValueError: a malformed spec or an unknown kind; ``gt`` without a folder part.
        FileNotFoundError: a missing folder, file or label set.
    """
    from textvision.data.spec import parse_data_spec

    parts = parse_data_spec(data, DATA_KINDS, folders=True)
    if gt is not None and not any(p.kind == "folder" for p in parts):
        raise ValueError(f"gt folder {gt} given, but --data {data!r} has no dataset folder to pair it with")
    if synth_n is None:
        synth_n = 10 if n is None else n
    readers = [_part_reader(p, n=n, synth_n=synth_n, size=size, seed=seed + k, split=split, gt=gt, fonts=fonts,
                            val_fraction=val_fraction, holdout=holdout) for k, p in enumerate(parts)]

    def stream():
        for part, read in zip(parts, readers):
            for s in read():
                yield s._replace(repeat=part.repeat)

    return stream()


def _part_reader(part, *, n, synth_n, size, seed, split, gt, fonts, val_fraction, holdout=None):
    """Checks one part of a spec now and returns a function yielding its samples."""
    kind, arg = part.kind, part.arg
    if kind in ("synth", "photos"):
        if kind == "synth" and arg:
            raise ValueError(f"--data {part.text!r}: synth takes no argument")
        kwargs = {"fonts": tuple(fonts)} if fonts else {}
        if kind == "photos":
            from textvision.data.photos import PhotoBackgrounds

            dirs = [d for d in arg.split(";") if d]
            if not dirs:
                raise ValueError(f"--data {part.text!r}: expected photos:DIR[;DIR...]")
            missing = [d for d in dirs if not Path(d).is_dir()]
            if missing:
                raise FileNotFoundError(f"--data {part.text!r}: photo folder not found: {', '.join(missing)}")
            kwargs["backgrounds"] = PhotoBackgrounds.from_dirs(dirs)

        def rendered():
            from textvision.data.synth import render_scene

            for i in range(int(synth_n)):
                try:
                    sc = render_scene((seed, i), size=size, **kwargs)
                except ValueError:
                    # A rare layout the renderer cannot place: a derived seed, as train-text-fcn's scenes do.
                    sc = render_scene((seed, i, 1), size=size, **kwargs)
                yield AnnotatedImage(sc.image, list(sc.instances), f"{kind}_{seed}_{i}")

        return rendered
    if kind == "teacher":
        return _teacher_reader(part, n=n, split=split, val_fraction=val_fraction)
    if kind == "folder":
        return _folder_reader(arg, n=n, split=split, gt=gt)
    if kind == "cocotext":
        json_path, _, images_dir = arg.partition(",")
        if not json_path or not images_dir:
            raise ValueError(f"--data {part.text!r}: expected cocotext:JSON,IMAGES_DIR")
        from textvision.data import CocoTextDataset

        ds = CocoTextDataset(json_path, images_dir, split=split)
    else:  # icdar2015 / icdar2013
        if not arg or not Path(arg).is_dir():
            raise FileNotFoundError(f"--data {part.text!r}: {arg!r} is not a directory")
        from textvision.data import IcdarDataset

        if kind == "icdar2015" and split in ("train", "val"):
            # The project's fixed split by name: "train" is every image outside the held-out set
            # (img_901-img_1000 by default), "val" exactly those, as train-east and train-text-fcn hold out.
            from textvision.data.datasets import ICDAR2015_HOLDOUT, holdout_split

            tr, va = holdout_split(IcdarDataset(arg, year=2015, split="train"), holdout or ICDAR2015_HOLDOUT)
            ds = tr if split == "train" else va
        else:
            ds = IcdarDataset(arg, year=int(kind[5:]), split=split)
    return lambda: _dataset_samples(ds, n)



def _dataset_samples(ds, n) -> Iterator[AnnotatedImage]:
    for i in range(len(ds) if n is None else min(int(n), len(ds))):
        item = ds[i]
        yield AnnotatedImage(item["image"], list(item["instances"]), str(item.get("id", i)))


def _folder_reader(folder: str, *, n, split, gt):
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"--data must name a dataset folder or be a spec such as 'synth' or "
                                f"'photos:DIR'; not found: {root}")
    if gt is not None:
        return lambda: iter(paired_samples(root, gt, n))
    from textvision.data import IcdarDataset

    try:
        ds = IcdarDataset(root, split=split)
    except FileNotFoundError:
        if not (root / "gt").is_dir():
            raise
        return lambda: iter(paired_samples(root, root / "gt", n))
    return lambda: _dataset_samples(ds, n)


def _teacher_reader(part, *, n, split, val_fraction):
    from textvision.data.instances import TextInstance
    from textvision.data.teacher import iter_labelled_photos, list_labels, teacher_split

    label_dir = part.arg
    if not label_dir:
        raise ValueError(f"--data {part.text!r}: expected teacher:LABEL_DIR")
    names = list_labels(label_dir)
    if not names:
        raise FileNotFoundError(f"--data {part.text!r}: no teacher labels (*.npz from textvision teacher-label) "
                                f"in {label_dir}")
    if val_fraction == 0:  # every label trains; nothing is held out
        train, held_out = list(range(len(names))), []
        if split != "train":
            raise ValueError(f"--data {part.text!r}: split {split!r} asks for held-out labels, but val_fraction is 0")
    else:
        train, held_out = teacher_split(names, val_fraction)
    chosen = [names[i] for i in (train if split == "train" else held_out)][: None if n is None else int(n)]

    def labelled():
        for name, label, image in iter_labelled_photos(label_dir, chosen):
            yield AnnotatedImage(image, [TextInstance(q) for q in label.quads], Path(name).stem)

    return labelled


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
    return instances_to_masks(care, tuple(shape_hw)).text.astype(np.float32)


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


#: How the positives of one training image count (``collect_training_data(balance=...)``).
BALANCES = ("proposal", "image")


def collect_training_data(samples, proposer: Optional[TextProposals] = None, *, iou: float = 0.5,
                          max_negatives_per_image: int = 4000, seed: int = 0, balance: str = "proposal",
                          progress=None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group features, labels and weights of the raw (de-duplicated) proposals of ``samples``.

    Negatives are subsampled to ``max_negatives_per_image`` per image (all positives kept).

    Args:
        samples: iterable of :class:`AnnotatedImage`; a sample's ``repeat`` multiplies its weights.
        proposer: a ``TextProposals(keep_features=True)`` (default: no map, no diversity order).
        iou: a proposal is a positive when it overlaps a word box with at least this IoU.
        balance: ``"proposal"``: every positive row weighs 1, so a page of text with thousands of
            matching proposals outweighs a photograph with three words; ``"image"``: each image's
            positives weigh 1 in all, however many they are. Negative rows weigh 1 either way.
        progress: optional ``progress(sample, positives, proposals)`` after each image.

    Returns:
        ``(features float32 [n, 18], labels bool [n], weights float64 [n] > 0)``.
    """
    if balance not in BALANCES:
        raise ValueError(f"balance must be one of {BALANCES}, got {balance!r}")
    tp = proposer or TextProposals(keep_features=True, diversity=None)
    if not tp.keep_features:
        raise ValueError("the proposer must be built with keep_features=True")
    rng = np.random.default_rng(seed)
    feats: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    weights: List[np.ndarray] = []
    for s in samples:
        p = tp(s.image)
        y = max_iou(p.boxes, word_boxes(s.instances)) >= iou
        idx, w = image_rows(y, rng, max_negatives=max_negatives_per_image, balance=balance)
        # A repeated part (SPEC*K) counts K times, the same as K copies of its rows.
        w *= max(1, int(getattr(s, "repeat", 1)))
        feats.append(p.features[idx])
        labels.append(y[idx])
        weights.append(w)
        if progress is not None:
            progress(s, int(y.sum()), len(p))
    if not feats:
        raise ValueError("no training samples")
    return np.concatenate(feats), np.concatenate(labels), np.concatenate(weights)


def train_ranker(samples, *, num_stumps: int = 100, iou: float = 0.5, proposer: Optional[TextProposals] = None,
                 balance: str = "proposal", progress=None) -> TrainResult:
    """Collect features on ``samples`` (iterable of :class:`AnnotatedImage`, see :func:`collect_training_data`)
    and fit boosted stumps, positives and negatives weighing half each.

    Returns:
        :class:`~textvision.training.TrainResult`: ``model`` the :class:`Ranker` (not saved:
        ``checkpoint`` None), ``history`` one record (``rows``, ``positives``: the training rows and how many
        match a word).
    """
    import time

    t0 = time.time()
    x, y, w = collect_training_data(samples, proposer, iou=iou, balance=balance, progress=progress)
    r = fit_rows(x, y, w, num_stumps=num_stumps)
    r.meta.update({"iou": iou, "balance": balance})
    return TrainResult(model=r, history=({"rows": float(len(y)), "positives": float(y.sum())},), checkpoint=None,
                       best_epoch=None, best_score=None, seconds=time.time() - t0)


def image_rows(labels: np.ndarray, rng: np.random.Generator, *, max_negatives: int = 4000,
               balance: str = "proposal") -> Tuple[np.ndarray, np.ndarray]:
    """Which proposals of one image train the ranker, and their weights.

    Args:
        labels: bool [P], proposal matches a word.
        rng: draws the negatives kept when there are more than ``max_negatives`` (all positives stay).
        balance: see :func:`collect_training_data`.

    Returns:
        ``(indices int [n], weights float64 [n])``, positives first.
    """
    neg = np.flatnonzero(~labels)
    if len(neg) > max_negatives:
        neg = rng.choice(neg, max_negatives, replace=False)
    pos = np.flatnonzero(labels)
    w = np.ones(len(pos) + len(neg))
    if balance == "image" and len(pos):
        w[: len(pos)] = 1.0 / len(pos)
    return np.concatenate([pos, neg]), w


def fit_rows(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, num_stumps: int = 100) -> Ranker:
    """Boosted stumps on collected rows (:func:`collect_training_data`), positives and negatives weighing
    half each."""
    if not y.any() or y.all():
        raise ValueError(f"training data needs positives and negatives: {int(y.sum())} of {len(y)} proposals "
                         f"match a word (no word in the data, or no proposal on one?)")
    if np.all(w == 1.0):
        return Ranker.fit(x, y, num_stumps=num_stumps)  # Ranker.fit's own class balance: the same weights
    return Ranker.fit(x, y, num_stumps=num_stumps, sample_weight=np.where(y, 0.5 * w / w[y].sum(), 0.5 * w / w[~y].sum()))


def evaluate(proposals_per_image: Sequence[np.ndarray], gts: Sequence[np.ndarray],
             ks=(10, 100, 1000, None)) -> RecallAtK:
    """Detection rate at IoU 0.5 pooled over images (see :func:`textvision.eval.detection_rate`)."""
    from textvision.eval.proposals import detection_rate

    return detection_rate(list(proposals_per_image), list(gts), ks=ks, iou=0.5)
