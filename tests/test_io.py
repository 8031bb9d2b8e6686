"""textvision.io, textvision._validate, textvision.checkpoint, textvision.weights: the shared pieces."""
import os
import stat

import numpy as np
import pytest
import torch

from textvision import _validate, io
from textvision.checkpoint import load_checkpoint, save_checkpoint
from textvision.weights import REGISTRY, get_entry, list_weights, resolve


def _png(path, img):
    import cv2

    assert cv2.imwrite(str(path), img)
    return path


# ------------------------------------------------------------------------------------------------ io
def test_read_rgb_converts_grey_rgba_16bit_and_bgr(tmp_path):
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's order
    assert io.read_rgb(_png(tmp_path / "c.png", bgr))[0, 0].tolist() == [0, 0, 200]
    grey = np.full((4, 5), 77, np.uint8)
    assert io.read_rgb(_png(tmp_path / "g.png", grey)).shape == (4, 5, 3)
    bgra = np.zeros((4, 5, 4), np.uint8)
    bgra[..., 2] = 90
    bgra[..., 3] = 10
    rgb = io.read_rgb(_png(tmp_path / "a.png", bgra))
    assert rgb.shape == (4, 5, 3) and rgb[0, 0].tolist() == [90, 0, 0]
    deep = np.full((3, 3), 65535, np.uint16)
    assert io.read_rgb(_png(tmp_path / "d.png", deep)).dtype == np.uint8


def test_read_rgb_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        io.read_rgb(tmp_path / "nope.png")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.jpg"):
        io.read_rgb(tmp_path / "empty.jpg")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match="text.png"):
        io.read_rgb(tmp_path / "text.png")


