"""File helpers for the dataset tool: atomic writes, the SRC/DST guard, leftover-temp cleanup.

Every file the tool writes goes to a temporary name in its final folder and is renamed into place
(``os.replace`` is atomic on one file system), so a crash, a kill or a full disk never leaves a
half-written image or ground-truth file under its real name, and "the file exists" means "the file is
complete" -- which is what resuming relies on.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, NamedTuple, Optional

# One implementation of atomic writes for the whole package (the dataset tool re-exports it).
from textvision.io import TEMP_PREFIX, PathLike, atomic_write, atomic_write_bytes, atomic_write_text

__all__ = ["TEMP_PREFIX", "atomic_write", "atomic_write_bytes", "atomic_write_text", "SrcDst", "check_src_dst",
           "remove_stale_temps"]


def remove_stale_temps(root: PathLike, spare: Optional[Callable[[Path], bool]] = None) -> int:
    """Delete temporary files left under ``root`` by killed runs; returns how many were removed.

    Only names starting with :data:`TEMP_PREFIX` are touched, and none for which ``spare(path)`` is
    true (files another live process may be writing right now).
    """
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(TEMP_PREFIX) and not (spare is not None and spare(path)):
                try:
                    os.unlink(path)
                    removed += 1
                except OSError:
                    pass
    return removed


class SrcDst(NamedTuple):
    """The source and destination folders of a run, resolved (absolute, symbolic links followed)."""

    src: Path
    dst: Path


def check_src_dst(src: PathLike, dst: PathLike) -> SrcDst:
    """Resolve SRC and DST and refuse any overlap (``ValueError`` naming both paths).

    DST inside SRC (or equal to it) would write into the user's dataset; SRC inside DST would let an
    output path mirror its way back into SRC. Symbolic links are resolved first, so a link cannot
    smuggle DST into SRC.

    Returns:
        :class:`SrcDst`: ``src`` and ``dst`` as resolved absolute :class:`~pathlib.Path` objects.
    """
    src_p, dst_p = Path(src), Path(dst)
    if not src_p.is_dir():
        raise FileNotFoundError(f"SRC is not a directory: {src}")
    src_r, dst_r = src_p.resolve(), dst_p.resolve()
    if dst_r == src_r or src_r in dst_r.parents:
        raise ValueError(f"DST {dst} lies inside SRC {src}; the tool never writes inside SRC, "
                         f"choose a DST outside it")
    if dst_r in src_r.parents:
        raise ValueError(f"SRC {src} lies inside DST {dst}; choose a DST that does not contain SRC")
    return SrcDst(src_r, dst_r)
