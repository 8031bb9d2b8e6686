"""textvision.text_fcn (textvision.segment, ...): input conversion, sizes, tiling, batching, coverage, the
default working size, and the ``segment`` command (outputs, data safety)."""
import importlib

import numpy as np
import pytest
import torch

from textvision._validate import image_rgb
from textvision.text_fcn import DEFAULT_MAX_SIDE, segment, segment_batch, text_coverage

# The module (textvision.models.text_fcn, the attribute, is the builder function of the same name).
fcn = importlib.import_module("textvision.models.text_fcn")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = fcn.text_fcn("lite", widths=(8, 16, 16, 24, 32)).eval()
    # amplify the classifier so the untrained maps vary across the image (std ~0.02, not ~0.001)
    with torch.no_grad():
        m.classifier.bias.copy_(torch.tensor([0.0, 0.2]))
        m.classifier.weight.mul_(30)
    return m


def _shipped():
    from textvision.weights import resolve

    try:
        return resolve("default", "text_fcn")
    except FileNotFoundError:
        pytest.skip("shipped TextFCN weights not installed")


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
    np.testing.assert_array_equal(image_rgb(grey), np.repeat(grey[:, :, None], 3, 2))
    np.testing.assert_array_equal(image_rgb(grey[:, :, None]), image_rgb(grey))
    rgba = np.dstack([rgb, np.full((40, 50), 7, np.uint8)])
    np.testing.assert_array_equal(segment(rgba, model), segment(rgb, model))
    u16 = rgb.astype(np.uint16) * 257  # exact 8 -> 16 bit expansion
    np.testing.assert_array_equal(image_rgb(u16), rgb)
    np.testing.assert_array_equal(segment(u16, model), segment(rgb, model))
    np.testing.assert_array_equal(image_rgb(rgb / 255.0), rgb)
    assert segment(grey, model).shape == (40, 50)


@pytest.mark.parametrize("bad, exc, match", [
    (np.zeros((0, 10, 3), np.uint8), ValueError, r"at least 1x1 pixels, got shape \(0, 10, 3\)"),
    (np.zeros((10, 0), np.uint8), ValueError, r"at least 1x1 pixels, got shape \(10, 0\)"),
    (np.zeros((4, 4, 2), np.uint8), ValueError, r"\(4, 4, 2\)"),
    (np.zeros((2, 4, 4, 3), np.uint8), ValueError, "shape"),
    (np.zeros((4, 4, 3), np.int32), TypeError, "int32"),
    (np.full((4, 4, 3), 2.0), ValueError, r"range \[2.0, 2.0\]"),
    (np.full((4, 4, 3), np.nan), ValueError, "NaN"),
    ([[1, 2], [3, 4]], TypeError, "list"),
    (torch.zeros(4, 4, 3, dtype=torch.int32), TypeError, "int32"),
])
def test_bad_inputs_refused_clearly(model, bad, exc, match):
    with pytest.raises(exc, match=match) as e:
        segment(bad, model)
    assert str(e.value).startswith("segment: ")


def test_torch_tensors_follow_the_array_rules(model):
    # The one rule of textvision._validate: a tensor is read as its array, then the same checks apply.
    img = _img(24, 32)
    np.testing.assert_array_equal(segment(torch.from_numpy(img), model), segment(img, model))
    np.testing.assert_array_equal(image_rgb(torch.from_numpy(img / 255.0)), img)


def test_resize_policy_small_and_large(model, monkeypatch):
    import textvision.text_fcn.inference as seg

    seen = []
    real = seg._run
    monkeypatch.setattr(seg, "_run", lambda m, x, d: (seen.append(tuple(x.shape[-2:])), real(m, x, d))[1])
    segment(_img(100, 50), model, max_side=512)  # small: upscaled at most 2x
    segment(_img(1000, 400), model, max_side=512)  # large: longer side -> 512
    segment(_img(60, 70), model, max_side=None)  # native
    assert seen == [(200, 100), (512, 205), (60, 70)]


# Tiling measured away from the image frame: within ~16 px of it the whole-image pass and the tiles
# pad differently, so even a correct blend differs by several map stds there. Inside, a correct
# tent-weighted blend stays at ~0.09 std (mean) and ~0.55 std (99th percentile); unweighted
# averaging, last-tile-wins and a 2-px shift give >= 0.40 and >= 1.36 (checked by
# test_tiling_check_catches_broken_blends below).
_FRAME = 16


def _tiling_errors(tiled, whole):
    d = np.abs(tiled - whole)[_FRAME:-_FRAME, _FRAME:-_FRAME] / whole.std()
    return float(d.mean()), float(np.percentile(d, 99))


