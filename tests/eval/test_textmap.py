"""text_map_scores / pool_text_map_scores: hand-worked pixel classes and AP, references, pooling, bad input."""
import numpy as np
import pytest

from textvision.data import TextInstance, box_to_quad
from textvision.eval import TextMapScores, average_precision, pool_text_map_scores, text_map_scores
from textvision.eval.textmap import N_BINS


def word(x1, y1, x2, y2, text="w", ignore=False):
    return TextInstance(box_to_quad((x1, y1, x2, y2)), text, ignore)


# A 12x12 image: a legible word covering pixels x 3..5, y 3..4 (6 px; fillPoly includes the boundary)
# and a don't-care word covering x 9..10, y 9..10 (4 px).
H = W = 12
LEGIBLE = word(3, 3, 5, 4, "ab")
DONT = word(9, 9, 10, 10, "###", ignore=True)


def text_mask():
    m = np.zeros((H, W), bool)
    m[3:5, 3:6] = True
    return m


def ap_reference(scores, labels):
    """Precision-recall by brute force at every distinct threshold, step-interpolated."""
    scores, labels = np.asarray(scores, float).ravel(), np.asarray(labels, bool).ravel()
    ap, prev_recall = 0.0, 0.0
    for t in sorted(set(scores.tolist()), reverse=True):
        pred = scores >= t
        recall = (pred & labels).sum() / labels.sum()
        ap += (recall - prev_recall) * (pred & labels).sum() / pred.sum()
        prev_recall = recall
    return ap


def distance_reference(quad_pixels, shape):
    """Euclidean distance of every pixel centre to the nearest listed pixel, by brute force."""
    ys, xs = np.mgrid[:shape[0], :shape[1]]
    pts = np.array(quad_pixels, float)
    return np.sqrt(((xs[..., None] - pts[:, 0]) ** 2 + (ys[..., None] - pts[:, 1]) ** 2).min(axis=-1))


# ----------------------------------------------------------------------------------------- AP itself

def test_average_precision_hand_worked():
    # ranking: neg 0.9, pos 0.8, pos 0.8 (tie), neg 0.3, pos 0.1
    # thresholds: 0.9 -> P 0/1; 0.8 -> R 2/3, P 2/3; 0.3 -> no new positive; 0.1 -> R 1, P 3/5
    scores = [0.9, 0.8, 0.8, 0.3, 0.1]
    labels = [0, 1, 1, 0, 1]
    assert average_precision(scores, labels) == pytest.approx(2 / 3 * 2 / 3 + 1 / 3 * 3 / 5)
    assert average_precision([0.2, 0.1], [1, 0]) == 1.0
    assert np.isnan(average_precision([0.2, 0.1], [0, 0]))


@pytest.mark.parametrize("seed", range(5))
def test_average_precision_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 60
    scores = rng.integers(0, 8, n) / 7.0  # many ties
    labels = rng.random(n) < 0.3
    labels[0] = True
    assert average_precision(scores, labels) == pytest.approx(ap_reference(scores, labels), abs=1e-12)


def test_average_precision_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is not installed (optional reference)")
    rng = np.random.default_rng(7)
    scores, labels = rng.random(500), rng.random(500) < 0.2
    assert average_precision(scores, labels) == pytest.approx(metrics.average_precision_score(labels, scores))


# ------------------------------------------------------------------------------- pixel classes

def test_band_and_dont_care_counted_by_hand():
    prob = np.zeros((H, W), np.float32)
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1, far=0)
    # text 6; ring of the 3x2 word at distance 1 (4-neighbours): 3 + 3 + 2 + 2 = 10;
    # don't-care 2x2 dilated by 1: 4 + 4 * 2 = 12 -> excluded 22; background 144 - 6 - 22 = 116.
    assert (s.n_text, s.n_excluded, s.n_background) == (6, 22, 116)
    # far=0: every pixel outside both quads is "far": 144 - 6 - 4
    assert s.n_far == 134
    s2 = text_map_scores(prob, [LEGIBLE, DONT], band=2, far=0)
    # ring of the word within 2 px: sides 6 + 6 + 4 + 4, plus the four diagonal corners at sqrt(2) = 24;
    # don't-care 2x2 within 2 px, clipped by the image edge at x, y = 11: above 4, left 4, below 2,
    # right 2, 4 diagonal corners, plus its own 4 px = 20.
    assert (s2.n_text, s2.n_excluded, s2.n_background) == (6, 24 + 20, 144 - 6 - 44)
    s0 = text_map_scores(prob, [LEGIBLE, DONT], band=0, far=0)
    assert (s0.n_text, s0.n_excluded, s0.n_background) == (6, 4, 134)


