"""textvision.segmentation: per-pixel text probability maps with TextFCN, and TextFCN training.

- :func:`segment`, :func:`segment_batch`, :func:`text_coverage` (``inference``): heatmaps for images.
- ``train``: datasets, loss, pixel metrics and the training loop behind ``textvision train-fcn``.
- ``commands``: the ``segment`` and ``train-fcn`` CLI commands.

The network definitions (``TextFCN``, ``text_fcn_lite``, ``text_fcn_vgg16``, ``load_text_fcn``) live in
:mod:`textvision.models.fcn`. Names load lazily, so the CLI's ``import textvision.segmentation.commands``
does not import torch.
"""
from __future__ import annotations

import importlib

__all__ = ["DEFAULT_MAX_SIDE", "DEFAULT_TILE", "segment", "segment_batch", "text_coverage", "as_rgb_uint8",
           "default_model"]

#: Longer side (pixels) of the image the network sees by default, in ``segment``, ``segment_batch`` and
#: the ``segment`` command. 1280 keeps a 1280x720 photo at its native size: shrinking it to 512 px (the
#: old default) turns 8 px words into 3 px ones, which the network cannot see.
DEFAULT_MAX_SIDE = 1280

#: Working sizes above this many pixels on a side are processed in overlapping tiles (bounded memory).
#: Kept above ``DEFAULT_MAX_SIDE`` so a default-size image runs in one pass, with no tile seams.
DEFAULT_TILE = 2048

_LAZY = {n: "textvision.segmentation.inference" for n in (
    "segment", "segment_batch", "text_coverage", "as_rgb_uint8", "default_model")}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'textvision.segmentation' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
