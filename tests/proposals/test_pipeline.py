"""TextProposals end to end on small synthetic scenes."""
import numpy as np
import pytest

from textvision.data import boxes_of, instances_to_masks
from textvision.data.synth import render_scene
from textvision.proposals import Proposals, TextProposals


@pytest.fixture(scope="module")
def scenes():
    out = []
    for seed in (11, 12, 13):
        sc = render_scene(seed, size=(240, 360), text_free_prob=0.0, max_lines=4)
        hm = instances_to_masks(sc.instances, sc.image.shape[:2]).text.astype(np.float32)
        out.append((sc, hm))
    return out


def _iou(a, b):
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def test_result_is_well_formed(scenes):
    sc, _ = scenes[0]
    p = TextProposals()(sc.image)
    assert isinstance(p, Proposals)
    assert p.boxes.dtype == np.float32 and p.boxes.shape == (len(p), 4) and len(p) > 50
    assert p.scores.dtype == np.float32 and p.scores.shape == (len(p),)
    assert np.all(np.diff(p.scores) <= 0)
    assert len(np.unique(p.boxes, axis=0)) == len(p)  # exact duplicates removed
    h, w = sc.image.shape[:2]
    assert (p.boxes[:, 0] >= 0).all() and (p.boxes[:, 2] <= w).all() and (p.boxes[:, 3] <= h).all()
    assert (p.boxes[:, 2] > p.boxes[:, 0]).all() and (p.boxes[:, 3] > p.boxes[:, 1]).all()
    s = p.stats
    assert s["regions_found"] == s["regions_kept"] > 0 and s["nodes"] >= s["proposals"] == len(p)
    assert set(s["time"]) >= {"mser", "prune", "cues", "cluster", "rank", "total"}
    assert len(p.top(10)) == 10 and p.top(None).boxes.shape == p.boxes.shape


def test_detection_rate_on_synthetic_scenes(scenes):
    """Every word (IoU >= 0.5) among all proposals, and most of them in the top 100 with a text map."""
    tp = TextProposals()
    found = found100 = total = 0
    for sc, hm in scenes:
        gt = boxes_of([t for t in sc.instances if not t.ignore])
        total += len(gt)
        found += (_iou(gt, tp(sc.image).boxes).max(1) >= 0.5).sum()
        found100 += (_iou(gt, tp(sc.image, hm).boxes[:100]).max(1) >= 0.5).sum()
    assert total >= 8
    assert found / total >= 0.9
    assert found100 / total >= 0.8


@pytest.mark.parametrize("prune", ["pixels", "bbox"])
def test_pruning_at_zero_equals_no_pruning(scenes, prune):
    sc, hm = scenes[1]
    ref = TextProposals(rerank=False)(sc.image)
    got = TextProposals(prune=prune, min_prob=0.0, rerank=False)(sc.image, hm)
    np.testing.assert_array_equal(got.boxes, ref.boxes)
    np.testing.assert_array_equal(got.scores, ref.scores)
    assert got.stats["regions_kept"] == ref.stats["regions_kept"]


@pytest.mark.parametrize("prune", ["pixels", "bbox"])
def test_pruning_reduces_and_can_empty(scenes, prune):
    sc, hm = scenes[1]
    base = TextProposals()(sc.image)
    pruned = TextProposals(prune=prune)(sc.image, hm)
    assert 0 < pruned.stats["regions_kept"] < base.stats["regions_kept"]
    empty = TextProposals(prune=prune, min_prob=1.01)(sc.image, hm)
    assert len(empty) == 0 and empty.boxes.shape == (0, 4) and empty.boxes.dtype == np.float32
    assert empty.scores.shape == (0,) and empty.stats["proposals"] == 0 and empty.stats["regions_kept"] == 0


