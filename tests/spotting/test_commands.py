"""CLI: textvision read (JSON, ICDAR results, overlay, output policy) and textvision bench spotting."""
import json

import cv2
import numpy as np
import pytest

from textvision import weights as registry
from textvision.cli import main
from textvision.data import read_icdar2015, write_icdar2015
from textvision.data.synth import render_scene


@pytest.fixture(autouse=True)
def _needs_weights():
    entry = registry.REGISTRY["english_g2"]
    if registry.entry_path(entry) is None:
        pytest.skip(f"english_g2 weights not installed (package {entry.package!r}): {entry.pip}")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("photos")
    img = np.full((160, 420, 3), (235, 230, 225), np.uint8)  # BGR on disk
    cv2.putText(img, "Hello", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 30), 4, cv2.LINE_AA)
    cv2.imwrite(str(d / "words.png"), img)
    cv2.imwrite(str(d / "blank.png"), np.full((96, 128, 3), 128, np.uint8))
    return d


def test_read_writes_json_results_and_overlay(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["read", str(photos), "--out", str(out), "--overlay"]) == 0
    assert "2 image(s)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["blank_read.jpg", "blank_words.json", "res_blank.txt",
                                                    "res_words.txt", "words_read.jpg", "words_words.json"]
    blank = json.loads((out / "blank_words.json").read_text())
    assert blank["words"] == [] and blank["size"] == [128, 96] and blank["source"] == "east"
    doc = json.loads((out / "words_words.json").read_text())
    for w in doc["words"]:
        assert set(w) == {"quad", "text", "detection_confidence", "recognition_confidence"} and w["text"]
        assert np.asarray(w["quad"]).shape == (4, 2)
    res = read_icdar2015(out / "res_words.txt")
    assert [r.text for r in res] == [w["text"] for w in doc["words"]]
    assert cv2.imread(str(out / "words_read.jpg")).shape == (160, 420, 3)


def test_read_proposals_and_lexicon(photos, tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("HELL0\nWorld\n")
    out = tmp_path / "out"
    assert main(["read", str(photos / "words.png"), "--out", str(out), "--proposals", "--top", "200",
                 "--lexicon", str(lex), "--max-distance", "1"]) == 0
    doc = json.loads((out / "words_words.json").read_text())
    assert doc["source"] == "textvision.propose" and "HELL0" in [w["text"] for w in doc["words"]]


def test_read_output_policy_and_errors(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["read", str(photos / "blank.png"), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["read", str(photos / "blank.png"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision read: error:") and "--force" in err and err.count("\n") == 1
    (out / "notes.txt").write_text("mine")
    assert main(["read", str(photos / "words.png"), "--out", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "res_words.txt", "words_words.json"]
    capsys.readouterr()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["read", str(empty), "--out", str(tmp_path / "o2")]) == 1
    assert "holds no image" in capsys.readouterr().err and not (tmp_path / "o2").exists()
    (tmp_path / "nothing.txt").write_text("\n")
    assert main(["read", str(photos), "--out", str(tmp_path / "o3"), "--lexicon", str(tmp_path / "nothing.txt")]) == 1
    assert "holds no word" in capsys.readouterr().err
    assert main(["read", str(photos), "--out", str(tmp_path / "o4"), "--model", "latin_g2"]) == 1
    assert "unknown recognizer weights 'latin_g2'" in capsys.readouterr().err
    broken = tmp_path / "in"
    broken.mkdir()
    (broken / "bad.jpg").write_text("not an image")
    cv2.imwrite(str(broken / "ok.png"), np.full((64, 64, 3), 200, np.uint8))
    assert main(["read", str(broken), "--out", str(tmp_path / "o5"), "--no-progress"]) == 1
    assert "1 of 2 image(s) could not be read" in capsys.readouterr().err
    assert (tmp_path / "o5" / "ok_words.json").is_file()


def test_bench_spotting(tmp_path, capsys):
    data = tmp_path / "ic"
    data.mkdir()
    sc = render_scene(7, size=(128, 256), text_free_prob=0.0, max_lines=2, max_angle=0.0)
    cv2.imwrite(str(data / "img_1.png"), cv2.cvtColor(sc.image, cv2.COLOR_RGB2BGR))
    write_icdar2015(data / "gt_img_1.txt", sc.instances)
    out = tmp_path / "b.json"
    assert main(["bench", "spotting", "--data", str(data), "--read-fraction", "0.2", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| TextProposals() |" in table and "| textvision.propose |" in table and "(est.)" in table
    rows = json.loads(out.read_text())["rows"]
    assert [r["method"] for r in rows] == ["TextProposals()", "textvision.propose"]
    for r in rows:
        assert r["images"] == 1 and r["proposals"] > 0 and r["recognizer_s"] > 0 and r["recognizer_estimated"]
        assert 0.0 <= r["recall"]["None"] <= r["detection_rate"]["None"] <= 1.0
    assert main(["bench", "spotting", "--data", str(data), "--json", str(out)]) == 1  # --json exists
    assert "--force" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "spotting", "--data", str(data), "--read-fraction", "0"])
