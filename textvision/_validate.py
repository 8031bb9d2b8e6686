"""The one set of input validators behind every public function that takes arrays.

Rules, the same everywhere:

- NumPy arrays are the public currency. A ``torch.Tensor`` is accepted wherever an array is and read
  as ``tensor.detach().cpu().numpy()``; the same dtype and shape rules then apply to it (so a float
  CHW tensor gets the same message as a float CHW array).
- Inputs are never modified: a validator returns the caller's array when it already fits, or a new one.
- Errors are ``TypeError`` (wrong kind or dtype) or ``ValueError`` (wrong shape, size or range), one
  line naming the argument, the calling function and the offending shape / dtype / range.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

__all__ = ["as_array", "image_rgb", "grey_image", "heatmap", "boxes", "quads"]


def _prefix(who: Optional[str]) -> str:
    return f"{who}: " if who else ""


def as_array(x, name: str, who: Optional[str] = None) -> np.ndarray:
    """``x`` as a NumPy array without copying: arrays as they are, torch tensors via ``.cpu().numpy()``."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # torch.Tensor, not importing torch
        return x.detach().cpu().numpy()
    raise TypeError(f"{_prefix(who)}{name} must be a NumPy array (or torch tensor), got {type(x).__name__}")


def image_rgb(image, name: str = "image", who: Optional[str] = None, *, min_size: int = 1) -> np.ndarray:
    """Validate an RGB image: ``uint8`` HxWx3; HxW / HxWx1 grey is repeated to 3 channels, HxWx4 RGBA
    loses its alpha.

    Args:
        image: NumPy array or torch tensor, uint8 [H, W], [H, W, 1], [H, W, 3] (RGB) or [H, W, 4] (RGBA).
        min_size: smallest allowed height and width in pixels.

    Returns:
        uint8 [H, W, 3], C-contiguous (the caller's array when it already is one; never modified).
    """
    img = as_array(image, name, who)
    if img.dtype != np.uint8:
        hint = " (scale a [0, 1] float image with (x * 255).round().astype(np.uint8))" if img.dtype.kind == "f" else ""
        raise TypeError(f"{_prefix(who)}{name} must be uint8 RGB (0..255), got dtype {img.dtype}{hint}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"{_prefix(who)}{name} must be HxWx3 RGB (or HxW grey, HxWx4 RGBA), got shape {img.shape}")
    if img.shape[0] < min_size or img.shape[1] < min_size:
        raise ValueError(f"{_prefix(who)}{name} must be at least {min_size}x{min_size} pixels, got shape {img.shape}")
    return np.ascontiguousarray(img)


def grey_image(image, name: str = "image", who: Optional[str] = None, *, min_size: int = 1) -> np.ndarray:
    """Validate a single-channel ``uint8`` HxW (or HxWx1) image; returns uint8 [H, W] (never modified)."""
    img = as_array(image, name, who)
    if img.dtype != np.uint8:
        raise TypeError(f"{_prefix(who)}{name} must have dtype uint8, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim != 2:
        raise ValueError(f"{_prefix(who)}{name} must be a single-channel HxW (or HxWx1) array, got shape "
                         f"{img.shape}; convert colour images first, e.g. cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)")
    if img.shape[0] < min_size or img.shape[1] < min_size:
        raise ValueError(f"{_prefix(who)}{name} must be at least {min_size}x{min_size} pixels, got shape {img.shape}")
    return img


def heatmap(hm, shape_hw: Optional[Sequence[int]] = None, name: str = "heatmap",
            who: Optional[str] = None) -> np.ndarray:
    """Validate a text-probability map: float HxW (or HxWx1) in [0, 1], of the image's size when given.

    Returns:
        float32 [H, W], C-contiguous (the caller's array when it already is one; never modified).
    """
    arr = as_array(hm, name, who)
    if arr.dtype.kind != "f":
        hint = " (divide an 8-bit map by 255 first)" if arr.dtype == np.uint8 else ""
        raise TypeError(f"{_prefix(who)}{name} must be float32 HxW in [0, 1], got dtype {arr.dtype}{hint}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ValueError(f"{_prefix(who)}{name} must be HxW, got shape {arr.shape}")
    if shape_hw is not None and tuple(arr.shape) != tuple(shape_hw):
        raise ValueError(f"{_prefix(who)}{name} has size {tuple(arr.shape)} but the image is {tuple(shape_hw)}; "
                         f"resize the map to the image first")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.size:
        lo, hi = float(np.min(arr)), float(np.max(arr))
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -1e-6 or hi > 1 + 1e-6:
            finite = arr[np.isfinite(arr)]
            got = f"range [{finite.min()}, {finite.max()}]" if finite.size else "no finite value"
            raise ValueError(f"{_prefix(who)}{name} values must be finite and lie in [0, 1], got {got}"
                             f"{' and non-finite values' if finite.size < arr.size else ''}")
    return arr


def boxes(b, name: str = "boxes", who: Optional[str] = None) -> np.ndarray:
    """Validate axis-aligned boxes ``(x1, y1, x2, y2)``: any real dtype [N, 4] (N may be 0), finite,
    x2 >= x1 and y2 >= y1. Returns float32 [N, 4] (never modifies the input)."""
    arr = as_array(b, name, who)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{_prefix(who)}{name} must be a real-valued [N, 4] array, got dtype {arr.dtype}")
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{_prefix(who)}{name} must have shape [N, 4] (x1, y1, x2, y2), got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"{_prefix(who)}{name} must be finite")
    if (arr[:, 2] < arr[:, 0]).any() or (arr[:, 3] < arr[:, 1]).any():
        raise ValueError(f"{_prefix(who)}{name} must have x2 >= x1 and y2 >= y1 (x1, y1, x2, y2 order)")
    return arr


def quads(q, name: str = "quads", who: Optional[str] = None) -> np.ndarray:
    """Validate quadrilaterals: any real dtype [N, 4, 2] or [N, 8] (N may be 0), finite.

    Returns float32 [N, 4, 2] (vertex order is the caller's; never modifies the input)."""
    arr = as_array(q, name, who)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{_prefix(who)}{name} must be a real-valued [N, 4, 2] array, got dtype {arr.dtype}")
    if arr.size == 0:
        arr = arr.reshape(0, 4, 2)
    if arr.ndim == 2 and arr.shape[1] == 8:
        arr = arr.reshape(-1, 4, 2)
    if arr.ndim != 3 or arr.shape[1:] != (4, 2):
        raise ValueError(f"{_prefix(who)}{name} must have shape [N, 4, 2] (or [N, 8]), got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"{_prefix(who)}{name} must be finite")
    return arr
