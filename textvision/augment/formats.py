"""Dataset layouts the augmentation tool reads and writes: ICDAR 2015, ICDAR 2013, COCO-Text.

A *format* turns a source tree into an ordered list of :class:`Sample` (one per source image, bad
ones included and flagged, so that output ids never depend on which inputs turned out bad), names
each output, and writes ground truth for it:

- ICDAR 2015 / 2013: images and ``gt_<image stem>.txt`` files, in any folders under SRC. The output
  mirrors SRC's folders; a restyled copy of ``img_7.jpg`` becomes ``img_<new id>.jpg`` beside the
  mirrored image folder and ``gt_img_<new id>.txt`` beside the mirrored gt folder. Its gt is the
  source gt file byte for byte (validated with :func:`textvision.data.read_icdar2015` /
  ``read_icdar2013`` first): the geometry does not change, and a verbatim copy keeps point order,
  number format and anything else exactly as the user had it.
- COCO-Text: one annotation JSON (``imgs``/``anns``/``imgToAnns``) and the images it names. The
  output is a new JSON at the mirrored path holding the added images and their annotations (and the
  originals with ``--include-originals``), every field of each annotation copied, new integer ids.
  The JSON is handled as plain dicts rather than through :func:`textvision.data.read_coco_text`,
  whose :class:`TextInstance` view keeps the geometry but not every field (``area``, the original
  ``bbox`` next to a ``mask``, extra keys); the tests read the output back with that reader.

Paths are matched by name, never by guessing content, and the tool never writes inside SRC.
"""
from __future__ import annotations

import json
import logging
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from textvision.io import IMAGE_SUFFIXES as IMAGE_EXTENSIONS  # the package-wide list of image suffixes

__all__ = ["Sample", "BadInput", "Scan", "FORMATS", "get_format", "IMAGE_EXTENSIONS"]

logger = logging.getLogger("textvision.augment")
_STEM_NUMBER = re.compile(r"^(.*?)(\d+)$")
# Line ends of ICDAR files: LF, CRLF or CR (the readers' own rule); the split keeps them on their line.
_LINE_END = re.compile(rb"(?<=\n)|(?<=\r)(?!\n)")
#: The gt readers' hint names their keyword; the augment command's switch is --lenient.
LENIENT_HINT = "pass --lenient (AugmentOptions.lenient=True)"


@dataclass
class BadInput:
    """One input the tool could not use.

    Attributes:
        file: the offending file, relative to SRC (posix separators).
        kind: ``"missing-gt"``, ``"malformed-gt"``, ``"unreadable-image"``, ``"missing-image"``,
            ``"orphan-gt"`` (a gt file with no image) or ``"ambiguous-image"`` (two images of one
            stem in a folder; two COCO-Text files of one name).
        message: what is wrong, for a person.
        index: the :class:`Sample` it belongs to (decides which shard reports it), or None.
    """

    file: str
    kind: str
    message: str
    index: Optional[int] = None

    def as_dict(self) -> dict:
        return {"file": self.file, "kind": self.kind, "message": self.message}


@dataclass
class Sample:
    """One source image and its ground truth.

    Attributes:
        index: position in the scan's sorted order (output ids derive from it).
        key: the image path relative to SRC (posix); the stable identity used to seed its RNG.
        image: absolute path of the image.
        gt: absolute path of the ICDAR gt file (None for COCO-Text or when missing).
        num_instances: annotated words (don't-care included).
        error: set when the sample cannot be used (it is then skipped and reported).
        coco_image: COCO-Text only: the source ``imgs`` entry.
        coco_anns: COCO-Text only: the source ``anns`` entries of this image.
        gt_data: ICDAR with ``lenient``: the gt bytes to write when malformed lines were left out
            (None: the source file verbatim).
    """

    index: int
    key: str
    image: Path
    gt: Optional[Path] = None
    num_instances: int = 0
    error: Optional[BadInput] = None
    coco_image: Optional[dict] = None
    coco_anns: List[dict] = field(default_factory=list)
    gt_data: Optional[bytes] = None


