"""Selectivity measures for selective style transfer, on images with exact text masks.

- :func:`change_outside_inside`: mean absolute change (grey levels, 0..255) outside and inside the mask;
  a perfectly selective method has 0 outside.
- :meth:`PerceptualLoss.masked_style_distance`: how far the text's VGG Gram statistics are from the
  style's (relative; smaller = more of the style).
- :func:`eval_scenes`: synthetic scenes with exact text masks (``textvision.data.synth``) for both.
"""
from __future__ import annotations

from typing import List, NamedTuple, Tuple

import numpy as np

__all__ = ["change_outside_inside", "EvalScene", "eval_scenes"]


def change_outside_inside(original: np.ndarray, output: np.ndarray, mask: np.ndarray) -> Tuple[float, float]:
    """Mean |output - original| over pixels (and channels) outside / inside ``mask``, in grey levels.

    Args:
        original, output: ``uint8`` HxWx3 RGB of the same size.
        mask: HxW, nonzero = text.

    Returns:
        ``(outside, inside)``; NaN for an empty side.
    """
    if original.shape != output.shape or original.shape[:2] != mask.shape:
        raise ValueError(f"shapes differ: original {original.shape}, output {output.shape}, mask {mask.shape}")
    diff = np.abs(output.astype(np.int16) - original.astype(np.int16)).mean(axis=2)
    m = mask != 0
    out = float(diff[~m].mean()) if (~m).any() else float("nan")
    ins = float(diff[m].mean()) if m.any() else float("nan")
    return out, ins


class EvalScene(NamedTuple):
    image: np.ndarray  # uint8 HxWx3 RGB
    mask: np.ndarray  # uint8 HxW {0, 1}: text pixels grown by ``dilate``


def eval_scenes(n: int, size: Tuple[int, int] = (256, 256), seed: int = 12345, dilate: int = 1,
                min_text: float = 0.01) -> List[EvalScene]:
    """``n`` synthetic scenes with at least ``min_text`` text pixels, seeds ``(seed, i)`` (held out from
    training, which draws 31-bit integer seeds). The mask is grown by ``dilate`` px like the distillation
    default, so anti-aliased stroke edges count as text."""
    import cv2

    from textvision.data.synth import render_scene

    scenes, i = [], 0
    while len(scenes) < n:
        try:
            sc = render_scene((seed, i), size=size)
        except ValueError:  # rare renderer failures for some seeds: skip them
            i += 1
            continue
        i += 1
        m = sc.mask.astype(np.uint8)
        if dilate > 0:
            m = cv2.dilate(m, np.ones((2 * dilate + 1, 2 * dilate + 1), np.uint8))
        if m.mean() >= min_text:
            scenes.append(EvalScene(sc.image, m))
    return scenes
