"""EAST targets on hand-made quads (known distances / angle) and robustness cases."""
import numpy as np
import pytest

from textvision.data import TextInstance
from textvision.east.geometry import RepairedQuad, map_to_image, rbox_of, repair_quad, restore_quads, shrink_quad
from textvision.east.targets import targets


def rotated_rect(cx, cy, w, h, theta):
    """Clockwise (y down) corners of a w x h rectangle whose top edge is rotated by theta."""
    u = np.array([np.cos(theta), np.sin(theta)])
    v = np.array([-np.sin(theta), np.cos(theta)])
    c = np.array([cx, cy])
    return np.array([c - u * w / 2 - v * h / 2, c + u * w / 2 - v * h / 2,
                     c + u * w / 2 + v * h / 2, c - u * w / 2 + v * h / 2], np.float32)


def point_line_distance(p, a, b):
    d = b - a
    return abs(d[0] * (p[1] - a[1]) - d[1] * (p[0] - a[0])) / np.hypot(*d)


def test_axis_aligned_hand_worked():
    q = np.array([[[20, 40], [120, 40], [120, 70], [20, 70]]], np.float32)
    t = targets((128, 160), q)
    assert t.score.shape == (32, 40) and t.geometry.shape == (5, 32, 40) and t.mask.shape == (32, 40)
    # cell (row 12, col 7) has its centre at image (7.5*4-0.5, 12.5*4-0.5) = (29.5, 49.5)
    assert t.score[12, 7] == 1
    np.testing.assert_allclose(t.geometry[:, 12, 7], [9.5, 90.5, 20.5, 9.5, 0.0], atol=1e-5)
    # shrink by 0.3 * 30 = 9 px: x in [29, 111], y in [49, 61] -> no positives near the border
    ys, xs = np.nonzero(t.score)
    cx, cy = map_to_image(xs, 0.25), map_to_image(ys, 0.25)
    assert cx.min() >= 29 - 2 and cx.max() <= 111 + 2 and cy.min() >= 49 - 2 and cy.max() <= 61 + 2
    assert t.mask.min() == 1 and (t.fixed, t.dropped, t.masked) == (0, 0, 0)


