"""region_mean / box_mean / points_to_csr against NumPy references (and cv2 point lists)."""
import os
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textvision import ops
from textvision._ext import core

sys.path.insert(0, os.path.dirname(__file__))
from _images import prob_map, text_scene  # noqa: E402


def numpy_region_mean(prob, offsets, indices):
    flat = prob.ravel()
    return np.array([flat[indices[a:b]].astype(np.float64).mean() if b > a else np.nan
                     for a, b in zip(offsets[:-1], offsets[1:])], dtype=np.float64)


def numpy_box_mean(prob, boxes):
    h, w = prob.shape
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes, dtype=np.int64):
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        out.append(prob[y1:y2, x1:x2].astype(np.float64).mean() if x2 > x1 and y2 > y1 else np.nan)
    return np.array(out)


def test_points_to_csr_and_region_mean_on_cv2_regions():
    img = text_scene(20)
    prob = prob_map(img, 3)
    pts, bb = cv2.MSER_create(5, 10, 5000).detectRegions(img)
    off, idx = ops.points_to_csr(pts, img.shape[1])
    assert off.dtype == np.int64 and idx.dtype == np.int32 and off.shape == (len(pts) + 1,)
    np.testing.assert_array_equal(np.diff(off), [len(p) for p in pts])
    np.testing.assert_array_equal(idx[off[3]:off[4]], pts[3][:, 1] * img.shape[1] + pts[3][:, 0])
    got = ops.region_mean(prob, off, idx)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, numpy_region_mean(prob, off, idx), rtol=0, atol=1e-6)
    # ... and the fused means of our own MSER are the same numbers for the same regions.
    # (our order differs from cv2's: match regions by their pixel lists)
    ours = ops.mser(img, delta=5, min_area=10, max_area=5000, prob=prob, return_pixels=True)
    key = {tuple(ours.pixel_indices[a:b]): m for a, b, m in zip(ours.pixel_offsets[:-1], ours.pixel_offsets[1:],
                                                                 ours.mean_prob)}
    assert len(key) == len(ours) == len(pts)
    np.testing.assert_allclose([key[tuple(idx[a:b])] for a, b in zip(off[:-1], off[1:])], got, rtol=0, atol=1e-6)


def test_points_to_csr_edge_cases():
    lists = ops.points_to_csr([], 10)
    assert type(lists) is ops.PixelLists
    np.testing.assert_array_equal(lists.pixel_offsets, [0])
    assert lists.pixel_indices.shape == (0,)
    off, idx = ops.points_to_csr([np.zeros((0, 2), np.int32), np.array([[[1, 2]], [[3, 0]]], np.int32)], 10)
    np.testing.assert_array_equal(off, [0, 0, 2])
    np.testing.assert_array_equal(idx, [21, 3])
    with pytest.raises(ValueError, match="width"):
        ops.points_to_csr([np.array([[12, 0]])], 10)
    with pytest.raises(ValueError, match="width"):
        ops.points_to_csr([np.array([[1, 0]])], 0)
    with pytest.raises(TypeError, match="integer"):
        ops.points_to_csr([np.array([[1.5, 0]])], 10)


def test_region_mean_random_csr_with_empty_regions(rng):
    prob = rng.random((37, 53), dtype=np.float32)
    sizes = rng.integers(0, 40, 200)
    sizes[::17] = 0
    off = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    idx = rng.integers(0, prob.size, off[-1]).astype(np.int32)
    got = ops.region_mean(prob, off, idx)
    ref = numpy_region_mean(prob, off, idx)
    assert np.isnan(got[::17]).all()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    # Strided maps are read in place and give the same numbers.
    big = np.zeros((74, 106), np.float32)
    big[::2, ::2] = prob
    np.testing.assert_array_equal(ops.region_mean(big[::2, ::2], off, idx), got)
    # int32 offsets / int64 indices are accepted.
    np.testing.assert_array_equal(ops.region_mean(prob, off.astype(np.int32), idx.astype(np.int64)), got)


def test_box_mean_matches_numpy(rng):
    prob = rng.random((61, 83), dtype=np.float32)
    x1 = rng.integers(-10, 90, 300)
    y1 = rng.integers(-10, 70, 300)
    boxes = np.stack([x1, y1, x1 + rng.integers(0, 40, 300), y1 + rng.integers(0, 40, 300)], 1)
    got = ops.box_mean(prob, boxes)
    ref = numpy_box_mean(prob, boxes)
    assert got.dtype == np.float32 and got.shape == (300,)
    assert np.array_equal(np.isnan(got), np.isnan(ref)) and np.isnan(ref).any()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ops.box_mean(np.asfortranarray(prob), boxes), got)
    np.testing.assert_array_equal(ops.box_mean(prob, np.zeros((0, 4), np.int32)), np.zeros(0, np.float32))


