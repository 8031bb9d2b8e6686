"""The shipped style models: loaded by registry name, thumbnails, and selective restyling of a real photo."""
import os

import cv2
import numpy as np
import pytest

import textvision
from textvision import io
from textvision.data import read_icdar2015
from textvision.models.style import style_net
from textvision.style import stylize
from textvision.style.evaluate import word_masks
from textvision.weights import entry_path, get_entry

ASSETS = os.path.join(os.path.dirname(textvision.__file__), "assets")


@pytest.mark.parametrize("name, kind", [("default", "two-stage"), ("default-distilled", "distilled")])
def test_shipped_style_models_load_by_name(name, kind):
    entry = get_entry(name, "style")
    assert entry.shipped and entry.size <= 10 * 2**20  # the wheel stays light
    model = style_net(weights=name)
    assert model.kind == kind and len(model.style_names) >= 12
    assert model.style_images is not None and len(model.style_images) == len(model.style_names)
    for im in model.style_images:
        im = np.asarray(im)
        assert im.dtype == np.uint8 and im.ndim == 3 and max(im.shape[:2]) <= 96
    ckpt_keys = set(__import__("torch").load(entry_path(entry), weights_only=True))
    assert "optimizer" not in ckpt_keys  # shipped without training state


def test_shipped_models_share_styles():
    assert style_net(weights="default").style_names == style_net(weights="default-distilled").style_names


@pytest.mark.slow
@pytest.mark.parametrize("name, ratio", [("default", 20.0), ("default-distilled", 3.0)])
def test_shipped_models_restyle_words_not_background(name, ratio):
    """On the bundled real photograph at 640 px: the words change a lot, the background far from them much less
    (measured: two-stage 49 vs 0.3 grey levels, distilled: see docs/style.md)."""
    rgb = io.read_rgb(os.path.join(ASSETS, "scenetext01.jpg"))
    words = read_icdar2015(os.path.join(ASSETS, "scenetext01_gt.txt"))
    s = 640 / max(rgb.shape[:2])
    small = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
    masks = word_masks(list(words), small.shape[:2], far=30.0, scale=small.shape[1] / rgb.shape[1])
    model = style_net(weights=name)
    out = stylize(small, model, "japanese_w0")
    diff = np.abs(out.astype(np.int16) - small.astype(np.int16)).mean(axis=2)
    assert out.shape == small.shape and out.dtype == np.uint8
    assert diff[masks.text].mean() >= 12
    assert diff[masks.text].mean() > ratio * diff[masks.far].mean()


def test_cli_uses_the_shipped_model(tmp_path, capsys):
    from textvision.cli import main

    assert main(["styles", "--out", str(tmp_path / "sheet.png")]) == 0
    out = capsys.readouterr().out
    assert "japanese_w0" in out and (tmp_path / "sheet.png").is_file()
    rgb = io.read_rgb(os.path.join(ASSETS, "scenetext01.jpg"))[:160, 250:450]
    io.write_image(tmp_path / "crop.png", rgb)
    assert main(["stylize", str(tmp_path / "crop.png"), "--style", "korean_w0", "--model", "default-distilled",
                 "--out", str(tmp_path / "out.png")]) == 0
    out_img = io.read_rgb(tmp_path / "out.png")
    assert out_img.shape == rgb.shape and not np.array_equal(out_img, rgb)