@pytest.mark.parametrize("prune", ["pixels", "bbox", None])
def test_threads_give_identical_results(scenes, prune):
    # The core cuts the work into 12 region tasks (image x polarity) and 30 clustering tasks (image
    # x cue), handed out largest first; 16 threads is more than the first stage has tasks.
    sc, hm = scenes[2]
    m = None if prune is None else hm
    kw = {} if prune is None else {"prune": prune}
    a = TextProposals(num_threads=1, keep_features=True, **kw)(sc.image, m)
    for n in (2, 3, 16):
        b = TextProposals(num_threads=n, keep_features=True, **kw)(sc.image, m)
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.scores, b.scores)
        np.testing.assert_array_equal(a.features, b.features)
        for k in ("regions_found", "regions_kept", "nodes"):
            assert a.stats[k] == b.stats[k], k


def test_half_scale_boxes_are_mapped_back(scenes):
    sc, _ = scenes[0]
    half = TextProposals(scales=(0.5,), diversity=None)(sc.image)
    assert len(half) > 0 and np.all(half.boxes % 2 == 0)
    assert half.boxes[:, 2].max() > sc.image.shape[1] / 2  # full-image coordinates


def test_grey_input_and_keep_features(scenes):
    sc, _ = scenes[0]
    grey = sc.image.mean(axis=2).astype(np.uint8)
    p = TextProposals(keep_features=True, channels=("grey",))(grey)
    assert p.features.shape == (len(p), 18)


