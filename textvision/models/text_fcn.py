"""TextFCN: fully convolutional text / non-text segmentation (FCN-8s on VGG16, and a compact variant).

Both variants share one interface:

- input: float32 (B, 3, H, W), RGB scaled to [0, 1] then normalised with the ImageNet mean / std
  (``textvision.models.vgg.normalize_imagenet``; ``preprocess`` does it for uint8 images). Any H, W:
  the model pads to a multiple of 32 internally and crops back.
- output: logits (B, 2, H, W) at the input's exact size; ``softmax(dim=1)[:, 1]`` is the text probability.

``text_fcn("vgg16")`` follows FCN-8s (Long et al.): VGG16 conv1-conv5, fc6 as a 7x7 conv with 4096
channels, fc7 as a 1x1 conv, dropout 0.5, class scores fused with pool4 and pool3 scores, bilinear-
initialised learned upsampling. ``text_fcn("lite")`` keeps the FCN skip structure (stride 32 -> 16 -> 8,
plus a stride-4 skip for thin strokes, fused as 32-channel features) on a small depthwise-separable
encoder, so it trains and runs on a CPU (about 100x faster than the VGG16 variant).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from textvision.models.vgg import normalize_imagenet, vgg16

__all__ = [
    "TextFCN",
    "text_fcn",
    "text_fcn_from_checkpoint",
    "build_text_fcn",
    "save_text_fcn",
    "preprocess",
    "CHECKPOINT_KIND",
]

#: Checkpoint ``kind`` of TextFCN files, and the ``textvision.weights`` family name of their registry entries.
CHECKPOINT_KIND = "text_fcn"
_STRIDE = 32


def _bilinear_kernel(channels: int, k: int) -> torch.Tensor:
    """(channels, channels, k, k) weight making ConvTranspose2d a per-channel bilinear upsampler."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    og = torch.arange(k, dtype=torch.float32)
    filt1d = 1 - (og - center).abs() / factor
    filt = filt1d[:, None] * filt1d[None, :]
    w = torch.zeros(channels, channels, k, k)
    for c in range(channels):
        w[c, c] = filt
    return w


