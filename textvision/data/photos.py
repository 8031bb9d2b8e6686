"""Real photographs as training material: find the usable ones, and serve them as scene backgrounds.

- :func:`scan_photos`: recursively list the image files under some folders, decode each once with
  :func:`textvision.io.read_rgb`, and keep the ones that decode and are large enough. Bad files
  (corrupt, not an image, too small) are skipped with a reason and a logged count, never an error:
  system folders of wallpapers and sample images always hold a few.
- :class:`PhotoBackgrounds`: a lazy, downscaled, cached sequence of those photos, in the form
  :func:`textvision.data.synth.render_scene` takes as ``backgrounds=`` (a sequence of uint8 RGB arrays).

``exclude=`` glob patterns keep evaluation photographs out: e.g. the OpenCV documentation package also
carries the scene-text evaluation photos under ``.../opencv-doc/examples/text/``, so a scan of
``.../opencv-doc/examples`` for training must pass ``exclude=["*/examples/text/*"]``.
"""
from __future__ import annotations

import fnmatch
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence as _SequenceABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Sequence, Union

import numpy as np

from textvision import io

__all__ = ["SkippedPhoto", "SkippedCounts", "PhotoScan", "scan_photos", "PhotoBackgrounds", "downscale_to"]

log = logging.getLogger("textvision.data.photos")

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class SkippedPhoto:
    """A file with an image name that :func:`scan_photos` did not keep.

    Attributes:
        path: the file as found.
        reason: ``"unreadable"`` (corrupt, empty, not an image despite its name), ``"too small"``
            (shorter side below ``min_side``) or ``"duplicate"`` (the same file reached twice, e.g.
            through a symbolic link).
        detail: a human-readable explanation (the decoder's message, the size found).
    """

    path: Path
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class SkippedCounts:
    """How many files :func:`scan_photos` skipped, per reason (the reasons of :class:`SkippedPhoto`).

    The reasons are a fixed set, so they are fields: ``counts.unreadable``, not ``counts["unreadable"]``.
    ``str(counts)`` is the human-readable summary used in logs and the CLI, e.g. ``"1 too small, 3 unreadable"``
    (reasons with a zero count left out; ``""`` when nothing was skipped).

    Attributes:
        unreadable: files that did not decode (corrupt, empty, not an image despite the name), >= 0.
        too_small: images whose shorter side is below ``min_side``, >= 0.
        duplicate: files reached a second time (symbolic links), >= 0.
    """

    unreadable: int = 0
    too_small: int = 0
    duplicate: int = 0

    @property
    def total(self) -> int:
        """All skipped files."""
        return self.unreadable + self.too_small + self.duplicate

    def __str__(self) -> str:
        # The reasons in alphabetical order, as SkippedPhoto spells them.
        parts = (("duplicate", self.duplicate), ("too small", self.too_small), ("unreadable", self.unreadable))
        return ", ".join(f"{n} {reason}" for reason, n in parts if n)


@dataclass
class PhotoScan:
    """The result of :func:`scan_photos`.

    Attributes:
        paths: usable photos, sorted, each decoded once successfully with ``io.read_rgb``.
        skipped: files with an image suffix that were not kept, with reasons.
        excluded: number of image files left out by an ``exclude`` pattern.
        other_files: number of files without an image suffix (sources, texts, archives); not decoded.
    """

    paths: List[Path] = field(default_factory=list)
    skipped: List[SkippedPhoto] = field(default_factory=list)
    excluded: int = 0
    other_files: int = 0

    def skipped_counts(self) -> SkippedCounts:
        """How many of :attr:`skipped` were skipped for each reason."""
        reasons = [s.reason for s in self.skipped]
        return SkippedCounts(unreadable=reasons.count("unreadable"), too_small=reasons.count("too small"),
                             duplicate=reasons.count("duplicate"))


