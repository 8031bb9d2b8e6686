"""Normalise evaluator inputs: in-memory lists/dicts, or folders / zips in the official file layout."""
from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import numpy as np

from textvision.data.icdar import parse_icdar2013, parse_icdar2015
from textvision.data.instances import TextInstance, order_clockwise

_PREFIX = re.compile(r"^(gt_|res_)")
_ID_NUM = re.compile(r"(\d+)$")


def image_key(filename: str) -> str:
    """``gt_img_12.txt`` / ``res_img_12.txt`` -> ``img_12`` (the id both official files share)."""
    return _PREFIX.sub("", Path(filename).stem)


def _sort_key(key: str):
    m = _ID_NUM.search(key)
    return (key[: m.start()] if m else key, int(m.group(1)) if m else -1, key)


_EIGHT_NUMBERS = re.compile(r"^\s*(?:[-+]?[\d.]+\s*,\s*){7}[-+]?[\d.]+\s*(?:,|$)")


def _parse_2013_or_quads(text: str, source: str, strict: bool) -> List[TextInstance]:
    """ICDAR 2013 files, or ICDAR 2015-style 8-coordinate files (e.g. quad detectors' results)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _EIGHT_NUMBERS.match(first):
        return parse_icdar2015(text, source, strict)
    return parse_icdar2013(text, source, strict)


def _read_layout(path, fmt: str, strict: bool) -> Dict[str, List[TextInstance]]:
    """Read every ``*.txt`` of a folder or zip archive into {image key: instances}."""
    path = Path(path)
    parse: Callable = parse_icdar2015 if fmt == "icdar2015" else _parse_2013_or_quads
    out: Dict[str, List[TextInstance]] = {}
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and _PREFIX.match(p.name))
        if not files:
            files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt")
        from textvision.io import read_text

        for p in files:
            out[image_key(p.name)] = parse(read_text(p), str(p), strict)
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".txt") and not n.endswith("/")]
            for n in sorted(names):
                raw = zf.read(n)
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
                out[image_key(Path(n).name)] = parse(text.replace("\ufeff", ""), f"{path}:{n}", strict)
    else:
        raise FileNotFoundError(f"{path}: expected a folder or a .zip of {fmt} text files")
    return out


def _gt_item(item) -> Tuple[np.ndarray, np.ndarray]:
    """One image's ground truth -> (quads float64 [N, 4, 2] clockwise, ignore bool [N])."""
    if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], TextInstance):
        quads, ignore = item
        quads = _quads(quads)
        ignore = np.asarray(ignore, bool).reshape(-1)
        if len(ignore) != len(quads):
            raise ValueError(f"ground truth has {len(quads)} quads but {len(ignore)} ignore flags")
        return quads, ignore
    if isinstance(item, np.ndarray):
        q = _quads(item)
        return q, np.zeros(len(q), bool)
    items = list(item)
    if all(isinstance(i, TextInstance) for i in items):
        q = _quads([i.quad for i in items])
        return q, np.array([i.ignore for i in items], bool)
    q = _quads(items)
    return q, np.zeros(len(q), bool)


def _quads(x) -> np.ndarray:
    if isinstance(x, (list, tuple)) and x and all(isinstance(i, TextInstance) for i in x):
        x = [i.quad for i in x]
    arr = np.asarray(x, np.float64)
    if arr.size == 0:
        return np.zeros((0, 4, 2), np.float64)
    if arr.ndim == 2 and arr.shape[1] == 8:
        arr = arr.reshape(-1, 4, 2)
    elif arr.ndim == 2 and arr.shape[1] == 4:  # axis-aligned boxes (x1, y1, x2, y2)
        x1, y1, x2, y2 = arr.T
        arr = np.stack([np.stack([x1, y1], 1), np.stack([x2, y1], 1), np.stack([x2, y2], 1),
                        np.stack([x1, y2], 1)], 1)
    if arr.ndim != 3 or arr.shape[1:] != (4, 2):
        raise ValueError(f"expected quads [N, 4, 2] (or [N, 8], or boxes [N, 4]), got shape {arr.shape}")
    return order_clockwise(arr)


def gather(gt, det, fmt: str, strict: bool = True):
    """Pair ground truth and detections per image.

    Returns:
        (keys, [(gt quads [N, 4, 2], gt ignore [N]), ...], [det quads [M, 4, 2], ...]).
    """
    if isinstance(gt, (str, Path)):
        gt = _read_layout(gt, fmt, strict)
    if isinstance(det, (str, Path)):
        det = _read_layout(det, fmt, strict)
    if isinstance(gt, Mapping) or isinstance(det, Mapping):
        if not (isinstance(gt, Mapping) and isinstance(det, Mapping)):
            raise TypeError("gt and det must both be per-image sequences or both be mappings/folders")
        extra = sorted(set(det) - set(gt))
        if extra:
            raise ValueError(f"detections for images without ground truth: {extra[:5]}"
                             + (f" (+{len(extra) - 5} more)" if len(extra) > 5 else ""))
        keys = sorted(gt, key=_sort_key)
        gts = [_gt_item(gt[k]) for k in keys]
        dets = [_quads(det.get(k, [])) for k in keys]
        return keys, gts, dets
    gt, det = list(gt), list(det)
    if len(gt) != len(det):
        raise ValueError(f"gt has {len(gt)} images but det has {len(det)}")
    return list(range(len(gt))), [_gt_item(g) for g in gt], [_quads(d) for d in det]
