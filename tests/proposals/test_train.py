"""Ranker training data: the --data spec of train-ranker (synth, photos:, teacher:, folders, mixes with *K),
the training rows and their weights."""
import importlib

import numpy as np
import pytest

from textvision import io
from textvision.data.teacher import label_photos, read_teacher_label
from textvision.proposals.ranker import NUM_FEATURES
from textvision.proposals.train import AnnotatedImage, collect_training_data, iter_samples, train_ranker, word_boxes

craft_mod = importlib.import_module("textvision.models.craft")  # the module (the package attribute is the builder)

COLOURS = [(30, 120, 200), (200, 60, 40)]


@pytest.fixture
def photo_dirs(tmp_path):
    """Two folders of one plain photo each: rendered words over them are easy to tell from the photo."""
    dirs = []
    for k, colour in enumerate(COLOURS):
        d = tmp_path / f"bg{k}"
        io.write_image(d / "wall.png", np.full((200 + 20 * k, 300, 3), colour, np.uint8))
        dirs.append(d)
    return dirs


class _FakeCraft:
    """One word rectangle in the photo's middle (region 0.9), or nothing when ``words`` is False."""

    words = True

    def __call__(self, model, rgb, *, max_side):
        h, w = rgb.shape[:2]
        region = np.zeros((h, w), np.float32)
        if self.words:
            region[h // 3: h // 3 + max(6, h // 6), w // 4: 3 * w // 4] = 0.9
        return craft_mod.CraftMaps(region, np.zeros((h, w), np.float32))


@pytest.fixture
def fake_craft(monkeypatch):
    fake = _FakeCraft()
    monkeypatch.setattr(craft_mod, "craft_maps", fake)
    return fake


def _labels(tmp_path, name, words=True, fake=None):
    """A one-label folder written by label_photos (the teacher-label writer): a 120x300 photo labelled at
    max_side 150, so the label grid (60x150) is not the photo's."""
    fake.words = words
    photo = tmp_path / f"{name}.png"
    io.write_image(photo, np.random.default_rng(0).integers(0, 256, (120, 300, 3), dtype=np.uint8))
    label_photos([photo], tmp_path / name, max_side=150, model=object())
    return tmp_path / name


def test_photos_spec_renders_words_over_the_photos(photo_dirs):
    spec = "photos:" + ";".join(map(str, photo_dirs))
    samples = list(iter_samples(spec, n=3, size=(64, 96), seed=5))
    assert [s.name for s in samples] == ["photos_5_0", "photos_5_1", "photos_5_2"]
    assert all(s.image.shape == (64, 96, 3) and s.repeat == 1 for s in samples)
    # the same scenes again: a pure function of the seed
    again = next(iter_samples(spec, n=1, size=(64, 96), seed=5))
    assert np.array_equal(again.image, samples[0].image)
    # background pixels come from the photos, not from procedural textures
    from textvision.data import instances_to_masks

    near = 0
    for s in samples:
        text = instances_to_masks(s.instances, s.image.shape[:2]).text if s.instances else np.zeros((64, 96), np.uint8)
        bg = s.image[text == 0].reshape(-1, 3).astype(int)
        near += min(np.median(np.abs(bg - c).sum(1)) for c in COLOURS) < 90
    assert near >= 2  # a scene may still draw a procedural texture now and then


def test_teacher_spec_reads_label_grid_and_word_quads(tmp_path, fake_craft):
    labels = _labels(tmp_path, "labels", fake=fake_craft)
    label = read_teacher_label(next(labels.glob("*.npz")))
    (s,) = iter_samples(f"teacher:{labels}", val_fraction=0)
    assert s.image.shape == label.target.shape + (3,) == (60, 150, 3)
    assert len(label.quads) == 1 and len(s.instances) == 1 and not s.instances[0].ignore
    np.testing.assert_array_equal(s.instances[0].quad, label.quads[0])
    x1, y1, x2, y2 = word_boxes(s.instances)[0]
    assert 0 <= x1 < x2 <= 150 and 0 <= y1 < y2 <= 60  # label pixels, not the photo's 300 px width
    # a photo without words is negatives only
    empty = _labels(tmp_path, "empty", words=False, fake=fake_craft)
    (neg,) = iter_samples(f"teacher:{empty}", val_fraction=0)
    x, y, w = collect_training_data([neg])
    assert neg.instances == [] and len(y) and not y.any() and np.all(w == 1)
    # one label cannot be split into a training and a held-out part
    with pytest.raises(ValueError, match="empty training or validation part"):
        iter_samples(f"teacher:{labels}")
    with pytest.raises(ValueError, match="held-out labels"):
        iter_samples(f"teacher:{labels}", split="test", val_fraction=0)


def test_mix_with_repeat_weighs_a_part_k_times(photo_dirs, tmp_path, fake_craft):
    labels = _labels(tmp_path, "labels", fake=fake_craft)
    samples = list(iter_samples(f"synth+photos:{photo_dirs[0]}*3+teacher:{labels}*2", synth_n=1, size=(96, 128),
                                seed=7, val_fraction=0))
    assert [(s.name.rsplit("_", 1)[0] if "_" in s.name else "teacher", s.repeat) for s in samples] == [
        ("synth_7", 1), ("photos_8", 3), ("teacher", 2)]  # part k renders from seed + k
    one = samples[2]._replace(repeat=1)
    x1, y1, w1 = collect_training_data([one])
    x2, y2, w2 = collect_training_data([samples[2]])
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(w2, 2 * w1)
    assert x1.shape[1] == NUM_FEATURES and y1.any()


def test_image_balance_gives_each_image_one_unit_of_positives():
    from textvision.data.synth import render_scene

    scenes = [render_scene((3, i), (160, 240), text_free_prob=0.0) for i in range(2)]
    samples = [AnnotatedImage(sc.image, list(sc.instances), f"s{i}") for i, sc in enumerate(scenes)]
    x, y, w = collect_training_data(samples, balance="image")
    assert y.sum() > 2 and np.isclose(w[y].sum(), 2.0) and np.all(w[~y] == 1.0)
    _, yp, wp = collect_training_data(samples)
    np.testing.assert_array_equal(y, yp)
    assert np.all(wp == 1.0)
    res = train_ranker(samples, num_stumps=3, balance="image")
    r = res.model
    assert len(r) == 3 and r.meta["balance"] == "image"
    assert res.history == ({"rows": float(len(y)), "positives": float(y.sum())},) and res.checkpoint is None
    with pytest.raises(ValueError, match="balance must be one of"):
        collect_training_data(samples, balance="word")
    with pytest.raises(ValueError, match="positives and negatives"):
        train_ranker([AnnotatedImage(scenes[0].image, [], "no words")], num_stumps=3)


def test_bad_specs_fail_when_called_before_any_image(tmp_path, photo_dirs):
    (tmp_path / "nolabels").mkdir()
    cases = [
        ("imagenet:/x", ValueError, "unknown --data"),
        ("synth++synth", ValueError, "empty part"),
        ("synth*0", ValueError, "repeat count"),
        ("synth:foo", ValueError, "synth takes no argument"),
        ("photos:", ValueError, r"expected photos:DIR"),
        (f"photos:{photo_dirs[0]};{tmp_path / 'nope'}", FileNotFoundError, "photo folder not found"),
        ("teacher:", ValueError, "expected teacher:LABEL_DIR"),
        (f"teacher:{tmp_path / 'nolabels'}", FileNotFoundError, "no teacher labels"),
        (f"icdar2015:{tmp_path / 'nope'}", FileNotFoundError, "is not a directory"),
        ("cocotext:only.json", ValueError, "expected cocotext:JSON,IMAGES_DIR"),
        (str(tmp_path / "nope"), FileNotFoundError, "not found"),
        (f"synth+{tmp_path / 'nope'}", FileNotFoundError, "not found"),
    ]
    for spec, exc, match in cases:
        with pytest.raises(exc, match=match):
            iter_samples(spec)  # no next(): the spec is checked by the call itself
    with pytest.raises(ValueError, match="no dataset folder"):
        iter_samples("synth", gt=str(tmp_path))
