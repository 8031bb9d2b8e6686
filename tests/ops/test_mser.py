"""textvision.ops.mser against cv2.MSER (the reference) and NumPy references for its statistics."""
import importlib
import os
import sys
import threading

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textvision import ops
from textvision._ext import core

sys.path.insert(0, os.path.dirname(__file__))
from _images import prob_map, text_scene  # noqa: E402

PARAMS = {
    "opencv-defaults": dict(ops.OPENCV_DEFAULTS),
    "textproposals": ops.textproposals_params(120, 160),
    "loose": dict(delta=2, min_area=10, max_area=3000, max_variation=1.0, min_diversity=0.5),
    "strict": dict(delta=8, min_area=30, max_area=2000, max_variation=0.1, min_diversity=0.0),
}


def cv2_mser(img, bright_only=False, **kw):
    """cv2 regions: boxes int32 [N,4] (x1, y1, x2, y2 exclusive), polarity int8 [N], point lists."""
    def run(pass2_only):
        m = cv2.MSER_create(delta=kw["delta"], min_area=kw["min_area"], max_area=kw["max_area"],
                            max_variation=kw["max_variation"], min_diversity=kw["min_diversity"])
        m.setPass2Only(pass2_only)
        pts, bb = m.detectRegions(np.ascontiguousarray(img))
        bb = np.asarray(bb, dtype=np.int64).reshape(-1, 4)
        return np.concatenate([bb[:, :2], bb[:, :2] + bb[:, 2:]], axis=1).astype(np.int32), list(pts)

    boxes, pts = run(bright_only)
    # OpenCV lists the dark pass (on the image) first, then the bright pass (on its inverse).
    n_bright = len(boxes) if bright_only else len(run(True)[0])
    polarity = np.r_[np.ones(len(boxes) - n_bright), -np.ones(n_bright)].astype(np.int8)
    return boxes, polarity, pts


def canonical(boxes, polarity, areas):
    """Order-free view of a region set: the sorting permutation by (polarity, box, area)."""
    keys = np.c_[polarity.astype(np.int64), boxes.astype(np.int64), np.asarray(areas, np.int64)]
    return np.lexsort(keys.T[::-1]), keys


def assert_same_regions(r, ref_boxes, ref_pol, ref_pts, width=None):
    """Our regions equal cv2's as a set (boxes, polarity, areas; pixel lists when given width)."""
    ours_order, ours_keys = canonical(r.boxes, r.polarity, r.areas)
    ref_order, ref_keys = canonical(ref_boxes, ref_pol, [len(p) for p in ref_pts])
    np.testing.assert_array_equal(ours_keys[ours_order], ref_keys[ref_order])
    if width is not None:
        for i, j in zip(ours_order, ref_order):
            np.testing.assert_array_equal(r.points(i, width), ref_pts[j])


def jaccard(a, b):
    sa, sb = {tuple(r) for r in np.asarray(a).tolist()}, {tuple(r) for r in np.asarray(b).tolist()}
    return 1.0 if not sa and not sb else len(sa & sb) / len(sa | sb)


def numpy_region_stats(img, prob, r):
    """NumPy reference of every per-region field, from the returned pixel lists."""
    h, w = img.shape
    out = []
    for i in range(len(r)):
        flat = r.pixel_indices[r.pixel_offsets[i]:r.pixel_offsets[i + 1]].astype(np.int64)
        ys, xs = flat // w, flat % w
        out.append(dict(
            box=[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], area=flat.size,
            centroid=[xs.mean(), ys.mean()], intensity=img.ravel()[flat].astype(np.float64).mean(),
            prob=None if prob is None else prob.ravel()[flat].astype(np.float64).mean(), unique=np.unique(flat).size))
    return out


# --- agreement with OpenCV -------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_opencv_on_text_scenes(seed, name):
    img = text_scene(seed)
    kw = PARAMS[name]
    r = ops.mser(img, **kw)
    ref, pol, pts = cv2_mser(img, **kw)
    assert jaccard(r.boxes, ref) == 1.0
    # Stronger than the box set: the same (polarity, box, area) multiset.
    assert_same_regions(r, ref, pol, pts)
    assert len(r) > 0


