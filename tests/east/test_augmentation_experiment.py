"""``examples/augmentation_experiment.py`` end to end on tiny settings: generated training scenes, a
written ICDAR 2015-layout test folder, the shipped style model, two conditions x two seeds."""
import importlib.util
import json
import os

import numpy as np

from textvision.data import write_icdar2015
from textvision.data.synth import render_scene
from textvision.io import write_image

_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "augmentation_experiment.py")


def test_runs_end_to_end(tmp_path, capsys):
    test = tmp_path / "test"
    (test / "gt").mkdir(parents=True)
    for i in range(2):
        scene = render_scene(100 + i, (96, 128))
        write_image(test / f"p{i}.jpg", scene.image)
        write_icdar2015(test / "gt" / f"gt_p{i}.txt", scene.instances)
    spec = importlib.util.spec_from_file_location("augmentation_experiment", _SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "res.json"
    argv = ["--data", "synth:3:64", "--test", str(test), "--ks", "0", "1", "--seeds", "0", "1", "--steps", "2",
            "--batch-size", "2", "--input-size", "64", "--max-side", "64", "--test-max-side", "128",
            "--cache", str(tmp_path / "cache"), "--no-progress", "--out", str(out)]
    assert mod.main(argv) == 0
    res = json.loads(out.read_text())
    rows = {r["styles_per_image"]: r for r in res["rows"]}
    assert rows[0]["train_images"] == 3 and rows[1]["train_images"] == 6
    assert [s["seed"] for s in rows[1]["per_seed"]] == [0, 1]
    assert all(0.0 <= r["hmean"] <= 1.0 and r["hmean_std"] >= 0.0 for r in rows.values())
    cached = sorted(os.listdir(tmp_path / "cache" / "restyled"))
    assert len(cached) == 3 and all(p.endswith(".png") for p in cached)  # one restyled copy per image, kept
    assert "styles/img" in capsys.readouterr().out
    # a second run reuses the restyled images instead of restyling again
    before = {p: os.path.getmtime(tmp_path / "cache" / "restyled" / p) for p in cached}
    assert mod.main(argv[:-1] + [str(tmp_path / "res2.json")]) == 0
    assert before == {p: os.path.getmtime(tmp_path / "cache" / "restyled" / p) for p in cached}
    assert np.isfinite(json.loads((tmp_path / "res2.json").read_text())["rows"][1]["hmean"])


def test_icdar2015_folder_trains_outside_and_scores_on_the_validation_split(tmp_path, capsys):
    """--data icdar2015:DIR trains on the images outside img_901-img_1000, --test icdar2015:DIR scores on them."""
    folder = tmp_path / "ic15"
    folder.mkdir()
    for k, stem in enumerate(("img_1", "img_2", "img_901")):
        scene = render_scene(200 + k, (96, 128))
        write_image(folder / f"{stem}.jpg", scene.image)
        write_icdar2015(folder / f"gt_{stem}.txt", scene.instances)
    spec = importlib.util.spec_from_file_location("augmentation_experiment", _SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "res.json"
    argv = ["--data", f"icdar2015:{folder}", "--test", f"icdar2015:{folder}", "--ks", "0", "--seeds", "0",
            "--steps", "1", "--batch-size", "2", "--input-size", "64", "--max-side", "64", "--test-max-side", "128",
            "--text-crop", "0.5", "--colour", "--rotate", "5", "--bf16", "--no-progress", "--out", str(out)]
    assert mod.main(argv) == 0
    res = json.loads(out.read_text())
    assert res["test_photos"] == 1 and res["rows"][0]["train_images"] == 2
    assert "training images: 2" in capsys.readouterr().out
