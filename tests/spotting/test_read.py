"""textvision.read: words from the detector or from ranked proposals; duplicate merging; bad input."""
import cv2
import numpy as np
import pytest

import textvision
from textvision import weights as registry
from textvision.spotting import Word, boxes_to_quads, merge_words, read


@pytest.fixture(scope="module")
def model():
    entry = registry.REGISTRY["english_g2"]
    if registry.entry_path(entry) is None:
        pytest.skip(f"english_g2 weights not installed (package {entry.package!r}): {entry.pip}")
    from textvision.spotting import as_recognizer

    return as_recognizer("default")


def _scene():
    img = np.full((120, 420, 3), (225, 230, 235), np.uint8)
    cv2.putText(img, "Hello", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (30, 20, 20), 4, cv2.LINE_AA)
    cv2.putText(img, "Exit42", (225, 65), cv2.FONT_HERSHEY_DUPLEX, 1.3, (20, 20, 90), 2, cv2.LINE_AA)
    return img


def test_image_without_text_gives_no_words(model):
    blank = np.full((160, 224, 3), 128, np.uint8)
    assert read(blank, model) == []
    assert read(blank, model, proposals=np.array([[10, 10, 100, 50], [0, 0, 224, 160]], np.float32)) == []


def test_proposals_are_read_and_duplicates_merged(model):
    img = _scene()
    boxes = np.array([[0, 0, 4, 4],            # too small to read anything
                      [12, 27, 198, 98],       # Hello
                      [215, 25, 400, 80],      # Exit42
                      [10, 25, 200, 100],      # Hello again: merged into the more confident one
                      [214, 24, 402, 82]], np.float32)  # Exit42 again
    words = read(img, model, proposals=boxes)
    assert [w.text for w in words] == ["Hello", "Exit42"]  # reading order: one line, left to right
    assert all(isinstance(w, Word) and w.quad.shape == (4, 2) and w.quad.dtype == np.float32 for w in words)
    assert all(0 < w.detection_confidence <= 1 and 0.5 <= w.recognition_confidence <= 1 for w in words)
    # only the best proposal: one word, its detection confidence 1 (rank 0 of 1)
    (one,) = read(img, model, proposals=boxes[1:], top=1)
    assert one.text == "Hello" and one.detection_confidence == 1.0
    # a box over both words reads them with a space between: left out (their own boxes read them)
    line = read(img, model, proposals=np.array([[10, 20, 405, 100]], np.float32), min_confidence=0.0)
    assert line == []
    # a proposals object works the same way; a lexicon corrects the reads
    props = textvision.proposals.Proposals(boxes, np.arange(5, 0, -1, dtype=np.float32))
    assert [w.text for w in read(img, model, proposals=props, lexicon=["HELL0"])] == ["HELL0", "Exit42"]


def test_merge_words_hand_worked():
    quads = boxes_to_quads(np.array([[0, 0, 100, 20],     # 0 "exit" 0.6
                                     [5, 0, 100, 20],     # 1 "EXIT" 0.9: same word, IoU 0.95 -> keeps 1
                                     [60, 0, 160, 20],    # 2 "exit" 0.5: same word, IoU with 1 = 0.29 > 0.25
                                     [0, 0, 90, 20],      # 3 "exi" 0.7: IoU with 1 = 0.89 > 0.5 -> dropped
                                     [300, 0, 400, 20]],  # 4 "far" 0.1: alone
                                    np.float32))
    keep = merge_words(quads, ["exit", "EXIT", "exit", "exi", "far"], [0.6, 0.9, 0.5, 0.7, 0.1])
    assert keep.tolist() == [1, 4]
    assert merge_words(quads, ["a", "b", "c", "d", "e"], [0.6, 0.9, 0.5, 0.7, 0.1], merge_iou=1.0).tolist() \
        == [1, 3, 0, 2, 4]
    assert merge_words(np.zeros((0, 4, 2)), [], []).tolist() == []


def test_merge_words_drops_pieces_of_words():
    quads = boxes_to_quads(np.array([[0, 0, 100, 20],     # 0 "Hello" 0.8
                                     [0, 0, 20, 20],      # 1 "H" 0.99: inside a longer word -> dropped
                                     [40, 0, 80, 20],     # 2 "ll" 0.7: inside -> dropped
                                     [90, 0, 130, 20],    # 3 "ow" 0.9: a quarter inside -> kept
                                     [0, 30, 20, 50]],    # 4 "A" 0.9: alone
                                    np.float32))
    texts = ["Hello", "H", "ll", "ow", "A"]
    conf = [0.8, 0.99, 0.7, 0.9, 0.9]
    assert merge_words(quads, texts, conf).tolist() == [3, 4, 0]
    assert merge_words(quads, texts, conf, contain=1.0).tolist() == [1, 3, 4, 0, 2]


def test_word_to_dict():
    w = Word(boxes_to_quads(np.array([[1.234, 2, 30, 40]]))[0], "Hi", 0.123456, 1.0)
    assert w.to_dict() == {"quad": [[1.23, 2.0], [30.0, 2.0], [30.0, 40.0], [1.23, 40.0]], "text": "Hi",
                           "detection_confidence": 0.1235, "recognition_confidence": 1.0}


def test_bad_input():
    img = _scene()
    with pytest.raises(TypeError, match="read: image must be uint8, uint16 or float32/float64 .* got dtype int32"):
        read(img.astype(np.int32))
    with pytest.raises(ValueError, match=r"read: float image must hold finite values in \[0, 1\]"):
        read(img.astype(np.float32))  # 0..255 floats: the contract wants [0, 1]
    with pytest.raises(ValueError, match=r"read: image must be HxWx3"):
        read(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ValueError, match=r"read: proposals must have shape \[N, 4\]"):
        read(img, proposals=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="min_confidence"):
        read(img, proposals=np.zeros((0, 4)), min_confidence=1.5)
    with pytest.raises(ValueError, match="top"):
        read(img, proposals=np.zeros((0, 4)), top=0)
    with pytest.raises(ValueError, match="contain"):
        merge_words(np.zeros((1, 4, 2)), ["a"], [1.0], contain=-0.1)
    with pytest.raises(ValueError, match="merge_iou"):
        merge_words(np.zeros((1, 4, 2)), ["a"], [1.0], merge_iou=2)
    with pytest.raises(ValueError, match="differ"):
        merge_words(np.zeros((1, 4, 2)), ["a", "b"], [1.0])
