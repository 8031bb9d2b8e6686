"""Region cues in the core vs OpenCV morphology / distance transform on the whole image."""
import cv2
import numpy as np

from textvision._ext import core


def _regions(rng, h, w, n_blobs=12):
    """Connected components of a thresholded smooth random field: blob-like regions with holes,
    some touching the image border."""
    field = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 2.5)
    binary = (field > np.quantile(field, 0.7)).astype(np.uint8)
    n, labels = cv2.connectedComponents(binary, connectivity=4)
    regions = []
    for lab in range(1, n):
        ys, xs = np.nonzero(labels == lab)
        if len(ys) < 3:
            continue
        regions.append((ys, xs))
    return regions[: n_blobs * 4]


def _reference(grey, ys, xs):
    h, w = grey.shape
    p = 6  # zero padding: outside the image is background, rings are clipped to the image below
    mask = np.zeros((h + 2 * p, w + 2 * p), np.uint8)
    mask[ys + p, xs + p] = 1
    k = np.ones((5, 5), np.uint8)
    dil = cv2.dilate(mask, k, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ero = cv2.erode(mask, k, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    dist = cv2.distanceTransform(dil, cv2.DIST_L1, 3)
    inside = np.zeros_like(mask, bool)
    inside[p:p + h, p:p + w] = True
    g = grey.astype(np.float64)
    gx = g[:, np.minimum(np.arange(w) + 1, w - 1)] - g[:, np.maximum(np.arange(w) - 1, 0)]
    gy = g[np.minimum(np.arange(h) + 1, h - 1), :] - g[np.maximum(np.arange(h) - 1, 0), :]
    grad = np.zeros_like(mask, np.float64)
    grad[p:p + h, p:p + w] = np.sqrt(gx ** 2 + gy ** 2)
    gp = np.zeros_like(mask, np.float64)
    gp[p:p + h, p:p + w] = g
    ring = (dil == 1) & (mask == 0) & inside
    gring = (dil == 1) & (ero == 0) & inside
    d = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    return np.array([
        d,
        g[ys, xs].mean(),
        gp[ring].mean() if ring.any() else 0.0,
        grad[gring].mean() if gring.any() else 0.0,
        dist.max(),
    ])


def test_region_cues_match_opencv_reference(rng):
    h, w = 70, 90
    grey = rng.integers(0, 256, size=(h, w)).astype(np.uint8)
    regions = _regions(rng, h, w)
    assert len(regions) > 5
    boxes = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] for ys, xs in regions], np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(ys) for ys, _ in regions])]).astype(np.int64)
    indices = np.concatenate([ys * w + xs for ys, xs in regions]).astype(np.int32)
    got = core().proposals_region_cues(grey, boxes, offsets, indices)
    ref = np.stack([_reference(grey, ys, xs) for ys, xs in regions])
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3)
    # Some regions touch the border, where clipping of the rings matters.
    assert (boxes[:, 0] == 0).any() or (boxes[:, 1] == 0).any() or (boxes[:, 2] == w).any()


def test_stroke_of_a_filled_rectangle():
    grey = np.zeros((40, 40), np.uint8)
    ys, xs = np.mgrid[10:17, 5:30]  # 7 px tall bar; dilated to 11 px -> L1 distance max 6
    got = core().proposals_region_cues(grey, np.array([[5, 10, 30, 17]], np.int32), np.array([0, ys.size], np.int64),
                                       (ys * 40 + xs).ravel().astype(np.int32))
    assert got[0, 0] == 25 and got[0, 4] == 6


def test_thick_and_wide_regions_match_reference(rng):
    """Thick blobs (stroke beyond the bit-erosion budget) and regions wider than 64 px (several words)."""
    h, w = 120, 200
    grey = rng.integers(0, 256, size=(h, w)).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    shapes = [
        (yy - 60) ** 2 + (xx - 60) ** 2 <= 35 ** 2,                        # disk: L1 distance ~37
        (np.abs(yy - 20) <= 3) & (xx >= 5) & (xx < 190),                     # long thin bar, 3 words wide
        ((yy - 90) ** 2 / 400 + (xx - 150) ** 2 / 1600 <= 1) & ((xx + yy) % 7 != 0),  # ellipse with holes
        (xx >= 180) & (yy >= 100),                                           # touches two image borders
    ]
    regions = [np.nonzero(s) for s in shapes]
    boxes = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] for ys, xs in regions], np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(ys) for ys, _ in regions])]).astype(np.int64)
    indices = np.concatenate([ys * w + xs for ys, xs in regions]).astype(np.int32)
    got = core().proposals_region_cues(grey, boxes, offsets, indices)
    ref = np.stack([_reference(grey, ys, xs) for ys, xs in regions])
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3)
    assert got[0, 4] > 12  # the disk needs the distance-transform fallback


def test_regions_as_wide_as_the_image_match_reference(rng):
    """Boxes spanning (almost) the whole width: the core reads each box row out of a buffer whose rows
    are one image width apart, so there a row's padded window overlaps its neighbour rows."""
    h, w = 40, 70
    grey = rng.integers(0, 256, size=(h, w)).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    shapes = [
        (yy >= 5) & (yy < 12),                                  # full-width band
        (yy >= 15) & (yy < 30) & ((xx * 7 + yy * 3) % 5 != 0),  # full-width band with holes
        (yy >= 2) & (yy < 38) & (xx >= 2) & (xx < w - 1) & ((xx + yy) % 4 != 0),
        ((xx == 0) | (xx == w - 1)) & (yy < 20) | (yy == 10),   # touches both sides of the image
        (xx >= 1) & (xx < w - 2) & (yy % 3 == 0),               # 2 px narrower than the image
    ]
    regions = [np.nonzero(s) for s in shapes]
    boxes = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] for ys, xs in regions], np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(ys) for ys, _ in regions])]).astype(np.int64)
    # Shuffled pixel order, as flood order is not raster order.
    indices = np.concatenate([rng.permutation(ys * w + xs) for ys, xs in regions]).astype(np.int32)
    got = core().proposals_region_cues(grey, boxes, offsets, indices)
    ref = np.stack([_reference(grey, ys, xs) for ys, xs in regions])
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3)
