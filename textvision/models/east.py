"""EAST (Zhou et al., CVPR 2017): a backbone, a U-shaped feature-merging branch, and a 1/4-resolution
score map plus RBOX geometry (4 side distances and an angle).

Backbones keep torchvision's ``state_dict`` keys under ``backbone.body.`` so that a local ImageNet
checkpoint loads (``east(arch, backbone_weights=PATH)``): ``"resnet50"`` (the paper's PVANet stand-in used by
most ports), ``"vgg16"``, and ``"tiny"`` (a small BN conv net that trains on a CPU, for tests and
quick experiments), and ``"vgg16bn_lite"``: the first three blocks of VGG16-BN (torchvision ``vgg16_bn``
``features.0``-``features.23`` keys, readable from CRAFT's real-scene-text weights with
``backbone_weights="craft"``) plus two small new stride-16/32 stages; the default detector's backbone.

Input: float32 (B, 3, H, W) RGB in [0, 1] (ImageNet normalisation happens inside), H and W
multiples of 32. Output: :class:`EASTOutput` with ``score`` (B, 1, H/4, W/4) in [0, 1] and
``geometry`` (B, 5, H/4, W/4): distances in input pixels from each pixel to the top, right, bottom
and left side of its rotated box, in [0, text_scale], then the box angle in radians in
[-pi/4, pi/4] (rotation of the box's top edge from the x axis, positive = clockwise on screen).
"""
from __future__ import annotations

import math
import os
from typing import NamedTuple, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from textvision.checkpoint import load_once, load_torch_file, strip_module_prefix
from textvision.models.vgg import IMAGENET_MEAN as _MEAN  # the one normalisation
from textvision.models.vgg import IMAGENET_STD as _STD

__all__ = ["EAST", "EASTOutput", "east", "BACKBONES", "CHECKPOINT_KIND", "save_east", "as_east"]

BACKBONES = ("resnet50", "vgg16", "tiny", "vgg16bn_lite")
#: ``kind`` of EAST checkpoints (see :mod:`textvision.checkpoint`).
CHECKPOINT_KIND = "east"


class EASTOutput(NamedTuple):
    """score: (B, 1, H/4, W/4) in [0, 1]; geometry: (B, 5, H/4, W/4) = top, right, bottom, left
    distances (input pixels) and angle (radians, [-pi/4, pi/4])."""

    score: torch.Tensor
    geometry: torch.Tensor


def _conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _ResNetBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        from textvision.models.resnet import resnet50

        self.body = resnet50(with_classifier=False)
        self.channels = list(self.body.feature_channels)

    def forward(self, x):
        return self.body.forward_features(x)


class _VGGBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        from textvision.models.vgg import VGG16_LAYER_INDEX, vgg16

        self.body = vgg16(with_classifier=False)
        # outputs of pool2..pool5: strides 4, 8, 16, 32
        self._taps = [VGG16_LAYER_INDEX[f"pool{i}"] for i in (2, 3, 4, 5)]
        self.channels = [128, 256, 512, 512]

    def forward(self, x):
        feats = []
        for i, layer in enumerate(self.body.features):
            x = layer(x)
            if i in self._taps:
                feats.append(x)
                if len(feats) == 4:
                    break
        return feats


