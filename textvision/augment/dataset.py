"""Augment a whole ICDAR / COCO-Text training set with selective text style transfer.

:func:`augment_dataset` writes ``styles_per_image`` restyled copies of every image of SRC into DST,
each with its ground truth (same geometry, same transcriptions, don't-care kept), in SRC's format and
folder layout, plus:

- ``DST/augment_manifest.csv``: one row per output (output image and gt, source image and gt, copy
  index, style);
- ``DST/augment_summary.json``: counts, bad inputs (file, kind, message), seed, styles used, time;
- ``DST/.textvision-augment/``: the run's settings (``config.json``) and one record per finished
  shard, from which the two files above are merged.

Guarantees:

- SRC is only read: DST inside SRC (or SRC inside DST) is refused; every output is written to a
  temporary name and renamed, so no half-written file ever carries a real name.
- Deterministic: the styles of an image's copies come from an RNG seeded by ``(seed, the image's
  path relative to SRC)``, output ids from the image's position in the sorted listing, and every copy
  of an image is computed in the same batches whatever the sharding, so a sharded, resumed or
  single-process run writes the same bytes (on one device type).
- Resumable: a re-run with the same settings skips outputs that exist; different settings into the
  same DST are refused.
- Scales out: ``shard=(i, n)`` (``--shard i/n``, or ``RANK``/``WORLD_SIZE`` under ``torchrun``)
  processes images ``j`` with ``j % n == i``; ``workers=W`` splits a shard over W local processes.
  The last shard to finish merges the manifest, the summary and (COCO-Text) the JSON.
- Bad inputs (missing gt, malformed gt line, unreadable image, image missing on disk) are reported
  with their file (logged on ``textvision.augment``), counted, and skipped; the run continues. With
  ``lenient`` a malformed ICDAR gt line is left out of the copied gt instead and the image is kept.
- Images are read with :func:`textvision.io.read_rgb` (pixels as stored, EXIF orientation ignored, as
  the gt refers to them; a truncated JPEG decodes with a warning, as everywhere in textvision) and
  written with :func:`textvision.io.write_image` (atomic; the format from the source's suffix).
- DST is checked for writability before any work.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

import textvision.io as tvio
from textvision.augment.fileio import atomic_write_bytes, atomic_write_text, check_src_dst, remove_stale_temps
from textvision.augment.formats import BadInput, Sample, Scan, get_format, write_cocotext_json

__all__ = ["AugmentOptions", "AugmentResult", "augment_dataset", "plan_styles", "Shard", "parse_shard",
           "WORK_DIR", "MANIFEST_NAME", "SUMMARY_NAME"]

WORK_DIR = ".textvision-augment"
MANIFEST_NAME = "augment_manifest.csv"
SUMMARY_NAME = "augment_summary.json"
MANIFEST_FIELDS = ("output_image", "output_gt", "source_image", "source_gt", "copy", "style")
ORIGINAL = "original"  # the ``style`` of a copied original in the manifest

logger = logging.getLogger("textvision.augment")


@dataclass
class AugmentOptions:
    """Settings of one augmentation run (those that change the outputs are checked on resume).

    Attributes:
        format: ``"icdar2015"``, ``"icdar2013"`` or ``"cocotext"``.
        model: a style checkpoint path (``textvision.style.save_style_model``) or registry name
            (resolved like ``textvision.models.style_net``'s ``weights``).
        styles_per_image: K restyled copies per image (>= 1).
        include_originals: also copy each usable original (image bytes and gt) under its own name.
        seed: the run's seed.
        styles: style names to draw from (default: all of the model's).
        mode: ``"two-stage"`` or ``"distilled"`` (default: the checkpoint's ``kind``).
        fcn: TextFCN checkpoint for two-stage (default: the shipped lite weights).
        threshold: two-stage: zero the text map below this first (background kept exactly).
        device: torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``); under torchrun ``"cuda"`` means
            ``cuda:$LOCAL_RANK``.
        batch_size: copies per forward pass.
        jpeg_quality: quality of re-encoded JPEG outputs (PNG is lossless).
        annotations: COCO-Text: the JSON file (relative to SRC), when SRC holds more than one.
        split: COCO-Text: only images whose ``set`` is this (``"train"``, ``"val"``).
        skip_empty: leave out images without any annotated word (many COCO-Text images): restyling
            them costs as much and changes nothing the detector learns from.
        lenient: ICDAR formats: a malformed gt line (too few or non-numeric coordinates) is left out
            of the copied gt, with a warning, instead of the whole image being skipped as bad input.
    """

    format: str
    model: str
    styles_per_image: int = 1
    include_originals: bool = False
    seed: int = 0
    styles: Optional[Sequence[str]] = None
    mode: Optional[str] = None
    fcn: Optional[str] = None
    threshold: Optional[float] = None
    device: str = "cpu"
    batch_size: int = 4
    jpeg_quality: int = 95
    annotations: Optional[str] = None
    split: Optional[str] = None
    skip_empty: bool = False
    lenient: bool = False


@dataclass
class AugmentResult:
    """What one call did (this process's shard(s)); the merged totals are in ``summary``.

    Attributes:
        written: outputs (images) written by this call.
        resumed: outputs found finished and skipped.
        images: source images handled by this call (bad ones included).
        errors: bad inputs met by this call.
        merged: True when this call merged the manifest and summary (every shard had finished).
        summary: the merged summary dict when ``merged``, else None.
        elapsed_s: wall time of this call.
    """

    written: int = 0
    resumed: int = 0
    images: int = 0
    errors: List[dict] = field(default_factory=list)
    merged: bool = False
    summary: Optional[dict] = None
    elapsed_s: float = 0.0


@dataclass
class _Planned:
    index: int
    copy: int  # -1: the copied original
    image: Path
    gt: Optional[Path]
    style: str
    new_id: Optional[int]


class Shard(NamedTuple):
    """Shard ``index`` of ``count``: the images ``j`` with ``j % count == index`` (``0 <= index < count``)."""

    index: int
    count: int


def parse_shard(text: Optional[str]) -> Optional[Shard]:
    """``"2/8"`` -> ``Shard(index=2, count=8)``; validates ``0 <= i < n``. None stays None."""
    if text is None:
        return None
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard i/n needs 0 <= i < n, got {text!r}")
    return Shard(i, n)


def _env_shard() -> Optional[Shard]:
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        return parse_shard(f"{os.environ['RANK']}/{os.environ['WORLD_SIZE']}")
    return None


def _key_seed(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")


def plan_styles(seed: int, key: str, pool: Sequence[str], k: int) -> List[str]:
    """The styles of the ``k`` copies of the image ``key`` (its path relative to SRC).

    An RNG seeded by ``(seed, key)`` -- not by the image's position or its shard -- draws a
    permutation of ``pool``; the copies take its first ``k`` entries (distinct styles while
    ``k <= len(pool)``; beyond that, further permutations are appended). Copy ``c`` always gets the
    same style, however the run is split or resumed.
    """
    s = int(seed) % (1 << 64)  # negative seeds too: SeedSequence takes non-negative words
    rng = np.random.default_rng([s & 0xFFFFFFFF, s >> 32, _key_seed(key)])
    out: List[str] = []
    while len(out) < k:
        out.extend(pool[i] for i in rng.permutation(len(pool)))
    return out[:k]


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Job:
    """Everything derived from SRC and the options: the scan, the plan, the settings fingerprint."""

    def __init__(self, src, dst, opts: AugmentOptions):
        from textvision.style.inference import read_checkpoint, style_weights_path

        if int(opts.styles_per_image) < 1:
            raise ValueError(f"styles_per_image must be >= 1, got {opts.styles_per_image}")
        if int(opts.batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {opts.batch_size}")
        if opts.threshold is not None and not 0.0 <= float(opts.threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {opts.threshold}")
        if opts.format != "cocotext" and (opts.annotations is not None or opts.split is not None):
            raise ValueError("annotations/split apply to the cocotext format only")
        if opts.lenient and opts.format == "cocotext":
            raise ValueError("lenient applies to the ICDAR formats (malformed gt lines); COCO-Text "
                             "annotations without a valid bbox are always reported and skipped")
        self.src, self.dst = check_src_dst(src, dst)
        # Before the scan and the model: a DST that cannot be written is one line now, not an OSError later.
        tvio.check_output_dir(self.dst, "DST")
        self.opts = opts
        self.fmt = get_format(opts.format)
        self.model_path = style_weights_path(opts.model)
        ckpt = read_checkpoint(self.model_path)
        self.style_names = list(ckpt["style_names"])
        self.kind = ckpt["kind"]
        self.mode = opts.mode or self.kind
        if self.mode not in ("two-stage", "distilled"):
            raise ValueError(f"mode must be 'two-stage' or 'distilled', got {self.mode!r}")
        if self.mode == "distilled" and (opts.fcn is not None or opts.threshold is not None):
            raise ValueError("fcn/threshold apply to the two-stage mode only")
        self.fcn_path = None
        if self.mode == "two-stage":
            from textvision.weights import resolve

            # Say so now, not after the scan at the first image (registry names and paths alike).
            self.fcn_path = resolve(opts.fcn or "default", "text_fcn")
        pool = list(opts.styles) if opts.styles else list(self.style_names)
        unknown = [s for s in pool if s not in self.style_names]
        if unknown or not pool:
            raise ValueError(f"unknown style(s) {unknown}; {opts.model} has styles {self.style_names}")
        self.pool = pool
        self.scan: Scan = self.fmt.scan(self.src, annotations=opts.annotations, split=opts.split,
                                        lenient=bool(opts.lenient))
        if not self.scan.samples:
            raise ValueError(f"{self.src} holds no {opts.format} images"
                             + (f" ({len(self.scan.errors)} bad input(s), e.g. {self.scan.errors[0].file}: "
                                f"{self.scan.errors[0].message})" if self.scan.errors else ""))
        self.k = int(opts.styles_per_image)
        self.plan: Dict[int, List[_Planned]] = {}
        self.skipped_empty = set()
        seen: Dict[Path, str] = {}
        for s in self.scan.samples:
            if s.error is not None:
                continue
            if opts.skip_empty and s.num_instances == 0:
                self.skipped_empty.add(s.index)
                continue
            items = []
            if opts.include_originals:
                img, gt = self.fmt.outputs(self.src, self.dst, s, None)
                items.append(_Planned(s.index, -1, img, gt, ORIGINAL, None))
            for c, style in enumerate(plan_styles(opts.seed, s.key, pool, self.k)):
                new_id = self.scan.first_new_id + s.index * self.k + c
                img, gt = self.fmt.outputs(self.src, self.dst, s, new_id)
                items.append(_Planned(s.index, c, img, gt, style, new_id))
            for p in items:
                for path in (p.image, p.gt):
                    if path is not None:
                        if path in seen:  # a last line of defence; the scan reports same-stem images
                            raise ValueError(f"two outputs would be written to {path} "
                                             f"({seen[path]} and {s.key}); rename one of the sources")
                        seen[path] = s.key
            self.plan[s.index] = items
        if not self.plan:
            # Nothing can be written: say why now, before DST holds a manifest of nothing.
            bad = [e for e in self.scan.errors if e.index is not None]
            why = [f"{len(bad)} bad input(s), e.g. {bad[0].file}: {bad[0].message}"] if bad else []
            if self.skipped_empty:
                why.append(f"{len(self.skipped_empty)} without an annotated word (skip_empty)")
            raise ValueError(f"nothing to augment: none of the {len(self.scan.samples)} image(s) of {self.src} "
                             f"can be used ({'; '.join(why)})")
        listing = hashlib.sha256("\n".join(s.key for s in self.scan.samples).encode()).hexdigest()
        self.fingerprint = {
            "format": opts.format, "model_sha256": _sha256(self.model_path),
            "fcn_sha256": _sha256(self.fcn_path) if opts.fcn else None, "mode": self.mode,
            "threshold": opts.threshold, "styles_per_image": self.k,
            "include_originals": bool(opts.include_originals), "seed": int(opts.seed), "styles": pool,
            "jpeg_quality": int(opts.jpeg_quality), "annotations": opts.annotations, "split": opts.split,
            "skip_empty": bool(opts.skip_empty),
            "num_images": len(self.scan.samples), "listing_sha256": listing,
        }
        if opts.lenient:  # only when set, so that runs made before the option existed still resume
            self.fingerprint["lenient"] = True
        self.work = self.dst / WORK_DIR

    # ------------------------------------------------------------------ settings on disk
    def check_or_write_config(self) -> None:
        path = self.work / "config.json"
        if path.is_file():
            old = json.loads(path.read_text("utf-8"))
            diff = sorted(k for k in set(old) | set(self.fingerprint) if old.get(k) != self.fingerprint.get(k))
            if diff:
                raise ValueError(f"{self.dst} holds a run made with different settings or a changed SRC "
                                 f"({', '.join(diff)}); use a new DST, or remove {self.dst} to start over")
            return
        atomic_write_text(path, json.dumps(self.fingerprint, indent=1, sort_keys=True))

    def rel(self, path: Optional[Path], root: Path) -> str:
        return "" if path is None else path.relative_to(root).as_posix()

    def row(self, p: _Planned) -> dict:
        s = self.scan.samples[p.index]
        return {"output_image": self.rel(p.image, self.dst), "output_gt": self.rel(p.gt, self.dst),
                "source_image": s.key, "source_gt": self.rel(s.gt, self.src), "copy": p.copy, "style": p.style}


# ---------------------------------------------------------------------------------------------- engine
class _Styler:
    """Loads the style model (and the TextFCN for two-stage) once per process."""

    def __init__(self, job: _Job):
        import torch

        from textvision.models.style import style_net

        device = job.opts.device
        if device == "cuda" and "LOCAL_RANK" in os.environ:
            device = f"cuda:{int(os.environ['LOCAL_RANK'])}"
        self.device = torch.device(device)
        self.model = style_net(weights=job.model_path).to(self.device)
        self.mode, self.threshold, self.batch = job.mode, job.opts.threshold, int(job.opts.batch_size)
        self.fcn = None
        if self.mode == "two-stage" and job.opts.fcn:
            from textvision.models.text_fcn import text_fcn

            self.fcn = text_fcn(weights=job.opts.fcn).to(self.device)

    def __call__(self, image: np.ndarray, styles: List[str]) -> List[np.ndarray]:
        from textvision.style.inference import stylize_batch

        heatmaps = None
        if self.mode == "two-stage":
            from textvision.text_fcn import segment

            hm = segment(image, model=self.fcn, device=self.device)
            heatmaps = [hm] * len(styles)
        return stylize_batch([image] * len(styles), self.model, list(styles), mode=self.mode,
                             heatmaps=heatmaps, threshold=self.threshold, batch_size=self.batch,
                             device=self.device)


def _run_shard(job: _Job, shard: Tuple[int, int], progress: bool, position: int = 0) -> dict:
    """Process one shard and write its record; returns the record."""
    t0 = time.time()
    i, n = shard
    mine = [s for s in job.scan.samples if s.index % n == i]
    styler = None
    rows: List[dict] = []
    errors: List[dict] = []
    written = resumed = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(mine), unit="img", desc=f"augment {i}/{n}" if n > 1 else "augment",
                   position=position, dynamic_ncols=True, file=sys.stderr)
    try:
        for s in mine:
            if s.error is not None:
                errors.append(s.error.as_dict())
                logger.warning("skipped %s: %s: %s", s.error.file, s.error.kind, s.error.message)
            elif s.index in job.skipped_empty:
                pass
            else:
                planned = job.plan[s.index]
                todo = [p for p in planned if not (p.image.is_file() and (p.gt is None or p.gt.is_file()))]
                resumed += len(planned) - len(todo)
                try:
                    if todo:
                        if styler is None:
                            styler = _Styler(job)
                        written += _process(job, styler, s, planned, todo)
                except _BadImage as exc:
                    err = BadInput(s.key, "unreadable-image", str(exc), s.index)
                    errors.append(err.as_dict())
                    logger.warning("skipped %s: %s: %s", err.file, err.kind, err.message)
                else:
                    rows.extend(job.row(p) for p in planned)
            if bar is not None:
                bar.set_postfix(written=written, resumed=resumed, bad=len(errors), refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    record = {"shard": [i, n], "rows": rows, "errors": errors, "written": written, "resumed": resumed,
              "images": len(mine), "elapsed_s": round(time.time() - t0, 3)}
    atomic_write_text(job.work / "shards" / f"shard-{i}-of-{n}.json", json.dumps(record))
    return record


class _BadImage(Exception):
    pass


def _process(job: _Job, styler: _Styler, s: Sample, planned: List[_Planned], todo: List[_Planned]) -> int:
    todo_ids = {id(p) for p in todo}
    copies = [p for p in planned if p.copy >= 0]
    styled: List[Optional[np.ndarray]] = [None] * len(copies)
    if any(id(p) in todo_ids for p in copies):
        try:
            image = tvio.read_rgb(s.image)
        except (ValueError, OSError) as exc:
            raise _BadImage(str(exc)) from None
        # All copies of the image in the same batches, even those already on disk: the forward
        # passes (and so the bytes) never depend on what an earlier, interrupted run finished.
        styled = styler(image, [p.style for p in copies])
    written = 0
    for p in planned:
        if id(p) not in todo_ids:
            continue
        data = None
        if p.copy < 0:
            try:
                data = s.image.read_bytes()
            except OSError as exc:
                raise _BadImage(str(exc)) from None
        # The gt first, the image last: loaders walk images, so an interrupted run never shows them an
        # image without its gt, and an output counts as finished once its image exists.
        if p.gt is not None:
            job.fmt.write_gt(s, p.gt)
        if data is not None:  # the original, byte for byte
            atomic_write_bytes(p.image, data)
        else:  # same encoder and parameters whoever runs it, so shards and resumes write the same bytes
            tvio.write_image(p.image, styled[p.copy], jpeg_quality=job.opts.jpeg_quality)
        written += 1
    return written


# ---------------------------------------------------------------------------------------------- merge
def _covered(records: List[dict], num: int) -> bool:
    seen = np.zeros(num, bool)
    for r in records:
        i, n = r["shard"]
        seen[i::n] = True
    return bool(seen.all())


def _load_records(job: _Job) -> List[dict]:
    out = []
    folder = job.work / "shards"
    if folder.is_dir():
        for p in sorted(folder.glob("shard-*-of-*.json")):
            try:
                out.append(json.loads(p.read_text("utf-8")))
            except (ValueError, OSError):
                continue  # a record is written atomically; an unreadable one is simply not counted
    return out


def _try_merge(job: _Job, records: List[dict], started: float) -> Optional[dict]:
    """Merge the shard records into the manifest, the summary (and the COCO-Text JSON) when complete."""
    if not _covered(records, len(job.scan.samples)):
        return None
    # Records from earlier runs with another sharding may overlap: rows and errors are deduplicated.
    rows: Dict[str, dict] = {}
    errors: Dict[Tuple[str, str, str], dict] = {}
    for r in records:
        for row in r["rows"]:
            rows[row["output_image"]] = row
        for e in r["errors"]:
            errors[(e["file"], e["kind"], e["message"])] = e
    # Problems that belong to no image (gt files without an image) are reported once, here.
    for e in job.scan.errors:
        if e.index is None:
            errors.setdefault((e.file, e.kind, e.message), e.as_dict())
    order = {s.key: s.index for s in job.scan.samples}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r["source_image"], -1), int(r["copy"])))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(ordered)
    atomic_write_text(job.dst / MANIFEST_NAME, buf.getvalue())
    if job.opts.format == "cocotext":
        _write_coco(job, rows)
    # The image loops have all finished, so their leftovers are stale. Merges, though, can run in two
    # ranks at once (both saw the last record): spare recent temporaries of the merged files.
    merged_names = {MANIFEST_NAME, SUMMARY_NAME}
    if job.opts.format == "cocotext":
        merged_names.add(job.scan.extra["json"].name)

    def spare(path: Path) -> bool:
        merging = job.work in path.parents or any(path.name.endswith("-" + n) for n in merged_names)
        try:
            return merging and time.time() - path.stat().st_mtime < 600
        except OSError:
            return True

    remove_stale_temps(job.dst, spare)
    styles_used: Dict[str, int] = {}
    for row in ordered:
        if row["style"] != ORIGINAL:
            styles_used[row["style"]] = styles_used.get(row["style"], 0) + 1
    kinds: Dict[str, int] = {}
    for e in errors.values():
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    ok_images = {row["source_image"] for row in ordered}
    summary = {
        "format": job.opts.format, "src": str(job.src), "dst": str(job.dst), "model": str(job.opts.model),
        "lenient": bool(job.opts.lenient),
        "mode": job.mode, "seed": int(job.opts.seed), "styles_per_image": job.k,
        "include_originals": bool(job.opts.include_originals), "threshold": job.opts.threshold,
        "images_found": len(job.scan.samples), "images_augmented": len(ok_images),
        "images_skipped_empty": len(job.skipped_empty),
        "outputs": sum(1 for r in ordered if r["style"] != ORIGINAL),
        "originals": sum(1 for r in ordered if r["style"] == ORIGINAL),
        "bad_inputs": len(errors), "bad_inputs_by_kind": dict(sorted(kinds.items())),
        "styles_used": dict(sorted(styles_used.items())),
        "errors": sorted(errors.values(), key=lambda e: (e["file"], e["kind"], e["message"])),
        "shards": sorted(({"shard": f"{r['shard'][0]}/{r['shard'][1]}", "images": r["images"],
                           "written": r["written"], "resumed": r["resumed"], "elapsed_s": r["elapsed_s"]}
                          for r in records), key=lambda d: d["shard"]),
        "elapsed_s": round(time.time() - started, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_text(job.dst / SUMMARY_NAME, json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def _write_coco(job: _Job, rows: Dict[str, dict]) -> None:
    scan = job.scan
    next_ann = scan.extra["first_ann_id"]
    images = []
    for s in scan.samples:
        for p in job.plan.get(s.index, []):
            if job.rel(p.image, job.dst) not in rows:
                continue  # unreadable image: no output
            if p.new_id is None:
                images.append((s.coco_image, s.coco_anns))
                continue
            img = dict(s.coco_image, id=p.new_id, file_name=p.image.name)
            anns = []
            for a in s.coco_anns:
                anns.append(dict(a, id=next_ann, image_id=p.new_id))
                next_ann += 1
            images.append((img, anns))
    images.sort(key=lambda t: int(t[0]["id"]))
    out = job.dst / scan.extra["json"].relative_to(job.src)
    write_cocotext_json(out, scan.extra["data"], images)


# ---------------------------------------------------------------------------------------------- entry
def _worker_main(src, dst, opts_dict, shard, position, progress, threads):  # pragma: no cover (subprocess)
    import torch

    torch.set_num_threads(threads)
    job = _Job(src, dst, AugmentOptions(**opts_dict))
    _run_shard(job, shard, progress, position)


def augment_dataset(src, dst, options: AugmentOptions, *, shard: Optional[Tuple[int, int]] = None,
                    workers: int = 1, progress: bool = True) -> AugmentResult:
    """Write restyled copies of every image under ``src`` (with ground truth) into ``dst``.

    Args:
        src: the source dataset folder (only read).
        dst: the output folder (created; must not overlap ``src``).
        options: see :class:`AugmentOptions`.
        shard: ``(i, n)``: process images ``j % n == i`` only. Default: ``RANK``/``WORLD_SIZE`` from the
            environment when set (torchrun), else the whole set.
        workers: local processes sharing this shard (each loads the model once).
        progress: show a tqdm bar (images/s) on stderr.

    Returns:
        :class:`AugmentResult`; when this call completed the last shard, ``merged`` is True and
        ``summary`` holds the merged summary (also written to ``DST/augment_summary.json``).
    """
    started = time.time()
    if int(workers) < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    shard = shard if shard is not None else (_env_shard() or (0, 1))
    i, n = shard
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard must be (i, n) with 0 <= i < n, got {shard}")
    job = _Job(src, dst, options)
    job.dst.mkdir(parents=True, exist_ok=True)
    job.check_or_write_config()
    W = int(workers)
    subshards = [(i + w * n, n * W) for w in range(W)]  # images j % (nW) == i + wn  <=>  j % n == i
    if W == 1:
        records = [_run_shard(job, shard, progress)]
    else:
        import multiprocessing as mp

        threads = max(1, (os.cpu_count() or 1) // W)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker_main, args=(str(src), str(dst), asdict(options), sub, w, progress,
                                                        threads)) for w, sub in enumerate(subshards)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        failed = [sub for sub, p in zip(subshards, procs) if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"augment worker(s) for shard(s) {failed} failed; re-run the same command "
                               f"to resume (textvision augment: with --resume)")
        records = []
        for sub in subshards:
            path = job.work / "shards" / f"shard-{sub[0]}-of-{sub[1]}.json"
            records.append(json.loads(path.read_text("utf-8")))
    res = AugmentResult(written=sum(r["written"] for r in records), resumed=sum(r["resumed"] for r in records),
                        images=sum(r["images"] for r in records),
                        errors=[e for r in records for e in r["errors"]])
    summary = _try_merge(job, _load_records(job), started)
    res.merged, res.summary = summary is not None, summary
    res.elapsed_s = round(time.time() - started, 3)
    return res