def _tiling_ok(tiled, whole):
    mean, p99 = _tiling_errors(tiled, whole)
    return mean < 0.2 and p99 < 1.0


def _tiling_pair(model):
    img = _img(200, 300, seed=3)
    whole = segment(img, model, max_side=None, tile=1024)
    # tile=128 with the 64-px overlap: 3 x 4 tiles, starts y = 0, 64, 72 and x = 0, 64, 128, 172
    tiled = segment(img, model, max_side=None, tile=128)
    assert tiled.shape == whole.shape
    assert whole.std() > 0.01  # the untrained map must vary, or any blend would match
    return tiled, whole


def test_tiling_matches_whole_image_in_the_interior(model):
    tiled, whole = _tiling_pair(model)
    assert _tiling_ok(tiled, whole), _tiling_errors(tiled, whole)


def _broken_tiled(defect):
    """``_segment_tiled`` with one defect: ``"unweighted"``, ``"last-wins"`` or ``"shift"`` (2 px)."""
    from textvision.text_fcn import inference as seg

    def tiled(model, img, device, tile):
        h, w = img.shape[:2]
        acc = np.zeros((h, w), np.float32)
        wsum = np.zeros((h, w), np.float32)
        for y in seg._tile_starts(h, tile, seg._TILE_OVERLAP):
            for x in seg._tile_starts(w, tile, seg._TILE_OVERLAP):
                crop = img[y:y + tile, x:x + tile]
                p = seg._run(model, seg._normalise_batch([crop], device), device)[0].cpu().numpy()
                ch, cw = crop.shape[:2]
                wt = np.outer(seg._tent(ch, seg._TILE_OVERLAP // 2), seg._tent(cw, seg._TILE_OVERLAP // 2))
                if defect == "unweighted":
                    wt = np.ones_like(wt)
                elif defect == "shift":
                    p = np.roll(p, 2, axis=(0, 1))
                if defect == "last-wins":
                    acc[y:y + ch, x:x + cw] = p
                    wsum[y:y + ch, x:x + cw] = 1.0
                else:
                    acc[y:y + ch, x:x + cw] += p * wt
                    wsum[y:y + ch, x:x + cw] += wt
        return acc / np.maximum(wsum, 1e-12)

    return tiled


@pytest.mark.parametrize("defect", ["unweighted", "last-wins", "shift"])
def test_tiling_check_catches_broken_blends(model, monkeypatch, defect):
    from textvision.text_fcn import inference as seg

    monkeypatch.setattr(seg, "_segment_tiled", _broken_tiled(defect))
    tiled, whole = _tiling_pair(model)
    mean, p99 = _tiling_errors(tiled, whole)
    # clearly outside the thresholds, not just across them
    assert mean > 0.3 and p99 > 1.2, (defect, mean, p99)
    assert not _tiling_ok(tiled, whole)


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
    with pytest.raises(ValueError, match=r"segment_batch: images\[1\] must be at least 1x1 pixels, got shape \(0, 3"):
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
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        text_coverage(np.full((3, 3), 1.5, np.float32))
    assert text_coverage(torch.from_numpy(hm)) == 0.5


def test_default_weights_segment_synthetic_text():
    """The shipped weights find most text pixels of a synthetic scene they never saw."""
    _shipped()
    from textvision.data.synth import render_scene
    from textvision.text_fcn.train import pixel_scores

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
    rc = main(["segment", str(path), "--out", str(tmp_path / "out"), "--model", str(ckpt), "--overlay"])
    assert rc == 0
    heat = cv2.imread(str(tmp_path / "out" / "a_heatmap.png"), cv2.IMREAD_UNCHANGED)
    assert heat.dtype == np.uint8 and heat.shape == (30, 41)
    ref = np.clip(segment(img, model) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(heat, ref)
    assert (tmp_path / "out" / "a_overlay.jpg").is_file()
    assert main(["segment", str(tmp_path / "missing.png"), "--out", str(tmp_path)]) == 1


def test_textvision_segment_is_the_function_after_module_import(model):
    import textvision
    import textvision.text_fcn as segment_module  # the module has its own name: no shadowing

    img = _img(20, 30)
    for _ in range(2):  # the second call used to hit the module once it was imported
        np.testing.assert_array_equal(textvision.segment(img, model), segment(img, model))
    assert segment_module.segment_batch is segment_batch and textvision.text_coverage is text_coverage


class _Recorder(torch.nn.Module):
    """A stand-in TextFCN that records the input sizes the network is given (and predicts 'no text')."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen = []

    def forward(self, x):
        self.seen.append(tuple(x.shape[-2:]))
        return torch.zeros(x.shape[0], 2, *x.shape[-2:]) + self.w


def test_default_working_size_keeps_1280x720_photos_native():
    """Issue 20: at the default, a 1280x720 photo reaches the network at 1280x720 in one pass (the old 512 px
    default shrank it 2.5x, turning 8 px words into 3 px ones)."""
    assert DEFAULT_MAX_SIDE == 1280
    rec = _Recorder()
    segment(np.zeros((720, 1280, 3), np.uint8), rec)
    segment_batch([np.zeros((720, 1280, 3), np.uint8), np.zeros((1280, 720, 3), np.uint8)], rec)
    assert rec.seen == [(720, 1280), (1280, 1280)]  # the batch: 720x1280 and 1280x720, padded together
    rec.seen.clear()
    segment(np.zeros((720, 1280, 3), np.uint8), rec, max_side=512)
    assert rec.seen == [(288, 512)]
    rec.seen.clear()
    segment(np.zeros((1440, 2560, 3), np.uint8), rec)  # larger photos still come down to 1280
    assert rec.seen == [(720, 1280)]
    from textvision.cli import build_parser

    args = build_parser().parse_args(["segment", "x.png", "--out", "d"])
    assert args.max_side == DEFAULT_MAX_SIDE


def test_small_words_of_a_1280x720_photo_survive_the_default():
    """With the shipped weights, the map on the text pixels of the 8-15 px words of a synthetic 1280x720
    scene is clearly higher at the default working size than at the old 512 px default (0.64 vs 0.28
    here: shrunk 2.5x, the words are 3-6 px and mostly lost)."""
    _shipped()
    from textvision.data.synth import render_scene

    sc = render_scene((20, 0), (720, 1280), min_height=8.0, max_height_frac=10.0 / 720, max_angle=0.0,
                      effects=False, text_free_prob=0.0)
    words = [i for i in sc.instances if not i.ignore]
    assert len(words) >= 20 and max(float(np.ptp(i.quad[:, 1])) for i in words) < 16

    def mean_on_text(hm):
        on = []
        for inst in words:
            x0, y0 = np.maximum(np.floor(inst.quad.min(0)).astype(int), 0)
            x1, y1 = np.ceil(inst.quad.max(0)).astype(int) + 1
            text = sc.mask[y0:y1, x0:x1] > 0
            if text.any():
                on.append(hm[y0:y1, x0:x1][text].mean())
        return float(np.mean(on))

    at_default = mean_on_text(segment(sc.image, device="cpu"))
    at_512 = mean_on_text(segment(sc.image, max_side=512, device="cpu"))
    assert at_default > 0.45 and at_default > at_512 + 0.2, (at_default, at_512)


def test_model_argument_takes_a_module_a_path_or_a_name(model, tmp_path):
    img = _img(40, 60)
    ckpt = fcn.save_text_fcn(tmp_path / "m.pt", model)
    np.testing.assert_array_equal(segment(img, model=ckpt, device="cpu"), segment(img, model))
    np.testing.assert_array_equal(segment_batch([img], str(ckpt), device="cpu")[0], segment_batch([img], model)[0])
    shipped = fcn.text_fcn(weights="default")
    np.testing.assert_array_equal(segment(img, device="cpu"), segment(img, shipped))  # default: "default"
    with pytest.raises(TypeError, match="registry name or a checkpoint path"):
        segment(img, 3)
    with pytest.raises(TypeError):
        segment(img, model, weights=ckpt)  # no second way to name the network


# ------------------------------------------------------------------------------------ the segment command
@pytest.fixture
def ckpt(tmp_path, model):
    return str(fcn.save_text_fcn(tmp_path / "m.pt", model))


def _write(path, img):
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img[:, :, ::-1])
    return str(path)


def test_cli_segment_refuses_two_inputs_with_one_output_name(tmp_path, ckpt, capsys):
    from textvision.cli import main

    a = _write(tmp_path / "a" / "x.png", _img(20, 30, 1))
    b = _write(tmp_path / "b" / "x.jpg", _img(20, 30, 2))
    out = tmp_path / "out"
    assert main(["segment", a, b, "--out", str(out), "--model", ckpt]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and a in err and b in err and "x_heatmap.png" in err
    assert not out.exists()  # refused before any work
    # the same file twice is one input, not a conflict
    assert main(["segment", a, a, "--out", str(out), "--model", ckpt, "--no-progress"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["x_heatmap.png"]


def test_cli_segment_unwritable_out_fails_before_work(tmp_path, ckpt, capsys, monkeypatch):
    import textvision.io
    from textvision.cli import main

    a = _write(tmp_path / "a.png", _img(20, 30))
    (tmp_path / "afile").write_text("x")
    assert main(["segment", a, "--out", str(tmp_path / "afile" / "out"), "--model", ckpt]) == 1
    cap = capsys.readouterr()
    assert "->" not in cap.out and cap.err.count("\n") == 1 and "afile" in cap.err

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", denied)
    assert main(["segment", a, "--out", str(tmp_path / "ro"), "--model", ckpt]) == 1
    cap = capsys.readouterr()
    assert "->" not in cap.out and "Permission denied" in cap.err and cap.err.count("\n") == 1


def test_cli_segment_goes_on_after_an_unreadable_image(tmp_path, ckpt, capsys, model):
    from textvision.cli import main
    from textvision.io import read_heatmap

    imgs = {n: _img(20 + i, 30, i) for i, n in enumerate(("p", "r"))}
    p = _write(tmp_path / "in" / "p.png", imgs["p"])
    bad = tmp_path / "in" / "q.png"
    bad.write_bytes(b"not an image")
    r = _write(tmp_path / "in" / "r.png", imgs["r"])
    out = tmp_path / "out"
    assert main(["segment", p, str(bad), r, str(tmp_path / "missing.png"), "--out", str(out),
                 "--model", ckpt]) == 1
    cap = capsys.readouterr()
    assert "2 of 4 image(s) could not be read" in cap.err and str(bad) in cap.err and "missing.png" in cap.err
    assert sorted(q.name for q in out.iterdir()) == ["p_heatmap.png", "r_heatmap.png"]
    for n, img in imgs.items():
        ref = np.clip(segment(img, model) * 255 + 0.5, 0, 255).astype(np.uint8) / 255.0
        np.testing.assert_allclose(read_heatmap(out / f"{n}_heatmap.png", img.shape[:2]), ref, atol=1e-6)
    assert cap.out.count("text coverage") == 2
    assert "segment" in cap.err and "img" in cap.err  # the progress bar (stderr) over several images
    # a folder expands to its images, in name order
    assert main(["segment", str(tmp_path / "in"), "--out", str(tmp_path / "out2"), "--model", ckpt,
                 "--no-progress"]) == 1
    assert sorted(q.name for q in (tmp_path / "out2").iterdir()) == ["p_heatmap.png", "r_heatmap.png"]


def test_cli_segment_truncated_jpeg_warns_and_is_processed(tmp_path, ckpt, caplog):
    import cv2

    from textvision.cli import main

    ok, buf = cv2.imencode(".jpg", _img(64, 64)[:, :, ::-1])
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.tobytes()[: len(buf) * 2 // 3])
    with caplog.at_level("WARNING", logger="textvision.io"):
        assert main(["segment", str(path), "--out", str(tmp_path / "out"), "--model", ckpt]) == 0
    assert any("cut.jpg" in r.getMessage() and "truncated" in r.getMessage() for r in caplog.records)
    assert (tmp_path / "out" / "cut_heatmap.png").is_file()


def test_cli_segment_refuses_code_in_weights(tmp_path, capsys, evil_checkpoint):
    from textvision.cli import main

    path, marker = evil_checkpoint
    a = _write(tmp_path / "a.png", _img(20, 30))
    assert main(["segment", a, "--out", str(tmp_path / "out"), "--model", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision segment: error:") and err.count("\n") == 1 and "refused" in err
    assert not marker.exists() and not (tmp_path / "out" / "a_heatmap.png").exists()


def test_segment_follows_the_thread_rule(monkeypatch):
    """On the CPU, segment runs with num_threads torch threads and restores the caller's count."""
    import torch

    from textvision import _threads
    from textvision.models.text_fcn import text_fcn
    from textvision.text_fcn import inference

    monkeypatch.setattr(_threads, "available_cores", lambda: 4)
    model = text_fcn("lite", widths=(4, 4, 4, 4, 4)).eval()
    seen = []
    real_run = inference._run
    monkeypatch.setattr(inference, "_run", lambda m, x, d: (seen.append(torch.get_num_threads()), real_run(m, x, d))[1])
    torch.set_num_threads(1)
    img = np.zeros((40, 50, 3), np.uint8)
    inference.segment(img, model, num_threads=2)
    assert seen[-1] == 2 and torch.get_num_threads() == 1
    inference.segment_batch([img, img], model, num_threads=3)
    assert seen[-1] == 3 and torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="num_threads"):
        inference.segment(img, model, num_threads=0)
