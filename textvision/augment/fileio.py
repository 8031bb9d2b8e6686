"""File helpers for the dataset tool: atomic writes, the SRC/DST guard, leftover-temp cleanup.

Every file the tool writes goes to a temporary name in its final folder and is renamed into place
(``os.replace`` is atomic on one file system), so a crash, a kill or a full disk never leaves a
half-written image or ground-truth file under its real name, and "the file exists" means "the file is
complete" -- which is what resuming relies on.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

# Temporary names start with this, so a later run can find and remove the leftovers of a killed one.
TEMP_PREFIX = ".tvaug-"


def atomic_write(path: PathLike, write: Callable[[str], None]) -> Path:
    """Write ``path`` by calling ``write(temp_path)`` and renaming the result into place.

    The temporary file lies in the same folder and keeps ``path``'s name as its suffix, so writers
    that look at the extension (``.json``, ``.jpg``) behave the same. On any exception, including
    ``KeyboardInterrupt``, the temporary file is removed and nothing appears under ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="-" + path.name, dir=str(path.parent))
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""

    def _write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return atomic_write(path, _write)


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


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


def check_src_dst(src: PathLike, dst: PathLike) -> tuple:
    """Resolve SRC and DST and refuse any overlap (``ValueError`` naming both paths).

    DST inside SRC (or equal to it) would write into the user's dataset; SRC inside DST would let an
    output path mirror its way back into SRC. Symbolic links are resolved first, so a link cannot
    smuggle DST into SRC.

    Returns:
        ``(src, dst)`` as resolved absolute :class:`~pathlib.Path` objects.
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
    return src_r, dst_r
