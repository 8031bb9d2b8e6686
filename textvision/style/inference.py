"""Loading style checkpoints and stylizing NumPy images (single and batched).

Checkpoints use the one textvision format (:mod:`textvision.checkpoint`, always read with
``weights_only=True``): ``kind`` ("two-stage" | "distilled"), ``config`` (StyleNet constructor
arguments), ``state_dict``, ``style_names`` (list[str]) and ``style_images`` (list of ``uint8``
(h, w, 3) tensors, one thumbnail per style; absent in older files); training adds ``step``,
``optimizer``, ``train_config`` and ``history`` so a run can resume.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
import torch

from textvision import _validate
from textvision.checkpoint import load_checkpoint, save_checkpoint
from textvision.models.style import KINDS, StyleNet
from textvision.style.blending import blend
from textvision.style.defaults import DEFAULT_BLEND_THRESHOLD

__all__ = ["as_style_model", "load_style_model", "save_style_model", "read_checkpoint", "style_weights_path", "stylize",
           "stylize_batch", "two_stage", "image_to_tensor", "tensor_to_image"]

def style_weights_path(weights) -> str:
    """Turn a style ``weights=`` argument (a checkpoint path or a registry name) into a file path.

    Raises:
        ValueError: ``None``, or an unknown registry name (the message lists the registered ones).
        FileNotFoundError: a path that does not exist.
    """
    from textvision.weights import resolve

    if weights is None:
        raise ValueError("a style model needs weights: 'default', 'default-distilled', or a checkpoint path from "
                         "`textvision train-style` / `textvision distill`")
    return os.fspath(resolve(weights, "style"))


def save_style_model(model: StyleNet, path, **extra) -> str:
    """Write ``model`` as a style checkpoint (atomically, via :func:`textvision.checkpoint.save_checkpoint`).

    Args:
        model: the :class:`StyleNet` (its ``kind`` becomes the checkpoint's kind).
        path: target file (its folder is created).
        extra: plain values or tensors stored beside the weights (``step``, ``optimizer``...).

    Returns:
        ``path`` as a string.
    """
    images = getattr(model, "style_images", None)
    if images is not None:
        # Tensors, not arrays: checkpoints are read with weights_only=True, which refuses NumPy objects.
        extra["style_images"] = [torch.from_numpy(np.ascontiguousarray(im)) for im in images]
    save_checkpoint(path, kind=model.kind, state_dict=model.state_dict(), config=dict(model.config),
                    style_names=list(model.style_names), **extra)
    return os.fspath(path)


def read_checkpoint(path, device="cpu") -> dict:
    """Read and validate a style checkpoint dict (safe: ``weights_only=True``).

    Args:
        path: a checkpoint file, or a registry name (see :func:`style_weights_path`).
        device: ``map_location`` for its tensors.

    Raises:
        FileNotFoundError / ValueError: one line naming the file (missing, not a checkpoint, a file that
            needs code to unpickle, another kind of checkpoint, no ``style_names``).
    """
    path = style_weights_path(path)
    ckpt = load_checkpoint(path, KINDS, map_location=device)
    if not isinstance(ckpt.get("style_names"), (list, tuple)):
        raise ValueError(f"{path}: not a textvision style checkpoint (a {ckpt['kind']!r} checkpoint without "
                         f"'style_names')")
    return ckpt


def model_from_checkpoint(ckpt: dict, device="cpu") -> StyleNet:
    """Build the :class:`StyleNet` a checkpoint dict describes, in eval mode on ``device``."""
    cfg = dict(ckpt["config"])
    num_styles = cfg.pop("num_styles", len(ckpt["style_names"]))
    model = StyleNet(num_styles, list(ckpt["style_names"]), kind=ckpt["kind"], **cfg)
    model.load_state_dict(ckpt["state_dict"])
    images = ckpt.get("style_images")
    if images is not None:
        try:
            model.set_style_images(images)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad style thumbnails in the checkpoint: {exc}") from None
    return model.to(device).eval()


def load_style_model(weights, device="cpu") -> StyleNet:
    """Load a StyleNet checkpoint (teacher or distilled) in eval mode on ``device``.

    Args:
        weights: a checkpoint path (from ``textvision train-style`` / ``textvision distill``) or a
            registry name: ``"default"`` (the shipped two-stage model) or ``"default-distilled"``.
        device: torch device for the model.

    Returns:
        :class:`StyleNet` with ``style_names``, ``style_images`` (thumbnails, or None for checkpoints
        written before they existed) and ``kind`` ("two-stage" or "distilled") set.
    """
    return model_from_checkpoint(read_checkpoint(weights, device), device)


def image_to_tensor(images: Sequence[np.ndarray], device=None) -> torch.Tensor:
    """Stack same-sized ``uint8`` HxWx3 RGB images into ``float32 (B, 3, H, W)`` in [0, 1]."""
    arr = np.stack(images, axis=0)
    t = torch.from_numpy(arr).to(device=device).permute(0, 3, 1, 2).float().div_(255.0)
    return t.contiguous()


def tensor_to_image(t: torch.Tensor) -> np.ndarray:
    """``float (B, 3, H, W)`` in [0, 1] -> ``uint8 (B, H, W, 3)`` RGB (rounded)."""
    return (t.detach().clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).cpu().numpy())


def _resolve_mode(model: StyleNet, mode: Optional[str]) -> str:
    if mode is None:
        return model.kind
    if mode not in KINDS:
        raise ValueError(f"mode must be one of {KINDS}, got {mode!r}")
    return mode


def _heatmap_for(image, fcn, heatmap, who):
    if heatmap is not None:
        return _validate.heatmap(heatmap, image.shape[:2], "heatmap", who)
    from textvision.segmentation import segment

    return _validate.heatmap(segment(image, model=fcn), image.shape[:2], "segment() output", who)


def as_style_model(model) -> StyleNet:
    """``model`` itself when it is a :class:`StyleNet`; otherwise a registry name or checkpoint path, loaded
    once per process (on the CPU) and reused.

    Raises:
        TypeError: anything else. FileNotFoundError / ValueError: as :func:`load_style_model`.
    """
    if isinstance(model, StyleNet):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a StyleNet, a registry name or a checkpoint path, got {type(model).__name__}")
    from textvision.checkpoint import load_once

    return load_once(load_style_model, style_weights_path(model))


def stylize(image: np.ndarray, model="default", style=0, *, mode: Optional[str] = None, fcn=None,
            heatmap: Optional[np.ndarray] = None, threshold: Optional[float] = None,
            device=None) -> np.ndarray:
    """Restyle the text of one image.

    Args:
        image: ``uint8`` HxWx3 RGB (HxW grey accepted); never modified.
        model: a :class:`StyleNet` (see :func:`load_style_model`), or a registry name / checkpoint path
            (loaded once and cached): ``"default"`` (the shipped two-stage model) or
            ``"default-distilled"`` (the shipped end-to-end model).
        style: a style name, an index, a ``{name or index: weight}`` dict, or a weight vector (S,);
            weights must be >= 0 and sum to 1 (mixing styles).
        mode: ``"two-stage"`` (StyleNet on the whole image, blended by the TextFCN map) or
            ``"distilled"`` (the network alone; for distilled models). Default: ``model.kind``.
        fcn: TextFCN model for two-stage (default: ``textvision.segment``'s shipped model).
        heatmap: ``float32`` HxW in [0, 1] text map for two-stage; skips the segmenter.
        threshold: two-stage only: zero the map below this value first (see :func:`blend`), so the
            background stays the input exactly there. Default (None):
            :data:`~textvision.style.defaults.DEFAULT_BLEND_THRESHOLD`; 0 gives the soft blend.
        device: torch device to run on (moves ``model`` there); default: the model's device.

    Returns:
        ``uint8`` HxWx3 RGB of the image's size.
    """
    image = _validate.image_rgb(image, "image", "stylize")
    model = as_style_model(model)
    mode = _resolve_mode(model, mode)
    if mode == "two-stage":
        heatmap = _heatmap_for(image, fcn, heatmap, "stylize")  # validate before the expensive part
    elif heatmap is not None or threshold is not None:
        raise ValueError("heatmap/threshold apply to mode='two-stage' only; the distilled mode needs no map")
    return _run(model, [image], style, mode, [heatmap], threshold, device)[0]


def stylize_batch(images, model="default", styles=0, *, mode: Optional[str] = None, fcn=None,
                  heatmaps=None, threshold: Optional[float] = None, batch_size: int = 8,
                  device=None) -> list:
    """Restyle the text of many images; same-sized images run through the network together.

    Args:
        images: a list of ``uint8`` HxWx3 RGB images (sizes may differ) or a ``(B, H, W, 3)`` array.
        model, mode, fcn, threshold, device: as in :func:`stylize`.
        styles: one style for all images (any form :func:`stylize` accepts), or a list/tuple with one
            style per image (names, indices, dicts or weight vectors).
        heatmaps: optional list of ``float32`` HxW maps, one per image (two-stage).
        batch_size: images per forward pass.

    Returns:
        list of ``uint8`` HxWx3 RGB images, in input order.
    """
    images = [_validate.image_rgb(im, f"images[{i}]", "stylize_batch") for i, im in enumerate(images)]
    n = len(images)
    model = as_style_model(model)
    mode = _resolve_mode(model, mode)
    if isinstance(styles, (list, tuple)) and len(styles) == n and n > 0 and not all(
            isinstance(s, (float, np.floating)) for s in styles):
        per_image = list(styles)
    else:
        per_image = [styles] * n
    if heatmaps is not None and len(heatmaps) != n:
        raise ValueError(f"got {len(heatmaps)} heatmaps for {n} images")
    if mode == "two-stage":
        heatmaps = [_heatmap_for(im, fcn, None if heatmaps is None else heatmaps[i], "stylize_batch")
                    for i, im in enumerate(images)]
    elif heatmaps is not None or threshold is not None:
        raise ValueError("heatmaps/threshold apply to mode='two-stage' only")
    else:
        heatmaps = [None] * n
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    out = [None] * n
    groups = {}
    for i, im in enumerate(images):
        groups.setdefault(im.shape, []).append(i)
    for idx in groups.values():
        for k in range(0, len(idx), int(batch_size)):
            chunk = idx[k:k + int(batch_size)]
            w = torch.cat([model.style_weights(per_image[i], 1) for i in chunk], dim=0)
            res = _run(model, [images[i] for i in chunk], w, mode, [heatmaps[i] for i in chunk],
                       threshold, device)
            for i, r in zip(chunk, res):
                out[i] = r
    return out


def two_stage(image: np.ndarray, style_net: StyleNet, style, *, fcn=None, heatmap: Optional[np.ndarray] = None,
              threshold: Optional[float] = None, device=None) -> np.ndarray:
    """Selective style transfer in two stages: TextFCN map, then StyleNet, then :func:`blend`.

    Args:
        image: ``uint8`` HxWx3 RGB.
        style_net: a :class:`~textvision.models.style.StyleNet`.
        style: a style name, index, ``{name: weight}`` dict or weight vector (weights sum to 1).
        fcn: TextFCN model for the heatmap (default: the shipped default via ``textvision.segment``).
        heatmap: ``float32`` HxW in [0, 1]; when given no segmenter runs.
        threshold: as in :func:`stylize` (default: :data:`~textvision.style.defaults.DEFAULT_BLEND_THRESHOLD`).

    Returns:
        ``uint8`` HxWx3 RGB, restyled where there is text.
    """
    return stylize(image, style_net, style, mode="two-stage", fcn=fcn, heatmap=heatmap,
                   threshold=threshold, device=device)


def _run(model, images, style, mode, heatmaps, threshold, device):
    if device is None:
        device = next(model.parameters()).device
    else:
        model.to(device)  # like textvision.segment: the model follows the requested device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            x = image_to_tensor(images, device)
            weights = model.style_weights(style, x.shape[0], device=x.device)
            styled = tensor_to_image(model(x, weights))
    finally:
        model.train(was_training)
    if mode == "distilled":
        return list(styled)
    if threshold is None:
        threshold = DEFAULT_BLEND_THRESHOLD
    return [blend(im, st, hm, threshold) for im, st, hm in zip(images, styled, heatmaps)]
