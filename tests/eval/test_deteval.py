"""ICDAR 2013 DetEval: hand-worked cases, official file layout, and a literal loop implementation."""
import numpy as np
import pytest

from textvision.data import TextInstance, box_to_quad
from textvision.eval import deteval_icdar2013
from textvision.eval.scores import Match


def B(*boxes):
    return np.array(boxes, np.float64).reshape(-1, 4)


def gtb(*boxes, ignore=()):
    return (B(*boxes), np.array([i in ignore for i in range(len(boxes))], bool))


def test_perfect_match():
    r = deteval_icdar2013([gtb((0, 0, 99, 9))], [B((0, 0, 99, 9))])
    assert (r.precision, r.recall, r.hmean) == (1.0, 1.0, 1.0)


def test_split_is_one_to_many_with_weight():
    # GT 100x10 (inclusive coords) split into two 50x10 halves: area recall 0.5 each, precision 1.
    r = deteval_icdar2013([gtb((0, 0, 99, 9))], [B((0, 0, 49, 9), (50, 0, 99, 9))])
    # recall 0.8 / 1 GT; precision 0.8 * 2 / 2 detections
    assert r.recall == pytest.approx(0.8) and r.precision == pytest.approx(0.8)
    assert r.per_image[0].matches == (Match("one-to-many", (0,), (0, 1)),)


def test_merge_is_many_to_one():
    # Two 40x10 words inside one 100x10 detection: area recall 1 each, area precision 0.4 each.
    gt, det = [gtb((0, 0, 39, 9), (60, 0, 99, 9))], [B((0, 0, 99, 9))]
    r = deteval_icdar2013(gt, det)
    assert (r.recall, r.precision) == (1.0, 1.0)  # ICDAR 2013 script: merges not penalised
    assert r.per_image[0].matches == (Match("many-to-one", (0, 1), (0,)),)
    r = deteval_icdar2013(gt, det, merge_weight=0.8)  # Wolf & Jolion: 0.8 * 2 / 2 GT, 0.8 / 1 det
    assert r.recall == pytest.approx(0.8) and r.precision == pytest.approx(0.8)


def test_too_loose_detection_fails_area_precision():
    # 10x10 word in a 30x10 detection: area precision 1/3 < 0.4
    r = deteval_icdar2013([gtb((0, 0, 9, 9))], [B((0, 0, 29, 9))])
    assert (r.recall, r.precision) == (0.0, 0.0)


def test_dont_care():
    gt = [gtb((0, 0, 9, 9), (100, 100, 139, 119), ignore=(1,))]
    det = [B((0, 0, 9, 9), (100, 100, 129, 119), (60, 100, 109, 119))]
    # second detection lies on the don't care (dropped); third has 200 of 1000 px there: a false positive
    r = deteval_icdar2013(gt, det)
    assert r.per_image[0].det_dont_care == (1,)
    assert (r.recall, r.precision, r.num_gt, r.num_det) == (1.0, 0.5, 1, 2)


def test_empty_images_and_no_detections():
    r = deteval_icdar2013([gtb((0, 0, 9, 9)), (B(), np.zeros(0, bool))], [B(), B()])
    assert (r.recall, r.precision, r.hmean) == (0.0, 0.0, 0.0)
    r = deteval_icdar2013([gtb((0, 0, 9, 9)), (B(), np.zeros(0, bool))], [B((0, 0, 9, 9)), B((5, 5, 9, 9))])
    assert r.recall == 1.0 and r.precision == 0.5


def test_instances_and_quads_are_reduced_to_boxes():
    gt = [[TextInstance(box_to_quad((0, 0, 99, 9)), "word")]]
    r = deteval_icdar2013(gt, [box_to_quad((1, 0, 99, 9))[None]])
    assert r.recall == 1.0


def test_official_file_layout(tmp_path):
    g, s = tmp_path / "gt", tmp_path / "res"
    g.mkdir()
    s.mkdir()
    # Hand-written as ICDAR 2013: test GT with commas and quotes, training GT with spaces.
    (g / "gt_img_1.txt").write_bytes(b'0, 0, 99, 9, "Footpath"\r\n200, 0, 239, 9, "###"\r\n')
    (g / "gt_img_2.txt").write_bytes(b'0 0 39 9 "two"\n60 0 99 9 "words"\n')
    (s / "res_img_1.txt").write_text("0,0,49,9\n50,0,99,9\n200,0,239,9\n")
    (s / "res_img_2.txt").write_text("0,0,99,9\n")
    r = deteval_icdar2013(g, s)
    # image 1: split (0.8 recall, 1.6 precision over 2 care dets; the third is on the don't care)
    # image 2: merge (2 recall, 1 precision)
    assert r.num_gt == 3 and r.num_det == 3
    assert r.recall == pytest.approx(2.8 / 3) and r.precision == pytest.approx(2.6 / 3)