def test_bad_inputs(scenes):
    sc, hm = scenes[0]
    tp = TextProposals()
    with pytest.raises(ValueError, match=r"heatmap has size \(239, 360\) but the image is \(240, 360\)"):
        tp(sc.image, hm[:-1])
    with pytest.raises(TypeError, match="heatmap must be float32.*got dtype uint8"):
        tp(sc.image, (hm * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\], got range \[0.0, 2.0\]"):
        tp(sc.image, hm * 2)
    nan = hm.copy()
    nan[5, 5] = np.nan
    with pytest.raises(ValueError, match="finite"):
        tp(sc.image, nan)
    with pytest.raises(TypeError, match="image must be uint8, uint16 or float32/float64.*got dtype int64"):
        tp(sc.image.astype(np.int64))
    with pytest.raises(ValueError, match=r"float image must hold finite values in \[0, 1\], got range"):
        tp(sc.image.astype(np.float32))  # 0..255 floats
    with pytest.raises(ValueError, match=r"got shape \(240, 360, 2\)"):
        tp(sc.image[:, :, :2])
    with pytest.raises(ValueError, match=r"at least 1x1 pixels.*\(0, 5, 3\)"):
        tp(sc.image[:0, :5])
    assert len(tp(sc.image[:2, :5])) == 0  # too small to hold a region: no proposal, no error
    with pytest.raises(TypeError, match="NumPy array"):
        tp(sc.image.tolist())
    with pytest.raises(ValueError, match="prune"):
        TextProposals(prune="boxes")
    with pytest.raises(ValueError, match="scales"):
        TextProposals(scales=(0.3,))
    with pytest.raises(ValueError, match="channel"):
        TextProposals(channels=("h",))


def test_box_mean_and_heatmap_evidence_match_direct_sums(rng):
    from textvision.ops import box_mean
    from textvision.proposals import heatmap_evidence

    hm = rng.random((40, 60)).astype(np.float32)
    boxes = np.array([[0, 0, 10, 8], [20, 10, 50, 30], [55, 30, 60, 40], [5, 5, 6, 6]], np.float32)
    ref_in = [hm[int(b[1]):int(b[3]), int(b[0]):int(b[2])].mean() for b in boxes]
    np.testing.assert_allclose(box_mean(hm, boxes), ref_in, rtol=1e-5)
    ev = heatmap_evidence(hm, boxes)
    for b, e, m in zip(boxes, ev, ref_in):
        x1, y1, x2, y2 = b.astype(float)
        h = y2 - y1
        ex = np.clip(np.round([x1 - 0.5 * h, y1 - 0.25 * h, x2 + 0.5 * h, y2 + 0.25 * h]), 0, [60, 40, 60, 40])
        ring = np.zeros_like(hm, bool)
        ring[int(ex[1]):int(ex[3]), int(ex[0]):int(ex[2])] = True
        ring[int(y1):int(y2), int(x1):int(x2)] = False
        r = hm[ring].mean() if ring.any() else 0.0
        assert e == pytest.approx(np.clip(m * (1 - r), 0, 1), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("hw", [(1, 1), (7, 5), (40, 60), (333, 517)])
def test_heatmap_evidence_means_a_box_as_ops_box_mean_does(rng, hw):
    """One box mean: a box covering the whole map has no ring, so its evidence is its inside mean, and
    that is ``ops.box_mean``'s to the bit (both read csrc/regions' summed-area table)."""
    from textvision.ops import box_mean
    from textvision.proposals import heatmap_evidence

    h, w = hw
    hm = rng.random(hw).astype(np.float32)
    whole = np.array([[0, 0, w, h], [-3, -2, w + 4, h + 9]], np.float32)  # clipped to the map alike
    got = heatmap_evidence(hm, whole, num_threads=2)
    np.testing.assert_array_equal(got, box_mean(hm, whole))
    np.testing.assert_allclose(got, hm.mean(dtype=np.float64), rtol=0, atol=1e-6)


def _evidence_numpy(heatmap, boxes):
    """NumPy reference of the compiled heatmap_evidence (what the library computed before it moved into
    the core): cv2's float64 summed-area table, rounded half-to-even ring, truncated box corners."""
    import cv2

    b = np.asarray(boxes, dtype=np.float64)
    h, w = heatmap.shape
    bh = b[:, 3] - b[:, 1]
    e = np.stack([b[:, 0] - 0.5 * bh, b[:, 1] - 0.25 * bh, b[:, 2] + 0.5 * bh, b[:, 3] + 0.25 * bh], 1).round()
    e[:, 0::2] = np.clip(e[:, 0::2], 0, w)
    e[:, 1::2] = np.clip(e[:, 1::2], 0, h)
    bc = b.copy()
    bc[:, 0::2] = np.clip(bc[:, 0::2], 0, w)
    bc[:, 1::2] = np.clip(bc[:, 1::2], 0, h)
    a_in = (bc[:, 2] - bc[:, 0]) * (bc[:, 3] - bc[:, 1])
    a_out = (e[:, 2] - e[:, 0]) * (e[:, 3] - e[:, 1])
    ii = cv2.integral(np.ascontiguousarray(heatmap, dtype=np.float32), sdepth=cv2.CV_64F)

    def box_sum(x):
        x = x.astype(np.int64)
        return ii[x[:, 3], x[:, 2]] - ii[x[:, 1], x[:, 2]] - ii[x[:, 3], x[:, 0]] + ii[x[:, 1], x[:, 0]]

    s_in, s_out = box_sum(bc), box_sum(e)
    inside = s_in / np.maximum(a_in, 1)
    ring = (s_out - s_in) / np.maximum(a_out - a_in, 1)
    return np.clip(inside * (1.0 - ring), 0, 1).astype(np.float32)


@pytest.mark.parametrize("shape", [(1, 1), (1, 37), (29, 1), (40, 60), (301, 517)])
def test_heatmap_evidence_is_the_numpy_reference_bit_for_bit_on_any_thread_count(rng, shape):
    from textvision._ext import core
    from textvision.proposals import heatmap_evidence

    h, w = shape
    hm = rng.random(shape).astype(np.float32)
    hm[rng.random(shape) < 0.3] = 0.0  # flat stretches, as real maps have
    n = 5000
    x1 = rng.uniform(-20, w + 5, n)
    y1 = rng.uniform(-20, h + 5, n)
    boxes = np.stack([x1, y1, x1 + rng.uniform(0, w, n), y1 + rng.uniform(0, h, n)], 1)
    boxes[: n // 2] = np.floor(boxes[: n // 2])  # integer boxes (the pipeline's), then fractional ones
    boxes[:3] = [[0, 0, 0, 0], [0, 0, w, h], [w, h, w + 4, h + 4]]  # empty, whole map, outside
    boxes[3:43, 3] = boxes[3:43, 1] + np.tile([1, 2, 3, 6], 10)  # ring corners at exact halves: half to even
    ref = _evidence_numpy(hm, boxes)
    np.testing.assert_array_equal(heatmap_evidence(hm, boxes), ref)
    np.testing.assert_array_equal(heatmap_evidence(hm, boxes.astype(np.float32)), _evidence_numpy(
        hm, boxes.astype(np.float32)))
    for t in (2, 3, 8):  # the core directly: the public call caps threads at the machine's cores
        np.testing.assert_array_equal(core().proposals_heatmap_evidence(hm, boxes, t), ref)


def test_heatmap_evidence_refuses_bad_input():
    from textvision.proposals import heatmap_evidence

    hm = np.zeros((10, 10), np.float32)
    assert heatmap_evidence(hm, np.zeros((0, 4))).shape == (0,)
    with pytest.raises(ValueError, match="finite"):
        heatmap_evidence(hm, np.array([[0, 0, np.nan, 4]]))
    with pytest.raises(ValueError, match=r"\[n, 4\]"):
        heatmap_evidence(hm, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="HxW"):
        heatmap_evidence(np.zeros((4, 4, 3), np.float32), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="num_threads"):
        heatmap_evidence(hm, np.zeros((1, 4)), num_threads=0)


def test_tiny_uniform_and_strided_images_are_well_formed(rng):
    tp = TextProposals(keep_features=True)
    for shape in [(3, 3, 3), (4, 5, 3), (33, 17, 3)]:
        p = tp(rng.integers(0, 256, shape).astype(np.uint8))
        assert p.boxes.shape == (len(p), 4) and p.features.shape == (len(p), 18)
    empty = tp(np.zeros((50, 60, 3), np.uint8), np.zeros((50, 60), np.float32))
    assert len(empty) == 0 and empty.boxes.dtype == np.float32 and empty.features.shape == (0, 18)
    img = rng.integers(0, 256, (40, 100, 3)).astype(np.uint8)
    a = tp(np.ascontiguousarray(img[:, ::2]))
    b = tp(img[:, ::2])  # a non-contiguous view gives the same result
    np.testing.assert_array_equal(a.boxes, b.boxes)


class _Recorder:
    """Stands in for the compiled core: records the arrays it is handed, then stops the call."""

    def __init__(self):
        self.args = None

    def proposals_text_proposals(self, *args):
        self.args = args
        raise RuntimeError("recorded")


def test_inputs_that_fit_reach_the_core_without_a_copy(scenes, monkeypatch):
    # The per-image hot path: a C-contiguous uint8 image and float32 map are passed on as they are.
    from textvision.proposals import pipeline

    sc, hm = scenes[0]
    rec = _Recorder()
    monkeypatch.setattr(pipeline, "core", lambda: rec)
    with pytest.raises(RuntimeError, match="recorded"):
        TextProposals()(sc.image, hm)
    assert rec.args[0] is sc.image and rec.args[1] is hm
    # A float64 map and a strided image are converted once (and the caller's arrays are left alone).
    hm64, view = hm.astype(np.float64), sc.image[:, ::2]
    with pytest.raises(RuntimeError, match="recorded"):
        TextProposals()(view, hm64[:, ::2])
    assert rec.args[0].flags.c_contiguous and rec.args[1].dtype == np.float32
    np.testing.assert_array_equal(rec.args[0], view)
    np.testing.assert_array_equal(rec.args[1], hm[:, ::2])


def test_torch_tensors_give_the_same_proposals_as_arrays(scenes):
    torch = pytest.importorskip("torch")
    sc, hm = scenes[1]
    tp = TextProposals()
    a = tp(sc.image, hm)
    b = tp(torch.from_numpy(sc.image), torch.from_numpy(hm))
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.scores, b.scores)


def test_rgba_and_grey_inputs_match_their_rgb_equivalent(scenes):
    sc, _ = scenes[2]
    tp = TextProposals()
    ref = tp(sc.image)
    rgba = np.concatenate([sc.image, np.full(sc.image.shape[:2] + (1,), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(tp(rgba).boxes, ref.boxes)
    grey = sc.image[:, :, 1]
    np.testing.assert_array_equal(tp(grey).boxes, tp(np.repeat(grey[:, :, None], 3, axis=2)).boxes)
