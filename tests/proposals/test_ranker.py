"""Ranker: boosted stumps (training, storage) and the OpenCV ml::Boost XML reader vs OpenCV itself."""
import cv2
import numpy as np
import pytest

from textvision.proposals import FEATURE_NAMES, Ranker


def _data(rng, n=600):
    x = rng.random((n, 18)).astype(np.float32)
    y = (x[:, 3] + 0.5 * x[:, 7] > 0.8).astype(np.int32)
    return x, y


def test_predictions_equal_a_numpy_sum_of_stumps(rng):
    r = Ranker(feature=[0, 5, 5, 17], threshold=[0.2, 0.5, 0.7, 0.1], left=[1, -2, 0.5, 0], right=[-1, 3, 0, 2])
    x = rng.random((50, 18)).astype(np.float32)
    x[0, 5] = np.nan  # NaN goes right
    ref = sum(np.where(x[:, f] <= t, a, b) for f, t, a, b in zip(r.feature, r.threshold, r.left, r.right))
    np.testing.assert_allclose(r.decision_function(x), ref, rtol=1e-6)
    np.testing.assert_allclose(r.predict_proba(x), 1 / (1 + np.exp(-2 * ref)), rtol=1e-5)


def test_fit_learns_a_separable_rule_and_round_trips(rng, tmp_path):
    x, y = _data(rng)
    r = Ranker.fit(x, y, num_stumps=40)
    acc = ((r.decision_function(x) > 0) == y.astype(bool)).mean()
    assert acc > 0.9
    assert set(r.feature.tolist()) <= {3, 7} | set(range(18)) and {3, 7} & set(r.feature.tolist())
    path = tmp_path / "r.json"
    r.save(path)
    r2 = Ranker.load(path)
    np.testing.assert_array_equal(r2.decision_function(x), r.decision_function(x))
    assert len(FEATURE_NAMES) == 18


@pytest.mark.parametrize("boost_type", [cv2.ml.BOOST_GENTLE, cv2.ml.BOOST_REAL, cv2.ml.BOOST_DISCRETE])
def test_opencv_xml_stumps_rank_like_opencv(rng, tmp_path, boost_type):
    x, y = _data(rng)
    # Integer-valued NFA columns, as in the original's features, so truncation changes nothing here.
    x[:, 1:3] = np.floor(x[:, 1:3] * 10)
    x[:, 3] = np.where(x[:, 1] == 0, -1, x[:, 2] / np.where(x[:, 1] == 0, 1, x[:, 1]))
    b = cv2.ml.Boost_create()
    b.setBoostType(boost_type)
    b.setMaxDepth(1)
    b.setWeakCount(15)
    b.setUseSurrogates(False)
    b.train(x, cv2.ml.ROW_SAMPLE, y)
    path = tmp_path / "boost.xml"
    b.save(str(path))
    r = Ranker.load(path)
    assert r.integer_nfa and 1 <= len(r) <= 15
    _, ref = b.predict(x, flags=cv2.ml.STAT_MODEL_RAW_OUTPUT | cv2.ml.DTREES_PREDICT_SUM)
    np.testing.assert_allclose(r.decision_function(x), ref[:, 0], rtol=1e-5, atol=1e-5)


def test_opencv_xml_rejects_deeper_trees(rng, tmp_path):
    x, y = _data(rng)
    b = cv2.ml.Boost_create()
    b.setMaxDepth(2)
    b.setWeakCount(3)
    b.train(x, cv2.ml.ROW_SAMPLE, y)
    b.save(str(tmp_path / "deep.xml"))
    with pytest.raises(ValueError, match="not a stump"):
        Ranker.load(tmp_path / "deep.xml")


def test_bad_files_and_inputs(tmp_path, rng):
    with pytest.raises(FileNotFoundError):
        Ranker.load(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="format"):
        Ranker.load(tmp_path / "x.json")
    (tmp_path / "x.xml").write_text("<opencv_storage><a>1</a></opencv_storage>")
    with pytest.raises(ValueError, match="Boost"):
        Ranker.load(tmp_path / "x.xml")
    r = Ranker([0], [0.5], [1], [-1])
    with pytest.raises(ValueError, match=r"\[n, 18\]"):
        r.decision_function(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="both"):
        Ranker.fit(rng.random((10, 18)), np.ones(10))
