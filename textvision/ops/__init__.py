"""Compiled operations with validating Python wrappers (NumPy in, NumPy out).

Each op mirrors a folder of ``csrc/`` and has a NumPy reference in ``tests/ops``.
"""
from textvision._ext import ExtensionMissingError, built_with_cuda, has_cuda, has_ops
from textvision.ops.nms import LanmsResult, lanms, polygon_iou, polygon_nms  # east

__all__ = [
    "LanmsResult", "lanms", "polygon_iou", "polygon_nms",  # east
    "ExtensionMissingError", "built_with_cuda", "has_cuda", "has_ops"]
