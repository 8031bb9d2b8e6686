"""The evaluators at their exact thresholds and in their matching order, against the official scripts' rules.

Every case puts a value exactly on a threshold (a don't-care fraction of 0.5 or 0.4, an IoU of 0.5, an area
recall of 0.8, an area precision of 0.4; all exact in floating point here) or makes the greedy order
decide the count, and says which line of the official Robust Reading script it follows:

- ICDAR 2015 Challenge 4, ``script.py`` (``evaluate_method``; ``IOU_CONSTRAINT`` 0.5,
  ``AREA_PRECISION_CONSTRAINT`` 0.5),
- ICDAR 2013 Challenge 2 DetEval, ``script.py`` (``AREA_RECALL_CONSTRAINT`` 0.8,
  ``AREA_PRECISION_CONSTRAINT`` 0.4, inclusive pixel rectangles).
"""
import numpy as np
import pytest

from textvision.data import TextInstance, box_to_quad
from textvision.eval import deteval_icdar2013, icdar2015
from textvision.eval.scores import Match


def Q(x1, y1, x2, y2):
    return box_to_quad((x1, y1, x2, y2))


def quads(*boxes):
    return np.array([Q(*b) for b in boxes], np.float32).reshape(-1, 4, 2)


def B(*boxes):
    return np.array(boxes, np.float64).reshape(-1, 4)


# ---------------------------------------------------------------------------------------------------- 2015


def test_icdar2015_dont_care_at_exactly_half_is_kept():
    """A detection with exactly half its area on a don't-care word stays a care detection.

    Official rule: ``precision = intersected_area / pdDimensions``; ``if (precision >
    evaluationParams['AREA_PRECISION_CONSTRAINT']): detDontCarePolsNum.append(...)`` -- strictly more
    than 0.5 drops it, exactly 0.5 does not.
    """
    gt = [[TextInstance(Q(0, 0, 10, 10), "a"), TextInstance(Q(100, 100, 140, 120), "###", ignore=True)]]
    # 20x20 = 400 px, of which [130, 140] x [100, 120] = 200 px (exactly 0.5) lie on the don't care
    half = icdar2015(gt, [quads((0, 0, 10, 10), (130, 100, 150, 120))])
    assert half.per_image[0].det_dont_care == ()
    assert (half.gt_matched, half.num_det, half.precision) == (1, 2, 0.5)
    # one pixel column further onto it: 220 / 400 > 0.5, dropped (neither TP nor FP)
    more = icdar2015(gt, [quads((0, 0, 10, 10), (129, 100, 149, 120))])
    assert more.per_image[0].det_dont_care == (1,)
    assert (more.gt_matched, more.num_det, more.precision) == (1, 1, 1.0)
    # the threshold is the parameter's: at 0.4 the half-on detection is dropped too
    assert icdar2015(gt, [quads((0, 0, 10, 10), (130, 100, 150, 120))],
                     dont_care_threshold=0.4).per_image[0].det_dont_care == (1,)


def test_icdar2015_iou_of_exactly_half_is_no_match():
    """IoU exactly 0.5 does not match; just above does.

    Official rule: ``if iouMat[gtNum,detNum] > evaluationParams['IOU_CONSTRAINT']`` (strict).
    """
    gt = [[TextInstance(Q(0, 0, 10, 10))]]
    r = icdar2015(gt, [quads((0, 0, 5, 10))])  # inside the word, half its area: 50 / 100
    assert (r.gt_matched, r.recall, r.precision) == (0, 0.0, 0.0)
    r = icdar2015(gt, [quads((0, 0, 5.5, 10))])  # 55 / 100
    assert (r.gt_matched, r.recall, r.precision) == (1, 1.0, 1.0)
    # a larger detection around the word: 100 / 200 = 0.5 exactly, no match either
    assert icdar2015(gt, [quads((0, 0, 20, 10))]).gt_matched == 0


