"""Torch datasets over ICDAR folders and COCO-Text, and a collate function.

Items are dicts ``{"image": uint8 [H, W, 3] RGB, "instances": list[TextInstance], "path": str,
"id": ...}``; an optional ``transform`` maps an item dict to anything.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from textvision.data.coco_text import read_coco_text
from textvision.data.icdar import read_icdar2013, read_icdar2015
from textvision.data.spec import Split

# SynthDataset lives with its renderer (textvision.data.synth, which never imports this module:
# no import cycle) and is re-exported here beside the other datasets.
from textvision.data.synth import SynthDataset
from textvision.io import IMAGE_SUFFIXES, read_rgb

try:
    from torch.utils.data import Dataset as _TorchDataset
except Exception:  # pragma: no cover
    _TorchDataset = object

__all__ = ["IcdarDataset", "CocoTextDataset", "SynthDataset", "collate", "read_image", "ICDAR2015_HOLDOUT",
           "parse_holdout", "holdout_split"]

#: The ICDAR 2015 training images every trainer holds out for validation (``train-east``, ``train-text-fcn``,
#: ``train-ranker`` with ``icdar2015:DIR``): models are chosen on them, never trained on them.
ICDAR2015_HOLDOUT = "img_901-img_1000"

#: Kept for callers of the old name: the one image reader (uint8 HxWx3 RGB, EXIF orientation ignored).
read_image = read_rgb

# (images folder, ground-truth folder) names of the official downloads, per (year, split).
_OFFICIAL = {
    (2015, "train"): [("ch4_training_images", "ch4_training_localization_transcription_gt")],
    (2015, "test"): [("ch4_test_images", "Challenge4_Test_Task1_GT"), ("ch4_test_images", "Challenge4_Test_Task4_GT")],
    (2013, "train"): [("Challenge2_Training_Task12_Images", "Challenge2_Training_Task1_GT")],
    (2013, "test"): [("Challenge2_Test_Task12_Images", "Challenge2_Test_Task1_GT")],
}


def _gt_name(stem: str) -> str:
    return f"gt_{stem}.txt"


class IcdarDataset(_TorchDataset):
    """ICDAR 2015 / 2013 images paired with their ``gt_*.txt`` files.

    Args:
        root: dataset folder. Recognised layouts, tried in order: the official download folders
            (e.g. ``ch4_training_images`` + ``ch4_training_localization_transcription_gt``;
            ``Challenge2_Training_Task12_Images`` + ``Challenge2_Training_Task1_GT``),
            ``root/split/{images,gt}``, ``root/{images,gt}``, ``root/split`` or ``root`` itself holding
            ``img_N.jpg`` and ``gt_img_N.txt`` side by side (as ``textvision synth`` writes), or images in
            ``root`` with their ``gt_*.txt`` in ``root/gt`` (as OpenCV's text samples).
            Image ``X.jpg`` pairs with ``gt_X.txt``.
        year: 2015 (quads) or 2013 (boxes) file format.
        split: ``"train"`` or ``"test"``.
        transform: optional callable applied to each item dict.
        strict: passed to the readers.

    Items: ``{"image": uint8 [H, W, 3] RGB, "instances": list[TextInstance], "path": str, "id": stem}``.
    """

    def __init__(self, root, year: int = 2015, split: str = "train", transform: Optional[Callable] = None,
                 strict: bool = True):
        if year not in (2013, 2015):
            raise ValueError(f"year must be 2013 or 2015, got {year!r}")
        self.root, self.year, self.split = Path(root), int(year), split
        self.transform, self.strict = transform, strict
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset folder not found: {self.root}")
        self.image_dir, self.gt_dir, self.samples = self._resolve()

    def _candidates(self) -> List[Tuple[Path, Path]]:
        r, s = self.root, self.split
        c = [(r / a, r / b) for a, b in _OFFICIAL.get((self.year, s), [])]
        c += [(r / s / "images", r / s / "gt"), (r / "images", r / "gt"), (r / s, r / s), (r, r), (r, r / "gt")]
        return c

    def _resolve(self):
        tried = []
        for img_dir, gt_dir in self._candidates():
            tried.append(f"{img_dir} + {gt_dir}")
            if not (img_dir.is_dir() and gt_dir.is_dir()):
                continue
            images = sorted((p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural)
            pairs = [(p, gt_dir / _gt_name(p.stem)) for p in images]
            found = [(p, g) for p, g in pairs if g.is_file()]
            if not found:
                continue
            missing = len(pairs) - len(found)
            if missing:
                warnings.warn(f"{img_dir}: {missing} image(s) without a gt_*.txt file skipped", stacklevel=3)
            return img_dir, gt_dir, found
        raise FileNotFoundError(f"no ICDAR {self.year} {self.split!r} images with gt_*.txt files under "
                                f"{self.root}; tried: " + "; ".join(tried))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Dict:
        img_path, gt_path = self.samples[i]
        reader = read_icdar2015 if self.year == 2015 else read_icdar2013
        item = {"image": read_rgb(img_path), "instances": reader(gt_path, strict=self.strict),
                "path": str(img_path), "id": img_path.stem}
        return self.transform(item) if self.transform is not None else item


_RANGE_PART = re.compile(r"^([^,]*?)(\d+)(?:-\1?(\d+))?$")


def parse_holdout(text: str) -> Callable[[str], bool]:
    """Parse a held-out name set such as ``"img_901-img_1000"`` or ``"img_1-img_50,img_77"``.

    Each comma-separated part is a stem (``img_77``) or a range of stems sharing a prefix and ending
    in a number (``img_901-img_1000``, or ``img_901-1000``).

    Returns:
        a predicate ``stem -> bool``: True for held-out stems.

    Raises:
        ValueError: an empty text, a part that is not a stem or a range, or a range whose end is below
            its start.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"held-out images must be a name or range such as {ICDAR2015_HOLDOUT!r}, got {text!r}")
    ranges = []
    for part in text.split(","):
        part = part.strip()
        m = _RANGE_PART.match(part)
        if not m:
            raise ValueError(f"bad held-out images {part!r} in {text!r}; expected a stem such as img_77 or a "
                             f"range such as {ICDAR2015_HOLDOUT}")
        prefix, lo = m.group(1), int(m.group(2))
        hi = int(m.group(3)) if m.group(3) is not None else lo
        if hi < lo:
            raise ValueError(f"bad held-out range {part!r}: {hi} < {lo}")
        ranges.append((prefix, lo, hi))

    def held_out(stem: str) -> bool:
        for prefix, lo, hi in ranges:
            if stem.startswith(prefix) and stem[len(prefix):].isdigit() and lo <= int(stem[len(prefix):]) <= hi:
                return True
        return False

    return held_out


