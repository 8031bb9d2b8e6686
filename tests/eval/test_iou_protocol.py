"""ICDAR 2015 protocol: hand-worked cases, official file layout, and an independent implementation."""
import zipfile

import numpy as np
import pytest

from textvision.data import TextInstance, box_to_quad, write_icdar2015
from textvision.eval import icdar2015, polygon_iou_matrix


def Q(x1, y1, x2, y2):
    return box_to_quad((x1, y1, x2, y2))


def quads(*boxes):
    return np.array([Q(*b) for b in boxes], np.float32).reshape(-1, 4, 2)


def test_perfect_match():
    gt = [[TextInstance(Q(0, 0, 10, 10), "a"), TextInstance(Q(20, 0, 40, 10), "b")]]
    r = icdar2015(gt, [quads((0, 0, 10, 10), (20, 0, 40, 10))])
    assert (r.precision, r.recall, r.hmean) == (1.0, 1.0, 1.0)


def test_shift_below_and_above_threshold():
    gt = [[TextInstance(Q(0, 0, 10, 10))]]
    # [5,0,15,10]: intersection 50, union 150 -> IoU 1/3: no match
    r = icdar2015(gt, [quads((5, 0, 15, 10))])
    assert (r.precision, r.recall, r.hmean) == (0.0, 0.0, 0.0)
    # [2,0,12,10]: intersection 80, union 120 -> IoU 2/3: match
    r = icdar2015(gt, [quads((2, 0, 12, 10))])
    assert (r.precision, r.recall) == (1.0, 1.0)


def test_split_word_is_not_matched():
    # GT 100x10; two halves each have IoU exactly 0.5, and a match needs IoU > 0.5.
    r = icdar2015([[TextInstance(Q(0, 0, 100, 10))]], [quads((0, 0, 50, 10), (50, 0, 100, 10))])
    assert (r.precision, r.recall, r.num_det) == (0.0, 0.0, 2)


def test_merged_words_are_not_matched():
    # Two 40x10 words in one 100x10 detection: IoU 400/1000 = 0.4 each.
    gt = [[TextInstance(Q(0, 0, 40, 10)), TextInstance(Q(60, 0, 100, 10))]]
    r = icdar2015(gt, [quads((0, 0, 100, 10))])
    assert (r.precision, r.recall) == (0.0, 0.0)


def test_dont_care_handling():
    gt = [[TextInstance(Q(0, 0, 10, 10), "a"), TextInstance(Q(100, 100, 140, 120), "###", ignore=True)]]
    det = [quads((0, 0, 10, 10),         # matches the care word
                 (100, 100, 130, 120),   # wholly on the don't care: dropped
                 (90, 100, 130, 120),    # 600 of 800 px (0.75) on it: dropped
                 (60, 100, 110, 120))]   # 200 of 1000 px (0.2) on it: a false positive
    r = icdar2015(gt, det)
    assert r.per_image[0].det_dont_care == (1, 2)
    assert (r.gt_matched, r.num_gt, r.num_det) == (1, 1, 2)
    assert r.recall == 1.0 and r.precision == 0.5
    assert r.hmean == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    # the same ground truth given as (quads, ignore) pairs
    pair = (np.stack([Q(0, 0, 10, 10), Q(100, 100, 140, 120)]), np.array([False, True]))
    assert icdar2015([pair], det).precision == 0.5


def test_pooling_over_images_with_empty_ones():
    gt = [[TextInstance(Q(0, 0, 10, 10)), TextInstance(Q(20, 0, 30, 10))], [], [TextInstance(Q(0, 0, 5, 5))]]
    det = [quads((0, 0, 10, 10), (50, 50, 60, 60)), quads(), quads()]
    r = icdar2015(gt, det)
    # matched 1, care GT 3, care detections 2
    assert r.recall == pytest.approx(1 / 3) and r.precision == 0.5
    assert r.hmean == pytest.approx(2 * (1 / 6) / (5 / 6))
    assert r.per_image[1].precision == 1.0 and r.per_image[1].recall == 1.0
    r = icdar2015(gt, [quads(), quads(), quads()])
    assert (r.precision, r.recall, r.hmean) == (0.0, 0.0, 0.0)


def test_rotated_polygons_exact_area():
    diamond = np.array([[5, 0], [10, 5], [5, 10], [0, 5]], np.float32)  # area 50
    # the diamond inside its 10x10 box: IoU exactly 0.5 -> not a match
    assert polygon_iou_matrix(diamond[None], Q(0, 0, 10, 10)[None])[0, 0] == pytest.approx(0.5)
    r = icdar2015([[TextInstance(diamond)]], [Q(0, 0, 10, 10)[None]])
    assert r.recall == 0.0
    # counter-clockwise detection of the same diamond is re-ordered and matches
    r = icdar2015([[TextInstance(diamond)]], [diamond[[0, 3, 2, 1]][None]])
    assert r.recall == 1.0


