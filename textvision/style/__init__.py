"""textvision.style: selective text style transfer.

- :func:`save_style_model`, :func:`read_checkpoint`: StyleNet checkpoints (teacher or distilled; the
  network itself is built or loaded by ``textvision.models.style_net(weights=...)``)
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

from textvision._lazy import lazy_exports

_LAZY = {
    "save_style_model": ".inference", "stylize": ".inference",
    "stylize_batch": ".inference", "image_to_tensor": ".inference", "tensor_to_image": ".inference",
    "two_stage": ".inference", "read_checkpoint": ".inference",
    "blend": ".blending",
    "PerceptualLoss": ".losses", "VGGFeatures": ".losses", "gram_matrix": ".losses", "masked_gram": ".losses",
    "total_variation": ".losses", "LossTerms": ".losses",
    "StyleTrainConfig": ".train", "train_style": ".train", "load_style_images": ".train", "StyleImages": ".train",
    "DistillConfig": ".distillation", "distill": ".distillation", "distillation_loss": ".distillation",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
