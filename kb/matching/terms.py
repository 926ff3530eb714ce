"""The coverage signal: BM25-style weighted term matching over the entries' fields (title and
questions weigh more than the answer text), expressed as the share of the question's
information an entry explains.

Word weights mix rarity in the knowledge base with rarity in general Thai (the Thai National
Corpus frequencies shipped with pythainlp), so a question full of words the knowledge base has
never seen (โรงพยาบาล, ธนาคาร) scores low whatever the knowledge base.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from kb.thai import THAI_LETTER, ThaiText, english_frequencies, general_frequencies, thai_verbs

FIELD_WEIGHTS = {"title": 3.0, "questions": 3.0, "keywords": 2.0, "answer": 0.5}
K1, B = 1.2, 0.5
VERB_UNKNOWN = 0.5  # weight of a verb no entry uses, relative to a noun

# One text of an entry: its field (a key of FIELD_WEIGHTS), its words, and each word's
# expansion by ThaiText.expand_all (the canonical term first, then a compound's parts).
FieldText = tuple[str, list[str], list[tuple[str, ...]]]


class TermIndex:
    """Term postings with BM25 saturations, and the knowledge base's spellings.

    Entries are added in order with add(), then finish() groups the postings; coverage()
    reads them. `surfaces` (after finish) maps every spelling seen in the knowledge base or
    the lexicon to the term it stands for, for the speller and the romanised index."""

    def __init__(self, text: ThaiText) -> None:
        self._text = text
        # Term postings, flat like the trigram ones: term -> slot; slot s is the entries
        # _entries_of[b[s]:b[s + 1]] with their BM25 saturations in _sat (b: _bounds).
        self._slot: dict[str, int] = {}
        self._bounds: list[int] = [0]
        self._entries_of: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._sat: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        # Postings grow as three flat C arrays of (term, entry, weighted frequency), entry by
        # entry, and are grouped by term at the end: two small arrays per term were many
        # megabytes of array objects in a large knowledge base.
        self._post_term, self._post_entry, self._post_freq = array("i"), array("i"), array("d")
        self._seen: dict[str, str] = {}  # a word as written -> its term, while adding
        self._doclen: list[float] = []
        self._entries = 0
        self._avgdl = 0.0
        self._max_idf = 0.0
        self._idf: dict[str, float] = {}
        self._general: dict[str, float] = {}
        self.surfaces: dict[str, str] = {}  # a spelling seen in the KB or lexicon -> its term
        general_frequencies()  # load the corpus frequencies now, not on a resident's first question
        self._verbs = thai_verbs()

    def add(self, texts: Iterable[FieldText]) -> None:
        """The next entry's texts."""
        slots, surfaces = self._slot, self._seen
        tfw: dict[str, float] = defaultdict(float)
        length = 0.0
        for field, words, expanded in texts:
            w = FIELD_WEIGHTS[field]
            for word, toks in zip(words, expanded, strict=True):
                if toks:
                    surfaces.setdefault(word, toks[0])
                length += w * len(toks)
                for tok in toks:
                    tfw[tok] += w
        self._doclen.append(length)
        self._post_term.extend([slots.setdefault(tok, len(slots)) for tok in tfw])
        self._post_entry.extend([self._entries] * len(tfw))
        self._post_freq.extend(tfw.values())
        self._entries += 1

    def finish(self) -> None:
        """Group the postings by term and weigh the terms, once every entry is added."""
        slots = self._slot
        n = self._entries
        self._avgdl = sum(self._doclen) / max(n, 1)
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        post_term, post_entry, post_freq = self._post_term, self._post_entry, self._post_freq
        self._post_term, self._post_entry, self._post_freq = array("i"), array("i"), array("d")
        term_of = np.frombuffer(post_term, dtype=np.int32)
        order = np.argsort(term_of, kind="stable")  # stable: entries stay in order in a term
        df = np.bincount(term_of, minlength=len(slots))
        del term_of, post_term
        self._bounds = np.concatenate(([0], np.cumsum(df))).tolist()
        self._entries_of = np.frombuffer(post_entry, dtype=np.int32)[order]
        freq = np.frombuffer(post_freq, dtype=np.float64)[order]
        del order, post_entry, post_freq
        # BM25's saturation does not depend on the question: compute it once, here.
        doclen = np.asarray(self._doclen, dtype=np.float64)
        lengths = 1 - B + B * doclen[self._entries_of] / self._avgdl
        self._sat = freq / (freq + K1 * lengths)
        del freq, lengths
        self._idf = {
            term: math.log(1 + (n - d + 0.5) / (d + 0.5))
            for term, d in zip(slots, df.tolist(), strict=True)
        }
        # Spellings a misspelt word may be corrected to: the KB's own words and every lexicon
        # variant whose term the KB uses (ข้อมูลส่วนบุคคน -> ข้อมูลส่วนบุคคล -> ข้อมูลส่วนตัว).
        surfaces, self._seen = self._seen, {}
        for variant, term in self._text.lexicon.canonical.items():
            surfaces.setdefault(variant, term)
        for term in slots:
            surfaces.setdefault(term, term)
        self.surfaces = {w: t for w, t in surfaces.items() if t in slots and len(w) >= 3}

    def knows(self, term: str) -> bool:
        """Whether some entry uses the term."""
        return term in self._slot

    def entry_count(self, term: str) -> int:
        """How many entries use a known term."""
        slot = self._slot[term]
        return self._bounds[slot + 1] - self._bounds[slot]

    def coverage(self, groups: list[list[tuple[str, float]]]) -> npt.NDArray[np.float64]:
        """Share of the question's information each entry explains, in [0, 1]; `groups` are
        the question's words, each as its (term, similarity) alternatives.

        A compound and its parts are one word of the question: they count once, with the
        weight of the most informative, and a part alone explains only its own share.
        """
        n = self._entries
        acc = np.zeros(n)
        total = 0.0
        for group in groups:
            weights = [self._weight(term) for term, _ in group]
            whole = max(weights)
            total += whole
            if len(weights) > 1:
                parts = sum(weights[1:])
                weights = [whole] + [whole * w / parts for w in weights[1:]]
            found = [
                (self._postings(term), tw * sim)
                for (term, sim), tw in zip(group, weights, strict=True)
                if term in self._slot
            ]
            if len(found) == 1:
                (idx, sat), scale = found[0]
                acc[idx] += scale * sat
            elif found:
                best = np.zeros(n)
                for (idx, sat), scale in found:
                    best[idx] = np.maximum(best[idx], scale * sat)
                acc += best
        return acc / total if total > 0 else acc

    def _postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """The entries that use a known term, and the term's BM25 saturation in each."""
        slot = self._slot[term]
        lo, hi = self._bounds[slot], self._bounds[slot + 1]
        return self._entries_of[lo:hi], self._sat[lo:hi]

    def _general_weight(self, token: str) -> float:
        """How much a word says in general Thai: 1 for rare words and names, low for common ones.

        A compound the corpus does not list (เข้างาน) says as much as its rarest part.
        """
        cached = self._general.get(token)
        if cached is not None:
            return cached
        freqs = general_frequencies()
        english = english_frequencies() if token.isascii() and token.isalpha() else {}
        # A Latin word is weighed as English: the Thai corpus has a few English words, rare
        # there (on, space) though common in English.
        f = None if token in english else freqs.get(token)
        if f is not None:
            surprise = math.log(freqs.total / f)  # low for the commonest words, high for rare
            weight = min(1.0, max(0.05, (surprise - 5.0) / 7.0))
        elif token.isdigit():
            weight = 0.3  # numbers are often incidental ("my son is 5"); a date still matches
        elif token in english:
            # An English word the lexicon does not map: as informative as it is rare in English.
            surprise = (9.0 - english[token]) * math.log(10)  # from its Zipf frequency
            weight = min(1.0, max(0.05, (surprise - 5.0) / 7.0))
        elif THAI_LETTER.match(token) and len(token) <= 2:
            weight = 0.2  # a stray syllable left by a typo says little on its own
        else:
            # Parts are weighed the same way, down to corpus words (ทุกครั้งที่: ทุกครั้ง ที่,
            # ทุกครั้ง: ทุก ครั้ง); a name the dictionary cannot cut stays rare.
            parts = self._text.dictionary_parts(token) if THAI_LETTER.match(token) else [token]
            if len(parts) > 1 and all(len(p) > 1 for p in parts):
                weight = max(self._general_weight(p) for p in parts)
            else:
                weight = 1.0
        if len(self._general) < 200_000:  # residents' words are endless; memory is not
            self._general[token] = weight
        return weight

    def _weight(self, token: str) -> float:
        idf = self._idf.get(token)
        if idf is None:  # a word no entry uses: a verb is likely a paraphrase (ยื่น for ส่ง)
            verb = VERB_UNKNOWN if token in self._verbs else 1.0
            return self._max_idf * verb * self._general_weight(token)
        return idf * self._general_weight(token)
