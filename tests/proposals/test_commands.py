"""CLI: propose (CSV / JSON, --heatmap, --viz), train-ranker, bench proposals and the demo."""
import json
from pathlib import Path

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
    hm = instances_to_masks(sc.instances, sc.image.shape[:2]).text * 255
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
    assert main(["bench", "proposals", "-n", "2", "--size", "160x240", "--heatmap-source", "oracle",
                 "--json", str(tmp_path / "b.json")]) == 0
    table = capsys.readouterr().out
    assert "| baseline | none |" in table and "pruned pixels + rerank | oracle" in table
    rows = json.loads((tmp_path / "b.json").read_text())
    assert {r["method"] for r in rows} >= {"baseline", "pruned pixels + rerank"}


def test_train_ranker_on_a_mixed_spec_records_its_command(tmp_path, capsys):
    from textvision import io

    bg = tmp_path / "bg wall"  # a space: the recorded command must quote it
    io.write_image(bg / "wall.png", np.full((200, 300, 3), (30, 120, 200), np.uint8))
    out = tmp_path / "r.json"
    assert main(["train-ranker", "--data", f"synth+photos:{bg}*2", "--synth-n", "2", "--size", "120x160",
                 "--stumps", "4", "--balance", "image", "--out", str(out)]) == 0
    meta = json.loads(out.read_text())["meta"]
    assert meta["images"] == 4 and meta["balance"] == "image" and meta["seconds"] >= 0
    assert meta["command"] == (f"textvision train-ranker --data 'synth+photos:{bg}*2' --synth-n 2 --size 120x160 "
                               f"--seed 0 --stumps 4 --balance image")
    assert "from 4 images" in capsys.readouterr().out
    assert main(["train-ranker", "--data", "photos:", "--out", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision train-ranker: error: ") and "photos:DIR" in err and err.count("\n") == 1
    assert main(["train-ranker", "--fonts", str(tmp_path), "--out", str(tmp_path / "x.json")]) == 1
    assert "no TrueType/OpenType face" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_bench_rankers_table_beside_the_headline(tmp_path, capsys):
    """--rankers: one row per ranker and map setting on the same proposals; the rows of the plain NFA score
    and of the default ranker with the map are the headline's two methods."""
    from textvision.weights import resolve

    _opencv_layout(tmp_path / "photos")
    path = resolve("default", "ranker")
    assert main(["bench", "proposals", "--data", str(tmp_path / "photos"), "--rankers", f"nfa,default,{path}",
                 "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "| baseline TextProposals() |" in out and "| ranker | map | DR@10 |" in out
    assert f"| {path.name} | TextFCN |" in out
    data = json.loads((tmp_path / "b.json").read_text())
    head = {r["method"]: r for r in data["headline"]}
    ranked = {(r["ranker"], r["map"]): r for r in data["rankers"]}
    assert len(ranked) == 6
    assert ranked[("nfa", "none")]["dr"] == head["baseline TextProposals()"]["dr"]
    assert ranked[("default", "TextFCN")]["dr"] == head["textvision.propose"]["dr"]
    assert ranked[(path.name, "TextFCN")]["dr"] == ranked[("default", "TextFCN")]["dr"]
    assert ranked[("nfa", "TextFCN")]["proposals"] == head["textvision.propose"]["proposals"]


def test_bench_rankers_errors_before_work(tmp_path, capsys, monkeypatch):
    import textvision.proposals.compare as compare

    monkeypatch.setattr(compare, "run_headline", lambda *a, **k: pytest.fail("work started"))
    monkeypatch.setattr(compare, "run_methods", lambda *a, **k: pytest.fail("work started"))
    for rankers, match in (("nfa,nope", "unknown ranker weights 'nope'"), ("nfa,,default", "empty name"),
                           ("nfa,nfa", "given twice"), (str(tmp_path / "x.json"), "not found")):
        assert main(["bench", "proposals", "-n", "1", "--size", "96x128", "--rankers", rankers]) == 1
        assert match in capsys.readouterr().err
    assert main(["bench", "proposals", "-n", "1", "--size", "96x128", "--rankers", "nfa",
                 "--heatmap-source", "oracle"]) == 1
    assert "leave out --heatmap-source" in capsys.readouterr().err


def test_bench_threads_row(tmp_path, capsys, monkeypatch):
    assert main(["bench", "proposals", "-n", "1", "--size", "96x128", "--threads", "2",
                 "--json", str(tmp_path / "h.json")]) == 0
    table = capsys.readouterr().out
    assert "| textvision.propose, 2 threads |" in table and "same proposals: yes" in table
    rows = {r["method"]: r for r in json.loads((tmp_path / "h.json").read_text())}
    row = rows["textvision.propose, 2 threads"]
    assert row["same_proposals"] is True and row["cpu"] is None and row["wall"] > 0
    assert row["dr"] == rows["textvision.propose"]["dr"]
    import textvision.proposals.compare as compare

    monkeypatch.setattr(compare, "run_headline", lambda *a, **k: pytest.fail("work started"))
    monkeypatch.setattr(compare, "run_methods", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(SystemExit) as exc:  # a malformed command line: argparse's status 2
        main(["bench", "proposals", "-n", "1", "--threads", "0"])
    assert exc.value.code == 2 and "--threads: must be >= 1" in capsys.readouterr().err
    assert main(["bench", "proposals", "-n", "1", "--threads", "2", "--heatmap-source", "oracle"]) == 1
    assert "leave out --heatmap-source" in capsys.readouterr().err


def test_demo_on_an_image_with_gt(scene, tmp_path, capsys):
    d, sc = scene
    assert main(["demo", "--image", str(d / "img.png"), "--gt", str(d / "gt.txt"), "--heatmap-source", "oracle",
                 "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "textvision.propose (oracle map)" in out and "DR@100" in out
    pic = cv2.imread(str(tmp_path / "demo" / "proposals.png"))
    assert pic.shape[0] == sc.image.shape[0] and pic.shape[1] == 2 * sc.image.shape[1] + 8
    table = json.loads((tmp_path / "demo" / "table.json").read_text())
    assert table["heatmap"] == "oracle" and len(table["rows"]) == 2


def test_demo_bundled_photo_and_scene(tmp_path, capsys):
    """The default demo: the real photograph and the synthetic scene, baseline vs propose (TextFCN map),
    one picture with both; the photo's rows are the library's detection rates."""
    from textvision.data import read_icdar2015
    from textvision.eval.proposals import detection_rate
    from textvision.io import read_rgb
    from textvision.proposals import propose
    from textvision.proposals.commands import __file__ as cmd_file
    from textvision.proposals.train import word_boxes

    assert main(["demo", "--heatmap-source", "fcn", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "scenetext01.jpg (real photograph" in out and "demo_scene.jpg" in out
    tables = json.loads((tmp_path / "demo" / "table.json").read_text())
    assert len(tables) == 2 and all(len(t["rows"]) == 2 for t in tables)
    assets = Path(cmd_file).resolve().parent.parent / "assets"
    img = read_rgb(assets / "scenetext01.jpg")
    gt = word_boxes(read_icdar2015(assets / "scenetext01_gt.txt"))
    assert len(gt) == 7
    want = detection_rate([propose(img, device="cpu").boxes], [gt])
    assert tables[0]["rows"][1]["dr"]["100"] == want.at(100) and tables[0]["rows"][1]["cpu_map"] > 0
    pic = cv2.imread(str(tmp_path / "demo" / "proposals.png"))
    assert pic.shape[0] == img.shape[0] + 8 + read_rgb(assets / "demo_scene.jpg").shape[0]


def _no_work(monkeypatch):
    """Make any proposal computation fail loudly: checks that must happen before the work."""
    import textvision.proposals.pipeline as pipeline

    def boom(*a, **k):
        raise AssertionError("the work started before the arguments were checked")

    monkeypatch.setattr(pipeline.TextProposals, "__call__", boom)


@pytest.mark.parametrize("viz", ["v", "v.txt", "dirviz"])
def test_propose_bad_viz_name_fails_before_work(scene, tmp_path, capsys, monkeypatch, viz):
    d, _ = scene
    (tmp_path / "dirviz").mkdir()
    _no_work(monkeypatch)
    assert main(["propose", str(d / "img.png"), "--out", str(tmp_path / "p.csv"), "--viz", str(tmp_path / viz)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision propose: error: ") and str(tmp_path / viz) in err and "Traceback" not in err
    assert not (tmp_path / "p.csv").exists()


def test_propose_unwritable_outputs_fail_before_work(scene, tmp_path, capsys, monkeypatch):
    d, _ = scene
    afile = tmp_path / "afile"
    afile.write_text("x")
    _no_work(monkeypatch)
    # An output under an existing regular file can never be created (what a read-only folder does for root).
    assert main(["propose", str(d / "img.png"), "--out", str(afile / "out" / "p.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision propose: error: cannot write to folder of the --out file ")
    assert str(afile / "out") in err and err.count("\n") == 1
    assert main(["propose", str(d / "img.png"), "--out", str(tmp_path / "p.csv"), "--viz",
                 str(afile / "v.png")]) == 1
    err = capsys.readouterr().err
    assert "folder of the --viz file" in err and str(afile) in err and "not a folder" in err

    import textvision.io

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textvision.io.tempfile, "mkstemp", denied)
    assert main(["propose", str(d / "img.png"), "--out", str(tmp_path / "q.csv")]) == 1
    err = capsys.readouterr().err
    assert "Permission denied" in err and str(tmp_path) in err and "Traceback" not in err


def test_propose_missing_second_image_fails_before_work(scene, tmp_path, capsys, monkeypatch):
    d, _ = scene
    _no_work(monkeypatch)
    assert main(["propose", str(d / "img.png"), str(tmp_path / "nope.png"), "--out", str(tmp_path / "p.csv")]) == 1
    assert "nope.png" in capsys.readouterr().err


def test_propose_viz_names_of_same_stem_images_do_not_collide(scene, tmp_path):
    d, sc = scene
    other = tmp_path / "b"
    other.mkdir()
    flipped = np.ascontiguousarray(sc.image[:, ::-1])
    cv2.imwrite(str(other / "img.jpg"), cv2.cvtColor(flipped, cv2.COLOR_RGB2BGR))
    assert main(["propose", str(d / "img.png"), str(other / "img.jpg"), "--top", "5", "--out", str(tmp_path / "p.csv"),
                 "--viz", str(tmp_path / "v.png")]) == 0
    assert sorted(p.name for p in tmp_path.glob("v*.png")) == ["v_img_1.png", "v_img_2.png"]
    rows = (tmp_path / "p.csv").read_text().splitlines()[1:]
    assert {r.split(",")[0] for r in rows} == {str(d / "img.png"), str(other / "img.jpg")}


def test_propose_fcn_uses_segment_and_leaves_torch_threads_alone(scene, tmp_path, monkeypatch):
    import torch

    import textvision
    import textvision.text_fcn as text_fcn_pkg
    from textvision.proposals import PROPOSALS_FCN_MAX_SIDE

    d, sc = scene
    calls = []
    real = text_fcn_pkg.segment

    def spy(image, model=None, **kw):
        calls.append(kw)
        return real(image, model, **kw)

    monkeypatch.setattr(text_fcn_pkg, "segment", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(max(2, before))  # a caller's setting the command must keep
    try:
        want = torch.get_num_threads()
        assert main(["propose", str(d / "img.png"), "--top", "10", "--out", str(tmp_path / "p.json")]) == 0
        assert torch.get_num_threads() == want
    finally:
        torch.set_num_threads(before)
    assert len(calls) == 1 and calls[0]["max_side"] == PROPOSALS_FCN_MAX_SIDE
    # The proposals are those of the library pipeline on the library heatmap: with a map the command
    # runs textvision.propose, whose default ranker is the registry's.
    from textvision.proposals import TextProposals, fcn_heatmap

    hm = fcn_heatmap(sc.image)
    assert hm.shape == sc.image.shape[:2]
    ref = TextProposals(prune="pixels", ranker="default")(sc.image, hm).top(10)
    got = json.loads((tmp_path / "p.json").read_text())[0]
    np.testing.assert_allclose(got["boxes"], ref.boxes)
    np.testing.assert_allclose(got["scores"], ref.scores, rtol=1e-6)
    assert textvision.segment is spy  # the public name resolves to the module function the command called


def test_propose_fcn_refuses_an_evil_checkpoint_in_one_line(scene, tmp_path, capsys, evil_checkpoint):
    d, _ = scene
    path, marker = evil_checkpoint
    assert main(["propose", str(d / "img.png"), "--fcn", str(path), "--out", str(tmp_path / "p.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision propose: error: ") and err.count("\n") == 1
    assert not marker.exists()


def test_evil_checkpoint_never_runs_through_propose_or_bench(scene, tmp_path, evil_checkpoint):
    d, _ = scene
    path, marker = evil_checkpoint
    for argv in (["propose", str(d / "img.png"), "--fcn", str(path), "--out", str(tmp_path / "p.csv")],
                 ["bench", "proposals", "-n", "1", "--size", "96x128", "--heatmap-source", "fcn",
                  "--fcn", str(path)]):
        assert main(argv) == 1
        assert not marker.exists()
    assert not (tmp_path / "p.csv").exists()


def test_bench_json_output_checked_before_work(tmp_path, capsys, monkeypatch):
    import textvision.proposals.compare as compare

    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setattr(compare, "run_methods", lambda *a, **k: pytest.fail("work started"))
    assert main(["bench", "proposals", "-n", "1", "--size", "96x128", "--json", str(afile / "b.json")]) == 1
    assert str(afile) in capsys.readouterr().err


def test_demo_output_folder_checked_before_work(tmp_path, capsys, monkeypatch):
    import textvision.proposals.compare as compare

    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setattr(compare, "run_methods", lambda *a, **k: pytest.fail("work started"))
    assert main(["demo", "--out", str(afile / "demo"), "--heatmap-source", "oracle"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision demo: error: ") and str(afile) in err


def test_bench_with_fcn_restores_torch_threads(tmp_path, capsys):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(2, before))
    try:
        want = torch.get_num_threads()
        assert main(["bench", "proposals", "-n", "1", "--size", "96x128", "--heatmap-source", "fcn",
                     "--json", str(tmp_path / "b.json")]) == 0
        assert torch.get_num_threads() == want
    finally:
        torch.set_num_threads(before)
    rows = json.loads((tmp_path / "b.json").read_text())
    pruned = [r for r in rows if r["heatmap"] == "fcn"]
    assert pruned and all(r["heatmap_time"] > 0 for r in pruned)
    assert "| baseline | none |" in capsys.readouterr().out


def _opencv_layout(root, scene_seeds=(31, 32)):
    """Images in ``root`` and their gt in ``root/gt`` (the OpenCV samples' layout), plus a stray image."""
    from textvision.data import write_icdar2015
    from textvision.data.synth import render_scene
    from textvision.io import write_image

    (root / "gt").mkdir(parents=True)
    scenes = []
    for s in scene_seeds:
        sc = render_scene(s, size=(160, 240), text_free_prob=0.0, max_lines=2)
        write_image(root / f"photo{s}.png", sc.image)
        write_icdar2015(root / "gt" / f"gt_photo{s}.txt", sc.instances)
        scenes.append(sc)
    write_image(root / "no_gt.png", scenes[0].image)
    return scenes


def test_bench_headline_on_a_gt_subfolder_layout(tmp_path, capsys):
    """Baseline vs propose vs a ranker file, on images with a gt/ subfolder (found by itself or via --gt);
    the rows' detection rates are the library's on the same images."""
    import numpy as np

    from textvision.eval.proposals import detection_rate
    from textvision.proposals import TextProposals, propose
    from textvision.proposals.train import word_boxes
    from textvision.weights import resolve

    scenes = _opencv_layout(tmp_path / "photos")
    xml = resolve("default", "ranker")
    for extra in ([], ["--gt", str(tmp_path / "photos" / "gt")]):
        assert main(["bench", "proposals", "--data", str(tmp_path / "photos"), "--ranker-xml", str(xml),
                     "--json", str(tmp_path / "h.json"), "--force"] + extra) == 0
        out = capsys.readouterr().out
        assert "| baseline TextProposals() |" in out and "| textvision.propose |" in out
        assert f"TextProposals(ranker={xml.name})" in out and out.startswith("2 images from")
    rows = {r["method"]: r for r in json.loads((tmp_path / "h.json").read_text())}
    gts = [word_boxes(sc.instances) for sc in scenes]
    base = detection_rate([TextProposals()(sc.image).boxes for sc in scenes], gts)
    head = detection_rate([propose(sc.image, device="cpu").boxes for sc in scenes], gts)
    for k in (10, 100, None):
        key = "all" if k is None else str(k)
        assert rows["baseline TextProposals()"]["dr"][key] == base.at(k)
        assert rows["textvision.propose"]["dr"][key] == head.at(k)
    assert rows["textvision.propose"]["cpu"] > rows["textvision.propose"]["cpu_map"] > 0
    assert rows["baseline TextProposals()"]["gt_words"] == sum(len(g) for g in gts) and np.isfinite(base.at(None))


def test_bench_headline_missing_gt_folder(tmp_path, capsys):
    _opencv_layout(tmp_path / "photos")
    assert main(["bench", "proposals", "--data", str(tmp_path / "photos"), "--gt", str(tmp_path / "nope")]) == 1
    assert "gt folder not found" in capsys.readouterr().err


def test_propose_cli_with_a_heatmap_is_textvision_propose(tmp_path):
    import numpy as np

    from textvision.io import read_heatmap, read_rgb, write_image
    from textvision.proposals import propose

    sc = _opencv_layout(tmp_path / "p", (41,))[0]
    hm8 = (np.clip(np.asarray(sc.image[..., 0], np.float32) / 255, 0, 1) * 255).astype(np.uint8)
    write_image(tmp_path / "hm.png", hm8)
    assert main(["propose", str(tmp_path / "p" / "photo41.png"), "--heatmap", str(tmp_path / "hm.png"),
                 "--out", str(tmp_path / "o.json")]) == 0
    got = json.loads((tmp_path / "o.json").read_text())[0]
    img = read_rgb(tmp_path / "p" / "photo41.png")
    ref = propose(img, read_heatmap(tmp_path / "hm.png", img.shape[:2]))
    np.testing.assert_array_equal(np.asarray(got["boxes"], np.float32).reshape(-1, 4), ref.boxes)
    assert "heatmap" not in got["stats"] and "all" in got["stats"]["time"]
