"""Real-photo folders: scan_photos (bad files skipped with reasons, exclude patterns) and PhotoBackgrounds."""
import logging
import os
import pickle

import cv2
import numpy as np
import pytest

from textvision import io
from textvision.data import photos as photos_mod
from textvision.data.photos import PhotoBackgrounds, SkippedCounts, downscale_to, scan_photos
from textvision.data.synth import render_scene


def _photo(h, w, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture
def photo_dir(tmp_path):
    """A folder as found on a real system: good photos, grey and RGBA PNGs, and junk."""
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    io.write_image(d / "good.jpg", _photo(80, 120, 1))
    io.write_image(d / "sub" / "nested.png", _photo(70, 90, 2))
    grey = np.tile(np.arange(100, dtype=np.uint8)[None], (72, 1))
    assert cv2.imwrite(str(d / "grey.png"), grey)  # a real one-channel PNG, not RGB saved as grey
    rgba = np.dstack([_photo(66, 99, 3), np.full((66, 99), 128, np.uint8)])
    assert cv2.imwrite(str(d / "rgba.png"), rgba)
    io.write_image(d / "tiny.png", _photo(2, 2, 4))
    (d / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (d / "notes.txt").write_text("not a photo\n")
    (d / "text.png").write_text("a text file with an image name\n")
    (d / "empty.webp").write_bytes(b"")
    return d


def test_scan_keeps_good_grey_rgba_and_skips_bad_with_reasons(photo_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="textvision.data.photos"):
        scan = scan_photos(photo_dir)
    names = [p.name for p in scan.paths]
    assert names == ["good.jpg", "grey.png", "rgba.png", "nested.png"]  # sorted by path
    reasons = {p.name: s for p, s in ((s.path, s.reason) for s in scan.skipped)}
    assert reasons == {"corrupt.jpg": "unreadable", "text.png": "unreadable", "empty.webp": "unreadable",
                       "tiny.png": "too small"}
    assert scan.skipped_counts() == SkippedCounts(unreadable=3, too_small=1)
    assert scan.skipped_counts().total == 4 and str(scan.skipped_counts()) == "1 too small, 3 unreadable"
    assert scan.other_files == 1 and scan.excluded == 0
    assert "2x2" in next(s.detail for s in scan.skipped if s.reason == "too small")
    assert "corrupt.jpg" in next(s.detail for s in scan.skipped if s.path.name == "corrupt.jpg")
    msgs = [r.getMessage() for r in caplog.records
            if r.name == "textvision.data.photos" and r.levelno == logging.WARNING]
    assert len(msgs) == 1 and "skipped 4 of 8" in msgs[0] and "3 unreadable" in msgs[0] and "1 too small" in msgs[0]


def test_scan_min_side(photo_dir):
    # grey is 100x72, rgba 99x66, nested 90x70, good 120x80: min_side 72 drops rgba and nested
    scan = scan_photos(photo_dir, min_side=72)
    assert [p.name for p in scan.paths] == ["good.jpg", "grey.png"]
    assert scan.skipped_counts().too_small == 3
    assert [p.name for p in scan_photos(photo_dir, min_side=1).paths] == [
        "good.jpg", "grey.png", "rgba.png", "nested.png", "tiny.png"]  # photos/sub/... < photos/tiny.png


def test_scan_exclude_patterns(photo_dir):
    scan = scan_photos(photo_dir, exclude="*/sub/*")
    assert "nested.png" not in [p.name for p in scan.paths] and scan.excluded == 1
    scan = scan_photos(photo_dir, exclude=["*/good.jpg", "*grey*"])
    assert [p.name for p in scan.paths] == ["rgba.png", "nested.png"] and scan.excluded == 2
    # excluded files are not even read: the corrupt one does not show up as skipped
    scan = scan_photos(photo_dir, exclude=["*/corrupt.jpg"])
    assert "corrupt.jpg" not in [s.path.name for s in scan.skipped] and scan.excluded == 1
    with pytest.raises(ValueError, match="exclude"):
        scan_photos(photo_dir, exclude=[""])


def test_scan_exclude_follows_links_and_duplicates_kept_once(photo_dir, tmp_path):
    # An evaluation photo reached through a link elsewhere must still be excluded by its real path.
    evaluation = tmp_path / "eval" / "text"
    evaluation.mkdir(parents=True)
    io.write_image(evaluation / "scene.jpg", _photo(80, 80, 5))
    os.symlink(evaluation / "scene.jpg", photo_dir / "innocent.jpg")
    os.symlink(photo_dir / "good.jpg", photo_dir / "zz_again.jpg")
    scan = scan_photos([photo_dir, evaluation], exclude="*/eval/text/*")
    names = [p.name for p in scan.paths]
    assert "innocent.jpg" not in names and "scene.jpg" not in names and scan.excluded == 2
    assert names.count("good.jpg") == 1 and "zz_again.jpg" not in names
    assert [s.path.name for s in scan.skipped if s.reason == "duplicate"] == ["zz_again.jpg"]
    assert scan.skipped_counts().duplicate == 1


def test_scan_files_and_errors(photo_dir, tmp_path):
    scan = scan_photos([photo_dir / "good.jpg", photo_dir / "tiny.png"])
    assert [p.name for p in scan.paths] == ["good.jpg"] and scan.skipped_counts() == SkippedCounts(too_small=1)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        scan_photos(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="min_side"):
        scan_photos(photo_dir, min_side=0)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert scan_photos(empty).paths == []


def test_downscale_to_matches_opencv_area():
    img = _photo(300, 200, 7)
    out = downscale_to(img, 150)
    np.testing.assert_array_equal(out, cv2.resize(img, (100, 150), interpolation=cv2.INTER_AREA))
    assert downscale_to(img, 300) is img and downscale_to(img, 1000) is img


def test_photo_backgrounds_lazy_downscaled_cached(photo_dir, monkeypatch):
    paths = scan_photos(photo_dir).paths
    reads = []
    real_read = io.read_rgb
    monkeypatch.setattr(photos_mod.io, "read_rgb", lambda p: reads.append(p) or real_read(p))
    bg = PhotoBackgrounds(paths, max_side=60, cache_size=2)
    assert len(bg) == 4 and reads == []  # nothing decoded until used
    good = bg[0]
    np.testing.assert_array_equal(good, downscale_to(real_read(paths[0]), 60))
    assert good.shape == (40, 60, 3) and good.dtype == np.uint8
    assert bg[0] is good and len(reads) == 1  # cached
    grey = bg[1]
    assert grey.shape == (43, 60, 3) and np.array_equal(grey[..., 0], grey[..., 2])
    bg[0]  # now 1 is the least recently used
    bg[2]  # evicts 1, not 0
    assert len(reads) == 3
    bg[0]
    assert len(reads) == 3
    bg[1]
    assert len(reads) == 4
    assert bg[-1].shape[2] == 3 and len(bg[0:2]) == 2
    with pytest.raises(IndexError):
        bg[4]
    clone = pickle.loads(pickle.dumps(bg))  # DataLoader workers get a copy
    np.testing.assert_array_equal(clone[0], good)


def test_photo_backgrounds_in_render_scene_equal_preloaded_arrays(photo_dir):
    paths = scan_photos(photo_dir).paths
    bg = PhotoBackgrounds(paths, max_side=64, cache_size=0)
    arrays = [downscale_to(io.read_rgb(p), 64) for p in paths]
    for seed in range(3):
        a = render_scene(seed, (48, 64), backgrounds=bg)
        b = render_scene(seed, (48, 64), backgrounds=arrays)
        np.testing.assert_array_equal(a.image, b.image)
    # the photos are really used: a black-only photo set gives darker scenes than none at all
    dark = render_scene(0, (48, 64), backgrounds=[np.zeros((64, 64, 3), np.uint8)], text_free_prob=1.0,
                        effects=False)
    assert dark.image.mean() < render_scene(0, (48, 64), backgrounds=bg, text_free_prob=1.0,
                                            effects=False).image.mean()


def test_photo_backgrounds_bad_arguments(photo_dir, tmp_path):
    with pytest.raises(TypeError, match="from_dirs"):
        PhotoBackgrounds(str(photo_dir))
    with pytest.raises(ValueError, match="max_side"):
        PhotoBackgrounds([], max_side=8)
    with pytest.raises(ValueError, match="cache_size"):
        PhotoBackgrounds([], cache_size=-1)
    bg = PhotoBackgrounds.from_dirs(photo_dir, exclude="*/sub/*", max_side=32)
    assert len(bg) == 3 and max(bg[2].shape[:2]) == 32
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(ValueError, match="no usable photo"):
        PhotoBackgrounds.from_dirs(empty)
