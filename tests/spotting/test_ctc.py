"""CTC greedy decoding against hand-worked cases and a plain-Python reference."""
import numpy as np
import pytest

from textvision.spotting import ctc_greedy_decode

CHARSET = "ab"  # classes: 0 blank, 1 'a', 2 'b'


def _onehot(path, p=1.0):
    """[T, 3] probabilities putting ``p`` on the class of each step (the rest spread evenly)."""
    out = np.full((len(path), 3), (1.0 - p) / 2, np.float32)
    out[np.arange(len(path)), path] = p
    return out


def _reference(probs, charset, blank=0):
    """Plain-Python best path: argmax per step, merge runs, drop blanks; EasyOCR's confidence."""
    text, last, won = "", None, []
    for row in probs:
        k = int(np.argmax(row))
        if k != blank:
            won.append(float(row[k]))
            if k != last:
                text += charset[k - 1]
        last = k
    conf = float(np.prod(won) ** (2.0 / np.sqrt(len(won)))) if won else 0.0
    return text, conf


@pytest.mark.parametrize("path, text", [
    ([1, 1, 1], "a"),            # a run is one character
    ([1, 0, 1], "aa"),           # a blank separates two equal characters
    ([1, 2, 1], "aba"),
    ([0, 1, 1, 0, 0, 2, 2], "ab"),
    ([0, 0, 0], ""),             # only blanks
    ([2, 0, 0, 2, 2, 1], "bba"),
])
def test_repeats_and_blanks(path, text):
    out = ctc_greedy_decode(_onehot(path, 0.9), CHARSET)
    assert out.texts == (text,)
    assert out.confidences.dtype == np.float32 and out.confidences.shape == (1,)
    if not text:
        assert out.confidences[0] == 0.0


def test_confidence_hand_worked():
    probs = np.array([[0.05, 0.9, 0.05],     # a 0.9
                      [0.1, 0.8, 0.1],       # a 0.8 (same run: still counted)
                      [0.7, 0.2, 0.1],       # blank
                      [0.3, 0.2, 0.5]], np.float32)  # b 0.5
    out = ctc_greedy_decode(probs, CHARSET)
    assert out.texts == ("ab",)
    assert out.confidences[0] == pytest.approx((0.9 * 0.8 * 0.5) ** (2 / np.sqrt(3)), rel=1e-6)


def test_empty_sequences():
    assert ctc_greedy_decode(np.zeros((2, 0, 3), np.float32), CHARSET).texts == ("", "")
    out = ctc_greedy_decode(np.zeros((0, 5, 3), np.float32), CHARSET)
    assert out.texts == () and out.confidences.shape == (0,)


def test_lengths_ignore_padding():
    probs = np.stack([_onehot([1, 0, 2, 2]), _onehot([2, 1, 1, 1])])
    out = ctc_greedy_decode(probs, CHARSET, lengths=[2, 1])
    assert out.texts == ("a", "b")
    assert ctc_greedy_decode(probs, CHARSET, lengths=[0, 4]).texts == ("", "ba")


def test_other_blank_index():
    # blank last: class 0 -> 'a', 1 -> 'b', 2 blank
    out = ctc_greedy_decode(_onehot([0, 2, 0, 1, 1]), CHARSET, blank=2)
    assert out.texts == ("aab",)


def test_matches_reference_on_random_probabilities():
    rng = np.random.default_rng(0)
    charset = "xyz!"
    for _ in range(50):
        t = int(rng.integers(0, 12))
        logits = rng.normal(size=(3, t, 5)) * 3
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        out = ctc_greedy_decode(probs, charset)
        for i in range(3):
            text, conf = _reference(probs[i], charset)
            assert out.texts[i] == text
            assert out.confidences[i] == pytest.approx(conf, rel=1e-5, abs=1e-30)


def test_bad_input():
    with pytest.raises(ValueError, match="3 classes but a charset of 4"):
        ctc_greedy_decode(np.zeros((1, 2, 3)), "abcd")
    with pytest.raises(ValueError, match=r"\[B, T, C\]"):
        ctc_greedy_decode(np.zeros((1, 1, 2, 3)), CHARSET)
    with pytest.raises(TypeError, match="dtype"):
        ctc_greedy_decode(np.array([["a", "b", "c"]]), CHARSET)
    with pytest.raises(ValueError, match="lengths"):
        ctc_greedy_decode(np.zeros((2, 4, 3)), CHARSET, lengths=[1, 5])
    with pytest.raises(ValueError, match="lengths"):
        ctc_greedy_decode(np.zeros((2, 4, 3)), CHARSET, lengths=[1])
    with pytest.raises(ValueError, match="blank"):
        ctc_greedy_decode(np.zeros((2, 4, 3)), CHARSET, blank=3)
