"""Write synthetic scenes to disk in ICDAR 2015 layout (used by ``textvision synth``)."""
from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from textvision.data.icdar import format_icdar2015
from textvision.io import IMAGE_SUFFIXES, atomic_write_text, check_output_dir, write_image

__all__ = ["SynthWriteResult", "write_synth_dataset"]


@dataclass(frozen=True)
class SynthWriteResult:
    """What :func:`write_synth_dataset` did.

    Attributes:
        written: scenes rendered and written by this call.
        skipped: scenes already complete in ``out`` (their gt file exists), kept as they were.
        words: word instances in the written scenes.
        seconds: wall time of the rendering and writing.
        scenes_per_s: ``written / seconds`` (``inf`` for a zero time).
    """

    written: int
    skipped: int
    words: int
    seconds: float
    scenes_per_s: float


def _paths(out: Path, k: int, fmt: str):
    return (out / "images" / f"img_{k}.{fmt}", out / "gt" / f"gt_img_{k}.txt", out / "masks" / f"img_{k}.png")


def _render_one(job) -> Tuple[int, int]:
    out, k, size, seed, fmt, kwargs = job
    from textvision.data.synth import render_scene

    cv2.setNumThreads(1)  # one scene per process; OpenCV threads would only contend
    scene = render_scene((seed, k - 1), size, **kwargs)
    img_p, gt_p, mask_p = _paths(out, k, fmt)
    write_image(img_p, scene.image, jpeg_quality=95)
    write_image(mask_p, scene.mask * np.uint8(255))
    # The ground truth is written last: its presence marks a complete item (resume logic).
    atomic_write_text(gt_p, format_icdar2015(scene.instances))
    return k, len(scene.instances)


def write_synth_dataset(out, n: int, size=(512, 512), seed: int = 0, fmt: str = "jpg",
                        workers: Optional[int] = None, fonts: Sequence = (), backgrounds=None,
                        overwrite: bool = False, progress: bool = False, **render_kwargs) -> SynthWriteResult:
    """Render ``n`` scenes into ``out/images``, ``out/gt`` (ICDAR 2015 files) and ``out/masks``.

    Scene ``k`` (1-based file names) is ``render_scene((seed, k - 1), size, ...)``. Returns the counts and
    timing as a :class:`SynthWriteResult`.

    Raises:
        ValueError: ``out`` (or one of its sub-folders) cannot be written, checked before any rendering;
            an unknown ``fmt``; a backgrounds folder without images. FileNotFoundError: a missing font
            file or backgrounds folder.
    """
    out = Path(out)
    if fmt not in ("jpg", "png"):
        raise ValueError(f"fmt must be 'jpg' or 'png', got {fmt!r}")
    kwargs = dict(render_kwargs)
    if fonts:
        missing = [f for f in fonts if not Path(f).is_file()]
        if missing:
            raise FileNotFoundError(f"font file(s) not found: {missing}")
        kwargs["fonts"] = [str(f) for f in fonts]
    if backgrounds:
        bdir = Path(backgrounds)
        if not bdir.is_dir():
            raise FileNotFoundError(f"backgrounds folder not found: {bdir}")
        files = sorted(str(p) for p in bdir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in backgrounds folder {bdir}")
        kwargs["backgrounds"] = files
    # Before any rendering: a read-only or mistyped output must fail in one line, not midway.
    for sub in ("images", "gt", "masks"):
        check_output_dir(out / sub, what="output folder")
    todo = [k for k in range(1, n + 1) if overwrite or not _paths(out, k, fmt)[1].is_file()]
    jobs = [(out, k, (int(size[0]), int(size[1])), int(seed), fmt, kwargs) for k in todo]
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    workers = max(1, min(int(workers), len(jobs) or 1))
    import textvision.data.synth  # noqa: F401  (loaded once here, inherited by forked workers)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="img", desc="synth")
    words = 0
    t0 = time.perf_counter()
    if workers == 1:
        results = map(_render_one, jobs)
        for _, nw in results:
            words += nw
            if bar is not None:
                bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for _, nw in pool.map(_render_one, jobs, chunksize=4):
                words += nw
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    dt = time.perf_counter() - t0
    return SynthWriteResult(written=len(jobs), skipped=n - len(jobs), words=words, seconds=dt,
                            scenes_per_s=len(jobs) / dt if dt > 0 else float("inf"))
