"""textvision.east: EAST targets, loss, decoding, detection and training.

- :func:`targets` -> :class:`EASTTargets` (score map, RBOX geometry, training mask at 1/4 resolution)
- :class:`EASTLoss` (dice / class-balanced score loss, IoU loss, angle loss)
- :func:`decode`, :func:`detect` -> :class:`Detections` (locality-aware NMS in the compiled core)
- :func:`train_east` with :class:`EASTTrainConfig`, :func:`save_east` (the network and its loader,
  ``textvision.models.east(arch, weights=None)``, live in :mod:`textvision.models.east`)

Names load lazily so that ``textvision.east.commands`` (the CLI) stays light.
"""
from __future__ import annotations

from textvision._lazy import lazy_exports

# Imported eagerly (NumPy and OpenCV only): the functions ``targets`` and ``decode`` share their names
# with their submodules, and importing a submodule (the trainer and ``detect`` do) would otherwise leave
# ``textvision.east.targets`` / ``.decode`` bound to the module: "module object is not callable".
from textvision.east.decode import Detections, decode, detect, detect_batch  # noqa: E402, F401
from textvision.east.targets import EASTTargets, targets  # noqa: E402, F401

_LAZY = {
    "EASTLoss": "textvision.east.loss",
    "EASTLossParts": "textvision.east.loss",
    "EASTTrainConfig": "textvision.east.train",
    "EASTTrainDataset": "textvision.east.train",
    "train_east": "textvision.east.train",
    "evaluate_east": "textvision.east.train",
    # saving lives beside the network; re-exported here (``textvision.east.save_east``)
    "save_east": "textvision.models.east",
    "StyledCopies": "textvision.east.train",
}

__all__ = sorted([*_LAZY, "EASTTargets", "targets", "Detections", "decode", "detect", "detect_batch"])


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