# ---------------------------------------------------------------------------------------------
# A literal, loop-by-loop transcription of the DetEval procedure (no NumPy vectorisation).
def _ref_image(G, gi, D, tr=0.8, tp=0.4, wsplit=0.8, wmerge=1.0):
    def inter(a, b):
        dx = min(a[2], b[2]) - max(a[0], b[0]) + 1
        dy = min(a[3], b[3]) - max(a[1], b[1]) + 1
        return dx * dy if dx >= 0 and dy >= 0 else 0.0

    def area(a):
        return (a[2] - a[0] + 1) * (a[3] - a[1] + 1)

    ddc = []
    for j, d in enumerate(D):
        for i, g in enumerate(G):
            if gi[i] and area(d) and inter(g, d) / area(d) > tp:
                ddc.append(j)
                break
    rA = pA = 0.0
    if len(D) and len(G):
        R = [[inter(g, d) / area(g) if area(g) else 0 for d in D] for g in G]
        P = [[inter(g, d) / area(d) if area(d) else 0 for d in D] for g in G]
        gm, dm = [0] * len(G), [0] * len(D)

        def ok(i, j):
            return R[i][j] >= tr and P[i][j] >= tp

        def n_over_g(i):
            return sum(1 for j in range(len(D)) if j not in ddc and R[i][j] > 0)

        def n_over_d(j):
            return sum(1 for i in range(len(G)) if not gi[i] and R[i][j] > 0)

        for i in range(len(G)):
            for j in range(len(D)):
                if gm[i] or dm[j] or gi[i] or j in ddc:
                    continue
                if sum(ok(i, k) for k in range(len(D))) != 1 or sum(ok(k, j) for k in range(len(G))) != 1:
                    continue
                if not ok(i, j) or n_over_g(i) != 1 or n_over_d(j) != 1:
                    continue
                cg = ((G[i][0] + G[i][2] + 1) / 2, (G[i][1] + G[i][3] + 1) / 2)
                cd = ((D[j][0] + D[j][2] + 1) / 2, (D[j][1] + D[j][3] + 1) / 2)
                dg = ((G[i][2] - G[i][0] + 1) ** 2 + (G[i][3] - G[i][1] + 1) ** 2) ** 0.5
                dd = ((D[j][2] - D[j][0] + 1) ** 2 + (D[j][3] - D[j][1] + 1) ** 2) ** 0.5
                if ((cg[0] - cd[0]) ** 2 + (cg[1] - cd[1]) ** 2) ** 0.5 / (dg + dd) * 2 < 1:
                    gm[i] = dm[j] = 1
                    rA += 1
                    pA += 1
        for i in range(len(G)):
            if gi[i]:
                continue
            js = [j for j in range(len(D)) if not gm[i] and not dm[j] and j not in ddc and P[i][j] >= tp]
            if round(sum(R[i][j] for j in js), 4) >= tr and n_over_g(i) >= 2:
                gm[i] = 1
                rA += 1 if len(js) == 1 else wsplit
                pA += 1 if len(js) == 1 else wsplit * len(js)
                for j in js:
                    dm[j] = 1
        for j in range(len(D)):
            if j in ddc:
                continue
            is_ = [i for i in range(len(G)) if not gm[i] and not dm[j] and not gi[i] and R[i][j] >= tr]
            if round(sum(P[i][j] for i in is_), 4) >= tp and n_over_d(j) >= 2:
                dm[j] = 1
                rA += 1 if len(is_) == 1 else wmerge * len(is_)
                pA += 1 if len(is_) == 1 else wmerge
                for i in is_:
                    gm[i] = 1
    return rA, pA, len(G) - sum(gi), len(D) - len(ddc)


def test_agrees_with_literal_implementation():
    rng = np.random.default_rng(3)
    gts, dets, tot = [], [], np.zeros(4)
    for _ in range(60):
        n = int(rng.integers(0, 7))
        xy = rng.integers(0, 150, (n, 2))
        wh = rng.integers(5, 60, (n, 2))
        G = np.hstack([xy, xy + wh]).astype(float)
        gi = rng.random(n) < 0.15
        D = []
        for g in G:
            k = rng.random()
            if k < 0.5:
                D.append(g + rng.integers(-3, 4, 4))
            elif k < 0.7:  # split
                mid = (g[0] + g[2]) // 2
                D += [[g[0], g[1], mid, g[3]], [mid + 1, g[1], g[2], g[3]]]
            elif k < 0.8:
                D.append(g + [-10, -2, 15, 2])
        if n >= 2 and rng.random() < 0.5:  # merge of the first two
            D.append([G[:2, 0].min(), G[:2, 1].min(), G[:2, 2].max(), G[:2, 3].max()])
        D = np.array(D, float).reshape(-1, 4)
        D[:, 2:] = np.maximum(D[:, 2:], D[:, :2])
        gts.append((G, gi))
        dets.append(D)
        tot += _ref_image(G.tolist(), gi.tolist(), D.tolist())
    r = deteval_icdar2013(gts, dets)
    assert r.num_gt == tot[2] and r.num_det == tot[3]
    assert r.recall == pytest.approx(tot[0] / tot[2]) and r.precision == pytest.approx(tot[1] / tot[3])
    kinds = {m.kind for im in r.per_image for m in im.matches}
    assert kinds == {"one-to-one", "one-to-many", "many-to-one"}
