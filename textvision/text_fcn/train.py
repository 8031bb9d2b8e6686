"""Training TextFCN: data adapters, augmentation, class-balanced loss, pixel metrics, checkpoints,
resume, and DistributedDataParallel when launched with ``torchrun``.

The ``textvision train-text-fcn`` command is a thin layer over ``TextFCNTrainConfig`` + ``train_text_fcn``. Checkpoints
are ``textvision.checkpoint`` files of kind ``"text_fcn"`` (``save_text_fcn`` / ``text_fcn(weights=...)``), read
with ``weights_only=True``. Progress goes to the ``textvision.text_fcn`` logger (and to an
``on_epoch`` callback, which the command uses to print).

Samples are triples ``(image uint8 HxWx3 RGB, text uint8 HxW {0,1}, ignore uint8 HxW {0,1})``; the
network sees ImageNet-normalised crops (RGB / 255, ``textvision.models.vgg.normalize_imagenet``), the
single input convention of TextFCN and ``textvision.segment``. Target pixels under ``ignore`` (don't-care words,
padding) carry label 255 and add nothing to the loss or the metrics.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from textvision._distributed import setup_distributed
from textvision.data.spec import Split
from textvision.data.teacher import teacher_split
from textvision.eval.pixels import PixelScores, pixel_scores, pixel_scores_from_counts
from textvision.models.text_fcn import build_text_fcn, save_text_fcn, text_fcn, text_fcn_from_checkpoint
from textvision.models.vgg import normalize_imagenet
from textvision.training import TrainResult, best_of

__all__ = [
    "TextFCNTrainConfig",
    "SegSample",
    "SampleSource",
    "FCNTrainSet",
    "make_sources",
    "synth_source",
    "teacher_source",
    "teacher_split",
    "ClassWeights",
    "class_weights",
    "train_text_fcn",
    "evaluate_fcn",
    "format_epoch",
    "IGNORE_LABEL",
]

IGNORE_LABEL = 255

logger = logging.getLogger("textvision.text_fcn")


# -------------------------------------------------------------------------------------------- data
class SegSample(NamedTuple):
    """One training sample: ``image`` uint8 HxWx3 RGB, ``text`` and ``ignore`` uint8 HxW {0, 1}."""

    image: np.ndarray
    text: np.ndarray
    ignore: np.ndarray


class SampleSource(Dataset):
    """Adapts a dataset yielding ``{"image", "instances"[, "mask"]}`` dicts to ``SegSample``.

    Args:
        base: indexable dataset (``SynthDataset``, ``IcdarDataset``, ``CocoTextDataset`` ...).
        mask_source: ``"box"`` = rasterised word quads (as the original TextFCN), ``"pixel"`` = the
            sample's pixel ``mask`` (error if absent), ``"auto"`` = pixel mask when present else boxes.
            Don't-care words (``ignore=True``) become ignore regions either way.
        indices: optional subset of ``base`` indices.
    """

    def __init__(self, base, mask_source: str = "auto", indices: Optional[Sequence[int]] = None):
        if mask_source not in ("auto", "box", "pixel"):
            raise ValueError(f"mask_source must be 'auto', 'box' or 'pixel', got {mask_source!r}")
        self.base = base
        self.mask_source = mask_source
        self.indices = list(range(len(base))) if indices is None else list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> SegSample:
        from textvision._validate import image_rgb
        from textvision.data.masks import instances_to_masks

        item = self.base[self.indices[i]]
        image = image_rgb(item["image"], f"sample {i} image", "SampleSource")
        hw = image.shape[:2]
        instances = item.get("instances") or []
        box_mask, ignore = instances_to_masks(instances, hw) if instances else (
            np.zeros(hw, np.uint8), np.zeros(hw, np.uint8))
        pixel = item.get("mask")
        if self.mask_source == "pixel" and pixel is None:
            raise ValueError(f"sample {i} has no pixel 'mask'; use mask_source='box'")
        if self.mask_source == "box" or pixel is None:
            text = box_mask
        else:
            text = (np.asarray(pixel) != 0).astype(np.uint8)
            if text.shape != hw:
                raise ValueError(f"sample {i}: mask shape {text.shape} != image shape {hw}")
        return SegSample(image, text, ignore)


class _CachedSamples(Dataset):
    def __init__(self, images: np.ndarray, texts: np.ndarray, ignores: np.ndarray):
        self.images, self.texts, self.ignores = images, texts, ignores

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> SegSample:
        return SegSample(self.images[i], self.texts[i], self.ignores[i])


def synth_source(n: int, size: Tuple[int, int], seed: int, mask_source: str = "pixel",
                 cache: Optional[str] = None, progress: bool = False, cache_tag: str = "",
                 **render_kwargs) -> Dataset:
    """``n`` synthetic scenes (``textvision.data.synth.SynthDataset``; ``render_kwargs`` go to
    ``render_scene``) as ``SegSample``s, rendered once into memory and optionally cached in an ``.npz``
    file (reused when n / size / seed / mask source / render arguments match)."""
    import zlib

    # Photo backgrounds have no stable repr: the caller names their set in ``cache_tag`` instead.
    keyed = {k: v for k, v in render_kwargs.items() if k != "backgrounds"}
    kw_hash = zlib.crc32((repr(sorted(keyed.items())) + cache_tag).encode())
    key = np.array([n, size[0], size[1], seed, {"pixel": 0, "box": 1, "auto": 2}[mask_source], kw_hash],
                   np.int64)
    if cache and os.path.isfile(cache):
        with np.load(cache) as z:
            if "key" in z and np.array_equal(z["key"], key):
                return _CachedSamples(z["images"], z["texts"], z["ignores"])
    from textvision.data.synth import SynthDataset, render_scene

    src = SampleSource(SynthDataset(n, size=tuple(size), seed=seed, **render_kwargs), mask_source)
    failed = 0
    it = range(n)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc=f"render {n} synthetic scenes", leave=False)
    images = np.zeros((n, size[0], size[1], 3), np.uint8)
    texts = np.zeros((n, size[0], size[1]), np.uint8)
    ignores = np.zeros((n, size[0], size[1]), np.uint8)
    for i in it:
        try:
            s = src[i]
        except ValueError:
            # A rare layout the renderer cannot place (seen for ~1 in 400 seeds): render the same index
            # from a derived seed instead, so the set keeps its size and stays deterministic.
            failed += 1
            sc = render_scene((seed, i, 1), tuple(size), **render_kwargs)
            s = SampleSource([{"image": sc.image, "instances": sc.instances, "mask": sc.mask}], mask_source)[0]
        images[i], texts[i], ignores[i] = s.image, s.text, s.ignore
    if failed:
        logger.info("synthetic scenes: %d of %d re-rendered from a derived seed (renderer ValueError)", failed, n)
    if cache:
        from textvision.io import atomic_write

        atomic_write(cache, lambda tmp: _savez(tmp, key=key, images=images, texts=texts, ignores=ignores))
    return _CachedSamples(images, texts, ignores)


def _savez(path: str, **arrays) -> None:
    # Through an open file: np.savez_compressed would append ".npz" to a temporary name without it.
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


class _Samples(Dataset):
    def __init__(self, samples: List[SegSample], names: Sequence[str] = ()):
        self.samples, self.names = samples, list(names)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> SegSample:
        return self.samples[i]


def teacher_source(label_dir: str, *, max_side: int = 1280, progress: bool = False) -> Dataset:
    """Photographs labelled by a teacher (``textvision teacher-label``, CRAFT) as ``SegSample``s.

    The teacher's word regions become text (``target >= 0.5``); its don't-care zones (``weight == 0``: a
    band around each word, low-confidence text-like areas) become ignore pixels, so the network is
    neither pushed towards nor away from the teacher where the teacher is unsure. Photos are held in
    memory with the longer side at most ``max_side`` (masks resized by nearest neighbour). Labels whose
    photo is missing or changed are skipped with a warning.
    """
    import cv2

    from textvision.data.teacher import iter_labelled_photos, list_labels

    files = list_labels(label_dir)
    if not files:
        raise FileNotFoundError(f"no teacher labels (*.npz from textvision teacher-label) in {label_dir}")
    samples, names = [], []
    for name, label, img in iter_labelled_photos(label_dir, files, progress):
        text = (label.target >= 0.5).astype(np.uint8)
        ignore = (label.weight < 0.5).astype(np.uint8)
        h, w = text.shape
        f = max_side / max(h, w)
        if f < 1:
            size = (max(1, round(w * f)), max(1, round(h * f)))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            text = cv2.resize(text, size, interpolation=cv2.INTER_NEAREST)
            ignore = cv2.resize(ignore, size, interpolation=cv2.INTER_NEAREST)
        samples.append(SegSample(img, text, ignore))
        names.append(name)
    if not samples:
        raise ValueError(f"none of the {len(files)} teacher labels in {label_dir} could be loaded")
    return _Samples(samples, names)


def _split(ds: Dataset, val_fraction: float, seed: int, name: str) -> Split:
    from torch.utils.data import Subset

    n = len(ds)
    if n < 2:
        raise ValueError(f"--data {name}: need at least 2 images, found {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 1, max(1, int(round(n * val_fraction))))
    return Split(Subset(ds, sorted(order[n_val:].tolist())), Subset(ds, sorted(order[:n_val].tolist())))


#: The ``--data`` kinds of ``train-text-fcn`` (see :func:`textvision.data.spec.parse_data_spec`).
_KINDS = ("synth", "photos", "teacher", "icdar2015", "icdar2013", "cocotext")


def make_sources(spec: str, *, mask_source: str = "auto", synth_n: int = 2000, synth_val_n: int = 100,
                 synth_size: Tuple[int, int] = (320, 320), seed: int = 0, val_fraction: float = 0.1,
                 cache_dir: Optional[str] = None, progress: bool = False,
                 fonts: Sequence[str] = (), holdout: Optional[str] = None) -> Split:
    """Training and validation ``SegSample`` datasets from a ``--data`` spec.

    Specs: ``synth`` (rendered scenes; validation = ``synth_val_n`` scenes from disjoint seeds),
    ``photos:DIR[;DIR...]`` (rendered text on random crops of the photographs under the folders: real
    clutter around synthetic words; validation as for ``synth``), ``teacher:LABEL_DIR`` (photographs
    labelled by CRAFT with ``textvision teacher-label``), ``icdar2015:DIR`` (``IcdarDataset`` train split;
    validation = the ``holdout`` images by name, default ``img_901-img_1000``), ``icdar2013:DIR``
    (``IcdarDataset`` train split), ``cocotext:JSON,IMAGES`` (``CocoTextDataset`` train split). Several
    specs joined by ``+`` are mixed (their training sets concatenated, their validation sets too);
    ``SPEC*K`` repeats a part's training set K times per epoch (e.g. ``teacher:DIR*4`` to weigh a few
    hundred real photos against thousands of rendered scenes). For
    real datasets a seeded ``val_fraction`` of the images is held out for validation. ``fonts``: TrueType
    / OpenType files the synthetic parts draw from besides the built-in faces.

    Returns:
        :class:`~textvision.data.spec.Split`: ``train`` and ``val``, each a ``torch.utils.data.Dataset`` of
        :class:`SegSample` (the parts of a mix concatenated).
    """
    from torch.utils.data import ConcatDataset

    from textvision.data.spec import parse_data_spec

    parts = parse_data_spec(spec, _KINDS)
    trains, vals = [], []
    for k, part in enumerate(parts):
        # Each part of a mix gets its own seed, so two rendered parts never share a scene.
        train, val = _make_part(part.kind, part.arg, part.text, mask_source=mask_source, synth_n=synth_n,
                                synth_val_n=synth_val_n, synth_size=synth_size, seed=seed + k,
                                val_fraction=val_fraction, cache_dir=cache_dir, progress=progress, fonts=fonts,
                                holdout=holdout)
        trains.append(ConcatDataset([train] * part.repeat) if part.repeat > 1 else train)
        vals.append(val)
    if len(parts) == 1:
        return Split(trains[0], vals[0])
    return Split(ConcatDataset(trains), ConcatDataset(vals))


def _make_part(kind: str, arg: str, spec: str, *, mask_source: str, synth_n: int, synth_val_n: int,
               synth_size: Tuple[int, int], seed: int, val_fraction: float, cache_dir: Optional[str],
               progress: bool, fonts: Sequence[str], holdout: Optional[str] = None) -> Split:
    """Training and validation sets of one part of a ``--data`` spec (``spec`` names it in messages)."""
    if kind in ("synth", "photos"):
        ms = "pixel" if mask_source == "auto" else mask_source
        render_kwargs = {"fonts": tuple(fonts)} if fonts else {}
        tag = f"{synth_size[0]}x{synth_size[1]}_{ms}"
        if kind == "photos":
            from textvision.data.photos import PhotoBackgrounds

            dirs = [d for d in arg.split(";") if d]
            if not dirs:
                raise ValueError(f"--data {spec}: expected photos:DIR[;DIR...]")
            bgs = PhotoBackgrounds.from_dirs(dirs)
            render_kwargs["backgrounds"] = bgs
            # The cache key must change with the photo set, not with the object's identity.
            import zlib

            tag += f"_photos{zlib.crc32(repr(sorted(map(str, bgs.paths))).encode()):08x}"
        if fonts:
            import zlib

            tag += f"_fonts{zlib.crc32(repr(sorted(fonts)).encode()):08x}"
        cache_tr = cache_va = None
        if cache_dir:
            cache_tr = os.path.join(cache_dir, f"{kind}_train_{synth_n}_{tag}_s{seed}.npz")
            cache_va = os.path.join(cache_dir, f"{kind}_val_{synth_val_n}_{tag}_s{seed}.npz")
        # Validation scenes use seeds far from the training ones so the two never share a scene.
        train = synth_source(synth_n, synth_size, seed, ms, cache_tr, progress, cache_tag=tag, **render_kwargs)
        val = synth_source(synth_val_n, synth_size, seed + 1_000_003, ms, cache_va, progress, cache_tag=tag,
                           **render_kwargs)
        return Split(train, val)
    if kind == "teacher":
        if not arg:
            raise ValueError(f"--data {spec}: expected teacher:LABEL_DIR")
        from torch.utils.data import Subset

        ds = teacher_source(arg, progress=progress)
        tr, va = teacher_split(ds.names, val_fraction)
        return Split(Subset(ds, tr), Subset(ds, va))
    if kind in ("icdar2015", "icdar2013"):
        if not arg or not os.path.isdir(arg):
            raise FileNotFoundError(f"--data {spec}: {arg!r} is not a directory")
        from textvision.data import IcdarDataset

        base = IcdarDataset(arg, year=int(kind[5:]), split="train")
        if kind == "icdar2015":
            # The project's fixed validation split by name (img_901-img_1000), the one train-east and
            # train-ranker hold out too: never a random fraction of it.
            from textvision.data.datasets import ICDAR2015_HOLDOUT, holdout_split

            tr, va = holdout_split(base, holdout or ICDAR2015_HOLDOUT)
            return Split(SampleSource(base, mask_source, tr.indices), SampleSource(base, mask_source, va.indices))
    elif kind == "cocotext":
        json_path, _, images_dir = arg.partition(",")
        if not json_path or not images_dir:
            raise ValueError(f"--data {spec}: expected cocotext:JSON,IMAGES_DIR")
        from textvision.data import CocoTextDataset

        base = CocoTextDataset(json_path, images_dir, split="train")
    else:  # parse_data_spec accepts no other kind
        raise AssertionError(kind)
    return _split(SampleSource(base, mask_source), val_fraction, seed, spec)



def _augment_colour(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photometric jitter that keeps text text: channel shuffle, polarity inversion, grey,
    contrast / brightness, blur, noise."""
    import cv2

    x = img.astype(np.float32)
    if rng.random() < 0.5:
        x = x[:, :, rng.permutation(3)]
    if rng.random() < 0.2:
        x = 255.0 - x
    if rng.random() < 0.15:
        x = np.repeat(x.mean(axis=2, keepdims=True), 3, axis=2)
    x = (x - 128.0) * rng.uniform(0.6, 1.4) + 128.0 + rng.uniform(-40, 40)
    if rng.random() < 0.25:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.25:
        x = x + rng.normal(0, rng.uniform(2, 12), x.shape).astype(np.float32)
    return np.clip(x, 0, 255).astype(np.uint8)


