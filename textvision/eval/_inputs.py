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


def _select(names: List[str], role: str) -> List[str]:
    """The file names of one role among a folder's or zip's ``*.txt`` names.

    Ground truth: the ``gt_*`` files, or when there are none every file except ``res_*`` (a result file is
    never read as ground truth, even in a folder that holds both). Detections: the ``res_*`` files, or when
    there are none every file (result files of other tools have other names).
    """
    def prefixed(prefix):
        return [n for n in names if Path(n).name.lower().startswith(prefix)]

    if role == "gt":
        own = prefixed("gt_")
        if own:
            return own
        results = set(prefixed("res_"))
        return [n for n in names if n not in results]
    return prefixed("res_") or list(names)


def layout_keys(path, role: str) -> List[str]:
    """The image keys (``img_12``) of one role's files in a folder or zip, without reading the files.

    Args:
        path: folder or ``.zip`` in the official layout.
        role: ``"gt"`` or ``"det"`` (which files count: see :func:`_select`).

    Raises:
        FileNotFoundError: ``path`` is neither a folder nor a zip archive.
    """
    path = Path(path)
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = sorted(Path(n).name for n in zf.namelist() if n.lower().endswith(".txt") and not n.endswith("/"))
    else:
        raise FileNotFoundError(f"{path}: expected a folder or a .zip of text files")
    return sorted((image_key(n) for n in _select(names, role)), key=_sort_key)


def _read_layout(path, fmt: str, strict: bool, role: str) -> Tuple[Dict[str, List[TextInstance]], Dict[str, str]]:
    """Read the ``*.txt`` files of one role (``"gt"`` or ``"det"``) of a folder or zip archive.

    Returns:
        ({image key: instances}, {file identity: display name}); the identity (resolved path, or
        resolved zip path + member name) lets :func:`gather` see when gt and det are the same files.
    """
    from textvision.io import read_text

    path = Path(path)
    parse: Callable = parse_icdar2015 if fmt == "icdar2015" else _parse_2013_or_quads
    out: Dict[str, List[TextInstance]] = {}
    sources: Dict[str, str] = {}
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        for name in _select(names, role):
            p = path / name
            out[image_key(name)] = parse(read_text(p), str(p), strict)
            sources[str(p.resolve())] = str(p)
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = sorted(n for n in zf.namelist() if n.lower().endswith(".txt") and not n.endswith("/"))
            for n in _select(names, role):
                raw = zf.read(n)
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
                out[image_key(Path(n).name)] = parse(text.replace("\ufeff", ""), f"{path}:{n}", strict)
                sources[f"{path.resolve()}:{n}"] = f"{path}:{n}"
    else:
        raise FileNotFoundError(f"{path}: expected a folder or a .zip of {fmt} text files")
    return out, sources


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

    Folders and zips are read by role (see :func:`_select`: ``res_*`` files are never ground truth).

    Returns:
        (keys, [(gt quads [N, 4, 2], gt ignore [N]), ...], [det quads [M, 4, 2], ...]).

    Raises:
        ValueError: gt and det read the same files, detections for images without ground truth, or
            sequences of different lengths.
    """
    gt_files: Dict[str, str] = {}
    det_files: Dict[str, str] = {}
    if isinstance(gt, (str, Path)):
        gt, gt_files = _read_layout(gt, fmt, strict, "gt")
    if isinstance(det, (str, Path)):
        det, det_files = _read_layout(det, fmt, strict, "det")
    same = sorted(set(gt_files) & set(det_files))
    if same:
        # Scoring ground truth against itself gives 1.0 silently (e.g. --det pointed at the gt folder).
        shown = ", ".join(gt_files[k] for k in same[:3]) + (f" (+{len(same) - 3} more)" if len(same) > 3 else "")
        raise ValueError(f"detections and ground truth are the same files ({shown}); point det at the "
                         f"res_*.txt results (e.g. the --out folder of textvision detect)")
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
