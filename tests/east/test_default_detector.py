"""The shipped EAST detector (registry ``east`` default): loads from the wheel, finds the words of the
bundled street photograph, and ``detect`` (API and CLI) needs no weights argument and takes any image."""
from pathlib import Path

import numpy as np
import pytest

import textvision
from textvision.cli import main
from textvision.data import read_icdar2015
from textvision.east import detect
from textvision.eval import icdar2015
from textvision.io import read_rgb, write_image
from textvision.models.east import EAST, as_east, east

ASSETS = Path(textvision.__file__).parent / "assets"


@pytest.fixture(scope="module")
def photo():
    return read_rgb(ASSETS / "scenetext01.jpg")


def test_default_is_the_shipped_vgg16bn_lite():
    m = east(weights="default")
    assert isinstance(m, EAST) and m.backbone_name == "vgg16bn_lite" and not m.training
    assert as_east("default") is as_east("default")  # loaded once per process


def test_default_finds_the_words_of_the_bundled_photo(photo):
    det = detect(photo)  # model="default"
    gt = read_icdar2015(ASSETS / "scenetext01_gt.txt")
    res = icdar2015([gt], [det.quads])
    # 7 sign words; the detector was never trained on this photo (an evaluation photo)
    assert res.recall >= 0.5, res
    assert res.precision >= 0.3, res
    assert det.quads.dtype == np.float32 and det.quads.shape[1:] == (4, 2)
    assert det.scores.shape == (len(det.quads),) and np.all(np.diff(det.scores) <= 0)


@pytest.mark.parametrize("shape", [(40, 60), (40, 60, 4), (17, 300, 3), (8, 8, 3)])
def test_any_size_and_channel_count(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    before = img.copy()
    det = detect(img)
    assert det.quads.shape[1:] == (4, 2)
    np.testing.assert_array_equal(img, before)


def test_bad_images_are_clear_errors():
    with pytest.raises((TypeError, ValueError)):
        detect(np.zeros((0, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="0..255 float"):  # the one image contract: floats are [0, 1]
        detect(np.full((10, 10, 3), 200.0))
    with pytest.raises(TypeError):
        detect(np.zeros((10, 10, 3), np.int64))
    with pytest.raises(TypeError):
        detect(np.zeros((10, 10, 3), np.uint8), model=3)


def test_cli_detect_without_weights_and_overlay(tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    write_image(d / "street.jpg", read_rgb(ASSETS / "scenetext01.jpg"))
    assert main(["detect", str(d), "--out", str(tmp_path / "res"), "--overlay", "--no-progress"]) == 0
    lines = (tmp_path / "res" / "res_street.txt").read_text().strip().splitlines()
    assert len(lines) >= 3 and all(len(line.split(",")) == 8 for line in lines)
    assert (tmp_path / "res" / "street_east.jpg").is_file()
    assert "1 image(s)" in capsys.readouterr().out


def test_cli_detect_empty_folder_and_folder_without_images(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("not an image")
    for d in ("empty", "notes"):
        assert main(["detect", str(tmp_path / d), "--out", str(tmp_path / "res")]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("textvision detect: error: ") and "holds no image" in err and "\n" not in err
