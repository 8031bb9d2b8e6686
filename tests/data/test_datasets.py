"""IcdarDataset / CocoTextDataset / collate / COCO-Text I/O / masks / the synth and evaluate commands."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from textvision.cli import main
from textvision.data import (
    CocoTextDataset,
    IcdarDataset,
    TextInstance,
    TextMasks,
    box_to_quad,
    collate,
    instances_to_masks,
    read_coco_text,
    read_icdar2015,
    write_coco_text,
)
from textvision.data.synth import SynthDataset, render_scene


def _img(path, h=20, w=30, value=0):
    img = np.full((h, w, 3), value, np.uint8)
    img[..., 0] = 200  # red in RGB -> must come back as channel 0
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def test_icdar_dataset_official_layout(tmp_path):
    imgs = tmp_path / "ch4_training_images"
    gts = tmp_path / "ch4_training_localization_transcription_gt"
    imgs.mkdir()
    gts.mkdir()
    for k in (1, 2, 10):
        _img(imgs / f"img_{k}.jpg")
        (gts / f"gt_img_{k}.txt").write_bytes(f"\ufeff1,1,9,1,9,5,1,5,w{k}\r\n2,2,3,2,3,3,2,3,###\r\n".encode())
    _img(imgs / "img_3.jpg")  # no gt: skipped with a warning
    with pytest.warns(UserWarning, match="1 image"):
        ds = IcdarDataset(tmp_path, year=2015, split="train")
    assert len(ds) == 3 and [ds[i]["id"] for i in range(3)] == ["img_1", "img_2", "img_10"]
    item = ds[2]
    assert item["image"].shape == (20, 30, 3) and item["image"].dtype == np.uint8
    assert abs(int(item["image"][0, 0, 0]) - 200) <= 2  # RGB order
    assert item["instances"][0].text == "w10" and item["instances"][1].ignore


def test_icdar2013_dataset_and_errors(tmp_path):
    imgs = tmp_path / "Challenge2_Training_Task12_Images"
    gts = tmp_path / "Challenge2_Training_Task1_GT"
    imgs.mkdir()
    gts.mkdir()
    _img(imgs / "100.jpg")
    (gts / "gt_100.txt").write_text('38 4 92 15 "Tiredness"\n')
    ds = IcdarDataset(tmp_path, year=2013)
    assert ds[0]["instances"][0].text == "Tiredness"
    np.testing.assert_array_equal(ds[0]["instances"][0].box, [38, 4, 92, 15])
    with pytest.raises(FileNotFoundError, match="tried"):
        IcdarDataset(tmp_path, year=2013, split="test")
    with pytest.raises(ValueError, match="year"):
        IcdarDataset(tmp_path, year=2017)


COCO = {
    "imgs": {"1": {"id": 1, "file_name": "COCO_train2014_000000000001.jpg", "width": 30, "height": 20, "set": "train"},
             "2": {"id": 2, "file_name": "COCO_train2014_000000000002.jpg", "width": 30, "height": 20, "set": "val"}},
    "anns": {"10": {"id": 10, "image_id": 1, "bbox": [2, 3, 10, 5], "legibility": "legible", "class": "machine printed",
                    "language": "english", "utf8_string": "STOP", "area": 50},
             "11": {"id": 11, "image_id": 1, "bbox": [15, 3, 5, 5], "legibility": "illegible", "class": "handwritten",
                    "language": "na", "area": 25},
             "12": {"id": 12, "image_id": 2, "bbox": [0, 0, 4, 4], "mask": [0, 0, 0, 4, 4, 4, 4, 0],
                    "legibility": "legible", "class": "others", "language": "not english", "utf8_string": "b,c"}},
    "imgToAnns": {"1": [10, 11], "2": [12]},
}


def test_coco_text_reader_and_dataset(tmp_path):
    p = tmp_path / "cocotext.v2.json"
    p.write_text(json.dumps(COCO))
    ct = read_coco_text(p)
    assert ct.ids() == [1, 2] and ct.ids("val") == [2]
    a, b = ct.instances[1]
    assert a.text == "STOP" and not a.ignore and a.attrs["class"] == "machine printed"
    np.testing.assert_array_equal(a.quad, box_to_quad((2, 3, 12, 8)))
    assert b.ignore and b.text == "" and b.attrs["language"] == "na"
    (c,) = ct.instances[2]
    np.testing.assert_array_equal(c.quad, [[0, 0], [4, 0], [4, 4], [0, 4]])  # CCW mask re-ordered
    assert c.text == "b,c"
    imgdir = tmp_path / "train2014"
    imgdir.mkdir()
    for im in COCO["imgs"].values():
        _img(imgdir / im["file_name"])
    ds = CocoTextDataset(p, imgdir, split="train")
    assert len(ds) == 1 and ds[0]["id"] == 1 and len(ds[0]["instances"]) == 2
    assert len(CocoTextDataset(p, imgdir, split=None)) == 2
    # round trip through the writer
    out = tmp_path / "out.json"
    write_coco_text(out, [ct.images[1], ct.images[2]], [ct.instances[1], ct.instances[2]])
    back = read_coco_text(out)
    assert [i.text for i in back.instances[1]] == ["STOP", ""] and back.instances[1][1].ignore
    np.testing.assert_array_equal(back.instances[2][0].quad, c.quad)
    with pytest.raises(ValueError, match="COCO-Text"):
        (tmp_path / "bad.json").write_text("{}")
        read_coco_text(tmp_path / "bad.json")


def test_collate_and_synth_dataloader():
    ds = SynthDataset(4, size=(64, 80), seed=1)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, collate_fn=collate)
    batch = next(iter(loader))
    assert batch["image"].shape == (2, 64, 80, 3) and batch["image"].dtype == torch.uint8
    assert batch["mask"].shape == (2, 64, 80)
    assert isinstance(batch["instances"], list) and len(batch["instances"]) == 2
    mixed = collate([{"image": np.zeros((2, 2, 3), np.uint8)}, {"image": np.zeros((3, 2, 3), np.uint8)}])
    assert isinstance(mixed["image"], list)


def test_instances_to_masks_hand_worked():
    inst = [TextInstance(box_to_quad((2, 1, 5, 3)), "a"), TextInstance(box_to_quad((7, 6, 8, 7)), "###", True)]
    masks = instances_to_masks(inst, (10, 12))
    assert type(masks) is TextMasks
    text, ignore = masks
    assert masks.text is text and masks.ignore is ignore
    assert text.dtype == np.uint8 and text.shape == (10, 12)
    expect = np.zeros((10, 12), np.uint8)
    expect[1:4, 2:6] = 1
    np.testing.assert_array_equal(text, expect)
    exp_i = np.zeros((10, 12), np.uint8)
    exp_i[6:8, 7:9] = 1
    np.testing.assert_array_equal(ignore, exp_i)
    # half scale: (p + 0.5) * 0.5 - 0.5 maps x 2..5 -> 0.75..2.25, y 1..3 -> 0.25..1.25
    t2, _ = instances_to_masks(inst, (10, 12), scale=0.5)
    assert t2.shape == (5, 6)
    assert t2[1, 1] == 1 and t2[1, 2] == 1 and t2[3, 3] == 0
    with pytest.raises(ValueError, match="scale"):
        instances_to_masks(inst, (10, 12), scale=0)


def test_synth_and_evaluate_commands(tmp_path, capsys):
    out = tmp_path / "syn"
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "96x128", "--seed", "5", "--workers", "1"]) == 0
    for k in (1, 2, 3):
        img = cv2.imread(str(out / "images" / f"img_{k}.jpg"))
        assert img.shape == (96, 128, 3)
        mask = cv2.imread(str(out / "masks" / f"img_{k}.png"), cv2.IMREAD_GRAYSCALE)
        ref = render_scene((5, k - 1), (96, 128))
        np.testing.assert_array_equal(mask // 255, ref.mask)
        inst = read_icdar2015(out / "gt" / f"gt_img_{k}.txt")
        assert [i.text for i in inst] == ["###" if i.ignore else i.text for i in ref.instances]
        np.testing.assert_allclose([i.quad for i in inst], [i.quad for i in ref.instances], atol=0.006)
    assert sorted(q.relative_to(out).as_posix() for q in out.rglob("*") if q.is_file()) == sorted(
        [f"{sub}/{pat.format(k)}" for k in (1, 2, 3)
         for sub, pat in (("images", "img_{}.jpg"), ("gt", "gt_img_{}.txt"), ("masks", "img_{}.png"))]
        + ["synth_settings.json"])
    ds = IcdarDataset(out)
    assert len(ds) == 3
    # the gt folder itself as detections is refused (it would score 1.0 silently)
    capsys.readouterr()
    assert main(["evaluate", "--gt", str(out), "--det", str(out / "gt")]) == 1
    assert "same files" in capsys.readouterr().err
    # a copy of the ground truth as result files, through the folder layout: a perfect score
    res = tmp_path / "res"
    res.mkdir()
    for k in (1, 2, 3):
        (res / f"res_img_{k}.txt").write_bytes((out / "gt" / f"gt_img_{k}.txt").read_bytes())
    assert main(["evaluate", "--gt", str(out), "--det", str(res), "--json", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out
    assert "hmean 1.0000" in printed and "(2 care GT words" in printed  # scenes 1 and 3 hold one word each
    r = json.loads((tmp_path / "r.json").read_text())
    assert (r["precision"], r["recall"], r["hmean"], r["num_gt"]) == (1.0, 1.0, 1.0, 2)
    assert main(["evaluate", "--gt", str(out), "--det", str(res), "--protocol", "icdar2013"]) == 0
    with pytest.raises(SystemExit):
        main(["synth", "--out", str(out), "--n", "1", "--size", "7x7"])
    assert main(["evaluate", "--gt", str(tmp_path / "none"), "--det", str(out)]) == 1


def test_synth_writer_parallel_equals_serial_and_resumes(tmp_path):
    from textvision.data.synth_writer import write_synth_dataset

    a, b = tmp_path / "a", tmp_path / "b"
    write_synth_dataset(a, 3, size=(64, 96), seed=2, workers=1, fmt="png")
    stats = write_synth_dataset(b, 3, size=(64, 96), seed=2, workers=2, fmt="png")
    assert stats.written == 3
    for sub, pat in (("images", "img_{}.png"), ("gt", "gt_img_{}.txt"), ("masks", "img_{}.png")):
        for k in (1, 2, 3):
            assert (a / sub / pat.format(k)).read_bytes() == (b / sub / pat.format(k)).read_bytes()
    (b / "gt" / "gt_img_2.txt").unlink()  # as if interrupted before item 2 was complete
    stats = write_synth_dataset(b, 3, size=(64, 96), seed=2, workers=1, fmt="png")
    assert (stats.written, stats.skipped) == (1, 2)
    assert (a / "gt" / "gt_img_2.txt").read_bytes() == (b / "gt" / "gt_img_2.txt").read_bytes()


def test_synth_writer_failure_mid_write_leaves_no_temp_and_resumes(tmp_path, monkeypatch):
    """Item 2's gt fails after its bytes are on disk: no temporary, no gt (the item counts as not done),
    and the next run completes it to the bytes of an uninterrupted run."""
    from textvision import io as _io
    from textvision.data.synth_writer import write_synth_dataset

    ref, out = tmp_path / "ref", tmp_path / "out"
    write_synth_dataset(ref, 3, size=(64, 96), seed=2, workers=1, fmt="png")
    real = _io.os.replace

    def failing_replace(src, dst):
        if Path(dst).name == "gt_img_2.txt":
            assert Path(src).stat().st_size > 0  # the bytes were written, under the temporary name
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(_io.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        write_synth_dataset(out, 3, size=(64, 96), seed=2, workers=1, fmt="png")
    monkeypatch.undo()
    files = {q.relative_to(out).as_posix() for q in out.rglob("*") if q.is_file()}
    assert not [f for f in files if Path(f).name.startswith(_io.TEMP_PREFIX)]
    assert "gt/gt_img_1.txt" in files and "gt/gt_img_2.txt" not in files
    stats = write_synth_dataset(out, 3, size=(64, 96), seed=2, workers=1, fmt="png")
    assert (stats.written, stats.skipped) == (2, 1)
    for q in ref.rglob("*"):
        if q.is_file():
            assert (out / q.relative_to(ref)).read_bytes() == q.read_bytes(), q
    assert len(list(out.rglob("*.*"))) == len(list(ref.rglob("*.*")))


def test_icdar_dataset_split_layout(tmp_path):
    for split in ("train", "test"):
        (tmp_path / split / "images").mkdir(parents=True)
        (tmp_path / split / "gt").mkdir()
        _img(tmp_path / split / "images" / "a.png")
        (tmp_path / split / "gt" / "gt_a.txt").write_text(f"0,0,5,0,5,5,0,5,{split}\n")
    assert IcdarDataset(tmp_path, split="test")[0]["instances"][0].text == "test"
    assert IcdarDataset(tmp_path, split="train")[0]["instances"][0].text == "train"
