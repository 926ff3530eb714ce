"""Thai typed in Latin letters (talad jompol): sound keys of the knowledge base's Thai words.

Each Thai word the knowledge base uses is romanised by the Royal Institute system (pythainlp's
royin engine) and reduced to a rough sound key; a Latin-typed word or run of syllables is
looked up by its own key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import cache

from rapidfuzz.distance import Levenshtein

from kb.thai import THAI_LETTER

ROMAN_LIMIT = 20_000  # words romanised, the commonest first: each costs a royin call
_SOUNDS = [
    ("ph", "p"), ("th", "t"), ("kh", "k"), ("ch", "j"), ("sh", "s"), ("ue", "u"),
    ("oe", "o"), ("ae", "e"), ("aa", "a"), ("ii", "i"), ("uu", "u"), ("oo", "o"), ("ee", "e"),
    ("r", "l"), ("v", "w"), ("z", "s"), ("c", "k"), ("y", "i"), ("h", ""),
]  # fmt: skip


def sound(latin: str) -> str:
    """A rough sound key for romanised Thai: residents and the Royal Institute system
    spell the same word differently (jompol / chomphon, talad / talat, pak / phak,
    tor / to). Syllables given apart (by a space) get their final sounds normalised."""
    keys = []
    for piece in latin.lower().split():
        # Thai final sounds: residents write d, l, r where the system writes t, n, and -or
        # for the vowel o; royin keeps a silent ร after k (สมัคร: samakn).
        if piece.endswith("or"):
            piece = piece[:-1]
        elif piece.endswith("kn"):
            piece = piece[:-1]
        for a, b in _SOUNDS:
            piece = piece.replace(a, b)
        if piece.endswith("d"):
            piece = piece[:-1] + "t"
        if piece.endswith("l"):
            piece = piece[:-1] + "n"
        keys.append(piece)
    return "".join(keys)


@cache
def _linking_syllables() -> dict[str, str]:
    """A final consonant said again as a syllable with a short a (จ -> ja, ช -> cha)."""
    return {c: _royin(c + "ะ") for c in "กขคจชซดตถทธบปพภศษสฎฏฐฑฒณนมลรว"}


def _royin(word: str) -> str:
    """One word or syllable romanised by pythainlp's Royal Institute engine.

    Its public `romanize` first segments the text with pythainlp's default dictionary, which
    builds a second, large word trie for words we have segmented already.
    """
    try:
        from pythainlp.transliterate.royin import _romanize
    except ImportError:  # a pythainlp without it: the public function, at its memory cost
        from pythainlp.transliterate import romanize

        return romanize(word, engine="royin")
    return _romanize(word)


class RomanisedIndex:
    """Sound keys of the Thai spellings in `surfaces` (spelling -> the term it stands for),
    the spellings of the terms most entries use first (`entry_count` of a term).

    Built on first need, or ahead of time in a thread (the bot does so at start-up); swapped
    in whole when ready, so a lookup meanwhile builds its own or sees the finished index."""

    def __init__(self, surfaces: Mapping[str, str], entry_count: Callable[[str], int]) -> None:
        self._surface = surfaces
        self._entry_count = entry_count
        self._roman: dict[str, str] | None = None
        self._buckets: dict[tuple[str, int], list[str]] = {}

    def prepare(self) -> None:
        """Romanise the knowledge base's Thai words, at most ROMAN_LIMIT of them.

        pythainlp's royin engine often garbles a whole word (กิจกรรม: kitkam, ยกเลิก:
        yakloek) but romanises syllables well (kit-kam, yok-loek), so each word gets both
        keys."""
        if self._roman is not None:
            return
        # newmm over pythainlp's syllable list; its syllable_tokenize would also build the
        # default word trie, large, that we never use.
        from pythainlp.tokenize import newmm, syllable_dict_trie

        syllable_trie = syllable_dict_trie()
        links = _linking_syllables()
        roman: dict[str, str] = {}
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        thai = [w for w in self._surface if THAI_LETTER.match(w) and len(w) <= 24]
        thai.sort(key=lambda w: -self._entry_count(self._surface[w]))
        # Keys as the words are written first, for every word; the guessed linking syllables
        # after them, so that a guess never takes a key from a written word.
        written: list[tuple[str, str]] = []
        guessed: list[tuple[str, str]] = []
        for surface in thai[:ROMAN_LIMIT]:
            term = self._surface[surface]
            syllables = newmm.segment(surface, custom_dict=syllable_trie)
            romans = [_royin(s) for s in syllables]
            written += [(sound(" ".join(romans)), term), (sound(_royin(surface)), term)]
            # Compounds of Pali and Sanskrit words are said with a linking syllable that is
            # not written: กิจกรรม is kit-cha-kam, ราชการ rat-cha-kan, and residents type what
            # they hear (kitjakam). One key for each place where such a syllable may go.
            for i in range(len(syllables) - 1):
                final = syllables[i][-1]
                if final in links and THAI_LETTER.match(syllables[i + 1]):
                    linked = [*romans[: i + 1], links[final], *romans[i + 1 :]]
                    guessed.append((sound(" ".join(linked)), term))
        for key, term in written:
            if len(key) >= 3 and key not in roman:
                roman[key] = term
                buckets[(key[0], len(key))].append(key)
        # A guess is only matched exactly: one sound off a guess is too far from the word.
        for key, term in guessed:
            roman.setdefault(key, term)
        self._buckets = buckets
        self._roman = roman

    def lookup(self, latin: str) -> tuple[str, float] | None:
        """The term a Latin-typed word or run of syllables sounds like, with its similarity,
        or None."""
        key = sound(latin)
        if len(key) < 3:
            return None
        if self._roman is None:
            self.prepare()
        assert self._roman is not None
        term = self._roman.get(key)
        if term is not None:
            return term, 0.9
        if len(key) < 5:
            return None
        # One sound off (samakn for สมัคร): only keys starting alike and about as long.
        for length in (len(key) - 1, len(key), len(key) + 1):
            for other in self._buckets.get((key[0], length), ()):
                if Levenshtein.distance(key, other, score_cutoff=1) <= 1:
                    return self._roman[other], 0.85
        return None
