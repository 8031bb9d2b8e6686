"""Style training, resume, distillation loss and trainer, and the CLI (tiny networks, random VGG)."""
import os

import cv2
import numpy as np
import pytest
import torch

from textvision import cli
from textvision.models.style import StyleNet, style_net
from textvision.style import stylize
from textvision.style.distillation import DistillConfig, distill, distillation_loss
from textvision.style.inference import image_to_tensor
from textvision.style.losses import PerceptualLoss, loss_network
from textvision.style.train import ContentSampler, StyleImages, StyleTrainConfig, load_style_images, train_style

TINY = dict(batch_size=2, image_size=32, style_size=64, base_channels=8, num_res_blocks=1, progress=False)


def _config(style_dir, content_dir, out, **kw):
    args = dict(TINY, steps=40, lr=1e-2, loss_net="random")
    args.update(kw)
    return StyleTrainConfig(styles=str(style_dir), out=str(out), content=str(content_dir), **args)


@pytest.mark.slow
def test_training_reduces_style_loss(style_dir, content_dir, tmp_path):
    styles = load_style_images(str(style_dir), 64)
    assert type(styles) is StyleImages
    names, images = styles
    assert names == ["bluegold", "greenpaper"]
    vgg, desc = loss_network("random", warn=False)
    assert desc == "random(seed=0)"  # the test mode: the mechanics, not perceptual quality
    loss = PerceptualLoss(vgg, style_weight=10.0)
    loss.set_style_images([image_to_tensor([im])[0] for im in images])
    x = image_to_tensor(ContentSampler(str(content_dir), 32).sample(4, np.random.default_rng(5)))

    def style_losses(model):
        with torch.no_grad():
            return np.array([float(loss(model(x, k), x, torch.eye(2)[[k] * 4]).style) for k in range(2)])

    torch.manual_seed(0)
    before = style_losses(StyleNet(2, names, base_channels=8, num_res_blocks=1))  # = train_style's init
    with pytest.warns(RuntimeWarning, match="random VGG16"):
        res = train_style(_config(style_dir, content_dir, tmp_path / "t.pt", style_weight=10.0))  # style-led
    after = style_losses(res.model)
    assert np.all(after < 0.8 * before), (before, after)
    assert [r["step"] for r in res.history] == list(range(1, 41)) and res.checkpoint == str(tmp_path / "t.pt")
    assert res.best_epoch is None and all(np.isfinite(r["style"]) for r in res.history)


def test_non_finite_loss_stops_and_keeps_the_checkpoint(style_dir, content_dir, tmp_path, monkeypatch):
    """A NaN stops training with a clear error before the update; the last good checkpoint stays on disk."""
    forward = StyleNet.forward
    calls = {"n": 0}

    def poisoned(self, *a, **k):
        calls["n"] += 1
        out = forward(self, *a, **k)
        return out * float("nan") if calls["n"] == 5 else out

    monkeypatch.setattr(StyleNet, "forward", poisoned)
    out = tmp_path / "t.pt"
    with pytest.warns(RuntimeWarning, match="random VGG16"), pytest.raises(FloatingPointError, match="step 5"):
        train_style(_config(style_dir, content_dir, out, steps=8, save_every=2))
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["step"] == 4 and all(torch.isfinite(v).all() for v in ckpt["state_dict"].values()
                                     if v.is_floating_point())


