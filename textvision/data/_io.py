"""Small file helpers: atomic writes and tolerant text decoding."""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Union

PathLike = Union[str, "os.PathLike[str]"]


# Temporary names start with this, so a later run can find and remove the leftovers of a killed one
# (``textvision.augment.fileio.remove_stale_temps``).
TEMP_PREFIX = ".tv-tmp-"


def atomic_write(path: PathLike, write: Callable[[str], None]) -> Path:
    """Write ``path`` by calling ``write(temp_path)`` and renaming the result into place.

    The temporary file lies in the same folder (``os.replace`` is atomic on one file system) and keeps
    ``path``'s name as its suffix, so writers that look at the extension (``.json``, ``.jpg``) behave
    the same. Readers (another process, a crashed run resumed later) never see a half-written file: on
    any exception, ``KeyboardInterrupt`` included, the temporary file is removed and nothing appears
    under ``path``.
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


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode(encoding))


def read_text(path: PathLike) -> str:
    """Read a text file: UTF-8 with or without BOM; Latin-1 as a last resort (with a warning).

    Line ends (LF, CRLF, CR) are left for ``str.splitlines`` to handle.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.warn(f"{path}: not valid UTF-8, decoded as Latin-1", stacklevel=3)
        text = data.decode("latin-1")
    # Some exported files repeat the BOM at the start of later lines (concatenated files).
    return text.replace("\ufeff", "")
