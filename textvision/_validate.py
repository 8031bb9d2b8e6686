"""The one set of input validators behind every public function that takes arrays.

Rules, the same everywhere:

- NumPy arrays are the public currency. A ``torch.Tensor`` is accepted wherever an array is and read
  as ``tensor.detach().cpu().numpy()``; the same dtype and shape rules then apply to it (so a float
  CHW tensor gets the same message as a float CHW array).
- Images follow one contract, :func:`image_rgb` (uint8 / uint16 / float in [0, 1]; grey, RGB or RGBA),
  read once at the top of every pipeline; the compiled core's own entry points (``textvision.ops``) take
  exactly what the core reads (:func:`grey_image`: uint8 grey).
- Inputs are never modified: a validator returns the caller's array when it already fits, or a new one.
- Errors are ``TypeError`` (wrong kind or dtype) or ``ValueError`` (wrong shape, size or range), one
  line naming the argument, the calling function and the offending shape / dtype / range.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

__all__ = ["IMAGE_DTYPES", "as_array", "image_rgb", "grey_image", "heatmap", "boxes", "quads", "upscale"]


def _prefix(who: Optional[str]) -> str:
    return f"{who}: " if who else ""


def as_array(x, name: str, who: Optional[str] = None) -> np.ndarray:
    """``x`` as a NumPy array without copying: arrays as they are, torch tensors via ``.cpu().numpy()``."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # torch.Tensor, not importing torch
        return x.detach().cpu().numpy()
    raise TypeError(f"{_prefix(who)}{name} must be a NumPy array (or torch tensor), got {type(x).__name__}")


#: The dtypes of the one image contract (:func:`image_rgb`), with how each reaches uint8.
IMAGE_DTYPES = ("uint8", "uint16", "float32", "float64")


def image_rgb(image, name: str = "image", who: Optional[str] = None) -> np.ndarray:
    """The one image contract: every pipeline (``segment``, ``propose``, ``TextProposals``, ``detect``,
    ``read``, ``stylize``, ``SelectiveTextStyle``...) and every function that takes a picture reads its
    image through this, once, and works on the uint8 RGB it returns.

    Accepted (anything else is refused with one line naming ``who``, ``name`` and the offending
    dtype / shape / range):

    - kind: a NumPy array, or a torch tensor in the same HxWxC layout (read as ``.cpu().numpy()``);
    - dtype: ``uint8`` (0..255, used as is), ``uint16`` (0..65535, scaled by 255/65535 and rounded),
      ``float32`` / ``float64`` with finite values in [0, 1] (scaled by 255 and rounded); bool, signed
      integers, uint32/64 and float16 are refused (``TypeError``), as are NaN/inf or floats outside
      [0, 1] (``ValueError``: a 0..255 float image must be divided by 255 first);
    - shape: HxW or HxWx1 grey (repeated to 3 channels), HxWx3 RGB, HxWx4 RGBA (alpha dropped); other
      shapes (CHW tensors, 2 channels, batches) and empty images (H or W = 0) are refused (``ValueError``).

    Returns:
        uint8 [H, W, 3] RGB, C-contiguous: the caller's array when it already is one, else a new array
        (the input is never modified).
    """
    img = as_array(image, name, who)
    if img.dtype.name not in IMAGE_DTYPES:
        raise TypeError(f"{_prefix(who)}{name} must be uint8, uint16 or float32/float64 in [0, 1], got dtype "
                        f"{img.dtype}")
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (1, 3, 4))):
        raise ValueError(f"{_prefix(who)}{name} must be HxWx3 RGB (or HxW / HxWx1 grey, HxWx4 RGBA), got shape "
                         f"{img.shape}")
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"{_prefix(who)}{name} must be at least 1x1 pixels, got shape {img.shape}")
    if img.dtype.kind == "f":
        lo, hi = float(img.min()), float(img.max())  # NaN propagates into both
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
            finite = img[np.isfinite(img)]
            got = f"range [{float(finite.min())}, {float(finite.max())}]" if finite.size else "no finite value"
            bad = " and NaN/inf values" if finite.size < img.size else ""
            hint = "; divide a 0..255 float image by 255" if finite.size and float(finite.max()) > 1.0 else ""
            raise ValueError(f"{_prefix(who)}float {name} must hold finite values in [0, 1], got {got}{bad} "
                             f"({img.dtype}, shape {img.shape}){hint}")
        img = (img.astype(np.float32) * 255.0 + 0.5).astype(np.uint8)
    elif img.dtype == np.uint16:
        img = (img.astype(np.float32) * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
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


def upscale(value, name: str = "upscale", who: Optional[str] = None) -> float:
    """A working enlargement factor (``stylize``'s ``upscale``): a real number in [1, 4], as float.

    Raises:
        ValueError: a bool, a non-number or a value outside [1, 4] (above 4 the network's input grows 16x+).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 1.0 <= float(value) <= 4.0:
        raise ValueError(f"{_prefix(who)}{name} must be a number in [1, 4], got {value!r}")
    return float(value)