class FCNTrainSet(Dataset):
    """``SegSample``s as tensors: with ``train`` a random scale, ``crop`` x ``crop`` crop (padding is
    ignored), horizontal flip and photometric jitter; without, the whole image unchanged (all images
    must then share one size to be batched).

    Returns ``(x float32 (3, S, S) normalised, target int64 (S, S) in {0, 1, 255})``.
    """

    def __init__(self, samples: Dataset, crop: int = 256, train: bool = True, seed: int = 0,
                 scale_range: Tuple[float, float] = (0.5, 1.8)):
        self.samples, self.crop, self.train, self.seed = samples, int(crop), train, seed
        self.scale_range = scale_range
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        import cv2

        s = self.samples[i]
        img, text, ign = s.image, s.text, s.ignore
        target = np.where(ign != 0, IGNORE_LABEL, text != 0).astype(np.uint8)
        if self.train:
            rng = np.random.default_rng((self.seed, self.epoch, i))
            # log-uniform: as many down- as up-scaled crops; covers segment()'s upscaling of small images
            sc = math.exp(rng.uniform(math.log(self.scale_range[0]), math.log(self.scale_range[1])))
            h, w = img.shape[:2]
            nh, nw = max(1, int(round(h * sc))), max(1, int(round(w * sc)))
            img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if sc < 1 else cv2.INTER_LINEAR)
            target = cv2.resize(target, (nw, nh), interpolation=cv2.INTER_NEAREST)
            c = self.crop
            ph, pw = max(0, c - nh), max(0, c - nw)
            if ph or pw:
                img = cv2.copyMakeBorder(img, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(124, 116, 104))
                target = cv2.copyMakeBorder(target, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=IGNORE_LABEL)
            y = int(rng.integers(0, img.shape[0] - c + 1))
            x = int(rng.integers(0, img.shape[1] - c + 1))
            img, target = img[y:y + c, x:x + c], target[y:y + c, x:x + c]
            if rng.random() < 0.5:
                img, target = img[:, ::-1], target[:, ::-1]
            img = _augment_colour(img, rng)
        return _norm(img)[0], torch.from_numpy(np.ascontiguousarray(target)).long()


