"""Ranker: boosted stumps (training, storage) and the OpenCV ml::Boost XML reader vs OpenCV itself."""
import json

import cv2
import numpy as np
import pytest

from textvision.proposals import FEATURE_NAMES, Ranker, TextProposals
from textvision.weights import resolve


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


def test_stump_sums_are_exact_over_many_rows(rng):
    # The core evaluates stumps over blocks of rows; every row must still be the float64 sum of its
    # stumps in order (bit for bit), including the last, partial block and NaN features.
    t = 37
    r = Ranker(feature=rng.integers(0, 18, t).tolist(), threshold=rng.normal(size=t).tolist(),
               left=rng.normal(size=t).tolist(), right=rng.normal(size=t).tolist())
    x = rng.normal(size=(1001, 18)).astype(np.float32)
    x[rng.random(x.shape) < 0.01] = np.nan
    ref = np.zeros(len(x))
    for f, th, a, b in zip(r.feature, r.threshold, r.left, r.right):
        ref += np.where(x[:, f] <= th, np.float64(a), np.float64(b))
    np.testing.assert_array_equal(r.decision_function(x), ref.astype(np.float32))


def test_core_refuses_stump_features_outside_the_matrix(rng):
    from textvision._ext import core

    with pytest.raises(ValueError, match="outside the 4 columns"):
        core().proposals_stumps_predict(np.zeros((3, 4), np.float32), np.array([4], np.int32),
                                        np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32))


def test_fit_learns_a_separable_rule_and_round_trips(rng, tmp_path):
    x, y = _data(rng)
    r = Ranker.fit(x, y, num_stumps=40)
    acc = ((r.decision_function(x) > 0) == y.astype(bool)).mean()
    assert acc > 0.9
    # The label depends on columns 3 and 7 only: the first stumps must pick them.
    assert set(r.feature[:4].tolist()) == {3, 7}
    assert r.text_sign == 1
    np.testing.assert_allclose(r.predict_proba(x), 1 / (1 + np.exp(-2 * r.decision_function(x).astype(np.float64))),
                               rtol=1e-6)
    path = tmp_path / "r.json"
    r.save(path)
    r2 = Ranker.load(path)
    np.testing.assert_array_equal(r2.decision_function(x), r.decision_function(x))
    np.testing.assert_array_equal(r2.predict_proba(x), r.predict_proba(x))
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


# ----------------------------------------------------------------------------- the original's XML
# A hand-made stump model in the layout OpenCV 3/4 writes and the original TextProposals ships
# (`trained_boost_groups.xml`: class_labels 1 2, text groups labelled 1). OpenCV's raw PREDICT_SUM
# output F is positive for the second label (non-text), so the original scores a group
# 1 - 1/(1 + exp(-2F)): text ranks first when F is most negative.
_STUMPS = [  # (var, threshold, value when x <= threshold, value otherwise)
    (4, 0.5, -1.5, 1.0),     # volume_ratio
    (13, 0.25, 0.75, -0.5),  # diameter_cv
    (0, 3.0, 0.25, -0.25),   # members
    (1, 2.0, 0.5, -0.5),     # nfa_centres: the original truncates it to an integer first
]


def _original_xml(path, class_labels="1 2"):
    trees = "".join(f"""
    <_>
      <nodes>
        <_><depth>0</depth><value>0.</value>
          <splits><_><var>{v}</var><quality>1.</quality><le>{c}</le></_></splits></_>
        <_><depth>1</depth><value>{a}</value></_>
        <_><depth>1</depth><value>{b}</value></_></nodes></_>""" for v, c, a, b in _STUMPS)
    path.write_text(f"""<?xml version="1.0"?>
<opencv_storage>
<opencv_ml_boost>
  <format>3</format>
  <is_classifier>1</is_classifier>
  <var_all>19</var_all>
  <var_count>18</var_count>
  <ord_var_count>18</ord_var_count>
  <cat_var_count>1</cat_var_count>
  <training_params>
    <boosting_type>GentleAdaboost</boosting_type>
    <use_surrogates>0</use_surrogates>
    <max_depth>1</max_depth></training_params>
  <global_var_idx>1</global_var_idx>
  <var_idx>
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17</var_idx>
  <var_type>
    0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1</var_type>
  <cat_ofs>
    0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0</cat_ofs>
  <class_labels>
    {class_labels}</class_labels>
  <missing_subst>
    0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0. 0.</missing_subst>
  <ntrees>{len(_STUMPS)}</ntrees>
  <trees>{trees}</trees></opencv_ml_boost>
</opencv_storage>
""")
    return path


