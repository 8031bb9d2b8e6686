"""Timing helpers of ``benchmarks/bench_proposals.py`` (not part of the library).

The comparison itself (methods, detection rates, the table) is library code shared with
``textvision bench proposals``: :mod:`textvision.proposals.compare`. What lives here only makes sense
in a benchmark process: the MSER floors, and a TextFCN heatmap function that pins torch to one thread
for the whole process so its CPU seconds are those of the timed thread.
"""
from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

import numpy as np


def single_thread_fcn(weights: Optional[str] = None) -> Callable[[np.ndarray], np.ndarray]:
    """image -> TextFCN heatmap (:func:`textvision.proposals.fcn_heatmap`, on the CPU), with torch set to
    one thread for this process: ``time.thread_time`` around a call then measures all of its work."""
    import torch

    from textvision.proposals import fcn_heatmap

    model = None
    if weights:
        from textvision.models.text_fcn import text_fcn

        model = text_fcn(weights=weights)
    torch.set_num_threads(1)  # a benchmark owns its process; the library never does this
    return lambda image: fcn_heatmap(image, model, device="cpu")


def _channel_planes(image: np.ndarray, channels: Sequence[int], factors: Sequence[int]) -> list:
    planes = []
    for f in factors:  # box-filter downscaling, as the pipeline's 1/k scales
        img = image if f == 1 else image[: image.shape[0] // f * f, : image.shape[1] // f * f].reshape(
            image.shape[0] // f, f, image.shape[1] // f, f, 3).mean(axis=(1, 3)).round().astype(np.uint8)
        planes += [np.ascontiguousarray(img[:, :, c]) for c in channels]
    return planes


def mser_alone_seconds(image: np.ndarray, channels=(0, 1, 2), factors=(1, 2)) -> float:
    """CPU seconds of plain MSER (both polarities, TextProposals parameters, no pixel lists) on the
    channel images the pipeline uses: the floor under any MSER-based proposal method."""
    from textvision.ops import mser

    planes = _channel_planes(image, channels, factors)  # prepared outside the timed part
    t = time.thread_time()
    for p in planes:
        h, w = p.shape
        mser(p, delta=13, min_area=max(1, round(2e-5 * h * w)), max_area=int(0.11 * h * w), max_variation=55.0,
             min_diversity=0.0)
    return time.thread_time() - t


def cv2_mser_seconds(image: np.ndarray) -> float:
    """CPU seconds of OpenCV's MSER on the same six channel images (reference for our MSER)."""
    import cv2

    planes = []
    for f in (1, 2):  # channel images prepared outside the timed part
        img = image if f == 1 else cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2),
                                              interpolation=cv2.INTER_AREA)
        planes += [np.ascontiguousarray(img[:, :, c]) for c in range(3)]
    t = time.thread_time()
    for p in planes:
        h, w = p.shape
        cv2.MSER_create(13, max(1, round(2e-5 * h * w)), int(0.11 * h * w), 55.0, 0.0).detectRegions(p)
    return time.thread_time() - t


def floor_rows(samples) -> dict:
    """Median CPU seconds of plain MSER, ours and OpenCV's, over ``samples`` (``AnnotatedImage`` list)."""
    ours = [mser_alone_seconds(s.image) for s in samples]
    ref = [cv2_mser_seconds(s.image) for s in samples]
    return {"mser_alone": float(np.median(ours)), "cv2_mser": float(np.median(ref))}
