"""blend / two_stage / stylize / stylize_batch and checkpoints."""
import numpy as np
import pytest
import torch

from textvision.models import style_net
from textvision.style import (
    blend,
    image_to_tensor,
    read_checkpoint,
    save_style_model,
    stylize,
    stylize_batch,
    tensor_to_image,
    two_stage,
)


def test_blend_against_numpy(rng):
    c = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    s = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    p = rng.random((9, 11)).astype(np.float32)
    ref = np.rint(p[..., None] * s + (1 - p[..., None]) * c.astype(np.float64)).astype(np.uint8)
    out = blend(c, s, p)
    assert out.dtype == np.uint8 and out.shape == c.shape
    assert np.abs(out.astype(int) - ref).max() <= 1  # float32 vs float64 rounding at .5
    # Threshold: everything under it is exactly the content, the rest blends as before.
    out_t = blend(c, s, p, threshold=0.6)
    low = p < 0.6
    assert np.array_equal(out_t[low], c[low])
    assert np.array_equal(out_t[~low], out[~low])
    # Hand-worked: P = 0.25, content 100, stylized 200 -> 125.
    one = blend(np.full((1, 1, 3), 100, np.uint8), np.full((1, 1, 3), 200, np.uint8),
                np.full((1, 1), 0.25, np.float32))
    assert one.tolist() == [[[125, 125, 125]]]
    c_copy = c.copy()
    blend(c, s, p)
    assert np.array_equal(c, c_copy)


