"""Text segmentation with TextFCN: per-pixel text probability maps ("heatmaps") for images.

Preprocessing (the one convention of every TextFCN, shipped weights included): RGB, scaled to
[0, 1], normalised with the ImageNet mean / std (``textvision.models.vgg.normalize_imagenet``).

Resize policy: the image is scaled so its longer side is ``max_side`` (default
``DEFAULT_MAX_SIDE`` = 1280, so a 1280x720 photo runs at its native size; larger images are
downscaled, smaller ones upscaled by at most ``max_upscale``, since tiny text below ~8 px is invisible
to the network); the map is computed at that size and resized back (bilinear) to the caller's H x W.
When the working size exceeds ``tile`` pixels on a side (e.g. ``max_side=None`` on a large photo) the
image is processed in overlapping tiles whose probabilities are blended with a tent window, so memory
stays bounded.
"""
from __future__ import annotations

import functools
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from textvision import _validate
from textvision.models.working_size import DEFAULT_MAX_SIDE, DEFAULT_MAX_UPSCALE, work_size
from textvision.text_fcn import DEFAULT_TILE

__all__ = ["segment", "segment_batch", "text_coverage"]

_TILE_OVERLAP = 64


def _resolve_device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, device: str):
    from textvision.models.text_fcn import text_fcn

    return text_fcn(weights=path).to(device).eval()


def _prepare(model, device):
    """``model`` (a TextFCN, or a registry name / path loaded once per file version and device) and its device."""
    if isinstance(model, (str, os.PathLike)):
        from textvision.weights import resolve

        path = os.fspath(resolve(model, "text_fcn"))
        dev = _resolve_device(device)
        return _cached(path, os.stat(path).st_mtime_ns, str(dev)), dev
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a TextFCN (torch.nn.Module), a text_fcn registry name or a checkpoint "
                        f"path, got {type(model).__name__}")
    if device is None:
        try:
            dev = next(model.parameters()).device
        except StopIteration:
            dev = torch.device("cpu")
    else:
        dev = torch.device(device)
        model = model.to(dev)
    return model, dev


