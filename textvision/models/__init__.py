"""textvision.models: VGG16 (torchvision keys), TextFCN, StyleNet, EAST, CRAFT, the word recogniser.

Names load lazily, so ``import textvision.models`` (e.g. by the CLI's ``commands`` modules) does not
import torch. Each area adds its names to ``_LAZY`` in its own block: name -> defining module.
"""
from __future__ import annotations

import sys
import types

from textvision._lazy import lazy_exports

_LAZY = {}

# --- text_fcn (VGG16 with torchvision keys, TextFCN)
_LAZY.update({n: "textvision.models.vgg" for n in (
    "VGG", "VGG16Features", "vgg16", "vgg16_features", "normalize_imagenet")})
_LAZY.update({n: "textvision.models.text_fcn" for n in (
    "TextFCN", "text_fcn", "text_fcn_from_checkpoint", "save_text_fcn")})

# --- style (StyleNet: conditional-instance-norm transformer)
_LAZY.update({n: "textvision.models.style" for n in (
    "ConditionalInstanceNorm2d", "StyleNet", "style_net", "style_net_from_checkpoint")})

# --- east (EAST detector, ResNet with torchvision keys)
_LAZY.update({n: "textvision.models.east" for n in ("EAST", "EASTOutput", "east", "save_east")})
_LAZY.update({n: "textvision.models.resnet" for n in ("ResNet", "resnet18", "resnet34", "resnet50")})


# --- pretrained (CRAFT, a real-data text detector read from EasyOCR's file)
_LAZY.update({n: "textvision.models.craft" for n in ("CRAFT", "CraftMaps", "craft", "craft_maps", "craft_word_boxes")})

# --- recognizer (EasyOCR's English generation-2 word recogniser, read from its file)
_LAZY.update({n: "textvision.models.recognizer" for n in (
    "Recognizer", "recognizer", "word_tensor", "CHARSET_EN_G2", "INPUT_HEIGHT")})


class _Package(types.ModuleType):
    """``text_fcn``, ``east``, ``craft`` and ``recognizer`` name both a builder and the module defining it. Importing a
    submodule binds it on its package, so ``textvision.models.east`` would be the module or the builder
    depending on what was imported first; here the builder always wins (``from textvision.models.east
    import EAST`` still reaches the module, which stays in ``sys.modules``)."""

    def __setattr__(self, name, value):
        if name in _BUILDERS_NAMED_LIKE_MODULES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


_BUILDERS_NAMED_LIKE_MODULES = ("text_fcn", "east", "craft", "recognizer")
sys.modules[__name__].__class__ = _Package


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
