"""ICDAR 2015 (incidental text) and ICDAR 2013 (focused text) annotation files.

ICDAR 2015 ``gt_img_N.txt``: one word per line, ``x1,y1,x2,y2,x3,y3,x4,y4,transcription`` (UTF-8,
often with a BOM, CRLF line ends); the transcription may itself contain commas; ``###`` marks a
don't-care region. Result files ``res_img_N.txt`` carry the 8 coordinates only.

ICDAR 2013 ``gt_N.txt`` / ``gt_img_N.txt``: ``xmin ymin xmax ymax "word"`` (training set, spaces) or
``xmin, ymin, xmax, ymax, "word"`` (test set, commas); result files ``xmin,ymin,xmax,ymax``.
Coordinates are inclusive pixel indices, as the DetEval protocol reads them.
"""
from __future__ import annotations

import math
import re
import warnings
from typing import List

import numpy as np

from textvision.data.instances import TextInstance, box_to_quad, order_clockwise, signed_area
from textvision.io import PathLike, atomic_write_text, read_text

__all__ = [
    "MalformedGroundTruth", "read_icdar2015", "write_icdar2015", "read_icdar2013", "write_icdar2013",
    "parse_icdar2015", "parse_icdar2013", "format_icdar2015", "format_icdar2013", "gt_pairs",
]

DONT_CARE = "###"
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf"
# ICDAR 2013: four numbers separated by commas and/or spaces, then an optional transcription.
_IC13 = re.compile(
    rf"^\s*({_NUM})\s*[,\s]\s*({_NUM})\s*[,\s]\s*({_NUM})\s*[,\s]\s*({_NUM})\s*(?:[,\s]\s*(.*?))?\s*$",
    re.IGNORECASE,
)
_MAX_LISTED = 10
# Characters that end a line for str.splitlines(); only LF, CRLF and CR end lines in these files.
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


#: How the library reader skips malformed lines; commands replace it with their flag (``--lenient``).
LIBRARY_HINT = "pass strict=False to skip malformed lines"


class MalformedGroundTruth(ValueError):
    """A malformed line in an ICDAR file read with ``strict=True``.

    ``str(exc)`` is ``"<file>:<line>: <why>: '<line text>' (<hint>)"``. The hint says how to skip such
    lines where the error surfaces: the library's ``strict=False`` by default; a command re-raises
    :meth:`with_hint` naming its own flag (e.g. ``"pass --lenient to skip malformed lines"``).

    Attributes:
        detail: the message without the hint.
        hint: how to skip malformed lines.
    """

    def __init__(self, detail: str, hint: str = LIBRARY_HINT):
        super().__init__(f"{detail} ({hint})")
        self.detail, self.hint = detail, hint

    def with_hint(self, hint: str) -> "MalformedGroundTruth":
        """The same error with another hint (for a command whose flag is not ``strict=False``)."""
        return MalformedGroundTruth(self.detail, hint)

    def __reduce__(self):  # picklable across DataLoader worker processes
        return MalformedGroundTruth, (self.detail, self.hint)


def _lines(text: str):
    return text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text)


