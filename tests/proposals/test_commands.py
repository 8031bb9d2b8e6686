"""CLI: propose (CSV / JSON, --heatmap, --viz), train-ranker, bench proposals and the demo."""
import json

import cv2
import numpy as np
import pytest

from textvision.cli import main
from textvision.data import instances_to_masks, write_icdar2015
from textvision.data.synth import render_scene


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    d = tmp_path_factory.mktemp("scene")
    sc = render_scene(21, size=(200, 320), text_free_prob=0.0, max_lines=3)
    cv2.imwrite(str(d / "img.png"), cv2.cvtColor(sc.image, cv2.COLOR_RGB2BGR))
    hm = instances_to_masks(sc.instances, sc.image.shape[:2])[0] * 255
    cv2.imwrite(str(d / "heat.png"), hm)
    write_icdar2015(d / "gt.txt", sc.instances)
    return d, sc


def test_propose_csv_json_and_viz(scene, tmp_path):
    d, sc = scene
    assert main(["propose", str(d / "img.png"), "--heatmap", str(d / "heat.png"), "--top", "30",
                 "--out", str(tmp_path / "p.csv"), "--viz", str(tmp_path / "v.png")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "image,rank,x1,y1,x2,y2,score" and len(lines) == 31
    assert cv2.imread(str(tmp_path / "v.png")).shape == sc.image.shape
    assert main(["propose", str(d / "img.png"), "--out", str(tmp_path / "p.json"), "--ranker", "default"]) == 0
    data = json.loads((tmp_path / "p.json").read_text())
    assert len(data) == 1 and np.asarray(data[0]["boxes"]).shape[1] == 4
    assert data[0]["stats"]["proposals"] == len(data[0]["boxes"])


def test_propose_errors(scene, tmp_path, capsys):
    d, _ = scene
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.zeros((10, 10), np.uint8))
    assert main(["propose", str(d / "img.png"), "--heatmap", str(small), "--out", str(tmp_path / "p.csv")]) == 1
    assert "heatmap" in capsys.readouterr().err
    assert main(["propose", str(d / "img.png"), "--out", str(tmp_path / "p.txt")]) == 1
    assert main(["propose", str(tmp_path / "missing.png"), "--out", str(tmp_path / "p.csv")]) == 1


def test_train_ranker_and_bench(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["train-ranker", "--num-images", "2", "--size", "160x240", "--stumps", "5", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert len(data["feature"]) == 5 and data["meta"]["command"].startswith("textvision train-ranker")
    assert main(["bench", "proposals", "-n", "2", "--size", "160x240", "--json", str(tmp_path / "b.json")]) == 0
    table = capsys.readouterr().out
    assert "| baseline | none |" in table and "pruned pixels + rerank | oracle" in table
    rows = json.loads((tmp_path / "b.json").read_text())
    assert {r["method"] for r in rows} >= {"baseline", "pruned pixels + rerank"}


def test_demo_on_an_image_with_gt(scene, tmp_path, capsys):
    d, sc = scene
    assert main(["demo", "--image", str(d / "img.png"), "--gt", str(d / "gt.txt"), "--heatmap-source", "oracle",
                 "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "pruned + re-ranked by the map" in out and "DR@100" in out
    pic = cv2.imread(str(tmp_path / "demo" / "proposals.png"))
    assert pic.shape[0] == sc.image.shape[0] and pic.shape[1] == 2 * sc.image.shape[1] + 8
    table = json.loads((tmp_path / "demo" / "table.json").read_text())
    assert table["heatmap"] == "oracle" and len(table["rows"]) == 2