class ClassWeights(NamedTuple):
    """The loss weights of the two classes (:func:`class_weights`), floats > 0.

    Attributes:
        background: weight of a background pixel's loss.
        text: weight of a text pixel's loss.
    """

    background: float
    text: float


def class_weights(samples: Dataset, mode: str = "sqrt", max_samples: int = 200) -> ClassWeights:
    """Loss weights of background and text from the text pixel fraction f of (up to ``max_samples``)
    samples: ``"inverse"`` = (0.5 / (1 - f), 0.5 / f); ``"sqrt"`` = their square roots (a milder
    push towards recall); ``"none"`` = (1, 1). Ignored pixels are not counted.

    Returns:
        :class:`ClassWeights` ``(background, text)``.
    """
    if mode == "none":
        return ClassWeights(1.0, 1.0)
    if mode not in ("sqrt", "inverse"):
        raise ValueError(f"class balance mode must be none, sqrt or inverse, got {mode!r}")
    text = total = 0
    n = len(samples)
    for i in np.linspace(0, n - 1, min(n, max_samples)).astype(int):
        s = samples[int(i)]
        keep = s.ignore == 0
        text += int(np.count_nonzero((s.text != 0) & keep))
        total += int(np.count_nonzero(keep))
    f = min(max(text / max(total, 1), 1e-4), 1 - 1e-4)
    wb, wt = 0.5 / (1 - f), 0.5 / f
    if mode == "sqrt":
        wb, wt = math.sqrt(wb), math.sqrt(wt)
    return ClassWeights(wb, wt)


