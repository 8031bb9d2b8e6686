"""``train-east``'s data specs (``textvision.east.data.east_data``): generated scenes, synthetic text on
photographs, teacher-labelled photographs (``TeacherWords``), ICDAR folders, mixes and repeats."""
import importlib

import numpy as np
import pytest

from textvision import io
from textvision.data import write_icdar2015
from textvision.data.instances import TextInstance
from textvision.east.data import east_data
from textvision.east.train import EASTTrainDataset
from textvision.models.craft import CraftMaps

craft_mod = importlib.import_module("textvision.models.craft")  # the module (the package attribute is the builder)


@pytest.fixture
def labels(tmp_path, monkeypatch):
    """12 photos labelled by a stand-in CRAFT (a word band across each one's middle third)."""
    from textvision.data.teacher import label_photos

    def fake_maps(model, rgb, *, max_side):
        h, w = rgb.shape[:2]
        region = np.zeros((h, w), np.float32)
        region[h // 3: h // 3 + 12, w // 4: 3 * w // 4] = 0.9
        return CraftMaps(region, np.zeros((h, w), np.float32))

    monkeypatch.setattr(craft_mod, "craft_maps", fake_maps)
    rng = np.random.default_rng(0)
    photos = []
    for i in range(12):
        p = tmp_path / "photos" / f"p{i}.png"
        p.parent.mkdir(exist_ok=True)
        io.write_image(p, rng.integers(0, 256, (90, 160, 3), dtype=np.uint8))
        photos.append(p)
    out = tmp_path / "labels"
    label_photos(photos, out, max_side=160, model=object())
    return out


def test_teacher_part_splits_photos_and_carries_quads(labels):
    train = east_data(f"teacher:{labels}", train=True, val_fraction=0.25)
    val = east_data(f"teacher:{labels}", train=False, val_fraction=0.25)
    assert len(train) + len(val) == 12 and len(val) >= 1
    ids = {train[i]["id"] for i in range(len(train))} | {val[i]["id"] for i in range(len(val))}
    assert len(ids) == 12  # each photo on exactly one side
    item = train[0]
    assert item["image"].shape == (90, 160, 3) and item["image"].dtype == np.uint8
    (word,) = item["instances"]
    x0, y0 = word.quad.min(axis=0)
    x1, y1 = word.quad.max(axis=0)
    assert x0 <= 40 + 3 and x1 >= 119 - 3 and y0 <= 30 + 3 and y1 >= 41 - 3  # around the band (plus dilation)
    sample = EASTTrainDataset(train, 64, augment=False)[0]
    assert float(sample["score"].sum()) > 0  # the word reaches the EAST targets
    from textvision.data.teacher import TeacherWords

    assert len(TeacherWords(labels)) == 12  # no side: every photo
    with pytest.raises(ValueError, match="side must be"):
        TeacherWords(labels, "test")


def test_synth_photos_mix_and_repeat(tmp_path):
    rng = np.random.default_rng(1)
    bg = tmp_path / "bg"
    bg.mkdir()
    for i in range(2):
        io.write_image(bg / f"b{i}.png", rng.integers(0, 256, (120, 200, 3), dtype=np.uint8))
    ds = east_data(f"synth:3:64+photos:{bg}*2", synth_n=4, synth_size=64)
    assert len(ds) == 3 + 2 * 4
    assert ds[0]["image"].shape == (64, 64, 3) and ds[3]["image"].shape == (64, 64, 3)
    assert ds[3]["image"] is ds[7]["image"]  # a repeated part shows the same rendered scene (memoised)
    val = east_data(f"photos:{bg}", train=False, synth_n=100, synth_size=64)
    assert len(val) == 10  # a tenth of --synth-n, at least 8
    assert not np.array_equal(val[0]["image"], east_data(f"photos:{bg}", synth_n=100, synth_size=64)[0]["image"])
    a, b = east_data("synth:2:64"), east_data("synth:2:64", train=False)
    assert not np.array_equal(a[0]["image"], b[0]["image"])


def test_icdar_folder_with_gt_subfolder(tmp_path):
    d = tmp_path / "photos"
    (d / "gt").mkdir(parents=True)
    io.write_image(d / "street.jpg", np.full((64, 96, 3), 200, np.uint8))
    write_icdar2015(d / "gt" / "gt_street.txt", [TextInstance(np.array([[10, 10], [60, 10], [60, 30], [10, 30]],
                                                                        np.float32), "EXIT")])
    ds = east_data(str(d), train=False)
    assert len(ds) == 1 and ds[0]["instances"][0].text == "EXIT"


@pytest.mark.parametrize("spec, err, match", [
    ("synth:x", ValueError, "bad synthetic data spec"),
    ("synth:2:64:9", ValueError, "bad synthetic data spec"),
    ("photos:", ValueError, "photos:DIR"),
    ("teacher:", ValueError, "teacher:LABEL_DIR"),
    ("nope:1", ValueError, "unknown --data"),
])
def test_bad_specs_are_clear(spec, err, match):
    with pytest.raises(err, match=match):
        east_data(spec)


def test_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError):
        east_data(f"teacher:{tmp_path / 'none'}")
    with pytest.raises(FileNotFoundError):
        east_data(str(tmp_path / "none"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError):
        east_data(f"teacher:{tmp_path / 'empty'}")