def _groups():
    """Rows hand-placed around the thresholds; F worked out by hand in the comments."""
    x = np.zeros((7, 18), np.float32)
    #           volume  diam_cv members nfa_centres     F
    rows = [(0.2, 0.1, 5, 3.7),   # -1.5 + 0.75 - 0.25 - 0.5 = -1.5   text-like
            (0.5, 0.25, 3, 2.9),  # ties at every threshold go left, 2.9 -> 2: -1.5+0.75+0.25+0.5 = 0.0
            (0.9, 0.3, 3, 1.0),   # 1.0 - 0.5 + 0.25 + 0.5 = 1.25    non-text
            (0.2, 0.3, 2, 2.5),   # -1.5 - 0.5 + 0.25 + 0.5 = -1.25 (2.5 -> 2)
            (0.9, 0.1, 10, 0.0),  # 1.0 + 0.75 - 0.25 + 0.5 = 2.0   least text-like
            (0.4, 0.2, 4, 3.0),   # -1.5 + 0.75 - 0.25 - 0.5 = -1.5  same F as row 0: a tie
            (0.9, 0.3, 3, 1.0)]   # = row 2
    for i, (vol, dcv, mem, nfa) in enumerate(rows):
        x[i, [4, 13, 0, 1]] = vol, dcv, mem, nfa
        x[i, 2] = nfa  # nfa_box; nfa_ratio (column 3) is recomputed from the truncated columns
    f = np.array([-1.5, 0.0, 1.25, -1.25, 2.0, -1.5, 1.25])
    return x, f


def test_original_xml_scores_groups_as_the_original(tmp_path):
    path = _original_xml(tmp_path / "trained_boost_groups.xml")
    x, f_hand = _groups()
    r = Ranker.load(path)
    assert r.integer_nfa and r.text_sign == -1 and len(r) == len(_STUMPS)
    # The raw sum is OpenCV's own PREDICT_SUM output (on the truncated NFA columns the original feeds it).
    b = cv2.ml.Boost_load(str(path))
    _, ref = b.predict(r.prepare(x), flags=cv2.ml.STAT_MODEL_RAW_OUTPUT | cv2.ml.DTREES_PREDICT_SUM)
    np.testing.assert_allclose(ref[:, 0], f_hand, atol=1e-6)
    np.testing.assert_allclose(r.decision_function(x), f_hand, atol=1e-6)
    # OpenCV's own class decision: F < 0 is the first label, 1 = text.
    _, cls = b.predict(r.prepare(x))
    np.testing.assert_array_equal(cls[:, 0], np.where(f_hand > 0, 2, 1))
    # The original's group probability, and the ranking it gives: text-like groups first.
    p = r.predict_proba(x)
    np.testing.assert_allclose(p, 1 - 1 / (1 + np.exp(-2 * f_hand)), rtol=1e-6)
    assert p[0] > 0.5 > p[2]
    np.testing.assert_array_equal(np.argsort(-p, kind="stable"), [0, 5, 3, 1, 2, 6, 4])
    # Ties in F stay ties (a score is a function of F alone), whatever the features behind them.
    assert p[0] == p[5] and p[2] == p[6]


def test_original_xml_keeps_the_order_of_confident_groups():
    """|F| of boosted sums reaches tens; 1 - p in float32 would round all non-text groups to a tie at 0."""
    x = np.zeros((1, 18), np.float32)
    f = np.array([6.0, 9.0, 12.0, 30.0])
    p = [Ranker([4], [0.5], [v], [v], text_sign=-1).predict_proba(x)[0] for v in f]
    assert np.all(np.diff(p) < 0) and p[-1] > 0
    np.testing.assert_allclose(p, 1 / (1 + np.exp(2 * f)), rtol=1e-6)


def test_original_xml_through_text_proposals_ranks_text_first(tmp_path):
    path = _original_xml(tmp_path / "trained_boost_groups.xml")
    x, f_hand = _groups()
    boxes = np.tile(np.float32([[0, 0, 10, 10]]), (len(x), 1))
    scores = TextProposals(ranker=path).score(x, boxes)
    assert np.argmax(scores) in (0, 5) and np.argmin(scores) == 4


def test_text_sign_from_class_labels_and_json_round_trip(tmp_path):
    x, f_hand = _groups()
    # A model trained with text labelled 1 as the *second* label votes text with F > 0.
    r = Ranker.load(_original_xml(tmp_path / "b.xml", class_labels="0 1"))
    assert r.text_sign == 1
    np.testing.assert_allclose(r.predict_proba(x), 1 / (1 + np.exp(-2 * f_hand)), rtol=1e-6)
    with pytest.raises(ValueError, match="class labels"):
        Ranker.load(_original_xml(tmp_path / "c.xml", class_labels="3 4"))
    # The sign survives the JSON format.
    orig = Ranker.load(_original_xml(tmp_path / "o.xml"))
    orig.save(tmp_path / "o.json")
    back = Ranker.load(tmp_path / "o.json")
    assert back.text_sign == -1 and back.integer_nfa
    np.testing.assert_array_equal(back.predict_proba(x), orig.predict_proba(x))
    with pytest.raises(ValueError, match="text_sign"):
        Ranker([0], [0.5], [1], [-1], text_sign=0)


def test_project_json_ranker_keeps_its_convention(tmp_path, rng):
    """JSON files without `text_sign` (the shipped default, older saves) score 1/(1 + exp(-2F))."""
    data = json.loads(resolve("default", "ranker").read_text())
    assert "text_sign" not in data or data["text_sign"] == 1
    r = Ranker.load("default")
    assert r is not None and r.text_sign == 1
    x = rng.random((40, 18)).astype(np.float32) * 4
    f = r.decision_function(x).astype(np.float64)
    np.testing.assert_allclose(r.predict_proba(x), 1 / (1 + np.exp(-2 * f)), rtol=1e-5)
    data.pop("text_sign", None)
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert Ranker.load(tmp_path / "old.json").text_sign == 1