def test_box_mean_float_boxes_cover_touched_pixels(rng):
    prob = rng.random((20, 30), dtype=np.float32)
    got = ops.box_mean(prob, np.array([[2.2, 3.9, 7.1, 8.0]], np.float32))
    np.testing.assert_allclose(got, [prob[3:8, 2:8].mean()], rtol=0, atol=1e-6)


def test_box_mean_of_mser_boxes_on_large_map():
    img = text_scene(21, 480, 640)
    prob = prob_map(img)
    r = ops.mser(img, **ops.textproposals_params(480, 640))
    np.testing.assert_allclose(ops.box_mean(prob, r.boxes), numpy_box_mean(prob, r.boxes), rtol=0, atol=1e-6)


def test_bad_inputs(rng):
    prob = rng.random((10, 12), dtype=np.float32)
    off, idx = np.array([0, 2], np.int64), np.array([0, 5], np.int32)
    with pytest.raises(TypeError, match="float32"):
        ops.region_mean(prob.astype(np.float64), off, idx)
    with pytest.raises(TypeError, match=r"box_mean: prob must be a NumPy array \(or torch tensor\), got list"):
        ops.box_mean(prob.tolist(), [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"region_mean: prob must be a 2-D HxW map, got shape \(10, 12, 1\)"):
        ops.region_mean(prob[:, :, None], off, idx)
    with pytest.raises(ValueError, match="2-D"):
        ops.box_mean(prob[None], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        ops.box_mean(prob, [[0, 0, 1]])
    with pytest.raises(ValueError, match="NaN"):
        ops.box_mean(prob, [[0, 0, np.nan, 1]])
    with pytest.raises(TypeError, match="integer or float"):
        ops.box_mean(prob, np.array([["a", "b", "c", "d"]]))
    bad = prob.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ops.box_mean(bad, [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="NaN"):
        ops.region_mean(bad, off, idx)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ops.box_mean(prob + 1, [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"\[0, 120\)"):
        ops.region_mean(prob, off, np.array([0, 120], np.int32))
    with pytest.raises(ValueError, match="pixel_offsets"):
        ops.region_mean(prob, np.array([0, 3], np.int64), idx)
    with pytest.raises(ValueError, match="non-decreasing"):
        ops.region_mean(prob, np.array([0, 2, 1, 2], np.int64), idx)
    with pytest.raises(ValueError, match="pixel_offsets"):
        ops.region_mean(prob, np.zeros(0, np.int64), idx)
    with pytest.raises(TypeError, match="integer"):
        ops.region_mean(prob, off.astype(np.float32), idx)
    # The compiled entry points re-check what could make them read out of bounds.
    with pytest.raises(ValueError, match="outside the map"):
        core().region_mean(prob, off, np.array([0, -1], np.int32))
    with pytest.raises(ValueError, match="pixel_offsets"):
        core().region_mean(prob, np.array([1, 2], np.int64), idx)
    with pytest.raises(TypeError):
        core().box_mean(prob, np.zeros((1, 4), np.int64))
    with pytest.raises(ValueError, match="C-contiguous"):
        core().box_mean(prob, np.zeros((4, 4), np.int32).T)


@settings(max_examples=150, deadline=None)
@given(h=st.integers(1, 30), w=st.integers(1, 30), n=st.integers(0, 20), seed=st.integers(0, 2**32 - 1))
def test_fuzz_means(h, w, n, seed):
    rng = np.random.default_rng(seed)
    prob = rng.random((h, w), dtype=np.float32)
    boxes = rng.integers(-5, max(h, w) + 5, (n, 4))
    np.testing.assert_allclose(ops.box_mean(prob, boxes), numpy_box_mean(prob, boxes), rtol=0, atol=1e-6)
    sizes = rng.integers(0, 10, n)
    off = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    idx = rng.integers(0, h * w, off[-1]).astype(np.int32)
    np.testing.assert_allclose(ops.region_mean(prob, off, idx), numpy_region_mean(prob, off, idx), rtol=0, atol=1e-6)


# --- CUDA (skipped without a device) -------------------------------------------------------------------------

@pytest.mark.cuda(core=True)
def test_cuda_means_match_cpu():
    torch = pytest.importorskip("torch")
    img = text_scene(22, 240, 320)
    prob = prob_map(img)
    r = ops.mser(img, prob=prob, return_pixels=True, **ops.textproposals_params(240, 320))
    dev = torch.from_numpy(prob).cuda()
    got = ops.box_mean(dev, r.boxes)
    assert got.is_cuda and got.dtype == torch.float32
    np.testing.assert_allclose(got.cpu().numpy(), ops.box_mean(prob, r.boxes), rtol=0, atol=1e-6)
    got = ops.region_mean(dev, r.pixel_offsets, r.pixel_indices)
    np.testing.assert_allclose(got.cpu().numpy(), r.mean_prob, rtol=0, atol=1e-6)
    # Non-contiguous device maps are read through their strides.
    big = torch.zeros((480, 640), device="cuda")
    big[::2, ::2] = dev
    np.testing.assert_allclose(ops.box_mean(big[::2, ::2], r.boxes).cpu().numpy(), ops.box_mean(prob, r.boxes),
                               rtol=0, atol=1e-6)
    bad = dev.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        ops.box_mean(bad, r.boxes)


@settings(max_examples=200, deadline=None)
@given(h=st.integers(0, 8), w=st.integers(0, 8), n=st.integers(0, 6), seed=st.integers(0, 2**32 - 1),
       corrupt=st.sampled_from(["none", "offsets", "indices", "dtype", "shape"]))
def test_fuzz_core_means_never_crash(h, w, n, seed, corrupt):
    # Straight into the compiled entry points, sometimes with broken CSR data: errors, never crashes.
    rng = np.random.default_rng(seed)
    prob = rng.random((h, w), dtype=np.float32)
    off = np.r_[0, np.cumsum(rng.integers(0, 5, n))].astype(np.int64)
    idx = rng.integers(0, max(h * w, 1), off[-1]).astype(np.int32)
    boxes = rng.integers(-3, 12, (n, 4)).astype(np.int32)
    if corrupt == "offsets" and n:
        off[rng.integers(0, n + 1)] += int(rng.integers(-3, 4))
    elif corrupt == "indices" and idx.size:
        idx[rng.integers(0, idx.size)] = int(rng.choice([-1, h * w, 2**31 - 1]))
    elif corrupt == "dtype":
        prob = prob.astype(np.float64)
    elif corrupt == "shape":
        boxes = boxes.reshape(-1)
    # Untouched CSR data pointing inside the image is valid and must be accepted, not just survived.
    valid = {"region_mean": corrupt in ("none", "indices", "shape") and (h * w > 0 or off[-1] == 0)
             and (corrupt != "indices" or idx.size == 0),
             "box_mean": corrupt in ("none", "offsets", "indices")}
    for fn, args in ((core().region_mean, (prob, off, idx)), (core().box_mean, (prob, boxes))):
        try:
            out = fn(*args)
        except (TypeError, ValueError):
            assert not valid[fn.__name__], f"{fn.__name__} rejected valid input ({corrupt}, h={h}, w={w}, n={n})"
            continue
        assert out.dtype == np.float32 and out.shape == (n,)


def test_cpu_torch_tensors_give_the_numpy_results(rng):
    torch = pytest.importorskip("torch")
    prob = rng.random((30, 40), dtype=np.float32)
    boxes = np.array([[0, 0, 5, 5], [3, 7, 40, 30], [10, 10, 10, 12]], np.int32)
    off, idx = np.array([0, 3, 5], np.int64), np.array([0, 41, 1199, 7, 8], np.int32)
    got = ops.box_mean(torch.from_numpy(prob), boxes)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, ops.box_mean(prob, boxes))
    np.testing.assert_allclose(got, numpy_box_mean(prob, boxes), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ops.region_mean(torch.from_numpy(prob), off, idx), ops.region_mean(prob, off, idx))
    with pytest.raises(TypeError, match="region_mean: prob must have dtype float32, got float64"):
        ops.region_mean(torch.from_numpy(prob.astype(np.float64)), off, idx)


def test_prob_views_reach_the_core_without_a_copy(rng, monkeypatch):
    import textvision.ops.regions as regions

    seen = {}

    class Core:
        def box_mean(self, prob, boxes):
            seen["prob"] = prob
            return np.zeros(len(boxes), np.float32)

    monkeypatch.setattr(regions, "core", lambda: Core())
    base = rng.random((30, 40), dtype=np.float32)
    view = base[::3, 1::2]
    ops.box_mean(view, [[0, 0, 2, 2]])
    assert np.shares_memory(seen["prob"], base) and seen["prob"].strides == view.strides
