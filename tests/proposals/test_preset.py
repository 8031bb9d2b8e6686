"""The ``original`` preset (the original C++ TextProposals' region limits and grouping coordinates) and
the bit-identity of the ``textvision`` conventions, each against a reference built from the public ops."""
import hashlib

import numpy as np
import pytest

from textvision._ext import core
from textvision.data.synth import render_scene
from textvision.ops.mser import mser
from textvision.proposals import PRESETS, TextProposals


@pytest.fixture(scope="module")
def scene():
    return render_scene(21, size=(240, 360), text_free_prob=0.0, max_lines=4).image


def _half(plane):
    """The pipeline's half scale: mean of 2x2 blocks, rounded half up (INTER_AREA for factor 2)."""
    h, w = plane.shape[0] // 2, plane.shape[1] // 2
    p = plane[: 2 * h, : 2 * w].astype(np.int32)
    return ((p[0::2, 0::2] + p[0::2, 1::2] + p[1::2, 0::2] + p[1::2, 1::2] + 2) >> 2).astype(np.uint8)


def _grey(rgb):
    r, g, b = (rgb[..., c].astype(np.int32) for c in range(3))
    return ((r * 299 + g * 587 + b * 114 + 500) // 1000).astype(np.uint8)


def _raw(rgb, channel, factor, absolute_area, box_centres):
    return core().proposals_text_proposals(rgb, None, [channel], [factor], 13, 2e-5, 0.11, 55.0, 0.0, 0, 0.1, 1,
                                           absolute_area, box_centres)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_half_scale_area_limits(scene, preset):
    """``original``: the full image's absolute pixel limits at half scale (truncated, as the original's
    ``(int)(0.00002 * img_area)``); ``textvision``: limits scaled to the half-scale image (lower rounded)."""
    h, w = scene.shape[:2]
    half = _half(np.ascontiguousarray(scene[..., 0]))
    if preset == "original":
        lo, hi = int(2e-5 * h * w), int(0.11 * h * w)
    else:
        a = half.shape[0] * half.shape[1]
        lo, hi = max(1, round(2e-5 * a)), int(0.11 * a)
    ref = mser(half, delta=13, min_area=lo, max_area=hi, max_variation=55.0, min_diversity=0.0)
    _, _, _, _, stats = _raw(scene, 0, 2, *PRESETS[preset])
    assert stats["regions_found"] == len(ref) > 20
    got = TextProposals(preset=preset, channels=("r",), scales=(0.5,))(scene).stats["regions_found"]
    assert got == len(ref)


def test_presets_differ_where_documented(scene):
    """At half scale the limits differ (the absolute ones are 4x larger, in both directions), so the
    region sets do; the grouping coordinates alone keep the regions and change the groups."""
    n_half = {p: _raw(scene, 0, 2, *PRESETS[p])[4]["regions_found"] for p in PRESETS}
    assert n_half["original"] != n_half["textvision"]
    centroids, centres = _raw(scene, 0, 1, False, False), _raw(scene, 0, 1, False, True)
    assert centroids[4]["regions_found"] == centres[4]["regions_found"]
    assert not np.array_equal(centroids[0], centres[0])


@pytest.mark.parametrize("box_centres", [False, True])
def test_grouping_coordinates_match_reference(scene, box_centres):
    """Full scale, one channel: the pipeline's nodes equal MSER -> cues -> group_nodes run step by step
    with pixel centroids or with the original's integer box centres ``x + w // 2, y + h // 2``."""
    r = np.ascontiguousarray(scene[..., 0])
    h, w = r.shape
    regs = mser(r, delta=13, min_area=max(1, round(2e-5 * h * w)), max_area=int(0.11 * h * w), max_variation=55.0,
                min_diversity=0.0, return_pixels=True)
    cues = core().proposals_region_cues(_grey(scene), regs.boxes, regs.pixel_offsets, regs.pixel_indices)
    if box_centres:
        b = regs.boxes
        cen = np.stack([b[:, 0] + (b[:, 2] - b[:, 0]) // 2, b[:, 1] + (b[:, 3] - b[:, 1]) // 2], 1)
        cen = cen.astype(np.float32)
    else:
        cen = regs.centroids
    ref_b, ref_f = [], []
    for cue in range(5):
        bb, ff, _ = core().proposals_group_nodes(regs.boxes, np.ascontiguousarray(cen), cues, cue, w, h, 1.0)
        ref_b.append(bb)
        ref_f.append(ff)
    boxes, feats, _, _, _ = _raw(scene, 0, 1, False, box_centres)
    np.testing.assert_array_equal(boxes, np.concatenate(ref_b))
    np.testing.assert_array_equal(feats, np.concatenate(ref_f))


def test_textvision_preset_is_unchanged():
    """Golden digest of the ``textvision`` conventions, recorded with the build before the presets
    existed: the flags must not change a single box (a procedural image, independent of the renderer)."""
    import cv2

    rng = np.random.default_rng(5)
    img = np.full((200, 320, 3), 200, np.uint8)
    img += rng.integers(0, 20, img.shape, dtype=np.uint8)
    for i, word in enumerate(("PROPOSALS", "golden", "Text 42")):
        cv2.putText(img, word, (10 + 30 * i, 50 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0 + 0.3 * i,
                    tuple(int(v) for v in rng.integers(0, 90, 3)), 2)
    p = TextProposals(preset="textvision")(img)
    digest = hashlib.sha256(np.ascontiguousarray(p.boxes).tobytes()).hexdigest()[:16]
    assert (len(p), digest) == GOLDEN_TEXTVISION


def test_bad_preset():
    with pytest.raises(ValueError, match="preset must be one of .*'original'.*got 'orignal'"):
        TextProposals(preset="orignal")


# (number of proposals, sha256 of the boxes) from the build before the presets (main at be44421).
GOLDEN_TEXTVISION = (2130, "4cfa7e6139c61b5a")
