"""Contact sheet of a style model: one cell per style, its thumbnail and its name.

``textvision styles --model M --out sheet.png`` draws it, so users see what they choose.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

__all__ = ["contact_sheet"]

_BG = (255, 255, 255)
_MISSING = (200, 200, 200)


def _fit(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """``img`` scaled to fit inside w x h (aspect kept), centred on a white w x h canvas."""
    import cv2

    s = min(w / img.shape[1], h / img.shape[0])
    size = (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    out = np.full((h, w, 3), _BG, np.uint8)
    y, x = (h - size[1]) // 2, (w - size[0]) // 2
    out[y:y + size[1], x:x + size[0]] = small
    return out


def _label(text: str, w: int, h: int, index: int) -> np.ndarray:
    """A white w x h strip with ``index: text`` in black, shortened with '..' when it does not fit."""
    import cv2

    strip = np.full((h, w, 3), _BG, np.uint8)
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1
    full = f"{index}: {text}"
    shown = full
    while len(shown) > 4 and cv2.getTextSize(shown, font, scale, thick)[0][0] > w - 4:
        shown = shown[:-3] + ".."
    (tw, th), _ = cv2.getTextSize(shown, font, scale, thick)
    cv2.putText(strip, shown, (max(2, (w - tw) // 2), (h + th) // 2), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return strip


def contact_sheet(names: Sequence[str], images: Optional[Sequence[Optional[np.ndarray]]] = None, *,
                  columns: Optional[int] = None, cell: int = 128, label_height: int = 18,
                  gap: int = 6) -> np.ndarray:
    """Draw styles as a grid of thumbnails with their index and name underneath.

    Args:
        names: the S style names (``model.style_names``).
        images: S ``uint8`` (h, w, 3) RGB thumbnails (``model.style_images``); None, or None entries,
            draw a grey box (models saved before thumbnails existed).
        columns: cells per row (default: about sqrt(S) * 1.5, at most S).
        cell: width and height of a thumbnail's cell in pixels; label_height: the name strip below it.
        gap: white pixels between and around cells.

    Returns:
        ``uint8`` (H, W, 3) RGB.

    Raises:
        ValueError: no names, or another number of images than names.
    """
    names = [str(n) for n in names]
    n = len(names)
    if n == 0:
        raise ValueError("contact_sheet: no styles to draw")
    if images is not None and len(images) != n:
        raise ValueError(f"contact_sheet: {len(images)} images for {n} style names")
    if cell < 8 or label_height < 0 or gap < 0:
        raise ValueError(f"contact_sheet: need cell >= 8, label_height >= 0, gap >= 0; got {cell}, {label_height}, {gap}")
    cols = int(columns) if columns else min(n, max(1, math.ceil(1.5 * math.sqrt(n))))
    if cols < 1:
        raise ValueError(f"contact_sheet: columns must be >= 1, got {columns}")
    rows = math.ceil(n / cols)
    ch = cell + label_height
    sheet = np.full((gap + rows * (ch + gap), gap + cols * (cell + gap), 3), _BG, np.uint8)
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        y, x = gap + r * (ch + gap), gap + c * (cell + gap)
        img = None if images is None else images[i]
        if img is None:
            tile = np.full((cell, cell, 3), _MISSING, np.uint8)
        else:
            from textvision import _validate

            tile = _fit(_validate.image_rgb(img, f"images[{i}]", "contact_sheet"), cell, cell)
        sheet[y:y + cell, x:x + cell] = tile
        if label_height:
            sheet[y + cell:y + ch, x:x + cell] = _label(name, cell, label_height, i)
    return sheet