@pytest.mark.parametrize("theta_deg,expected_deg", [(17, 17), (-30, -30), (60, -30), (-80, 10)])
def test_rotated_distances_and_angle(theta_deg, expected_deg):
    theta = np.deg2rad(theta_deg)
    q = rotated_rect(100, 90, 120, 40, theta)
    t = targets((192, 224), [TextInstance(q, "word")])
    ys, xs = np.nonzero(t.score)
    assert len(ys) > 20
    np.testing.assert_allclose(t.geometry[4, ys, xs], np.deg2rad(expected_deg), atol=1e-4)
    # Each distance equals the point-to-line distance to one side; "top" is the side nearest the
    # rotated frame's top: check the four distances as the set of side distances, and t+b, l+r.
    for y, x in list(zip(ys, xs))[:: max(1, len(ys) // 15)]:
        p = np.array([map_to_image(x, 0.25), map_to_image(y, 0.25)])
        sides = sorted(point_line_distance(p, q[i], q[(i + 1) % 4]) for i in range(4))
        np.testing.assert_allclose(sorted(t.geometry[:4, y, x]), sides, atol=1e-3)
        g = t.geometry[:, y, x]
        extents = sorted([g[0] + g[2], g[1] + g[3]])
        np.testing.assert_allclose(extents, [40, 120], atol=1e-3)
    # restoring every positive cell gives the original rectangle back
    xy = np.stack([map_to_image(xs, 0.25), map_to_image(ys, 0.25)], 1)
    restored = restore_quads(xy, t.geometry[:, ys, xs].T)
    ref = rbox_of(q)
    for r in restored[:: max(1, len(restored) // 10)]:
        assert rbox_of(r).cx == pytest.approx(ref.cx, abs=1e-2)
        assert rbox_of(r).cy == pytest.approx(ref.cy, abs=1e-2)


def test_counter_clockwise_equals_clockwise():
    q = rotated_rect(80, 64, 100, 30, 0.2)
    a = targets((128, 160), q[None])
    b = targets((128, 160), q[None, ::-1])
    c = targets((128, 160), np.roll(q, 1, axis=0)[None])  # other start corner
    for t in (b, c):
        np.testing.assert_array_equal(a.score, t.score)
        np.testing.assert_allclose(a.geometry, t.geometry, atol=1e-4)
    assert (a.fixed, b.fixed, c.fixed) == (0, 1, 0)


def test_self_intersecting_and_concave_are_rectified():
    q = rotated_rect(80, 64, 100, 30, 0.0)
    bowtie = q[[0, 2, 1, 3]]
    t = targets((128, 160), bowtie[None])
    assert t.fixed == 1 and t.dropped == 0 and t.score.sum() > 0
    repaired = repair_quad(bowtie)
    assert type(repaired) is RepairedQuad and repaired.status == "rectified" and repaired.quad.shape == (4, 2)
    concave = q.copy()
    concave[1] = [80, 70]  # pushed inward past the diagonal 0-2 (y = 64 at x = 80)
    _, status = repair_quad(concave)
    assert status == "rectified"


def test_degenerate_quads_are_dropped():
    zero = np.zeros((4, 2), np.float32)
    line = np.array([[0, 0], [10, 10], [20, 20], [30, 30]], np.float32)
    nan = np.full((4, 2), np.nan, np.float32)
    t = targets((64, 64), np.stack([zero, line, nan]))
    assert t.dropped == 3 and t.score.sum() == 0 and t.mask.min() == 1


def test_empty_and_all_dont_care():
    t = targets((64, 96, 3), [])
    assert t.score.shape == (16, 24) and t.score.sum() == 0 and t.mask.min() == 1
    q = rotated_rect(48, 32, 60, 20, 0.1)
    t = targets((64, 96), [TextInstance(q, "###", ignore=True), TextInstance(q + 5, "###")])
    assert t.masked == 2 and t.score.sum() == 0 and t.geometry.max() == 0
    assert t.mask.sum() < t.mask.size - 20  # the words' area is masked out


def test_small_words_are_masked():
    small = rotated_rect(40, 40, 50, 8, 0.0)  # short side 8 < 10
    big = rotated_rect(40, 100, 60, 20, 0.0)
    t = targets((128, 128), np.stack([small, big]))
    assert t.masked == 1
    assert t.mask[10, 10] == 0 and t.score[:16].sum() == 0 and t.score[20:].sum() > 0
    t2 = targets((128, 128), np.stack([small, big]), min_side=5)
    assert t2.masked == 0 and t2.score[:16].sum() > 0


def test_partly_and_wholly_outside():
    q = np.array([[-40, 10], [60, 10], [60, 40], [-40, 40]], np.float32)
    t = targets((64, 64), q[None])
    ys, xs = np.nonzero(t.score)
    assert len(ys) > 0
    # left distance reaches the word's left side at x = -40, outside the image
    np.testing.assert_allclose(t.geometry[3, ys, xs], map_to_image(xs, 0.25) + 40, atol=1e-4)
    far = q + 1000
    t = targets((64, 64), far[None])
    assert t.score.sum() == 0 and t.dropped == 0


def test_shrink_quad_hand_worked():
    q = np.array([[0, 0], [100, 0], [100, 30], [0, 30]], np.float64)
    np.testing.assert_allclose(shrink_quad(q, 0.3), [[9, 9], [91, 9], [91, 21], [9, 21]], atol=1e-9)


def test_input_validation():
    with pytest.raises(ValueError, match="image_shape"):
        targets((0, 10), [])
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        targets((10, 10), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="ignore"):
        targets((10, 10), np.zeros((2, 4, 2)), ignore=[True])


def test_package_name_targets_is_the_function_after_the_submodule_is_imported():
    import importlib

    import textvision.east as east

    importlib.import_module("textvision.east.targets")
    importlib.import_module("textvision.east.train")  # imports the submodule too
    assert callable(east.targets) and east.targets.__name__ == "targets"
