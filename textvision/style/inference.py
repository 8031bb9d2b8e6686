"""Loading style checkpoints and stylizing NumPy images (single and batched).

Checkpoints are ``torch.save`` dicts with keys ``kind`` ("two-stage" | "distilled"), ``style_names``
(list[str]), ``config`` (StyleNet constructor arguments) and ``state_dict``; training adds
``step``, ``optimizer`` and ``train_config`` so a run can resume.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
import torch

from textvision.models.style import KINDS, StyleNet
from textvision.style.blending import blend, check_heatmap, check_image

__all__ = ["load_style_model", "save_style_model", "stylize", "stylize_batch",
           "image_to_tensor", "tensor_to_image"]

_REQUIRED_KEYS = ("kind", "style_names", "config", "state_dict")


def save_style_model(model: StyleNet, path, **extra) -> str:
    """Write ``model`` as a checkpoint dict (``kind``, ``style_names``, ``config``, ``state_dict``, extras).

    The file is written to ``path + ".tmp"`` first and renamed, so an interrupted save never leaves a
    truncated checkpoint behind.
    """
    ckpt = {"kind": model.kind, "style_names": list(model.style_names), "config": dict(model.config),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    ckpt.update(extra)
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(ckpt, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def read_checkpoint(path, device="cpu") -> dict:
    """Read and validate a style checkpoint dict (``FileNotFoundError``/``ValueError`` naming ``path``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"style checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable torch checkpoint: {exc}") from exc
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in _REQUIRED_KEYS):
        have = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f"{path} is not a textvision style checkpoint: needs keys {list(_REQUIRED_KEYS)}, "
                         f"has {have}")
    if ckpt["kind"] not in KINDS:
        raise ValueError(f"{path}: checkpoint kind must be one of {KINDS}, got {ckpt['kind']!r}")
    return ckpt


def model_from_checkpoint(ckpt: dict, device="cpu") -> StyleNet:
    cfg = dict(ckpt["config"])
    num_styles = cfg.pop("num_styles", len(ckpt["style_names"]))
    model = StyleNet(num_styles, ckpt["style_names"], kind=ckpt["kind"], **cfg)
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval()


def load_style_model(path, device="cpu") -> StyleNet:
    """Load a StyleNet checkpoint (teacher or distilled) in eval mode on ``device``.

    Returns:
        :class:`StyleNet` with ``style_names`` and ``kind`` ("two-stage" or "distilled") set.
    """
    return model_from_checkpoint(read_checkpoint(path, device), device)


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


def _heatmap_for(image, fcn, heatmap):
    if heatmap is not None:
        return check_heatmap(heatmap, image.shape[:2])
    from textvision.segmentation import segment

    return check_heatmap(segment(image, model=fcn), image.shape[:2], "segment() output")


def stylize(image: np.ndarray, model: StyleNet, style, *, mode: Optional[str] = None, fcn=None,
            heatmap: Optional[np.ndarray] = None, threshold: Optional[float] = None,
            device=None) -> np.ndarray:
    """Restyle the text of one image.

    Args:
        image: ``uint8`` HxWx3 RGB (HxW grey accepted); never modified.
        model: a :class:`StyleNet` (see :func:`load_style_model`).
        style: a style name, an index, a ``{name or index: weight}`` dict, or a weight vector (S,);
            weights must be >= 0 and sum to 1 (mixing styles).
        mode: ``"two-stage"`` (StyleNet on the whole image, blended by the TextFCN map) or
            ``"distilled"`` (the network alone; for distilled models). Default: ``model.kind``.
        fcn: TextFCN model for two-stage (default: ``textvision.segment``'s shipped model).
        heatmap: ``float32`` HxW in [0, 1] text map for two-stage; skips the segmenter.
        threshold: two-stage only: zero the map below this value first (see :func:`blend`).
        device: torch device to run on (moves ``model`` there); default: the model's device.

    Returns:
        ``uint8`` HxWx3 RGB of the image's size.
    """
    image = check_image(image)
    mode = _resolve_mode(model, mode)
    if mode == "two-stage":
        heatmap = _heatmap_for(image, fcn, heatmap)  # validate before the expensive part
    elif heatmap is not None or threshold is not None:
        raise ValueError("heatmap/threshold apply to mode='two-stage' only; the distilled mode needs no map")
    return _run(model, [image], style, mode, [heatmap], threshold, device)[0]


def stylize_batch(images, model: StyleNet, styles, *, mode: Optional[str] = None, fcn=None,
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
    images = [check_image(im, f"images[{i}]") for i, im in enumerate(images)]
    n = len(images)
    mode = _resolve_mode(model, mode)
    if isinstance(styles, (list, tuple)) and len(styles) == n and n > 0 and not all(
            isinstance(s, (float, np.floating)) for s in styles):
        per_image = list(styles)
    else:
        per_image = [styles] * n
    if heatmaps is not None and len(heatmaps) != n:
        raise ValueError(f"got {len(heatmaps)} heatmaps for {n} images")
    if mode == "two-stage":
        heatmaps = [_heatmap_for(im, fcn, None if heatmaps is None else heatmaps[i])
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
    return [blend(im, st, hm, threshold) for im, st, hm in zip(images, styled, heatmaps)]