def _check_patterns(exclude) -> List[str]:
    if exclude is None:
        return []
    if isinstance(exclude, (str, os.PathLike)):
        exclude = [exclude]
    pats = [os.fspath(p) for p in exclude]
    if any(not p for p in pats):
        raise ValueError("scan_photos: exclude patterns must be non-empty glob strings, e.g. '*/examples/text/*'")
    return pats


def _excluded(path: Path, patterns: Sequence[str]) -> bool:
    # Match the path as given and where it really lies: a symbolic link elsewhere must not smuggle an
    # evaluation photo past the pattern. fnmatchcase: the same answer on every platform; '*' crosses '/'.
    if not patterns:
        return False
    names = {path.as_posix(), Path(os.path.realpath(path)).as_posix()}
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)


def _walk(root: Path) -> Iterable[Path]:
    # os.walk does not follow symbolic links to folders (desktop-base's "active-theme" points at a theme
    # listed anyway); links to files are listed and de-duplicated by their real path later.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def scan_photos(dirs: Union[PathLike, Sequence[PathLike]], *, min_side: int = 64,
                exclude: Union[PathLike, Sequence[PathLike], None] = None) -> PhotoScan:
    """Find the usable photographs under folders (recursively) and among files.

    Every file whose name ends in one of :data:`textvision.io.IMAGE_SUFFIXES` (any case) is decoded
    once with :func:`textvision.io.read_rgb` (grey, RGBA and 16-bit files become 8-bit RGB there; a
    truncated JPEG decodes with a warning). Files that fail to decode, or whose shorter side is below
    ``min_side``, are skipped; the same file reached twice (symbolic links) is kept once. One bad file
    never stops the scan: the skipped files are returned with reasons and a warning logs their count.

    Args:
        dirs: a folder or image file, or a sequence of them. Folders are searched recursively.
        min_side: smallest accepted height and width, in pixels (>= 1). Icons and logos in wallpaper
            folders are not photographs.
        exclude: glob pattern(s) (``fnmatch``, case-sensitive, ``*`` also crosses ``/``) matched
            against each file's path as found and its resolved real path; matching files are left out
            without being read. Use it to keep evaluation photos out of training, e.g.
            ``"*/examples/text/*"``.

    Returns:
        :class:`PhotoScan` (``paths`` sorted by path).

    Raises:
        FileNotFoundError: a given folder or file does not exist.
        ValueError: ``min_side`` < 1, an empty exclude pattern.
    """
    if isinstance(min_side, bool) or not isinstance(min_side, (int, np.integer)) or min_side < 1:
        raise ValueError(f"scan_photos: min_side must be an integer >= 1, got {min_side!r}")
    patterns = _check_patterns(exclude)
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    roots = [Path(d) for d in dirs]
    missing = [str(r) for r in roots if not r.exists()]
    if missing:
        raise FileNotFoundError(f"scan_photos: no such folder or file: {', '.join(missing)}")

    scan = PhotoScan()
    seen = set()
    for root in roots:
        for path in (_walk(root) if root.is_dir() else [root]):
            if path.suffix.lower() not in io.IMAGE_SUFFIXES:
                scan.other_files += 1
                continue
            if _excluded(path, patterns):
                scan.excluded += 1
                continue
            real = os.path.realpath(path)
            if real in seen:
                scan.skipped.append(SkippedPhoto(path, "duplicate", f"same file as {real}"))
                continue
            seen.add(real)
            try:
                img = io.read_rgb(path)
            except (ValueError, OSError) as exc:  # OSError: unreadable (permissions), vanished meanwhile
                scan.skipped.append(SkippedPhoto(path, "unreadable", str(exc)))
                log.debug("skipped %s: %s", path, exc)
                continue
            h, w = img.shape[:2]
            if min(h, w) < min_side:
                scan.skipped.append(SkippedPhoto(path, "too small", f"{w}x{h}, min_side {min_side}"))
                continue
            scan.paths.append(path)
    scan.paths.sort()
    if scan.skipped:
        log.warning("scan_photos: skipped %d of %d image files (%s); kept %d", len(scan.skipped),
                    len(scan.skipped) + len(scan.paths), scan.skipped_counts(), len(scan.paths))
    log.info("scan_photos: %d photos, %d excluded by pattern, %d other files", len(scan.paths), scan.excluded,
             scan.other_files)
    return scan


