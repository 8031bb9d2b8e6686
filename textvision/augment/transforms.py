"""albumentations transform: restyle only the text of an image (selective text style transfer).

:class:`SelectiveTextStyle` is an ``ImageOnlyTransform``: it changes pixel values inside text and
nothing else, never the geometry, so masks, bboxes and keypoints pass through ``A.Compose``
untouched. Its random choice (which style, whether to apply) comes from albumentations' own RNG
(``A.Compose(..., seed=S)`` makes a pipeline reproducible), and it serialises with ``A.to_dict`` /
``A.from_dict`` by referring to the style checkpoint (and TextFCN checkpoint) by path::

    import albumentations as A
    from textvision.augment import SelectiveTextStyle

    aug = A.Compose([SelectiveTextStyle("style.pt", p=0.5), A.RandomBrightnessContrast()],
                    bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]), seed=0)
    out = aug(image=image, bboxes=boxes, labels=labels)

``A.from_dict`` finds the class once it has been imported (``from textvision.augment import
SelectiveTextStyle``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
from albumentations.core.transforms_interface import ImageOnlyTransform

from textvision import _validate

__all__ = ["SelectiveTextStyle"]

_MODES = ("two-stage", "distilled")


def _is_pathlike(x) -> bool:
    return isinstance(x, (str, os.PathLike))


class SelectiveTextStyle(ImageOnlyTransform):
    """Restyle the text of the image with a randomly chosen style of a style model.

    Args:
        model: a registry name (``"default"``: the shipped two-stage model; ``"default-distilled"``),
            a style checkpoint path (``textvision.style.save_style_model``; teacher or
            distilled; read safely, ``weights_only=True``) or a loaded
            :class:`~textvision.models.style.StyleNet`. Only a path can be serialised.
        styles: style names to draw from, uniformly (default: all of the model's).
        mode: ``"two-stage"`` (StyleNet on the whole image, blended in by a TextFCN text map) or
            ``"distilled"`` (the network alone). Default: the checkpoint's ``kind``.
        fcn: two-stage only: a ``text_fcn`` registry name, a TextFCN checkpoint path or a loaded ``TextFCN``
            (default: the shipped weights via ``textvision.segment``).
        threshold: two-stage only: zero the text map below this first, so the background is kept
            exactly (see ``textvision.style.blend``).
        upscale: two-stage only: the StyleNet's working enlargement (``textvision.style.stylize``'s
            ``upscale``; default its default).
        device: torch device for both networks (``"cpu"``, ``"cuda"``).
        p: probability of applying the transform.

    Targets:
        image, images: the one image contract of ``textvision._validate.image_rgb`` (what
        ``textvision.segment`` takes: uint8 / uint16 / float [0, 1], HxW / HxWx1 grey, HxWx3 RGB or HxWx4
        RGBA); each is restyled as uint8 RGB and returned in its own dtype and channels, as albumentations
        expects (grey gets the luma of the restyled RGB, RGBA its own alpha back).

    The checkpoint's style names are read at construction (a wrong model fails there); the networks load
    lazily, once per process, and are not pickled along with the transform when they were given by path
    (DataLoader workers reload them).
    """

    def __init__(self, model="default", styles: Optional[Sequence[str]] = None, mode: Optional[str] = None, fcn=None,
                 threshold: Optional[float] = None, upscale: Optional[float] = None, device: str = "cpu",
                 p: float = 0.5):
        super().__init__(p=p)
        if not (_is_pathlike(model) or hasattr(model, "style_names")):
            raise TypeError(f"model must be a style checkpoint path or a StyleNet, got {type(model).__name__}")
        if mode is not None and mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES} or None, got {mode!r}")
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        if fcn is not None and not _is_pathlike(fcn) and not hasattr(fcn, "forward"):
            raise TypeError(f"fcn must be a TextFCN checkpoint path, a TextFCN or None, got {type(fcn).__name__}")
        if _is_pathlike(fcn):
            from textvision.weights import resolve

            resolve(fcn, "text_fcn")  # a registry name or a file; a wrong one fails here, not in a worker
        self.model = os.fspath(model) if _is_pathlike(model) else model
        self.styles = list(styles) if styles is not None else None
        self.mode = mode
        self.fcn = os.fspath(fcn) if _is_pathlike(fcn) else fcn
        self.threshold = None if threshold is None else float(threshold)
        self.upscale = None if upscale is None else _validate.upscale(upscale, who="SelectiveTextStyle")
        self.device = str(device)
        self._net = None if _is_pathlike(model) else model
        self._fcn_net = None if _is_pathlike(fcn) else fcn
        self._pool: Optional[Tuple[str, ...]] = None
        if mode == "distilled" and (fcn is not None or threshold is not None or upscale is not None):
            raise ValueError("fcn/threshold/upscale apply to mode='two-stage' only")
        # The checkpoint's header is read now (safely), so a missing, unknown, refused or wrong file fails at
        # construction, not at the first call in a DataLoader worker.
        _ = self.style_pool

    # ------------------------------------------------------------------ models
    def _check_styles(self, names: Sequence[str]) -> None:
        pool = tuple(self.styles) if self.styles else tuple(names)
        unknown = [s for s in pool if s not in names]
        if unknown or not pool:
            raise ValueError(f"unknown style(s) {unknown}; the model has styles {list(names)}")
        self._pool = pool

    @property
    def style_pool(self) -> Tuple[str, ...]:
        """The style names drawn from (reads only the checkpoint's header on first use)."""
        if self._pool is None:
            if self._net is not None:
                self._check_styles(self._net.style_names)
            else:
                from textvision.style.inference import read_checkpoint

                self._check_styles(read_checkpoint(self.model)["style_names"])
        return self._pool

    def _networks(self):
        import torch

        if self._net is None:
            from textvision.models.style import style_net

            self._net = style_net(weights=self.model).to(self.device)
            self._check_styles(self._net.style_names)
        mode = self.mode or self._net.kind
        if mode == "two-stage" and self._fcn_net is None and self.fcn is not None:
            from textvision.models.text_fcn import text_fcn

            self._fcn_net = text_fcn(weights=self.fcn).to(torch.device(self.device))
        return self._net, self._fcn_net, mode

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        # Networks given by path are reloaded in the receiving process (DataLoader workers) rather
        # than pickled with every worker's copy of the pipeline.
        if _is_pathlike(self.model):
            state["_net"] = None
        if _is_pathlike(self.fcn):
            state["_fcn_net"] = None
        return state

    # ------------------------------------------------------------------ albumentations interface
    def get_params(self) -> Dict[str, Any]:
        pool = self.style_pool
        return {"style": pool[self.py_random.randrange(len(pool))]}

    def apply(self, img: np.ndarray, style: str = None, **params: Any) -> np.ndarray:
        """Restyle ``img`` with ``style``; returns an image of ``img``'s shape and dtype."""
        from textvision.style.inference import stylize

        if style is None:
            raise ValueError("SelectiveTextStyle.apply needs a style (call the transform, or pass style=NAME)")
        rgb = _validate.image_rgb(img, "image", "SelectiveTextStyle")
        net, fcn, mode = self._networks()
        heatmap = None
        if mode == "two-stage":
            from textvision.text_fcn import segment

            heatmap = segment(rgb, model="default" if fcn is None else fcn, device=self.device)
        out = stylize(rgb, net, style, mode=mode, heatmap=heatmap,
                      threshold=self.threshold if mode == "two-stage" else None,
                      upscale=self.upscale if mode == "two-stage" else None, device=self.device)
        return _like(out, img)

    def get_transform_init_args_names(self) -> Tuple[str, ...]:
        return ("model", "styles", "mode", "fcn", "threshold", "upscale", "device")

    def get_transform_init_args(self) -> Dict[str, Any]:
        if not _is_pathlike(self.model) or (self.fcn is not None and not _is_pathlike(self.fcn)):
            raise ValueError("SelectiveTextStyle was built from a model object; build it from checkpoint "
                             "paths (model='style.pt', fcn='fcn.pt') to serialise it")
        return {"model": self.model, "styles": self.styles, "mode": self.mode, "fcn": self.fcn,
                "threshold": self.threshold, "upscale": self.upscale, "device": self.device}


def _like(out: np.ndarray, img) -> np.ndarray:
    """The restyled uint8 HxWx3 RGB ``out`` in the dtype and channels of the transform's input ``img``."""
    src = _validate.as_array(img, "image", "SelectiveTextStyle")
    res = out
    if src.ndim == 2 or src.shape[2] == 1:
        import cv2

        res = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)  # grey in, grey out: the luma of the restyled RGB
        res = res[:, :, None] if src.ndim == 3 else res
    if src.dtype == np.uint16:
        res = res.astype(np.uint16) * np.uint16(257)  # 255 * 257 = 65535: the exact 8 -> 16 bit expansion
    elif src.dtype.kind == "f":
        res = res.astype(src.dtype) / src.dtype.type(255)
    if src.ndim == 3 and src.shape[2] == 4:
        res = np.concatenate([res, src[:, :, 3:]], axis=2)  # the input's own alpha
    return res