def test_checkpoint_resume(style_dir, content_dir, tmp_path):
    out = tmp_path / "r.pt"
    with pytest.warns(RuntimeWarning):
        train_style(_config(style_dir, content_dir, out, steps=3, save_every=2))
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["step"] == 3 and ckpt["kind"] == "two-stage" and ckpt["style_names"] == ["bluegold", "greenpaper"]
    assert ckpt["vgg"] == "random(seed=0)" and ckpt["train_config"]["steps"] == 3
    with pytest.warns(RuntimeWarning):
        resumed = train_style(_config(style_dir, content_dir, out, steps=5))
    with pytest.warns(RuntimeWarning):
        straight = train_style(_config(style_dir, content_dir, tmp_path / "s.pt", steps=5))
    # A resumed run draws the same crops and styles, so it ends where an uninterrupted one does.
    assert len(resumed.history) == 5
    np.testing.assert_allclose([r["total"] for r in resumed.history], [r["total"] for r in straight.history],
                               rtol=1e-4)
    for a, b in zip(resumed.model.state_dict().values(), straight.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    m = style_net(weights=out)
    assert m.style_names == ["bluegold", "greenpaper"] and m.kind == "two-stage"
    with pytest.raises(ValueError, match="network config"), pytest.warns(RuntimeWarning):
        train_style(_config(style_dir, content_dir, out, steps=6, base_channels=4))


def test_distillation_loss_against_numpy(rng):
    s, t, c = (rng.random((2, 3, 5, 6)).astype(np.float32) for _ in range(3))
    m = (rng.random((2, 1, 5, 6)) > 0.7).astype(np.float32)
    terms = distillation_loss(*(torch.from_numpy(a) for a in (s, t, c, m)), lambda_text=8.0, lambda_background=2.0)
    n = s.size
    text = np.sum(m * (s - t) ** 2) / n
    back = np.sum((1 - m) * (s - c) ** 2) / n
    assert float(terms.text) == pytest.approx(text, rel=1e-5)
    assert float(terms.background) == pytest.approx(back, rel=1e-5)
    assert float(terms.total) == pytest.approx(8 * text + 2 * back, rel=1e-5)
    with pytest.raises(ValueError, match="mask must be"):
        distillation_loss(*(torch.from_numpy(a) for a in (s, t, c)), torch.zeros(2, 1, 5, 5))
    # Gate term: binary cross-entropy of sigmoid(logits) against the mask.
    z = rng.normal(size=(2, 1, 5, 6)).astype(np.float32)
    g = 1 / (1 + np.exp(-z.astype(np.float64)))
    bce = -np.mean(m * np.log(g) + (1 - m) * np.log(1 - g))
    terms = distillation_loss(*(torch.from_numpy(a) for a in (s, t, c, m)), lambda_text=8.0, lambda_background=2.0,
                              gate_logits=torch.from_numpy(z), lambda_gate=0.5)
    assert float(terms.gate) == pytest.approx(bce, rel=1e-5)
    assert float(terms.total) == pytest.approx(8 * text + 2 * back + 0.5 * bce, rel=1e-5)


def test_distill_tiny_run(make_net, icdar_dir, tmp_path):
    from textvision.style import save_style_model

    teacher_path = save_style_model(make_net(), tmp_path / "teacher.pt")
    cfg = DistillConfig(teacher=teacher_path, out=str(tmp_path / "d.pt"), data=str(icdar_dir), mask="boxes",
                        steps=25, batch_size=2, image_size=32, lr=1e-2, progress=False)
    res = distill(cfg)
    h = [r["total"] for r in res.history]
    assert res.model.kind == "distilled" and res.model.style_names == ["bluegold", "greenpaper"]
    assert res.model.gated  # the distilled default
    assert np.mean(h[-5:]) < 0.5 * np.mean(h[:5])
    d = style_net(weights=cfg.out)
    assert d.kind == "distilled"
    img = np.zeros((24, 24, 3), np.uint8)
    assert stylize(img, d, "bluegold").shape == (24, 24, 3)  # distilled mode by default: no TextFCN


def test_masked_sampler_photos(tmp_path):
    """photos:DIR renders words over crops of the folder's photographs, with exact pixel masks."""
    from textvision import io
    from textvision.style.distillation import MaskedBatch, MaskedSampler

    rng = np.random.default_rng(0)
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[:, :, 1] = 200  # a flat green photo: rendered scenes over it keep some pure-green background
    io.write_image(tmp_path / "green.png", photo)
    sampler = MaskedSampler(f"photos:{tmp_path}", 64, "pixels", dilate=0)
    seen_green = False
    for _ in range(6):
        batch = sampler.sample(2, rng)
        assert type(batch) is MaskedBatch
        images, masks = batch
        for img, m in zip(images, masks):
            assert img.shape == (64, 64, 3) and m.shape == (64, 64) and set(np.unique(m)) <= {0, 1}
            seen_green |= bool(((img[:, :, 1] > 150) & (img[:, :, 0] < 60)).mean() > 0.2)
    assert seen_green  # the photograph, not only procedural textures, is used as background
    with pytest.raises(ValueError, match="photos:DIR"):
        MaskedSampler("photos:", 64)
    with pytest.raises(FileNotFoundError):
        MaskedSampler(f"photos:{tmp_path / 'missing'}", 64)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no usable photo"):
        MaskedSampler(f"photos:{tmp_path / 'empty'}", 64)


def test_masked_sampler_holds_out_validation_photos(tmp_path):
    """A folder's held-out images (default img_901-img_1000) are never content; holding out all is an error."""
    from textvision import io
    from textvision.style.distillation import MaskedSampler

    for i, value in ((1, 40), (901, 200), (1000, 200)):
        io.write_image(tmp_path / f"img_{i}.png", np.full((80, 80, 3), value, np.uint8))
        (tmp_path / f"gt_img_{i}.txt").write_text("2,6,36,6,36,34,2,34,Hi\n", encoding="utf-8")
    sampler = MaskedSampler(str(tmp_path), 32, "boxes")
    assert [os.path.basename(p) for p, _ in sampler.items] == ["img_1.png"]
    images, _ = sampler.sample(4, np.random.default_rng(0))
    assert all(int(im.max()) == 40 for im in images)  # only img_1's pixels
    assert len(MaskedSampler(str(tmp_path), 32, "boxes", holdout=None).items) == 3
    assert [os.path.basename(p) for p, _ in MaskedSampler(str(tmp_path), 32, "boxes", holdout="img_1").items] == [
        "img_1000.png", "img_901.png"]
    with pytest.raises(ValueError, match="outside the held-out set"):
        MaskedSampler(str(tmp_path), 32, "boxes", holdout="img_1-img_1000")
    with pytest.raises(ValueError, match="held-out"):
        MaskedSampler(str(tmp_path), 32, "boxes", holdout="img_9-img_1")


def test_distill_exceptions(make_net, icdar_dir, tmp_path):
    from textvision.style import save_style_model

    teacher_path = save_style_model(make_net(), tmp_path / "teacher.pt")
    cfg = DistillConfig(teacher=teacher_path, out=str(tmp_path / "d.pt"), data=str(icdar_dir), mask="boxes",
                        steps=1, batch_size=1, image_size=32, progress=False)
    with pytest.raises(ValueError, match="teacher has 2 styles.*student has 3"):
        distill(cfg, student=StyleNet(3, base_channels=4, num_res_blocks=1))
    with pytest.raises(ValueError, match="differ"):
        distill(cfg, student=StyleNet(2, ["a", "b"], base_channels=4, num_res_blocks=1))
    # A distilled checkpoint made for another teacher is not resumed silently.
    save_style_model(make_net(3, kind="distilled"), cfg.out, optimizer={}, step=0)
    with pytest.raises(ValueError, match="3 styles.*teacher has 2"):
        distill(cfg)
    with pytest.raises(ValueError, match="pixels"):
        distill(DistillConfig(teacher=teacher_path, out=str(tmp_path / "e.pt"), data=str(icdar_dir),
                              mask="pixels", steps=1, progress=False))
    with pytest.raises(ValueError, match="gt_<stem>.txt"):
        distill(DistillConfig(teacher=teacher_path, out=str(tmp_path / "e.pt"), data=str(tmp_path),
                              mask="boxes", steps=1, progress=False))


def test_cli(make_net, tmp_path, capsys):
    import cv2

    from textvision.style import save_style_model

    model = save_style_model(make_net(), tmp_path / "m.pt")
    img = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "in.png"), img)
    hm = np.zeros((20, 24), np.uint8)
    hm[5:15, 5:15] = 255
    cv2.imwrite(str(tmp_path / "hm.png"), hm)
    out = tmp_path / "out.png"
    assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", model, "--mix", "bluegold:0.5,greenpaper:0.5",
                     "--heatmap", str(tmp_path / "hm.png"), "--threshold", "0.5", "--out", str(out)]) == 0
    res = cv2.imread(str(out))
    assert np.array_equal(res[hm == 0], img[hm == 0]) and not np.array_equal(res[hm > 0], img[hm > 0])
    assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", model, "--style", "nope",
                     "--mode", "distilled", "--out", str(out), "--force"]) == 1
    assert "unknown style 'nope'" in capsys.readouterr().err
    assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", model, "--mix", "bluegold:0.5,greenpaper:0.2",
                     "--mode", "distilled", "--out", str(out), "--force"]) == 1
    assert "sum to 1" in capsys.readouterr().err