@dataclass
class Scan:
    """The result of reading SRC: every sample, the problems found, and where new ids start."""

    samples: List[Sample]
    errors: List[BadInput]
    first_new_id: int
    extra: dict = field(default_factory=dict)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def split_stem(stem: str) -> Tuple[str, int, int]:
    """``"img_12"`` -> ``("img_", 12, 2)``; ``"COCO_train2014_000000000009"`` -> (prefix, 9, 12).

    A stem without trailing digits gives ``("img_", -1, 1)``: outputs still get integer ids.
    """
    m = _STEM_NUMBER.match(stem)
    if m is None:
        return "img_", -1, 1
    return m.group(1), int(m.group(2)), len(m.group(2))


def numbered_stem(stem: str, new_id: int) -> str:
    """The output stem for a copy of ``stem`` with integer id ``new_id`` (same prefix, same padding)."""
    prefix, _, width = split_stem(stem)
    return f"{prefix}{new_id:0{width}d}"


def _walk(root: Path):
    """Files under ``root`` in sorted order, hidden files and folders skipped (``.git``, our temps)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


class IcdarFormat:
    """ICDAR 2015 or 2013: ``<stem>.<ext>`` images paired with ``gt_<stem>.txt`` files.

    Pairing is per folder: each image folder is paired with the folder holding gt files for the most
    of its images, one-to-one where counts tie, so the standard layouts (images and gt in one folder;
    ``ch4_training_images`` + ``ch4_training_localization_transcription_gt`` beside the test pair,
    where ``img_1`` .. ``img_500`` occur in both splits) pair correctly.
    """

    def __init__(self, year: int):
        if year not in (2013, 2015):
            raise ValueError(f"ICDAR year must be 2013 or 2015, got {year}")
        self.year = year
        self.name = f"icdar{year}"

    def _read_gt(self, path: Path):
        from textvision.data import read_icdar2013, read_icdar2015

        reader = read_icdar2015 if self.year == 2015 else read_icdar2013
        with warnings.catch_warnings():
            # Re-ordered or degenerate quads are the reader's business; the gt is copied verbatim.
            warnings.simplefilter("ignore")
            try:
                return reader(path, strict=True)
            except ValueError as exc:
                # The reader's hint names its own keyword; this tool's switch is --lenient.
                if "strict=False" in str(exc):
                    raise ValueError(str(exc).replace("pass strict=False", LENIENT_HINT)) from None
                raise

    def _without_malformed(self, path: Path) -> Tuple[bytes, List[int]]:
        """The gt file's bytes without its malformed lines (others verbatim) and the dropped line numbers."""
        from textvision.data.icdar import parse_icdar2013, parse_icdar2015

        parse = parse_icdar2015 if self.year == 2015 else parse_icdar2013
        data = path.read_bytes()
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        kept, dropped = [], []
        for lineno, raw in enumerate((x for x in _LINE_END.split(data[len(bom):]) if x), start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")  # as textvision.io.read_text falls back
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    parse(text, str(path), strict=True)
                except ValueError:
                    dropped.append(lineno)
                    continue
            kept.append(raw)
        return bom + b"".join(kept), dropped

    def scan(self, src: Path, lenient: bool = False, **_options) -> Scan:
        images: Dict[Path, Dict[str, Path]] = {}  # folder -> stem -> image
        gts: Dict[Path, Dict[str, Path]] = {}  # folder -> image stem -> gt file
        errors: List[BadInput] = []
        for path in _walk(src):
            suffix = path.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                folder = images.setdefault(path.parent, {})
                if path.stem in folder:  # img_1.jpg and img_1.png would share gt_img_1.txt
                    errors.append(BadInput(_rel(path, src), "ambiguous-image",
                                           f"{folder[path.stem].name} has the same stem; only that one is used"))
                    continue
                folder[path.stem] = path
            elif suffix == ".txt" and path.name.startswith("gt_"):
                gts.setdefault(path.parent, {})[path.stem[3:]] = path
        pairing = _pair_folders(images, gts)
        samples: List[Sample] = []
        used_gt = set()
        all_paths = sorted(p for folder in images.values() for p in folder.values())
        max_number = max([split_stem(p.stem)[1] for p in all_paths], default=0)
        for index, img in enumerate(all_paths):
            s = Sample(index=index, key=_rel(img, src), image=img)
            gt_folder = pairing.get(img.parent)
            gt = gts.get(gt_folder, {}).get(img.stem) if gt_folder is not None else None
            if gt is None:
                s.error = BadInput(s.key, "missing-gt", f"no gt_{img.stem}.txt found for this image", index)
            else:
                used_gt.add(gt)
                s.gt = gt
                try:
                    s.num_instances = len(self._read_gt(gt))
                except (ValueError, UnicodeError, OSError) as exc:
                    s.error = BadInput(_rel(gt, src), "malformed-gt", str(exc), index)
                    if lenient and isinstance(exc, ValueError) and LENIENT_HINT in str(exc):
                        s.error = self._lenient(s, gt, src)
            if s.error is not None:
                errors.append(s.error)
            samples.append(s)
        for folder in gts.values():
            for gt in folder.values():
                if gt not in used_gt:
                    errors.append(BadInput(_rel(gt, src), "orphan-gt", "no image for this gt file"))
        return Scan(samples, errors, max(max_number, 0) + 1)

    def _lenient(self, s: Sample, gt: Path, src: Path) -> Optional[BadInput]:
        """``--lenient``: keep the image, write its gt without the malformed lines; None when that worked."""
        from textvision.data.icdar import parse_icdar2013, parse_icdar2015

        parse = parse_icdar2015 if self.year == 2015 else parse_icdar2013
        try:
            data, dropped = self._without_malformed(gt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s.num_instances = len(parse(data.decode("utf-8-sig", errors="replace"), str(gt), strict=True))
        except (ValueError, UnicodeError, OSError) as exc:
            return BadInput(_rel(gt, src), "malformed-gt", str(exc), s.index)
        s.gt_data = data
        logger.warning("%s: left out %d malformed line(s) (line %s) of the copied gt (--lenient)",
                       _rel(gt, src), len(dropped), ", ".join(map(str, dropped)))
        return None

    def outputs(self, src: Path, dst: Path, sample: Sample, new_id: Optional[int]) -> Tuple[Path, Path]:
        """Output image and gt paths for a copy with id ``new_id`` (None: the original's own names)."""
        img_dir = dst / sample.image.parent.relative_to(src)
        gt_dir = dst / sample.gt.parent.relative_to(src)
        if new_id is None:
            return img_dir / sample.image.name, gt_dir / sample.gt.name
        stem = numbered_stem(sample.image.stem, new_id)
        return img_dir / (stem + sample.image.suffix), gt_dir / f"gt_{stem}.txt"

    def write_gt(self, sample: Sample, path: Path) -> None:
        from textvision.augment.fileio import atomic_write_bytes

        atomic_write_bytes(path, sample.gt_data if sample.gt_data is not None else sample.gt.read_bytes())


def _pair_folders(images: Dict[Path, Dict[str, Path]], gts: Dict[Path, Dict[str, Path]]) -> Dict[Path, Path]:
    """Map each image folder to its gt folder by the number of shared stems (greedy, one-to-one first)."""
    candidates = []
    for img_dir, stems in images.items():
        for gt_dir, gt_stems in gts.items():
            overlap = len(stems.keys() & gt_stems.keys())
            if overlap:
                # Tie-break: the same folder, then the longer common path, then names (determinism).
                common = len(os.path.commonpath([str(img_dir), str(gt_dir)]))
                candidates.append((-overlap, img_dir != gt_dir, -common, str(img_dir), str(gt_dir)))
    candidates.sort()
    pairing: Dict[Path, Path] = {}
    taken = set()
    for _, _, _, img_dir, gt_dir in candidates:
        if Path(img_dir) in pairing or gt_dir in taken:
            continue
        pairing[Path(img_dir)] = Path(gt_dir)
        taken.add(gt_dir)
    # Folders left over (more image folders than gt folders) share their best gt folder.
    for _, _, _, img_dir, gt_dir in candidates:
        pairing.setdefault(Path(img_dir), Path(gt_dir))
    return pairing


class CocoTextFormat:
    """COCO-Text: an annotation JSON plus the images its ``imgs`` entries name (found under SRC)."""

    name = "cocotext"

    def _find_json(self, src: Path, annotations: Optional[str]) -> Path:
        if annotations:
            path = Path(annotations)
            path = path if path.is_absolute() else src / path
            path = path.resolve()
            if not path.is_file():
                raise FileNotFoundError(f"COCO-Text annotation file not found: {annotations}")
            if src not in path.parents:
                raise ValueError(f"the annotation file {path} must lie inside SRC {src}")
            return path
        found = [p for p in _walk(src) if p.suffix.lower() == ".json"]
        if len(found) > 1:
            found = [p for p in found if "text" in p.name.lower()] or found
        if len(found) != 1:
            raise ValueError(f"expected one COCO-Text JSON under {src}, found {len(found)} "
                             f"({', '.join(_rel(p, src) for p in found[:5])}); name it with --annotations")
        return found[0]

    def scan(self, src: Path, annotations: Optional[str] = None, split: Optional[str] = None, **_options) -> Scan:
        json_path = self._find_json(src, annotations)
        try:
            data = json.loads(json_path.read_bytes().decode("utf-8-sig"))
        except (ValueError, UnicodeError) as exc:
            raise ValueError(f"{json_path}: not a readable JSON file: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("imgs"), dict) or not isinstance(
                data.get("anns"), dict):
            raise ValueError(f"{json_path}: not a COCO-Text file (needs 'imgs' and 'anns' objects)")
        by_name: Dict[str, List[Path]] = {}
        for p in _walk(src):
            if p.suffix.lower() in IMAGE_EXTENSIONS:
                by_name.setdefault(p.name, []).append(p)
        anns_of: Dict[int, List[dict]] = {}
        problems: Dict[int, str] = {}  # image id -> what is wrong with its annotations
        errors: List[BadInput] = []
        img_to_anns = data.get("imgToAnns")
        if isinstance(img_to_anns, dict) and img_to_anns:
            # The file's own per-image order, which the reader (and the loaders) follow.
            for key, lst in img_to_anns.items():
                try:
                    img_id = int(key)
                except ValueError:
                    errors.append(BadInput(_rel(json_path, src), "malformed-gt", f"imgToAnns key {key!r} is not an id"))
                    continue
                for aid in lst if isinstance(lst, list) else []:
                    ann = data["anns"].get(str(aid))
                    if ann is None:
                        problems.setdefault(img_id, f"imgToAnns[{key}] names a missing annotation {aid!r}")
                    else:
                        anns_of.setdefault(img_id, []).append(ann)
        else:
            for key, ann in sorted(data["anns"].items(), key=lambda kv: str(kv[0]).zfill(20)):
                try:
                    anns_of.setdefault(int(ann["image_id"]), []).append(ann)
                except (KeyError, TypeError, ValueError):
                    errors.append(BadInput(_rel(json_path, src), "malformed-gt",
                                           f"annotation {key!r} has no integer image_id"))
        images = []
        for key, img in data["imgs"].items():
            try:
                img_id, name = int(img["id"]), str(img["file_name"])
            except (KeyError, TypeError, ValueError):
                errors.append(BadInput(_rel(json_path, src), "malformed-gt", f"image entry {key!r} lacks id/file_name"))
                continue
            if split is not None and img.get("set") != split:
                continue
            images.append((img_id, name, img))
        images.sort(key=lambda t: t[0])
        samples = []
        for index, (img_id, name, img) in enumerate(images):
            paths = by_name.get(name, [])
            path = paths[0] if len(paths) == 1 else src / name
            s = Sample(index=index, key=_rel(path, src), image=path, coco_image=img,
                       coco_anns=list(anns_of.get(img_id, [])))
            s.num_instances = len(s.coco_anns)
            if not paths:
                s.error = BadInput(name, "missing-image", f"image {img_id} is in {json_path.name} but not under SRC",
                                   index)
            elif len(paths) > 1:
                s.error = BadInput(name, "ambiguous-image", f"{len(paths)} files named {name} under SRC: "
                                   f"{[_rel(p, src) for p in paths]}", index)
            elif img_id in problems:
                s.error = BadInput(_rel(json_path, src), "malformed-gt", problems[img_id], index)
            else:
                for ann in s.coco_anns:
                    if not _coco_ann_ok(ann):
                        s.error = BadInput(_rel(json_path, src), "malformed-gt",
                                           f"annotation {ann.get('id')!r} of image {img_id} has no valid bbox", index)
                        break
            if s.error is not None:
                errors.append(s.error)
            samples.append(s)
        first_image_id = max([int(i[0]) for i in images] + [int(v.get("id", 0)) for v in data["imgs"].values()
                                                             if str(v.get("id", "")).isdigit()] + [0]) + 1
        ann_ids = [int(a["id"]) for a in data["anns"].values() if str(a.get("id", "")).lstrip("-").isdigit()]
        extra = {"json": json_path, "data": data, "first_ann_id": max(ann_ids + [0]) + 1}
        return Scan(samples, errors, first_image_id, extra)

    def outputs(self, src: Path, dst: Path, sample: Sample, new_id: Optional[int]) -> Tuple[Path, None]:
        img_dir = dst / sample.image.parent.relative_to(src)
        if new_id is None:
            return img_dir / sample.image.name, None
        return img_dir / (numbered_stem(sample.image.stem, new_id) + sample.image.suffix), None

    def write_gt(self, sample: Sample, path) -> None:  # the JSON is written once, at the merge
        return None


def _coco_ann_ok(ann: dict) -> bool:
    bbox = ann.get("bbox")
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return False
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return False
    return w >= 0 and h >= 0


FORMATS = ("icdar2015", "icdar2013", "cocotext")


def get_format(name: str) -> Union[IcdarFormat, CocoTextFormat]:
    """The format object for ``"icdar2015"``, ``"icdar2013"`` or ``"cocotext"`` (``ValueError`` for another)."""
    if name == "icdar2015":
        return IcdarFormat(2015)
    if name == "icdar2013":
        return IcdarFormat(2013)
    if name == "cocotext":
        return CocoTextFormat()
    raise ValueError(f"unknown format {name!r}; choose one of {FORMATS}")


def write_cocotext_json(path: Path, source: dict, images: Sequence[Tuple[dict, List[dict]]]) -> None:
    """Write a COCO-Text JSON with ``images`` = [(imgs entry, its anns entries)] (atomically).

    Keeps the source's other top-level fields (``info``, ``cats``...), rebuilds ``imgs``, ``anns`` and
    ``imgToAnns`` (string keys, as COCO-Text has them).
    """
    from textvision.augment.fileio import atomic_write_text

    out = {k: v for k, v in source.items() if k not in ("imgs", "anns", "imgToAnns")}
    out["imgs"], out["anns"], out["imgToAnns"] = {}, {}, {}
    for img, anns in images:
        out["imgs"][str(img["id"])] = img
        out["imgToAnns"][str(img["id"])] = [int(a["id"]) for a in anns]
        for a in anns:
            out["anns"][str(a["id"])] = a
    atomic_write_text(path, json.dumps(out, ensure_ascii=False))
