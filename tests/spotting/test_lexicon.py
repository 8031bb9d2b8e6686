"""Edit distance (hand-worked) and the lexicon's vectorised closest-word search against it."""
import numpy as np
import pytest

from textvision.spotting import Lexicon, edit_distance


@pytest.mark.parametrize("a, b, d", [
    ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0),
    ("ab", "ba", 2), ("Hello", "hello", 1), ("exit", "exlt", 1),
])
def test_edit_distance_hand_worked(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def test_lexicon_distances_match_the_reference():
    rng = np.random.default_rng(1)
    words = ["".join(rng.choice(list("abcd"), size=int(rng.integers(1, 7)))) for _ in range(60)]
    lex = Lexicon(words, max_distance=10)
    for _ in range(40):
        q = "".join(rng.choice(list("abcde"), size=int(rng.integers(0, 8))))
        m = lex.match(q)
        best = min(edit_distance(q, w) for w in lex.words)
        assert m.distance == best
        assert m.word == next(w for w in lex.words if edit_distance(q, w) == best)  # ties: first listed


def test_match_bound_and_case():
    lex = Lexicon(["EXIT", "Parking", "Station"], max_distance=2)
    assert lex.match("exlt").word == "EXIT" and lex.match("exlt").distance == 1
    assert lex.match("PARKlNG").word == "Parking"
    m = lex.match("bakery")
    assert m.word is None and m.distance == -1
    assert Lexicon(["EXIT"], max_distance=0).match("exit").word == "EXIT"
    assert Lexicon(["EXIT"], max_distance=0, case_sensitive=True).match("exit").word is None
    assert lex.match("").word is None  # 4 edits to the nearest word


def test_words_cleaned_and_errors():
    lex = Lexicon(["a", " a ", "", "b"])
    assert lex.words == ("a", "b") and len(lex) == 2
    with pytest.raises(ValueError, match="no word"):
        Lexicon(["", " "])
    with pytest.raises(TypeError, match="not one string"):
        Lexicon("word")
    with pytest.raises(TypeError, match="strings"):
        Lexicon(["a", 3])
    with pytest.raises(ValueError, match="max_distance"):
        Lexicon(["a"], max_distance=-1)
