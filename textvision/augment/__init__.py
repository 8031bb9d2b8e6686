"""textvision.augment: selective text style transfer as data augmentation.

- :class:`SelectiveTextStyle`: an albumentations ``ImageOnlyTransform`` (restyles text only)
- :func:`augment_dataset`, :class:`AugmentOptions`: restyled copies of a whole ICDAR 2015 / 2013 or
  COCO-Text training set with its ground truth (the ``textvision augment`` command)

Names load lazily so the CLI (``textvision.augment.commands``) stays light.
"""
from __future__ import annotations

from textvision._lazy import lazy_exports

_LAZY = {
    "SelectiveTextStyle": ".transforms",
    "augment_dataset": ".dataset", "AugmentOptions": ".dataset", "AugmentResult": ".dataset",
    "plan_styles": ".dataset",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
