"""ICDAR 2015 end-to-end scoring and the recall of read proposals, on hand-worked cases."""
import numpy as np
import pytest

from textvision.data import TextInstance
from textvision.eval import icdar2015, icdar2015_end_to_end, transcription_match
from textvision.eval.end_to_end import end_to_end_rate, first_read_rank
from textvision.eval.scores import Match


def _q(x1, y1, x2, y2):
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def _gt():
    return [TextInstance(_q(0, 0, 100, 20), "HELLO"),             # care
            TextInstance(_q(200, 0, 260, 20), "###", ignore=True),  # don't care
            TextInstance(_q(0, 50, 80, 70), "World")]               # care


def test_hand_worked_image():
    det = ([_q(2, 0, 100, 20), _q(205, 0, 260, 20), _q(0, 50, 78, 70), _q(300, 300, 340, 320)],
           ["hello", "xyz", "Word", "foo"])
    # det 0 reads GT 0 (case-free); det 1 lies on the don't-care word (dropped); det 2 matches GT 2 by IoU
    # but reads it wrong; det 3 matches nothing. Care: 2 GT, 3 detections; 1 correct.
    r = icdar2015_end_to_end([_gt()], [det])
    assert (r.gt_matched, r.located, r.num_gt, r.num_det) == (1, 2, 2, 3)
    assert r.precision == pytest.approx(1 / 3) and r.recall == pytest.approx(1 / 2)
    assert r.hmean == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert r.per_image[0].matches == (Match("one-to-one", (0,), (0,), True), Match("one-to-one", (2,), (2,), False))
    # the detection protocol on the same quads: 2 of 2 found, 2 of 3 care detections right
    loc = icdar2015([_gt()], [np.stack(det[0])])
    assert (loc.recall, loc.precision) == (1.0, pytest.approx(2 / 3))


def test_iou_must_exceed_half():
    gt = [TextInstance(_q(0, 0, 10, 10), "AB")]
    assert icdar2015_end_to_end([gt], [([_q(0, 0, 10, 5)], ["AB"])]).gt_matched == 0   # IoU 0.5 exactly
    assert icdar2015_end_to_end([gt], [([_q(0, 0, 10, 6)], ["AB"])]).gt_matched == 1   # IoU 0.6


def test_first_match_uses_up_the_word():
    # Two detections on one word: the first (index order) takes it, so its wrong reading costs the word,
    # and the second, read right, is an unmatched detection (the official script's greedy matching).
    gt = [TextInstance(_q(0, 0, 100, 20), "EXIT")]
    r = icdar2015_end_to_end([gt], [([_q(0, 0, 100, 20), _q(1, 0, 100, 20)], ["EX1T", "EXIT"])])
    assert (r.gt_matched, r.num_det, r.recall, r.precision) == (0, 2, 0.0, 0.0)


def test_transcription_rules():
    assert transcription_match("Hello", "HELLO")
    assert not transcription_match("Hello", "HELLO", case_sensitive=True)
    assert not transcription_match("HELLO!", "hello")
    assert transcription_match("HELLO!", "hello", edge_punctuation=True)
    assert transcription_match("(A1)", "a1", edge_punctuation=True)
    assert transcription_match("'TIS", "tis", edge_punctuation=True)
    assert not transcription_match("HEL-LO", "hello", edge_punctuation=True)
    assert not transcription_match("", "x", edge_punctuation=True)


def test_words_objects_and_empty_images():
    from textvision.spotting import Word

    words = [Word(_q(0, 0, 100, 20), "HELLO", 0.9, 0.8)]
    r = icdar2015_end_to_end([_gt(), []], [words, []])
    assert r.gt_matched == 1 and r.num_gt == 2 and r.num_det == 1
    assert r.per_image[1].recall == 1.0 and r.per_image[1].precision == 1.0
    assert icdar2015_end_to_end([[]], [[]]).recall == 0.0  # nothing to find at all


def test_files_and_mappings_agree(tmp_path):
    gt_dir, res_dir = tmp_path / "gt", tmp_path / "res"
    gt_dir.mkdir()
    res_dir.mkdir()
    (gt_dir / "gt_img_1.txt").write_text("\ufeff0,0,100,0,100,20,0,20,HELLO\n200,0,260,0,260,20,200,20,###\n"
                                         "0,50,80,50,80,70,0,70,World\n", encoding="utf-8")
    (res_dir / "res_img_1.txt").write_text("2,0,100,0,100,20,2,20,hello\n0,50,78,50,78,70,0,70,Word\n")
    r = icdar2015_end_to_end(gt_dir, res_dir)
    mem = icdar2015_end_to_end({"img_1": _gt()}, {"img_1": ([_q(2, 0, 100, 20), _q(0, 50, 78, 70)],
                                                            ["hello", "Word"])})
    assert r.per_image[0].image == "img_1"
    assert (r.precision, r.recall, r.gt_matched) == (mem.precision, mem.recall, mem.gt_matched) \
        == (0.5, 0.5, 1)


def test_bad_input():
    with pytest.raises(ValueError, match="2 images but det has 1"):
        icdar2015_end_to_end([_gt(), _gt()], [[]])
    with pytest.raises(TypeError, match="TextInstance"):
        icdar2015_end_to_end([[_q(0, 0, 1, 1)]], [[]])
    with pytest.raises(TypeError, match=r"\.quad and \.text"):
        icdar2015_end_to_end([_gt()], [[_q(0, 0, 1, 1)]])
    with pytest.raises(ValueError, match="1 quads but 2 texts"):
        icdar2015_end_to_end([_gt()], [([_q(0, 0, 1, 1)], ["a", "b"])])
    with pytest.raises(ValueError, match="without ground truth"):
        icdar2015_end_to_end({"img_1": _gt()}, {"img_2": []})


def test_first_read_rank_and_rates():
    gt = _gt()
    boxes = np.array([[300, 300, 340, 320],   # 0: nothing
                      [0, 0, 100, 20],        # 1: on HELLO, read wrong
                      [2, 0, 100, 20],        # 2: on HELLO, read right
                      [0, 50, 80, 70],        # 3: on World, read right
                      [200, 0, 260, 20]],     # 4: on the don't-care word
                     np.float32)
    texts = ["foo", "HELL0", "hello", "WORLD", "###"]
    ranks = first_read_rank(boxes, texts, gt)
    assert ranks.tolist() == [2, -1, 3]
    rates = end_to_end_rate([ranks], [gt], ks=(1, 3, 4, None))
    assert (rates.ks, rates.recall, rates.num_gt) == ((1, 3, 4, None), (0.0, 0.5, 1.0, 1.0), 2)
    # covering is IoU >= 0.5 of boxes (as detection_rate): a half-covering box counts
    half = first_read_rank(np.array([[0, 0, 50, 20]]), ["HELLO"], gt)
    assert half.tolist() == [0, -1, -1]
    assert first_read_rank(np.zeros((0, 4)), [], gt).tolist() == [-1, -1, -1]
    assert np.isnan(end_to_end_rate([np.zeros(0)], [[]]).at(None))
    with pytest.raises(ValueError, match="2 boxes but 1 texts"):
        first_read_rank(boxes[:2], ["a"], gt)