def _resize(img: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    import cv2

    h, w = hw
    if img.shape[:2] == (h, w):
        return img
    shrink = h < img.shape[0] or w < img.shape[1]
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _normalise_batch(imgs: Sequence[np.ndarray], device) -> torch.Tensor:
    """List of same-size uint8 HxWx3 -> ImageNet-normalised (B, 3, H, W) float32 on device."""
    from textvision.models.vgg import normalize_imagenet

    x = torch.from_numpy(np.stack(imgs)).to(device).permute(0, 3, 1, 2).float().div_(255.0)
    return normalize_imagenet(x)


def _run(model, x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Text probabilities (B, H, W) float32 for a normalised batch; bf16 autocast on CUDA."""
    with torch.inference_mode():
        if device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = model(x)
        else:
            logits = model(x)
        return torch.softmax(logits.float(), dim=1)[:, 1]


def _tent(n: int, ramp: int) -> np.ndarray:
    w = np.ones(n, np.float32)
    r = min(ramp, n // 2)
    if r > 0:
        edge = (np.arange(r, dtype=np.float32) + 1.0) / (r + 1.0)
        w[:r] = edge
        w[n - r:] = edge[::-1]
    return w


def _tile_starts(n: int, tile: int, overlap: int) -> List[int]:
    if n <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, n - tile, step)) + [n - tile]
    return sorted(set(starts))


def _segment_tiled(model, img: np.ndarray, device, tile: int) -> np.ndarray:
    h, w = img.shape[:2]
    acc = np.zeros((h, w), np.float32)
    wsum = np.zeros((h, w), np.float32)
    for y in _tile_starts(h, tile, _TILE_OVERLAP):
        for x in _tile_starts(w, tile, _TILE_OVERLAP):
            crop = img[y:y + tile, x:x + tile]
            p = _run(model, _normalise_batch([crop], device), device)[0].cpu().numpy()
            ch, cw = crop.shape[:2]
            # Tent weights fade each tile out towards its borders, where the network sees less context.
            wt = np.outer(_tent(ch, _TILE_OVERLAP // 2), _tent(cw, _TILE_OVERLAP // 2))
            acc[y:y + ch, x:x + cw] += p * wt
            wsum[y:y + ch, x:x + cw] += wt
    return acc / np.maximum(wsum, 1e-12)


def _finish(prob: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    import cv2

    h, w = hw
    if prob.shape != (h, w):
        prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(prob, 0.0, 1.0).astype(np.float32, copy=False)


def segment(image, model="default", *, max_side: Optional[int] = DEFAULT_MAX_SIDE, device=None,
            max_upscale: float = DEFAULT_MAX_UPSCALE, tile: int = DEFAULT_TILE, num_threads: int = 1) -> np.ndarray:
    """Per-pixel text probability of an image.

    Args:
        image: the one image contract of ``textvision._validate.image_rgb``: uint8 / uint16 / float
            [0, 1], HxW grey, HxWx3 RGB or HxWx4 RGBA, NumPy or torch (never modified).
        model: a ``TextFCN`` module (any arch), or a ``text_fcn`` registry name (``"default"``: the shipped
            ``text_fcn_ic15``; see ``textvision weights``) or checkpoint path, loaded once per process,
            file version and device (``textvision.models.text_fcn(weights=...)``) and shared between calls.
        max_side: the longer side the network sees (default ``DEFAULT_MAX_SIDE`` = 1280: a 1280x720
            photo runs at native size and its 8 px words survive); None = native resolution.
        device: run on this device (moves ``model`` there); None = the model's device (for a name or
            path: CUDA when available, else the CPU). CUDA runs under bf16 autocast.
        max_upscale: largest upscaling factor applied to small images.
        tile: working sizes above this many pixels on a side are processed in overlapping tiles
            (default ``DEFAULT_TILE`` = 2048, above ``DEFAULT_MAX_SIDE``: default sizes run in one pass).
        num_threads: CPU cores the call may use (torch intra-op threads on the CPU, restored afterwards;
            see ``textvision._threads``). Default 1.

    Returns:
        heatmap: float32 HxW in [0, 1] (H, W of the input).
    """
    rgb = _validate.image_rgb(image, "image", "segment")
    model, dev = _prepare(model, device)
    h, w = rgb.shape[:2]
    wh = work_size(h, w, max_side, max_upscale)
    work = _resize(rgb, wh)
    was_training = model.training
    model.eval()
    try:
        with _threads_for(dev, num_threads, "segment"):
            if max(wh) > tile:
                prob = _segment_tiled(model, work, dev, tile)
            else:
                prob = _run(model, _normalise_batch([work], dev), dev)[0].cpu().numpy()
    finally:
        model.train(was_training)
    return _finish(prob, (h, w))


def _threads_for(dev: torch.device, num_threads: int, who: str):
    # The one thread rule (textvision._threads) applies to CPU work; a GPU call leaves torch's count alone.
    from contextlib import nullcontext

    from textvision._threads import check_num_threads, torch_threads

    if dev.type == "cpu":
        return torch_threads(num_threads, who)
    check_num_threads(num_threads, who)
    return nullcontext()


def segment_batch(images: Sequence, model="default", *, max_side: Optional[int] = DEFAULT_MAX_SIDE,
                  device=None, max_upscale: float = DEFAULT_MAX_UPSCALE, tile: int = DEFAULT_TILE,
                  batch_size: int = 8, num_threads: int = 1) -> List[np.ndarray]:
    """``segment`` for a list of images, batching those whose working sizes fit together.

    ``model``, ``max_side``, ``device``, ``max_upscale``, ``tile`` and ``num_threads`` mean
    what they mean for ``segment``; every image follows ``segment``'s image contract
    (``textvision._validate.image_rgb``).

    Images of one batch are padded (bottom / right, with the ImageNet mean colour, like the model's
    own padding) to the batch's largest working size; results match ``segment`` up to small border
    effects. Images above ``tile`` go through ``segment`` one by one.

    Returns:
        list of float32 HxW heatmaps in [0, 1], one per image, in order.
    """
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    if not isinstance(images, (list, tuple)):
        raise TypeError(f"segment_batch expects a list of images, got {type(images).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rgbs = [_validate.image_rgb(im, f"images[{i}]", "segment_batch") for i, im in enumerate(images)]
    model, dev = _prepare(model, device)
    out: List[Optional[np.ndarray]] = [None] * len(rgbs)
    works = [work_size(*im.shape[:2], max_side, max_upscale) for im in rgbs]
    small = [i for i in range(len(rgbs)) if max(works[i]) <= tile]
    for i in range(len(rgbs)):
        if i not in small:
            out[i] = segment(rgbs[i], model, max_side=max_side, device=dev, max_upscale=max_upscale, tile=tile,
                             num_threads=num_threads)
    # Sorting by area keeps the padding within a batch small.
    small.sort(key=lambda i: works[i][0] * works[i][1])
    was_training = model.training
    model.eval()
    try:
        with _threads_for(dev, num_threads, "segment_batch"):
            for b in range(0, len(small), batch_size):
                idx = small[b:b + batch_size]
                bh = max(works[i][0] for i in idx)
                bw = max(works[i][1] for i in idx)
                x = torch.zeros(len(idx), 3, bh, bw, device=dev)
                for j, i in enumerate(idx):
                    hh, ww = works[i]
                    x[j, :, :hh, :ww] = _normalise_batch([_resize(rgbs[i], works[i])], dev)[0]
                probs = _run(model, x, dev).cpu().numpy()
                for j, i in enumerate(idx):
                    hh, ww = works[i]
                    out[i] = _finish(probs[j, :hh, :ww], rgbs[i].shape[:2])
    finally:
        model.train(was_training)
    return out  # type: ignore[return-value]


def text_coverage(heatmap: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of pixels whose text probability is >= ``threshold`` (0 = no text, 1 = all text).

    A cheap "how much text is in this image" filter for dataset building.

    Args:
        heatmap: float HxW (or HxWx1) in [0, 1] (e.g. from ``segment``); a torch tensor is read as its array.
        threshold: probability threshold in [0, 1].
    """
    hm = _validate.heatmap(heatmap, name="heatmap", who="text_coverage")
    if hm.size == 0:
        raise ValueError(f"text_coverage: heatmap must be non-empty, got shape {hm.shape}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"text_coverage: threshold must be in [0, 1], got {threshold}")
    return float(np.count_nonzero(hm >= threshold)) / hm.size
