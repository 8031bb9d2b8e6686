"""Legibility in training: ReadingLoss (a frozen recogniser's CTC before/after) and word-centred content crops."""
import cv2
import numpy as np
import pytest
import torch

from textvision.models.recognizer import Recognizer
from textvision.style.losses import ReadingLoss, WordBox
from textvision.style.train import StyleTrainConfig, WordContentSampler, WordCropBatch, train_style


def _image(seed=0):
    rng = np.random.default_rng(seed)
    im = np.full((48, 96, 3), 230, np.uint8)
    cv2.putText(im, "Ab1", (6, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (int(rng.integers(60)), 20, 40), 2)
    return im


def test_strips_against_opencv():
    """The grey, 64-row, edge-padded strips equal cv2's grey conversion + bilinear resize + edge padding."""
    loss = ReadingLoss(Recognizer())
    im = _image()
    x = torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255
    strips = loss.strips(x, [WordBox(0, (4, 8, 70, 40), "Ab1")])
    assert strips.shape == (1, 1, 64, 192)  # 64 * 66 / 32 = 132 columns, padded to the next multiple of 64
    grey = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float32)[8:40, 4:70]
    ref = cv2.resize(grey, (132, 64), interpolation=cv2.INTER_LINEAR)
    ref = np.pad(ref, ((0, 0), (0, 60)), mode="edge") / 255 * 2 - 1
    np.testing.assert_allclose(strips[0, 0].numpy(), ref, atol=0.01)


def test_reading_loss_is_the_hinge_of_the_ctc_difference():
    torch.manual_seed(0)
    loss = ReadingLoss(Recognizer())
    x = torch.from_numpy(np.stack([_image(0), _image(1)])).permute(0, 3, 1, 2).float() / 255
    blank = torch.full_like(x, 0.9)
    words = [WordBox(0, (4, 8, 70, 40), "Ab1"), WordBox(1, (4, 8, 70, 40), "Ab1")]
    assert float(loss(x, x, words)) == 0.0
    # mean(relu(d)) - mean(relu(-d)) = mean(d) with d = CTC(blank) - CTC(input) per word: the loss is the
    # hinge of that difference in both directions (the recogniser is random here, so d has either sign).
    targets = [loss.encode("Ab1")] * 2
    with torch.no_grad():
        d = loss.ctc(blank, words, targets) - loss.ctc(x, words, targets)
        there, back = loss(blank, x, words), loss(x, blank, words)
    assert float(d.abs().min()) > 0
    assert float(there) == pytest.approx(float(d.clamp_min(0).mean()), rel=1e-5)
    assert float(there - back) == pytest.approx(float(d.mean()), rel=1e-4, abs=1e-6)
    # Gradients reach the output only (the recogniser is frozen).
    out = (blank if float(there) > 0 else x).clone().requires_grad_(True)
    got = loss(out, x if float(there) > 0 else blank, words)
    got.backward()
    assert float(got.detach()) > 0 and float(out.grad.abs().sum()) > 0
    assert all(p.grad is None for p in loss.recognizer.parameters())
    assert not loss.train().recognizer.training
    # Words the charset cannot spell, or boxes under 2 px, are left out: no word, no loss.
    assert float(loss(x, x, [WordBox(0, (4, 8, 70, 40), "日本")])) == 0.0
    assert float(loss(x, x, [WordBox(0, (4, 8, 5, 40), "A")])) == 0.0
    with pytest.raises(ValueError, match="differ"):
        loss(x[:1], x, words)


def test_reading_loss_real_recogniser_sees_blanked_words(has_recognizer):
    from textvision.models.recognizer import recognizer

    loss = ReadingLoss(recognizer("default"))
    im = np.full((64, 220, 3), 235, np.uint8)
    cv2.putText(im, "HOTEL", (8, 46), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 30, 40), 3, cv2.LINE_AA)
    x = torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255
    word = [WordBox(0, (2, 8, 140, 58), "HOTEL")]
    assert float(loss.ctc(x, word, [loss.encode("HOTEL")])[0]) < 0.5  # read well on the input
    assert float(loss(torch.full_like(x, 235 / 255), x, word)) > 1.0