def downscale_to(img: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (never enlarge) ``img`` so its longer side is at most ``max_side`` (area resampling).

    Args:
        img: uint8 [H, W] or [H, W, C].
        max_side: largest side after shrinking (>= 1).

    Returns:
        ``img`` itself when it already fits, otherwise a new array of the same dtype and channels.
    """
    import cv2

    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return img
    s = max_side / float(max(h, w))
    size = (max(1, min(max_side, int(round(w * s)))), max(1, min(max_side, int(round(h * s)))))
    # INTER_AREA averages the source pixels: no aliasing on the 3-4x shrink of 4K wallpapers.
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


class PhotoBackgrounds(_SequenceABC):
    """Photos as ``render_scene(backgrounds=...)`` takes them: a sequence of uint8 RGB arrays, loaded lazily.

    ``render_scene`` picks ``backgrounds[i]`` at random and crops it; items are decoded on first use,
    shrunk so their longer side is at most ``max_side`` (a 4K wallpaper costs 25 MB decoded, and the
    crops are resized to scene size anyway), and kept in a small LRU cache. The object pickles with its
    cache, so DataLoader workers each fill their own.

    Args:
        paths: photo files, e.g. ``scan_photos(...).paths``.
        max_side: longest side of the returned arrays (>= 16).
        cache_size: number of decoded photos kept in memory (>= 0; 0 = decode on every access).

    Items:
        uint8 [h, w, 3] RGB, C-contiguous, max(h, w) <= ``max_side``. The cached array is returned: do not
        modify it (``render_scene`` does not).

    Raises (on access):
        IndexError: index out of range. ValueError / FileNotFoundError: the file no longer decodes.
    """

    def __init__(self, paths: Sequence[PathLike], *, max_side: int = 1600, cache_size: int = 64):
        if isinstance(paths, (str, os.PathLike)):
            raise TypeError("PhotoBackgrounds: paths must be a sequence of photo files, got a single path; "
                            "use PhotoBackgrounds.from_dirs([folder]) to scan a folder")
        if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 16:
            raise ValueError(f"PhotoBackgrounds: max_side must be an integer >= 16, got {max_side!r}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, (int, np.integer)) or cache_size < 0:
            raise ValueError(f"PhotoBackgrounds: cache_size must be an integer >= 0, got {cache_size!r}")
        self.paths = [Path(p) for p in paths]
        self.max_side = int(max_side)
        self.cache_size = int(cache_size)
        self._cache: "OrderedDict[int, np.ndarray]" = OrderedDict()

    @classmethod
    def from_dirs(cls, dirs, *, min_side: int = 64, exclude=None, max_side: int = 1600,
                  cache_size: int = 64) -> "PhotoBackgrounds":
        """``PhotoBackgrounds(scan_photos(dirs, min_side=, exclude=).paths, ...)``; raises ValueError when
        no usable photo is found (an empty background list would silently mean procedural textures)."""
        scan = scan_photos(dirs, min_side=min_side, exclude=exclude)
        if not scan.paths:
            raise ValueError(f"PhotoBackgrounds: no usable photo under {dirs} ({len(scan.skipped)} skipped, "
                             f"{scan.excluded} excluded)")
        return cls(scan.paths, max_side=max_side, cache_size=cache_size)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self.paths)
        i = int(i)
        if not -n <= i < n:
            raise IndexError(f"PhotoBackgrounds index {i} out of range for {n} photos")
        i %= n
        img = self._cache.get(i)
        if img is not None:
            self._cache.move_to_end(i)
            return img
        img = np.ascontiguousarray(downscale_to(io.read_rgb(self.paths[i]), self.max_side))
        if self.cache_size:
            self._cache[i] = img
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return img

    def __repr__(self) -> str:
        return f"PhotoBackgrounds({len(self.paths)} photos, max_side={self.max_side}, cache_size={self.cache_size})"