def test_far_pixels_match_a_brute_force_distance():
    pixels = [(x, y) for x in range(3, 6) for y in range(3, 5)] + [(x, y) for x in (9, 10) for y in (9, 10)]
    dist = distance_reference(pixels, (H, W))
    rng = np.random.default_rng(3)
    prob = rng.random((H, W)).astype(np.float32)
    for far in (0, 1, 2.5, 4):
        s = text_map_scores(prob, [LEGIBLE, DONT], band=1, far=far)
        assert s.n_far == int((dist > far).sum())
        assert s.far_mean == pytest.approx(float(prob[dist > far].mean()), rel=1e-6)


def test_hand_worked_ap_ignores_the_excluded_pixels():
    prob = np.full((H, W), 0.1, np.float32)
    prob[text_mask()] = 0.9
    prob[0, 0] = prob[0, 11] = 0.95  # two background false alarms above every text pixel
    prob[2, 3:6] = 1.0  # the band ring: excluded, must not count as false alarms
    prob[9:11, 9:11] = 1.0  # the don't-care word: excluded
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1, far=30)
    # thresholds 0.95 (2 bg, no text), 0.9 (all 6 text among 8 pixels): AP = 1 * 6 / 8
    assert s.ap == pytest.approx(0.75)
    assert s.word_means == pytest.approx([0.9])
    assert s.hit_rate == 1.0
    assert np.isnan(s.far_mean) and s.n_far == 0  # a 12x12 image has no pixel 30 px from the words


def test_perfect_map():
    prob = text_mask().astype(np.float32)
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1, far=3)
    assert s.ap == 1.0 and s.hit_rate == 1.0 and s.far_mean == 0.0 and s.n_far > 0


def test_inverted_map_scores_low():
    prob = 1.0 - text_mask().astype(np.float32)
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1, far=3)
    # every background pixel ranks above every text pixel: AP falls to the text fraction
    assert s.ap == pytest.approx(6 / (6 + 116))
    assert s.hit_rate == 0.0 and s.far_mean == 1.0


@pytest.mark.parametrize("value", [0.0, 0.37, 1.0])
def test_constant_map_ap_is_the_text_fraction(value):
    prob = np.full((H, W), value, np.float32)
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1)
    assert s.ap == pytest.approx(s.n_text / (s.n_text + s.n_background))
    assert s.hit_rate == float(value >= 0.3)


def test_word_means_and_hit_threshold():
    prob = np.zeros((20, 30), np.float32)
    prob[2:5, 2:10] = 0.5  # word 0: 8x3 px, mean 0.5
    prob[10:12, 2:6] = 0.2  # word 1: half of its 4x4 px -> mean 0.1
    words = [word(2, 2, 9, 4), word(2, 10, 5, 13), word(20, 10, 25, 12, "###", ignore=True)]
    s = text_map_scores(prob, words, hit_threshold=0.3)
    assert s.word_means == pytest.approx([0.5, 0.1])
    assert s.hit_rate == 0.5
    assert text_map_scores(prob, words, hit_threshold=0.1).hit_rate == 1.0  # >= counts as a hit
    assert text_map_scores(prob, words, hit_threshold=0.6).hit_rate == 0.0


def test_no_words():
    prob = np.full((8, 9), 0.25, np.float32)
    s = text_map_scores(prob, [])
    assert np.isnan(s.ap) and np.isnan(s.hit_rate) and s.word_means.shape == (0,)
    assert s.n_far == 72 and s.far_mean == pytest.approx(0.25) and s.n_background == 72


