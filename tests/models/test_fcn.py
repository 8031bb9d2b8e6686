"""TextFCN: output geometry, FCN-8s structure, VGG16 backbone transfer, checkpoints, learning."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from textvision.models import fcn, vgg
from textvision.models.train_fcn import (
    IGNORE_LABEL, FCNTrainSet, SampleSource, TrainConfig, class_weights, evaluate_fcn, pixel_scores, synth_source,
    train_fcn,
)


@pytest.mark.parametrize("hw", [(37, 53), (300, 500), (1, 1), (32, 64), (65, 31)])
def test_lite_output_is_input_size(hw):
    torch.manual_seed(0)
    m = fcn.text_fcn_lite().eval()
    with torch.no_grad():
        out = m(torch.randn(2, 3, *hw))
        p = m.predict_proba(torch.randn(1, 3, *hw))
    assert out.shape == (2, 2) + hw
    assert p.shape == (1,) + hw and float(p.min()) >= 0 and float(p.max()) <= 1


def test_upsampling_starts_bilinear():
    # A learned 2x upsampler initialised bilinear equals F.interpolate(align_corners=False) inside.
    up = fcn._up(2, 2)
    x = torch.rand(1, 2, 6, 7)
    with torch.no_grad():
        got = up(x)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(got[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1])


def _small_storage(shape, generator):
    """A tensor of `shape` whose entries t[i, j, ...] = base[i + j + ...] share a storage of
    sum(shape) values: a VGG16-shaped state_dict (fc6 alone is 4096 x 25088) in about 1 MB, with
    distinct values along every axis. torch.save keeps the strides, so the file stays small too."""
    base = torch.randn(sum(shape), generator=generator) * 0.05
    return base.as_strided(tuple(shape), (1,) * len(shape))


def test_vgg16_fcn_structure_backbone_transfer_and_size(tmp_path):
    # A torchvision-format file with known values: conv1-5 copied, fc6/fc7 = the reshaped classifier.
    g = torch.Generator().manual_seed(0)
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in vgg.vgg16().state_dict().items()}
    state = {k: _small_storage(s, g) for k, s in shapes.items()}
    path = tmp_path / "vgg16.pth"
    torch.save(state, path)
    assert path.stat().st_size < 2_000_000
    m = fcn.text_fcn_vgg16(backbone_weights=path).eval()
    enc = m.encoder
    for k, v in enc.features.state_dict().items():
        assert torch.equal(v, state["features." + k]), k
    assert enc.fc6.weight.shape == (4096, 512, 7, 7) and enc.fc7.weight.shape == (4096, 4096, 1, 1)
    w6, b6 = state["classifier.0.weight"], state["classifier.0.bias"]
    fc6 = enc.fc6.weight.detach()
    for o, c, y, x in [(0, 0, 0, 0), (1, 0, 0, 1), (0, 1, 0, 0), (4095, 511, 6, 6), (17, 300, 3, 5)]:
        assert fc6[o, c, y, x] == w6[o, c * 49 + y * 7 + x]  # channel-major, like a 512x7x7 flatten
    # What the reshape is for: fc6 on a 7x7 pool5 map (one valid position) is the classifier's Linear.
    pool5 = torch.randn(1, 512, 7, 7, generator=g)
    rows = slice(0, 4096, 455)
    with torch.no_grad():
        conv = F.conv2d(pool5, fc6[rows], enc.fc6.bias[rows])[0, :, 0, 0]
    torch.testing.assert_close(conv, w6[rows] @ pool5.flatten() + b6[rows], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(enc.fc7.weight.detach()[rows, :, 0, 0], state["classifier.3.weight"][rows])
    torch.testing.assert_close(enc.fc7.bias.detach(), state["classifier.3.bias"])
    torch.testing.assert_close(enc.fc6.bias.detach(), b6)
    assert m.score16.in_channels == 512 and m.score8.in_channels == 256  # pool4 / pool3 skips
    # the VGG part keeps torchvision's key names under encoder.features
    keys = [k for k in m.state_dict() if k.startswith("encoder.features.")]
    assert keys[:2] == ["encoder.features.0.weight", "encoder.features.0.bias"] and len(keys) == 26
    with torch.no_grad():
        out = m(torch.randn(1, 3, 37, 53, generator=g))
    assert out.shape == (1, 2, 37, 53) and torch.isfinite(out).all()


def test_bad_inputs():
    m = fcn.text_fcn_lite()
    with pytest.raises(ValueError, match=r"\(1, 1, 8, 8\)"):
        m(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="non-empty"):
        m(torch.zeros(1, 3, 0, 8))
    with pytest.raises(ValueError, match="arch"):
        fcn.TextFCN("resnet")
    with pytest.raises(ValueError, match="uint8"):
        fcn.preprocess(np.zeros((4, 4, 3), np.float32))


def test_preprocess_matches_imagenet_normalisation():
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    x = fcn.preprocess(img)
    ref = (img.astype(np.float32) / 255 - np.array(vgg.IMAGENET_MEAN, np.float32)) / np.array(vgg.IMAGENET_STD, np.float32)
    np.testing.assert_allclose(x[0].permute(1, 2, 0).numpy(), ref, rtol=1e-5, atol=1e-5)


def test_pixel_scores_hand_worked():
    prob = np.array([[0.9, 0.6, 0.1], [0.2, 0.7, 0.4]], np.float32)
    mask = np.array([[1, 0, 1], [0, 1, 1]], np.uint8)
    s = pixel_scores(prob, mask)
    assert (s.tp, s.fp, s.fn) == (2, 1, 2)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(4 / 7) and s.iou == pytest.approx(0.4)
    ign = np.array([[0, 1, 0], [0, 0, 1]], np.uint8)
    s = pixel_scores(prob, mask, ign)
    assert (s.tp, s.fp, s.fn) == (2, 0, 1)


def _scene_set(n, seed, size=(96, 96)):
    return synth_source(n, size, seed, "pixel", max_lines=3, min_height=14.0)


def test_train_set_marks_ignore_and_pads():
    from textvision.data import TextInstance

    base = [{"image": np.zeros((20, 30, 3), np.uint8), "instances": [
        TextInstance(np.array([[2, 2], [10, 2], [10, 8], [2, 8]], np.float32), "ab", False),
        TextInstance(np.array([[14, 2], [20, 2], [20, 8], [14, 8]], np.float32), "###", True)]}]
    src = SampleSource(base, "box")
    s = src[0]
    assert s.text[5, 5] == 1 and s.ignore[5, 16] == 1 and s.text[5, 16] == 0
    x, y = FCNTrainSet(src, crop=64, train=True, seed=1)[0]
    assert x.shape == (3, 64, 64) and y.shape == (64, 64)
    assert set(torch.unique(y).tolist()) <= {0, 1, IGNORE_LABEL}
    assert int((y == IGNORE_LABEL).sum()) > 64 * 64 // 2  # the padding beyond the small image
    with pytest.raises(ValueError, match="pixel"):
        SampleSource(base, "pixel")[0]
    wb, wt = class_weights(src, "inverse")
    assert int(s.text.sum()) == 9 * 7 and int(s.ignore.sum()) == 7 * 7  # fillPoly includes the edges
    f = 63 / (600 - 49)
    assert wb == pytest.approx(0.5 / (1 - f)) and wt == pytest.approx(0.5 / f)


@pytest.mark.slow
def test_learning_on_synthetic_scenes_and_checkpoint(tmp_path):
    """A lite TextFCN trained for 96 steps (batch 4, no augmentation) on 32 synthetic 96x96 scenes:
    the loss falls by more than half (0.54 -> 0.16 here) and the pixel IoU at 0.5 on those scenes
    passes 0.30 (0.40 here; 0 before training). Then the checkpoint round trip."""
    train = _scene_set(32, seed=3)
    out = tmp_path / "fcn.pt"
    cfg = TrainConfig(out=str(out), epochs=12, batch_size=4, crop=96, warmup_steps=5, progress=False,
                      lr=5e-3, seed=0, augment=False)
    res = train_fcn(cfg, train, train)
    h = res.history
    assert len(h) == 12 and h[-1]["loss"] < 0.5 * h[0]["loss"], h
    assert h[-1]["iou"] > 0.30, h
    model, ckpt = fcn.load_text_fcn(out, return_checkpoint=True)
    assert ckpt["epoch"] == 12 and ckpt["step"] == 96 and ckpt["optimizer"]["state"]
    assert ckpt["config"] == res.model.config and ckpt["train_config"]["crop"] == 96
    for k, v in res.model.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v)
    s = evaluate_fcn(model, train, "cpu")
    assert s.iou == pytest.approx(h[-1]["iou"], abs=1e-6)


def test_resumed_training_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    """Interrupted right after the epoch-1 checkpoint, then resumed: the same weights, history and
    counters as one uninterrupted run (augmentation on, so its RNG and the shuffle must line up)."""
    from textvision.models import train_fcn as tf

    train = synth_source(8, (64, 64), 3, "pixel", max_lines=2, min_height=12.0)

    def cfg(out, **kw):
        return TrainConfig(out=str(out), epochs=3, batch_size=4, crop=64, warmup_steps=2, progress=False, lr=5e-3,
                           seed=0, augment=True, widths=(8, 16, 16, 24, 32), save_every_epoch=True, **kw)

    full = train_fcn(cfg(tmp_path / "full.pt"), train, None)
    real_save = tf.save_text_fcn

    def save_then_die(path, model, **kw):
        real_save(path, model, **kw)
        if kw["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(tf, "save_text_fcn", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_fcn(cfg(tmp_path / "cut.pt"), train, None)
    monkeypatch.undo()
    assert torch.load(tmp_path / "cut.pt", weights_only=True)["epoch"] == 1
    resumed = train_fcn(cfg(tmp_path / "cut.pt", resume=str(tmp_path / "cut.pt")), train, None)
    for k, v in full.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[k], v, rtol=0, atol=0, msg=k)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
    a, b = torch.load(tmp_path / "full.pt", weights_only=True), torch.load(tmp_path / "cut.pt", weights_only=True)
    assert (a["epoch"], a["step"]) == (b["epoch"], b["step"]) == (3, 6)
    assert a["scheduler"] == b["scheduler"]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        fcn.load_text_fcn(tmp_path / "nope.pt")
    torch.save({"state_dict": {}}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a TextFCN"):
        fcn.load_text_fcn(tmp_path / "x.pt")
    m = fcn.text_fcn_lite(widths=(8, 16, 16, 24, 32))
    fcn.save_text_fcn(tmp_path / "lite.pt", m)
    with pytest.raises(ValueError, match="arch 'lite'"):
        fcn.text_fcn_vgg16(weights=tmp_path / "lite.pt")
    m2 = fcn.text_fcn_lite(tmp_path / "lite.pt")
    assert m2.config["widths"] == [8, 16, 16, 24, 32]


@pytest.mark.slow
def test_torchrun_ddp_two_cpu_processes(tmp_path):
    """Launched by torchrun with 2 CPU workers, train_fcn runs DDP over gloo: each rank sees half
    the batches (2 steps per epoch instead of 4) and rank 0 writes the checkpoint."""
    import os
    import shutil
    import subprocess
    import sys

    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun not installed")
    script = tmp_path / "ddp.py"
    script.write_text(
        "import sys, torch\n"
        "torch.set_num_threads(1)\n"
        "from textvision.models.train_fcn import TrainConfig, synth_source, train_fcn\n"
        "tr = synth_source(16, (64, 64), 5, 'pixel', max_lines=2, min_height=12.0)\n"
        "cfg = TrainConfig(out=sys.argv[1], epochs=2, batch_size=4, crop=64, progress=False, warmup_steps=2,\n"
        "                  widths=(8, 16, 16, 24, 32))\n"
        "train_fcn(cfg, tr, tr)\n")
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([torchrun, "--standalone", "--nproc_per_node=2", str(script), str(out)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["step"] == 4
    assert not any(k.startswith("module.") for k in ckpt["state_dict"])
    assert len(ckpt["history"]) == 2 and "f1" in ckpt["history"][-1]


def test_make_sources_icdar2015_boxes_and_dont_care(tmp_path):
    import cv2

    from textvision.models.train_fcn import make_sources

    for i in range(1, 6):
        cv2.imwrite(str(tmp_path / f"img_{i}.jpg"), np.full((40, 60, 3), 30 * i, np.uint8))
        (tmp_path / f"gt_img_{i}.txt").write_text(
            "\ufeff5,5,25,5,25,15,5,15,HELLO\n30,20,50,20,50,30,30,30,###\n", encoding="utf-8")
    train, val = make_sources(f"icdar2015:{tmp_path}", mask_source="auto", val_fraction=0.2, seed=0)
    assert len(train) == 4 and len(val) == 1
    s = train[0]
    assert s.image.shape == (40, 60, 3) and s.text.shape == (40, 60)
    assert s.text[10, 15] == 1 and s.ignore[25, 40] == 1 and s.text[25, 40] == 0
    assert int(s.text.sum()) == 21 * 11  # box mask, edges included
    with pytest.raises(FileNotFoundError, match="nope"):
        make_sources(f"icdar2015:{tmp_path / 'nope'}")
    with pytest.raises(ValueError, match="unknown --data"):
        make_sources("imagenet:/x")


def test_cli_train_fcn_synth_with_export(tmp_path, capsys):
    from textvision.cli import main

    out, exp = tmp_path / "c.pt", tmp_path / "w.pt"
    rc = main(["train-fcn", "--data", "synth", "--synth-n", "8", "--synth-val-n", "2", "--synth-size", "64x64",
               "--epochs", "1", "--batch-size", "4", "--crop", "64", "--widths", "8,16,16,24,32",
               "--threads", "1", "--out", str(out), "--export", str(exp), "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "epoch 1: loss" in printed and "val P" in printed
    ck, w = torch.load(out, weights_only=True), torch.load(exp, weights_only=True)
    assert ck["optimizer"] is not None and w["optimizer"] is None and w["epoch"] == 1
    assert ck["train_config"]["train_images"] == 8 and len(list((tmp_path / "cache").glob("*.npz"))) == 2
    assert fcn.load_text_fcn(exp).config["widths"] == [8, 16, 16, 24, 32]
    assert main(["train-fcn", "--data", "mnist", "--out", str(out)]) == 1
