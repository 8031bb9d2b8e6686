"""EAST checkpoints and the commands that read weights or write results: safe loading (a malicious
pickle is refused and never runs), the registry's "default", and the data-safety rules of train-east
and detect (outputs checked before the work, no silent overwrite, unreadable images counted)."""
import numpy as np
import pytest
import torch

from textvision.checkpoint import load_checkpoint, save_checkpoint
from textvision.cli import main
from textvision.data import read_icdar2015
from textvision.io import write_image
from textvision.models.east import EAST, east, save_east


def _one_line_error(err: str, command: str) -> str:
    err = err.strip()
    assert "Traceback" not in err and "\n" not in err, err
    assert err.startswith(f"textvision {command}: error: "), err
    return err


@pytest.fixture
def tiny_ckpt(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "tiny.pt"
    save_east(path, EAST("tiny"), epoch=3)
    return path


def _images(folder, n=2, size=64):
    folder.mkdir()
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = folder / f"img_{i + 1}.png"
        write_image(p, rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
        paths.append(p)
    return paths


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if training starts: the checks under test must come before it."""
    import textvision.east.train as train

    def _fail(*a, **k):
        raise AssertionError("training started before the output / weights were checked")

    monkeypatch.setattr(train, "train_east", _fail)


# ------------------------------------------------------------------------------------------------
# library


def test_save_load_round_trip(tiny_ckpt):
    ckpt = load_checkpoint(tiny_ckpt)
    assert ckpt["kind"] == "east" and ckpt["format"] == "textvision" and ckpt["version"] >= 1
    assert ckpt["config"]["backbone"] == "tiny" and ckpt["epoch"] == 3
    torch.manual_seed(0)
    ref = EAST("tiny").eval()  # the same seed as the saved one: identical weights
    m = east(weights=tiny_ckpt)
    assert not m.training and m.backbone_name == "tiny"
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        a, b = m(x), ref(x)
    torch.testing.assert_close(a.score, b.score)
    torch.testing.assert_close(a.geometry, b.geometry)


def test_package_re_exports_the_one_saver_and_no_second_loader():
    import textvision.east as east_pkg
    import textvision.east.train as train

    assert east_pkg.save_east is save_east and train.save_east is save_east
    assert not hasattr(east_pkg, "load_east")  # the one loader is the builder, textvision.models.east


def test_legacy_checkpoint_without_format_loads(tmp_path):
    """Files written by the old save_east (no format/version fields, extras beside the weights)."""
    torch.manual_seed(1)
    model = EAST("tiny")
    path = tmp_path / "old.pt"
    torch.save({"kind": "east", "config": model.config(), "state_dict": model.state_dict(), "epoch": 2,
                "history": [{"epoch": 1, "loss": 0.5}], "train_config": {"scale_range": (0.5, 1.5)}}, path)
    m = east(weights=path)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(m.state_dict()[k], v)


def test_east_refuses_malicious_checkpoint(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused") as info:
        east(weights=path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert not marker.exists()


def test_backbone_weights_refuse_malicious_file(evil_checkpoint, tmp_path):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused"):
        east("resnet50", backbone_weights=path)
    assert not marker.exists()
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pth: not a torch checkpoint of the vgg16 backbone"):
        east("vgg16", backbone_weights=tmp_path / "junk.pth")
    with pytest.raises(ValueError, match="registered names are none"):
        east("resnet50", backbone_weights="default")  # no ResNet-50 weights are registered
    with pytest.raises(ValueError, match="not both"):
        east(weights="default", backbone_weights="craft")


def test_east_other_kinds_and_non_checkpoints(tmp_path):
    save_checkpoint(tmp_path / "fcn.pt", kind="text_fcn", state_dict={}, config={})
    with pytest.raises(ValueError, match="'text_fcn' checkpoint, expected 'east'"):
        east(weights=tmp_path / "fcn.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pt: "):
        east(weights=tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        east(weights=tmp_path / "missing.pt")
    # a config whose weights do not fit: one ValueError naming the file, not a RuntimeError wall
    save_checkpoint(tmp_path / "bad.pt", kind="east", state_dict=EAST("tiny").state_dict(),
                    config={"backbone": "tiny", "merge_channels": [8, 8, 8], "text_scale": 512.0})
    with pytest.raises(ValueError, match="bad.pt: the weights do not fit"):
        east(weights=tmp_path / "bad.pt")


def test_east_none_is_untrained_and_needs_an_arch():
    m = east("resnet50", weights=None)
    assert isinstance(m, EAST) and m.training and m.backbone_name == "resnet50"
    with pytest.raises(ValueError, match="needs arch"):
        east(weights=None)
    with pytest.raises(ValueError, match="must be one of"):
        east("resnet101")


def test_east_arch_is_read_from_the_checkpoint(tiny_ckpt):
    assert east(weights=tiny_ckpt).backbone_name == "tiny"
    assert east("tiny", tiny_ckpt).backbone_name == "tiny"
    with pytest.raises(ValueError, match="arch 'tiny', not 'vgg16'"):
        east("vgg16", tiny_ckpt)


def test_train_east_checks_out_before_training(tmp_path, monkeypatch):
    from textvision.east.train import EASTTrainConfig, train_east

    class _Boom(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise AssertionError("data read before the output was checked")

    cfg = EASTTrainConfig(backbone="tiny", input_size=64, batch_size=2, epochs=1, progress=False)
    existing = tmp_path / "east.pt"
    existing.write_bytes(b"a finished run")
    with pytest.raises(FileExistsError, match="resume=True"):
        train_east(cfg, _Boom(), out=str(existing))
    assert existing.read_bytes() == b"a finished run"
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="afile exists and is not a folder"):
        train_east(cfg, _Boom(), out=str(afile / "out.pt"))

    import textvision.io

    def _denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", _denied)  # a read-only folder (root ignores chmod)
    with pytest.raises(ValueError, match="cannot write .*Permission denied"):
        train_east(cfg, _Boom(), out=str(tmp_path / "ro" / "out.pt"))


# ------------------------------------------------------------------------------------------------
# CLI: weights


def test_detect_refuses_malicious_weights(evil_checkpoint, tmp_path, capsys):
    path, marker = evil_checkpoint
    imgs = _images(tmp_path / "imgs", 1)
    assert main(["detect", str(imgs[0]), "--model", str(path), "--out", str(tmp_path / "res")]) == 1
    assert "refused" in _one_line_error(capsys.readouterr().err, "detect")
    assert not marker.exists()


@pytest.mark.parametrize("flag", ["--init", "--backbone-weights"])
def test_train_east_refuses_malicious_weights(flag, evil_checkpoint, tmp_path, capsys, no_training):
    path, marker = evil_checkpoint
    backbone = "tiny" if flag == "--init" else "resnet50"
    assert main(["train-east", "--data", "synth:2:64", "--input-size", "64", "--backbone", backbone, flag, str(path),
                 "--out", str(tmp_path / "o.pt")]) == 1
    assert "refused" in _one_line_error(capsys.readouterr().err, "train-east")
    assert not marker.exists()


def test_train_east_augment_refuses_malicious_style_checkpoint(evil_checkpoint, tmp_path, capsys, no_training):
    path, marker = evil_checkpoint
    assert main(["train-east", "--data", "synth:2:64", "--input-size", "64", "--backbone", "tiny", "--augment",
                 str(path), "--out", str(tmp_path / "o.pt")]) == 1
    assert "refused" in _one_line_error(capsys.readouterr().err, "train-east")
    assert not marker.exists()


def test_train_east_resume_refuses_malicious_checkpoint(evil_checkpoint, capsys):
    path, marker = evil_checkpoint
    before = path.read_bytes()
    assert main(["train-east", "--data", "synth:2:64", "--input-size", "64", "--backbone", "tiny", "--epochs", "1",
                 "--no-progress", "--out", str(path), "--resume"]) == 1
    assert "refused" in _one_line_error(capsys.readouterr().err, "train-east")
    assert not marker.exists() and path.read_bytes() == before


# ------------------------------------------------------------------------------------------------
# CLI: data safety


def test_train_east_refuses_to_overwrite_without_resume(tmp_path, capsys, no_training):
    out = tmp_path / "east.pt"
    out.write_bytes(b"weeks of training")
    assert main(["train-east", "--data", "synth:2:64", "--backbone", "tiny", "--input-size", "64",
                 "--out", str(out)]) == 1
    err = _one_line_error(capsys.readouterr().err, "train-east")
    assert "exists" in err and "--resume" in err
    assert out.read_bytes() == b"weeks of training"
    out.unlink()
    best = tmp_path / "east.best.pt"  # the best-epoch file of that run would be overwritten too
    best.write_bytes(b"the best epoch")
    assert main(["train-east", "--data", "synth:2:64", "--backbone", "tiny", "--input-size", "64",
                 "--out", str(out)]) == 1
    assert "east.best.pt exists" in _one_line_error(capsys.readouterr().err, "train-east")
    assert best.read_bytes() == b"the best epoch"


def test_train_east_unwritable_out_fails_before_training(tmp_path, capsys, no_training):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["train-east", "--data", "synth:2:64", "--backbone", "tiny", "--input-size", "64",
                 "--out", str(afile / "east.pt")]) == 1
    assert "afile exists and is not a folder" in _one_line_error(capsys.readouterr().err, "train-east")


def test_train_east_init_must_match_backbone(tiny_ckpt, tmp_path, capsys, no_training):
    assert main(["train-east", "--data", "synth:2:64", "--backbone", "vgg16", "--input-size", "64",
                 "--init", str(tiny_ckpt), "--out", str(tmp_path / "o.pt")]) == 1
    assert "--backbone tiny" in _one_line_error(capsys.readouterr().err, "train-east")


def test_train_east_init_starts_from_the_weights(tiny_ckpt, tmp_path):
    from textvision.data.synth import SynthDataset
    from textvision.east.train import EASTTrainConfig, train_east

    cfg = EASTTrainConfig(backbone="tiny", init=str(tiny_ckpt), input_size=64, batch_size=2, epochs=1, lr=0.0,
                      progress=False, augment=False)
    model = train_east(cfg, SynthDataset(2, size=(64, 64), seed=0)).model
    start = east(weights=tiny_ckpt)
    for k, v in start.state_dict().items():
        if "running" in k or "num_batches" in k:  # BN statistics move even at lr 0
            continue
        torch.testing.assert_close(model.state_dict()[k], v, msg=k)


def test_detect_unwritable_out_fails_before_work(tiny_ckpt, tmp_path, capsys, monkeypatch):
    import importlib

    east_model = importlib.import_module("textvision.models.east")

    def _fail(*a, **k):
        raise AssertionError("the model was loaded before the output folder was checked")

    monkeypatch.setattr(east_model, "east", _fail)
    imgs = _images(tmp_path / "imgs", 1)
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["detect", str(imgs[0]), "--model", str(tiny_ckpt), "--out", str(afile / "res")]) == 1
    assert "afile" in _one_line_error(capsys.readouterr().err, "detect")


def test_detect_unreadable_image_is_reported_and_counted(tiny_ckpt, tmp_path, capsys):
    imgs = _images(tmp_path / "imgs", 3)
    bad = imgs[1].with_name("img_2.jpg")
    imgs[1].unlink()
    bad.write_bytes(b"\xff\xd8 this is no jpeg")
    res = tmp_path / "res"
    rc = main(["detect", str(tmp_path / "imgs"), "--model", str(tiny_ckpt), "--out", str(res),
               "--max-side", "64", "--score-threshold", "0.0", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1
    # the others were processed, before and after the bad one
    for stem in ("img_1", "img_3"):
        assert isinstance(read_icdar2015(res / f"res_{stem}.txt"), list)
    assert not (res / "res_img_2.txt").exists()
    assert "img_2.jpg" in captured.err and "1 of 3 image(s)" in captured.err
    assert "2 image(s)" in captured.out


def test_detect_refuses_two_inputs_with_one_result_name(tiny_ckpt, tmp_path, capsys):
    a = _images(tmp_path / "a", 1)[0]
    b = _images(tmp_path / "b", 1)[0]
    assert main(["detect", str(a), str(b), "--model", str(tiny_ckpt), "--out", str(tmp_path / "res")]) == 1
    assert "res_img_1.txt" in _one_line_error(capsys.readouterr().err, "detect")
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("extra, match", [
    (["--backbone", "tiny", "--freeze-stages", "1"], "--freeze-stages 1: freezing is supported for the vgg16bn_lite"),
    (["--backbone", "vgg16bn_lite", "--freeze-stages", "5"], "--freeze-stages 5: stages must be in 0..4"),
])
def test_train_east_freeze_stages_checked_before_training(extra, match, tmp_path, capsys, no_training):
    assert main(["train-east", "--data", "synth:2:64", "--input-size", "64", "--epochs", "1", "--no-progress",
                 "--out", str(tmp_path / "e.pt"), *extra]) == 1
    assert match in _one_line_error(capsys.readouterr().err, "train-east")
    assert not (tmp_path / "e.pt").exists()


def test_train_east_mixed_spec_with_photos_and_fonts(tmp_path, capsys):
    """The new --data parts through the CLI: generated scenes + synthetic words on photos, a tiny run."""
    bg = tmp_path / "bg"
    bg.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        write_image(bg / f"b{i}.png", rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))
    out = tmp_path / "e.pt"
    assert main(["train-east", "--data", f"synth:2:64+photos:{bg}*2", "--val", f"photos:{bg}", "--synth-n", "2",
                 "--synth-size", "64", "--backbone", "tiny", "--input-size", "64", "--batch-size", "2", "--epochs",
                 "1", "--val-max-side", "64", "--no-progress", "--out", str(out)]) == 0
    ckpt = load_checkpoint(out, "east")
    assert ckpt["epoch"] == 1 and "hmean" in ckpt["history"][0]
    assert "saved" in capsys.readouterr().out
