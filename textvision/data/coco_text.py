"""COCO-Text annotations (v1.4 and 2.0 JSON).

Layout: ``imgs`` {id: {file_name, width, height, set}}, ``anns`` {id: {image_id, bbox [x, y, w, h],
legibility, class, language, utf8_string, (2.0: mask [x1, y1, ...])}}, ``imgToAnns`` {id: [ann ids]}.
Illegible words become don't-care instances (``ignore=True``); the other attributes are kept in
``TextInstance.attrs``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from textvision.data.instances import TextInstance, box_to_quad, order_clockwise, signed_area
from textvision.io import PathLike, atomic_write_text

__all__ = ["CocoText", "read_coco_text", "write_coco_text"]

_ATTRS = ("legibility", "class", "language", "id")


@dataclass
class CocoText:
    """A parsed COCO-Text file.

    Attributes:
        images: ``{image id: {"file_name", "width", "height", "set", ...}}`` as in the file.
        instances: ``{image id: [TextInstance, ...]}`` (every image id present, possibly empty).
    """

    images: Dict[int, dict] = field(default_factory=dict)
    instances: Dict[int, List[TextInstance]] = field(default_factory=dict)

    def ids(self, split: Optional[str] = None) -> List[int]:
        """Image ids of a split (``"train"``, ``"val"``, ``"test"``; None = all), sorted."""
        return sorted(i for i, im in self.images.items() if split is None or im.get("set") == split)


def _ann_quad(ann: dict) -> np.ndarray:
    mask = ann.get("mask")
    if isinstance(mask, list) and len(mask) == 8:
        q = np.asarray(mask, np.float32).reshape(4, 2)
        if abs(float(signed_area(q))) > 1e-6:
            return order_clockwise(q)
    bbox = ann.get("bbox")
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        raise ValueError(f"annotation {ann.get('id')!r} has no usable bbox: {bbox!r}")
    x, y, w, h = (float(v) for v in bbox)
    return box_to_quad((x, y, x + w, y + h))


def read_coco_text(path: PathLike) -> CocoText:
    """Read a COCO-Text JSON file (v1.4 or 2.0).

    Returns:
        :class:`CocoText`; each annotation becomes a :class:`TextInstance` with the 2.0 polygon when it
        has 4 points, else its bbox as a quad; ``text`` = ``utf8_string`` (may be empty);
        ``ignore`` = illegible; ``attrs`` = legibility, class (machine printed / handwritten / others),
        language, id.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such COCO-Text file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "imgs" not in data or "anns" not in data:
        raise ValueError(f"{path}: not a COCO-Text file (needs 'imgs' and 'anns')")
    out = CocoText()
    for key, im in data["imgs"].items():
        iid = int(im.get("id", key))
        out.images[iid] = dict(im)
        out.instances[iid] = []
    img_to_anns = data.get("imgToAnns")
    anns = data["anns"]
    if img_to_anns:
        order = [(int(i), str(a)) for i, lst in img_to_anns.items() for a in lst]
    else:
        order = [(int(a["image_id"]), str(k)) for k, a in anns.items()]
    for iid, aid in order:
        ann = anns.get(aid, anns.get(int(aid)) if aid.isdigit() else None)
        if ann is None:
            raise ValueError(f"{path}: imgToAnns refers to missing annotation {aid}")
        if iid not in out.instances:
            raise ValueError(f"{path}: annotation {aid} refers to missing image {iid}")
        text = ann.get("utf8_string") or ""
        attrs = {k: ann[k] for k in _ATTRS if k in ann}
        out.instances[iid].append(
            TextInstance(_ann_quad(ann), text, ann.get("legibility") == "illegible", attrs))
    return out


def write_coco_text(path: PathLike, images: Sequence[dict], instances: Sequence[Sequence[TextInstance]]) -> None:
    """Write a COCO-Text 2.0 style JSON atomically.

    Args:
        images: one dict per image with at least ``file_name``, ``width``, ``height``; ``id``
            (default: position + 1) and ``set`` (default ``"train"``) are filled in when missing.
        instances: per image, its instances; ``ignore`` -> illegible, ``attrs`` ``class`` /
            ``language`` kept (defaults "machine printed" / "english"); polygons go to ``mask``.
    """
    if len(images) != len(instances):
        raise ValueError(f"{len(images)} images but {len(instances)} instance lists")
    imgs, anns, img_to_anns = {}, {}, {}
    next_id = 1
    for pos, (im, insts) in enumerate(zip(images, instances)):
        im = dict(im)
        for k in ("file_name", "width", "height"):
            if k not in im:
                raise ValueError(f"image {pos} lacks {k!r}")
        im.setdefault("id", pos + 1)
        im.setdefault("set", "train")
        iid = int(im["id"])
        imgs[str(iid)] = im
        img_to_anns[str(iid)] = []
        for inst in insts:
            x1, y1, x2, y2 = (float(v) for v in inst.box)
            ann = {
                "id": next_id, "image_id": iid, "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                "mask": [float(v) for v in inst.quad.reshape(-1)],
                "legibility": "illegible" if inst.ignore else "legible",
                "class": inst.attrs.get("class", "machine printed"),
                "language": inst.attrs.get("language", "english"),
                "utf8_string": "" if inst.ignore and inst.text == "###" else inst.text,
            }
            anns[str(next_id)] = ann
            img_to_anns[str(iid)].append(next_id)
            next_id += 1
    data = {"info": {"version": "2.0", "description": "written by textvision"}, "cats": {},
            "imgs": imgs, "anns": anns, "imgToAnns": img_to_anns}
    atomic_write_text(path, json.dumps(data, ensure_ascii=False))
