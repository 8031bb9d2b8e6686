"""TextFCN (textvision.models.text_fcn): output geometry, FCN-8s structure, VGG16 backbone transfer, the one
``weights=`` argument, safe checkpoints. Training is tested in tests/text_fcn/test_train.py."""
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from textvision.checkpoint import load_checkpoint, save_checkpoint
from textvision.models import vgg
from textvision.weights import resolve

# The module (textvision.models.text_fcn, the attribute, is the builder function of the same name).
fcn = importlib.import_module("textvision.models.text_fcn")


@pytest.mark.parametrize("hw", [(37, 53), (300, 500), (1, 1), (32, 64), (65, 31)])
def test_lite_output_is_input_size(hw):
    torch.manual_seed(0)
    m = fcn.text_fcn("lite").eval()
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
    m = fcn.text_fcn("vgg16", backbone_weights=path).eval()
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
    m = fcn.text_fcn("lite")
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


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        fcn.text_fcn(weights=tmp_path / "nope.pt")
    torch.save({"state_dict": {}}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a textvision checkpoint"):
        fcn.text_fcn(weights=tmp_path / "x.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pt: "):  # one line naming the file
        fcn.text_fcn(weights=tmp_path / "junk.pt")
    m = fcn.text_fcn("lite", widths=(8, 16, 16, 24, 32))
    fcn.save_text_fcn(tmp_path / "lite.pt", m)
    with pytest.raises(ValueError, match="arch 'lite'"):
        fcn.text_fcn("vgg16", weights=tmp_path / "lite.pt")
    m2 = fcn.text_fcn("lite", tmp_path / "lite.pt")
    assert m2.config["widths"] == [8, 16, 16, 24, 32]
    for k, v in m.state_dict().items():
        torch.testing.assert_close(m2.state_dict()[k], v)
    # a checkpoint of another kind is refused by kind, not by a shape error later
    save_checkpoint(tmp_path / "east.pt", kind="east", state_dict=m.state_dict(), config=m.config)
    with pytest.raises(ValueError, match="'east' checkpoint, expected 'text_fcn'"):
        fcn.text_fcn(weights=tmp_path / "east.pt")
    # weights that do not fit their config: one line naming the file
    sd = dict(m.state_dict())
    sd.pop("classifier.bias")
    save_checkpoint(tmp_path / "bad.pt", kind="text_fcn", state_dict=sd, config=m.config)
    with pytest.raises(ValueError, match=r"bad.pt: weights do not match") as e:
        fcn.text_fcn(weights=tmp_path / "bad.pt")
    assert "\n" not in str(e.value)


def _shipped():
    try:
        return resolve("default", "text_fcn")
    except FileNotFoundError:
        pytest.skip("shipped TextFCN weights not installed")


def test_weights_argument_names_paths_and_none():
    path = _shipped()
    ref = fcn.text_fcn(weights="default")  # default argument = the registry default
    assert not ref.training and ref.config["arch"] == "lite"
    for m in (fcn.text_fcn(weights="text_fcn_ic15"), fcn.text_fcn(weights=path), fcn.text_fcn(weights=str(path)),
              fcn.text_fcn("lite", "default"), fcn.text_fcn("lite", weights=path)):
        for k, v in ref.state_dict().items():
            torch.testing.assert_close(m.state_dict()[k], v, rtol=0, atol=0)
    # None: untrained, always; without an arch there is nothing to build (no guessing)
    untrained = fcn.text_fcn("lite", None)
    assert untrained.training and not torch.equal(untrained.classifier.weight, ref.classifier.weight)
    with pytest.raises(ValueError, match="needs arch"):
        fcn.text_fcn(weights=None)
    with pytest.raises(ValueError, match="unknown TextFCN arch"):
        fcn.text_fcn("resnet")
    with pytest.raises(ValueError, match="registered names are.*text_fcn_ic15.*text_fcn_lite_real.*text_fcn_lite_synth"):
        fcn.text_fcn("lite", "no_such_weights")
    synth = fcn.text_fcn(weights="synth")  # the previous default stays loadable by name
    assert not torch.equal(synth.classifier.weight, ref.classifier.weight)
    with pytest.raises(ValueError, match="not 'vgg16'"):
        fcn.text_fcn("vgg16", "default")  # the shipped weights are a lite network
    with pytest.raises(ValueError, match="not both"):
        fcn.text_fcn("vgg16", "default", backbone_weights="hed")
    with pytest.raises(ValueError, match="'vgg16' arch"):
        fcn.text_fcn("lite", backbone_weights="hed")


def test_shipped_legacy_checkpoint_loads_as_version_0():
    _shipped()
    path = resolve("text_fcn_lite_synth", "text_fcn")  # written before checkpoints had format/version
    ckpt = load_checkpoint(path, "text_fcn")
    model = fcn.text_fcn_from_checkpoint(ckpt, path)
    assert ckpt["kind"] == "text_fcn" and ckpt["version"] == 0 and "format" not in ckpt
    assert model.config == ckpt["config"]


def test_save_text_fcn_writes_the_checkpoint_format(tmp_path):
    m = fcn.text_fcn("lite", widths=(8, 16, 16, 24, 32))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m(torch.randn(2, 3, 64, 64)).sum().backward()
    opt.step()
    out = fcn.save_text_fcn(tmp_path / "sub" / "m.pt", m, optimizer=opt, epoch=3, step=7, metrics={"f1": 0.5})
    raw = torch.load(out, weights_only=True)
    assert (raw["format"], raw["version"], raw["kind"]) == ("textvision", 1, "text_fcn")
    assert raw["epoch"] == 3 and raw["step"] == 7 and raw["metrics"] == {"f1": 0.5}
    assert raw["optimizer"]["state"] and raw["config"] == m.config
    assert [p.name for p in out.parent.iterdir()] == ["m.pt"]  # atomic: no temporary left behind
    # a DDP-style wrapper is unwrapped
    wrapper = torch.nn.Module()
    wrapper.module = m
    fcn.save_text_fcn(tmp_path / "w.pt", wrapper)
    assert list(torch.load(tmp_path / "w.pt", weights_only=True)["state_dict"]) == list(m.state_dict())


def test_every_loader_refuses_code_in_a_checkpoint(evil_checkpoint, monkeypatch):
    from textvision.models import resnet
    from textvision.text_fcn import segment

    path, marker = evil_checkpoint
    loaders = [
        lambda: fcn.text_fcn(weights=path),
        lambda: fcn.text_fcn("lite", path),
        lambda: fcn.text_fcn("vgg16", weights=path),
        lambda: fcn.text_fcn("vgg16", backbone_weights=path),
        lambda: segment(np.zeros((8, 8, 3), np.uint8), model=path),
        lambda: vgg.vgg16(path),
        lambda: vgg.vgg16(weights=path),
        lambda: vgg.vgg16_features(weights=path),
        lambda: resnet.resnet50(path),
        lambda: resnet.resnet50(weights=path),
        lambda: resnet.resnet18(weights=str(path)),
    ]
    for load in loaders:
        with pytest.raises(ValueError, match="refused") as e:
            load()
        assert str(path) in str(e.value) and "\n" not in str(e.value)
        assert not marker.exists()


def test_vgg16_weights_paths_and_h5_files_go_to_the_hed_reader(tmp_path, monkeypatch):
    with torch.device("meta"):
        keys = {k: v.shape for k, v in vgg.vgg16(with_classifier=False).state_dict().items()}
    g = torch.Generator().manual_seed(1)
    state = {k: torch.randn(s, generator=g) for k, s in keys.items()}
    pth = tmp_path / "features.pth"
    torch.save(state, pth)
    m = vgg.vgg16(with_classifier=False, weights=pth)
    assert not m.training
    torch.testing.assert_close(m.features[28].weight.detach(), state["features.28.weight"])
    with pytest.raises(ValueError, match="no classifier.*with_classifier=False"):
        vgg.vgg16(weights=pth, with_classifier=True)  # a features-only file cannot fill the classifier
    assert not vgg.vgg16(weights=pth).with_classifier  # unset: the file decides
    auto = vgg.vgg16(pth, with_classifier=None)
    assert not auto.with_classifier
    # TextFCN on a features-only backbone: conv1-5 copied, fc6/fc7 freshly initialised
    t = fcn.text_fcn("vgg16", backbone_weights=pth)
    torch.testing.assert_close(t.encoder.features[0].weight.detach(), state["features.0.weight"])
    assert float(t.encoder.fc6.weight.detach().abs().max()) < 0.01
    # .h5 files go to the HED reader
    h5 = tmp_path / "hed.h5"
    h5.write_bytes(b"HDF")
    seen = []
    monkeypatch.setattr(vgg, "_load_hed_h5", lambda p: (seen.append(p), state)[1], raising=False)
    m2 = vgg.vgg16(with_classifier=False, weights=h5)
    assert seen == [str(h5)]
    torch.testing.assert_close(m2.features[0].bias.detach(), state["features.0.bias"])
    with pytest.raises(ValueError, match="registered names are"):
        vgg.vgg16(weights="no_such_name")


def test_resnet_weights_paths(tmp_path):
    from textvision.models import resnet

    torch.manual_seed(0)
    ref = resnet.resnet18()
    path = tmp_path / "r18.pth"
    torch.save({"module." + k: v for k, v in ref.state_dict().items()}, path)  # DDP prefix is removed
    m = resnet.resnet18(weights=path)
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(m.state_dict()[k], v)
    with pytest.raises(ValueError, match="does not match ResNet-34"):
        resnet.resnet34(weights=path)
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        resnet.resnet50(tmp_path / "nope.pth")


def test_one_imagenet_normalisation():
    from textvision.models.east import _MEAN, _STD

    assert _MEAN is vgg.IMAGENET_MEAN and _STD is vgg.IMAGENET_STD
    x = torch.rand(2, 3, 4, 5)
    ref = (x - torch.tensor(vgg.IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(vgg.IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(vgg.normalize_imagenet(x), ref)


def test_widen_tool_keeps_the_function_and_trains_the_new_channels():
    """tools/widen_fcn.py (how a wider default is started from a trained lite one): the widened network
    computes exactly what the small one does, and its new channels are live (a gradient step changes
    the output), so training can use them."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("widen_fcn", Path(__file__).parents[2] / "tools" / "widen_fcn.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from textvision.models.text_fcn import build_text_fcn

    torch.manual_seed(0)
    small = build_text_fcn({"arch": "lite", "widths": [8, 16, 16, 24, 32]}).eval()
    for p in small.parameters():  # non-trivial weights everywhere, BatchNorm affine included
        p.data.add_(0.1 * torch.randn_like(p))
    wide = mod.widen(small, [8, 16, 24, 48, 64])
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(wide(x), small(x), rtol=0, atol=1e-5)
    assert wide.config["widths"] == [8, 16, 24, 48, 64]
    new = wide.state_dict()["encoder.s16.0.3.weight"][24:]  # outputs the small model lacks
    assert new.abs().sum() > 0
    wide.train()
    wide(x).logsumexp(1).mean().backward()
    grads = dict(wide.named_parameters())
    reader = "encoder.s16.1.3.weight"  # reads the widened stage: its weights from the new channels start at 0 ...
    assert (grads[reader].detach()[:, 24:] == 0).all()
    assert grads[reader].grad[:, 24:].abs().sum() > 0  # ... and get a gradient
    with pytest.raises(ValueError, match="must be >="):
        mod.widen(small, [8, 8, 16, 24, 32])