def test_blend_exceptions(rng):
    c = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"heatmap has size \(8, 9\).*\(8, 8\)"):
        blend(c, c, np.zeros((8, 9), np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        blend(c, c, np.full((8, 8), 2.0, np.float32))
    with pytest.raises(TypeError, match="uint8"):
        blend(c, c, np.zeros((8, 8), np.uint8))
    with pytest.raises(TypeError, match="blend: content must be uint8, uint16 or float32/float64"):
        blend(c.astype(np.int32), c, np.zeros((8, 8), np.float32))
    with pytest.raises(ValueError, match=r"blend: float content must hold finite values in \[0, 1\]"):
        blend(c.astype(np.float32) + 2, c, np.zeros((8, 8), np.float32))
    # The one image contract: a float [0, 1] image means the same pixels as its uint8 one.
    assert np.array_equal(blend((c + 51) / 255.0, c, np.zeros((8, 8), np.float32)), c + 51)
    with pytest.raises(ValueError, match=r"content must be HxWx3.*\(8, 8, 2\)"):
        blend(np.zeros((8, 8, 2), np.uint8), c, np.zeros((8, 8), np.float32))
    # The shared validators' rule: RGBA loses its alpha, torch tensors are read like arrays.
    rgba = np.dstack([c + 7, np.full((8, 8), 200, np.uint8)])
    assert np.array_equal(blend(rgba, c, np.zeros((8, 8), np.float32)), c + 7)
    assert np.array_equal(blend(c, c + 9, torch.ones(8, 8)), c + 9)
    with pytest.raises(ValueError, match="threshold"):
        blend(c, c, np.zeros((8, 8), np.float32), threshold=1.5)


def test_stylize_modes_agree(net, rng):
    img = rng.integers(0, 256, (21, 30, 3), dtype=np.uint8)
    styled = stylize(img, net, "greenpaper", mode="distilled")
    with torch.no_grad():
        ref = tensor_to_image(net(image_to_tensor([img]), 1))[0]
    assert np.array_equal(styled, ref)
    # Two-stage with an all-text map is the plain stylization; with an empty map it is the input.
    assert np.array_equal(stylize(img, net, 1, heatmap=np.ones((21, 30), np.float32)), styled)
    assert np.array_equal(stylize(img, net, 1, heatmap=np.zeros((21, 30), np.float32)), img)
    hm = np.zeros((21, 30), np.float32)
    hm[5:15, 4:20] = 0.9
    out = two_stage(img, net, {"bluegold": 0.5, "greenpaper": 0.5}, heatmap=hm, threshold=0.5)
    outside = hm == 0
    assert np.array_equal(out[outside], img[outside]) and not np.array_equal(out[~outside], img[~outside])
    # Grey input is accepted and treated as RGB.
    grey = img[:, :, 0]
    assert stylize(grey, net, 0, mode="distilled").shape == (21, 30, 3)


def test_stylize_default_threshold(net, rng):
    """Two-stage zeroes the map below DEFAULT_BLEND_THRESHOLD unless told otherwise; 0 is the soft blend."""
    from textvision.style.defaults import DEFAULT_BLEND_THRESHOLD

    img = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)
    styled = stylize(img, net, 0, mode="distilled")
    hm = np.full((16, 20), DEFAULT_BLEND_THRESHOLD / 2, np.float32)
    hm[4:10, 5:15] = 0.9
    out = stylize(img, net, 0, heatmap=hm)
    low = hm < DEFAULT_BLEND_THRESHOLD
    assert np.array_equal(out[low], img[low])
    assert np.array_equal(out, blend(img, styled, hm, DEFAULT_BLEND_THRESHOLD))
    assert np.array_equal(stylize(img, net, 0, heatmap=hm, threshold=0.0), blend(img, styled, hm))


def test_stylize_model_by_path_is_cached(net, tmp_path, rng):
    from textvision.style import save_style_model
    from textvision.style.inference import as_style_model

    path = save_style_model(net, tmp_path / "m.pt")
    assert as_style_model(path) is as_style_model(str(path))  # loaded once
    img = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    assert np.array_equal(stylize(img, path, 1, mode="distilled"), stylize(img, net, 1, mode="distilled"))
    with pytest.raises(TypeError, match="StyleNet"):
        stylize(img, 3, 0)
    with pytest.raises(FileNotFoundError):
        stylize(img, tmp_path / "missing.pt", 0)


def test_stylize_exceptions(net, rng):
    img = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="unknown style 'nope'.*bluegold"):
        stylize(img, net, "nope", mode="distilled")
    with pytest.raises(ValueError, match="sum to 1"):
        stylize(img, net, {"bluegold": 0.7, "greenpaper": 0.7}, mode="distilled")
    with pytest.raises(ValueError, match=r"heatmap has size \(8, 8\)"):
        stylize(img, net, 0, heatmap=np.zeros((8, 8), np.float32))
    with pytest.raises(ValueError, match="mode"):
        stylize(img, net, 0, mode="fast")
    with pytest.raises(ValueError, match="two-stage"):
        stylize(img, net, 0, mode="distilled", heatmap=np.zeros((16, 16), np.float32))
    with pytest.raises(TypeError, match="stylize: image must be uint8, uint16 or float32/float64"):
        stylize(img.astype(np.int64), net, 0, mode="distilled")
    with pytest.raises(ValueError, match=r"stylize: float image must hold finite values in \[0, 1\]"):
        stylize(img.astype(np.float32), net, 0, mode="distilled")  # 0..255 floats


def test_stylize_batch_matches_single(net, rng):
    imgs = [rng.integers(0, 256, s, dtype=np.uint8) for s in [(16, 20, 3), (16, 20, 3), (9, 13, 3), (16, 20, 3)]]
    styles = ["bluegold", 1, {"bluegold": 0.3, "greenpaper": 0.7}, [0.5, 0.5]]
    heatmaps = [rng.random(im.shape[:2]).astype(np.float32) for im in imgs]
    out = stylize_batch(imgs, net, styles, heatmaps=heatmaps, threshold=0.3, batch_size=2)
    for im, st, hm, o in zip(imgs, styles, heatmaps, out):
        assert np.array_equal(o, stylize(im, net, st, heatmap=hm, threshold=0.3))
    # One style for all; a (B, H, W, 3) array works too.
    arr = np.stack([imgs[0], imgs[1]])
    same = stylize_batch(arr, net, [0.5, 0.5], mode="distilled")
    assert np.array_equal(same[1], stylize(imgs[1], net, [0.5, 0.5], mode="distilled"))
    with pytest.raises(ValueError, match="2 heatmaps for 4 images"):
        stylize_batch(imgs, net, 0, heatmaps=heatmaps[:2])


