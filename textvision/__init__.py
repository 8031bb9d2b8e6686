"""textvision: scene-text vision with a compiled core.

- ``textvision.ops``: the compiled core (MSER with fused text-probability averaging, region means, NMS)
- ``textvision.data``: ICDAR 2013/2015 and COCO-Text I/O, synthetic scenes, datasets
- ``textvision.eval``: ICDAR protocols and proposal detection rate
- ``textvision.proposals``: TextProposals with FCN-guided pruning
- ``textvision.text_fcn``: TextFCN text probability maps (``textvision.segment``) and its training
- ``textvision.models``: VGG16, TextFCN, StyleNet, EAST
- ``textvision.style``, ``textvision.augment``: selective text style transfer and dataset augmentation
- ``textvision.spotting``: reading words end to end (``textvision.read``: EAST or proposals + the recogniser)

Heavy submodules (torch) load on first use, so ``import textvision`` stays fast.
"""
from __future__ import annotations

from textvision._lazy import lazy_exports

__version__ = "0.1.0"  # the one place the version is set: pyproject.toml reads it ([tool.setuptools.dynamic])

_SUBMODULES = ("ops", "data", "eval", "proposals", "models", "text_fcn", "style", "augment", "east", "spotting")
# Top-level conveniences: name -> the package exporting it
_LAZY = {
    "segment": "textvision.text_fcn",
    "segment_batch": "textvision.text_fcn",
    "text_coverage": "textvision.text_fcn",
    "propose": "textvision.proposals",
    "read": "textvision.spotting",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, submodules=_SUBMODULES)
