"""textvision.models: VGG16 (torchvision keys), TextFCN, StyleNet, EAST, CRAFT, the word recogniser.

Names load lazily, so ``import textvision.models`` (e.g. by the CLI's ``commands`` modules) does not
import torch. Each area adds its names to ``_LAZY`` in its own block: name -> defining module.
"""
from __future__ import annotations

import importlib

_LAZY = {}

# --- fcn (VGG16 with torchvision keys, TextFCN)
_LAZY.update({n: "textvision.models.vgg" for n in (
    "VGG", "VGG16Features", "vgg16", "load_vgg16_imagenet", "vgg16_features", "normalize_imagenet")})
_LAZY.update({n: "textvision.models.fcn" for n in (
    "TextFCN", "text_fcn_vgg16", "text_fcn_lite", "load_text_fcn", "save_text_fcn")})

# --- style (StyleNet: conditional-instance-norm transformer)
_LAZY.update({n: "textvision.models.style" for n in ("ConditionalInstanceNorm2d", "StyleNet", "style_net")})

# --- east (EAST detector, ResNet with torchvision keys)
_LAZY.update({n: "textvision.models.east" for n in ("EAST", "EASTOutput", "east_resnet50", "east_vgg16", "east_tiny")})
_LAZY.update({n: "textvision.models.resnet" for n in ("ResNet", "resnet18", "resnet34", "resnet50", "load_resnet_imagenet")})


# --- pretrained (CRAFT, a real-data text detector read from EasyOCR's file)
_LAZY.update({n: "textvision.models.craft" for n in ("CRAFT", "CraftMaps", "craft", "craft_maps", "craft_word_boxes")})

# --- recognizer (EasyOCR's English generation-2 word recogniser, read from its file)
_LAZY.update({n: "textvision.models.recognizer" for n in (
    "Recognizer", "recognizer", "word_tensor", "CHARSET_EN_G2", "INPUT_HEIGHT")})


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'textvision.models' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
