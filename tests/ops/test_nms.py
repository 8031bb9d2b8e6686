"""textvision.ops.lanms / polygon_iou / polygon_nms against shapely references and hand-worked cases."""
import numpy as np
import pytest

from textvision import _ext

pytestmark = pytest.mark.skipif(not _ext.has_ops(), reason="compiled core not built")

from textvision.ops import lanms, polygon_iou, polygon_nms  # noqa: E402
from textvision.ops.nms import lanms_reference, polygon_iou_reference  # noqa: E402


def rect(x0, y0, x1, y1):
    """Clockwise (image coords) quad from top-left."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def rotated(cx, cy, w, h, angle):
    c, s = np.cos(angle), np.sin(angle)
    pts = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return (pts @ np.array([[c, s], [-s, c]]) + [cx, cy]).astype(np.float32)


def random_quads(rng, n, extent=200.0, rows=None):
    """Rotated rectangles plus some random convex-ish jitter, in raster order when rows is given."""
    cx = rng.uniform(0, extent, n)
    cy = rng.uniform(0, extent, n)
    if rows is not None:
        cy = np.round(cy / rows) * rows
        order = np.lexsort((cx, cy))
        cx, cy = cx[order], cy[order]
    w = rng.uniform(5, 60, n)
    h = rng.uniform(5, 30, n)
    a = rng.uniform(-0.5, 0.5, n)
    q = np.stack([rotated(*p) for p in zip(cx, cy, w, h, a)])
    return q + rng.normal(0, 0.5, q.shape).astype(np.float32)


def test_iou_hand_worked():
    a = rect(0, 0, 10, 10)
    b = rect(5, 0, 15, 10)  # overlap 50, union 150
    c = rect(20, 20, 30, 30)
    iou = polygon_iou(np.stack([a]), np.stack([a, b, c]))
    np.testing.assert_allclose(iou, [[1.0, 1 / 3, 0.0]], atol=1e-12)
    # a diamond inside a square: area 50 / 100
    d = np.array([[5, 0], [10, 5], [5, 10], [0, 5]], np.float32)
    np.testing.assert_allclose(polygon_iou(a[None], d[None]), [[0.5]], atol=1e-12)


def test_iou_orientation_and_degenerate():
    a = rect(0, 0, 10, 10)
    b = rect(5, 5, 15, 15)
    ccw = b[::-1].copy()
    shifted = np.roll(b, 1, axis=0)
    bowtie = b[[0, 2, 1, 3]]  # self-intersecting: measured through its hull (the square)
    zero = np.array([[0, 0], [10, 10], [5, 5], [2, 2]], np.float32)  # collinear
    point = np.zeros((4, 2), np.float32)
    iou = polygon_iou(a[None], np.stack([b, ccw, shifted, bowtie, zero, point]))[0]
    np.testing.assert_allclose(iou[:4], 25 / 175, atol=1e-12)
    assert iou[4] == 0.0 and iou[5] == 0.0
    assert polygon_iou(zero[None], zero[None])[0, 0] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iou_matches_shapely(seed):
    rng = np.random.default_rng(seed)
    a = random_quads(rng, 40, extent=60)
    b = random_quads(rng, 30, extent=60)
    b[:5] = b[:5, ::-1]  # counter-clockwise
    b[5:8] = b[5:8][:, [0, 2, 1, 3]]  # self-intersecting
    np.testing.assert_allclose(polygon_iou(a, b), polygon_iou_reference(a, b), atol=1e-9)


def test_iou_large_coordinates():
    a = rect(10000, 10000, 10010, 10010)
    b = rect(10005, 10000, 10015, 10010)
    np.testing.assert_allclose(polygon_iou(a[None], b[None]), [[1 / 3]], atol=1e-9)


def test_lanms_merges_row_neighbours():
    # Three overlapping boxes on a row (merged by score-weighted average) and a separate one.
    q = np.stack([rect(0, 0, 10, 10), rect(1, 0, 11, 10), rect(2, 0, 12, 10), rect(50, 50, 60, 60)])
    s = np.array([1.0, 1.0, 2.0, 0.5], np.float32)
    r = lanms(q, s, 0.2)
    assert r.counts.tolist() == [3, 1]
    np.testing.assert_allclose(r.scores, [4.0, 0.5])
    # running average: (0+1)/2 = 0.5, then (0.5*2 + 2*2)/4 = 1.25
    np.testing.assert_allclose(r.quads[0], rect(1.25, 0, 11.25, 10), atol=1e-5)
    np.testing.assert_allclose(r.quads[1], rect(50, 50, 60, 60))


def test_lanms_aligns_vertex_order():
    a = rect(0, 0, 10, 10)
    b = np.roll(rect(0, 0, 10, 10), 2, axis=0)[::-1]  # same square, other start and direction
    r = lanms(np.stack([a, b]), np.array([1, 1], np.float32))
    np.testing.assert_allclose(r.quads[0], a, atol=1e-6)


@pytest.mark.parametrize("seed,n", [(0, 300), (1, 300), (2, 800)])
def test_lanms_matches_shapely(seed, n):
    rng = np.random.default_rng(seed)
    q = random_quads(rng, n, rows=8.0)
    q[::17] = q[::17, ::-1]  # some counter-clockwise
    s = rng.uniform(0.5, 1.0, n).astype(np.float32)
    got, ref = lanms(q, s, 0.2), lanms_reference(q, s, 0.2)
    assert len(got.scores) == len(ref.scores) > 0
    np.testing.assert_array_equal(got.counts, ref.counts)
    np.testing.assert_allclose(got.scores, ref.scores, rtol=1e-6)
    np.testing.assert_allclose(got.quads, ref.quads, atol=1e-4)


def test_lanms_merge_threshold_separate():
    rng = np.random.default_rng(5)
    q = random_quads(rng, 200, rows=8.0)
    s = rng.uniform(0.5, 1.0, 200).astype(np.float32)
    got = lanms(q, s, 0.3, merge_threshold=0.1)
    ref = lanms_reference(q, s, 0.3, merge_threshold=0.1)
    np.testing.assert_allclose(got.quads, ref.quads, atol=1e-4)
    # no merging at all (threshold 1) leaves plain NMS, which polygon_nms gives directly
    plain = lanms(q, s, 0.3, merge_threshold=1.0)
    keep = polygon_nms(q, s, 0.3)
    np.testing.assert_allclose(plain.quads, q[keep])
    assert (plain.counts == 1).all()


def test_polygon_nms_hand_worked():
    q = np.stack([rect(0, 0, 10, 10), rect(1, 0, 11, 10), rect(20, 0, 30, 10)])
    s = np.array([0.5, 0.9, 0.1], np.float32)
    assert polygon_nms(q, s, 0.5).tolist() == [1, 2]
    assert polygon_nms(q, s, 0.9).tolist() == [1, 0, 2]


def test_empty_and_degenerate_inputs():
    r = lanms(np.zeros((0, 4, 2), np.float32), np.zeros(0, np.float32))
    assert r.quads.shape == (0, 4, 2) and r.scores.shape == (0,) and r.counts.shape == (0,)
    assert polygon_iou(np.zeros((0, 8)), np.zeros((3, 8))).shape == (0, 3)
    zero = np.zeros((5, 4, 2), np.float32)
    r = lanms(zero, np.ones(5, np.float32))
    assert len(r.scores) == 5  # zero-area boxes overlap nothing: nothing merges or suppresses
    # zero scores: merge falls back to a plain mean
    q = np.stack([rect(0, 0, 10, 10), rect(2, 0, 12, 10)])
    r = lanms(q, np.zeros(2, np.float32))
    np.testing.assert_allclose(r.quads[0], rect(1, 0, 11, 10))


def test_input_validation():
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        lanms(np.zeros((3, 3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="scores"):
        lanms(np.zeros((3, 4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="polygon_iou: a must be finite"):
        polygon_iou(np.full((1, 4, 2), np.nan), np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="lanms: scores must be finite"):
        lanms(np.zeros((1, 4, 2)), np.array([np.inf]))
    with pytest.raises(ValueError, match=r"polygon_nms: quads must have shape \[N, 4, 2\] \(or \[N, 8\]\), got \(2, 6\)"):
        polygon_nms(np.zeros((2, 6)), np.zeros(2))
    with pytest.raises(TypeError, match=r"lanms: scores must be a NumPy array \(or torch tensor\), got list"):
        lanms(np.zeros((1, 4, 2)), [1.0])
    with pytest.raises(ValueError, match="iou_threshold"):
        lanms(np.zeros((1, 4, 2)), np.zeros(1), 1.5)
    with pytest.raises(TypeError, match="dtype"):
        polygon_iou(np.zeros((1, 4, 2), dtype=complex), np.zeros((1, 4, 2)))


def test_iou_fuzz_degenerate_integer_quads():
    """Small integer grids make collinear, repeated and self-intersecting corners common."""
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    quads = arrays(np.float32, (6, 4, 2), elements=st.integers(0, 6).map(float))

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(quads, quads)
    def check(a, b):
        np.testing.assert_allclose(polygon_iou(a, b), polygon_iou_reference(a, b), atol=1e-9)
        r = lanms(a, np.ones(6, np.float32), 0.3)
        ref = lanms_reference(a, np.ones(6, np.float32), 0.3)
        np.testing.assert_array_equal(r.counts, ref.counts)
        np.testing.assert_allclose(r.quads, ref.quads, atol=1e-4)

    check()


def test_torch_tensors_give_the_numpy_results():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    q = (rng.random((12, 4, 2)) * 40).astype(np.float32)
    s = rng.random(12).astype(np.float32)
    np.testing.assert_array_equal(polygon_iou(torch.from_numpy(q), torch.from_numpy(q[:3])), polygon_iou(q, q[:3]))
    np.testing.assert_array_equal(polygon_nms(torch.from_numpy(q), torch.from_numpy(s), 0.3), polygon_nms(q, s, 0.3))
    a, b = lanms(torch.from_numpy(q), torch.from_numpy(s), 0.3), lanms(q, s, 0.3)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
