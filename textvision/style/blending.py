"""Two-stage selective style transfer: keep the stylized image only where there is text.

``out = P * stylized + (1 - P) * content`` with ``P`` the TextFCN text-probability map (thesis §3.2).
The public code zeroes ``P`` under 200/255 first; here that is the ``threshold`` argument, so that
``threshold=None`` gives the soft blend and any threshold makes the background exactly the input.

This module is pure NumPy and imports nothing from the rest of ``textvision.style``; the whole
two-stage pipeline (TextFCN map, StyleNet, blend) is :func:`textvision.style.two_stage`.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from textvision import _validate

__all__ = ["blend", "check_image", "check_heatmap"]


def check_image(image, name: str = "image") -> np.ndarray:
    """Validate an RGB image (kept for callers of the old name; see :func:`textvision._validate.image_rgb`).

    Returns:
        ``uint8`` HxWx3 RGB (HxW grey repeated to 3 channels, RGBA loses its alpha); never modified.
    """
    return _validate.image_rgb(image, name)


def check_heatmap(heatmap, shape_hw, name: str = "heatmap") -> np.ndarray:
    """Validate a text-probability map (kept for callers of the old name; see
    :func:`textvision._validate.heatmap`).

    Returns:
        ``float32`` HxW in [0, 1] of size ``shape_hw``.
    """
    return _validate.heatmap(heatmap, shape_hw, name)


def blend(content: np.ndarray, stylized: np.ndarray, heatmap: np.ndarray,
          threshold: Optional[float] = None) -> np.ndarray:
    """Blend a stylized image into the content where the heatmap says "text".

    Args:
        content: ``uint8`` HxWx3 RGB, the original image.
        stylized: ``uint8`` HxWx3 RGB of the same size (the whole image restyled).
        heatmap: ``float32`` HxW in [0, 1], text probability ``P`` (same size).
        threshold: if given, ``P`` below it is set to 0 first (public code: 200/255), so pixels the
            segmenter is unsure about stay exactly as in ``content``.

    Returns:
        ``uint8`` HxWx3 RGB: ``round(P * stylized + (1 - P) * content)``.
    """
    content = _validate.image_rgb(content, "content", "blend")
    stylized = _validate.image_rgb(stylized, "stylized", "blend")
    if stylized.shape != content.shape:
        raise ValueError(f"stylized has shape {stylized.shape} but content is {content.shape}")
    p = _validate.heatmap(heatmap, content.shape[:2], "heatmap", "blend")
    if threshold is not None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        p = np.where(p >= float(threshold), p, np.float32(0))
    p = p[:, :, None]
    out = p * stylized.astype(np.float32) + (1.0 - p) * content.astype(np.float32)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    # Exactly the input where P == 0 (float rounding of (1-0)*c is exact, but say it explicitly).
    return np.where(p == 0, content, out)
