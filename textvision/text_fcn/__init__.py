"""textvision.text_fcn: per-pixel text probability maps with TextFCN, and TextFCN training.

- :func:`segment`, :func:`segment_batch`, :func:`text_coverage` (``inference``): heatmaps for images.
- ``train``: datasets, loss, pixel metrics and the training loop behind ``textvision train-text-fcn``.
- ``commands``: the ``segment`` and ``train-text-fcn`` CLI commands.

The network definitions (``TextFCN`` and its builder ``text_fcn``) live in
:mod:`textvision.models.text_fcn`. Names load lazily, so the CLI's ``import textvision.text_fcn.commands``
does not import torch.
"""
from __future__ import annotations

from textvision._lazy import lazy_exports

# The working size is TextFCN's own fact (the StyleNet gate shares it): defined beside the network.
from textvision.models.working_size import DEFAULT_MAX_SIDE

__all__ = ["DEFAULT_MAX_SIDE", "DEFAULT_TILE", "segment", "segment_batch", "text_coverage"]

#: Working sizes above this many pixels on a side are processed in overlapping tiles (bounded memory).
#: Kept above ``DEFAULT_MAX_SIDE`` so a default-size image runs in one pass, with no tile seams.
DEFAULT_TILE = 2048

_LAZY = {n: "textvision.text_fcn.inference" for n in (
    "segment", "segment_batch", "text_coverage")}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
