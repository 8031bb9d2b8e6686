"""Compiled operations with validating Python wrappers (NumPy in, NumPy out).

Each op mirrors a folder of ``csrc/`` and has a NumPy reference in ``tests/ops``.

- :func:`mser` — linear-time MSER with fused per-region statistics (mean text probability) and
  pruning; :class:`MserRegions` holds its results; :func:`textproposals_params` its TextProposals preset.
- :func:`region_mean`, :func:`box_mean` — mean of a probability map over pixel lists / boxes
  (CPU, and CUDA arrays through ``__cuda_array_interface__``); :func:`points_to_csr` converts
  ``cv2.MSER.detectRegions`` point lists to :class:`PixelLists`.
"""
from textvision._ext import ExtensionMissingError, built_with_cuda, has_cuda, has_ops
from textvision.ops.mser import OPENCV_DEFAULTS, MserRegions, mser, textproposals_params
from textvision.ops.nms import LanmsResult, lanms, polygon_iou, polygon_nms  # east
from textvision.ops.regions import PixelLists, box_mean, points_to_csr, region_mean

__all__ = [
    "LanmsResult", "lanms", "polygon_iou", "polygon_nms",  # east
    "ExtensionMissingError", "built_with_cuda", "has_cuda", "has_ops",
    "MserRegions", "mser", "textproposals_params", "OPENCV_DEFAULTS",
    "region_mean", "box_mean", "PixelLists", "points_to_csr",
]
