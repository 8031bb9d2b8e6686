"""EAST inference: score-map thresholding, RBOX restoration, locality-aware NMS, box filtering."""
from __future__ import annotations

from typing import NamedTuple, Sequence, Tuple

import cv2
import numpy as np

from textvision._validate import image_rgb
from textvision.east.geometry import image_to_map, map_to_image, restore_quads

__all__ = ["Detections", "EASTMaps", "decode", "decode_maps", "detect", "detect_batch", "east_maps", "PreparedImage",
           "prepare_image"]


class Detections(NamedTuple):
    """Detected words of one image.

    Attributes:
        quads: float32 [K, 4, 2] in input-image pixels, clockwise from the top-left corner of each
            word's rotated frame.
        scores: float32 [K] in [0, 1]: mean score-map value inside each quad.
    """

    quads: np.ndarray
    scores: np.ndarray



#: NMS IoU of :func:`detect` (and ``textvision detect``): chosen on the ICDAR 2015 validation split
#: (img_901-img_1000, 508 words) with the shipped detector, where 0.3 gave H 0.633 against 0.613 at EAST's
#: 0.2 (recall 0.705 vs 0.656: adjacent words on one line were merged away) and 0.4 the same 0.632
#: (``python benchmarks/eval_east.py --test DIR --split train --names img_901-img_1000 --sweep``).
DETECT_NMS = 0.3

def _empty() -> Detections:
    return Detections(np.zeros((0, 4, 2), np.float32), np.zeros(0, np.float32))


def decode(score_map, geometry, *, scale: float = 0.25, score_threshold: float = 0.8,
           nms_threshold: float = 0.2, box_threshold: float = 0.1, min_side: float = 2.0,
           max_candidates: int = 200_000) -> Detections:
    """Turn one image's EAST output into quads.

    Args:
        score_map: float [h, w] (or [1, h, w]) in [0, 1].
        geometry: float [5, h, w]: top, right, bottom, left distances (pixels of the network input)
            and angle (radians).
        scale: map resolution relative to the network input (0.25).
        score_threshold: cells above it vote for a box (EAST: 0.8).
        nms_threshold: IoU threshold of locality-aware NMS (merge and suppression; EAST: 0.2).
        box_threshold: drop boxes whose mean score inside is not above this (EAST: 0.1).
        min_side: cells predicting a box with a side shorter than this (pixels) are ignored.
        max_candidates: keep at most this many highest-scoring cells (bounds the time on a map
            that is all text).

    Returns:
        :class:`Detections` in network-input pixels, by descending score.
    """
    from textvision.ops import lanms

    s = np.asarray(score_map, dtype=np.float32)
    if s.ndim == 3 and s.shape[0] == 1:
        s = s[0]
    g = np.asarray(geometry, dtype=np.float32)
    if s.ndim != 2 or g.shape != (5,) + s.shape:
        raise ValueError(f"score_map must be [h, w] and geometry [5, h, w]; got {s.shape} and {g.shape}")
    ys, xs = np.nonzero(s > score_threshold)  # raster order: what the locality-aware merge expects
    if len(ys) == 0:
        return _empty()
    if len(ys) > max_candidates:
        keep = np.sort(np.argsort(-s[ys, xs], kind="stable")[:max_candidates])
        ys, xs = ys[keep], xs[keep]
    xy = np.stack([map_to_image(xs, scale), map_to_image(ys, scale)], 1)
    geo = g[:, ys, xs].T
    # A box with (almost) no height or width overlaps nothing, so NMS could never remove it: such
    # votes are noise of an under-trained map, not words.
    ok = (geo[:, 0] + geo[:, 2] >= min_side) & (geo[:, 1] + geo[:, 3] >= min_side)
    if not ok.any():
        return _empty()
    quads = restore_quads(xy[ok], geo[ok])
    merged = lanms(quads, s[ys[ok], xs[ok]], nms_threshold)
    if len(merged.scores) == 0:
        return _empty()
    out_q, out_s = [], []
    canvas = np.zeros_like(s, dtype=np.uint8)
    for q, total, count in zip(merged.quads, merged.scores, merged.counts):
        m = image_to_map(q, scale)
        x0, y0 = np.clip(np.floor(m.min(0)).astype(int), 0, [s.shape[1], s.shape[0]])
        x1, y1 = np.clip(np.ceil(m.max(0)).astype(int) + 1, 0, [s.shape[1], s.shape[0]])
        mean = float(total) / max(int(count), 1)
        if x1 > x0 and y1 > y0:
            canvas[y0:y1, x0:x1] = 0
            cv2.fillPoly(canvas, np.round(m * 16).astype(np.int32).reshape(1, 4, 2), 1, shift=4)
            inside = canvas[y0:y1, x0:x1] > 0
            if inside.any():
                mean = float(s[y0:y1, x0:x1][inside].mean())
        if mean > box_threshold:
            out_q.append(q)
            out_s.append(mean)
    if not out_q:
        return _empty()
    order = np.argsort(-np.asarray(out_s), kind="stable")
    return Detections(np.asarray(out_q, np.float32)[order], np.asarray(out_s, np.float32)[order])


