"""The speller: a word the knowledge base does not contain -> the closest spelling it does.

Candidates are looked up through a letter-pair index of the knowledge base's spellings (its
own words and the lexicon's variants of its terms), not of its entries, and measured with an
edit distance that charges the slips residents make (a missing tone mark, two swapped
letters, a letter that sounds like the right one) less than a different letter.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import chain

from pythainlp.corpus import thai_words
from rapidfuzz.distance import OSA

from kb.thai import THAI_LETTER

# Tone marks, mai taikhu, thanthakhat, mai han-akat: easy to miss or misplace when typing.
_DIACRITICS = re.compile("[\u0e31\u0e47-\u0e4c]")

# Letters that sound alike, as residents confuse them when they spell by ear: the same
# initial sound (ส ศ ษ ซ, ท ธ ฒ ฑ, น ณ, พ ภ ผ...) or the same final sound (-k: ก ข ค;
# -t: ด ต จ ส ท...; -n: น ณ ร ล; -p: บ พ ภ), so ข่าวสาน (ข่าวสาร), อาชีบ (อาชีพ), กสน (กศน)
# and บูรนาการ (บูรณาการ) are each one slip, charged half a letter.
_HOMOPHONES = "กขฃคฅฆ จฉชฌ ซศษสดฎตฏถฐทธฒฑ นณรลฬ บปพภผ ฝฟ ยญ หฮ ไใ".split()
_FOLD = str.maketrans({c: g[0] for g in _HOMOPHONES for c in g[1:]})


def skeleton(word: str) -> str:
    """The word without its tone marks and similar diacritics."""
    return _DIACRITICS.sub("", word)


def typo_distance(word: str, known: str, budget: int) -> float:
    """Edit distance as typing slips make it: two swapped letters (เบีนย for เบียน) are one
    slip, and a missing or wrong tone mark or thanthakhat, or a letter swapped for one that
    sounds the same, counts half a letter.

    Plain edit distance on the raw strings: rapidfuzz's default_process would strip vowels.
    """
    a, b = skeleton(word), skeleton(known)
    sound = OSA.distance(a.translate(_FOLD), b.translate(_FOLD), score_cutoff=budget)
    if sound > budget:
        return sound
    letters = sound + 0.5 * (OSA.distance(a, b) - sound)
    marks = OSA.distance(_DIACRITICS.findall(word), _DIACRITICS.findall(known))
    return letters + 0.5 * min(marks, 2)


def _bigrams(word: str) -> list[str]:
    """The letter pairs of a word as it sounds (letters that sound alike folded), so that a
    misspelling by ear still shares pairs with the word meant (กสน, กศน)."""
    word = word.translate(_FOLD)
    # In order, not a set: candidate ties must break the same way in every process.
    return list(dict.fromkeys(word[i : i + 2] for i in range(len(word) - 1))) or [word]


class Speller:
    """Corrections to the knowledge base's spellings; `surfaces` maps each spelling a word
    may be corrected to onto the term it stands for."""

    def __init__(self, surfaces: Mapping[str, str]) -> None:
        self._surface = surfaces
        self._dictionary = frozenset(thai_words())
        self._skeletons: dict[str, str] = {}  # skeleton -> a surface spelling with it
        by_bigram: dict[str, set[str]] = defaultdict(set)
        for word in surfaces:
            # Keyed by bigram and word length: a correction is never more than three letters
            # longer or shorter, so a lookup counts only words it could accept.
            size = chr(len(word))
            for bg in _bigrams(word):
                by_bigram[bg + size].add(word)
            if THAI_LETTER.match(word):
                self._skeletons.setdefault(skeleton(word), word)
        # Tuples, not sets: far less memory, and they are only ever read whole.
        # Sorted, so that ties between candidates break the same way in every process.
        self._bigram_surface = {bg: tuple(sorted(words)) for bg, words in by_bigram.items()}

    def is_other_word(self, word: str) -> bool:
        """A real Thai word the knowledge base does not use (มาราธอน, เรื่องตลก): not a typo but
        what makes a question out of scope, so it must not be corrected."""
        return word in self._dictionary and word not in self._surface

    def correct(self, word: str) -> tuple[str, float] | None:
        """The term of the closest known spelling of a word, with its similarity, or None.

        Tone marks and similar diacritics are the commonest slips, so a word whose skeleton
        (without them) is a known word's skeleton is corrected first; otherwise the typo
        distance within a budget that grows with the word's length.
        """
        same = self._skeletons.get(skeleton(word))
        if same is not None:
            return self._surface[same], 0.95
        budget = 1 if len(word) <= 6 else 2 if len(word) <= 10 else 3
        grams = _bigrams(word)
        index = self._bigram_surface
        found = [
            spellings
            for size in map(chr, range(max(1, len(word) - budget), len(word) + budget + 1))
            for bg in grams
            # A bigram in thousands of words points nowhere.
            if 0 < len(spellings := index.get(bg + size, ())) <= 400
        ]
        candidates = Counter(chain.from_iterable(found))
        need = max(1, len(word) - 1 - 2 * budget)  # bigrams an edit budget can spoil
        best: tuple[str, float] | None = None
        latin = not THAI_LETTER.match(word)
        for surface, shared in candidates.most_common(40):
            if shared < need or abs(len(surface) - len(word)) > budget:
                continue
            # English typos rarely touch the first letter, while a different first letter
            # often makes a different word (iphone is not phone).
            if latin and surface[0] != word[0]:
                continue
            dist = typo_distance(word, surface, budget)
            if dist > budget:
                continue
            sim = 1.0 - dist / max(len(word), len(surface))
            if best is None or sim > best[1]:
                best = (self._surface[surface], sim)
        return best
