"""Proposal detection rate: hand-worked cases and a brute-force reference."""
import numpy as np
import pytest

from textvision.data import TextInstance, box_to_quad
from textvision.eval import RecallAtK, detection_rate, first_hit_rank


def test_hand_worked_ranks():
    gt = np.array([[0, 0, 10, 10], [100, 100, 120, 110]], float)
    props = np.array([
        [50, 50, 60, 60],      # rank 0: nothing
        [0, 0, 10, 20],        # rank 1: IoU 0.5 with word 0 -> a hit (>= 0.5)
        [100, 100, 120, 110],  # rank 2: word 1
        [0, 0, 10, 10],        # rank 3: word 0 again (already found)
    ], float)
    np.testing.assert_array_equal(first_hit_rank(props, gt), [1, 2])
    assert detection_rate(props, gt, ks=(1, 2, 3, None)) == RecallAtK((1, 2, 3, None), (0.0, 0.5, 1.0, 1.0), 2)
    assert detection_rate(props, gt, ks=(3,), iou=0.51).recall == (0.5,)  # word 0 only at rank 3 now
    rates = detection_rate(props, gt, ks=(2, None))
    assert rates.at(2) == 0.5 and rates.as_dict() == {"2": 0.5, "None": 1.0}
    with pytest.raises(KeyError, match="no cut-off 5"):
        rates.at(5)


def test_ignore_and_instances_and_pooling():
    gt = [TextInstance(box_to_quad((0, 0, 10, 10))), TextInstance(box_to_quad((30, 0, 40, 10)), "###", True)]
    props = np.array([[30, 0, 40, 10]], float)
    assert detection_rate(props, gt, ks=(None,)) == RecallAtK((None,), (0.0,), 1)  # the only hit is on a don't care
    props2 = [np.array([[0, 0, 10, 10]], float), np.zeros((0, 4))]
    gts2 = [np.array([[0, 0, 10, 10]], float), np.array([[5, 5, 9, 9], [1, 1, 2, 2]], float)]
    pooled = detection_rate(props2, gts2, ks=(None,))
    assert pooled.at(None) == pytest.approx(1 / 3) and pooled.num_gt == 3
    assert detection_rate(props2, gts2, ks=(None,), ignore=[[False], [True, True]]).at(None) == 1.0
    none = detection_rate(props, np.zeros((0, 4)), ks=(None,))
    assert np.isnan(none.at(None)) and none.num_gt == 0 and none.as_dict() == {"None": None}


def test_matches_brute_force_on_many_proposals():
    rng = np.random.default_rng(0)
    P = 40000
    xy = rng.uniform(0, 500, (P, 2))
    props = np.hstack([xy, xy + rng.uniform(4, 120, (P, 2))])
    gt = props[rng.integers(0, P, 50)] + rng.normal(0, 4, (50, 4))
    gt[:, 2:] = np.maximum(gt[:, 2:], gt[:, :2] + 1)
    ranks = first_hit_rank(props, gt)
    # brute force with explicit IoU division
    iw = np.clip(np.minimum(props[:, None, 2], gt[None, :, 2]) - np.maximum(props[:, None, 0], gt[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(props[:, None, 3], gt[None, :, 3]) - np.maximum(props[:, None, 1], gt[None, :, 1]), 0, None)
    inter = iw * ih
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iou = inter / (area(props)[:, None] + area(gt)[None, :] - inter)
    hit = iou >= 0.5
    ref = np.where(hit.any(0), hit.argmax(0), -1)
    np.testing.assert_array_equal(ranks, ref)
    rates = detection_rate(props, gt)
    for k in (10, 100, 1000):
        assert rates.at(k) == pytest.approx(np.mean((ref >= 0) & (ref < k)))
    assert rates.at(None) == pytest.approx(np.mean(ref >= 0))


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        detection_rate(np.zeros((3, 5)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="length"):
        detection_rate([np.zeros((1, 4))], [np.zeros((1, 4)), np.zeros((1, 4))])
