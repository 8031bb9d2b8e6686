"""Files in and out: the one image reader and writer, atomic writes, output checks.

Every command, dataset and example reads images through :func:`read_rgb` and writes them through
:func:`write_image`, so one policy holds everywhere:

- **EXIF orientation is ignored**: pixels are returned as stored. Ground truth (ICDAR boxes, COCO-Text
  boxes, masks) refers to the stored pixel grid, and a rotated read would move every box off its word.
- Grey, grey+alpha, RGBA and 16-bit files are converted to 8-bit RGB (alpha dropped, 16-bit scaled).
- A file that cannot be decoded is a ``ValueError`` naming it. A truncated JPEG decodes (the missing
  rows come out grey) with a warning naming the file, in every command alike; so does a JPEG whose data
  libjpeg reports as corrupt (its own anonymous "Corrupt JPEG data" line is folded into that warning).
- Writes are atomic: a temporary file in the target folder renamed into place, so a killed run never
  leaves a half-written file under its real name. Files get the usual permissions (0666 minus the umask),
  as ``open()`` would give them.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "IMAGE_SUFFIXES",
    "TEMP_PREFIX",
    "PathLike",
    "read_rgb",
    "read_heatmap",
    "write_image",
    "check_image_suffix",
    "check_output_dir",
    "check_output_file",
    "list_images",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "read_text",
]

logger = logging.getLogger("textvision.io")

#: File name suffixes read and written as images (what OpenCV encodes and decodes everywhere).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

# Temporary names start with this, so a later run can find and remove the leftovers of a killed one
# (``textvision.augment.fileio.remove_stale_temps``).
TEMP_PREFIX = ".tv-tmp-"


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back (cheap, and writes are not hot).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: PathLike, write: Callable[[str], None]) -> Path:
    """Write ``path`` by calling ``write(temp_path)`` and renaming the result into place.

    The temporary file lies in the same folder (``os.replace`` is atomic on one file system) and keeps
    ``path``'s name as its suffix, so writers that look at the extension (``.json``, ``.jpg``) behave
    the same. Readers (another process, a crashed run resumed later) never see a half-written file: on
    any exception, ``KeyboardInterrupt`` included, the temporary file is removed and nothing appears
    under ``path`` (a previous file there is left intact).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="-" + path.name, dir=str(path.parent))
    os.close(fd)
    try:
        # mkstemp creates 0600; datasets must be readable by others as a plain open() would make them.
        os.chmod(tmp, 0o666 & ~_umask())
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


def _read_bytes(path: PathLike, what: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what} not found: {path}" if not p.exists() else f"{what} is not a file: {path}")
    return p.read_bytes()


def _jpeg_truncated(data: bytes) -> bool:
    # A complete JPEG ends with the EOI marker (FF D9); some writers pad after it, so allow trailing bytes.
    return data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-64:]


# One decode at a time may point file descriptor 2 elsewhere (see _imdecode_jpeg).
_FD2_LOCK = threading.Lock()


def _new_fd2_lock() -> None:
    global _FD2_LOCK
    _FD2_LOCK = threading.Lock()  # a child forked while another thread held it would wait forever


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_fd2_lock)


def _imdecode_jpeg(buf: np.ndarray, flags: int) -> Tuple[Optional[np.ndarray], List[str]]:
    """``cv2.imdecode`` of JPEG bytes, returning libjpeg's warnings instead of letting them print.

    libjpeg reports damaged data ("Corrupt JPEG data: premature end of data segment", "Premature end of
    JPEG file", ...) on the C stderr, file descriptor 2, in lines that name no file. For the call, fd 2
    points at a temporary file; libjpeg's lines are returned (the caller warns once, naming the file),
    anything else that reached fd 2 meanwhile (another thread's output) is written back to it.
    """
    import cv2

    try:
        sys.stderr.flush()  # Python's buffered text goes where it was meant to, before fd 2 moves
    except (AttributeError, OSError, ValueError):
        pass
    with _FD2_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 (a daemon): nothing prints, nothing to catch
            return cv2.imdecode(buf, flags), []
        try:
            with tempfile.TemporaryFile() as tmp:
                os.dup2(tmp.fileno(), 2)
                try:
                    img = cv2.imdecode(buf, flags)
                finally:
                    os.dup2(saved, 2)
                tmp.seek(0)
                printed = tmp.read().decode("utf-8", "replace")
        finally:
            os.close(saved)
    lines = [ln for ln in printed.splitlines() if ln.strip()]
    jpeg = [ln.strip() for ln in lines if "JPEG" in ln]
    other = [ln for ln in lines if "JPEG" not in ln]
    if other:
        os.write(2, ("\n".join(other) + "\n").encode("utf-8"))
    return img, jpeg


