"""Synthetic scenes: exact ground truth, determinism, variety."""
import numpy as np
import pytest

from textvision.data import TextInstance, instances_to_masks
from textvision.data.instances import signed_area
from textvision.data.synth import FACES, SynthDataset, SynthScene, render_scene


def _inside_convex(points_xy: np.ndarray, quad: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Exact point-in-convex-quad test (clockwise, y down) for points [P, 2]."""
    inside = np.ones(len(points_xy), bool)
    for i in range(4):
        a, b = quad[i].astype(np.float64), quad[(i + 1) % 4].astype(np.float64)
        cross = (b[0] - a[0]) * (points_xy[:, 1] - a[1]) - (b[1] - a[1]) * (points_xy[:, 0] - a[0])
        inside &= cross >= -eps * np.hypot(*(b - a))
    return inside


def _check_scene(scene: SynthScene, size):
    h, w = size
    assert scene.image.shape == (h, w, 3) and scene.image.dtype == np.uint8
    assert scene.mask.shape == (h, w) and scene.mask.dtype == np.uint8
    assert set(np.unique(scene.mask)) <= {0, 1}
    ys, xs = np.nonzero(scene.mask)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    covered = np.zeros(len(pts), bool)
    for inst in scene.instances:
        assert isinstance(inst, TextInstance) and inst.quad.shape == (4, 2) and inst.quad.dtype == np.float32
        assert signed_area(inst.quad) > 0, "quads must be clockwise"
        assert np.all(inst.quad >= -0.6) and np.all(inst.quad[:, 0] <= w - 0.4) and np.all(inst.quad[:, 1] <= h - 0.4)
        inq = _inside_convex(pts, inst.quad)
        assert inq.any(), f"quad of {inst.text!r} contains no text pixel"
        covered |= inq
    # every text pixel lies inside the union of the word quads
    assert covered.all(), f"{(~covered).sum()} text pixels outside every quad"


@pytest.mark.parametrize("seed", range(12))
def test_mask_inside_quads_and_quads_hold_text(seed):
    size = (256, 320)
    _check_scene(render_scene(seed, size), size)


@pytest.mark.parametrize("seed", range(5, 15))
def test_quads_are_tight(seed):
    # Each side of a quad lies within 2.5 px of a text pixel inside it (a tight box, whatever the angle;
    # 1 px in the render canvas, times the aspect/keystone stretch of up to ~1.5).
    scene = render_scene(seed, (384, 384), text_free_prob=0.0)
    assert scene.instances
    ys, xs = np.nonzero(scene.mask)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    for inst in scene.instances:
        inside = pts[_inside_convex(pts, inst.quad)]
        for i in range(4):
            a, b = inst.quad[i].astype(np.float64), inst.quad[(i + 1) % 4].astype(np.float64)
            n = np.array([b[1] - a[1], a[0] - b[0]]) / np.hypot(*(b - a))
            dist = np.abs((inside - a) @ n)
            assert dist.min() < 2.5, (inst.text, i, dist.min())


def test_deterministic_per_seed():
    a, b = render_scene(7, (200, 300)), render_scene(7, (200, 300))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert [i.text for i in a.instances] == [i.text for i in b.instances]
    for p, q in zip(a.instances, b.instances):
        np.testing.assert_array_equal(p.quad, q.quad)
    c = render_scene(8, (200, 300))
    assert not np.array_equal(a.image, c.image)


def test_every_face_renders_text():
    for name in FACES:
        # a scene may place no line (too big to fit, no free spot); some of three seeds must
        scenes = [render_scene(seed, (160, 240), faces=[name], text_free_prob=0.0, max_lines=3) for seed in (1, 2, 3)]
        assert any(sc.instances for sc in scenes), name
        for sc in scenes:
            _check_scene(sc, (160, 240))


def test_text_free_scenes_exist():
    scene = render_scene(0, (64, 64), text_free_prob=1.0)
    assert scene.instances == [] and scene.mask.sum() == 0


def test_dataset_items_match_render_scene():
    ds = SynthDataset(3, size=(96, 128), seed=4)
    assert len(ds) == 3
    item = ds[2]
    ref = render_scene((4, 2), (96, 128))
    np.testing.assert_array_equal(item["image"], ref.image)
    np.testing.assert_array_equal(item["mask"], ref.mask)
    with pytest.raises(IndexError):
        ds[3]


def test_masks_from_quads_cover_text():
    scene = render_scene(11, (256, 256), text_free_prob=0.0)
    text, ignore = instances_to_masks(scene.instances, (256, 256))
    assert ignore.sum() == 0
    # rasterised quads cover (nearly) all text pixels; fillPoly rounds vertices to 1/16 px
    assert (scene.mask & ~text.astype(bool)).sum() <= 0.01 * scene.mask.sum() + 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown face"):
        render_scene(0, (64, 64), faces=["comic_sans"])
    with pytest.raises(ValueError, match="at least 16"):
        render_scene(0, (8, 64))


@pytest.mark.parametrize("size,seed", [((64, 64), 3), ((100, 300), 4), ((512, 512), 9), ((300, 90), 2)])
def test_ground_truth_exact_across_sizes(size, seed):
    _check_scene(render_scene(seed, size, text_free_prob=0.0), size)


def test_user_backgrounds_and_options():
    rng = np.random.default_rng(0)
    bg = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    scene = render_scene(2, (128, 160), backgrounds=[bg], words=["alpha", "beta"], max_lines=4,
                         text_free_prob=0.0, effects=False, max_angle=0.0)
    _check_scene(scene, (128, 160))
    assert scene.instances
    allowed = {"alpha", "beta", "ALPHA", "BETA", "Alpha", "Beta"}
    assert any(i.text in allowed for i in scene.instances)
    with pytest.raises(ValueError, match="uint8"):
        render_scene(2, (64, 64), backgrounds=[bg.astype(np.float32)], text_free_prob=0.0)


def test_sizes_span_small_to_large():
    heights = []
    for seed in range(30):
        for inst in render_scene(seed, (384, 384)).instances:
            q = inst.quad
            heights.append(np.linalg.norm(q[3] - q[0]))
    heights = np.array(heights)
    assert heights.min() < 14 and heights.max() > 384 / 5


def test_truetype_fonts_when_present():
    import glob

    fonts = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"))
    if not fonts:
        pytest.skip("no system TrueType font to try")
    scene = render_scene(0, (128, 256), faces=[], fonts=fonts, text_free_prob=0.0)
    assert scene.instances
    _check_scene(scene, (128, 256))


def test_many_seeds_render_without_error():
    # Regression: a line exactly as wide as the image once left an empty placement range.
    for seed in range(60):
        render_scene(seed, (48, 64), effects=bool(seed % 2))


def test_low_contrast_words_are_dont_care():
    flags = [i.ignore for s in range(40) for i in render_scene(s, (128, 128)).instances]
    assert 0 < sum(flags) < 0.4 * len(flags)
    flags = [i.ignore for s in range(10) for i in render_scene(s, (128, 128), dont_care_low_contrast=False).instances]
    assert not any(flags)


def test_at_least_six_visually_distinct_faces():
    # The same text in each face, cropped to its ink and resized to one shape: a set of faces whose
    # glyph masks pairwise overlap by less than IoU 0.6 must have at least six members.
    import cv2

    from textvision.data.synth import _render_word

    masks = {}
    for name, face in FACES.items():
        a = _render_word("Quick Brown 2024", face, 28, 0.4, 4)
        ys, xs = np.nonzero(a > 0.5)
        masks[name] = cv2.resize(a[ys.min():ys.max() + 1, xs.min():xs.max() + 1], (400, 40)) > 0.5
    chosen = []
    for name in masks:
        if all((masks[name] & masks[c]).sum() / (masks[name] | masks[c]).sum() < 0.6 for c in chosen):
            chosen.append(name)
    assert len(chosen) >= 6, chosen


def test_instances_record_face_height_angle():
    scene = render_scene(3, (256, 256), faces=["hershey_plain"], text_free_prob=0.0, max_angle=0.0)
    assert scene.instances
    for inst in scene.instances:
        assert inst.attrs["face"] == "hershey_plain" and inst.attrs["angle"] == 0.0
        assert 8 * 0.75 <= inst.attrs["height"] <= 256 / 3