def _up(channels: int, factor: int) -> nn.ConvTranspose2d:
    """Learned upsampling by an integer factor, initialised to exact bilinear interpolation."""
    k = 2 * factor
    up = nn.ConvTranspose2d(channels, channels, k, stride=factor, padding=factor // 2, bias=False)
    with torch.no_grad():
        up.weight.copy_(_bilinear_kernel(channels, k))
    return up


class _VGGEncoder(nn.Module):
    """VGG16 conv1-conv5 + fc6/fc7 as convolutions; returns (pool3, pool4, fc7)."""

    def __init__(self, dropout: float = 0.5):
        super().__init__()
        self.features = vgg16(with_classifier=False).features
        self.fc6 = nn.Conv2d(512, 4096, 7, padding=3)
        self.fc7 = nn.Conv2d(4096, 4096, 1)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        for m in (self.fc6, self.fc7):
            nn.init.normal_(m.weight, 0, 0.01 if m is self.fc7 else 0.001)
            nn.init.zeros_(m.bias)
        self.channels = (256, 512, 4096)

    def forward(self, x):
        f = self.features
        pool3 = f[:17](x)
        pool4 = f[17:24](pool3)
        pool5 = f[24:](pool4)
        h = self.drop(F.relu(self.fc6(pool5), inplace=True))
        h = self.drop(F.relu(self.fc7(h), inplace=True))
        return None, pool3, pool4, h


def _sep(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """Depthwise 3x3 + pointwise 1x1, each with BN + ReLU (MobileNet v1 block)."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=dilation, dilation=dilation, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class _LiteEncoder(nn.Module):
    """Small MobileNet-like encoder: strides 4, 8, 16, 32 with ``widths`` channels.

    The last stage ends in a dilated block for a wider context (text vs. text-like texture).
    """

    def __init__(self, widths: Sequence[int] = (16, 32, 64, 96, 128)):
        super().__init__()
        w0, w1, w2, w3, w4 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(3, w0, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w0), nn.ReLU(inplace=True),
        )
        self.s4 = nn.Sequential(_sep(w0, w1, 2), _sep(w1, w1))
        self.s8 = nn.Sequential(_sep(w1, w2, 2), _sep(w2, w2))
        self.s16 = nn.Sequential(_sep(w2, w3, 2), _sep(w3, w3), _sep(w3, w3))
        self.s32 = nn.Sequential(_sep(w3, w4, 2), _sep(w4, w4), _sep(w4, w4, dilation=2))
        self.channels = (w1, w2, w3, w4)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        c4 = self.s4(self.stem(x))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        return c4, c8, c16, c32


class TextFCN(nn.Module):
    """FCN-8s style text segmenter.

    ``"vgg16"``: FCN-8s proper, 2-channel class scores at stride 32 (fc7), summed with pool4 and pool3
    scores, learned bilinear-initialised upsampling. ``"lite"``: the same skip topology on a small
    encoder, fusing ``fuse``-channel skip *features* at strides 32 -> 16 -> 8 (-> 4), then a separable
    conv, the classifier and a learned x4 (or x8) upsampling.

    Args:
        arch: ``"vgg16"`` (FCN-8s on VGG16) or ``"lite"`` (compact encoder).
        num_classes: 2 (background, text).
        widths: encoder channels for ``"lite"`` (5 ints).
        skip4: also fuse a stride-4 skip (``"lite"`` only; default on).
        fuse: channels of the lite decoder's fused skip features.
        dropout: fc6/fc7 dropout for ``"vgg16"``.

    ``forward(x)``: x float32 (B, 3, H, W) ImageNet-normalised RGB, any H, W >= 1 ->
    logits float32 (B, num_classes, H, W). ``config`` holds the constructor arguments (saved in
    checkpoints so ``build_text_fcn(config)`` rebuilds the same network).
    """

    def __init__(self, arch: str = "lite", num_classes: int = 2, *, widths: Sequence[int] = (16, 32, 64, 96, 128),
                 skip4: Optional[bool] = None, fuse: int = 32, dropout: float = 0.5):
        super().__init__()
        if arch not in ("vgg16", "lite"):
            raise ValueError(f"unknown TextFCN arch {arch!r}; expected 'vgg16' or 'lite'")
        if skip4 is None:
            skip4 = arch == "lite"
        self.skip4 = bool(skip4) and arch == "lite"
        self.config: Dict[str, Any] = {"arch": arch, "num_classes": int(num_classes), "widths": list(widths),
                                       "skip4": self.skip4, "fuse": int(fuse), "dropout": float(dropout)}
        self.encoder = _VGGEncoder(dropout) if arch == "vgg16" else _LiteEncoder(widths)
        n = num_classes
        if arch == "vgg16":
            # FCN-8s proper: 2-channel class scores at strides 32, 16 (pool4) and 8 (pool3) are summed.
            _, c8, c16, c32 = (128,) + self.encoder.channels
            self.score32 = nn.Conv2d(c32, n, 1)
            self.score16 = nn.Conv2d(c16, n, 1)
            self.score8 = nn.Conv2d(c8, n, 1)
            self.up32 = _up(n, 2)
            self.up16 = _up(n, 2)
            self.up_final = _up(n, 8)
        else:
            # Lite: the same skip topology, but the skips are fused as ``fuse``-channel features rather
            # than 2-channel scores (a 2-channel bottleneck at every stride costs thin strokes), down to
            # stride 4 (``skip4``) or 8, then one separable conv, the classifier and a learned
            # bilinear-initialised upsampling.
            c4, c8, c16, c32 = self.encoder.channels
            d = int(fuse)
            self.lat32 = nn.Conv2d(c32, d, 1)
            self.lat16 = nn.Conv2d(c16, d, 1)
            self.lat8 = nn.Conv2d(c8, d, 1)
            self.up32 = _up(d, 2)
            self.up16 = _up(d, 2)
            if self.skip4:
                self.lat4 = nn.Conv2d(c4, d, 1)
                self.up8 = _up(d, 2)
            self.refine = _sep(d, d)
            self.classifier = nn.Conv2d(d, n, 1)
            self.up_final = _up(n, 4 if self.skip4 else 8)
        self.reset_head()

    def reset_head(self) -> None:
        """(Re-)initialise everything after the encoder: upsamplers to bilinear, score layers."""
        for m in self.modules():
            if isinstance(m, nn.ConvTranspose2d):
                with torch.no_grad():
                    m.weight.copy_(_bilinear_kernel(m.in_channels, m.kernel_size[0]))
        if self.arch == "vgg16":
            # FCN practice: skip scores start at zero so training begins from the coarse prediction.
            for m in (self.score16, self.score8):
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)
            nn.init.normal_(self.score32.weight, 0, 0.01)
            nn.init.zeros_(self.score32.bias)
        else:
            for m in (self.lat32, self.lat16, self.lat8, self.classifier) + ((self.lat4,) if self.skip4 else ()):
                m.reset_parameters()
            for m in self.refine.modules():
                if hasattr(m, "reset_parameters") and m is not self.refine:
                    m.reset_parameters()

    @property
    def arch(self) -> str:
        return self.config["arch"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"TextFCN expects (B, 3, H, W), got shape {tuple(x.shape)}")
        h, w = x.shape[-2:]
        if h < 1 or w < 1:
            raise ValueError(f"TextFCN input must be non-empty, got shape {tuple(x.shape)}")
        ph, pw = (-h) % _STRIDE, (-w) % _STRIDE
        if ph or pw:
            # Zero in normalised space is the ImageNet mean colour: a neutral border.
            x = F.pad(x, (0, pw, 0, ph))
        f4, f8, f16, f32 = self.encoder(x)
        if self.arch == "vgg16":
            s = self.up32(self.score32(f32))
            s = self.up16(s + self.score16(f16))
            s = self.up_final(s + self.score8(f8))
        else:
            t = self.up32(self.lat32(f32))
            t = self.up16(t + self.lat16(f16))
            t = t + self.lat8(f8)
            if self.skip4:
                t = self.up8(t) + self.lat4(f4)
            s = self.up_final(self.classifier(self.refine(t)))
        return s[:, :, :h, :w]

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Text probability (B, H, W) float32 in [0, 1] for normalised input x (B, 3, H, W)."""
        return torch.softmax(self.forward(x).float(), dim=1)[:, 1]


def build_text_fcn(config: Dict[str, Any]) -> TextFCN:
    """Rebuild a ``TextFCN`` from its ``config`` dict (as stored in checkpoints)."""
    if not isinstance(config, dict) or "arch" not in config:
        raise ValueError(f"TextFCN config must be a dict with an 'arch' key, got {config!r}")
    kw = {k: config[k] for k in ("num_classes", "widths", "skip4", "fuse", "dropout") if k in config}
    return TextFCN(config["arch"], **kw)


def save_text_fcn(path: Union[str, os.PathLike], model: TextFCN, *, optimizer=None, epoch: int = 0,
                  step: int = 0, **extra) -> Path:
    """Write a TextFCN checkpoint (``textvision.checkpoint.save_checkpoint``, kind ``"text_fcn"``, atomic).

    The file holds ``config`` (rebuilds the network), ``state_dict`` (float32 CPU tensors, DDP's
    ``module.`` prefix removed), ``optimizer`` (its state dict or None), ``epoch``, ``step`` and
    ``extra`` (e.g. ``train_config``, ``metrics``: plain Python values or tensors only, so that
    ``text_fcn(weights=path)`` can read it with ``weights_only=True``).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    from textvision.checkpoint import save_checkpoint

    net = model.module if hasattr(model, "module") else model
    return save_checkpoint(path, kind=CHECKPOINT_KIND, state_dict=net.state_dict(), config=dict(net.config),
                           optimizer=optimizer.state_dict() if optimizer is not None else None,
                           epoch=int(epoch), step=int(step), **extra)


def text_fcn_from_checkpoint(ckpt: Dict[str, Any], path: Union[str, os.PathLike] = "checkpoint",
                             arch: Optional[str] = None) -> TextFCN:
    """The ``TextFCN`` a checkpoint dict (read by ``textvision.checkpoint.load_checkpoint``) describes.

    Its ``config`` rebuilds the network and its ``state_dict`` loads strict; eval mode. Reads no file:
    :func:`text_fcn` does that; this is for callers that keep the rest of the dict (a resumed training).

    Raises:
        ValueError: ``arch`` given and different from the stored one, or weights that do not fit the config
            (the message names ``path``).
    """
    if arch is not None and ckpt["config"].get("arch") != arch:
        raise ValueError(f"{path}: checkpoint is for TextFCN arch {ckpt['config'].get('arch')!r}, not {arch!r}")
    model = build_text_fcn(ckpt["config"])
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as exc:
        # torch's message spreads the missing / unexpected keys over several lines: one line, bounded.
        detail = " ".join(str(exc).split())[:300]
        raise ValueError(f"{path}: weights do not match config {ckpt['config']}: {detail}") from None
    return model.eval()


def text_fcn(arch: Optional[str] = None, weights: Union[str, os.PathLike, None] = None, *,
             backbone_weights: Union[str, os.PathLike, None] = None,
             widths: Sequence[int] = (16, 32, 64, 96, 128), dropout: float = 0.5) -> TextFCN:
    """A TextFCN: untrained (``weights=None``) or read from a checkpoint.

    ``text_fcn("lite")`` is an untrained compact network (149 K parameters at the default widths, for
    CPU training and inference); ``text_fcn("vgg16")`` is FCN-8s on VGG16 (about 134 M parameters);
    ``text_fcn(weights="default")`` is the shipped default (``text_fcn_ic15``, a widened lite network), its
    arch and widths read from the file.

    Args:
        arch: ``"lite"`` or ``"vgg16"``. Required when ``weights`` is None; with ``weights``, None means
            the checkpoint's own arch (given, it must match the file's).
        weights: None = untrained (random initialisation), always. A ``text_fcn`` registry name
            (``"default"``, ``"text_fcn_lite_real"``, ...; see ``textvision weights``) or a checkpoint path
            (``save_text_fcn`` / ``textvision train-text-fcn``) = that file, read with ``weights_only=True``
            (a file that needs code to unpickle is refused) and loaded strict; its stored config (widths,
            skip4, ...) rebuilds the network, so ``widths``/``dropout`` are ignored. Eval mode.
        backbone_weights: ``"vgg16"`` and ``weights=None`` only: VGG16 weights for conv1-conv5 (a ``vgg16``
            registry name such as ``"hed"`` or a torchvision VGG16 file, read by
            :func:`textvision.models.vgg.vgg16`); when the file has the classifier, fc6/fc7 are reshaped into
            the 7x7 / 1x1 convolutions (as FCN does). The head stays untrained.
        widths: encoder channels of an untrained ``"lite"`` network (5 ints).
        dropout: fc6/fc7 dropout of an untrained ``"vgg16"`` network.

    Returns:
        :class:`TextFCN`: input float32 (B, 3, H, W) ImageNet-normalised RGB (:func:`preprocess`), output
        logits (B, 2, H, W).

    Raises:
        ValueError: no arch and no weights, an unknown arch, ``backbone_weights`` with ``weights`` or with
            ``"lite"``, an unknown registry name, a checksum mismatch, a file that is no TextFCN
            checkpoint, weights that do not fit, a checkpoint of another arch.
        FileNotFoundError: no such file.
    """
    if arch is not None and arch not in ("vgg16", "lite"):
        raise ValueError(f"unknown TextFCN arch {arch!r}; expected 'vgg16' or 'lite'")
    if weights is not None:
        if backbone_weights is not None:
            raise ValueError("text_fcn: give weights= (a trained TextFCN) or backbone_weights= "
                             "(VGG16 initialisation of an untrained one), not both")
        from textvision.checkpoint import load_checkpoint
        from textvision.weights import resolve

        path = resolve(weights, CHECKPOINT_KIND)
        return text_fcn_from_checkpoint(load_checkpoint(path, CHECKPOINT_KIND), path, arch)
    if arch is None:
        raise ValueError("text_fcn needs arch ('lite' or 'vgg16') for an untrained network, or weights= "
                         "(a registry name such as 'default', or a checkpoint path)")
    if arch == "lite":
        if backbone_weights is not None:
            raise ValueError("text_fcn: backbone_weights= is for the 'vgg16' arch (the lite encoder has no "
                             "ImageNet weights)")
        return TextFCN("lite", widths=widths)
    if backbone_weights is None:
        return TextFCN("vgg16", dropout=dropout)
    vgg = vgg16(weights=backbone_weights)
    # Built without initialisation (meta device): conv1-fc7 are overwritten right away, and a random
    # init of the 120 M fc6/fc7 weights would cost seconds.
    with torch.device("meta"):
        model = TextFCN("vgg16", dropout=dropout)
    model = model.to_empty(device="cpu")
    model.reset_head()
    enc = model.encoder
    enc.features.load_state_dict(vgg.features.state_dict())
    if vgg.with_classifier:
        with torch.no_grad():
            enc.fc6.weight.copy_(vgg.classifier[0].weight.view(4096, 512, 7, 7))
            enc.fc6.bias.copy_(vgg.classifier[0].bias)
            enc.fc7.weight.copy_(vgg.classifier[3].weight.view(4096, 4096, 1, 1))
            enc.fc7.bias.copy_(vgg.classifier[3].bias)
    else:
        # Features-only weights (e.g. HED): fc6/fc7 get their FCN initialisation.
        for m in (enc.fc6, enc.fc7):
            nn.init.normal_(m.weight, 0, 0.01 if m is enc.fc7 else 0.001)
            nn.init.zeros_(m.bias)
    return model


def preprocess(image: np.ndarray) -> torch.Tensor:
    """uint8 HxWx3 RGB image -> float32 (1, 3, H, W) tensor: scaled to [0, 1], ImageNet-normalised.

    This is the one input convention of every TextFCN (and of ``textvision.segment``).
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"preprocess expects uint8 HxWx3 RGB, got {getattr(image, 'dtype', type(image))} "
                         f"{getattr(image, 'shape', '')}")
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
    return normalize_imagenet(x.unsqueeze(0))
