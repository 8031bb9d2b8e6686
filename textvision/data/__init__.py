"""textvision.data: scene-text annotations, datasets and synthetic scenes.

- :class:`TextInstance` (quad float32 [4, 2] clockwise from top-left, text, ignore)
- ICDAR 2015 / 2013 files: :func:`read_icdar2015`, :func:`write_icdar2015`, :func:`read_icdar2013`,
  :func:`write_icdar2013` (strict reading raises :class:`MalformedGroundTruth`); COCO-Text JSON:
  :func:`read_coco_text`, :func:`write_coco_text`
- masks: :func:`instances_to_masks` (:class:`TextMasks`)
- :func:`read_image`: an alias of :func:`textvision.io.read_rgb`, the one image reader
- torch datasets: :class:`IcdarDataset`, :class:`CocoTextDataset`, :func:`collate`
- synthetic scenes: :mod:`textvision.data.synth` (``render_scene``, ``SynthDataset``)

The datasets and the generator load on first use (they import torch / OpenCV).
"""
from __future__ import annotations

from textvision._lazy import lazy_exports
from textvision.data.icdar import MalformedGroundTruth, read_icdar2013, read_icdar2015, write_icdar2013, write_icdar2015
from textvision.data.instances import TextInstance, box_to_quad, boxes_of, order_clockwise, quads_of
from textvision.data.masks import TextMasks, instances_to_masks
from textvision.io import read_rgb as read_image

_LAZY = {
    "read_coco_text": "textvision.data.coco_text",
    "write_coco_text": "textvision.data.coco_text",
    "CocoText": "textvision.data.coco_text",
    "IcdarDataset": "textvision.data.datasets",
    "CocoTextDataset": "textvision.data.datasets",
    "collate": "textvision.data.datasets",
    "render_scene": "textvision.data.synth",
    "SynthScene": "textvision.data.synth",
    "SynthDataset": "textvision.data.synth",
}

__all__ = [
    "TextInstance", "box_to_quad", "boxes_of", "quads_of", "order_clockwise",
    "read_icdar2015", "write_icdar2015", "read_icdar2013", "write_icdar2013", "MalformedGroundTruth",
    "TextMasks", "instances_to_masks", "read_image", *_LAZY,
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, submodules=["synth"])
