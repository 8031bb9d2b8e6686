"""Issue 14 in textvision.data: no import cycle, one image reader, MalformedGroundTruth hints, and
`synth` checking its output before rendering."""
import ast
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import textvision.data as data
import textvision.data.datasets as datasets
import textvision.data.synth as synth
from textvision.cli import main
from textvision.data import MalformedGroundTruth, read_icdar2013, read_icdar2015
from textvision.io import read_rgb, write_image


def _imported_modules(path: Path):
    """Every module a source file imports, at module level or inside functions."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_synth_does_not_import_datasets():
    """datasets -> synth only: synth.py never imports datasets (the old lazy back-edge was a cycle)."""
    assert "textvision.data.datasets" not in set(_imported_modules(Path(synth.__file__)))
    assert "textvision.data.synth" in set(_imported_modules(Path(datasets.__file__)))


def test_importing_synth_stays_light():
    code = ("import sys, textvision.data.synth as s; s.SynthDataset(1, size=(32, 32))[0]; "
            "print('torch' in sys.modules, 'textvision.data.datasets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_synth_dataset_is_one_class_everywhere():
    assert data.SynthDataset is synth.SynthDataset is datasets.SynthDataset
    ds = synth.SynthDataset(2, size=(48, 64), seed=3)
    both = ds + synth.SynthDataset(1, size=(48, 64), seed=4)
    assert len(both) == 3
    np.testing.assert_array_equal(both[2]["image"], synth.render_scene((4, 0), (48, 64)).image)


def test_read_image_is_the_one_reader():
    assert data.read_image is read_rgb and datasets.read_image is read_rgb


def test_backgrounds_are_read_with_read_rgb(tmp_path):
    rng = np.random.default_rng(0)
    bg = rng.integers(0, 256, (80, 90, 3), dtype=np.uint8)
    grey = tmp_path / "bg.png"
    write_image(grey, bg[..., 0])  # a grey file: read as 3 equal channels, as read_rgb does
    kw = dict(size=(64, 64), backgrounds=[grey])
    from_path = synth.render_scene(5, **kw)
    from_array = synth.render_scene(5, size=(64, 64), backgrounds=[read_rgb(grey)])
    np.testing.assert_array_equal(from_path.image, from_array.image)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"no image")
    with pytest.raises(ValueError, match="bad.jpg"):
        for seed in range(20):  # the background is used with probability 0.85 per scene
            synth.render_scene(seed, size=(32, 32), backgrounds=[bad])


def test_malformed_ground_truth_names_the_library_flag_and_can_be_reworded(tmp_path):
    p = tmp_path / "gt_img_1.txt"
    p.write_text("0,0,10,0,10,10,0,10,ok\n1,2,3\n")
    with pytest.raises(MalformedGroundTruth, match=r"gt_img_1\.txt:2: .*\(pass strict=False") as info:
        read_icdar2015(p)
    exc = info.value
    assert isinstance(exc, ValueError)
    cli = exc.with_hint("pass --lenient to skip malformed lines")
    assert str(cli) == f"{exc.detail} (pass --lenient to skip malformed lines)" and "strict=False" not in str(cli)
    again = pickle.loads(pickle.dumps(cli))  # DataLoader workers send exceptions between processes
    assert type(again) is MalformedGroundTruth and str(again) == str(cli)
    p13 = tmp_path / "gt_2.txt"
    p13.write_text("10 10 5 20 \"w\"\n")
    with pytest.raises(MalformedGroundTruth, match="xmax < xmin"):
        read_icdar2013(p13)


def test_write_synth_dataset_checks_output_before_rendering(tmp_path, monkeypatch):
    from textvision.data.synth_writer import write_synth_dataset

    def _fail(*a, **k):
        raise AssertionError("rendering started before the output was checked")

    monkeypatch.setattr(synth, "render_scene", _fail)
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="afile"):
        write_synth_dataset(afile / "out", 2, size=(32, 32), workers=1)

    import textvision.io

    def _denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", _denied)
    with pytest.raises(ValueError, match="cannot write .*Permission denied"):
        write_synth_dataset(tmp_path / "ro", 2, size=(32, 32), workers=1)


def test_synth_cli_unwritable_output_is_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["synth", "--out", str(afile / "ds"), "--n", "1", "--size", "32x32", "--workers", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textvision synth: error: ") and "\n" not in err and "afile" in err


def test_synth_writes_readable_files(tmp_path):
    from textvision.data.synth_writer import write_synth_dataset

    stats = write_synth_dataset(tmp_path / "ds", 2, size=(48, 48), seed=0, fmt="png", workers=1)
    assert stats.written == 2
    scene = synth.render_scene((0, 1), (48, 48))
    np.testing.assert_array_equal(read_rgb(tmp_path / "ds" / "images" / "img_2.png"), scene.image)  # lossless
    mask = read_rgb(tmp_path / "ds" / "masks" / "img_2.png")[..., 0]
    np.testing.assert_array_equal(mask, scene.mask * 255)
    assert len(read_icdar2015(tmp_path / "ds" / "gt" / "gt_img_2.txt")) == len(scene.instances)