def test_checkpoint_round_trip(make_net, tmp_path, rng):
    net = make_net(kind="distilled", seed=3)
    path = save_style_model(net, tmp_path / "sub" / "m.pt", step=7)
    ckpt = torch.load(path, weights_only=True)
    assert {"kind", "style_names", "config", "state_dict", "step"} <= set(ckpt)
    assert ckpt["config"]["gated"] is False
    loaded = style_net(weights=path)
    assert loaded.kind == "distilled" and loaded.style_names == net.style_names
    assert loaded.config == net.config and not loaded.training
    img = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    assert np.array_equal(stylize(img, loaded, "greenpaper"), stylize(img, net, "greenpaper"))


def test_load_exceptions(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        style_net(weights=tmp_path / "missing.pt")
    torch.save({"state_dict": {}}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="bad.pt: not a textvision checkpoint.*kind"):
        style_net(weights=tmp_path / "bad.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt"):
        style_net(weights=tmp_path / "junk.pt")
    # Another area's checkpoint, and a style-kind one without style names.
    torch.save({"kind": "text_fcn", "config": {}, "state_dict": {}}, tmp_path / "fcn.pt")
    with pytest.raises(ValueError, match="fcn.pt: a 'text_fcn' checkpoint, expected 'two-stage or distilled'"):
        style_net(weights=tmp_path / "fcn.pt")
    torch.save({"kind": "distilled", "config": {}, "state_dict": {}}, tmp_path / "nonames.pt")
    with pytest.raises(ValueError, match="nonames.pt.*style_names"):
        style_net(weights=tmp_path / "nonames.pt")


def test_weights_argument_names_and_none(make_net, tmp_path, rng):
    # An unknown name lists the registered ones; the shipped names load.
    with pytest.raises(ValueError, match="unknown style weights 'style_synth'.*default-distilled"):
        style_net(weights="style_synth")
    assert style_net(weights="style_default").style_names == style_net(weights="default").style_names
    with pytest.raises(ValueError, match="needs num_styles"):
        style_net(weights=None)  # None is untrained, always: it needs the network's size
    assert style_net(3, weights=None).training  # untrained
    with pytest.raises(ValueError, match="checkpoint.*decides"):
        style_net(3, weights="default")
    # A str path and a Path load the same model.
    net = make_net(kind="distilled", seed=4)
    path = save_style_model(net, tmp_path / "m.pt")
    img = rng.integers(0, 256, (9, 10, 3), dtype=np.uint8)
    assert np.array_equal(stylize(img, style_net(weights=str(path)), 1), stylize(img, net, 1))


def test_legacy_checkpoint_loads(make_net, tmp_path, rng):
    """Files written before the shared format (no format/version keys) still load, as version 0."""
    net = make_net(kind="two-stage", seed=5)
    legacy = {"kind": net.kind, "style_names": list(net.style_names), "config": dict(net.config),
              "state_dict": net.state_dict()}
    torch.save(legacy, tmp_path / "old.pt")
    ckpt = read_checkpoint(tmp_path / "old.pt")
    assert ckpt["version"] == 0
    img = rng.integers(0, 256, (9, 10, 3), dtype=np.uint8)
    assert np.array_equal(stylize(img, style_net(weights=tmp_path / "old.pt"), 0, mode="distilled"),
                          stylize(img, net, 0, mode="distilled"))


def test_evil_checkpoint_refused_by_loaders(evil_checkpoint):
    path, marker = evil_checkpoint
    for load in (lambda p: style_net(weights=p), read_checkpoint):
        with pytest.raises(ValueError, match="refused") as info:
            load(path)
        assert "\n" not in str(info.value)
    assert not marker.exists()


def test_no_import_cycle_in_style():
    """blending is pure NumPy: importing it alone loads neither inference nor torch-side style code."""
    import subprocess
    import sys

    code = ("import sys, textvision.style.blending; "
            "print(sorted(m for m in sys.modules if m.startswith('textvision.style')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['textvision.style', 'textvision.style.blending']"


@pytest.mark.cuda
def test_stylize_cuda_matches_cpu(make_net, rng, conv_runs):
    net = make_net()
    img = rng.integers(0, 256, (33, 47, 3), dtype=np.uint8)
    hm = rng.random((33, 47)).astype(np.float32)
    cpu = stylize(img, net, "greenpaper", heatmap=hm)
    conv_runs.clear()
    gpu = stylize(img, net, "greenpaper", heatmap=hm, device="cuda")
    assert conv_runs and {d for d, _ in conv_runs} == {"cuda"}  # not the CPU path again
    assert np.abs(cpu.astype(int) - gpu.astype(int)).max() <= 1


def test_stylize_upscale(net, rng):
    """upscale=f: the StyleNet sees the image enlarged f times (bicubic) and its output is area-shrunk back,
    then blended at the image's size, so the background rule (exactly the input below the threshold) holds."""
    import torch.nn.functional as F

    from textvision.style.inference import working_scale

    img = rng.integers(0, 256, (21, 30, 3), dtype=np.uint8)
    ones = np.ones((21, 30), np.float32)
    x = image_to_tensor([img])
    with torch.no_grad():
        big = F.interpolate(x, size=(42, 60), mode="bicubic", align_corners=False).clamp(0, 1)
        ref = tensor_to_image(F.interpolate(net(big, 1), size=(21, 30), mode="area"))[0]
    out2 = stylize(img, net, 1, heatmap=ones, threshold=0, upscale=2)
    assert np.array_equal(out2, ref)
    assert not np.array_equal(out2, stylize(img, net, 1, heatmap=ones, threshold=0, upscale=1))
    hm = np.zeros((21, 30), np.float32)
    hm[5:15, 4:20] = 0.9
    out = stylize(img, net, 1, heatmap=hm, upscale=2)
    assert np.array_equal(out[hm == 0], img[hm == 0])
    assert np.array_equal(out, blend(img, ref, hm, None))
    assert np.array_equal(stylize_batch([img, img[:, ::-1]], net, 1, heatmaps=[hm, hm], upscale=2)[0], out)
    assert np.array_equal(two_stage(img, net, 1, heatmap=hm, upscale=2), out)
    # The enlarged longer side stays <= MAX_UPSCALED_SIDE (2560), and a photo is never shrunk.
    assert working_scale(100, 200, 2.0) == 2.0
    assert working_scale(720, 1280, 2.0) == 2.0
    assert working_scale(1000, 2000, 2.0) == 1.28
    assert working_scale(3000, 4000, 2.0) == 1.0
    for bad in (0.5, 5, True, "2"):
        with pytest.raises(ValueError, match="upscale"):
            stylize(img, net, 1, heatmap=hm, upscale=bad)
    with pytest.raises(ValueError, match="two-stage"):
        stylize(img, net, 1, mode="distilled", upscale=2)


def test_selective_text_style_upscale_is_checked_like_stylize(net):
    """One validator: the transform refuses the same upscale values as stylize, at construction."""
    from textvision.augment import SelectiveTextStyle

    assert SelectiveTextStyle(net, upscale=2).upscale == 2.0
    for bad in (0.5, 5, True, "2"):
        with pytest.raises(ValueError, match=r"SelectiveTextStyle: upscale must be a number in \[1, 4\]"):
            SelectiveTextStyle(net, upscale=bad)
    with pytest.raises(ValueError, match="two-stage"):
        SelectiveTextStyle(net, mode="distilled", upscale=2)