def test_icdar2015_takes_the_first_free_detection_not_the_best():
    """Each care word, in index order, takes the first free detection (in index order) above the IoU
    threshold, even when a later one overlaps it better; a later word may then go unmatched.

    Official rule: ``for gtNum in range(len(gtPols)): for detNum in range(len(detPols)): if
    gtRectMat[gtNum] == 0 and detRectMat[detNum] == 0 and ...: if iouMat[gtNum,detNum] > ...: match``
    -- greedy in (gt, det) index order, no best-IoU choice and no optimal assignment.

    Words 0 and 1 are 10x10 at x = 0 and x = 4; detection 0 at x = 2 overlaps both (IoU 8/12 each),
    detection 1 at x = 0 is word 0 exactly (IoU 1) and misses word 1 (IoU 6/14). The script gives word 0
    detection 0 and leaves word 1 without one: 1 match. Best-IoU matching would find 2.
    """
    gt = [[TextInstance(Q(0, 0, 10, 10)), TextInstance(Q(4, 0, 14, 10))]]
    det = [quads((2, 0, 12, 10), (0, 0, 10, 10))]
    r = icdar2015(gt, det)
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,)),)
    assert (r.gt_matched, r.recall, r.precision) == (1, 0.5, 0.5)
    # the same boxes with the detections swapped: word 0 now takes its exact match first, word 1 the other
    r = icdar2015(gt, [det[0][::-1]])
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,)), Match("one-to-one", (1,), (1,))) and r.gt_matched == 2


def test_icdar2015_dont_care_detection_cannot_match_and_care_order_skips_ignored_words():
    """A detection dropped on a don't care is not offered to later care words; don't-care words take no
    detection (``gtNum not in gtDontCarePolsNum and detNum not in detDontCarePolsNum``)."""
    gt = [[TextInstance(Q(0, 0, 10, 10), "###", ignore=True), TextInstance(Q(0, 0, 10, 10), "a")]]
    # the one detection covers both (identical boxes): it lies wholly on the don't care, so it is dropped
    r = icdar2015(gt, [quads((0, 0, 10, 10))])
    assert r.per_image[0].det_dont_care == (0,)
    assert (r.gt_matched, r.num_gt, r.num_det) == (0, 1, 0)


# ---------------------------------------------------------------------------------------------------- 2013


def test_deteval_dont_care_at_exactly_the_area_precision_is_kept():
    """Exactly 0.4 of a detection's area on a don't care keeps it as a care detection (a false positive).

    Official rule: ``precision = intersected_area / rdDimensions``; ``if (precision >
    evaluationParams['AREA_PRECISION_CONSTRAINT']): detDontCareRectsNum.append(...)`` (strict, 0.4).
    """
    gt = [(B((0, 0, 9, 9), (100, 100, 139, 119)), np.array([False, True]))]
    # 25x20 = 500 px (inclusive), of which columns 130..139 (200 px, exactly 0.4) lie on the don't care
    r = deteval_icdar2013(gt, [B((0, 0, 9, 9), (130, 100, 154, 119))])
    assert r.per_image[0].det_dont_care == ()
    assert (r.num_det, r.precision) == (2, 0.5)
    # one column further onto it: 220 / 500 > 0.4, dropped
    r = deteval_icdar2013(gt, [B((0, 0, 9, 9), (129, 100, 153, 119))])
    assert r.per_image[0].det_dont_care == (1,)
    assert (r.num_det, r.precision) == (1, 1.0)


