"""Word crops: sizes by aspect ratio, boxes and quads agree, rotation is undone, bad input."""
import numpy as np
import pytest
import torch

from textvision.spotting import crop_width, fit_crop, word_crops


def _image(h=120, w=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _box_quad(x1, y1, x2, y2):
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def test_crop_width_rounding_and_limits():
    assert crop_width(100, 20) == 320
    assert crop_width(30, 20) == 96
    assert crop_width(200, 120) == 106         # rounded down, as EasyOCR does
    assert crop_width(1, 100) == 1             # at least one column
    assert crop_width(10_000, 10) == 1536      # squeezed to the widest crop


def test_box_crops_shape_and_grey():
    img = _image()
    crops = word_crops(img, boxes=np.array([[10, 20, 110, 40], [0, 0, 200, 120], [5, 5, 5, 30]]))
    assert [c.shape for c in crops] == [(64, 320), (64, 106), (64, 0)]
    assert all(c.dtype == np.uint8 for c in crops)
    # a box 64 px tall and a multiple of 8 wide is the grey image itself
    big = _image(100, 300, 1)
    grey = (big.astype(np.float64) @ [0.299, 0.587, 0.114]).round()
    (c,) = word_crops(big, boxes=np.array([[16, 8, 16 + 128, 8 + 64]]))
    assert np.abs(c.astype(int) - grey[8:72, 16:144]).max() <= 1


def test_quad_crop_equals_box_crop_for_upright_rectangles():
    img = _image()
    boxes = np.array([[10, 20, 110, 40], [30, 5, 90, 100], [0, 0, 200, 120]], np.float32)
    by_box = word_crops(img, boxes=boxes)
    # quad vertices are pixel centres: the box's last column and row are x2 - 1, y2 - 1
    by_quad = word_crops(img, np.stack([_box_quad(x1, y1, x2 - 1, y2 - 1) for x1, y1, x2, y2 in boxes]))
    for a, b in zip(by_box, by_quad):
        np.testing.assert_array_equal(a, b)


def test_rotated_word_is_rectified():
    img = _image(80, 160)
    (ref,) = word_crops(img, boxes=np.array([[20, 10, 140, 50]]))
    rot = np.ascontiguousarray(np.rot90(img, k=-1))  # 90 degrees clockwise: pixel (x, y) -> (H - 1 - y, x)
    h = img.shape[0]
    # the corner pixels (x 20..139, y 10..49), top-left first in the reading direction, in the rotated image
    quad = np.array([[h - 11, 20], [h - 11, 139], [h - 50, 139], [h - 50, 20]], np.float32)
    (got,) = word_crops(rot, quad[None])
    np.testing.assert_array_equal(got, ref)


def test_outside_boxes_and_degenerate_quads():
    img = _image()
    crops = word_crops(img, boxes=np.array([[-50, -10, 30, 30], [300, 0, 400, 50]]))
    assert crops[0].shape == (64, 64) and crops[1].shape == (64, 0)
    (flat,) = word_crops(img, np.array([[[5, 5], [50, 5], [50, 5.5], [5, 5.5]]], np.float32))  # 0.5 px tall
    assert flat.shape == (64, 0)
    assert word_crops(img, boxes=np.zeros((0, 4))) == []


def test_input_kinds_and_never_modified():
    img = _image()
    before = img.copy()
    boxes = np.array([[10, 20, 110, 40]])
    ref = word_crops(img, boxes=boxes)[0]
    np.testing.assert_array_equal(img, before)
    np.testing.assert_array_equal(word_crops(torch.from_numpy(img), boxes=boxes)[0], ref)
    grey = np.ascontiguousarray(img[:, :, 0])
    assert word_crops(grey, boxes=boxes)[0].shape == ref.shape


def test_fit_crop():
    strip = np.zeros((64, 96), np.uint8)
    assert fit_crop(strip) is strip
    assert fit_crop(np.zeros((20, 100, 3), np.uint8)).shape == (64, 320)
    assert fit_crop(np.zeros((64, 90), np.uint8)).shape == (64, 90)
    assert fit_crop(np.zeros((32, 45), np.uint8)).shape == (64, 90)


def test_bad_input():
    img = _image()
    with pytest.raises(ValueError, match="one of them"):
        word_crops(img)
    with pytest.raises(ValueError, match="one of them"):
        word_crops(img, np.zeros((1, 4, 2)), boxes=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        word_crops(img, np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="x2 >= x1"):
        word_crops(img, boxes=np.array([[10, 10, 5, 20]]))
    with pytest.raises(TypeError, match="word_crops: image must be uint8, uint16 or float32/float64"):
        word_crops(img.astype(np.int32), boxes=np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"word_crops: float image must hold finite values in \[0, 1\]"):
        word_crops(img.astype(np.float32) * 255, boxes=np.zeros((0, 4)))
    # The one image contract: grey, float and uint16 images give the crops of their uint8 pixels.
    b = np.array([[2, 2, 20, 12]], np.float32)
    want = word_crops(img, boxes=b)[0]
    for same in (img / 255.0, img.astype(np.uint16) * 257):
        np.testing.assert_array_equal(word_crops(same, boxes=b)[0], want)
    with pytest.raises(ValueError, match="finite"):
        word_crops(img, np.full((1, 4, 2), np.nan))
