"""EAST model shapes, torchvision-key backbones, and the loss (zero at perfect prediction)."""
import numpy as np
import pytest
import torch

from textvision.east.loss import EASTLoss
from textvision.east.targets import targets
from textvision.models.east import EAST, east
from textvision.models.resnet import resnet50


@pytest.mark.parametrize("backbone", ["tiny", "vgg16", "resnet50"])
def test_shapes_and_ranges(backbone):
    torch.manual_seed(0)
    m = EAST(backbone).eval()
    with torch.no_grad():
        out = m(torch.rand(1, 3, 64, 96))
    assert out.score.shape == (1, 1, 16, 24) and out.geometry.shape == (1, 5, 16, 24)
    assert 0 <= out.score.min() and out.score.max() <= 1
    assert out.geometry[:, :4].min() >= 0 and out.geometry[:, :4].max() <= 512
    assert out.geometry[:, 4].abs().max() <= np.pi / 4


def test_input_validation():
    m = EAST("tiny")
    with pytest.raises(ValueError, match="multiples of 32"):
        m(torch.rand(1, 3, 50, 64))
    with pytest.raises(ValueError, match="B, 3, H, W"):
        m(torch.rand(3, 64, 64))
    with pytest.raises(ValueError, match="backbone"):
        EAST("pvanet")


def test_resnet50_torchvision_keys():
    sd = resnet50().state_dict()
    assert len(sd) == 320
    for k in ("conv1.weight", "bn1.running_var", "layer1.0.downsample.0.weight", "layer1.0.downsample.1.weight",
              "layer3.5.conv3.weight", "layer4.2.bn3.num_batches_tracked", "fc.weight", "fc.bias"):
        assert k in sd
    assert sd["layer2.0.conv2.weight"].shape == (128, 128, 3, 3)
    assert sum(p.numel() for p in resnet50().parameters()) == 25_557_032  # torchvision's count


@pytest.mark.parametrize("backbone,factory", [("resnet50", "resnet"), ("vgg16", "vgg")])
def test_backbone_checkpoint_loads(tmp_path, backbone, factory):
    if factory == "resnet":
        net = resnet50()
    else:
        from textvision.models.vgg import vgg16

        net = vgg16(with_classifier=False)  # the 500 MB classifier is replaced by a stand-in key below
    path = tmp_path / "ckpt.pth"
    state = dict(net.state_dict())
    state.setdefault("classifier.6.bias", torch.zeros(1000))  # classifier keys must be ignored
    torch.save(state, path)  # a torchvision-format file
    m = east(backbone, backbone_weights=path)
    key = "conv1.weight" if factory == "resnet" else "features.0.weight"
    assert torch.equal(m.backbone.body.state_dict()[key], net.state_dict()[key])
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        east(backbone, backbone_weights=tmp_path / "missing.pth")


def _perfect(shape=(128, 160)):
    q = np.array([[[20, 40], [120, 50], [118, 80], [18, 70]], [[30, 90], [90, 90], [90, 110], [30, 110]]], np.float32)
    t = targets(shape, q)
    score = torch.from_numpy(t.score)[None, None]
    geo = torch.from_numpy(t.geometry)[None]
    mask = torch.from_numpy(t.mask)[None]
    return score, geo, mask


@pytest.mark.parametrize("kind", ["dice", "balanced_bce"])
def test_loss_zero_at_perfect_prediction(kind):
    score, geo, mask = _perfect()
    parts = EASTLoss(kind)(score.clone(), geo.clone(), score, geo, mask)
    assert float(parts.total) == 0.0 and float(parts.iou) == 0.0 and float(parts.angle) == 0.0


@pytest.mark.parametrize("kind", ["dice", "balanced_bce"])
def test_loss_gradients_finite_and_positive_when_wrong(kind):
    score, geo, mask = _perfect()
    torch.manual_seed(0)
    m = EAST("tiny")
    out = m(torch.rand(1, 3, 128, 160))
    parts = EASTLoss(kind)(out.score, out.geometry, score, geo, mask)
    assert parts.total > 0 and parts.iou > 0 and parts.angle > 0
    parts.total.backward()
    grads = [p.grad for p in m.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    # perturbing a perfect prediction raises every term
    noisy = geo.clone()
    noisy[:, :4] *= 1.2
    noisy[:, 4] += 0.1
    p2 = EASTLoss(kind)(score, noisy, score, geo, mask)
    assert p2.iou > 0 and p2.angle > 0


@pytest.mark.parametrize("kind, score_term", [
    ("dice", 0.5),                   # 1 - 2 * 0.5 / ((0.5 + 0.5 + 0) + 1)
    ("balanced_bce", np.log(2) / 3),  # beta = 1 - 1/3; (2/3 ln 2 + 1/3 ln 2 + 0) over 3 cared cells
])
def test_loss_hand_worked(kind, score_term):
    """A 2x2 map worked by hand: one positive cell, one cell outside the training mask."""
    score = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    mask = torch.tensor([[[1.0, 1.0], [1.0, 0.0]]])  # (1, 1) is don't care, though its score says text
    pred = torch.tensor([[[[0.5, 0.5], [0.0, 0.9]]]])
    geo = torch.zeros(1, 5, 2, 2)
    geo[0, :4, 0, 0] = 2.0          # target box 4x4 around the cell
    geo[0, 4, 0, 0] = np.pi / 3
    pgeo = torch.zeros(1, 5, 2, 2)
    pgeo[0, :4, 0, 0] = torch.tensor([1.0, 3.0, 1.0, 1.0])  # t r b l: 2x4, sticking out right
    pgeo[0, :4, 1, 1] = 50.0        # wildly wrong, but under the mask's 0
    pgeo[0, 4, 1, 1] = 1.0
    parts = EASTLoss(kind, eps=0.0)(pred, pgeo, score, geo, mask)
    iou = np.log(19 / 7)            # inter (2 + 1) * (1 + 1) = 6, union 8 + 16 - 6 = 18: -log(7 / 19)
    angle = 1 - np.cos(np.pi / 3)   # 0.5
    assert float(parts.score) == pytest.approx(score_term, rel=1e-6)
    assert float(parts.iou) == pytest.approx(iou, rel=1e-6)
    assert float(parts.angle) == pytest.approx(angle, rel=1e-6)
    assert float(parts.total) == pytest.approx(score_term + iou + 10 * angle, rel=1e-6)
    w = EASTLoss(kind, eps=0.0, score_weight=2, iou_weight=3, angle_weight=0.5)(pred, pgeo, score, geo, mask)
    assert float(w.total) == pytest.approx(2 * score_term + 3 * iou + 0.5 * angle, rel=1e-6)


def test_loss_empty_targets_and_validation():
    z = torch.zeros(2, 1, 8, 8)
    parts = EASTLoss()(torch.full_like(z, 0.3), torch.rand(2, 5, 8, 8), z, torch.zeros(2, 5, 8, 8), torch.ones(2, 8, 8))
    assert parts.iou == 0 and parts.angle == 0 and parts.score > 0.99
    with pytest.raises(ValueError, match="geometry"):
        EASTLoss()(z, torch.zeros(2, 4, 8, 8), z, torch.zeros(2, 4, 8, 8), z)
    with pytest.raises(ValueError, match="score_loss"):
        EASTLoss("focal")