def test_pixel_lists_match_opencv_points():
    img = text_scene(5, 96, 128)
    kw = PARAMS["textproposals"]
    r = ops.mser(img, return_pixels=True, **kw)
    ref_boxes, ref_pol, ref_pts = cv2_mser(img, **kw)
    assert len(r) == len(ref_pts) > 100
    # Same pixels in the same (flood) order for every region.
    assert_same_regions(r, ref_boxes, ref_pol, ref_pts, width=img.shape[1])


def test_polarities_split_like_opencv_passes():
    img = text_scene(3)
    kw = PARAMS["opencv-defaults"]
    both = ops.mser(img, **kw)
    dark = ops.mser(img, polarity="dark", **kw)
    bright = ops.mser(img, polarity=-1, **kw)
    ref_bright, ref_pol, ref_pts = cv2_mser(img, bright_only=True, **kw)
    assert_same_regions(bright, ref_bright, ref_pol, ref_pts)
    np.testing.assert_array_equal(both.boxes, np.concatenate([dark.boxes, bright.boxes]))
    assert (dark.polarity == 1).all() and (bright.polarity == -1).all()
    np.testing.assert_array_equal(both.polarity, np.r_[dark.polarity, bright.polarity])
    # Dark regions are darker than the grey level that bounds them, bright ones brighter.
    assert (dark.mean_intensity <= dark.level + 1e-4).all()
    assert (bright.mean_intensity >= bright.level - 1e-4).all()


def test_inverted_image_swaps_polarities():
    img = text_scene(4)
    a = ops.mser(img, polarity="dark")
    b = ops.mser(255 - img, polarity="bright")
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_allclose(a.mean_intensity, 255 - b.mean_intensity, atol=1e-4)


# --- edge cases --------------------------------------------------------------------------------------

def _check_empty(r, return_pixels=True):
    assert len(r) == 0 and r.boxes.shape == (0, 4) and r.centroids.shape == (0, 2)
    assert r.boxes.dtype == np.int32 and r.areas.dtype == np.int64 and r.mean_prob.dtype == np.float32
    if return_pixels:
        np.testing.assert_array_equal(r.pixel_offsets, [0])
        assert r.pixel_indices.shape == (0,) and r.pixel_indices.dtype == np.int32


