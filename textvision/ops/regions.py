"""Mean text probability over regions computed elsewhere (Python face of ``csrc/regions``).

- :func:`region_mean` averages a probability map over pixel lists in CSR form, e.g. MSER regions of
  ``cv2.MSER.detectRegions`` converted with :func:`points_to_csr`;
- :func:`box_mean` averages it over axis-aligned boxes through an integral image (the bounding-box
  variant of FCN-guided pruning used by the public FAST code).

Both run on the CPU for NumPy arrays and on the GPU for CUDA arrays exposing
``__cuda_array_interface__`` (torch CUDA tensors, CuPy); the result is of the input's kind.
(:func:`textvision.ops.mser` computes the per-region mean of its own regions while it finds them.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Sequence, Union

import numpy as np

from textvision import _validate
from textvision._ext import core

if TYPE_CHECKING:  # the result kinds of a GPU call; neither is imported to run the ops
    import cupy
    import torch

__all__ = ["region_mean", "box_mean", "PixelLists", "points_to_csr"]


class PixelLists(NamedTuple):
    """N regions' pixels in CSR form (:func:`points_to_csr`), what :func:`region_mean` takes:
    ``region_mean(prob, *lists)``.

    Attributes:
        pixel_offsets: int64 [N+1]: 0 first, non-decreasing, last = ``len(pixel_indices)``; region ``i``
            is ``pixel_indices[pixel_offsets[i]:pixel_offsets[i + 1]]``.
        pixel_indices: int32 [sum K_i]: flat pixel indices ``y * W + x``.
    """

    pixel_offsets: np.ndarray
    pixel_indices: np.ndarray


def points_to_csr(points: Sequence[np.ndarray], width: int) -> PixelLists:
    """Convert point lists (``cv2.MSER.detectRegions`` output) to CSR pixel lists.

    Args:
        points: sequence of N integer arrays [K_i, 2] of ``(x, y)`` points (cv2's layout;
            [K_i, 1, 2] contours are accepted too).
        width: image width W, for the flat index ``y * W + x``.

    Returns:
        :class:`PixelLists` ``(pixel_offsets int64 [N+1], pixel_indices int32 [sum K_i])``.
    """
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width <= 0:
        raise ValueError(f"points_to_csr: width must be a positive int, got {width!r}")
    n = len(points)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if n == 0:
        return PixelLists(offsets, np.zeros(0, dtype=np.int32))
    sizes = np.fromiter((len(p) for p in points), dtype=np.int64, count=n)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate([np.asarray(p).reshape(-1, 2) for p in points], axis=0) if offsets[-1] else np.zeros((0, 2))
    if flat.dtype.kind not in "iu":
        raise TypeError(f"points_to_csr: points must be integer arrays, got dtype {flat.dtype}")
    idx = flat[:, 1].astype(np.int64) * int(width) + flat[:, 0]
    if idx.size and (flat.min() < 0 or flat[:, 0].max() >= width or idx.max() > np.iinfo(np.int32).max):
        raise ValueError(f"points_to_csr: points fall outside an image of width {width} (or beyond int32 indices)")
    return PixelLists(offsets, idx.astype(np.int32))


def _is_cuda(a) -> bool:
    return hasattr(a, "__cuda_array_interface__") and not isinstance(a, np.ndarray)


def _cuda_map(prob, who):
    """(pointer, h, w, stride_y, stride_x, stream) of a float32 2-D CUDA array."""
    cai = prob.__cuda_array_interface__
    shape = tuple(cai["shape"])
    if cai["typestr"] != "<f4":
        raise TypeError(f"{who}: prob must be float32, got typestr {cai['typestr']}")
    if len(shape) != 2:
        raise ValueError(f"{who}: prob must be a 2-D HxW map, got shape {shape}")
    strides = cai.get("strides")
    if strides is None:
        sy, sx = shape[1], 1
    else:
        if strides[0] % 4 or strides[1] % 4:
            raise ValueError(f"{who}: prob strides {strides} are not multiples of 4 bytes")
        sy, sx = strides[0] // 4, strides[1] // 4
    stream = cai.get("stream") or 0
    return cai["data"][0], shape[0], shape[1], sy, sx, stream


def _new_like(prob, n, dtype):
    """An empty device array of ``prob``'s library (torch or CuPy) on its device."""
    mod = type(prob).__module__.split(".")[0]
    if mod == "torch":
        import torch

        return torch.empty(n, dtype=getattr(torch, dtype), device=prob.device)
    if mod == "cupy":
        import cupy

        with prob.device:
            return cupy.empty(n, dtype=dtype)
    raise TypeError(f"unsupported CUDA array type {type(prob).__name__}: pass a torch CUDA tensor or a CuPy array")


