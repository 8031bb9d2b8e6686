"""textvision.style: selective text style transfer.

- :func:`load_style_model`, :func:`save_style_model`, :func:`read_checkpoint`: StyleNet checkpoints (teacher
  or distilled; ``load_style_model(weights)`` takes a path or a registry name)
- :func:`stylize`, :func:`stylize_batch`: restyle the text of NumPy images (two-stage or distilled)
- :func:`blend`, :func:`two_stage`: the two-stage path (TextFCN map blends the stylized image in)
- :class:`PerceptualLoss`, :func:`gram_matrix`: VGG16 content / Gram style losses
- :func:`train_style`, :func:`distill`, :func:`distillation_loss`: training

Submodules: ``losses`` (also ``loss_network``: HED / CRAFT / random loss networks), ``sources`` (style
folders, word crops of real photographs, font-rendered styles), ``sheet`` (``contact_sheet`` of a model's
``style_images``).

Names load lazily so ``textvision.style.commands`` (the CLI) stays light.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "load_style_model": "inference", "save_style_model": "inference", "stylize": "inference",
    "stylize_batch": "inference", "image_to_tensor": "inference", "tensor_to_image": "inference",
    "two_stage": "inference", "read_checkpoint": "inference",
    "blend": "blending",
    "PerceptualLoss": "losses", "VGGFeatures": "losses", "gram_matrix": "losses", "masked_gram": "losses",
    "total_variation": "losses", "LossTerms": "losses",
    "StyleTrainConfig": "train", "train_style": "train", "load_style_images": "train",
    "DistillConfig": "distillation", "distill": "distillation", "distillation_loss": "distillation",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"textvision.style.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'textvision.style' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