def test_histograms_hold_the_pixels():
    rng = np.random.default_rng(1)
    prob = rng.random((H, W)).astype(np.float32)
    s = text_map_scores(prob, [LEGIBLE, DONT], band=1)
    assert s.text_hist.shape == s.background_hist.shape == (N_BINS,)
    assert s.text_hist.sum() == s.n_text and s.background_hist.sum() == s.n_background
    want = np.bincount(np.rint(prob[text_mask()] * (N_BINS - 1)).astype(int), minlength=N_BINS)
    np.testing.assert_array_equal(s.text_hist, want)


def test_torch_input_and_no_modification():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    prob = rng.random((H, W)).astype(np.float32)
    keep = prob.copy()
    a = text_map_scores(prob, [LEGIBLE, DONT], far=2)
    b = text_map_scores(torch.from_numpy(prob), [LEGIBLE, DONT], far=2)
    np.testing.assert_array_equal(prob, keep)
    assert a.ap == b.ap and a.far_mean == b.far_mean


# ----------------------------------------------------------------------------------------- pooling

def _two_images(quantised, seed=0):
    rng = np.random.default_rng(seed)
    # words >= 6 px from the seam of the concatenation, so band (1) and far (2) see the same neighbours
    a_words = [word(1, 2, 4, 4), word(2, 8, 4, 9, "###", ignore=True)]
    b_words = [word(7, 3, 9, 6), word(8, 9, 9, 10)]
    pa, pb = rng.random((12, 12)), rng.random((12, 14))
    for p, words in ((pa, a_words), (pb, b_words)):  # some signal: words brighter on average
        for w_ in words:
            x1, y1 = w_.quad.min(axis=0).astype(int)
            x2, y2 = w_.quad.max(axis=0).astype(int)
            p[y1:y2 + 1, x1:x2 + 1] = 0.5 + 0.5 * p[y1:y2 + 1, x1:x2 + 1]
    if quantised:
        pa, pb = np.rint(pa * 1000) / 1000, np.rint(pb * 1000) / 1000  # on the bin grid
    shifted = [TextInstance(w_.quad + [12, 0], w_.text, w_.ignore) for w_ in b_words]
    return (pa.astype(np.float32), a_words), (pb.astype(np.float32), b_words), \
        (np.hstack([pa, pb]).astype(np.float32), a_words + shifted)


@pytest.mark.parametrize("seed", range(3))
def test_pooling_equals_the_concatenation(seed):
    (pa, wa), (pb, wb), (pc, wc) = _two_images(quantised=True, seed=seed)
    kw = dict(band=1, far=2, hit_threshold=0.6)
    pooled = pool_text_map_scores([text_map_scores(pa, wa, **kw), text_map_scores(pb, wb, **kw)])
    whole = text_map_scores(pc, wc, **kw)
    assert pooled.ap == pytest.approx(whole.ap, abs=1e-9)  # scores on the bin grid: exact
    assert pooled.hit_rate == whole.hit_rate
    assert pooled.far_mean == pytest.approx(whole.far_mean, rel=1e-9)
    np.testing.assert_allclose(pooled.word_means, whole.word_means, rtol=1e-6)
    assert (pooled.n_text, pooled.n_background, pooled.n_excluded, pooled.n_far) == \
        (whole.n_text, whole.n_background, whole.n_excluded, whole.n_far)
    assert pooled.n_images == 2
    assert pool_text_map_scores([pooled]).ap == pooled.ap  # pooling a pooled result is stable


@pytest.mark.parametrize("seed", range(3))
def test_pooled_ap_within_1e3_of_exact_on_unquantised_maps(seed):
    # smooth noise with brighter words, about 20k pixels per image: histogram ties cost well under 1e-3
    rng = np.random.default_rng(seed)
    parts, maps, words_all = [], [], []
    for k in range(2):
        prob = np.clip(rng.normal(0.2, 0.15, (120, 160)), 0, 1)
        words = []
        for x, y in ((10 + 60 * k, 20), (40, 70), (100, 95 - 30 * k)):
            words.append(word(x, y, x + 30, y + 10))
            prob[y:y + 11, x:x + 31] = np.clip(prob[y:y + 11, x:x + 31] + rng.normal(0.25, 0.15, (11, 31)), 0, 1)
        prob = prob.astype(np.float32)
        parts.append(text_map_scores(prob, words))
        assert abs(pool_text_map_scores([parts[-1]]).ap - parts[-1].ap) <= 1e-3
        maps.append(prob)
        words_all += [TextInstance(w_.quad + [160 * k, 0]) for w_ in words]
    whole = text_map_scores(np.hstack(maps), words_all)  # words >= 20 px from the seam: band 3 sees the same
    assert abs(pool_text_map_scores(parts).ap - whole.ap) <= 1e-3


