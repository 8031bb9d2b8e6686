"""The annotated-word record shared by every reader, writer, dataset and evaluator.

Quads are ``float32 [4, 2]`` in image coordinates (x right, y down, pixel centres at integers),
clockwise as seen on screen, starting from the word's top-left corner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Sequence

import numpy as np

__all__ = ["TextInstance", "signed_area", "order_clockwise", "box_to_quad", "quads_of", "boxes_of"]


@dataclass(eq=False)
class TextInstance:
    """One annotated word.

    Attributes:
        quad: float32 [4, 2], clockwise from the top-left corner, image coordinates (y down).
        text: the transcription (``""`` when unknown; ``"###"`` in files means don't care).
        ignore: don't-care flag (``###`` in ICDAR, illegible in COCO-Text): neither rewarded nor
            penalised by the evaluators, masked out of training losses.
        attrs: free-form extra fields of the source format (COCO-Text ``legibility``, ``class``,
            ``language``, ids ...). Not used by the evaluators.
    """

    quad: np.ndarray
    text: str = ""
    ignore: bool = False
    attrs: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        q = np.asarray(self.quad, dtype=np.float32)
        if q.shape == (8,):
            q = q.reshape(4, 2)
        if q.shape != (4, 2):
            raise ValueError(f"TextInstance.quad must have shape [4, 2] (or [8]), got {np.shape(self.quad)}")
        self.quad = q
        self.text = "" if self.text is None else str(self.text)
        self.ignore = bool(self.ignore)

    @property
    def box(self) -> np.ndarray:
        """Axis-aligned bounding box, float32 [4] ``(x1, y1, x2, y2)``."""
        return np.concatenate([self.quad.min(0), self.quad.max(0)]).astype(np.float32)

    def __repr__(self) -> str:
        q = ", ".join(f"({x:g}, {y:g})" for x, y in self.quad.tolist())
        return f"TextInstance(quad=[{q}], text={self.text!r}, ignore={self.ignore})"


def signed_area(quads: np.ndarray) -> np.ndarray:
    """Shoelace area of polygons ``[..., K, 2]``; positive for clockwise-on-screen (y down) order."""
    q = np.asarray(quads, dtype=np.float64)
    x, y = q[..., 0], q[..., 1]
    xn = np.concatenate([x[..., 1:], x[..., :1]], axis=-1)
    yn = np.concatenate([y[..., 1:], y[..., :1]], axis=-1)
    return 0.5 * np.sum(x * yn - xn * y, axis=-1)


def order_clockwise(quad: np.ndarray) -> np.ndarray:
    """Return quads ``[4, 2]`` (or ``[N, 4, 2]``) in clockwise (y down) order, keeping the first point.

    Counter-clockwise input ``p0, p1, p2, p3`` becomes ``p0, p3, p2, p1``: the first point stays the
    annotator's start corner, which for rotated words is the reading-order top-left. The dtype of
    the input is kept (float32 for lists).
    """
    q = np.asarray(quad)
    if not np.issubdtype(q.dtype, np.floating):
        q = q.astype(np.float32)
    ccw = signed_area(q) < 0
    if q.ndim == 2:
        return q[[0, 3, 2, 1]].copy() if ccw else q
    if ccw.any():
        q = q.copy()
        q[ccw] = q[ccw][:, [0, 3, 2, 1]]
    return q


def box_to_quad(box: Sequence[float]) -> np.ndarray:
    """``(x1, y1, x2, y2)`` -> float32 [4, 2] clockwise quad from the top-left."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)


def quads_of(instances: Iterable[TextInstance]) -> np.ndarray:
    """Stack instance quads into float32 [N, 4, 2] (``[0, 4, 2]`` when empty)."""
    quads: List[np.ndarray] = [inst.quad for inst in instances]
    if not quads:
        return np.zeros((0, 4, 2), np.float32)
    return np.stack(quads).astype(np.float32)


def boxes_of(instances: Iterable[TextInstance]) -> np.ndarray:
    """Axis-aligned boxes of instances, float32 [N, 4] ``(x1, y1, x2, y2)``."""
    q = quads_of(instances)
    return np.concatenate([q.min(1), q.max(1)], axis=1).astype(np.float32)
