"""Lexicons: snap a read string to the closest word of a list, when it is close enough (edit distance)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple

import numpy as np

__all__ = ["Lexicon", "LexiconMatch", "edit_distance"]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest single-character insertions, deletions and substitutions
    turning ``a`` into ``b`` (case-sensitive; lower-case both first for a case-free distance)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class LexiconMatch:
    """The lexicon's answer for one string.

    Attributes:
        word: the closest lexicon word as written in the lexicon, or None when none lies within the bound.
        distance: its edit distance to the (case-folded) query; -1 when ``word`` is None.
    """

    word: Optional[str]
    distance: int


class Lexicon:
    """A word list that corrects recognised strings to its closest entry.

    Matching ignores case (both sides are case-folded) unless ``case_sensitive``. The closest word wins;
    ties go to the word listed first. A match further than ``max_distance`` edits is refused (the read
    string is kept), so a lexicon cannot turn every piece of clutter into a word.

    Args:
        words: the entries (empty strings and duplicates are dropped; order kept).
        max_distance: the largest edit distance accepted (int >= 0).
        case_sensitive: compare strings as they are.

    Raises:
        ValueError: no word, or a negative ``max_distance``. TypeError: a non-string entry.
    """

    def __init__(self, words: Iterable[str], *, max_distance: int = 2, case_sensitive: bool = False):
        if isinstance(words, str):
            raise TypeError("Lexicon: words must be an iterable of strings, not one string")
        if isinstance(max_distance, bool) or not isinstance(max_distance, (int, np.integer)) or max_distance < 0:
            raise ValueError(f"Lexicon: max_distance must be an integer >= 0, got {max_distance!r}")
        seen: Dict[str, None] = {}
        for w in words:
            if not isinstance(w, str):
                raise TypeError(f"Lexicon: entries must be strings, got {type(w).__name__}")
            w = w.strip()
            if w:
                seen.setdefault(w, None)
        if not seen:
            raise ValueError("Lexicon: no word given")
        self.words: Tuple[str, ...] = tuple(seen)
        self.max_distance = int(max_distance)
        self.case_sensitive = bool(case_sensitive)
        # Words grouped by length, as code-point arrays: one vectorised dynamic programme per length.
        groups: Dict[int, list] = {}
        for i, w in enumerate(self.words):
            groups.setdefault(len(w), []).append(i)
        self._groups = {n: (np.array(idx, np.int64),
                            np.array([[ord(ch) for ch in self._fold(self.words[i])] for i in idx], np.int64))
                        for n, idx in groups.items()}

    def __len__(self) -> int:
        return len(self.words)

    def _fold(self, s: str) -> str:
        return s if self.case_sensitive else s.casefold()

    def match(self, text: str) -> LexiconMatch:
        """The closest word to ``text`` within ``max_distance`` edits (see the class docstring)."""
        q = np.array([ord(ch) for ch in self._fold(str(text))], np.int64)
        best_d, best_i = self.max_distance + 1, -1
        for n, (idx, codes) in self._groups.items():
            if abs(n - len(q)) > min(self.max_distance, best_d):
                continue  # a length gap of k needs at least k edits
            d = _distances(q, codes)
            j = int(np.argmin(d))  # the first of the smallest: a group keeps lexicon order
            dj, ij = int(d[j]), int(idx[j])
            if dj < best_d or (dj == best_d and ij < best_i):
                best_d, best_i = dj, ij
        if best_i < 0 or best_d > self.max_distance:
            return LexiconMatch(None, -1)
        return LexiconMatch(self.words[best_i], best_d)


def _distances(q: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Edit distances int64 [N] from the query code points ``q`` [L] to N words of one length ([N, M] codes)."""
    n, m = codes.shape
    prev = np.broadcast_to(np.arange(m + 1, dtype=np.int64), (n, m + 1)).copy()
    for i, ch in enumerate(q, start=1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        sub = prev[:, :-1] + (codes != ch)
        dele = prev[:, 1:] + 1
        best = np.minimum(sub, dele)
        for j in range(1, m + 1):  # the insertion term runs along the row
            cur[:, j] = np.minimum(best[:, j - 1], cur[:, j - 1] + 1)
        prev = cur
    return prev[:, m]