class _Report:
    """Collects per-file issues so that each kind is reported by a single warning."""

    def __init__(self, source: str, strict: bool):
        self.source, self.strict = source, strict
        self.reordered: List[int] = []
        self.degenerate: List[str] = []
        self.skipped: List[str] = []

    def malformed(self, lineno: int, line: str, why: str) -> None:
        msg = f"{self.source}:{lineno}: {why}: {line[:80]!r}"
        if self.strict:
            raise MalformedGroundTruth(msg)
        self.skipped.append(f"line {lineno} ({why})")

    def flush(self) -> None:
        def listing(items):
            head = ", ".join(str(i) for i in items[:_MAX_LISTED])
            return head + (f", ... ({len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else "")

        if self.reordered:
            warnings.warn(
                f"{self.source}: {len(self.reordered)} counter-clockwise quad(s) re-ordered clockwise "
                f"(lines {listing(self.reordered)})", stacklevel=3)
        if self.degenerate:
            warnings.warn(
                f"{self.source}: {len(self.degenerate)} degenerate quad(s) dropped: {listing(self.degenerate)}",
                stacklevel=3)
        if self.skipped:
            warnings.warn(f"{self.source}: skipped {len(self.skipped)} malformed line(s): {listing(self.skipped)}",
                          stacklevel=3)


def _finish_quad(quad: np.ndarray, lineno: int, report: _Report):
    """Validate and orient a parsed quad; None when it must be dropped."""
    if not np.all(np.isfinite(quad)):
        report.degenerate.append(f"line {lineno} (non-finite coordinate)")
        return None
    area = float(signed_area(quad))
    if abs(area) < 1e-6:
        report.degenerate.append(f"line {lineno} (zero area)")
        return None
    if area < 0:
        report.reordered.append(lineno)
        quad = order_clockwise(quad)
    return quad


def parse_icdar2015(text: str, source: str = "<string>", strict: bool = True) -> List[TextInstance]:
    """Parse the contents of an ICDAR 2015 annotation or result file. See :func:`read_icdar2015`."""
    report = _Report(source, strict)
    out: List[TextInstance] = []
    for lineno, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 8)  # maxsplit keeps commas inside the transcription
        if len(parts) < 8:
            report.malformed(lineno, line, f"expected 8 coordinates, found {len(parts)} field(s)")
            continue
        try:
            coords = [float(p) for p in parts[:8]]
        except ValueError:
            report.malformed(lineno, line, "non-numeric coordinate")
            continue
        transcription = parts[8].strip() if len(parts) > 8 else ""
        quad = _finish_quad(np.array(coords, np.float32).reshape(4, 2), lineno, report)
        if quad is None:
            continue
        ignore = transcription == DONT_CARE
        out.append(TextInstance(quad, transcription, ignore))
    report.flush()
    return out


def read_icdar2015(path: PathLike, strict: bool = True) -> List[TextInstance]:
    """Read an ICDAR 2015 ground-truth (``gt_img_N.txt``) or result (``res_img_N.txt``) file.

    Args:
        path: the text file. UTF-8 with or without BOM; LF or CRLF line ends; empty lines skipped.
        strict: raise :class:`MalformedGroundTruth` (a ``ValueError``) naming file and line on a
            malformed line (fewer than 8 coordinates, a non-numeric coordinate); with ``strict=False``
            such lines are skipped and counted in one warning.

    Returns:
        list of :class:`TextInstance`: quads float32 [4, 2] clockwise from the first point (a
        counter-clockwise quad is re-ordered, one warning per file counts them); ``text`` the
        transcription with its commas ("" for result files); ``ignore`` True for ``###``.
        Degenerate quads (zero area, NaN/inf) are dropped and reported by file and line.
    """
    return parse_icdar2015(read_text(path), str(path), strict)


def _fmt(v: float) -> str:
    v = float(v)
    if v.is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _as_instances(instances) -> List[TextInstance]:
    if isinstance(instances, np.ndarray):
        arr = np.asarray(instances, np.float32)
        if arr.ndim != 3 or arr.shape[1:] != (4, 2):
            raise ValueError(f"quads must have shape [N, 4, 2], got {arr.shape}")
        return [TextInstance(q) for q in arr]
    out = []
    for inst in instances:
        out.append(inst if isinstance(inst, TextInstance) else TextInstance(inst))
    return out


def format_icdar2015(instances, integer: bool = False, with_text: bool = True) -> str:
    """Format instances (or quads [N, 4, 2]) as ICDAR 2015 lines. See :func:`write_icdar2015`."""
    lines = []
    for inst in _as_instances(instances):
        q = np.rint(inst.quad) if integer else inst.quad
        fields = [_fmt(v) for v in q.reshape(-1)]
        if with_text:
            fields.append(DONT_CARE if inst.ignore else _one_line(inst.text))
        lines.append(",".join(fields))
    return "".join(line + "\n" for line in lines)


def write_icdar2015(path: PathLike, instances, *, integer: bool = False, with_text: bool = True) -> None:
    """Write an ICDAR 2015 file atomically (temporary file + rename), UTF-8 without BOM, LF.

    Args:
        path: destination (``gt_img_N.txt`` or ``res_img_N.txt``); parent folders are created.
        instances: list of :class:`TextInstance`, or quads float32 [N, 4, 2] (a result file).
        integer: round coordinates to integers (the official RRC submission checker accepts
            integers only); otherwise integral values are written as integers and others with up
            to 2 decimals.
        with_text: append the transcription (``###`` for ignored instances). Use False for results.
    """
    atomic_write_text(path, format_icdar2015(instances, integer=integer, with_text=with_text))


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return s