# ---------------------------------------------------------------------------------------- training
@dataclass
class TextFCNTrainConfig:
    """Everything ``train_text_fcn`` needs; stored in checkpoints as ``train_config``.

    ``lr=None`` picks 3e-3 for ``lite`` and 1e-4 for ``vgg16`` (AdamW, cosine decay after a warm-up
    of ``warmup_steps``). ``export``: also write a weights-only copy (no optimizer state) at the end,
    e.g. for shipping.
    """

    out: str = "text_fcn.pt"
    arch: str = "lite"
    widths: Tuple[int, ...] = (16, 32, 64, 96, 128)
    backbone_weights: Optional[str] = None
    epochs: int = 10
    batch_size: int = 8
    crop: int = 256
    lr: Optional[float] = None
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    balance: str = "sqrt"
    dice_weight: float = 0.0
    seed: int = 0
    device: Optional[str] = None
    workers: int = 0
    threads: Optional[int] = None
    resume: Optional[str] = None
    init: Optional[str] = None
    export: Optional[str] = None
    progress: bool = True
    augment: bool = True
    max_val_images: int = 200
    save_every_epoch: bool = True

    def resolved_lr(self) -> float:
        return self.lr if self.lr is not None else (3e-3 if self.arch == "lite" else 1e-4)