def test_pool_refuses_mixed_parameters_and_empty_lists():
    prob = np.zeros((H, W), np.float32)
    a = text_map_scores(prob, [LEGIBLE], band=1)
    b = text_map_scores(prob, [LEGIBLE], band=2)
    with pytest.raises(ValueError, match="band=2"):
        pool_text_map_scores([a, b])
    with pytest.raises(ValueError, match="empty"):
        pool_text_map_scores([])
    with pytest.raises(TypeError, match="parts\\[1\\]"):
        pool_text_map_scores([a, {"ap": 1.0}])
    with pytest.raises(TypeError, match="list of TextMapScores"):
        pool_text_map_scores(a)


def test_summary_is_json_ready():
    import json

    s = text_map_scores(np.zeros((8, 8), np.float32), [])
    d = json.loads(json.dumps(s.summary()))
    assert d["ap"] is None and d["n_words"] == 0 and d["far_mean"] == 0.0
    assert isinstance(s, TextMapScores)


# --------------------------------------------------------------------------------------- bad input

def test_bad_maps():
    with pytest.raises(TypeError, match="uint8"):
        text_map_scores(np.zeros((H, W), np.uint8), [LEGIBLE])
    with pytest.raises(ValueError, match=r"HxW, got shape \(12, 12, 3\)"):
        text_map_scores(np.zeros((H, W, 3), np.float32), [LEGIBLE])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        text_map_scores(np.full((H, W), 2.0, np.float32), [LEGIBLE])
    with pytest.raises(ValueError, match="empty"):
        text_map_scores(np.zeros((0, 5), np.float32), [])
    with pytest.raises(TypeError, match="NumPy array"):
        text_map_scores([[0.0, 1.0]], [])


@pytest.mark.parametrize("quad, what", [
    ([[1, 1], [5, 1], [9, 1], [3, 1]], "degenerate"),  # collinear: zero area
    ([[2, 2], [2, 2], [2, 2], [2, 2]], "degenerate"),
    ([[1, 1], [np.nan, 1], [5, 5], [1, 5]], "non-finite"),
])
@pytest.mark.parametrize("ignore", [False, True])
def test_degenerate_quads(quad, what, ignore):
    bad = TextInstance(np.array(quad, np.float32), "bad", ignore)
    with pytest.raises(ValueError, match=rf"instances\[1\] \('bad'\) has a {what} quad"):
        text_map_scores(np.zeros((H, W), np.float32), [LEGIBLE, bad])


def test_bad_instances():
    prob = np.zeros((H, W), np.float32)
    with pytest.raises(ValueError, match=r"no pixel inside the 12x12 map"):
        text_map_scores(prob, [word(30, 30, 40, 35)])
    # a don't-care word outside the map is harmless
    assert text_map_scores(prob, [LEGIBLE, word(30, 30, 40, 35, "###", ignore=True)]).n_text == 6
    with pytest.raises(TypeError, match=r"instances\[0\] must be a TextInstance, got ndarray"):
        text_map_scores(prob, [LEGIBLE.quad])
    with pytest.raises(TypeError, match="list of TextInstance"):
        text_map_scores(prob, np.zeros((1, 4, 2), np.float32))


@pytest.mark.parametrize("kw, msg", [
    (dict(band=-1), "band"), (dict(band=1.5), "band"), (dict(band=True), "band"),
    (dict(far=-2), "far"), (dict(far=float("inf")), "far"),
    (dict(hit_threshold=1.5), "hit_threshold"), (dict(hit_threshold=None), "hit_threshold"),
])
def test_bad_parameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        text_map_scores(np.zeros((H, W), np.float32), [LEGIBLE], **kw)


def test_partly_outside_word_is_clipped():
    prob = np.zeros((H, W), np.float32)
    prob[:, 10:] = 1.0
    s = text_map_scores(prob, [word(10, 2, 20, 4)])  # x 10..11 inside the map
    assert s.n_text == 2 * 3 and s.word_means == pytest.approx([1.0])

