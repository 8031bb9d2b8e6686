"""Training TextFCN on real photographs: teacher-labelled photos, synthetic text on photo backgrounds,
mixed ``--data`` specs, real typefaces."""
import importlib

import numpy as np
import pytest

from textvision import io
from textvision.data.teacher import label_photos
from textvision.text_fcn.train import make_sources, teacher_source

craft_mod = importlib.import_module("textvision.models.craft")  # the module (the package attribute is the builder)


def _fake_craft(model, rgb, *, max_side):
    """A word rectangle in the image's middle third (region 0.9), nothing else."""
    h, w = rgb.shape[:2]
    region = np.zeros((h, w), np.float32)
    region[h // 3: h // 3 + max(6, h // 6), w // 4: 3 * w // 4] = 0.9
    return craft_mod.CraftMaps(region, np.zeros((h, w), np.float32))


@pytest.fixture
def labels(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    photos = []
    for k, (h, w) in enumerate([(90, 120), (120, 200), (100, 100)]):
        p = tmp_path / "photos" / f"p{k}.png"
        io.write_image(p, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        photos.append(p)
    monkeypatch.setattr(craft_mod, "craft_maps", _fake_craft)
    label_photos(photos, tmp_path / "labels", max_side=160, model=object())
    return tmp_path / "labels", photos


def test_teacher_source_turns_words_into_text_and_bands_into_ignore(labels):
    out, photos = labels
    ds = teacher_source(str(out), max_side=150)
    assert len(ds) == 3
    for s in ds:
        assert s.image.dtype == np.uint8 and s.image.shape[2] == 3 and max(s.image.shape[:2]) <= 160
        assert s.text.shape == s.ignore.shape == s.image.shape[:2]
        h, w = s.text.shape
        core = np.argwhere((s.text == 1) & (s.ignore == 0))
        assert len(core)  # the word's core is text the loss sees
        assert abs(core[:, 0].mean() - (h // 3 + h // 12)) < h / 8 and abs(core[:, 1].mean() - w / 2) < w / 8
        assert s.text[2, 2] == 0 and s.ignore[2, 2] == 0  # far background: a real negative
        # the teacher's outline is uncertain: a band on both sides of it is don't-care
        assert (s.ignore & s.text).any() and (s.ignore & (1 - s.text)).any()
    wide = max(ds, key=lambda s: s.image.shape[1])
    assert max(wide.image.shape[:2]) == 150  # 200 px photo labelled at 160, held at max_side 150


def test_teacher_source_skips_labels_whose_photo_is_gone(labels, caplog):
    out, photos = labels
    photos[0].unlink()
    with caplog.at_level("WARNING", logger="textvision.text_fcn"):
        ds = teacher_source(str(out))
    assert len(ds) == 2 and "1 of 3 skipped" in caplog.text
    with pytest.raises(FileNotFoundError, match="no teacher labels"):
        teacher_source(str(out / "nope"))


def test_mixed_spec_concatenates_parts_and_holds_out_teacher_photos(labels, tmp_path):
    out, _ = labels
    bg = tmp_path / "bg"
    io.write_image(bg / "wall.jpg", np.full((200, 300, 3), (30, 120, 200), np.uint8))
    train, val = make_sources(f"photos:{bg}+teacher:{out}", synth_n=4, synth_val_n=2, synth_size=(64, 64),
                              val_fraction=0.34)
    assert len(train) == 4 + 2 and len(val) == 2 + 1
    train3, val3 = make_sources(f"photos:{bg}+teacher:{out}*3", synth_n=4, synth_val_n=2, synth_size=(64, 64),
                                val_fraction=0.34)
    assert len(train3) == 4 + 3 * 2 and len(val3) == len(val)  # the repeat weighs training only
    scene = train[0]
    assert scene.image.shape == (64, 64, 3)
    # synthetic text on a photo: the background pixels are the photo's colour, not a procedural texture
    bgpix = scene.image[(scene.text == 0) & (scene.ignore == 0)].reshape(-1, 3).astype(int)
    assert np.median(np.abs(bgpix - [30, 120, 200]).sum(1)) < 90


def test_find_fonts_keeps_latin_faces_only(tmp_path):
    import glob
    import shutil

    from textvision.data.synth import find_fonts

    dejavu = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    symbols = sorted(glob.glob("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf"))
    if not dejavu or not symbols:
        pytest.skip("needs Debian's fonts-dejavu-core and fonts-noto-core")
    shutil.copy(dejavu[0], tmp_path)
    shutil.copy(symbols[0], tmp_path)
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    assert [p.split("/")[-1] for p in find_fonts([tmp_path])] == ["DejaVuSans.ttf"]


def test_teacher_split_is_stable_as_labels_are_added():
    from textvision.text_fcn.train import teacher_split

    names = [f"photo{k}-{k:010x}.npz" for k in range(200)]
    split = teacher_split(names, 0.1)
    tr, va = split
    assert (split.train, split.val) == (tr, va)
    assert sorted(tr + va) == list(range(200)) and 10 <= len(va) <= 30
    more = names[:100] + [f"extra{k}.npz" for k in range(50)] + names[100:]
    tr2, va2 = teacher_split(more, 0.1)
    assert {more[i] for i in va2} >= {names[i] for i in va}  # nobody changes sides
    assert {more[i] for i in tr2} >= {names[i] for i in tr}
    with pytest.raises(ValueError, match="empty"):
        teacher_split(names[:2], 0.1)