@torch.no_grad()
def evaluate_fcn(model: torch.nn.Module, val: Dataset, device, threshold: float = 0.5,
                 max_images: Optional[int] = None) -> PixelScores:
    """Pixel scores of ``model`` on full validation images (``SegSample``s), ignore pixels excluded."""
    net = model.module if hasattr(model, "module") else model
    was = net.training
    net.eval()
    tp = fp = fn = 0
    n = len(val) if max_images is None else min(len(val), max_images)
    try:
        for i in range(n):
            s = val[i]
            x = _norm(s.image).to(device)
            prob = torch.softmax(net(x).float(), 1)[0, 1].cpu().numpy()
            sc = pixel_scores(prob, s.text, s.ignore, threshold)
            tp, fp, fn = tp + sc.tp, fp + sc.fp, fn + sc.fn
    finally:
        net.train(was)
    return pixel_scores_from_counts(tp, fp, fn)


def _norm(image: np.ndarray) -> torch.Tensor:
    """uint8 HxWx3 RGB -> ImageNet-normalised float32 (1, 3, H, W)."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
    return normalize_imagenet(x.unsqueeze(0))


def _loss(logits, target, weight, dice_weight: float):
    loss = F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE_LABEL)
    if dice_weight > 0:
        keep = (target != IGNORE_LABEL).float()
        p = torch.softmax(logits, 1)[:, 1] * keep
        g = (target == 1).float() * keep
        dice = 1 - (2 * (p * g).sum() + 1) / (p.sum() + g.sum() + 1)
        loss = loss + dice_weight * dice
    return loss


def format_epoch(record: Dict[str, float]) -> str:
    """One line for an epoch record of ``train_text_fcn``: loss, validation scores when present, seconds."""
    msg = f"epoch {int(record['epoch'])}: loss {record['loss']:.4f}"
    if "f1" in record:
        msg += (f"  val P {record['precision']:.3f} R {record['recall']:.3f} F1 {record['f1']:.3f} "
                f"IoU {record['iou']:.3f} ")
    return msg + f" ({record['seconds']:.0f} s)"


def train_text_fcn(cfg: TextFCNTrainConfig, train_samples: Dataset, val_samples: Optional[Dataset] = None, *,
                   on_epoch: Optional[Callable[[Dict[str, float]], None]] = None) -> TrainResult:
    """Train a TextFCN on ``SegSample`` datasets; writes ``cfg.out`` after every epoch.

    Returns :class:`~textvision.training.TrainResult`: the model (unwrapped, eval mode), the per-epoch
    history (``epoch``, ``loss``, ``seconds`` and, with validation data, ``precision``, ``recall``, ``f1``,
    ``iou``), ``checkpoint`` = ``cfg.out``, and the epoch of the best validation F1.

    The checkpoint (``save_text_fcn``: kind ``"text_fcn"``) holds the model config, weights, optimizer
    and scheduler state, epoch and step, ``train_config`` and the epoch's validation ``metrics``;
    ``cfg.resume`` continues from one (same epochs budget), ``cfg.init`` starts from its weights (both
    read with ``weights_only=True``; ``cfg.init`` may also be a ``text_fcn`` registry name). Launched by
    ``torchrun`` (``WORLD_SIZE`` > 1) it runs DistributedDataParallel (NCCL on GPUs, gloo on CPU); rank
    0 validates and saves.

    Args:
        on_epoch: called on rank 0 after each epoch with its record (``epoch``, ``loss``,
            ``seconds`` and, with validation data, ``precision``, ``recall``, ``f1``, ``iou``).

    Raises:
        ValueError: ``cfg.out`` / ``cfg.export`` cannot be written (checked before any training), or
            unreadable / refused ``cfg.resume`` / ``cfg.init`` checkpoints.
    """
    import torch.distributed as dist

    from textvision.io import check_output_file

    # Fail now rather than after an epoch of training.
    t_start = time.time()
    check_output_file(cfg.out, "checkpoint --out")
    if cfg.export:
        check_output_file(cfg.export, "--export file")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    ctx = setup_distributed(cfg.device)
    world, rank, device, distributed, main_proc = ctx.world, ctx.rank, ctx.device, ctx.distributed, ctx.main
    torch.manual_seed(cfg.seed)

    start_epoch, step, ckpt = 0, 0, None
    if cfg.resume:
        from textvision.checkpoint import load_checkpoint
        from textvision.weights import resolve

        resume_path = resolve(cfg.resume, "text_fcn")
        ckpt = load_checkpoint(resume_path, "text_fcn")
        model = text_fcn_from_checkpoint(ckpt, resume_path)
        start_epoch, step = int(ckpt["epoch"]), int(ckpt["step"])
    elif cfg.init:
        model = text_fcn(weights=cfg.init)
    elif cfg.arch == "vgg16":
        model = text_fcn("vgg16", backbone_weights=cfg.backbone_weights)
    else:
        model = build_text_fcn({"arch": cfg.arch, "widths": list(cfg.widths)})
    model.to(device).train()

    wb, wt = class_weights(train_samples, cfg.balance)
    weight = torch.tensor([wb, wt], dtype=torch.float32, device=device)
    train_set = FCNTrainSet(train_samples, cfg.crop, train=cfg.augment, seed=cfg.seed)
    sampler = None
    if distributed:
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    # Workers start afresh every epoch (not persistent): a persistent worker keeps the copy of train_set it
    # was started with, so set_epoch would never reach it and every epoch would repeat the first one's crops.
    loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=sampler is None, sampler=sampler,
                        num_workers=cfg.workers, drop_last=len(train_set) >= cfg.batch_size * world,
                        generator=gen, pin_memory=device.type == "cuda", persistent_workers=False)
    steps_per_epoch = max(1, len(loader))
    total_steps = steps_per_epoch * cfg.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.resolved_lr(), weight_decay=cfg.weight_decay)

    def lr_lambda(s: int) -> float:
        if s < cfg.warmup_steps:
            return (s + 1) / cfg.warmup_steps
        t = (s - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    if ckpt is not None:
        if ckpt.get("optimizer"):
            opt.load_state_dict(ckpt["optimizer"])
        if ckpt.get("scheduler"):
            sched.load_state_dict(ckpt["scheduler"])
    net = model
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        if device.type == "cuda":
            net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        net = DDP(net, device_ids=[device.index] if device.type == "cuda" else None)

    history: List[Dict[str, float]] = list(ckpt.get("history", [])) if ckpt else []
    train_config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()}
    train_config["class_weights"] = [wb, wt]
    train_config["train_images"] = len(train_samples)
    use_amp = device.type == "cuda"
    for epoch in range(start_epoch, cfg.epochs):
        train_set.set_epoch(epoch)
        # The shuffle order is a function of (seed, epoch), not of how many epochs this process ran:
        # a resumed run then sees the batches an uninterrupted one would.
        gen.manual_seed(cfg.seed * 1_000_003 + epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        t0 = time.time()
        it = loader
        if cfg.progress and main_proc:
            from tqdm import tqdm

            it = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=True, dynamic_ncols=True)
        running, seen = 0.0, 0
        for x, y in it:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                logits = net(x)
            loss = _loss(logits.float(), y, weight, cfg.dice_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            seen += 1
            # Exponential running mean: smooth enough to read, quick to follow the trend.
            running = loss.item() if seen == 1 else 0.95 * running + 0.05 * loss.item()
            if it is not loader:
                it.set_postfix(loss=f"{running:.4f}", lr=f"{sched.get_last_lr()[0]:.2e}")
        record: Dict[str, float] = {"epoch": epoch + 1, "loss": running, "seconds": time.time() - t0}
        if main_proc:
            if val_samples is not None and len(val_samples):
                sc = evaluate_fcn(model, val_samples, device, max_images=cfg.max_val_images)
                record.update(precision=sc.precision, recall=sc.recall, f1=sc.f1, iou=sc.iou)
            logger.info("%s", format_epoch(record))
            if on_epoch is not None:
                on_epoch(dict(record))
            history.append(record)
            if cfg.save_every_epoch or epoch + 1 == cfg.epochs:
                save_text_fcn(cfg.out, model, optimizer=opt, epoch=epoch + 1, step=step,
                              scheduler=sched.state_dict(), train_config=train_config, history=history,
                              metrics={k: v for k, v in record.items() if k != "epoch"})
        if distributed:
            dist.barrier()
    if main_proc and cfg.export:
        save_text_fcn(cfg.export, model, optimizer=None, epoch=cfg.epochs, step=step, train_config=train_config,
                      history=history, metrics={k: v for k, v in history[-1].items() if k != "epoch"}
                      if history else {})
    if distributed:
        from textvision._distributed import shutdown_distributed

        del net
        shutdown_distributed()
    model.eval()
    best_epoch, best_score = best_of(history, "f1")
    return TrainResult(model=model, history=tuple(history), checkpoint=cfg.out, best_epoch=best_epoch,
                       best_score=best_score, seconds=time.time() - t_start)
