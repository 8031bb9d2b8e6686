"""EAST decoding: targets -> decode round trip, degenerate votes, resizing back to the image."""
import numpy as np
import pytest

from textvision import _ext

pytestmark = pytest.mark.skipif(not _ext.has_ops(), reason="compiled core not built")

from textvision.east.decode import PreparedImage, _to_original, decode, prepare_image  # noqa: E402
from textvision.east.targets import targets  # noqa: E402
from textvision.ops import polygon_iou  # noqa: E402


def rotated_rect(cx, cy, w, h, theta):
    u = np.array([np.cos(theta), np.sin(theta)])
    v = np.array([-np.sin(theta), np.cos(theta)])
    c = np.array([cx, cy])
    return np.array([c - u * w / 2 - v * h / 2, c + u * w / 2 - v * h / 2,
                     c + u * w / 2 + v * h / 2, c - u * w / 2 + v * h / 2], np.float32)


def test_perfect_maps_decode_to_the_words():
    words = np.stack([rotated_rect(80, 60, 120, 30, 0.0), rotated_rect(200, 150, 100, 36, 0.35),
                      rotated_rect(90, 200, 80, 24, -0.6)])
    t = targets((256, 320), words)
    det = decode(t.score, t.geometry, score_threshold=0.5)
    assert len(det.quads) == 3
    iou = polygon_iou(words, det.quads)
    assert (iou.max(1) > 0.98).all(), iou
    assert ((det.scores > 0) & (det.scores <= 1)).all()
    # clockwise output (positive shoelace area with y down)
    x, y = det.quads[..., 0], det.quads[..., 1]
    assert (np.sum(x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y, 1) > 0).all()


def test_nothing_above_threshold_and_degenerate_votes():
    s = np.zeros((16, 16), np.float32)
    g = np.zeros((5, 16, 16), np.float32)
    assert decode(s, g).quads.shape == (0, 4, 2)
    s[4:8, 4:8] = 0.95  # confident cells predicting zero-size boxes: noise, not words
    det = decode(s, g)
    assert det.quads.shape == (0, 4, 2) and det.scores.shape == (0,)


def test_validation():
    with pytest.raises(ValueError, match="geometry"):
        decode(np.zeros((8, 8)), np.zeros((4, 8, 8)))
    with pytest.raises(TypeError, match="east.detect: image must be uint8, uint16 or float32/float64 .* bool"):
        prepare_image(np.zeros((10, 10, 3), bool))
    with pytest.raises(ValueError, match=r"east.detect: float image must hold finite values in \[0, 1\]"):
        prepare_image(np.full((10, 10, 3), 2.0, np.float32))
    with pytest.raises(ValueError, match=r"east.detect: image must be HxWx3 .*\(10, 10, 2\)"):
        prepare_image(np.zeros((10, 10, 2), np.uint8))


def test_prepare_image_and_back():
    img = np.zeros((720, 1280, 3), np.uint8)
    prepared = prepare_image(img, max_side=640)
    assert type(prepared) is PreparedImage
    small, factors = prepared
    assert prepared.image is small and prepared.factors == factors == (2.0, 720 / 352)
    assert small.shape == (352, 640, 3)  # 360 -> multiple of 32
    # pixel-centre convention: resized pixel 639 covers original pixels 1278..1279 (centre 1278.5);
    # the image edges (-0.5 and size - 0.5) map onto each other exactly
    q = np.array([[[639, 351], [-0.5, -0.5], [639.5, 351.5], [0, 0]]], np.float32)
    back = _to_original(q, factors)[0]
    np.testing.assert_allclose(back[0], [1278.5, (351.5 * 720 / 352) - 0.5], atol=1e-3)
    np.testing.assert_allclose(back[1:3], [[-0.5, -0.5], [1279.5, 719.5]], atol=1e-3)
    grey, _ = prepare_image(np.zeros((40, 50), np.uint8))
    assert grey.shape == (32, 64, 3)


def test_prepare_image_takes_tensors_like_arrays():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (70, 90, 3), dtype=np.uint8)
    keep = img.copy()
    a, fa = prepare_image(img, max_side=64)
    b, fb = prepare_image(torch.from_numpy(img), max_side=64)
    np.testing.assert_array_equal(a, b)
    assert fa == fb
    np.testing.assert_array_equal(img, keep)  # the caller's image is never modified


def test_multi_scale_detect_is_the_nms_union_of_its_sizes():
    import torch

    from textvision.east.decode import decode_maps, detect, east_maps
    from textvision.models.east import EAST
    from textvision.ops import polygon_nms

    torch.manual_seed(0)
    model = EAST("tiny").eval()
    img = np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    kw = dict(score_threshold=0.0, nms_threshold=0.3, box_threshold=0.0)  # an untrained net: keep every vote
    parts = [decode_maps(east_maps(img, model, max_side=s, upscale=True), **kw) for s in (64, 96)]
    quads = np.concatenate([p.quads for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    assert len(scores) > 0
    keep = polygon_nms(quads, scores, 0.3)
    det = detect(img, model, max_side=(64, 96), **kw)
    np.testing.assert_array_equal(det.quads, quads[keep])
    np.testing.assert_array_equal(det.scores, scores[keep])
    assert len(det.quads) <= len(scores)
