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
from textvision.checkpoint import save_checkpoint
from textvision.models.style import KINDS, StyleNet, read_checkpoint, style_net, style_weights_path
from textvision.style.blending import blend
from textvision.style.defaults import DEFAULT_BLEND_THRESHOLD, DEFAULT_UPSCALE, MAX_UPSCALED_SIDE

__all__ = ["as_style_model", "save_style_model", "read_checkpoint", "stylize", "stylize_batch", "two_stage",
           "image_to_tensor", "tensor_to_image"]


def _style_file(path: str) -> StyleNet:
    # Module level, so that load_once's cache (keyed on the loader) finds it again.
    return style_net(weights=path)

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
    from textvision.text_fcn import segment

    return _validate.heatmap(segment(image, model=fcn), image.shape[:2], "segment() output", who)


def as_style_model(model) -> StyleNet:
    """``model`` itself when it is a :class:`StyleNet`; otherwise a registry name or checkpoint path, loaded
    once per process (on the CPU) and reused.

    Raises:
        TypeError: anything else. FileNotFoundError / ValueError: as :func:`textvision.models.style.style_net`.
    """
    if isinstance(model, StyleNet):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a StyleNet, a registry name or a checkpoint path, got {type(model).__name__}")
    from textvision.checkpoint import load_once

    return load_once(_style_file, style_weights_path(model))


def stylize(image: np.ndarray, model="default", style=0, *, mode: Optional[str] = None, fcn="default",
            heatmap: Optional[np.ndarray] = None, threshold: Optional[float] = None,
            upscale: Optional[float] = None, device=None) -> np.ndarray:
    """Restyle the text of one image.

    Args:
        image: the one image contract of ``textvision._validate.image_rgb`` (what ``textvision.segment``
            takes): uint8 / uint16 / float [0, 1], HxW grey, HxWx3 RGB or HxWx4 RGBA, NumPy or torch; never
            modified.
        model: a :class:`StyleNet` (see :func:`textvision.models.style_net`), or a registry name / checkpoint path
            (loaded once and cached): ``"default"`` (the shipped two-stage model) or
            ``"default-distilled"`` (the shipped end-to-end model).
        style: a style name, an index, a ``{name or index: weight}`` dict, or a weight vector (S,);
            weights must be >= 0 and sum to 1 (mixing styles).
        mode: ``"two-stage"`` (StyleNet on the whole image, blended by the TextFCN map) or
            ``"distilled"`` (the network alone; for distilled models). Default: ``model.kind``.
        fcn: the segmenter of two-stage, as ``textvision.segment``'s ``model``: a TextFCN, a ``text_fcn``
            registry name or a checkpoint path (default ``"default"``, the shipped one).
        heatmap: ``float32`` HxW in [0, 1] text map for two-stage; skips the segmenter.
        threshold: two-stage only: zero the map below this value first (see :func:`blend`), so the
            background stays the input exactly there. Default (None):
            :data:`~textvision.style.defaults.DEFAULT_BLEND_THRESHOLD`; 0 gives the soft blend.
        upscale: two-stage only: the StyleNet restyles the image enlarged by this factor (bicubic; the
            enlarged longer side at most :data:`~textvision.style.defaults.MAX_UPSCALED_SIDE`) and its
            output is area-shrunk back before blending, so thin strokes keep their shape (the network
            turns 2-4 px strokes into blobs at 1x); costs about ``upscale**2`` times the network's time.
            Default (None): :data:`~textvision.style.defaults.DEFAULT_UPSCALE`; 1 = the image's own size.
        device: torch device to run on (moves ``model`` there); default: the model's device.

    Returns:
        ``uint8`` HxWx3 RGB of the image's size.
    """
    image = _validate.image_rgb(image, "image", "stylize")
    model = as_style_model(model)
    mode = _resolve_mode(model, mode)
    upscale = _upscale_for(mode, upscale)
    if mode == "two-stage":
        heatmap = _heatmap_for(image, fcn, heatmap, "stylize")  # validate before the expensive part
    elif heatmap is not None or threshold is not None:
        raise ValueError("heatmap/threshold apply to mode='two-stage' only; the distilled mode needs no map")
    return _run(model, [image], style, mode, [heatmap], threshold, device, upscale)[0]


