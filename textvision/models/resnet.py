"""ResNet (18/34/50) with torchvision-identical ``state_dict`` keys, without torchvision.

The layout (``conv1``, ``bn1``, ``layer1..4``, ``fc``; bottlenecks with the stride on the 3x3 conv,
"ResNet v1.5") matches torchvision's, so ``resnet50-0676ba61.pth`` / ``resnet50-11ad3fa6.pth`` load
with ``strict=True``. :meth:`ResNet.forward_features` hands out the stride 4/8/16/32 maps that
detectors (EAST's feature-merging branch) use.

Input convention of ImageNet weights: float32 (B, 3, H, W) RGB in [0, 1], normalised with
ImageNet mean/std.
"""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Type, Union

import torch
from torch import nn

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50"]


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = _conv3x3(cin, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision-layout ResNet.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. (3, 4, 6, 3) for ResNet-50.
        num_classes: classifier outputs; ``with_classifier=False`` omits ``fc`` (feature use).

    ``forward`` takes ImageNet-normalised float32 (B, 3, H, W) and returns logits (B, num_classes).
    """

    def __init__(self, block: Type[nn.Module], layers: Sequence[int], num_classes: int = 1000, *,
                 with_classifier: bool = True):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        #: channels of the stride 4, 8, 16, 32 feature maps
        self.feature_channels: List[int] = [c * block.expansion for c in (64, 128, 256, 512)]
        self.with_classifier = with_classifier
        if with_classifier:
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Stride 4, 8, 16, 32 maps (outputs of layer1..layer4) for (B, 3, H, W) input."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return [c2, c3, c4, c5]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)[-1]
        if not self.with_classifier:
            return x
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(weights: Union[str, os.PathLike, None] = None, *, num_classes: int = 1000,
             with_classifier: bool = True) -> ResNet:
    """ResNet-18 with torchvision keys; ``weights`` (None = untrained, a path = that file) as :func:`resnet50`."""
    model = ResNet(BasicBlock, (2, 2, 2, 2), num_classes, with_classifier=with_classifier)
    return model if weights is None else _load_into(model, weights, "ResNet-18")


def resnet34(weights: Union[str, os.PathLike, None] = None, *, num_classes: int = 1000,
             with_classifier: bool = True) -> ResNet:
    """ResNet-34 with torchvision keys; ``weights`` (None = untrained, a path = that file) as :func:`resnet50`."""
    model = ResNet(BasicBlock, (3, 4, 6, 3), num_classes, with_classifier=with_classifier)
    return model if weights is None else _load_into(model, weights, "ResNet-34")


def resnet50(weights: Union[str, os.PathLike, None] = None, *, num_classes: int = 1000,
             with_classifier: bool = True) -> ResNet:
    """ResNet-50 with torchvision keys (``conv1.weight``, ``layer1.0.conv1.weight``,
    ``layer1.0.downsample.0.weight``, ``fc.weight``, ...).

    Args:
        weights: None = untrained (random initialisation), always. A file path = that torchvision-format
            file (``resnet50-0676ba61.pth`` ...: a state dict, or a dict holding one under ``"state_dict"``;
            DDP ``module.`` prefixes dropped), read with ``weights_only=True`` and loaded strict, in eval
            mode. There are no registered ResNet files (the ``resnet`` registry family is empty: torchvision's
            ImageNet files are not ours to ship), so a name is an error listing none; nothing is downloaded
            and no cache is searched.
        num_classes: ``fc`` outputs (a file must match).
        with_classifier: build ``fc``; False drops it (and the file's ``fc.*`` keys).

    Raises:
        FileNotFoundError: no such file. ValueError: not a ResNet state dict, a file that needs code to
            unpickle, or shapes that do not match.
    """
    model = ResNet(Bottleneck, (3, 4, 6, 3), num_classes, with_classifier=with_classifier)
    return model if weights is None else _load_into(model, weights, "ResNet-50")


def _load_into(model: ResNet, weights: Union[str, os.PathLike], name: str) -> ResNet:
    """Fill ``model`` from a torchvision-format file (``weights_only=True``, strict); eval mode."""
    from textvision.checkpoint import load_torch_file
    from textvision.weights import resolve

    path = os.fspath(resolve(weights, "resnet"))
    state = load_torch_file(path, f"{name} weights file")
    if isinstance(state, dict) and "state_dict" in state and "conv1.weight" not in state:
        state = state["state_dict"]
    if not isinstance(state, dict) or not any(str(k).endswith("conv1.weight") for k in state):
        raise ValueError(f"{path}: not a torchvision ResNet state_dict (no 'conv1.weight')")
    state = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}
    if not model.with_classifier:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: does not match {name}: {exc}") from None
    return model.eval()