def test_init_from(make_net):
    from textvision.style.distillation import init_from, make_student

    teacher = make_net()
    student = make_student(teacher)
    init_from(student, teacher)
    x = torch.rand(2, 3, 18, 22)
    with torch.no_grad():
        assert float((student(x, 1) - x).abs().max()) < 0.01  # gate closed: the input everywhere
        torch.testing.assert_close(torch.sigmoid(student._logits(x, 1)[:, :3]), teacher(x, 1))
    with pytest.raises(ValueError, match="teacher's size"):
        init_from(make_student(teacher, base_channels=8), teacher)
    with pytest.raises(ValueError, match="teacher has 2 styles"):
        init_from(make_net(3, kind="distilled"), teacher)


def test_cli_train_style_and_distill(style_dir, content_dir, icdar_dir, tmp_path, capsys):
    teacher = tmp_path / "cli_teacher.pt"
    with pytest.warns(RuntimeWarning, match="random VGG16"):
        rc = cli.main(["train-style", "--styles", str(style_dir / "bluegold.png"), str(style_dir / "greenpaper.png"),
                       "--content", str(content_dir), "--out", str(teacher), "--steps", "2", "--batch-size", "1",
                       "--image-size", "32", "--style-size", "48", "--base-channels", "4", "--res-blocks", "1",
                       "--loss-net", "random", "--no-progress"])
    assert rc == 0 and "2 styles: bluegold, greenpaper" in capsys.readouterr().out
    out = tmp_path / "cli_distilled.pt"
    assert cli.main(["distill", "--teacher", str(teacher), "--data", str(icdar_dir), "--out", str(out),
                     "--steps", "2", "--batch-size", "1", "--image-size", "32", "--lambda-gate", "0.5",
                     "--no-progress"]) == 0
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["kind"] == "distilled" and ckpt["train_config"]["mask"] == "boxes"  # boxes: not synth
    assert ckpt["train_config"]["lambda_text"] == 2.0 and ckpt["config"]["gated"] is True
    assert cli.main(["distill", "--teacher", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "d2.pt")]) == 1
    assert "not found" in capsys.readouterr().err
    assert cli.main(["distill", "--teacher", str(teacher), "--out", str(out)]) == 1  # a finished run: not again
    assert "--resume" in capsys.readouterr().err