class PreparedImage(NamedTuple):
    """An image at EAST's input size (:func:`prepare_image`).

    Attributes:
        image: uint8 [H', W', 3] RGB, H' and W' multiples of 32.
        factors: ``(sx, sy)`` from network-input to original pixels: ``x_orig = (x' + 0.5) * sx - 0.5``.
    """

    image: np.ndarray
    factors: Tuple[float, float]


def prepare_image(image: np.ndarray, max_side: int = 1280, upscale: bool = False) -> PreparedImage:
    """Resize an RGB uint8 image so that its longer side is at most ``max_side`` and both sides are
    multiples of 32 (EAST's stride).

    Args:
        image: the one image contract (``textvision._validate.image_rgb``: uint8 / uint16 / float [0, 1],
            grey, RGB or RGBA, NumPy or torch; never modified).
        max_side: the longer side's upper bound in pixels.
        upscale: also enlarge a smaller image so that its longer side is ``max_side`` (the larger sizes
            of a multi-scale pass).

    Returns:
        :class:`PreparedImage` ``(image, factors)``: the resized uint8 [H', W', 3] and ``(sx, sy)`` with
        ``x_orig = (x' + 0.5) * sx - 0.5``.
    """
    img = image_rgb(image, "image", "east.detect")
    H, W = img.shape[:2]
    r = float(max_side) / max(H, W)
    if not upscale:
        r = min(1.0, r)
    nh, nw = max(32, int(round(H * r / 32)) * 32), max(32, int(round(W * r / 32)) * 32)
    if (nh, nw) != (H, W):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if nw < W else cv2.INTER_LINEAR)
    return PreparedImage(img, (W / nw, H / nh))


def _to_original(quads: np.ndarray, factors) -> np.ndarray:
    sx, sy = factors
    q = quads.astype(np.float64).copy()
    q[..., 0] = (q[..., 0] + 0.5) * sx - 0.5
    q[..., 1] = (q[..., 1] + 0.5) * sy - 0.5
    return q.astype(np.float32)


def detect_batch(images: Sequence[np.ndarray], model="default", *, max_side: int = 1280, device=None,
                 score_threshold: float = 0.8, nms_threshold: float = DETECT_NMS, box_threshold: float = 0.1) -> list:
    """:func:`detect` for several images (each run at its own size). Returns a list of Detections."""
    images = [image_rgb(im, f"images[{i}]", "east.detect_batch") for i, im in enumerate(images)]
    return [detect(im, model, max_side=max_side, device=device, score_threshold=score_threshold,
                   nms_threshold=nms_threshold, box_threshold=box_threshold) for im in images]


class EASTMaps(NamedTuple):
    """The network's output for one image, before decoding (see :func:`east_maps`).

    Attributes:
        score: float32 [h, w] in [0, 1] at 1/4 of the network input.
        geometry: float32 [5, h, w]: distances to the 4 sides (network-input pixels) and angle (radians).
        factors: ``(sx, sy)`` from network-input to original pixels (:func:`prepare_image`).
    """

    score: np.ndarray
    geometry: np.ndarray
    factors: tuple


