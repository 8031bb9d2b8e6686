"""VGG16: torchvision key compatibility, loader errors, named feature extraction."""
from pathlib import Path

import pytest
import torch

from textvision.models import vgg

KEYS_FILE = Path(__file__).with_name("vgg16_keys.txt")


def _reference_keys():
    """(key, shape) pairs of torchvision's vgg16 state_dict, from the checked-in list."""
    out = []
    for line in KEYS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, shape = line.split()
            out.append((key, tuple(int(s) for s in shape.split(","))))
    return out


def _synthetic_torchvision_checkpoint(path, with_classifier=True):
    """A torchvision-format file built from the key list alone (values: a per-tensor marker)."""
    state = {}
    for i, (key, shape) in enumerate(_reference_keys()):
        if not with_classifier and key.startswith("classifier."):
            continue
        state[key] = torch.full(shape, float(i) / 100.0)
    torch.save(state, path)
    return state


def test_keys_and_shapes_match_torchvision():
    with torch.device("meta"):  # shapes only; no 138 M-parameter init
        model = vgg.vgg16()
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert got == _reference_keys()


def test_features_only_keys_are_the_prefix():
    with torch.device("meta"):
        model = vgg.vgg16(with_classifier=False)
    ref = [k for k, _ in _reference_keys() if k.startswith("features.")]
    assert list(model.state_dict()) == ref


def test_layer_index_matches_caffe_names():
    idx = vgg.VGG16_LAYER_INDEX
    assert (idx["relu1_2"], idx["relu2_2"], idx["relu3_3"], idx["relu4_3"], idx["relu5_3"]) == (3, 8, 15, 22, 29)
    assert (idx["pool3"], idx["pool4"], idx["pool5"]) == (16, 23, 30)


def test_synthetic_torchvision_checkpoint_loads(tmp_path):
    path = tmp_path / "vgg16-397923af.pth"
    state = _synthetic_torchvision_checkpoint(path)
    model = vgg.vgg16(path)
    assert not model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    model_f = vgg.vgg16(path, with_classifier=False)
    assert list(model_f.state_dict()) == [k for k in state if k.startswith("features.")]


def test_no_weights_is_untrained_even_with_a_hub_cache_file(tmp_path, monkeypatch):
    # torch's hub cache is never a side door: weights=None builds a random network.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    _synthetic_torchvision_checkpoint(ckpt / "vgg16-397923af.pth", with_classifier=False)
    model = vgg.vgg16(with_classifier=False)
    assert model.training
    assert not torch.allclose(model.features[0].bias, torch.full((64,), 0.01))  # the file's marker


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.pth"
    with pytest.raises(FileNotFoundError) as e:
        vgg.vgg16(missing)
    assert str(missing) in str(e.value) and "hub" not in str(e.value)


def test_wrong_file_is_value_error(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="features"):
        vgg.vgg16(path)
    torch.save({"features.0.weight": torch.zeros(2, 3, 3, 3)}, path)
    with pytest.raises(ValueError, match="VGG16"):
        vgg.vgg16(path, with_classifier=False)


def test_feature_extractor_matches_sequential_forward():
    torch.manual_seed(0)
    model = vgg.vgg16(with_classifier=False).eval()
    fx = vgg.VGG16Features(model, ["relu3_3", "relu1_2", "pool4"], normalize=True)
    x = torch.rand(2, 3, 40, 56)
    out = fx(x)
    assert list(out) == ["relu3_3", "relu1_2", "pool4"]
    z = vgg.normalize_imagenet(x)
    with torch.no_grad():
        ref = {n: model.features[: vgg.VGG16_LAYER_INDEX[n] + 1](z.clone()) for n in out}
    for n in out:
        torch.testing.assert_close(out[n], ref[n])
    assert out["pool4"].shape == (2, 512, 40 // 16, 56 // 16)
    assert not any(p.requires_grad for p in fx.parameters())
    # The returned relu1_2 must not be clobbered by an in-place ReLU further on.
    assert out["relu1_2"].min() >= 0


def test_feature_extractor_bad_names():
    with pytest.raises(ValueError, match="relu9_9"):
        vgg.VGG16Features(None, ["relu9_9"])


def test_normalize_shape_error():
    with pytest.raises(ValueError, match=r"\(1, 1, 4, 4\)"):
        vgg.normalize_imagenet(torch.zeros(1, 1, 4, 4))