class _TinyBody(nn.Module):
    def __init__(self, widths: Sequence[int] = (16, 32, 64, 96)):
        super().__init__()
        self.stem = nn.Sequential(_conv_bn_relu(3, widths[0] // 2, 3, 2), _conv_bn_relu(widths[0] // 2, widths[0], 3, 2))
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(nn.Sequential(_conv_bn_relu(cin, w, 3, 1 if i == 0 else 2), _conv_bn_relu(w, w)))
            cin = w
        self.stages = nn.ModuleList(stages)

    def forward(self, x):
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class _TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = _TinyBody()
        self.channels = [16, 32, 64, 96]

    def forward(self, x):
        return self.body(x)


class _VGGBNLiteBody(nn.Module):
    def __init__(self):
        super().__init__()
        from textvision.models.craft import _vgg16_bn_layers

        # conv1_1..conv3_3 with BN and pool3 (indices 0..23 of torchvision's vgg16_bn ``features``):
        # the blocks whose pretrained filters (strokes, edges, text texture) transfer; the deep
        # 512-channel blocks cost 52 MB and most of the FLOPs at stride 8-16, so two small stages replace them.
        self.features = nn.Sequential(*_vgg16_bn_layers()[:24])
        self.stage4 = nn.Sequential(nn.MaxPool2d(2, 2), _conv_bn_relu(256, 256), _conv_bn_relu(256, 256))
        self.stage5 = nn.Sequential(nn.MaxPool2d(2, 2), _conv_bn_relu(256, 256), _conv_bn_relu(256, 256))
        # The four stages to strides 4 (pool2), 8 (pool3), 16 and 32, sliced once; a plain list, so they
        # are not registered a second time as submodules (the state_dict keys stay ``features.N``).
        self.stages = [self.features[:14], self.features[14:], self.stage4, self.stage5]

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class _VGGBNLiteBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = _VGGBNLiteBody()
        self.channels = [128, 256, 256, 256]
        self.stages = self.body.stages  # what EAST.freeze_backbone can freeze

    def forward(self, x):
        return self.body(x)

    def pretrained_part(self, state: dict):
        """The module a pretrained file fills (VGG16-BN blocks 1-3), the file's keys for it, and its name."""
        n = len(self.body.features)
        if any(k.startswith("basenet.") for k in state):  # CRAFT: global vgg16_bn indices inside slices
            state = _craft_to_vgg16bn(state, n)
        state = {k[len("features."):]: v for k, v in state.items()
                 if k.startswith("features.") and int(k.split(".")[1]) < n}
        return self.body.features, state, "VGG16-BN blocks 1-3 of the vgg16bn_lite backbone"


def _craft_to_vgg16bn(state: dict, stop: int) -> dict:
    """CRAFT's ``basenet.slice{n}.{i}.*`` keys (global vgg16_bn indices) -> ``features.{i}.*`` for i < ``stop``."""
    out = {}
    for k, v in state.items():
        parts = k.split(".")
        if len(parts) >= 4 and parts[0] == "basenet" and parts[1] in ("slice1", "slice2", "slice3", "slice4") \
                and parts[2].isdigit():  # slice5 (fc6/fc7) has local indices
            if int(parts[2]) < stop:
                out[".".join(["features", *parts[2:]])] = v
    return out


class EAST(nn.Module):
    """EAST with a choice of backbone (untrained; build or load one with :func:`east`).

    Args:
        backbone: ``"resnet50"``, ``"vgg16"``, ``"tiny"`` or ``"vgg16bn_lite"``.
        merge_channels: channels of the three merging stages (paper: 128, 64, 32; tiny: 48, 32, 32).
        text_scale: largest predictable distance in input pixels (sigmoid * text_scale).
    """

    def __init__(self, backbone: str = "resnet50", *, merge_channels: Optional[Sequence[int]] = None,
                 text_scale: float = 512.0):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
        self.backbone_name = backbone
        self.backbone = {"resnet50": _ResNetBackbone, "vgg16": _VGGBackbone, "tiny": _TinyBackbone,
                         "vgg16bn_lite": _VGGBNLiteBackbone}[backbone]()
        self.frozen_stages = 0
        if merge_channels is None:
            merge_channels = (48, 32, 32) if backbone == "tiny" else (128, 64, 32)
        if len(merge_channels) != 3:
            raise ValueError(f"merge_channels needs 3 values, got {tuple(merge_channels)}")
        self.merge_channels = tuple(int(c) for c in merge_channels)
        self.text_scale = float(text_scale)
        c = self.backbone.channels  # strides 4, 8, 16, 32
        prev = c[3]
        self.merge1x1 = nn.ModuleList()
        self.merge3x3 = nn.ModuleList()
        for skip, out in zip((c[2], c[1], c[0]), self.merge_channels):
            self.merge1x1.append(_conv_bn_relu(prev + skip, out, 1))
            self.merge3x3.append(_conv_bn_relu(out, out, 3))
            prev = out
        self.final = _conv_bn_relu(prev, prev, 3)
        self.score_head = nn.Conv2d(prev, 1, 1)
        self.dist_head = nn.Conv2d(prev, 4, 1)
        self.angle_head = nn.Conv2d(prev, 1, 1)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        for m in [*self.merge1x1.modules(), *self.merge3x3.modules(), *self.final.modules(),
                  self.score_head, self.dist_head, self.angle_head]:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        # Start with "little text" so the early score loss does not swamp the geometry loss.
        nn.init.constant_(self.score_head.bias, -2.0)

    def load_backbone(self, weights: Union[str, os.PathLike]) -> None:
        """Load torchvision ImageNet weights of the backbone (strict on its keys).

        Args:
            weights: a local torchvision checkpoint (``resnet50-*.pth`` / ``vgg16-397923af.pth`` /
                ``vgg16_bn-*.pth`` for vgg16bn_lite: a plain state dict, or a dict holding one under
                ``"state_dict"``; DDP ``module.`` prefixes and classifier keys are dropped), a CRAFT
                ``state_dict`` (vgg16bn_lite), or a name registered for the backbone's family in
                :mod:`textvision.weights` (vgg16bn_lite: the ``craft`` family, e.g. ``"craft"``). Nothing is
                downloaded.

        Raises:
            FileNotFoundError: no such file. ValueError: the ``tiny`` backbone, a file that needs code to
                unpickle (refused, never executed: ``weights_only=True``), not a torch file, or keys
                that do not match the backbone.
        """

        from textvision.weights import resolve

        if self.backbone_name == "tiny":
            raise ValueError("the 'tiny' backbone has no ImageNet checkpoint")
        # vgg16bn_lite's names are CRAFT's: its VGG16-BN is the pretrained part.
        family = "craft" if self.backbone_name == "vgg16bn_lite" else self.backbone_name
        try:
            path = resolve(weights, family)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"{exc} (backbone weights are read from local files; nothing is downloaded)") from None
        if path is None:
            return
        path = os.fspath(path)
        # A torchvision file is a bare state dict, not a textvision checkpoint (no kind/format).
        state = load_torch_file(path, f"torch checkpoint of the {self.backbone_name} backbone")
        if isinstance(state, dict) and "state_dict" in state and not any(k.endswith(".weight") for k in state):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
        state = {k: v for k, v in strip_module_prefix(state).items() if not k.startswith(("fc.", "classifier."))}
        part = getattr(self.backbone, "pretrained_part", None)
        target, state, what = part(state) if part else (self.backbone.body, state, f"the {self.backbone_name} backbone")
        try:
            target.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            detail = " ".join(str(exc).split())
            raise ValueError(f"{path}: does not match {what}: {detail[:300]}") from None

    def freeze_backbone(self, stages: int) -> None:
        """Keep the first ``stages`` backbone stages (of 4, up to strides 4, 8, 16, 32) fixed in training:
        no gradients, and their BatchNorm statistics stay as loaded (eval mode even in ``train()``).

        Freezing pretrained low-level blocks saves most of a CPU step (their backward pass) and keeps
        filters learnt on real photographs from drifting towards synthetic text.
        """
        stages = int(stages)
        if not 0 <= stages <= 4:
            raise ValueError(f"stages must be in 0..4, got {stages}")
        parts = getattr(self.backbone, "stages", None)
        if stages and parts is None:
            raise ValueError(f"freezing is supported for the vgg16bn_lite backbone, not {self.backbone_name!r}")
        self.frozen_stages = stages
        for i, part in enumerate(parts or []):
            for p in part.parameters():
                p.requires_grad_(i >= stages)
        self.train(self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        for part in getattr(self.backbone, "stages", [])[:self.frozen_stages]:
            part.eval()
        return self

    def forward(self, x: torch.Tensor) -> EASTOutput:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"EAST expects float (B, 3, H, W) RGB in [0, 1], got shape {tuple(x.shape)}")
        if x.shape[2] % 32 or x.shape[3] % 32:
            raise ValueError(f"EAST input height and width must be multiples of 32, got {tuple(x.shape[2:])}")
        x = (x - self.mean) / self.std
        f4, f8, f16, f32 = self.backbone(x)
        h = f32
        for skip, c1, c3 in zip((f16, f8, f4), self.merge1x1, self.merge3x3):
            h = F.interpolate(h, size=skip.shape[2:], mode="bilinear", align_corners=False)
            h = c3(c1(torch.cat([h, skip], 1)))
        h = self.final(h)
        score = torch.sigmoid(self.score_head(h))
        dist = torch.sigmoid(self.dist_head(h)) * self.text_scale
        angle = (torch.sigmoid(self.angle_head(h)) - 0.5) * (math.pi / 2)
        return EASTOutput(score, torch.cat([dist, angle], 1))

    def config(self) -> dict:
        """Constructor arguments (without weights) for checkpoints."""
        return {"backbone": self.backbone_name, "merge_channels": list(self.merge_channels), "text_scale": self.text_scale}


# ------------------------------------------------------------------------------------------------
# checkpoints


def save_east(path: Union[str, os.PathLike], model: nn.Module, **extra) -> None:
    """Write an EAST checkpoint atomically (:func:`textvision.checkpoint.save_checkpoint`, kind ``"east"``).

    Args:
        path: target file (its folder is created).
        model: an :class:`EAST` (or a DDP wrapper of one).
        extra: plain values or tensors stored beside the weights (``optimizer``, ``epoch``, ``history``...).
    """
    from textvision.checkpoint import save_checkpoint

    model = getattr(model, "module", model)
    save_checkpoint(path, kind=CHECKPOINT_KIND, state_dict=model.state_dict(), config=model.config(), **extra)


def east(arch: Optional[str] = None, weights: Union[str, os.PathLike, None] = None, *,
         backbone_weights: Union[str, os.PathLike, None] = None, merge_channels: Optional[Sequence[int]] = None,
         text_scale: float = 512.0) -> EAST:
    """An EAST detector: untrained (``weights=None``) or read from a checkpoint.

    ``east("tiny")`` is an untrained small detector; ``east("vgg16bn_lite", backbone_weights="craft")`` an
    untrained one whose VGG16-BN blocks come from CRAFT; ``east(weights="default")`` the shipped detector
    (``east_default``), its backbone read from the file.

    Args:
        arch: the backbone, one of :data:`BACKBONES` (``"resnet50"``, ``"vgg16"``, ``"tiny"``,
            ``"vgg16bn_lite"``). Required when ``weights`` is None; with ``weights``, None means the
            checkpoint's own backbone (given, it must match the file's).
        weights: None = untrained (random initialisation), always. An ``east`` registry name (``"default"``;
            see ``textvision weights``) or a checkpoint path (:func:`save_east` / ``textvision train-east``)
            = that file, read with ``weights_only=True`` (a file that needs code to unpickle is refused, never
            executed) and loaded strict; its stored config (backbone, merge channels, text scale) rebuilds the
            network, so ``merge_channels``/``text_scale`` are ignored. Eval mode.
        backbone_weights: ``weights=None`` only: pretrained weights for the backbone (strict on its keys;
            :meth:`EAST.load_backbone`): a torchvision ImageNet file of that backbone (``resnet50-*.pth``,
            ``vgg16-397923af.pth``, ``vgg16_bn-*.pth``), or for ``"vgg16bn_lite"`` a ``craft`` registry name (``"craft"`` / ``"default"``: CRAFT's VGG16-BN,
            trained on real scene text) or a CRAFT ``state_dict`` file. The rest stays untrained.
        merge_channels: channels of the three merging stages of an untrained network (paper: 128, 64, 32;
            None: that, or 48, 32, 32 for ``"tiny"``).
        text_scale: largest predictable distance in input pixels of an untrained network.

    Returns:
        :class:`EAST` on the CPU; input float32 (B, 3, H, W) RGB in [0, 1], H and W multiples of 32.

    Raises:
        ValueError: no arch and no weights, an unknown arch, ``backbone_weights`` with ``weights``, an unknown
            registry name, not a checkpoint, a checkpoint of another kind or backbone, or weights that do not
            fit the stored config. FileNotFoundError: no such file.
    """
    if arch is not None and arch not in BACKBONES:
        raise ValueError(f"EAST arch must be one of {BACKBONES}, got {arch!r}")
    if weights is None:
        if arch is None:
            raise ValueError(f"east needs arch (one of {BACKBONES}) for an untrained network, or weights= (a "
                             f"registry name such as 'default', or a checkpoint path)")
        model = EAST(arch, merge_channels=merge_channels, text_scale=text_scale)
        if backbone_weights is not None:
            model.load_backbone(backbone_weights)
        return model
    if backbone_weights is not None:
        raise ValueError("east: give weights= (a trained EAST) or backbone_weights= (a pretrained backbone of an "
                         "untrained one), not both")
    from textvision.checkpoint import load_checkpoint
    from textvision.weights import resolve

    path = resolve(weights, CHECKPOINT_KIND)
    ckpt = load_checkpoint(path, kind=CHECKPOINT_KIND)
    cfg = dict(ckpt["config"])
    backbone = cfg.pop("backbone", None)
    if backbone not in BACKBONES:
        raise ValueError(f"{path}: EAST checkpoint config names backbone {backbone!r}, expected one of {BACKBONES}")
    if arch is not None and backbone != arch:
        raise ValueError(f"{path}: checkpoint is for EAST arch {backbone!r}, not {arch!r}")
    try:
        model = EAST(backbone, **cfg)
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except (TypeError, RuntimeError) as exc:
        # torch's message spreads the missing / unexpected keys over several lines: one line, bounded.
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ValueError(f"{path}: the weights do not fit the EAST config {ckpt['config']}: {detail}") from None
    return model.eval()


def _east_file(path: str) -> EAST:
    # Module level, so that load_once's cache (keyed on the loader) finds it again.
    return east(weights=path)


def as_east(model: Union[EAST, str, os.PathLike] = "default") -> EAST:
    """``model`` itself when it is an :class:`EAST`; otherwise a registry name (``"default"``) or checkpoint
    path, loaded once per process (CPU, eval mode) and reused.

    Raises:
        TypeError: anything else. FileNotFoundError / ValueError: as :func:`east`.
    """
    if isinstance(model, nn.Module):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be an EAST, a registry name or a checkpoint path, got {type(model).__name__}")
    from textvision.weights import resolve

    return load_once(_east_file, resolve(model, CHECKPOINT_KIND))