def east_maps(image: np.ndarray, model="default", *, max_side: int = 1280, device=None, bf16: bool = False,
              upscale: bool = False) -> EASTMaps:
    """Run an EAST model on one image (the network part of :func:`detect`); decode with :func:`decode_maps`.

    Useful to decode one forward pass with several thresholds (threshold sweeps). ``upscale``: see
    :func:`prepare_image`.
    """
    import torch

    from textvision.models.east import as_east

    model = as_east(model)
    img, factors = prepare_image(image, max_side, upscale)
    if device is None:
        device = next(model.parameters()).device
    model.eval()
    # NHWC input: oneDNN then runs every convolution in that layout, ~1.35x faster on a CPU than NCHW.
    x = torch.from_numpy(img).to(device).permute(2, 0, 1)[None].float().div_(255.0) \
        .contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bool(bf16)):
        out = model(x)
    return EASTMaps(out.score[0, 0].float().cpu().numpy(), out.geometry[0].float().cpu().numpy(), factors)


def decode_maps(maps: EASTMaps, *, score_threshold: float = 0.8, nms_threshold: float = DETECT_NMS,
                box_threshold: float = 0.1) -> Detections:
    """:func:`decode` of :func:`east_maps`'s output, in the original image's pixel coordinates."""
    det = decode(maps.score, maps.geometry, score_threshold=score_threshold, nms_threshold=nms_threshold,
                 box_threshold=box_threshold)
    return Detections(_to_original(det.quads, maps.factors), det.scores)


def detect(image: np.ndarray, model="default", *, max_side: int = 1280, device=None, score_threshold: float = 0.8,
           nms_threshold: float = DETECT_NMS, box_threshold: float = 0.1, bf16: bool = False) -> Detections:
    """Detect words in one image with an EAST model.

    Args:
        image: the one image contract of ``textvision._validate.image_rgb`` (what ``textvision.segment``
            takes): uint8 / uint16 / float [0, 1], HxW grey, HxWx3 RGB or HxWx4 RGBA, NumPy or torch.
        model: an :class:`textvision.models.east.EAST` (put in eval mode here), or a registry name /
            checkpoint path loaded once and cached: ``"default"`` is the shipped detector.
        max_side: the longer side is resized down to at most this (then rounded to multiples of 32); a
            sequence of sizes runs the network with the longer side at each, enlarging where needed (the
            multi-scale pass: its cost is the sum), and keeps the union of their words after NMS at
            ``nms_threshold``.
        device: torch device; default: the model's.
        score_threshold, nms_threshold, box_threshold: see :func:`decode`; the defaults (0.8, 0.3, 0.1)
            are the ones chosen on the ICDAR 2015 validation split (:data:`DETECT_NMS`).
        bf16: run the network under bfloat16 autocast (about 2x faster on CPUs with AVX512-BF16 or AMX,
            slower on others; detections can differ slightly from float32).

    Returns:
        :class:`Detections` in the original image's pixel coordinates.
    """
    image = image_rgb(image, "image", "east.detect")  # once, not once per size of a multi-scale pass
    kw = dict(score_threshold=score_threshold, nms_threshold=nms_threshold, box_threshold=box_threshold)
    if np.ndim(max_side) == 0:
        return decode_maps(east_maps(image, model, max_side=int(max_side), device=device, bf16=bf16), **kw)
    sizes = [int(s) for s in max_side]
    if not sizes:
        raise ValueError("max_side: give one size or a non-empty sequence of sizes")
    # Multi-scale: each size decoded on its own, the union reduced by standard NMS (a word found at
    # two sizes keeps its best-scoring quad).
    from textvision.ops import polygon_nms

    found = [decode_maps(east_maps(image, model, max_side=s, device=device, bf16=bf16, upscale=True), **kw)
             for s in sizes]
    quads = np.concatenate([d.quads for d in found])
    scores = np.concatenate([d.scores for d in found])
    if len(scores) == 0:
        return _empty()
    keep = polygon_nms(quads, scores, nms_threshold)
    return Detections(quads[keep], scores[keep])
