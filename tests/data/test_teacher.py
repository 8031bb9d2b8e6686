"""CRAFT as a teacher: craft_targets on hand-made maps, label_photos with a fake model, the CLI command.

No test needs the CRAFT weights: ``craft_maps`` is replaced by a stand-in that returns hand-made maps.
"""
import dataclasses
import importlib
from pathlib import Path

import cv2
import numpy as np
import pytest

import textvision.weights as registry
from textvision import io
from textvision.cli import main
from textvision.data import teacher as teacher_mod
from textvision.data.teacher import (
    LABEL_VERSION,
    craft_targets,
    label_name,
    label_photos,
    load_labelled_photo,
    read_teacher_label,
)
from textvision.models.craft import CraftMaps, craft_word_boxes

craft_mod = importlib.import_module("textvision.models.craft")  # the module (the package attribute is the builder)


def _word_maps(h=100, w=200, words=((30, 50, 150, 62),), faint=(), line_of_blobs=False):
    """Maps with solid word rectangles (x0, y0, x1, y1) at region 0.9, and faint blobs (x, y) at 0.5.

    Region 0.9 inside a word and affinity 0 elsewhere: CRAFT's link post-processing then makes one word
    per rectangle (the plain, hand-checkable case; real maps are per-character Gaussians).
    """
    region = np.zeros((h, w), np.float32)
    affinity = np.zeros((h, w), np.float32)
    for x0, y0, x1, y1 in words:
        region[y0:y1, x0:x1] = 0.9
    for x, y in faint:
        cv2.circle(region, (x, y), 4, 0.5, -1)
    return CraftMaps(region=region, affinity=affinity)


def _inside(quad, xs, ys):
    """Signed distance of pixel centres to the quad's outline (positive inside), via OpenCV."""
    contour = quad.reshape(-1, 1, 2).astype(np.float32)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in zip(xs, ys)])


def test_craft_targets_word_filled_band_dont_care_background_zero():
    maps = _word_maps()
    t = craft_targets(maps, band=0.15, min_band=2)
    assert t.target.dtype == np.float32 and t.weight.dtype == np.float32 and t.target.shape == (100, 200)
    quads = craft_word_boxes(maps.region, maps.affinity)
    np.testing.assert_array_equal(t.quads, quads)
    assert len(t.quads) == 1
    q = t.quads[0]
    # The target is the filled quad: every pixel centre farther than 1 px inside is 1, outside is 0.
    ys, xs = np.mgrid[0:100, 0:200]
    d = _inside(q, xs.ravel(), ys.ravel()).reshape(100, 200)
    assert np.all(t.target[d > 1] == 1) and np.all(t.target[d < -1] == 0)
    assert set(np.unique(t.target)) == {0.0, 1.0}
    # Band: half-width max(2, 0.15 * word height) to each side of the outline is don't care.
    height = min(np.linalg.norm(q[1] - q[2]), np.linalg.norm(q[0] - q[1]))
    half = max(2.0, 0.15 * height)
    assert np.all(t.weight[np.abs(d) <= half - 0.5] == 0)
    assert np.all(t.weight[np.abs(d) > half + 1.5] == 1)  # inside the word and the background both count
    assert t.target[56, 90] == 1 and t.weight[56, 90] == 1  # word centre
    assert t.target[5, 5] == 0 and t.weight[5, 5] == 1  # far away


def test_craft_targets_low_confidence_zone_is_dont_care():
    # A faint mark (0.5 < text_threshold 0.7): not a word, but not clean background either.
    maps = _word_maps(words=(), faint=[(100, 50)])
    t = craft_targets(maps, uncertain=0.2, min_band=2)
    assert len(t.quads) == 0 and not t.target.any()
    assert t.weight[50, 100] == 0 and t.weight[50, 100 + 4 + 2] == 0  # the blob grown by min_band
    assert t.weight[50, 100 + 4 + 4] == 1 and t.weight[5, 5] == 1
    # Above the uncertain level it counts as background: nothing is don't care.
    t = craft_targets(maps, uncertain=0.6)
    assert t.weight.min() == 1
    # Faint affinity alone also makes a zone unsure.
    aff = np.zeros((40, 40), np.float32)
    aff[10:14, 10:30] = 0.3
    t = craft_targets(CraftMaps(np.zeros((40, 40), np.float32), aff), uncertain=0.2, min_band=0)
    np.testing.assert_array_equal(t.weight == 0, aff > 0.2)