def test_official_file_layout_folders_and_zip(tmp_path):
    gt_dir, res_dir = tmp_path / "gt", tmp_path / "res"
    # Hand-written as in the ICDAR 2015 test set: BOM, CRLF, a don't care, a transcription with a comma.
    (gt_dir).mkdir()
    (gt_dir / "gt_img_1.txt").write_bytes(
        "\ufeff0,0,10,0,10,10,0,10,Hi, there\r\n100,100,140,100,140,120,100,120,###\r\n".encode())
    (gt_dir / "gt_img_2.txt").write_bytes("\ufeff20,0,30,0,30,10,20,10,word\r\n".encode())
    (gt_dir / "gt_img_10.txt").write_bytes(b"")
    write_icdar2015(res_dir / "res_img_1.txt", quads((0, 0, 10, 10), (100, 100, 130, 120)), with_text=False)
    write_icdar2015(res_dir / "res_img_10.txt", quads((0, 0, 5, 5)), integer=True, with_text=False)
    # no res_img_2.txt: that image has no detections
    r = icdar2015(gt_dir, res_dir)
    assert [p.image for p in r.per_image] == ["img_1", "img_2", "img_10"]
    assert (r.gt_matched, r.num_gt, r.num_det) == (1, 2, 2)
    for name, folder in (("gt.zip", gt_dir), ("submit.zip", res_dir)):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for p in folder.iterdir():
                zf.write(p, p.name)
    rz = icdar2015(tmp_path / "gt.zip", tmp_path / "submit.zip")
    assert (rz.precision, rz.recall) == (r.precision, r.recall)
    with pytest.raises(ValueError, match="without ground truth"):
        write_icdar2015(res_dir / "res_img_99.txt", quads((0, 0, 1, 1)))
        icdar2015(gt_dir, res_dir)


def test_input_errors():
    with pytest.raises(ValueError, match="images"):
        icdar2015([[]], [quads(), quads()])
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        icdar2015([[]], [np.zeros((2, 3))])
    with pytest.raises(FileNotFoundError):
        icdar2015("/nonexistent/gt", "/nonexistent/res")


# ---------------------------------------------------------------------------------------------
# Independent straightforward implementation: Sutherland-Hodgman clipping of convex quads + the
# official double loop, written without shapely.
def _area(poly):
    if len(poly) < 3:
        return 0.0
    x, y = np.asarray(poly, float).T
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _clip(subject, clipper):
    out = [tuple(p) for p in subject]
    n = len(clipper)
    for i in range(n):
        a, b = clipper[i], clipper[(i + 1) % n]
        inp, out = out, []
        if not inp:
            break

        def inside(p):  # clockwise in y-down coordinates: inside is on the right -> cross >= 0
            return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

        def cut(p, q):
            dx1, dy1 = q[0] - p[0], q[1] - p[1]
            dx2, dy2 = b[0] - a[0], b[1] - a[1]
            t = ((a[0] - p[0]) * dy2 - (a[1] - p[1]) * dx2) / (dx1 * dy2 - dy1 * dx2)
            return (p[0] + t * dx1, p[1] + t * dy1)

        for j in range(len(inp)):
            p, q = inp[j - 1], inp[j]
            if inside(q):
                if not inside(p):
                    out.append(cut(p, q))
                out.append(q)
            elif inside(p):
                out.append(cut(p, q))
    return out


def _reference(gts, dets):
    matched = n_gt = n_det = 0
    for (gq, gi), dq in zip(gts, dets):
        dc = []
        for d in range(len(dq)):
            for g in range(len(gq)):
                if gi[g]:
                    inter = _area(_clip(dq[d], gq[g]))
                    if _area(dq[d]) > 0 and inter / _area(dq[d]) > 0.5:
                        dc.append(d)
                        break
        gm, dm = [0] * len(gq), [0] * len(dq)
        for g in range(len(gq)):
            for d in range(len(dq)):
                if gm[g] == 0 and dm[d] == 0 and not gi[g] and d not in dc:
                    inter = _area(_clip(dq[d], gq[g]))
                    union = _area(gq[g]) + _area(dq[d]) - inter
                    if inter / union > 0.5:
                        gm[g] = dm[d] = 1
                        matched += 1
        n_gt += len(gq) - sum(gi)
        n_det += len(dq) - len(dc)
    return matched, n_gt, n_det


def _convex_cw(q):
    e = np.roll(q, -1, axis=0) - q
    cross = e[:, 0] * np.roll(e, -1, axis=0)[:, 1] - e[:, 1] * np.roll(e, -1, axis=0)[:, 0]
    return bool(np.all(cross > 0))


def _rot_rect(rng, cx, cy):
    w, h, t = rng.uniform(10, 80), rng.uniform(5, 30), rng.uniform(-0.6, 0.6)
    c, s = np.cos(t), np.sin(t)
    base = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return (base @ np.array([[c, s], [-s, c]]) + [cx, cy]).astype(np.float32)


def test_agrees_with_independent_implementation():
    rng = np.random.default_rng(1)
    gts, dets = [], []
    for _ in range(40):
        n = int(rng.integers(0, 8))
        gq = [_rot_rect(rng, *rng.uniform(0, 200, 2)) for _ in range(n)]
        gi = [bool(rng.random() < 0.2) for _ in range(n)]
        dq = [q + rng.normal(0, rng.uniform(0.5, 8), (4, 2)).astype(np.float32) * [1, 0.5] for q in gq
              if rng.random() < 0.8]
        dq = [q for q in dq if _convex_cw(q)]
        dq += [_rot_rect(rng, *rng.uniform(0, 200, 2)) for _ in range(int(rng.integers(0, 4)))]
        gts.append((np.array(gq, np.float32).reshape(-1, 4, 2), np.array(gi, bool)))
        dets.append(np.array(dq, np.float32).reshape(-1, 4, 2))
    matched, n_gt, n_det = _reference(gts, dets)
    r = icdar2015(gts, dets)
    assert (r.gt_matched, r.num_gt, r.num_det) == (matched, n_gt, n_det)
    assert 0 < matched < n_gt  # the random case is not trivial