@pytest.mark.parametrize("shape", [(1, 1), (1, 50), (50, 1), (2, 2), (2, 40), (40, 2)])
def test_images_without_interior_give_no_regions(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    prob = np.full(shape, 0.5, np.float32)
    _check_empty(ops.mser(img, min_area=0, prob=prob, return_pixels=True))
    with pytest.raises(cv2.error):  # OpenCV refuses these; we return nothing
        cv2.MSER_create().detectRegions(img)


@pytest.mark.parametrize("value", [0, 77, 255])
def test_constant_image(value):
    img = np.full((30, 40), value, np.uint8)
    kw = dict(delta=5, min_area=10, max_area=5000, max_variation=0.25, min_diversity=0.2)
    r = ops.mser(img, return_pixels=True, **kw)
    ref, pol, pts = cv2_mser(img, **kw)
    assert_same_regions(r, ref, pol, pts, width=40)
    # The whole interior (the frame excluded), once per polarity.
    np.testing.assert_array_equal(r.boxes, [[1, 1, 39, 29], [1, 1, 39, 29]])
    np.testing.assert_array_equal(r.areas, [28 * 38] * 2)
    np.testing.assert_allclose(r.mean_intensity, value)


def test_three_by_three_has_one_interior_pixel():
    img = np.array([[9, 9, 9], [9, 3, 9], [9, 9, 9]], np.uint8)
    r = ops.mser(img, min_area=1, return_pixels=True)
    ref, pol, pts = cv2_mser(img, delta=5, min_area=1, max_area=14400, max_variation=0.25, min_diversity=0.2)
    assert_same_regions(r, ref, pol, pts, width=3)
    np.testing.assert_array_equal(r.pixel_indices, [4] * len(r))


@pytest.mark.parametrize("cell", [1, 3, 8])
def test_checkerboard(cell):
    yy, xx = np.mgrid[0:48, 0:64]
    img = (((yy // cell + xx // cell) % 2) * 200 + 20).astype(np.uint8)
    kw = dict(delta=5, min_area=1, max_area=4000, max_variation=0.5, min_diversity=0.2)
    r = ops.mser(img, return_pixels=True, **kw)
    ref, pol, pts = cv2_mser(img, **kw)
    assert len(r) > 0
    assert_same_regions(r, ref, pol, pts, width=64)


def test_non_contiguous_and_fortran_inputs():
    base = text_scene(6, 200, 260)
    prob_base = prob_map(base)
    for view, pview in [(base[::2, ::2], prob_base[::2, ::2]), (base[10:150, 20:200], prob_base[10:150, 20:200]),
                        (np.asfortranarray(base), np.asfortranarray(prob_base)), (base[::-1, ::-1], prob_base[::-1, ::-1]),
                        (base.T, prob_base.T)]:
        assert not view.flags.c_contiguous
        r = ops.mser(view, prob=pview, return_pixels=True)
        c = ops.mser(np.ascontiguousarray(view), prob=np.ascontiguousarray(pview), return_pixels=True)
        for f in ("boxes", "areas", "centroids", "mean_intensity", "mean_prob", "pixel_offsets", "pixel_indices"):
            np.testing.assert_array_equal(getattr(r, f), getattr(c, f))
        assert_same_regions(r, *cv2_mser(view, **ops.OPENCV_DEFAULTS), width=view.shape[1])


def test_single_channel_3d_input():
    img = text_scene(7)
    np.testing.assert_array_equal(ops.mser(img[:, :, None]).boxes, ops.mser(img).boxes)


def test_max_area_below_min_area():
    img = text_scene(8)
    kw = dict(delta=5, min_area=500, max_area=100, max_variation=0.25, min_diversity=0.2)
    _check_empty(ops.mser(img, return_pixels=True, **kw))
    assert len(cv2_mser(img, **kw)[0]) == 0


def test_area_limits_are_inclusive():
    img = text_scene(9)
    r = ops.mser(img, min_area=1, max_area=100000, max_variation=10.0)
    a = np.sort(r.areas)
    lo, hi = int(a[len(a) // 3]), int(a[2 * len(a) // 3])
    s = ops.mser(img, min_area=lo, max_area=hi, max_variation=10.0)
    assert s.areas.min() == lo and s.areas.max() == hi


# --- fused statistics, pruning, pixel lists ------------------------------------------------------------

@pytest.mark.parametrize("name", ["opencv-defaults", "textproposals"])
def test_statistics_match_numpy(name):
    img = text_scene(10)
    prob = prob_map(img, 1)
    r = ops.mser(img, prob=prob, return_pixels=True, **PARAMS[name])
    ref = numpy_region_stats(img, prob, r)
    assert len(r) > 10
    assert r.pixel_offsets[-1] == r.pixel_indices.size == r.areas.sum()
    np.testing.assert_array_equal(r.boxes, [d["box"] for d in ref])
    np.testing.assert_array_equal(r.areas, [d["area"] for d in ref])
    np.testing.assert_array_equal(r.areas, [d["unique"] for d in ref])  # no pixel listed twice
    np.testing.assert_allclose(r.centroids, [d["centroid"] for d in ref], rtol=0, atol=1e-4)
    np.testing.assert_allclose(r.mean_intensity, [d["intensity"] for d in ref], rtol=0, atol=1e-4)
    np.testing.assert_allclose(r.mean_prob, [d["prob"] for d in ref], rtol=0, atol=1e-6)
    assert (r.variation >= 0).all() and (r.variation <= PARAMS[name]["max_variation"]).all()


def test_mean_prob_is_nan_without_prob():
    r = ops.mser(text_scene(11))
    assert len(r) and np.isnan(r.mean_prob).all()
    assert r.pixel_offsets is None and r.pixel_indices is None


@pytest.mark.parametrize("min_prob", [0.0, 0.3, 0.45, 1.0])
def test_pruning_equals_filtering(min_prob):
    img = text_scene(12)
    prob = prob_map(img, 2)
    full = ops.mser(img, prob=prob, return_pixels=True, **PARAMS["textproposals"])
    pruned = ops.mser(img, prob=prob, min_prob=min_prob, return_pixels=True, **PARAMS["textproposals"])
    keep = full.mean_prob >= np.float32(min_prob)
    for f in ("boxes", "areas", "centroids", "polarity", "mean_intensity", "mean_prob", "variation", "level"):
        np.testing.assert_array_equal(getattr(pruned, f), getattr(full, f)[keep])
    kept_lists = [full.pixel_indices[full.pixel_offsets[i]:full.pixel_offsets[i + 1]] for i in np.flatnonzero(keep)]
    np.testing.assert_array_equal(pruned.pixel_indices, np.concatenate(kept_lists) if kept_lists else [])
    np.testing.assert_array_equal(pruned.pixel_offsets, np.r_[0, np.cumsum([len(k) for k in kept_lists])])


def test_return_pixels_does_not_change_regions():
    img = text_scene(13)
    a, b = ops.mser(img), ops.mser(img, return_pixels=True)
    for f in ("boxes", "areas", "centroids", "mean_intensity", "variation", "level"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_textproposals_params():
    p = ops.textproposals_params(480, 640)
    assert p == dict(delta=13, min_area=6, max_area=33792, max_variation=55.0, min_diversity=0.0)


def test_threads_give_identical_results():
    # The core releases the GIL; concurrent calls must not share state.
    imgs = [text_scene(s) for s in range(4)]
    expected = [ops.mser(im, return_pixels=True).pixel_indices for im in imgs]
    got = [None] * 4

    def work(i):
        got[i] = ops.mser(imgs[i], return_pixels=True).pixel_indices

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)


@pytest.mark.parametrize("name", ["opencv-defaults", "textproposals"])
def test_polarity_thread_gives_identical_output(name):
    # num_threads=2 floods the bright pass on a second thread; order and values must not change.
    img = text_scene(16)
    prob = prob_map(img, 3)
    for kw in (dict(), dict(prob=prob), dict(prob=prob, min_prob=0.3)):
        one = ops.mser(img, return_pixels=True, **kw, **PARAMS[name])
        two = ops.mser(img, return_pixels=True, num_threads=2, **kw, **PARAMS[name])
        assert len(one) > 10 and set(one.polarity.tolist()) == {-1, 1}
        for f in ("boxes", "areas", "centroids", "polarity", "mean_intensity", "mean_prob", "variation", "level",
                  "pixel_offsets", "pixel_indices"):
            np.testing.assert_array_equal(getattr(two, f), getattr(one, f), err_msg=f)
    for pol in ("dark", "bright"):  # one pass: nothing to split, same result
        np.testing.assert_array_equal(ops.mser(img, polarity=pol, num_threads=2).boxes,
                                      ops.mser(img, polarity=pol).boxes)
    # The two threads copy the pixel lists into one array: also when a pass or both keep nothing.
    dots = np.full((40, 50), 200, np.uint8)
    dots[10:14, 10:20] = 20
    for im in (np.full((30, 30), 7, np.uint8), dots):
        one = ops.mser(im, return_pixels=True, **PARAMS[name])
        two = ops.mser(im, return_pixels=True, num_threads=2, **PARAMS[name])
        np.testing.assert_array_equal(two.pixel_offsets, one.pixel_offsets)
        np.testing.assert_array_equal(two.pixel_indices, one.pixel_indices)
        np.testing.assert_array_equal(two.polarity, one.polarity)


# --- bad input -----------------------------------------------------------------------------------------

def test_bad_inputs():
    img = text_scene(14, 40, 50)
    prob = prob_map(img)
    with pytest.raises(TypeError, match="mser: image must have dtype uint8, got float32"):
        ops.mser(img.astype(np.float32))
    with pytest.raises(TypeError, match=r"mser: image must be a NumPy array \(or torch tensor\), got list"):
        ops.mser(img.tolist())
    with pytest.raises(TypeError, match=r"mser: prob must be a NumPy array \(or torch tensor\), got list"):
        ops.mser(img, prob=prob.tolist())
    with pytest.raises(ValueError, match=r"\(40, 50, 3\)"):
        ops.mser(np.stack([img] * 3, axis=2))
    with pytest.raises(ValueError, match="single-channel"):
        ops.mser(img[None, None])
    with pytest.raises(ValueError, match=r"prob has shape \(40, 49\)"):
        ops.mser(img, prob=prob[:, :49])
    with pytest.raises(TypeError, match="float32"):
        ops.mser(img, prob=prob.astype(np.float64))
    bad = prob.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ops.mser(img, prob=bad)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ops.mser(img, prob=prob * 255)
    for name in ("delta", "min_area", "max_area", "max_variation", "min_diversity"):
        with pytest.raises(ValueError, match=name):
            ops.mser(img, **{name: -1})
    with pytest.raises(ValueError, match="integer"):
        ops.mser(img, delta=2.5)
    with pytest.raises(TypeError, match="delta"):
        ops.mser(img, delta="5")
    with pytest.raises(ValueError, match="min_prob needs a prob"):
        ops.mser(img, min_prob=0.1)
    with pytest.raises(ValueError, match="min_prob"):
        ops.mser(img, prob=prob, min_prob=1.5)
    with pytest.raises(ValueError, match="polarity"):
        ops.mser(img, polarity="up")
    with pytest.raises(ValueError, match="return_pixels"):
        ops.mser(img).points(0, 50)
    with pytest.raises(ValueError, match="num_threads"):
        ops.mser(img, num_threads=0)


def test_torch_tensors_give_the_same_regions_as_arrays():
    torch = pytest.importorskip("torch")
    img = text_scene(16, 60, 80)
    prob = prob_map(img)
    a = ops.mser(img, prob=prob, min_prob=0.2, return_pixels=True)
    b = ops.mser(torch.from_numpy(img), prob=torch.from_numpy(prob), min_prob=0.2, return_pixels=True)
    for f in ("boxes", "areas", "mean_prob", "pixel_offsets", "pixel_indices"):
        np.testing.assert_array_equal(getattr(b, f), getattr(a, f), err_msg=f)
    with pytest.raises(TypeError, match="mser: image must have dtype uint8, got int64"):
        ops.mser(torch.from_numpy(img.astype(np.int64)))


def test_views_reach_the_core_without_a_copy(monkeypatch):
    # Strided views of the image and a float32 map are read in place by the core: the wrapper's
    # validation must hand over the caller's arrays, not copies.
    mser_module = importlib.import_module("textvision.ops.mser")  # the module, not the function it exports

    seen = {}

    class Core:
        def mser(self, image, prob, *args):
            seen["image"], seen["prob"] = image, prob
            raise RuntimeError("recorded")

    monkeypatch.setattr(mser_module, "core", lambda: Core())
    base = text_scene(17, 60, 80)
    pbase = prob_map(base)
    view, pview = base[::2, 1::3], pbase[::2, 1::3]
    with pytest.raises(RuntimeError, match="recorded"):
        ops.mser(view, prob=pview)
    assert np.shares_memory(seen["image"], base) and seen["image"].strides == view.strides
    assert np.shares_memory(seen["prob"], pbase) and seen["prob"].strides == pview.strides


def test_core_entry_point_checks_its_arguments():
    # The wrappers validate first; the compiled entry point must still never read out of bounds.
    m = core().mser
    img = text_scene(15, 30, 30)
    args = (5, 60, 14400, 0.25, 0.2, 0, False, -1.0)
    with pytest.raises(TypeError):
        m(img.astype(np.int16), None, *args)
    with pytest.raises(ValueError):
        m(img[None], None, *args)
    with pytest.raises(ValueError, match="prob has shape"):
        m(img, np.zeros((30, 29), np.float32), *args)
    with pytest.raises(ValueError, match="delta"):
        m(img, None, -1, *args[1:])
    with pytest.raises(ValueError, match="polarity"):
        m(img, None, 5, 60, 14400, 0.25, 0.2, 3, False, -1.0)
    with pytest.raises(ValueError, match="min_prob needs"):
        m(img, None, 5, 60, 14400, 0.25, 0.2, 0, False, 0.5)
    with pytest.raises(ValueError, match="num_threads"):
        m(img, None, *args, 0)


# --- fuzzing ---------------------------------------------------------------------------------------------

@st.composite
def fuzz_case(draw):
    h = draw(st.integers(1, 24))
    w = draw(st.integers(1, 24))
    levels = draw(st.sampled_from([2, 4, 16, 256]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    img = (rng.integers(0, levels, (h, w)) * (255 // (levels - 1))).astype(np.uint8)
    if draw(st.booleans()):
        img = cv2.blur(img, (3, 3))
    kw = dict(delta=draw(st.integers(0, 20)), min_area=draw(st.integers(0, 30)), max_area=draw(st.integers(0, 600)),
              max_variation=draw(st.sampled_from([0.0, 0.1, 0.25, 1.0, 55.0])),
              min_diversity=draw(st.sampled_from([0.0, 0.2, 0.9])))
    order = draw(st.sampled_from(["C", "F"]))
    kw["num_threads"] = draw(st.sampled_from([1, 2]))
    return np.array(img, order=order), rng.random((h, w), dtype=np.float32), kw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzz_case())
def test_fuzz_against_opencv_and_numpy(case):
    img, prob, kw = case
    r = ops.mser(img, prob=prob, return_pixels=True, **kw)
    assert r.pixel_offsets.shape == (len(r) + 1,) and r.pixel_offsets[-1] == r.pixel_indices.size
    if min(img.shape) >= 3:
        cv_kw = {k: v for k, v in kw.items() if k != "num_threads"}
        assert_same_regions(r, *cv2_mser(img, **cv_kw), width=img.shape[1])
    else:
        assert len(r) == 0
    if len(r):
        ref_stats = numpy_region_stats(img, prob, r)
        np.testing.assert_array_equal(r.boxes, [d["box"] for d in ref_stats])
        np.testing.assert_allclose(r.mean_prob, [d["prob"] for d in ref_stats], rtol=0, atol=1e-6)
        assert (r.areas >= kw["min_area"]).all() and (r.areas <= kw["max_area"]).all()


@st.composite
def raw_core_args(draw):
    """Arbitrary arrays straight into the compiled entry point: dtype, rank, strides and parameters."""
    dtype = draw(st.sampled_from([np.uint8, np.uint8, np.int8, np.float32, np.uint16]))
    shape = draw(st.lists(st.integers(0, 12), min_size=1, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = (rng.random(shape) * 255).astype(dtype)
    if a.ndim == 2 and draw(st.booleans()):
        a = a[::-1, ::2]
    prob = None
    if draw(st.booleans()):
        pshape = a.shape if draw(st.booleans()) else tuple(rng.integers(0, 12, len(shape)))
        prob = rng.random(pshape).astype(draw(st.sampled_from([np.float32, np.float64])))
    params = (draw(st.integers(-2, 30)), draw(st.integers(-2, 50)), draw(st.integers(-2, 500)),
              draw(st.sampled_from([-1.0, 0.0, 0.3, 100.0, float("nan")])), draw(st.sampled_from([-0.5, 0.0, 0.5])),
              draw(st.integers(-2, 2)), draw(st.booleans()), draw(st.sampled_from([-1.0, 0.0, 0.5])),
              draw(st.integers(-1, 3)))
    return a, prob, params


@st.composite
def valid_core_args(draw):
    """Inputs the Python wrapper would pass on: uint8 HxW (possibly strided, possibly empty), float32
    prob of the same shape in [0, 1] or None, non-negative parameters, a polarity, >= 1 thread."""
    h, w = draw(st.integers(0, 12)), draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, 256, (h, w), dtype=np.uint8)
    if draw(st.booleans()):
        a = np.ascontiguousarray(rng.integers(0, 256, (2 * h, 2 * w), dtype=np.uint8))[::-2, ::2]
    prob = rng.random(a.shape).astype(np.float32) if draw(st.booleans()) else None
    min_area = draw(st.integers(0, 50))
    params = (draw(st.integers(0, 30)), min_area, min_area + draw(st.integers(0, 500)),
              draw(st.sampled_from([0.0, 0.3, 100.0])), draw(st.sampled_from([0.0, 0.5])),
              draw(st.sampled_from([-1, 0, 1])), draw(st.booleans()),
              draw(st.sampled_from([-1.0, 0.0, 0.5])) if prob is not None else -1.0, draw(st.integers(1, 3)))
    return a, prob, params


def _check_core_result(d, params):
    n = d["areas"].shape[0]
    assert d["boxes"].shape == (n, 4) and d["centroids"].shape == (n, 2)
    if params[6]:
        assert d["pixel_offsets"].shape == (n + 1,) and d["pixel_offsets"][-1] == d["pixel_indices"].size


@settings(max_examples=200, deadline=None)
@given(raw_core_args())
def test_fuzz_core_entry_point_never_crashes(args):
    # Invalid input must come back as TypeError/ValueError, valid input as well-formed arrays.
    a, prob, params = args
    try:
        d = core().mser(a, prob, *params)
    except (TypeError, ValueError):
        return
    _check_core_result(d, params)


@settings(max_examples=100, deadline=None)
@given(valid_core_args())
def test_fuzz_core_accepts_valid_input(args):
    # The other half of the contract: a core that rejected everything would pass the test above.
    a, prob, params = args
    _check_core_result(core().mser(a, prob, *params), params)

