"""textvision.segmentation (textvision.segment, ...): input conversion, sizes, tiling, batching, coverage, CLI."""
import numpy as np
import pytest
import torch

from textvision.models import fcn
from textvision.segmentation import as_rgb_uint8, segment, segment_batch, text_coverage


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = fcn.text_fcn_lite(widths=(8, 16, 16, 24, 32)).eval()
    # amplify the classifier so the untrained maps vary across the image (std ~0.02, not ~0.001)
    with torch.no_grad():
        m.classifier.bias.copy_(torch.tensor([0.0, 0.2]))
        m.classifier.weight.mul_(30)
    return m


def _img(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("hw", [(37, 53), (300, 500), (5, 3), (700, 90)])
def test_output_size_and_range(model, hw):
    img = _img(*hw)
    before = img.copy()
    p = segment(img, model)
    assert p.shape == hw and p.dtype == np.float32
    assert float(p.min()) >= 0 and float(p.max()) <= 1
    np.testing.assert_array_equal(img, before)  # caller's array untouched


def test_matches_direct_model_call(model):
    img = _img(64, 96)
    p = segment(img, model, max_side=96)  # working size == input size: no resizing
    with torch.no_grad():
        ref = torch.softmax(model(fcn.preprocess(img)), 1)[0, 1].numpy()
    np.testing.assert_allclose(p, ref, atol=1e-5)


def test_grey_rgba_uint16_float_convert(model):
    rgb = _img(40, 50)
    grey = rgb[:, :, 0]
    np.testing.assert_array_equal(as_rgb_uint8(grey), np.repeat(grey[:, :, None], 3, 2))
    np.testing.assert_array_equal(as_rgb_uint8(grey[:, :, None]), as_rgb_uint8(grey))
    rgba = np.dstack([rgb, np.full((40, 50), 7, np.uint8)])
    np.testing.assert_array_equal(segment(rgba, model), segment(rgb, model))
    u16 = rgb.astype(np.uint16) * 257  # exact 8 -> 16 bit expansion
    np.testing.assert_array_equal(as_rgb_uint8(u16), rgb)
    np.testing.assert_array_equal(segment(u16, model), segment(rgb, model))
    np.testing.assert_array_equal(as_rgb_uint8(rgb / 255.0), rgb)
    assert segment(grey, model).shape == (40, 50)


@pytest.mark.parametrize("bad, exc, match", [
    (np.zeros((0, 10, 3), np.uint8), ValueError, "empty"),
    (np.zeros((10, 0), np.uint8), ValueError, "empty"),
    (np.zeros((4, 4, 2), np.uint8), ValueError, r"\(4, 4, 2\)"),
    (np.zeros((2, 4, 4, 3), np.uint8), ValueError, "shape"),
    (np.zeros((4, 4, 3), np.int32), TypeError, "int32"),
    (np.full((4, 4, 3), 2.0), ValueError, "range"),
    ([[1, 2], [3, 4]], TypeError, "list"),
    (torch.zeros(4, 4, 3), TypeError, "Tensor"),
])
def test_bad_inputs_refused_clearly(model, bad, exc, match):
    with pytest.raises(exc, match=match):
        segment(bad, model)


def test_resize_policy_small_and_large(model, monkeypatch):
    import textvision.segmentation as seg

    seen = []
    real = seg._run
    monkeypatch.setattr(seg, "_run", lambda m, x, d: (seen.append(tuple(x.shape[-2:])), real(m, x, d))[1])
    segment(_img(100, 50), model, max_side=512)  # small: upscaled at most 2x
    segment(_img(1000, 400), model, max_side=512)  # large: longer side -> 512
    segment(_img(60, 70), model, max_side=None)  # native
    assert seen == [(200, 100), (512, 205), (60, 70)]


def test_tiling_matches_whole_image_in_the_interior(model):
    img = _img(200, 300, seed=3)
    whole = segment(img, model, max_side=None, tile=1024)
    tiled = segment(img, model, max_side=None, tile=128)
    assert tiled.shape == whole.shape
    # Tiles see less context near their borders, so maps differ a little there; misplaced or
    # unblended tiles would differ by about the map's own spread (~1.4 std).
    assert whole.std() > 0.01
    assert np.abs(tiled - whole).mean() < 0.5 * whole.std()


def test_batch_matches_single(model):
    imgs = [_img(64, 64, 1), _img(40, 90, 2), _img(64, 64, 3), _img(1300, 20, 4)]
    single = [segment(im, model, max_side=128) for im in imgs]
    batch = segment_batch(imgs, model, max_side=128, batch_size=2)
    assert [b.shape for b in batch] == [s.shape for s in single]
    np.testing.assert_allclose(batch[0], single[0], atol=1e-5)
    np.testing.assert_allclose(batch[2], single[2], atol=1e-5)
    for b, s in zip(batch, single):
        assert np.abs(b - s).mean() < 0.5 * s.std() + 1e-3  # batch padding only touches borders
    assert segment_batch([], model) == []
    with pytest.raises(ValueError, match="empty"):
        segment_batch([_img(4, 4), np.zeros((0, 3, 3), np.uint8)], model)


def test_text_coverage():
    hm = np.array([[0.1, 0.5], [0.9, 0.49]], np.float32)
    assert text_coverage(hm) == 0.5
    assert text_coverage(hm, 0.95) == 0.0
    assert text_coverage(hm, 0.0) == 1.0
    with pytest.raises(ValueError, match="threshold"):
        text_coverage(hm, 1.5)
    with pytest.raises(ValueError, match="shape"):
        text_coverage(np.zeros((0, 3), np.float32))
    with pytest.raises(TypeError, match="uint8"):
        text_coverage(np.zeros((3, 3), np.uint8))


def test_default_weights_segment_synthetic_text():
    """The shipped weights find most text pixels of a synthetic scene they never saw."""
    if not fcn.DEFAULT_WEIGHTS.is_file():
        pytest.skip("default weights not built yet")
    from textvision.data.synth import render_scene
    from textvision.models.train_fcn import pixel_scores

    sc = render_scene((424242, 0), (256, 256), max_lines=4, min_height=16.0)
    p = segment(sc.image)
    s = pixel_scores(p, sc.mask)
    assert s.f1 > 0.4, s


def test_cli_segment_writes_png(tmp_path, model):
    import cv2

    from textvision.cli import main

    img = _img(30, 41)
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), img[:, :, ::-1])
    ckpt = tmp_path / "m.pt"
    fcn.save_text_fcn(ckpt, model)
    rc = main(["segment", str(path), "--out", str(tmp_path / "out"), "--weights", str(ckpt), "--overlay"])
    assert rc == 0
    heat = cv2.imread(str(tmp_path / "out" / "a_heatmap.png"), cv2.IMREAD_UNCHANGED)
    assert heat.dtype == np.uint8 and heat.shape == (30, 41)
    ref = np.clip(segment(img, model) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(heat, ref)
    assert (tmp_path / "out" / "a_overlay.jpg").is_file()
    assert main(["segment", str(tmp_path / "missing.png"), "--out", str(tmp_path)]) == 1


def test_textvision_segment_is_the_function_after_module_import(model):
    import textvision
    import textvision.segmentation as segment_module  # the module has its own name: no shadowing

    img = _img(20, 30)
    for _ in range(2):  # the second call used to hit the module once it was imported
        np.testing.assert_array_equal(textvision.segment(img, model), segment(img, model))
    assert segment_module.segment_batch is segment_batch and textvision.text_coverage is text_coverage