def _to_device_like(prob, a, dtype):
    mod = type(prob).__module__.split(".")[0]
    if mod == "torch":
        import torch

        return torch.as_tensor(a, device=prob.device).to(getattr(torch, dtype)).contiguous()
    if mod == "cupy":
        import cupy

        with prob.device:
            return cupy.ascontiguousarray(cupy.asarray(a, dtype=dtype))
    raise TypeError(f"unsupported CUDA array type {type(prob).__name__}: pass a torch CUDA tensor or a CuPy array")


def _ptr(a):
    return a.__cuda_array_interface__["data"][0]


def _check_prob(prob, who: str, shape=None) -> np.ndarray:
    """A CPU probability map for the compiled ops: float32 [H, W] (of ``shape`` when given).

    The kind (NumPy array, or torch tensor read as ``.cpu().numpy()``) follows :mod:`textvision._validate`.
    Stricter than ``_validate.heatmap`` on purpose: the dtype must already be float32 (converting a
    large float64 map would be a hidden full copy on every call) and the values are not scanned here,
    because the core rejects NaN and values outside [0, 1] while it reads the map anyway. Any strides
    that are whole float32 elements are read in place; others get one contiguous copy.
    """
    prob = _validate.as_array(prob, "prob", who)
    if prob.dtype != np.float32:
        raise TypeError(f"{who}: prob must have dtype float32, got {prob.dtype} (use prob.astype(np.float32))")
    if prob.ndim != 2:
        raise ValueError(f"{who}: prob must be a 2-D HxW map, got shape {prob.shape}")
    if shape is not None and prob.shape != tuple(shape):
        raise ValueError(f"{who}: prob has shape {prob.shape} but the image is {tuple(shape)}")
    if prob.strides[0] % 4 or prob.strides[1] % 4:
        prob = np.ascontiguousarray(prob)
    return prob


def _boxes_int32(boxes, who) -> np.ndarray:
    b = np.asarray(boxes)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{who}: boxes must have shape [N, 4] (x1, y1, x2, y2), got {b.shape}")
    if b.dtype.kind == "f":
        if not np.isfinite(b).all():
            raise ValueError(f"{who}: boxes contain NaN or inf")
        # Fractional boxes cover every pixel they touch.
        b = np.concatenate([np.floor(b[:, :2]), np.ceil(b[:, 2:])], axis=1)
        b = np.clip(b, np.iinfo(np.int32).min, np.iinfo(np.int32).max)
    elif b.dtype.kind not in "iu":
        raise TypeError(f"{who}: boxes must be integer or float, got dtype {b.dtype}")
    elif b.size and (b.max() > np.iinfo(np.int32).max or b.min() < np.iinfo(np.int32).min):
        raise ValueError(f"{who}: box coordinates exceed int32")
    return np.ascontiguousarray(b, dtype=np.int32)