def test_craft_targets_unsure_zone_does_not_cut_into_words():
    # A faint mark touching a confident word: the word's interior keeps weight 1.
    maps = _word_maps(words=((30, 40, 150, 70),), faint=[(152, 55)])
    t = craft_targets(maps, band=0.0, min_band=1)
    assert t.target[55, 140] == 1 and t.weight[55, 140] == 1


def test_craft_targets_no_text_is_all_background():
    z = np.zeros((32, 48), np.float32)
    t = craft_targets(CraftMaps(z, z))
    assert t.quads.shape == (0, 4, 2) and not t.target.any() and t.weight.min() == 1


def test_craft_targets_bad_input():
    z = np.zeros((8, 8), np.float32)
    with pytest.raises(TypeError, match="CraftMaps"):
        craft_targets(z)
    with pytest.raises(ValueError, match="same size"):
        craft_targets(CraftMaps(z, np.zeros((8, 9), np.float32)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        craft_targets(CraftMaps(z + 2, z))
    with pytest.raises(ValueError, match="uncertain"):
        craft_targets(CraftMaps(z, z), uncertain=1.5)
    with pytest.raises(ValueError, match="min_band"):
        craft_targets(CraftMaps(z, z), min_band=-1)


# ----------------------------------------------------------------------------------------------
# label_photos with a stand-in CRAFT


class _FakeCraft:
    """Stands in for ``craft_maps``: a word rectangle in the image's middle third; records the calls."""

    def __init__(self, fail_at=None):
        self.calls = []
        self.fail_at = fail_at

    def __call__(self, model, rgb, *, max_side):
        self.calls.append((model, rgb.shape, max_side))
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise KeyboardInterrupt  # a run killed mid-way
        h, w = rgb.shape[:2]
        region = np.zeros((h, w), np.float32)
        region[h // 3: h // 3 + max(3, h // 8), w // 4: 3 * w // 4] = 0.9
        return CraftMaps(region, np.zeros((h, w), np.float32))


MODEL = object()  # label_photos never looks inside the model; craft_maps is replaced


@pytest.fixture
def fake_craft(monkeypatch):
    fake = _FakeCraft()
    monkeypatch.setattr(craft_mod, "craft_maps", fake)
    # The CLI checks the CRAFT weights before any work; without the [pretrained] package the registry's
    # file is absent, and these tests never load it (the teacher is faked): resolve it to a stand-in path.
    from textvision import weights

    real_resolve = weights.resolve

    def resolve(w, model, *a, **k):
        if model == "craft" and w in ("default", "craft", "craft_mlt_25k"):
            return Path("craft_mlt_25k.pth")
        return real_resolve(w, model, *a, **k)

    monkeypatch.setattr(weights, "resolve", resolve)
    return fake


@pytest.fixture
def photo_files(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "photos"
    (d / "b").mkdir(parents=True)
    paths = [d / "a.jpg", d / "b" / "a.jpg", d / "wide.png"]  # two photos with one stem
    sizes = [(60, 80), (64, 96), (120, 300)]
    for p, (h, w) in zip(paths, sizes):
        io.write_image(p, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return paths


def test_label_photos_writes_labels_that_read_back(photo_files, tmp_path, fake_craft):
    out = tmp_path / "labels"
    stats = label_photos(photo_files, out, max_side=100, model=MODEL)
    assert (stats.labelled, stats.existing, stats.failed) == (3, 0, [])
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 and len(set(stats.files)) == 3  # same stem, distinct files
    assert [f.name for f in stats.files] == [label_name(p) for p in photo_files]
    assert all(n.startswith(("a-", "wide-")) and n.endswith(".npz") for n in names)
    # CRAFT saw the photo shrunk to max_side; the label lies on that grid
    assert fake_craft.calls[2] == (MODEL, (40, 100, 3), 100)
    lab = read_teacher_label(stats.files[2])
    assert lab.target.shape == lab.weight.shape == (40, 100)
    assert lab.image_hw == (120, 300) and lab.max_side == 100 and lab.teacher == "custom"
    assert lab.source == photo_files[2].absolute()
    # the stored target is craft_targets of CRAFT's maps, quantised to 1/255
    rgb = cv2.resize(io.read_rgb(photo_files[2]), (100, 40), interpolation=cv2.INTER_AREA)
    ref = craft_targets(_FakeCraft()(MODEL, rgb, max_side=100))
    np.testing.assert_allclose(lab.target, ref.target, atol=0.5 / 255)
    np.testing.assert_allclose(lab.weight, ref.weight, atol=0.5 / 255)
    np.testing.assert_allclose(lab.quads, ref.quads)
    assert len(lab.quads) == 1
    photo = load_labelled_photo(lab)
    np.testing.assert_array_equal(photo, rgb)
    with np.load(stats.files[0], allow_pickle=False) as z:  # plain arrays only
        assert z["target"].dtype == np.uint8 and int(z["version"]) == LABEL_VERSION
    # the files are readable by others (umask honoured, not mkstemp's 0600)
    assert stats.files[0].stat().st_mode & 0o044


def test_label_photos_resumes_and_never_relabels(photo_files, tmp_path, fake_craft):
    out = tmp_path / "labels"
    label_photos(photo_files[:1], out, model=MODEL)
    first = sorted(out.iterdir())
    before = first[0].stat().st_mtime_ns
    stats = label_photos(photo_files, out, model=MODEL)
    assert (stats.labelled, stats.existing) == (2, 1) and len(fake_craft.calls) == 3
    stats = label_photos(photo_files, out, model=MODEL)
    assert (stats.labelled, stats.existing) == (0, 3) and len(fake_craft.calls) == 3  # nothing labelled
    assert first[0].stat().st_mtime_ns == before


def test_label_photos_killed_midway_leaves_no_partial_file(photo_files, tmp_path, monkeypatch):
    out = tmp_path / "labels"
    monkeypatch.setattr(craft_mod, "craft_maps", _FakeCraft(fail_at=2))
    with pytest.raises(KeyboardInterrupt):
        label_photos(photo_files, out, model=MODEL)
    assert [p.name for p in out.iterdir()] == [label_name(photo_files[0])]  # no temporary leftovers
    # a write killed inside the atomic writer leaves nothing either
    monkeypatch.setattr(craft_mod, "craft_maps", _FakeCraft())

    def killed_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(teacher_mod.np, "savez_compressed", killed_savez)
    with pytest.raises(KeyboardInterrupt):
        label_photos(photo_files, out, model=MODEL)
    assert [p.name for p in out.iterdir()] == [label_name(photo_files[0])]
    monkeypatch.undo()
    monkeypatch.setattr(craft_mod, "craft_maps", _FakeCraft())
    stats = label_photos(photo_files, out, model=MODEL)
    assert (stats.labelled, stats.existing) == (2, 1)


def test_label_photos_bad_photo_skipped_others_go_on(photo_files, tmp_path, fake_craft, caplog):
    bad = tmp_path / "photos" / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    stats = label_photos([photo_files[0], bad, photo_files[2]], tmp_path / "labels", model=MODEL)
    assert stats.labelled == 2 and [p for p, _ in stats.failed] == [bad] and "bad.jpg" in stats.failed[0][1]
    assert stats.files[1] is None and "bad.jpg" in caplog.text


def test_label_photos_checks_output_before_work(photo_files, tmp_path, fake_craft):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(ValueError, match="afile"):
        label_photos(photo_files, afile / "out", model=MODEL)
    with pytest.raises(ValueError, match="band"):
        label_photos(photo_files, tmp_path / "labels", model=MODEL, band=2.0)
    with pytest.raises(ValueError, match="max_side"):
        label_photos(photo_files, tmp_path / "labels", model=MODEL, max_side=16)
    assert fake_craft.calls == []


def _with_package(monkeypatch, name, package):
    entries = tuple(dataclasses.replace(e, package=package) if e.name == name else e for e in registry._ENTRIES)
    monkeypatch.setattr(registry, "_ENTRIES", entries)


def test_label_photos_missing_craft_package_names_the_extra(photo_files, tmp_path, monkeypatch, fake_craft):
    _with_package(monkeypatch, "craft_mlt_25k", "textvision_no_such_package")
    with pytest.raises(FileNotFoundError, match=r"textvision\[pretrained\]"):
        label_photos(photo_files, tmp_path / "labels")
    assert fake_craft.calls == []
    # nothing to label: the teacher is not needed, so no error
    assert label_photos([], tmp_path / "labels").labelled == 0


def test_read_teacher_label_rejects_other_files(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a teacher label file"):
        read_teacher_label(other)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a teacher label file"):
        read_teacher_label(text)
    with pytest.raises(FileNotFoundError):
        read_teacher_label(tmp_path / "missing.npz")


# ----------------------------------------------------------------------------------------------
# CLI


def test_cli_teacher_label(photo_files, tmp_path, fake_craft, monkeypatch, capsys):
    monkeypatch.setattr(teacher_mod, "_load_teacher", lambda weights: MODEL)
    folder = photo_files[0].parent
    (folder / "b" / "a.jpg").rename(folder / "b" / "held_out.jpg")
    out = tmp_path / "labels"
    assert main(["teacher-label", str(folder), "--out", str(out), "--exclude", "*/b/*", "--min-side", "32"]) == 0
    captured = capsys.readouterr()
    assert "2 photos found (1 excluded" in captured.out and "labelled 2 photo(s)" in captured.out
    assert sorted(p.name.split("-")[0] for p in out.iterdir()) == ["a", "wide"]  # held_out never labelled
    # a corrupt photo: reported, the rest resumes (the new photo only is labelled), exit 1 with a count
    (folder / "broken.png").write_bytes(b"\x89PNG broken")
    io.write_image(folder / "new.png", np.full((50, 70, 3), 90, np.uint8))
    argv = ["teacher-label", str(folder), "--out", str(out), "--exclude", "*/b/*", "--min-side", "32"]
    assert main(argv) == 1  # labels are there: continuing is asked for with --resume
    assert "--resume" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 1
    captured = capsys.readouterr()
    assert "broken.png" in captured.err and "1 photo(s) could not be read" in captured.err
    assert "labelled 1 photo(s), 2 already labelled" in captured.out


def test_cli_teacher_label_errors_are_one_line(photo_files, tmp_path, monkeypatch, capsys, evil_checkpoint,
                                               fake_craft):
    folder = str(photo_files[0].parent)
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["teacher-label", folder, "--out", str(afile / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("textvision teacher-label: error:") and err.count("\n") == 1 and "afile" in err
    # code in a weights file is refused, nothing runs
    path, marker = evil_checkpoint
    assert main(["teacher-label", folder, "--out", str(tmp_path / "l1"), "--model", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "refused" in err[-1] and err[-1].startswith("textvision teacher-label: error:")
    assert not marker.exists() and fake_craft.calls == []
    # the missing package names the extra
    _with_package(monkeypatch, "craft_mlt_25k", "textvision_no_such_package")
    assert main(["teacher-label", folder, "--out", str(tmp_path / "l2")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert 'textvision[pretrained]' in err[-1] and "Traceback" not in "".join(err)
