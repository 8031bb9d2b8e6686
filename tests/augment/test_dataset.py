"""``textvision augment``: ground truth kept, SRC untouched, resume/sharding give the same tree, bad inputs."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from textvision import io as _io
from textvision.augment import dataset as ds
from textvision.augment.dataset import AugmentOptions, augment_dataset, plan_styles
from textvision.augment.fileio import TEMP_PREFIX, SrcDst, check_src_dst
from textvision.cli import main
from textvision.data.icdar import read_icdar2013, read_icdar2015

from .conftest import GT, IMG, STYLES, make_cocotext, make_icdar2013, make_icdar2015, tree_digest


def _read_rgb(path):
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _same_instances(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.quad, y.quad)
        assert (x.text, x.ignore) == (y.text, y.ignore)


def _manifest(dst):
    with open(dst / ds.MANIFEST_NAME, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fmt", ["icdar2015", "icdar2013"])
def test_icdar_outputs_keep_ground_truth(tmp_path, fmt, distilled_ckpt):
    src = tmp_path / "src"
    (make_icdar2015 if fmt == "icdar2015" else make_icdar2013)(src)
    before = tree_digest(src)
    dst = tmp_path / "dst"
    res = augment_dataset(src, dst, AugmentOptions(fmt, str(distilled_ckpt), styles_per_image=2, seed=3),
                          progress=False)
    assert tree_digest(src) == before  # SRC byte-identical afterwards
    assert res.merged and res.summary["bad_inputs"] == 0
    n_src = len(list(src.rglob("gt_*.txt")))
    rows = _manifest(dst)
    assert len(rows) == 2 * n_src == res.summary["outputs"]
    reader = read_icdar2015 if fmt == "icdar2015" else read_icdar2013
    for row in rows:
        out_img, src_img = dst / row["output_image"], src / row["source_image"]
        out_gt, src_gt = dst / row["output_gt"], src / row["source_gt"]
        # Integer ids, the source's naming pattern, gt beside the mirrored gt folder.
        assert out_gt.name == "gt_" + out_img.stem + ".txt" and out_img.stem.split("_")[-1].isdigit()
        assert Path(row["output_gt"]).parent == Path(row["source_gt"]).parent
        _same_instances(reader(out_gt), reader(src_gt))
        assert out_gt.read_bytes() == src_gt.read_bytes()
        a, b = _read_rgb(out_img), _read_rgb(src_img)
        assert a.shape == b.shape and not np.array_equal(a, b)
        assert row["style"] in STYLES
    if fmt == "icdar2015":  # the project's loader reads DST as it reads SRC
        from textvision.data import IcdarDataset

        loaded = IcdarDataset(dst, 2015, "train")
        assert len(loaded) == len(rows)
        by_name = {Path(r["output_image"]).name: r for r in rows}
        for k in range(len(loaded)):
            item = loaded[k]
            row = by_name[Path(item["path"]).name]
            _same_instances(item["instances"], reader(src / row["source_gt"]))
    # The K copies of one image get distinct styles.
    by_src = {}
    for row in rows:
        by_src.setdefault(row["source_image"], []).append(row["style"])
    assert all(len(set(v)) == 2 for v in by_src.values())


def test_cocotext_outputs_keep_annotations(tmp_path, distilled_ckpt):
    src = make_cocotext(tmp_path / "src")
    data = json.loads((src / "COCO_Text.json").read_text("utf-8"))
    data["imgToAnns"]["9"].reverse()  # the file's order, not id order, is what loaders see
    (src / "COCO_Text.json").write_text(json.dumps(data), encoding="utf-8")
    before = tree_digest(src)
    dst = tmp_path / "dst"
    res = augment_dataset(src, dst, AugmentOptions("cocotext", str(distilled_ckpt), styles_per_image=2,
                                                   include_originals=True), progress=False)
    assert tree_digest(src) == before
    assert res.summary["outputs"] == 8 and res.summary["originals"] == 4
    sj = json.loads((src / "COCO_Text.json").read_text("utf-8"))
    oj = json.loads((dst / "COCO_Text.json").read_text("utf-8"))
    assert oj["info"] == sj["info"]
    assert len(oj["imgs"]) == 12
    ann_ids = [a["id"] for a in oj["anns"].values()]
    assert len(set(ann_ids)) == len(ann_ids)
    rows = {r["output_image"]: r for r in _manifest(dst)}
    for key, img in oj["imgs"].items():
        assert str(img["id"]) == key
        path = dst / "train2014" / img["file_name"]
        assert path.is_file()
        row = rows["train2014/" + img["file_name"]]
        src_img = next(v for v in sj["imgs"].values() if "train2014/" + v["file_name"] == row["source_image"])
        # Every field kept but the ids and the file name; the number in the name is the image id.
        assert {k: v for k, v in img.items() if k not in ("id", "file_name")} == \
               {k: v for k, v in src_img.items() if k not in ("id", "file_name")}
        assert int(Path(img["file_name"]).stem.split("_")[-1]) == img["id"]
        out_anns = [oj["anns"][str(a)] for a in oj["imgToAnns"][key]]
        src_anns = [sj["anns"][str(a)] for a in sj["imgToAnns"][str(src_img["id"])]]
        strip = lambda a: {k: v for k, v in a.items() if k not in ("id", "image_id")}  # noqa: E731
        assert [strip(a) for a in out_anns] == [strip(a) for a in src_anns]
        assert all(a["image_id"] == img["id"] for a in out_anns)
        if row["style"] == "original":
            assert path.read_bytes() == (src / row["source_image"]).read_bytes()
    # The project's COCO-Text reader and dataset see the same words on every copy.
    from textvision.data import CocoTextDataset, read_coco_text

    src_coco, out_coco = read_coco_text(src / "COCO_Text.json"), read_coco_text(dst / "COCO_Text.json")
    for img_id, img in out_coco.images.items():
        row = rows["train2014/" + img["file_name"]]
        src_id = next(i for i, v in src_coco.images.items() if "train2014/" + v["file_name"] == row["source_image"])
        _same_instances(out_coco.instances[img_id], src_coco.instances[src_id])
    loaded = CocoTextDataset(dst / "COCO_Text.json", dst / "train2014", split=None)
    assert len(loaded) == 12 and loaded[5]["image"].shape == (48, 96, 3)


def test_cocotext_split_filter_and_skip_empty(tmp_path, distilled_ckpt):
    src = make_cocotext(tmp_path / "src")
    res = augment_dataset(src, tmp_path / "dst", AugmentOptions("cocotext", str(distilled_ckpt), split="val"),
                          progress=False)
    oj = json.loads((tmp_path / "dst" / "COCO_Text.json").read_text("utf-8"))
    assert res.summary["images_found"] == 1 and [v["set"] for v in oj["imgs"].values()] == ["val"]
    # Image 29 has no annotation: left out with skip_empty, and not counted as bad.
    assert main(["augment", str(src), str(tmp_path / "d2"), "--format", "cocotext", "--model", str(distilled_ckpt),
                 "--skip-empty", "--no-progress"]) == 0
    summary = json.loads((tmp_path / "d2" / ds.SUMMARY_NAME).read_text("utf-8"))
    assert (summary["images_found"], summary["images_augmented"], summary["images_skipped_empty"],
            summary["bad_inputs"]) == (4, 3, 1, 0)
    oj = json.loads((tmp_path / "d2" / "COCO_Text.json").read_text("utf-8"))
    assert all(oj["imgToAnns"][k] for k in oj["imgs"])


def test_two_stage_threshold_keeps_background(tmp_path, style_ckpt, fcn_ckpt):
    from textvision.models.text_fcn import text_fcn
    from textvision.text_fcn import segment

    src = make_icdar2015(tmp_path / "src", n=2)
    dst = tmp_path / "dst"
    fcn = text_fcn(weights=fcn_ckpt)
    probe = np.concatenate([segment(_read_rgb(p), model=fcn).ravel()
                            for p in sorted((src / IMG).iterdir())])
    threshold = float(np.quantile(probe, 0.5))  # about half of the pixels count as text
    augment_dataset(src, dst, AugmentOptions("icdar2015", str(style_ckpt), fcn=str(fcn_ckpt),
                                             threshold=threshold), progress=False)
    for row in _manifest(dst):
        a, b = _read_rgb(dst / row["output_image"]), _read_rgb(src / row["source_image"])
        heat = segment(b, model=fcn)
        outside = heat < threshold
        assert 0.05 < outside.mean() < 0.95
        np.testing.assert_array_equal(a[outside], b[outside])  # PNG: the background is exact
        assert (a[~outside] != b[~outside]).any()


def test_resume_and_shards_give_the_same_tree(tmp_path, distilled_ckpt, monkeypatch):
    src = make_icdar2015(tmp_path / "src", n=6)
    before = tree_digest(src)
    opts = AugmentOptions("icdar2015", str(distilled_ckpt), styles_per_image=2, include_originals=True, seed=7)
    full = tmp_path / "full"
    augment_dataset(src, full, opts, progress=False)
    reference = tree_digest(full)
    originals = [r for r in _manifest(full) if r["style"] == "original"]
    assert len(originals) == 6 and all(r["copy"] == "-1" for r in originals)
    for r in originals:  # copied byte for byte under their own names
        assert r["output_image"] == r["source_image"] and r["output_gt"] == r["source_gt"]
        assert (full / r["output_image"]).read_bytes() == (src / r["source_image"]).read_bytes()
        assert (full / r["output_gt"]).read_bytes() == (src / r["source_gt"]).read_bytes()

    # Interrupted: a KeyboardInterrupt inside the atomic write of the 5th image file, after its
    # bytes are on disk under the temporary name (the real atomic_write runs around it).
    real = _io.atomic_write
    calls = {"n": 0}
    interrupted = {}

    def flaky(path, write):
        if Path(path).suffix != ".png":
            return real(path, write)
        calls["n"] += 1

        def write_then_interrupt(tmp):
            write(tmp)
            if calls["n"] == 5:
                assert Path(tmp).stat().st_size > 0 and Path(tmp).name.startswith(TEMP_PREFIX)
                interrupted.update(tmp=Path(tmp), path=Path(path))
                raise KeyboardInterrupt

        return real(path, write_then_interrupt)

    monkeypatch.setattr(_io, "atomic_write", flaky)
    resumed = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        augment_dataset(src, resumed, opts, progress=False)
    monkeypatch.setattr(_io, "atomic_write", real)
    assert interrupted, "the failure was never injected"
    assert not interrupted["tmp"].exists() and not interrupted["path"].exists()
    partial = tree_digest(resumed)
    assert 0 < len(partial) < len(reference)
    assert not [p for p in resumed.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    assert all(reference[k] == v for k, v in partial.items())  # what exists is already final
    # gt before image: the interrupted output's gt is complete, its image absent.
    gt_of = {r["output_image"]: r["output_gt"] for r in _manifest(full)}
    gt_rel = gt_of[interrupted["path"].relative_to(resumed).as_posix()]
    assert partial[gt_rel] == reference[gt_rel]
    # A previous version of a file survives an interrupted rewrite of it.
    victim = resumed / gt_rel
    victim_bytes = victim.read_bytes()

    def interrupting(tmp):
        Path(tmp).write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _io.atomic_write(victim, interrupting)
    assert victim.read_bytes() == victim_bytes
    assert not [p for p in resumed.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    res = augment_dataset(src, resumed, opts, progress=False)
    assert res.resumed == 4 and res.written == 18 - 4
    assert tree_digest(resumed) == reference

    # Two shards run separately (array job): the last one merges; same tree.
    sharded = tmp_path / "sharded"
    r1 = augment_dataset(src, sharded, opts, shard=(1, 2), progress=False)
    assert not r1.merged and not (sharded / ds.MANIFEST_NAME).exists()
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    r0 = augment_dataset(src, sharded, opts, progress=False)
    assert r0.merged and r0.images == 3
    assert tree_digest(sharded) == reference
    assert tree_digest(src) == before


@pytest.mark.parametrize("fmt", ["icdar2015", "icdar2013"])
def test_each_gt_is_written_before_its_image(tmp_path, distilled_ckpt, monkeypatch, fmt):
    """Loaders walk images: at every moment of a run, each image on disk has its complete gt."""
    src = (make_icdar2015 if fmt == "icdar2015" else make_icdar2013)(tmp_path / "src", n=2)
    dst = tmp_path / "dst"
    real = _io.atomic_write
    order = []

    def recording(path, write):
        out = real(path, write)
        order.append(Path(path).relative_to(dst).as_posix())
        return out

    monkeypatch.setattr(_io, "atomic_write", recording)
    augment_dataset(src, dst, AugmentOptions(fmt, str(distilled_ckpt), styles_per_image=2, include_originals=True),
                    progress=False)
    rows = _manifest(dst)
    assert len(rows) == 6
    for r in rows:
        assert order.index(r["output_gt"]) < order.index(r["output_image"]), r


@pytest.mark.slow
def test_kill_then_resume_cli(tmp_path, distilled_ckpt):
    """A real SIGKILL mid-run (a separate process), then the same command again."""
    import signal
    import subprocess
    import sys
    import time

    src = make_icdar2015(tmp_path / "src", n=12, size=(96, 160))
    args = ["augment", str(src), None, "--format", "icdar2015", "--model", str(distilled_ckpt),
            "-k", "2", "--no-progress"]
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert main([a if a is not None else str(full) for a in args]) == 0
    code = ("import sys, torch; torch.set_num_threads(1); from textvision.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", code] + [a if a is not None else str(killed) for a in args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if (killed / IMG).is_dir() and len(list((killed / IMG).glob("*.png"))) >= 3:
            proc.kill()
            break
        time.sleep(0.005)
    proc.wait()
    # The kill must have landed mid-run, or this would only compare two complete runs.
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / ds.SUMMARY_NAME).exists()
    assert main([a if a is not None else str(killed) for a in args]) == 1  # a run is there: --resume says so
    assert main([a if a is not None else str(killed) for a in args] + ["--resume"]) == 0
    assert tree_digest(killed) == tree_digest(full)


def test_bad_inputs_reported_and_counted(tmp_path, distilled_ckpt, capsys):
    src = make_icdar2015(tmp_path / "src", n=5)
    (src / GT / "gt_img_2.txt").unlink()  # missing gt
    (src / IMG / "img_3.png").write_bytes(b"not a png at all")  # unreadable image
    with open(src / GT / "gt_img_4.txt", "a", encoding="utf-8") as f:
        f.write("10,20,30,oops\n")  # malformed line
    (src / GT / "gt_img_99.txt").write_text("1,1,5,1,5,5,1,5,x\n", encoding="utf-8")  # gt, no image
    (src / IMG / "img_5.jpg").write_bytes((src / IMG / "img_5.png").read_bytes())  # same stem as img_5.png
    before = tree_digest(src)
    dst = tmp_path / "dst"
    # The others are written; the skipped ones make the exit status 1, with one error line at the end.
    assert main(["augment", str(src), str(dst), "--format", "icdar2015", "--model", str(distilled_ckpt),
                 "--include-originals", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("textvision augment: error: 5 bad input(s) skipped")
    for name in (f"{IMG}/img_2.png", f"{IMG}/img_3.png", f"{GT}/gt_img_4.txt"):
        assert name in err
    assert "gt_img_4.txt:4" in err  # the malformed line is named
    summary = json.loads((dst / ds.SUMMARY_NAME).read_text("utf-8"))
    assert summary["bad_inputs_by_kind"] == {"ambiguous-image": 1, "malformed-gt": 1, "missing-gt": 1,
                                             "orphan-gt": 1, "unreadable-image": 1}
    assert {e["file"] for e in summary["errors"]} == {f"{IMG}/img_2.png", f"{IMG}/img_3.png",
                                                      f"{GT}/gt_img_4.txt", f"{GT}/gt_img_99.txt",
                                                      f"{IMG}/img_5.png"}
    assert summary["images_found"] == 5 and summary["images_augmented"] == 2
    # Nothing at all for the bad images (no original copy, no gt), nothing half-written.
    sources = {r["source_image"] for r in _manifest(dst)}
    assert sources == {f"{IMG}/img_1.png", f"{IMG}/img_5.jpg"}  # of two same-stem images, the first
    assert sorted(p.name for p in (dst / GT).iterdir()) == sorted(
        "gt_" + Path(r["output_image"]).stem + ".txt" for r in _manifest(dst))
    assert tree_digest(src) == before


def test_cocotext_missing_image_and_bad_bbox(tmp_path, distilled_ckpt):
    src = make_cocotext(tmp_path / "src")
    data = json.loads((src / "COCO_Text.json").read_text("utf-8"))
    (src / "train2014" / data["imgs"]["9"]["file_name"]).unlink()
    first_ann = data["imgToAnns"]["19"][0]
    data["anns"][str(first_ann)]["bbox"] = [1, 2, 3]
    data["imgToAnns"]["39"].append(424242)  # no such annotation
    (src / "COCO_Text.json").write_text(json.dumps(data), encoding="utf-8")
    res = augment_dataset(src, tmp_path / "dst", AugmentOptions("cocotext", str(distilled_ckpt)), progress=False)
    assert res.summary["bad_inputs_by_kind"] == {"malformed-gt": 2, "missing-image": 1}
    assert any("424242" in e["message"] for e in res.summary["errors"])
    oj = json.loads((tmp_path / "dst" / "COCO_Text.json").read_text("utf-8"))
    assert len(oj["imgs"]) == 1


def test_refuses_dst_inside_src_and_changed_settings(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=2)
    opts = AugmentOptions("icdar2015", str(distilled_ckpt))
    with pytest.raises(ValueError, match="inside SRC"):
        augment_dataset(src, src / "out", opts, progress=False)
    with pytest.raises(ValueError, match="inside SRC"):
        augment_dataset(src, src, opts, progress=False)
    with pytest.raises(ValueError, match="inside DST"):
        augment_dataset(src, tmp_path, opts, progress=False)
    assert not (src / "out").exists()
    (tmp_path / "link").symlink_to(src)
    with pytest.raises(ValueError, match="inside SRC"):
        augment_dataset(src, tmp_path / "link" / "out", opts, progress=False)
    dst = tmp_path / "dst"
    augment_dataset(src, dst, opts, progress=False)
    with pytest.raises(ValueError, match="seed"):
        augment_dataset(src, dst, AugmentOptions("icdar2015", str(distilled_ckpt), seed=1), progress=False)
    with pytest.raises(ValueError, match="unknown style"):
        augment_dataset(src, tmp_path / "d2", AugmentOptions("icdar2015", str(distilled_ckpt), styles=["x"]),
                        progress=False)
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        augment_dataset(src, tmp_path / "d4", AugmentOptions("icdar2015", str(distilled_ckpt), mode="two-stage",
                                                             fcn=str(tmp_path / "nowhere.pt")), progress=False)
    with pytest.raises(ValueError, match="cocotext"):
        augment_dataset(src, tmp_path / "d3", AugmentOptions("icdar2015", str(distilled_ckpt), split="train"),
                        progress=False)
    assert main(["augment", str(src), str(src / "o"), "--format", "icdar2015", "--model",
                 str(distilled_ckpt)]) == 1


def test_plan_styles_deterministic():
    a = plan_styles(5, "train/img_1.jpg", STYLES, 2)
    assert a == plan_styles(5, "train/img_1.jpg", STYLES, 2)
    assert len(set(a)) == 2
    # Beyond the pool: every style once before any repeats.
    b = plan_styles(5, "x.jpg", STYLES, 7)
    assert sorted(b[:3]) == sorted(STYLES) and sorted(b[3:6]) == sorted(STYLES)
    draws = {tuple(plan_styles(s, "train/img_1.jpg", STYLES, 3)) for s in range(20)}
    assert len(draws) > 1  # the seed matters
    assert plan_styles(-3, "k", STYLES, 1)[0] in STYLES
    with pytest.raises(ValueError, match="i/n"):
        ds.parse_shard("3")
    with pytest.raises(ValueError, match="0 <= i < n"):
        ds.parse_shard("4/4")


def test_parse_shard_and_check_src_dst_give_named_results(tmp_path):
    shard = ds.parse_shard("2/8")
    assert type(shard) is ds.Shard and (shard.index, shard.count) == (2, 8) and ds.parse_shard(None) is None
    (tmp_path / "src").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "src")
    paths = check_src_dst(tmp_path / "link", tmp_path / "out" / ".." / "dst")
    assert type(paths) is SrcDst
    assert (paths.src, paths.dst) == ((tmp_path / "src").resolve(), (tmp_path / "dst").resolve())


@pytest.mark.slow
def test_local_workers_match_one_process(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=4)
    opts = AugmentOptions("icdar2015", str(distilled_ckpt), styles_per_image=2, seed=1)
    one = augment_dataset(src, tmp_path / "one", opts, progress=False)
    two = augment_dataset(src, tmp_path / "two", opts, workers=2, progress=False)
    assert two.merged and two.written == one.written == 8 and two.images == 4
    assert sorted(p.name for p in (tmp_path / "two" / ds.WORK_DIR / "shards").iterdir()) == [
        "shard-0-of-2.json", "shard-1-of-2.json"]
    assert tree_digest(tmp_path / "two") == tree_digest(tmp_path / "one")


def test_train_and_test_side_by_side_pair_within_their_split(tmp_path, distilled_ckpt):
    """ICDAR 2015 train and test folders in one SRC: img_1 exists in both; each pairs with its own gt."""
    src = make_icdar2015(tmp_path / "src", n=4)
    test = make_icdar2015(tmp_path / "test", n=2, seed=9)
    (test / IMG).rename(src / "ch4_test_images")
    (test / GT).rename(src / "Challenge4_Test_Task1_GT")
    res = augment_dataset(src, tmp_path / "dst", AugmentOptions("icdar2015", str(distilled_ckpt)), progress=False)
    assert res.summary["bad_inputs"] == 0 and res.summary["outputs"] == 6
    for row in _manifest(tmp_path / "dst"):
        split_of = {IMG: "train", GT: "train", "ch4_test_images": "test", "Challenge4_Test_Task1_GT": "test"}
        assert split_of[row["source_image"].split("/")[0]] == split_of[row["source_gt"].split("/")[0]]
        assert Path(row["source_gt"]).name == "gt_" + Path(row["source_image"]).stem + ".txt"
    from textvision.data import IcdarDataset

    assert len(IcdarDataset(tmp_path / "dst", 2015, "test")) == 2
    assert len(IcdarDataset(tmp_path / "dst", 2015, "train")) == 4


@pytest.mark.cuda
def test_cuda_device_matches_layout(tmp_path, distilled_ckpt, conv_runs):
    src = make_icdar2015(tmp_path / "src", n=2)
    res = augment_dataset(src, tmp_path / "dst", AugmentOptions("icdar2015", str(distilled_ckpt), device="cuda"),
                          progress=False)
    assert conv_runs and {d for d, _ in conv_runs} == {"cuda"}  # restyled on the GPU
    assert res.summary["outputs"] == 2
    for row in _manifest(tmp_path / "dst"):
        assert (tmp_path / "dst" / row["output_gt"]).read_bytes() == (src / row["source_gt"]).read_bytes()


def test_merge_removes_leftover_temps_but_spares_a_live_merge(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=2)
    dst = tmp_path / "dst"
    opts = AugmentOptions("icdar2015", str(distilled_ckpt))
    augment_dataset(src, dst, opts, progress=False)
    killed = dst / IMG / f"{TEMP_PREFIX}abc-img_3.png"  # from a killed image loop
    live = dst / f"{TEMP_PREFIX}xyz-{ds.MANIFEST_NAME}"  # another rank merging right now
    killed.write_bytes(b"half")
    live.write_bytes(b"half")
    res = augment_dataset(src, dst, opts, progress=False)  # everything done: resumes, merges
    assert res.merged and res.written == 0 and res.resumed == 2
    assert not killed.exists() and live.exists()


def _one_line_error(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("textvision augment: error:")]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def test_truncated_jpeg_decodes_with_a_warning(tmp_path, distilled_ckpt, capsys):
    """One policy everywhere (textvision.io.read_rgb): a truncated JPEG is used, with a warning naming it."""
    src = make_icdar2015(tmp_path / "src", n=2, ext=".jpg")
    whole = (src / IMG / "img_2.jpg").read_bytes()
    (src / IMG / "img_2.jpg").write_bytes(whole[: len(whole) * 2 // 3])
    dst = tmp_path / "dst"
    assert main(["augment", str(src), str(dst), "--format", "icdar2015", "--model", str(distilled_ckpt),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "img_2.jpg" in err and "truncated" in err
    summary = json.loads((dst / ds.SUMMARY_NAME).read_text("utf-8"))
    assert summary["bad_inputs"] == 0 and summary["images_augmented"] == 2
    assert {r["source_image"] for r in _manifest(dst)} == {f"{IMG}/img_1.jpg", f"{IMG}/img_2.jpg"}


def test_malformed_gt_hint_and_lenient(tmp_path, distilled_ckpt, capsys):
    src = make_icdar2015(tmp_path / "src", n=2)
    gt = src / GT / "gt_img_2.txt"
    good = gt.read_bytes()
    gt.write_bytes(good + b"10,20,30,oops\r\n")
    args = ["augment", str(src), None, "--format", "icdar2015", "--model", str(distilled_ckpt), "--no-progress"]
    # Without --lenient the image is a bad input, and the hint names this command's flag.
    strict = tmp_path / "strict"
    assert main([a if a is not None else str(strict) for a in args]) == 1
    err = capsys.readouterr().err
    assert "gt_img_2.txt:4" in err and "--lenient" in err and "strict=False" not in err
    summary = json.loads((strict / ds.SUMMARY_NAME).read_text("utf-8"))
    assert summary["bad_inputs_by_kind"] == {"malformed-gt": 1} and "--lenient" in summary["errors"][0]["message"]
    # With --lenient the image is kept and its copied gt lacks only the malformed line (others verbatim).
    lenient = tmp_path / "lenient"
    assert main([a if a is not None else str(lenient) for a in args] + ["--lenient"]) == 0
    err = capsys.readouterr().err
    assert "gt_img_2.txt" in err and "left out 1 malformed line(s) (line 4)" in err
    rows = {r["source_image"]: r for r in _manifest(lenient)}
    assert set(rows) == {f"{IMG}/img_1.png", f"{IMG}/img_2.png"}
    out_gt = lenient / rows[f"{IMG}/img_2.png"]["output_gt"]
    assert out_gt.read_bytes() == good
    with pytest.warns(UserWarning, match="skipped 1 malformed line"):
        _same_instances(read_icdar2015(out_gt), read_icdar2015(gt, strict=False))
    # The option changes the outputs, so a lenient run does not resume a strict one.
    assert main([a if a is not None else str(strict) for a in args] + ["--lenient", "--resume"]) == 1
    assert "different settings" in _one_line_error(capsys)
    with pytest.raises(ValueError, match="ICDAR"):
        augment_dataset(make_cocotext(tmp_path / "coco"), tmp_path / "c", AugmentOptions(
            "cocotext", str(distilled_ckpt), lenient=True), progress=False)


def test_unwritable_dst_is_one_line_before_work(tmp_path, distilled_ckpt, capsys, monkeypatch):
    import textvision.io

    src = make_icdar2015(tmp_path / "src", n=2)
    (tmp_path / "afile").write_text("x")
    base = ["augment", str(src), None, "--format", "icdar2015", "--model", str(distilled_ckpt), "--no-progress"]
    started = []
    monkeypatch.setattr(ds, "_run_shard", lambda *a, **k: started.append(1))
    # DST under a regular file (cannot be created).
    assert main([a if a is not None else str(tmp_path / "afile" / "out") for a in base]) == 1
    assert "DST" in _one_line_error(capsys)

    # A folder files cannot be created in (as root, chmod does not stop writes: refuse the probe).
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(textvision.io.tempfile, "mkstemp", refuse)
        assert main([a if a is not None else str(tmp_path / "dst") for a in base]) == 1
    assert "Permission denied" in _one_line_error(capsys)
    assert not started


def test_write_failure_midway_is_one_line(tmp_path, distilled_ckpt, capsys, monkeypatch):
    import errno

    import textvision.io

    src = make_icdar2015(tmp_path / "src", n=3)
    real = textvision.io.atomic_write_bytes
    calls = {"n": 0}

    def disk_full(path, data):
        if Path(path).suffix == ".png":
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(textvision.io, "atomic_write_bytes", disk_full)
    dst = tmp_path / "dst"
    args = ["augment", str(src), str(dst), "--format", "icdar2015", "--model", str(distilled_ckpt), "--no-progress"]
    assert main(args) == 1
    line = _one_line_error(capsys)
    assert "No space left on device" in line and "re-run" in line
    monkeypatch.setattr(textvision.io, "atomic_write_bytes", real)
    assert main(args + ["--resume"]) == 0  # and the re-run resumes
    assert len(_manifest(dst)) == 3


def test_evil_and_unregistered_models_refused(tmp_path, evil_checkpoint, capsys):
    from textvision.augment import SelectiveTextStyle

    evil, marker = evil_checkpoint
    src = make_icdar2015(tmp_path / "src", n=1)
    assert main(["augment", str(src), str(tmp_path / "dst"), "--format", "icdar2015", "--model", str(evil),
                 "--no-progress"]) == 1
    assert "refused" in _one_line_error(capsys)
    assert main(["augment", str(src), str(tmp_path / "dst"), "--format", "icdar2015", "--model", "no-such-style",
                 "--no-progress"]) == 1
    assert "registered names are" in _one_line_error(capsys)
    with pytest.raises(ValueError, match="refused"):  # at construction, not at the first call in a worker
        SelectiveTextStyle(str(evil), p=1.0)
    with pytest.raises(ValueError, match="default-distilled"):  # an unknown name: the registered ones listed
        SelectiveTextStyle("no-such-style")
    assert not marker.exists()
    assert not any((tmp_path / "dst").glob(f"{IMG}/*"))