def stylize_batch(images, model="default", styles=0, *, mode: Optional[str] = None, fcn="default",
                  heatmaps=None, threshold: Optional[float] = None, upscale: Optional[float] = None,
                  batch_size: int = 8, device=None) -> list:
    """Restyle the text of many images; same-sized images run through the network together.

    Args:
        images: a list of images (sizes may differ; each follows :func:`stylize`'s image contract) or a
            ``(B, H, W, 3)`` array.
        model, mode, fcn, threshold, upscale, device: as in :func:`stylize`.
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
    upscale = _upscale_for(mode, upscale)
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
                       threshold, device, upscale)
            for i, r in zip(chunk, res):
                out[i] = r
    return out


def two_stage(image: np.ndarray, style_net: StyleNet, style, *, fcn="default", heatmap: Optional[np.ndarray] = None,
              threshold: Optional[float] = None, upscale: Optional[float] = None, device=None) -> np.ndarray:
    """Selective style transfer in two stages: TextFCN map, then StyleNet, then :func:`blend`.

    Args:
        image: as in :func:`stylize` (the one image contract).
        style_net: a :class:`~textvision.models.style.StyleNet`.
        style: a style name, index, ``{name: weight}`` dict or weight vector (weights sum to 1).
        fcn: the segmenter, as in :func:`stylize` (default ``"default"``).
        heatmap: ``float32`` HxW in [0, 1]; when given no segmenter runs.
        threshold: as in :func:`stylize` (default: :data:`~textvision.style.defaults.DEFAULT_BLEND_THRESHOLD`).
        upscale: as in :func:`stylize` (default: :data:`~textvision.style.defaults.DEFAULT_UPSCALE`).

    Returns:
        ``uint8`` HxWx3 RGB, restyled where there is text.
    """
    return stylize(image, style_net, style, mode="two-stage", fcn=fcn, heatmap=heatmap,
                   threshold=threshold, upscale=upscale, device=device)


def _upscale_for(mode: str, upscale) -> float:
    """The checked ``upscale`` of a call (the default filled in); distilled mode takes none: its gate blends
    inside the network, so shrinking its output back would resample the background too."""
    if mode != "two-stage":
        if upscale is not None:
            raise ValueError("upscale applies to mode='two-stage' only (the distilled network blends by its own gate)")
        return 1.0
    return _validate.upscale(DEFAULT_UPSCALE if upscale is None else upscale, who="stylize")


def working_scale(height: int, width: int, upscale: float) -> float:
    """The factor the StyleNet's input is enlarged by: ``upscale``, lowered so that the longer side stays at
    most :data:`~textvision.style.defaults.MAX_UPSCALED_SIDE` (never below 1: big photos already draw
    their words large enough)."""
    return max(1.0, min(float(upscale), MAX_UPSCALED_SIDE / max(height, width)))


def _network(model, x: torch.Tensor, weights: torch.Tensor, upscale: float) -> torch.Tensor:
    H, W = x.shape[-2:]
    f = working_scale(H, W, upscale)
    if f == 1.0:
        return model(x, weights)
    big = torch.nn.functional.interpolate(x, size=(round(H * f), round(W * f)), mode="bicubic",
                                          align_corners=False).clamp_(0, 1)
    return torch.nn.functional.interpolate(model(big, weights), size=(H, W), mode="area")


def _run(model, images, style, mode, heatmaps, threshold, device, upscale=1.0):
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
            styled = tensor_to_image(_network(model, x, weights, upscale))
    finally:
        model.train(was_training)
    if mode == "distilled":
        return list(styled)
    if threshold is None:
        threshold = DEFAULT_BLEND_THRESHOLD
    return [blend(im, st, hm, threshold) for im, st, hm in zip(images, styled, heatmaps)]
