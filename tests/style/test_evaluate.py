"""Selectivity, legibility and style-difference measures of textvision.style.evaluate, on hand-worked cases."""
import numpy as np
import pytest

from textvision.data.instances import TextInstance
from textvision.style.evaluate import (
    MaskChange,
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
    change = change_outside_inside(a, b, mask)
    assert type(change) is MaskChange and change == pytest.approx((1.0, 10.0))
    assert (change.outside, change.inside) == pytest.approx((1.0, 10.0))
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


def test_same_word_icdar_comparison():
    from textvision.style.evaluate import same_word

    assert same_word("EXIT", "Exit!")
    assert same_word("co-op", "COOP")
    assert not same_word("EXlT", "EXIT")
    assert not same_word("", "")  # an empty transcription never matches
    assert not same_word("", "EXIT")


def test_legibility_counts_only_words_read_on_the_input():
    from textvision.style.evaluate import legibility

    truths = ["Exit", "Hotel", "Bus", "12"]
    before = ["EXIT", "H0tel", "bus", "12"]  # "Hotel" misread on the input: not counted
    after = ["exit", "Hotel", "", "1Z"]
    got = legibility(before, after, truths)
    assert (got.words, got.read_on_input, got.still_read) == (4, 3, 1)
    assert got.fraction == pytest.approx(1 / 3)
    assert np.isnan(legibility(["x"], ["x"], ["y"]).fraction)
    with pytest.raises(ValueError, match="length"):
        legibility(["a"], ["a", "b"], ["a"])


def _word_photo():
    """A hand-made photo: two large dark words on a light background and their ICDAR quads."""
    import cv2

    from textvision.data.instances import TextInstance

    img = np.full((120, 420, 3), 235, np.uint8)
    words = []
    for text, (x, y) in (("HOTEL", (20, 70)), ("PARKING", (200, 70))):
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.3, 3)
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (20, 30, 40), 3, cv2.LINE_AA)
        quad = np.array([[x - 4, y - h - 6], [x + w + 4, y - h - 6], [x + w + 4, y + base + 2],
                         [x - 4, y + base + 2]], np.float64)
        words.append(TextInstance(quad=quad, text=text, ignore=False))
    words.append(TextInstance(quad=np.array([[5, 5], [15, 5], [15, 12], [5, 12]], np.float64), text="###",
                              ignore=True))
    return img, words


def test_read_kept_identical_and_blanked(has_recognizer):
    import cv2

    from textvision.style.evaluate import read_kept

    img, words = _word_photo()
    blank = img.copy()
    for w in words[:2]:
        x0, y0 = w.quad.min(axis=0).astype(int)
        x1, y1 = w.quad.max(axis=0).astype(int)
        blank[y0:y1 + 1, x0:x1 + 1] = 235
    same, gone = read_kept(img, [img.copy(), blank], words)
    assert same.words == 2 and same.read_on_input == 2  # the recogniser reads both rendered words
    assert same.fraction == 1.0
    assert (gone.read_on_input, gone.still_read, gone.fraction) == (2, 0, 0.0)
    assert read_kept(img, [blank], words) == [gone]  # one output at a time: the same
    # Images at half the quads' resolution: quads map like word_masks' (scale=0.5).
    half = [cv2.resize(im, (210, 60), interpolation=cv2.INTER_AREA) for im in (img, blank)]
    kept_half, gone_half = read_kept(half[0], [half[0], half[1]], words, scale=0.5)
    assert (kept_half.read_on_input, kept_half.still_read, gone_half.still_read) == (2, 2, 0)
    with pytest.raises(ValueError, match="differ in size"):
        read_kept(img, [blank[:50]], words)
    with pytest.raises(ValueError, match="scale"):
        read_kept(img, [blank], words, scale=0)


def test_most_distinct_hand_worked():
    from textvision.style.evaluate import most_distinct

    # Styles 0 and 3 differ most (20); then 1 (mean difference to {0, 3}: (12 + 14) / 2 = 13) beats
    # 2 ((2 + 18) / 2 = 10).
    pair = np.array([[0, 12, 2, 20],
                     [12, 0, 5, 14],
                     [2, 5, 0, 18],
                     [20, 14, 18, 0]], float)
    assert most_distinct(pair, 2) == [0, 3]
    assert most_distinct(pair, 3) == [0, 3, 1]
    assert most_distinct(pair, 3, candidates=[1, 2, 3]) == [2, 3, 1]
    with pytest.raises(ValueError, match="symmetric"):
        most_distinct(np.triu(pair), 2)
    with pytest.raises(ValueError, match="k must"):
        most_distinct(pair, 5)
    with pytest.raises(ValueError, match="candidates"):
        most_distinct(pair, 2, candidates=[0, 7])


def test_choose_styles_tool(tmp_path, make_net, capsys):
    """tools/choose_styles.py: legible candidates only, most different first, the subset model written."""
    import importlib.util
    import json
    import os

    from textvision.models.style import style_net
    from textvision.style import save_style_model

    net = make_net(3)
    names = net.style_names
    model = save_style_model(net, tmp_path / "t.pt")
    pair = [[0, 5, 20], [5, 0, 9], [20, 9, 0]]
    rows = [{"method": "two-stage (default, thr 0.6)", "style_pair_matrix": pair,
             "read_kept_per_style": {names[0]: 0.9, names[1]: 0.8, names[2]: 0.3}}]
    res = tmp_path / "e.json"
    res.write_text(json.dumps({"styles": names, "rows": rows}))
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "choose_styles.py")
    spec = importlib.util.spec_from_file_location("choose_styles", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(res), model, str(tmp_path / "all.pt"), "--k", "2"]) == 0
    assert style_net(weights=tmp_path / "all.pt").style_names == [names[0], names[2]]
    assert mod.main([str(res), model, str(tmp_path / "legible.pt"), "--k", "2", "--min-read", "0.5"]) == 0
    assert style_net(weights=tmp_path / "legible.pt").style_names == [names[0], names[1]]
    assert "chosen 5.0" in capsys.readouterr().out