def holdout_split(dataset: "IcdarDataset", holdout: str = ICDAR2015_HOLDOUT) -> Split:
    """Split an :class:`IcdarDataset` by image name into its training and held-out images.

    The split depends only on the names (``img_901`` ... ``img_1000`` by default), so every trainer and
    every run holds out the same photographs whatever else is in the folder.

    Returns:
        :class:`~textvision.data.spec.Split` of two ``torch.utils.data.Subset`` s of ``dataset``: ``train``
        the images outside ``holdout``, ``val`` those in it (each in the dataset's order).

    Raises:
        ValueError: a malformed ``holdout``, or no image left on one side (the message says which).
    """
    from torch.utils.data import Subset

    held_out = parse_holdout(holdout)
    val = [i for i, (img, _) in enumerate(dataset.samples) if held_out(img.stem)]
    train = [i for i, (img, _) in enumerate(dataset.samples) if not held_out(img.stem)]
    if not val:
        raise ValueError(f"{dataset.root}: no image named in the held-out set {holdout!r} (validation would be "
                         f"empty); name others with --holdout")
    if not train:
        raise ValueError(f"{dataset.root}: every image is in the held-out set {holdout!r}; nothing to train on")
    return Split(Subset(dataset, train), Subset(dataset, val))


def _natural(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


class CocoTextDataset(_TorchDataset):
    """COCO-Text images (the COCO train2014 images) with their word annotations.

    Args:
        json: path to ``cocotext.v2.json`` (or v1.4).
        images_dir: folder holding the ``file_name`` images (COCO ``train2014``).
        split: ``"train"``, ``"val"``, ``"test"`` or None for all images.
        transform: optional callable applied to each item dict.
        only_annotated: skip images without any annotation.

    Items: ``{"image": uint8 [H, W, 3] RGB, "instances": list[TextInstance] (illegible -> ignore),
    "path": str, "id": image id}``.
    """

    def __init__(self, json, images_dir, split: Optional[str] = "train", transform: Optional[Callable] = None,
                 only_annotated: bool = False):
        self.coco = read_coco_text(json)
        self.images_dir = Path(images_dir)
        if not self.images_dir.is_dir():
            raise FileNotFoundError(f"COCO-Text images folder not found: {self.images_dir}")
        if split is not None and split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val', 'test' or None, got {split!r}")
        ids = self.coco.ids(split)
        if only_annotated:
            ids = [i for i in ids if self.coco.instances[i]]
        self.ids, self.transform = ids, transform

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Dict:
        iid = self.ids[i]
        path = self.images_dir / self.coco.images[iid]["file_name"]
        item = {"image": read_rgb(path), "instances": list(self.coco.instances[iid]), "path": str(path), "id": iid}
        return self.transform(item) if self.transform is not None else item


def collate(batch: Sequence[Dict]) -> Dict:
    """Collate item dicts into a dict of per-key values for a ``DataLoader``.

    NumPy arrays of one key are stacked into a torch tensor when they all have the same shape
    (e.g. images uint8 [B, H, W, 3], masks [B, H, W]) and kept as a list otherwise; instance lists,
    paths and ids stay lists (instances vary in number per image).
    """
    import torch

    if not batch:
        return {}
    out = {}
    for key in batch[0]:
        vals = [b[key] for b in batch]
        if all(isinstance(v, np.ndarray) for v in vals) and len({v.shape for v in vals}) == 1 \
                and len({v.dtype for v in vals}) == 1:
            out[key] = torch.from_numpy(np.stack(vals))
        elif all(isinstance(v, torch.Tensor) for v in vals) and len({tuple(v.shape) for v in vals}) == 1:
            out[key] = torch.stack(vals)
        else:
            out[key] = vals
    return out