def parse_icdar2013(text: str, source: str = "<string>", strict: bool = True) -> List[TextInstance]:
    """Parse the contents of an ICDAR 2013 annotation or result file. See :func:`read_icdar2013`."""
    report = _Report(source, strict)
    out: List[TextInstance] = []
    for lineno, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        m = _IC13.match(line)
        if m is None:
            report.malformed(lineno, line, "expected 'xmin, ymin, xmax, ymax[, \"word\"]'")
            continue
        x1, y1, x2, y2 = (float(g) for g in m.groups()[:4])
        word = _unquote(m.group(5) or "")
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            report.degenerate.append(f"line {lineno} (non-finite coordinate)")
            continue
        if x2 < x1 or y2 < y1:
            report.malformed(lineno, line, "xmax < xmin or ymax < ymin")
            continue
        out.append(TextInstance(box_to_quad((x1, y1, x2, y2)), word, word == DONT_CARE))
    report.flush()
    return out


def read_icdar2013(path: PathLike, strict: bool = True) -> List[TextInstance]:
    """Read an ICDAR 2013 ground-truth or result file (comma or space separated).

    Args:
        path: ``gt_N.txt`` (``xmin ymin xmax ymax "word"``), ``gt_img_N.txt``
            (``xmin, ymin, xmax, ymax, "word"``) or ``res_img_N.txt`` (``xmin,ymin,xmax,ymax``).
        strict: raise :class:`MalformedGroundTruth` (a ``ValueError``) naming file and line on
            malformed lines, or skip them with a counted warning.

    Returns:
        list of :class:`TextInstance` with axis-aligned quads (inclusive pixel coordinates, as
        written), quotes removed from the word (``\\"`` unescaped), ``ignore`` for ``###``.
    """
    return parse_icdar2013(read_text(path), str(path), strict)


def format_icdar2013(instances, *, style: str = "comma", with_text: bool = True) -> str:
    """Format instances as ICDAR 2013 lines. See :func:`write_icdar2013`."""
    if style not in ("comma", "space"):
        raise ValueError(f"style must be 'comma' or 'space', got {style!r}")
    sep = ", " if style == "comma" else " "
    lines = []
    for inst in _as_instances(instances):
        box = inst.box
        fields = [_fmt(v) for v in np.rint(box)]
        if with_text:
            word = DONT_CARE if inst.ignore else _one_line(inst.text)
            fields.append('"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"')
        lines.append((sep if with_text else ",").join(fields))
    return "".join(line + "\n" for line in lines)


def write_icdar2013(path: PathLike, instances, *, style: str = "comma", with_text: bool = True) -> None:
    """Write an ICDAR 2013 file atomically.

    Args:
        path: destination file.
        instances: list of :class:`TextInstance` (their axis-aligned boxes are written, rounded to
            integers) or quads [N, 4, 2].
        style: ``"comma"`` (test-set ground truth) or ``"space"`` (training-set ground truth).
        with_text: False writes the result format ``xmin,ymin,xmax,ymax``.
    """
    atomic_write_text(path, format_icdar2013(instances, style=style, with_text=with_text))


def gt_pairs(image_dir: PathLike, gt_dir: "PathLike | None" = None) -> list:
    """``[(image path, gt path)]`` for the images of ``image_dir`` (sorted, ``textvision.io.list_images``) that
    have an ICDAR 2015 ``gt_<image stem>.txt`` in ``gt_dir`` (default: ``image_dir/gt`` when that folder
    exists, as in the OpenCV text samples, else ``image_dir``). Images without one are left out."""
    from pathlib import Path

    from textvision.io import list_images

    image_dir = Path(image_dir)
    if gt_dir is None:
        gt_dir = image_dir / "gt" if (image_dir / "gt").is_dir() else image_dir
    gt_dir = Path(gt_dir)
    pairs = [(p, gt_dir / f"gt_{p.stem}.txt") for p in list_images(image_dir)]
    return [(p, g) for p, g in pairs if g.is_file()]