def box_mean(prob, boxes) -> Union[np.ndarray, torch.Tensor, cupy.ndarray]:
    """Mean of a probability map over each box, via an integral image.

    Args:
        prob: float32 HxW map in [0, 1] (NaN is an error): a NumPy array or CPU torch tensor (computed
            on the CPU, NumPy result), or a CUDA array with ``__cuda_array_interface__`` (torch / CuPy;
            computed on its device).
        boxes: [N, 4] ``(x1, y1, x2, y2)`` with x2/y2 exclusive, e.g. ``MserRegions.boxes``. Integer
            boxes are pixel edges; float boxes are widened to the pixels they touch (floor x1/y1,
            ceil x2/y2). Boxes are clipped to the map. May be NumPy or (on GPU) a device array.

    Returns:
        float32 [N] means (NaN for a box with no pixel inside the map), of the kind of ``prob``.
    """
    if _is_cuda(prob):
        ptr, h, w, sy, sx, stream = _cuda_map(prob, "box_mean")
        if _is_cuda(boxes):
            shape = tuple(boxes.__cuda_array_interface__["shape"])
            if len(shape) != 2 or shape[1] != 4:
                raise ValueError(f"box_mean: boxes must have shape [N, 4], got {shape}")
            dev_boxes = _to_device_like(prob, boxes, "int32")
        else:
            dev_boxes = _to_device_like(prob, _boxes_int32(boxes, "box_mean"), "int32")
        n = int(dev_boxes.shape[0])
        out = _new_like(prob, n, "float32")
        core().box_mean_cuda(ptr, h, w, sy, sx, _ptr(dev_boxes) if n else 0, n, _ptr(out) if n else 0, stream)
        return out
    prob = _check_prob(prob, "box_mean")
    return core().box_mean(prob, _boxes_int32(boxes, "box_mean"))


def region_mean(prob, pixel_offsets, pixel_indices) -> Union[np.ndarray, torch.Tensor, cupy.ndarray]:
    """Mean of a probability map over each region's pixels.

    Args:
        prob: float32 HxW map in [0, 1] (NaN is an error); NumPy or a CPU torch tensor (computed on
            the CPU, NumPy result), or a CUDA array (torch / CuPy, computed on its device).
        pixel_offsets: int64 [N+1] CSR offsets: 0 first, non-decreasing, last = len(pixel_indices).
        pixel_indices: int32 flat pixel indices ``y * W + x`` in [0, H*W).
        (Both as from :func:`points_to_csr` or ``mser(..., return_pixels=True)``; device arrays
        are used as they are on GPU, NumPy ones are copied to the map's device.)

    Returns:
        float32 [N] means (NaN for an empty region), of the kind of ``prob``.
    """
    if _is_cuda(prob):
        ptr, h, w, sy, sx, stream = _cuda_map(prob, "region_mean")
        off = _to_device_like(prob, pixel_offsets if _is_cuda(pixel_offsets) else np.asarray(pixel_offsets), "int64")
        idx = _to_device_like(prob, pixel_indices if _is_cuda(pixel_indices) else np.asarray(pixel_indices), "int32")
        if off.ndim != 1 or off.shape[0] < 1 or idx.ndim != 1:
            raise ValueError("region_mean: pixel_offsets must be 1-D [N+1] and pixel_indices 1-D")
        n = int(off.shape[0]) - 1
        if int(off[0]) != 0 or int(off[-1]) != int(idx.shape[0]) or (n > 0 and bool((off[1:] < off[:-1]).any())):
            raise ValueError("region_mean: pixel_offsets must start at 0, be non-decreasing and end at "
                             "len(pixel_indices)")
        out = _new_like(prob, n, "float32")
        core().region_mean_cuda(ptr, h, w, sy, sx, _ptr(off), n, _ptr(idx) if idx.shape[0] else 0,
                                int(idx.shape[0]), _ptr(out) if n else 0, stream)
        return out
    prob = _check_prob(prob, "region_mean")
    off = np.asarray(pixel_offsets)
    idx = np.asarray(pixel_indices)
    if off.dtype.kind not in "iu" or idx.dtype.kind not in "iu":
        raise TypeError(f"region_mean: pixel_offsets/pixel_indices must be integer arrays, got {off.dtype}/{idx.dtype}")
    if off.ndim != 1 or off.shape[0] < 1:
        raise ValueError(f"region_mean: pixel_offsets must be 1-D with N+1 >= 1 entries, got shape {off.shape}")
    if idx.ndim != 1:
        raise ValueError(f"region_mean: pixel_indices must be 1-D, got shape {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= prob.size):
        raise ValueError(f"region_mean: pixel_indices must lie in [0, {prob.size}) for a map of shape {prob.shape}")
    off = np.ascontiguousarray(off, dtype=np.int64)
    idx = np.ascontiguousarray(idx, dtype=np.int32)
    return core().region_mean(prob, off, idx)