def read_rgb(path: PathLike) -> np.ndarray:
    """Read an image file as ``uint8`` HxWx3 **RGB**, pixels as stored (EXIF orientation ignored).

    Args:
        path: any format OpenCV decodes (JPEG, PNG, BMP, TIFF, WebP...); grey, RGBA and 16-bit files
            are converted to 8-bit RGB.

    Returns:
        uint8 array [H, W, 3], C-contiguous, a fresh copy the caller owns.

    Raises:
        FileNotFoundError: no such file. ValueError: not a decodable image (message names the file).

    A truncated JPEG, or one whose data libjpeg reports as corrupt, is decoded anyway and logged once as a
    warning on the ``textvision.io`` logger naming the file (libjpeg's own line, which names none, is not
    printed).
    """
    import cv2

    data = _read_bytes(path, "image")
    truncated = _jpeg_truncated(data)
    if truncated:
        # cv2.imread decodes such files, cv2.imdecode refuses them; closing the stream with the end
        # marker gives imread's result from memory too, so the policy (decode, warn) is the same everywhere.
        data += b"\xff\xd9"
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    buf = np.frombuffer(data, np.uint8)
    reported: List[str] = []
    if data[:2] == b"\xff\xd8":
        img, reported = _imdecode_jpeg(buf, flags)
    else:
        img = cv2.imdecode(buf, flags) if data else None
    if img is None or img.size == 0:
        raise ValueError(f"cannot decode image {path}: empty, corrupt or not an image file")
    # One warning naming the file, in place of libjpeg's anonymous lines.
    if truncated:
        logger.warning("%s: JPEG data is truncated; the missing part decodes as grey", path)
    elif reported:
        logger.warning("%s: corrupt JPEG data (libjpeg: %s); the damaged part may decode as grey", path,
                       "; ".join(dict.fromkeys(r.replace("Corrupt JPEG data: ", "") for r in reported)))
    return np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))


def read_heatmap(path: PathLike, shape_hw: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read a text-probability map written as an image (8-bit: value/255, 16-bit: value/65535).

    Args:
        path: a grey PNG (or any single- or multi-channel image; the first channel is used).
        shape_hw: when given, the map must have this (H, W) (the image it belongs to).

    Returns:
        float32 [H, W] in [0, 1].
    """
    import cv2

    data = _read_bytes(path, "heatmap")
    hm = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if hm is None:
        raise ValueError(f"cannot decode heatmap {path}: empty, corrupt or not an image file")
    if hm.ndim == 3:
        hm = hm[:, :, 0]
    if hm.dtype == np.uint16:
        hm = hm.astype(np.float32) / 65535.0
    elif hm.dtype == np.uint8:
        hm = hm.astype(np.float32) / 255.0
    else:
        hm = hm.astype(np.float32)
    if shape_hw is not None and hm.shape != tuple(shape_hw):
        raise ValueError(f"heatmap {path} is {hm.shape[1]}x{hm.shape[0]}, the image is {shape_hw[1]}x{shape_hw[0]}")
    return np.clip(hm, 0.0, 1.0)


def check_image_suffix(path: PathLike) -> Path:
    """Check before any work that ``path`` names an image file textvision can write (by its suffix).

    Raises:
        ValueError: no suffix, an unknown one, or ``path`` is an existing folder.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path} is a folder; give an image file name such as {p / 'out.png'}")
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"cannot write an image to {path}: the name must end in one of "
                         f"{', '.join(IMAGE_SUFFIXES)}")
    return p


def write_image(path: PathLike, image: np.ndarray, *, jpeg_quality: int = 95) -> Path:
    """Write a uint8 RGB (HxWx3), RGBA (HxWx4) or grey (HxW) image atomically; format from the suffix.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    import cv2

    p = check_image_suffix(path)
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"write_image: image must be a uint8 NumPy array, got "
                        f"{getattr(image, 'dtype', type(image).__name__)}")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim != 2:
        raise ValueError(f"write_image: image must be HxW, HxWx3 or HxWx4, got shape {image.shape}")
    suffix = p.suffix.lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)] if suffix in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(suffix, image, params)
    if not ok:
        raise ValueError(f"OpenCV cannot encode {suffix} images ({path})")
    return atomic_write_bytes(p, buf.tobytes())


def check_output_dir(path: PathLike, what: str = "output folder") -> Path:
    """Create ``path`` if needed and check that files can be created in it, before any work starts.

    Raises:
        ValueError: one line naming the folder when it is a file, cannot be created or is not writable.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{what} {path} exists and is not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=str(p))
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"cannot write to {what} {path}: {exc.strerror or exc}") from None
    return p


def check_output_file(path: PathLike, what: str = "output file") -> Path:
    """Check before any work that ``path`` can be written: its folder is writable, it is not a folder."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file name")
    check_output_dir(p.parent if str(p.parent) else ".", what=f"folder of the {what}")
    return p


def list_images(paths: Union[PathLike, Sequence[PathLike]]) -> list:
    """Image files named by ``paths`` (files as given; folders expanded to their images, sorted).

    Raises:
        FileNotFoundError: a path does not exist. ValueError: a folder holds no image.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise ValueError(f"folder {p} holds no image ({', '.join(IMAGE_SUFFIXES)})")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out