def test_deteval_area_recall_and_precision_are_inclusive():
    """One-to-one matches need area recall >= 0.8 and area precision >= 0.4: exactly on either counts.

    Official rule (``one_to_one_match``): ``recallMat[row,col] >= AREA_RECALL_CONSTRAINT and
    precisionMat[row,col] >= AREA_PRECISION_CONSTRAINT``; rectangles are inclusive,
    ``(xmax - xmin + 1) * (ymax - ymin + 1)``.
    """
    # a 100x10 word and a detection of its first 80 columns: area recall 800 / 1000 = 0.8 exactly
    r = deteval_icdar2013([(B((0, 0, 99, 9)), np.zeros(1, bool))], [B((0, 0, 79, 9))])
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,)),) and r.recall == 1.0
    # one column less: 790 / 1000 < 0.8, no match (a single overlap each way: no split or merge either)
    r = deteval_icdar2013([(B((0, 0, 99, 9)), np.zeros(1, bool))], [B((0, 0, 78, 9))])
    assert r.per_image[0].matches == () and r.recall == 0.0
    # a 40x10 word in a 100x10 detection: area precision 400 / 1000 = 0.4 exactly
    r = deteval_icdar2013([(B((0, 0, 39, 9)), np.zeros(1, bool))], [B((0, 0, 99, 9))])
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,)),) and r.precision == 1.0
    # one column wider: 400 / 1010 < 0.4, no match
    r = deteval_icdar2013([(B((0, 0, 39, 9)), np.zeros(1, bool))], [B((0, 0, 100, 9))])
    assert r.per_image[0].matches == () and r.precision == 0.0


def test_deteval_split_sum_is_rounded_to_four_decimals_and_inclusive():
    """A word split over detections matches when the summed area recall, rounded to 4 decimals, reaches 0.8.

    Official rule (``one_to_many_match``): ``if round(many_sum,4) >= AREA_RECALL_CONSTRAINT`` over the free
    detections with ``precisionMat[gtNum,detNum] >= AREA_PRECISION_CONSTRAINT``, and
    ``num_overlaps_gt(gtNum) >= 2``.
    """
    gt = [(B((0, 0, 99, 9)), np.zeros(1, bool))]
    # two halves covering 40 + 40 columns: area recall 0.4 + 0.4 = 0.8 exactly -> a split (weight 0.8)
    r = deteval_icdar2013(gt, [B((0, 0, 39, 9), (60, 0, 99, 9))])
    assert r.per_image[0].matches == (Match("one-to-many", (0,), (0, 1)),)
    assert r.recall == pytest.approx(0.8) and r.precision == pytest.approx(0.8)
    # 40 + 39 columns: 0.79, no match
    r = deteval_icdar2013(gt, [B((0, 0, 39, 9), (61, 0, 99, 9))])
    assert r.per_image[0].matches == () and r.recall == 0.0
    # a one-pixel-high word of 100000 px split into 2 x 39998 px: 0.79996, which rounds to 0.8 -> a split
    line = [(B((0, 0, 99999, 0)), np.zeros(1, bool))]
    r = deteval_icdar2013(line, [B((0, 0, 39997, 0), (60000, 0, 99997, 0))])
    assert r.per_image[0].matches == (Match("one-to-many", (0,), (0, 1)),)
    # 2 x 39997 px: 0.79994 rounds to 0.7999, no match
    r = deteval_icdar2013(line, [B((0, 0, 39996, 0), (60000, 0, 99996, 0))])
    assert r.per_image[0].matches == ()


def test_deteval_one_to_one_comes_first_in_index_order():
    """The one-to-one pass runs over (gt, det) in index order before the split and merge passes, and a
    detection it used is not offered to a later split (``detRectMat[detNum] == 0``)."""
    # word 0 is matched one-to-one by detection 0; word 1 (far away) is split over detections 1 and 2
    gt = [(B((0, 0, 49, 9), (200, 0, 299, 9)), np.zeros(2, bool))]
    r = deteval_icdar2013(gt, [B((0, 0, 49, 9), (200, 0, 249, 9), (250, 0, 299, 9))])
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,)), Match("one-to-many", (1,), (1, 2)))
    assert r.recall == pytest.approx((1 + 0.8) / 2) and r.precision == pytest.approx((1 + 1.6) / 3)
