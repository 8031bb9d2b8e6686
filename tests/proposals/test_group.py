"""Dendrogram -> proposals: union boxes of members, the 18 group features, NFA, dedup, ordering."""
import math
from fractions import Fraction

import numpy as np
import pytest

from textvision._ext import core
from textvision.proposals.cluster import single_linkage


def _nfa_reference(n, k, p):
    p = Fraction(p)
    tail = sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))
    return -(math.log10(tail.numerator) - math.log10(tail.denominator))


@pytest.mark.parametrize("n,k,p", [(50, 1, 0.3), (200, 2, 1e-4), (200, 7, 0.01), (300, 60, 0.1),
                                   (120, 100, 0.7), (80, 80, 0.5), (90, 3, 0.6)])
def test_nfa_matches_exact_binomial_tail(n, k, p):
    assert core().proposals_nfa(n, k, p) == pytest.approx(max(_nfa_reference(n, k, p), 0.0), rel=1e-9, abs=1e-9)


def _random_regions(rng, n, w=640, h=360):
    cx = rng.random(n) * w
    cy = rng.random(n) * h
    bw = rng.integers(2, 40, n)
    bh = rng.integers(2, 40, n)
    x1 = np.clip(cx - bw / 2, 0, w - 1).astype(np.int32)
    y1 = np.clip(cy - bh / 2, 0, h - 1).astype(np.int32)
    boxes = np.stack([x1, y1, np.minimum(x1 + bw, w), np.minimum(y1 + bh, h)], 1).astype(np.int32)
    cen = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1).astype(np.float32)
    cues = np.stack([np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]),
                     rng.random(n) * 255, rng.random(n) * 255, rng.random(n) * 100, rng.integers(1, 8, n)],
                    1).astype(np.float32)
    return boxes, cen, cues


def _features_reference(members, boxes, cen, cues, n, w, h):
    b = boxes[members]
    box = np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])
    c = np.floor(cen[members]).astype(int)
    cb = np.array([c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max()])
    bw, bh = box[2] - box[0], box[3] - box[1]
    cw, ch = cb[2] - cb[0] + 1, cb[3] - cb[1] + 1
    clip = lambda p: min(0.999999, max(1e-6, p))  # noqa: E731
    pc, pb = clip(cw * ch / (w * h)), clip(bw * bh / (w * h))
    k = len(members)
    nc, nb = max(_nfa_reference(n, k, pc), 0), max(_nfa_reference(n, k, pb), 0)
    left, right = cb[0] - box[0], box[2] - 1 - cb[2]
    top, bottom = cb[1] - box[1], box[3] - 1 - cb[3]
    sym = lambda u, v: 1.0 if max(u, v) == 0 else min(u, v) / max(u, v)  # noqa: E731
    m = cues[members].astype(np.float64)
    cv = lambda x: x.std() / x.mean() if x.mean() > 0 else 0.0  # noqa: E731
    return np.array([k, nc, nb, -1 if nc == 0 else nb / nc, pc / pb, cw / bw, left / bw, right / bw, sym(left, right),
                     ch / bh, top / bh, bottom / bh, sym(top, bottom), cv(m[:, 0]), cv(m[:, 4]), m[:, 3].std(),
                     m[:, 1].std(), m[:, 2].std()])


@pytest.mark.parametrize("cue", [0, 1, 4])
def test_group_nodes_union_boxes_and_features(rng, cue):
    n, w, h = 60, 640, 360
    boxes, cen, cues = _random_regions(rng, n, w, h)
    out_boxes, feats, children = core().proposals_group_nodes(boxes, cen, cues, cue, w, h, 2.0)
    assert out_boxes.shape == (n - 1, 4) and feats.shape == (n - 1, 18)

    # Same dendrogram as clustering the standardised points directly.
    norm = {0: max(w, h), 1: 255.0, 4: cues[:, 4].max()}[cue]
    pts = np.stack([0.25 * cen[:, 0].astype(np.float64) / w, cen[:, 1].astype(np.float64) / h,
                    cues[:, cue].astype(np.float64) / norm], 1)
    pts = pts / pts.std(axis=0)
    z = single_linkage(pts)
    np.testing.assert_array_equal(children, np.stack([z.left, z.right], 1))

    members = {i: [i] for i in range(n)}
    for t in range(n - 1):
        members[n + t] = members[int(children[t, 0])] + members[int(children[t, 1])]
        mb = boxes[members[n + t]]
        union = np.array([mb[:, 0].min(), mb[:, 1].min(), mb[:, 2].max(), mb[:, 3].max()]) * 2.0
        np.testing.assert_array_equal(out_boxes[t], union)
    for t in list(range(0, n - 1, 7)) + [n - 2]:
        ref = _features_reference(np.array(members[n + t]), boxes, cen, cues, n, w, h)
        np.testing.assert_allclose(feats[t], ref, rtol=2e-4, atol=2e-4)


def test_group_nodes_skips_under_three_regions(rng):
    boxes, cen, cues = _random_regions(rng, 2)
    b, f, c = core().proposals_group_nodes(boxes, cen, cues, 0, 640, 360, 1.0)
    assert b.shape == (0, 4) and f.shape == (0, 18)


def test_dedup_keeps_best_score_of_exact_duplicates(rng):
    base = rng.integers(0, 20, size=(30, 4)).astype(np.float32)
    boxes = base[rng.integers(0, 30, size=200)]
    scores = rng.random(200).astype(np.float32)
    keep = core().proposals_dedup(boxes, scores)
    ref = {}
    for i, (b, s) in enumerate(zip(map(tuple, boxes), scores)):
        if b not in ref or s > scores[ref[b]]:
            ref[b] = i
    assert sorted(keep.tolist()) == sorted(ref.values())
    assert np.all(np.diff(scores[keep]) <= 0)


def test_dedup_order_with_tied_scores_and_signed_zeros(rng):
    """Exact output order: ties in score go to the lower index, and -0.0 equals 0.0 in a box."""
    base = rng.integers(-3, 4, size=(40, 4)).astype(np.float32)
    pick = rng.integers(0, 40, size=3000)
    boxes = base[pick].copy()
    flip = (boxes == 0) & (rng.random(boxes.shape) < 0.5)
    boxes[flip] = -0.0
    scores = rng.integers(0, 5, size=3000).astype(np.float32)  # many equal scores
    keep = core().proposals_dedup(boxes, scores)
    best = {}
    for i, b in enumerate(map(tuple, (boxes + 0.0).tolist())):
        if b not in best or scores[i] > scores[best[b]]:
            best[b] = i
    ref = sorted(best.values(), key=lambda i: (-scores[i], i))
    assert keep.tolist() == ref


def test_diverse_order_matches_greedy_reference(rng):
    xy = rng.random((300, 2)) * 100
    wh = rng.random((300, 2)) * 30 + 2
    boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
    scores = rng.random(300).astype(np.float32)
    order, demoted = core().proposals_diverse_order(boxes, scores, 0.5, 200)

    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    by_score = np.argsort(-scores, kind="stable")
    placed = []
    for i in by_score[:200]:
        if all(iou(boxes[i], boxes[j]) <= 0.5 for j in placed):
            placed.append(i)
    rest = [i for i in by_score if i not in set(placed)]
    assert order.tolist() == placed + rest
    assert demoted.sum() == 300 - len(placed)
