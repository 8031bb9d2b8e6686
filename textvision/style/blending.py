"""Two-stage selective style transfer: stylize the whole image, keep the result only where there is text.

``out = P * stylized + (1 - P) * content`` with ``P`` the TextFCN text-probability map (thesis §3.2).
The public code zeroes ``P`` under 200/255 first; here that is the ``threshold`` argument, so that
``threshold=None`` gives the soft blend and any threshold makes the background exactly the input.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = ["blend", "two_stage", "check_image", "check_heatmap"]


def check_image(image, name: str = "image") -> np.ndarray:
    """Validate an RGB image: ``uint8`` HxWx3 (HxW grey is expanded to 3 channels). Never modified."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a NumPy uint8 HxWx3 RGB array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8 (0..255 RGB), got dtype {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name} must have shape HxWx3 (RGB) or HxW, got {image.shape}")
    return image


def check_heatmap(heatmap, shape_hw, name: str = "heatmap") -> np.ndarray:
    """Validate a text-probability map: float HxW in [0, 1] of the image's size; returns float32."""
    if isinstance(heatmap, np.ndarray) is False:
        try:  # accept a torch tensor without importing torch here
            heatmap = heatmap.detach().cpu().numpy()
        except AttributeError:
            raise TypeError(f"{name} must be a float32 HxW NumPy array, got {type(heatmap).__name__}") from None
    if heatmap.ndim == 3 and heatmap.shape[2] == 1:
        heatmap = heatmap[:, :, 0]
    if heatmap.ndim != 2:
        raise ValueError(f"{name} must be HxW, got shape {heatmap.shape}")
    if tuple(heatmap.shape) != tuple(shape_hw):
        raise ValueError(f"{name} has size {tuple(heatmap.shape)} but the image is {tuple(shape_hw)}; "
                         f"resize the map to the image first")
    if heatmap.dtype == np.uint8:
        raise TypeError(f"{name} must be float in [0, 1], got uint8 (divide by 255 first)")
    heatmap = heatmap.astype(np.float32, copy=False)
    if heatmap.size and (not np.isfinite(heatmap).all() or heatmap.min() < -1e-6 or heatmap.max() > 1 + 1e-6):
        raise ValueError(f"{name} values must lie in [0, 1], got range "
                         f"[{float(np.nanmin(heatmap))}, {float(np.nanmax(heatmap))}]")
    return heatmap


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
    content = check_image(content, "content")
    stylized = check_image(stylized, "stylized")
    if stylized.shape != content.shape:
        raise ValueError(f"stylized has shape {stylized.shape} but content is {content.shape}")
    p = check_heatmap(heatmap, content.shape[:2])
    if threshold is not None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        p = np.where(p >= float(threshold), p, np.float32(0))
    p = p[:, :, None]
    out = p * stylized.astype(np.float32) + (1.0 - p) * content.astype(np.float32)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    # Exactly the input where P == 0 (float rounding of (1-0)*c is exact, but say it explicitly).
    return np.where(p == 0, content, out)


def two_stage(image: np.ndarray, style_net, style, *, fcn=None, heatmap: Optional[np.ndarray] = None,
              threshold: Optional[float] = None, device=None) -> np.ndarray:
    """Selective style transfer in two stages: TextFCN map, then StyleNet, then :func:`blend`.

    Args:
        image: ``uint8`` HxWx3 RGB.
        style_net: a :class:`~textvision.models.style.StyleNet`.
        style: a style name, index, ``{name: weight}`` dict or weight vector (weights sum to 1).
        fcn: TextFCN model for the heatmap (default: the shipped default via ``textvision.segment``).
        heatmap: ``float32`` HxW in [0, 1]; when given no segmenter runs.
        threshold: see :func:`blend`.

    Returns:
        ``uint8`` HxWx3 RGB, restyled where there is text.
    """
    from textvision.style.inference import stylize

    return stylize(image, style_net, style, mode="two-stage", fcn=fcn, heatmap=heatmap,
                   threshold=threshold, device=device)
