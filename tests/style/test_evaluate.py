"""Selectivity, legibility and style-difference measures of textvision.style.evaluate, on hand-worked cases."""
import numpy as np
import pytest

from textvision.data.instances import TextInstance
from textvision.style.evaluate import (
    PhotoChange,
    change_outside_inside,
    craft_score_kept,
    photo_change,
    style_pair_difference,
    word_masks,
)


def test_change_outside_inside():
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = (30, 0, 0)  # inside: |d| = 10 per pixel averaged over channels
    b[1, 1] = (3, 3, 3)  # outside
    mask = np.array([[1, 0], [0, 0]], np.uint8)
    assert change_outside_inside(a, b, mask) == pytest.approx((1.0, 10.0))
    with pytest.raises(ValueError, match="shapes differ"):
        change_outside_inside(a, b, np.zeros((3, 3), np.uint8))


def _strip_words():
    """A 5x40 strip: a legible word over columns 0..2, a don't-care one over columns 30..31 (full height)."""
    return [TextInstance([(0, 0), (2, 0), (2, 4), (0, 4)], "ab"),
            TextInstance([(30, 0), (31, 0), (31, 4), (30, 4)], "###", ignore=True)]


def test_word_masks_hand_worked():
    m = word_masks(_strip_words(), (5, 40), far=5)
    assert m.words.shape == (1, 5, 40) and m.words.dtype == bool
    cols = np.zeros(40, bool)
    cols[0:3] = True
    assert np.array_equal(m.text, np.tile(cols, (5, 1)))  # the don't-care word is not text
    # Far = more than 5 px from both words: x - 2 > 5 and 30 - x > 5 (columns 8..24), and x - 31 > 5 (37..39).
    far_cols = np.zeros(40, bool)
    far_cols[8:25] = True
    far_cols[37:40] = True
    assert np.array_equal(m.far, np.tile(far_cols, (5, 1))) and m.far_px == 5
    # Half resolution: the quads and the far distance shrink with the masks.
    big = [TextInstance(i.quad * 2, i.text, i.ignore) for i in _strip_words()]
    half = word_masks(big, (5, 40), far=10, scale=0.5)
    assert half.far_px == 5 and half.words.shape == (1, 5, 40)
    assert half.text[:, :2].all() and not half.text[:, 4:].any()
    # No quad at all: everything is far, nothing is text.
    none = word_masks([], (3, 4))
    assert none.far.all() and not none.text.any() and none.words.shape == (0, 3, 4)


def test_word_masks_exceptions():
    with pytest.raises(TypeError, match="list of TextInstance"):
        word_masks(np.zeros((1, 4, 2)), (5, 40))
    with pytest.raises(TypeError, match=r"instances\[0\]"):
        word_masks([np.zeros((4, 2))], (5, 40))
    with pytest.raises(ValueError, match="far"):
        word_masks([], (5, 40), far=-1)
    with pytest.raises(ValueError, match="shape_hw"):
        word_masks([], (0, 40))
    outside = TextInstance([(100, 100), (110, 100), (110, 110), (100, 110)], "x")
    with pytest.raises(ValueError, match="no pixel inside the 5x40"):
        word_masks([outside], (5, 40))


def test_photo_change_far_and_text():
    m = word_masks(_strip_words(), (5, 40), far=5)
    a = np.zeros((5, 40, 3), np.uint8)
    b = a.copy()
    b[:, 0:3] = (30, 0, 0)  # the word: 10 per pixel
    b[:, 10] = (6, 6, 6)  # one far column of the 100 far pixels: 30 / 100
    b[:, 4] = 50  # near the word, neither far nor text: not counted
    b[:, 30] = 90  # the don't-care word: not counted either
    got = photo_change(a, b, m)
    assert isinstance(got, PhotoChange) and got == pytest.approx((0.3, 10.0))


def test_style_pair_difference():
    a = np.zeros((1, 2, 3), np.uint8)
    b, c = a.copy(), a.copy()
    b[0, 0] = (30, 0, 0)
    c[0, 0] = (3, 3, 3)
    c[0, 1] = 200  # outside the mask
    mask = np.array([[1, 0]], np.uint8)
    # Pairs (a, b), (a, c), (b, c): 30/3, 9/3, (27 + 3 + 3)/3.
    np.testing.assert_allclose(style_pair_difference([a, b, c], mask), [10.0, 3.0, 11.0])
    with pytest.raises(ValueError, match="at least two"):
        style_pair_difference([a], mask)


def test_craft_score_kept():
    before = np.array([[0.5, 0.5, 0.02, 0.0]], np.float32)
    after = np.array([[0.3, 0.4, 0.9, 0.1]], np.float32)
    words = np.zeros((3, 1, 4), bool)
    words[0, 0, :2] = True  # 0.35 / 0.5
    words[1, 0, 2] = True  # CRAFT did not see it on the input: NaN
    np.testing.assert_allclose(craft_score_kept(before, after, words), [0.7, np.nan, np.nan], rtol=1e-6)
    assert craft_score_kept(before, after, words[:2], min_score=0.01)[1] == pytest.approx(45.0)
    with pytest.raises(ValueError, match=r"words must be \[K, 1, 4\]"):
        craft_score_kept(before, after, words[0])
    with pytest.raises(TypeError, match="uint8"):
        craft_score_kept((before * 255).astype(np.uint8), after, words)
    with pytest.raises(ValueError, match="region_after has size"):
        craft_score_kept(before, after[:, :3], words)