def _one_line_error(capsys, command):
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith(f"textvision {command}: error:"), err
    return err


def test_cli_refuses_evil_checkpoints(evil_checkpoint, make_net, style_dir, tmp_path, capsys):
    """Every style command that reads a checkpoint refuses one that needs code to unpickle."""
    from textvision.style import save_style_model

    evil, marker = evil_checkpoint
    img = tmp_path / "in.png"
    cv2.imwrite(str(img), np.zeros((16, 16, 3), np.uint8))
    teacher = save_style_model(make_net(), tmp_path / "teacher.pt")
    runs = {
        "stylize": ["stylize", str(img), "--model", str(evil), "--style", "0", "--out", str(tmp_path / "o.png")],
        "distill": ["distill", "--teacher", str(evil), "--out", str(tmp_path / "d.pt"), "--no-progress"],
        "train-style": ["train-style", "--styles", str(style_dir), "--out", str(evil), "--resume", "--no-progress"],
    }
    for command, argv in runs.items():
        assert cli.main(argv) == 1, command
        assert "refused" in _one_line_error(capsys, command)
    # distill resuming from an --out that is such a file (the teacher itself is fine).
    assert cli.main(["distill", "--teacher", teacher, "--out", str(evil), "--resume", "--no-progress"]) == 1
    assert "refused" in _one_line_error(capsys, "distill")
    assert not marker.exists()
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "d.pt").exists()


def test_cli_stylize_checks_out_before_work(make_net, tmp_path, capsys, monkeypatch):
    import textvision.io
    from textvision.style import save_style_model

    model = save_style_model(make_net(), tmp_path / "m.pt")
    img = tmp_path / "in.png"
    cv2.imwrite(str(img), np.zeros((16, 16, 3), np.uint8))
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()

    def no_compute(*a, **k):
        raise AssertionError("stylize ran before --out was checked")

    monkeypatch.setattr("textvision.style.inference.stylize", no_compute)
    cases = {"noext": "must end in one of", "out.xyz": "must end in one of", "folder": "is a folder",
             "afile/out.png": "is not a folder"}
    for name, message in cases.items():
        assert cli.main(["stylize", str(img), "--model", model, "--style", "0", "--mode", "distilled",
                         "--out", str(tmp_path / name)]) == 1, name
        assert message in _one_line_error(capsys, "stylize"), name
    # An unwritable folder (as root, chmod does not stop writes: the probe file cannot be made).
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", refuse)
    assert cli.main(["stylize", str(img), "--model", model, "--style", "0", "--out", str(tmp_path / "o.png")]) == 1
    assert "Permission denied" in _one_line_error(capsys, "stylize")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder", "in.png", "m.pt"]


def test_cli_digit_style_names_win_over_indices(make_net, tmp_path, capsys):
    """Style names are file stems, so "1" may be a name: it then means that style, not index 1."""
    from textvision.style import save_style_model
    from textvision.style.commands import parse_mix

    net = make_net(3, names=["1", "b", "c"], kind="distilled")
    model = save_style_model(net, tmp_path / "m.pt")
    rgb = np.random.default_rng(0).integers(0, 256, (16, 20, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "in.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def run(*style):
        out = tmp_path / "out.png"
        assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", model, *style, "--out", str(out),
                         "--force"]) == 0
        return cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)

    by_name, by_index = stylize(rgb, net, "1"), stylize(rgb, net, 1)
    assert not np.array_equal(by_name, by_index)
    assert np.array_equal(run("--style", "1"), by_name)
    assert np.array_equal(run("--style", "2"), stylize(rgb, net, "c"))  # no style "2": an index
    assert np.array_equal(run("--mix", "1:0.5,b:0.5"), stylize(rgb, net, {"1": 0.5, "b": 0.5}))
    assert parse_mix("1:0.5,2:0.5", ["1", "b", "c"]) == {"1": 0.5, 2: 0.5}
    assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", model, "--style", "7",
                     "--out", str(tmp_path / "o.png")]) == 1
    assert "style index 7 out of range" in _one_line_error(capsys, "stylize")