def test_truncated_jpeg_decodes_with_a_warning_naming_it(tmp_path, caplog):
    import cv2

    img = (np.arange(64 * 64 * 3) % 251).astype(np.uint8).reshape(64, 64, 3)
    ok, buf = cv2.imencode(".jpg", img)
    (tmp_path / "cut.jpg").write_bytes(buf.tobytes()[: len(buf) * 2 // 3])
    with caplog.at_level("WARNING", logger="textvision.io"):
        out = io.read_rgb(tmp_path / "cut.jpg")
    assert out.shape == (64, 64, 3)
    assert any("cut.jpg" in r.getMessage() and "truncated" in r.getMessage() for r in caplog.records)
    caplog.clear()
    (tmp_path / "whole.jpg").write_bytes(buf.tobytes())
    with caplog.at_level("WARNING", logger="textvision.io"):
        io.read_rgb(tmp_path / "whole.jpg")
    assert not caplog.records


def test_exif_orientation_is_ignored(tmp_path):
    from PIL import Image

    img = np.zeros((10, 20, 3), np.uint8)
    img[:, :10] = 255
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # rotate 90 on display
    pil.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    assert io.read_rgb(tmp_path / "rot.jpg").shape == (10, 20, 3)  # stored grid, as the gt refers to it


def test_write_image_round_trip_is_atomic_and_honours_umask(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (6, 7, 3), dtype=np.uint8)
    old = os.umask(0o022)
    try:
        path = io.write_image(tmp_path / "x.png", img)
    finally:
        os.umask(old)
    assert np.array_equal(io.read_rgb(path), img)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary left


def test_atomic_write_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "gt.txt"
    target.write_text("old")

    def fail_midway(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        io.atomic_write(target, fail_midway)
    assert target.read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(io.TEMP_PREFIX)]


@pytest.mark.parametrize("name", ["out", "out.xyz", "sub"])
def test_write_image_refuses_bad_names_before_work(tmp_path, name):
    (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError):
        io.check_image_suffix(tmp_path / name)


def test_check_output_dir_refuses_unwritable(tmp_path, monkeypatch):
    # Root writes into 0500 folders, so the refusal of the file system is simulated where it happens.
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(io.tempfile, "mkstemp", refuse)
    with pytest.raises(ValueError, match="cannot write to output folder .*ro: Permission denied"):
        io.check_output_dir(tmp_path / "ro")


def test_check_output_dir_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        io.check_output_dir(tmp_path / "f")


def test_list_images(tmp_path):
    _png(tmp_path / "b.png", np.zeros((2, 2), np.uint8))
    _png(tmp_path / "a.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in io.list_images(tmp_path)] == ["a.png", "b.png"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no image"):
        io.list_images(tmp_path / "empty")


# ------------------------------------------------------------------------------------------------ validators
def test_image_validator_rules():
    grey = np.zeros((3, 4), np.uint8)
    assert _validate.image_rgb(grey).shape == (3, 4, 3)
    assert _validate.image_rgb(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)
    rgb = np.zeros((3, 4, 3), np.uint8)
    assert _validate.image_rgb(rgb) is rgb  # fits already: no copy
    assert _validate.image_rgb(torch.zeros(3, 4, 3, dtype=torch.uint8)).shape == (3, 4, 3)
    np.testing.assert_array_equal(_validate.image_rgb(np.full((3, 4, 3), 1.0, np.float32)), 255)
    with pytest.raises(TypeError, match="f: image must be uint8, uint16 or float32/float64 in \\[0, 1\\], got dtype int32"):
        _validate.image_rgb(np.zeros((3, 4, 3), np.int32), who="f")
    with pytest.raises(TypeError, match="int32"):  # same rule for tensors as for arrays
        _validate.image_rgb(torch.zeros(3, 4, 3, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _validate.image_rgb(torch.full((3, 4, 3), 2.0))
    with pytest.raises(ValueError, match="HxWx3"):
        _validate.image_rgb(np.zeros((3, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="at least 1x1"):
        _validate.image_rgb(np.zeros((0, 9, 3), np.uint8))
    with pytest.raises(TypeError, match="NumPy array"):
        _validate.image_rgb([[1, 2]])


def test_heatmap_validator_rules():
    hm = np.full((3, 4), 0.5, np.float32)
    assert _validate.heatmap(hm, (3, 4)) is hm
    assert _validate.heatmap(hm.astype(np.float64), (3, 4)).dtype == np.float32
    with pytest.raises(ValueError, match="size"):
        _validate.heatmap(hm, (4, 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _validate.heatmap(hm * 3, (3, 4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _validate.heatmap(np.full((3, 4), np.nan, np.float32))
    with pytest.raises(TypeError, match="255"):
        _validate.heatmap(np.zeros((3, 4), np.uint8))


def test_box_and_quad_validators():
    assert _validate.boxes(np.zeros((0,))).shape == (0, 4)
    assert _validate.boxes([[0, 0, 2, 3]] * 1 and np.array([[0, 0, 2, 3]])).dtype == np.float32
    with pytest.raises(ValueError, match="x2 >= x1"):
        _validate.boxes(np.array([[5, 0, 2, 3]]))
    assert _validate.quads(np.zeros((2, 8))).shape == (2, 4, 2)
    with pytest.raises(ValueError, match="finite"):
        _validate.quads(np.full((1, 4, 2), np.inf))


# ------------------------------------------------------------------------------------------------ checkpoints
def test_checkpoint_round_trip_strips_ddp_prefix(tmp_path):
    net = torch.nn.Linear(2, 3)
    sd = {"module." + k: v for k, v in net.state_dict().items()}
    path = save_checkpoint(tmp_path / "m.pt", kind="thing", state_dict=sd, config={"a": 1}, step=7)
    ckpt = load_checkpoint(path, "thing")
    assert ckpt["version"] == 1 and ckpt["step"] == 7 and ckpt["config"] == {"a": 1}
    assert sorted(ckpt["state_dict"]) == ["bias", "weight"]
    assert torch.equal(ckpt["state_dict"]["weight"], net.weight)
    with pytest.raises(ValueError, match="'thing' checkpoint, expected 'east'"):
        load_checkpoint(path, "east")


def test_malicious_checkpoint_is_refused_and_never_runs(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused") as exc:
        load_checkpoint(path)
    assert "\n" not in str(exc.value)
    assert not marker.exists()


def test_non_checkpoint_files(tmp_path):
    (tmp_path / "a.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a torch checkpoint"):
        load_checkpoint(tmp_path / "a.pt")
    torch.save([1, 2], tmp_path / "b.pt")
    with pytest.raises(ValueError, match="not a textvision checkpoint"):
        load_checkpoint(tmp_path / "b.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "c.pt")


# ------------------------------------------------------------------------------------------------ registry
def test_registry_shipped_files_match_their_entries():
    for e in list_weights():
        assert e.name in REGISTRY and e.provenance and e.licence and e.purpose
        if e.shipped:
            path = resolve(e.name, e.model)
            assert path.stat().st_size == e.size


def test_registry_names_and_paths(tmp_path):
    assert resolve(None, "text_fcn") is None
    assert resolve("default", "text_fcn") == resolve("text_fcn_ic15", "text_fcn")
    assert resolve("real", "text_fcn") == resolve("text_fcn_lite_real", "text_fcn")
    assert resolve("default", "ranker") == resolve("ranker_ic15", "ranker")
    assert resolve("synth", "text_fcn") == resolve("text_fcn_lite_synth", "text_fcn")
    with pytest.raises(ValueError, match="registered names are"):
        resolve("nonesuch", "text_fcn")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        resolve(str(tmp_path / "missing.pt"), "text_fcn")
    (tmp_path / "w.pt").write_bytes(b"x")
    assert resolve(tmp_path / "w.pt", "text_fcn") == tmp_path / "w.pt"


def test_checksum_mismatch_names_the_file(tmp_path, monkeypatch):
    import dataclasses

    from textvision import weights

    e = get_entry("default", "text_fcn")
    bad = tmp_path / e.file
    data = bytearray((weights._HERE / e.file).read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(weights, "_HERE", tmp_path)
    with pytest.raises(ValueError, match="checksum mismatch.*text_fcn_ic15"):
        resolve("default", "text_fcn")
    fake = dataclasses.replace(e, name="x", package="textvision_no_such_pkg", pip="pip install nothing")
    monkeypatch.setattr(weights, "_ENTRIES", (fake,))
    with pytest.raises(FileNotFoundError, match="pip install nothing"):
        resolve("x", "text_fcn")


def test_cli_weights_lists_registry(capsys):
    from textvision.cli import main

    assert main(["weights"]) == 0
    out = capsys.readouterr().out
    for name in ("text_fcn_lite_synth", "craft_mlt_25k", "vgg16_hed"):
        assert name in out


def test_export_weights_drops_training_state_and_loads_alike(tmp_path, capsys):
    from textvision.checkpoint import export_weights
    from textvision.cli import main
    from textvision.models.east import EAST, east, save_east

    torch.manual_seed(0)
    model = EAST("tiny")
    opt = torch.optim.Adam(model.parameters())
    model(torch.rand(1, 3, 64, 64)).score.mean().backward()
    opt.step()
    src = tmp_path / "run.pt"
    save_east(src, model, optimizer=opt.state_dict(), scheduler={"last_epoch": 3}, epoch=3, history=[{"loss": 1.0}])
    before = src.read_bytes()
    out = export_weights(src, tmp_path / "ship.pt")
    ckpt = load_checkpoint(out, "east")
    assert "optimizer" not in ckpt and "scheduler" not in ckpt
    assert ckpt["epoch"] == 3 and ckpt["history"] == [{"loss": 1.0}]
    assert out.stat().st_size < 0.6 * src.stat().st_size and src.read_bytes() == before
    a, b = east(weights=src), east(weights=out)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match="is the input checkpoint"):
        export_weights(src, src)
    # CLI: refuses to overwrite without --force, prints size and checksum
    assert main(["export-weights", str(src), str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["export-weights", str(src), str(out), "--force"]) == 0
    assert "sha256" in capsys.readouterr().out


def test_export_weights_half_loads_into_float32_models(tmp_path, capsys):
    """--half stores float16 (about half the file); the loaded model is float32 and equals the original's
    weights rounded to float16; a tensor float16 cannot hold stays float32."""
    from textvision.checkpoint import export_weights
    from textvision.cli import main
    from textvision.models.east import EAST, east, save_east

    torch.manual_seed(0)
    model = EAST("tiny")
    with torch.no_grad():
        model.score_head.bias.fill_(1e5)  # above float16's range: kept float32
    src = tmp_path / "run.pt"
    save_east(src, model, epoch=1)
    out = export_weights(src, tmp_path / "half.pt", half=True)
    full = export_weights(src, tmp_path / "full.pt")
    assert out.stat().st_size < 0.6 * full.stat().st_size
    state = load_checkpoint(out, "east")["state_dict"]
    assert state["score_head.bias"].dtype == torch.float32 and state["score_head.weight"].dtype == torch.float16
    loaded = east(weights=out)
    for k, v in model.state_dict().items():
        w = loaded.state_dict()[k]
        assert w.dtype == v.dtype, k
        expect = v if state[k].dtype != torch.float16 else v.half().float()
        assert torch.equal(w, expect), k
    assert main(["export-weights", str(src), str(tmp_path / "cli.pt"), "--half"]) == 0
    assert "sha256" in capsys.readouterr().out


def test_export_weights_refuses_malicious_checkpoint(evil_checkpoint, tmp_path):
    from textvision.checkpoint import export_weights

    path, marker = evil_checkpoint
    with pytest.raises(ValueError, match="refused"):
        export_weights(path, tmp_path / "out.pt")
    assert not marker.exists() and not (tmp_path / "out.pt").exists()
