"""Small file helpers: atomic writes and tolerant text decoding."""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Readers (another process, a crashed run resumed later) never see a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


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