def _rotated_word_folder(tmp_path, n=3):
    """Photos with one red rotated 'word' rectangle each (ICDAR quads), and a held-out photo."""
    d = tmp_path / "ic"
    d.mkdir()
    for i in (*range(1, n + 1), 901):
        im = np.full((120, 160, 3), (40, 90, 40), np.uint8)
        c, (w, h), a = (80.0, 60.0), (60.0, 20.0), 20.0 * i
        ang = np.radians(a)
        ux, uy = np.array([np.cos(ang), np.sin(ang)]), np.array([-np.sin(ang), np.cos(ang)])
        quad = np.array([np.array(c) + sx * w / 2 * ux + sy * h / 2 * uy
                         for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
        cv2.fillPoly(im, [np.round(quad).astype(np.int32)], (220, 30, 30))
        cv2.imwrite(str(d / f"img_{i}.jpg"), cv2.cvtColor(im, cv2.COLOR_RGB2BGR))
        coords = ",".join(str(int(round(v))) for v in quad.reshape(-1))
        (d / f"gt_img_{i}.txt").write_text(f"{coords},WORD\n0,0,5,0,5,5,0,5,###\n", encoding="utf-8")
    return d


def test_word_content_sampler_upright_words_inside_the_crop(tmp_path):
    d = _rotated_word_folder(tmp_path)
    sampler = WordContentSampler(str(d), 96)
    assert len(sampler.items) == 3  # img_901 is held out; the ### word is never a crop's word
    batch = sampler.sample(6, np.random.default_rng(0))
    assert type(batch) is WordCropBatch
    crops, words = batch
    assert len(crops) == len(words) == 6
    for k, (crop, w) in enumerate(zip(crops, words)):
        assert crop.shape == (96, 96, 3) and crop.dtype == np.uint8 and w.index == k and w.text == "WORD"
        x0, y0, x1, y1 = w.box
        assert 0 <= x0 < x1 <= 96 and 0 <= y0 < y1 <= 96
        inner = crop[y0 + 2:y1 - 2, x0 + 2:x1 - 2].reshape(-1, 3).astype(int)
        assert (inner[:, 0] > 150).mean() > 0.9  # upright: the box is (nearly) all the red word
        # ... and the word is about 3x wider than tall, as drawn
        assert 2.4 < (x1 - x0) / (y1 - y0) < 3.6
    again, _ = sampler.sample(6, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))  # the rng alone decides
    with pytest.raises(ValueError, match="no training image"):
        WordContentSampler(str(d), 96, holdout="img_1-img_1000")
    # A crop of 12 px cannot hold the 60x20 word at 8 px high with 4 px to spare: no word to draw, an error
    # instead of drawing forever.
    with pytest.raises(ValueError, match="no training image"):
        WordContentSampler(str(d), 12)


def test_fine_tune_with_reading_loss(style_dir, tmp_path, make_net):
    """init + read_weight: starts from the given teacher, records the read term, needs icdar2015: content."""
    from textvision.models.style import style_net
    from textvision.style.inference import save_style_model

    d = _rotated_word_folder(tmp_path)
    rec = tmp_path / "rec.pth"
    torch.manual_seed(0)
    torch.save(Recognizer().state_dict(), rec)
    base = make_net(2, names=["bluegold", "greenpaper"])
    save_style_model(base, tmp_path / "base.pt")
    cfg = StyleTrainConfig(styles=style_dir, out=str(tmp_path / "ft.pt"), content=f"icdar2015:{d}",
                           loss_net="random", steps=2, batch_size=2, image_size=64, read_weight=0.1, lr=1e-7,
                           recognizer=str(rec), init=str(tmp_path / "base.pt"), progress=False)
    with pytest.warns(RuntimeWarning, match="random VGG16"):
        res = train_style(cfg)
    assert len(res.history) == 2 and all(np.isfinite(r["read"]) for r in res.history)
    assert res.model.config == base.config
    # Started from the given teacher: with a tiny learning rate every weight is still (nearly) its own.
    for (k, v), w in zip(res.model.state_dict().items(), base.state_dict().values()):
        assert torch.allclose(v, w, atol=1e-4), k
    assert style_net(weights=res.checkpoint).style_names == ["bluegold", "greenpaper"]
    with pytest.raises(ValueError, match="icdar2015"):
        train_style(StyleTrainConfig(styles=style_dir, out=str(tmp_path / "x.pt"), loss_net="random", steps=1,
                                     read_weight=0.1, progress=False))
    save_style_model(make_net(3), tmp_path / "three.pt")
    with pytest.raises(ValueError, match="styles"):
        train_style(StyleTrainConfig(styles=style_dir, out=str(tmp_path / "y.pt"), loss_net="random", steps=1,
                                     init=str(tmp_path / "three.pt"), progress=False))


def test_cli_styles_export_round_trip(make_net, tmp_path, capsys):
    """`textvision styles --export DIR` writes each thumbnail as <name>.png: a --styles folder for --init."""
    from textvision import cli
    from textvision.io import read_rgb
    from textvision.style import save_style_model
    from textvision.style.train import load_style_images

    net = make_net()
    thumbs = [np.full((20, 40, 3), (30 * k, 200, 10), np.uint8) for k in range(net.num_styles)]
    net.set_style_images(thumbs)
    model = save_style_model(net, tmp_path / "m.pt")
    out = tmp_path / "styles"
    assert cli.main(["styles", "--model", model, "--export", str(out)]) == 0
    assert f"wrote 2 style images to {out}" in capsys.readouterr().out
    names, images = load_style_images(str(out), None)
    assert names == net.style_names
    assert all(np.array_equal(read_rgb(out / f"{n}.png"), t) for n, t in zip(names, thumbs))
    assert cli.main(["styles", "--model", model, "--export", str(out)]) == 1  # refuses to overwrite
    assert "--force" in capsys.readouterr().err
