"""The Thai matcher: a resident's question -> an answer, a few suggestions, or nothing.

Two signals, both read from indexes built once at load time (a question never scans every
entry with a fuzzy scorer):

- coverage: BM25-style weighted term matching over the entry's fields (title and questions
  weigh more than the answer text), expressed as the share of the question's information the
  entry explains. Word weights mix rarity in the knowledge base with rarity in general Thai
  (the Thai National Corpus frequencies shipped with pythainlp), so a question full of words
  the knowledge base has never seen (โรงพยาบาล, ธนาคาร) scores low whatever the knowledge base.
  Words that are not in the vocabulary are corrected to close vocabulary words with rapidfuzz,
  looked up through a character-bigram index of the vocabulary, not of the entries.
- shape: TF-IDF cosine of character trigrams between the question and each title, phrasing and
  keyword list, which survives misspellings, missing spaces and bad segmentation.

Both are in [0, 1]; the blend is compared with fixed thresholds, so a score means the same
thing for any knowledge base. Where it can run, a multilingual sentence model adds a third
signal with a small weight (kb/semantic.py): how close the whole question is in meaning to
each entry's phrasings, which catches paraphrases that share few words with the entry.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from kb import calibration, semantic
from kb.calibration import Calibration
from kb.matching.romanised import RomanisedIndex
from kb.matching.speller import Speller
from kb.model import Entry, KnowledgeBase
from kb.semantic import SemanticIndex, VectorCache
from kb.thai import (
    THAI_LETTER,
    ThaiText,
    english_frequencies,
    general_frequencies,
    thai_verbs,
)

FIELD_WEIGHTS = {"title": 3.0, "questions": 3.0, "keywords": 2.0, "answer": 0.5}
K1, B = 1.2, 0.5


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision points on the blended score, which is in [0, 1] for any knowledge base.

    Chosen on the labelled set for at least 95% out-of-scope rejection (see README); the
    margin turns near-ties between two entries into a "did you mean" question.
    """

    answer: float = 0.42  # at least this to answer directly...
    margin: float = 0.03  # ...and this far ahead of the runner-up
    suggest: float = 0.3  # below this: honest fallback
    suggest_window: float = 0.2  # suggestions within this of the best
    coverage_weight: float = 0.6  # blend: coverage vs character-trigram shape
    # A question the blend would not even offer choices for is still offered the entries the
    # sentence model alone finds this close (mapped similarity); set by calibration.
    model_suggest: float = 2.0


# With the sentence model's similarity blended in (kb/semantic.py), scores of the same
# questions sit a little higher: the same rule, chosen the same way on the same set.
SEMANTIC_THRESHOLDS = Thresholds(answer=0.445, suggest=0.36)


@dataclass(frozen=True, slots=True)
class Scored:
    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    question: str
    outcome: Outcome
    ranked: tuple[Scored, ...]  # best first, at most 10
    suggestions: tuple[str, ...]  # ids offered as "did you mean" (only for SUGGEST)

    @property
    def answer_id(self) -> str | None:
        return self.ranked[0].entry_id if self.outcome is Outcome.ANSWER else None

    @property
    def score(self) -> float:
        return self.ranked[0].score if self.ranked else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer_id": self.answer_id,
            "score": round(self.score, 4),
            "suggestions": list(self.suggestions),
        }


VERB_UNKNOWN = 0.5  # weight of a verb no entry uses, relative to a noun
_MONTHS = (
    "มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม กันยายน ตุลาคม พฤศจิกายน ธันวาคม"
).split()


def _date_words(entry: Entry) -> list[str]:
    """A dated entry is also found by its date ("12 ธันวา", "ต.ค. 66"): index it as words."""
    if entry.starts is None:
        return []
    day = entry.starts  # in the offset the organiser wrote, i.e. local time
    return [f"{day.day} {_MONTHS[day.month - 1]} {day.year + 543}"]


def _trigrams(text: str) -> Counter[str]:
    padded = f" {text} "
    if len(padded) < 3:
        return Counter([padded])
    return Counter([padded[i : i + 3] for i in range(len(padded) - 2)])


_CODE_BITS = 21  # every Unicode code point fits in 21 bits: a trigram is one int64 key
_CODE_MASK = (1 << _CODE_BITS) - 1
_EMPTY_KEY = (ord(" ") << _CODE_BITS) | ord(" ")  # "  ", the one gram of an empty unit


_GramIds = npt.NDArray[Any]  # uint16 while gram ids fit in two bytes, int32 after


def _gram_text(key: int) -> str:
    codes = (key >> 2 * _CODE_BITS, (key >> _CODE_BITS) & _CODE_MASK, key & _CODE_MASK)
    return "".join(chr(c) for c in codes if c)


class _ShapeUnits:
    """Each shape unit's trigrams, kept as (gram id, count) pairs in numpy arrays as the index
    is built: holding the units' texts until the end would cost more than the index itself.

    Units are counted in batches by numpy, not with a Counter each: at 10,000 entries that
    is 10 million trigrams, and a Python loop over them took a quarter of indexing time."""

    BATCH = 4096

    def __init__(self) -> None:
        self._gram_of_key: dict[int, int] = {}
        self._pending: list[str] = []
        self._ids: list[_GramIds] = []
        self._counts: list[npt.NDArray[np.uint8]] = []
        self._sizes: list[npt.NDArray[np.int32]] = []

    def add(self, text: str) -> None:
        self._pending.append(text)
        if len(self._pending) >= self.BATCH:
            self._count()

    def _count(self) -> None:
        units, self._pending = self._pending, []
        if not units:
            return
        # The units' code points in one array, each padded with a space as _trigrams pads
        # and ended by a NUL: a window with a NUL in it spans two units and is dropped.
        text = "".join(f" {t} \0" for t in units)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        keys = (codes[:-2] << 2 * _CODE_BITS) | (codes[1:-1] << _CODE_BITS) | codes[2:]
        inside = (codes[:-2] != 0) & (codes[1:-1] != 0) & (codes[2:] != 0)
        unit = np.cumsum(codes == 0)[:-2]
        keys, unit = keys[inside], unit[inside]
        del codes, inside
        empty = [i for i, t in enumerate(units) if not t]
        if empty:
            keys = np.concatenate((keys, np.full(len(empty), _EMPTY_KEY, dtype=np.int64)))
            unit = np.concatenate((unit, np.asarray(empty, dtype=np.int64)))
        distinct, where = np.unique(keys, return_inverse=True)
        known = self._gram_of_key
        # Ids in first-seen order, the same in every process (distinct keys come sorted).
        gram = np.fromiter(
            (known.setdefault(k, len(known)) for k in distinct.tolist()),
            dtype=np.int64,
            count=len(distinct),
        )
        pairs, counts = np.unique((unit << 32) | gram[where.ravel()], return_counts=True)
        # Two bytes a gram id while they fit (51,650 grams at 10,000 entries), four after.
        narrow = len(known) <= 1 << 16
        self._ids.append((pairs & 0xFFFFFFFF).astype(np.uint16 if narrow else np.int32))
        # A trigram 255 times in one phrasing is already noise: a byte is enough.
        self._counts.append(np.minimum(counts, 255).astype(np.uint8))
        self._sizes.append(np.bincount(pairs >> 32, minlength=len(units)).astype(np.int32))

    def take(self) -> tuple[dict[str, int], _GramIds, npt.NDArray[np.uint8], npt.NDArray[np.int32]]:
        """Every unit's (gram id, count) pairs, unit by unit, and each unit's number of
        pairs; handed over (not shared) so they can be freed early."""
        self._count()
        grams = {_gram_text(key): gid for key, gid in self._gram_of_key.items()}
        out = (
            grams,
            np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int32),
            np.concatenate(self._counts) if self._counts else np.zeros(0, dtype=np.uint8),
            np.concatenate(self._sizes) if self._sizes else np.zeros(0, dtype=np.int32),
        )
        self._gram_of_key, self._ids, self._counts, self._sizes = {}, [], [], []
        return out


class Matcher:
    def __init__(
        self, kb: KnowledgeBase, text: ThaiText, thresholds: Thresholds | None = None
    ) -> None:
        self.kb = kb
        self.text = text
        self.t = thresholds or Thresholds()
        self._ids: list[str] = []
        # Term postings, flat like the trigram ones: term -> slot; slot s is the entries
        # _term_entries[b[s]:b[s + 1]] with their BM25 saturations in _term_sat (b: bounds).
        self._term_slot: dict[str, int] = {}
        self._term_bounds: list[int] = [0]
        self._term_entries: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._term_sat: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        self._doclen: list[float] = []
        self._unit_entry: array[int] = array("i")
        self._gram_id: dict[str, int] = {}
        self._gram_idf: list[float] = []
        self._gram_bounds: list[int] = [0]
        self._gram_units: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._gram_values: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._idf: dict[str, float] = {}
        self._surface: dict[str, str] = {}  # a spelling seen in the KB or lexicon -> its term
        self._general: dict[str, float] = {}
        general_frequencies()  # load the corpus frequencies now, not on a resident's first question
        self._verbs = thai_verbs()
        self._semantic: SemanticIndex | None = None
        self.t_semantic = SEMANTIC_THRESHOLDS
        self.calibration: Calibration | None = None  # set by calibrate()
        self._build(kb.entries)

    # ------------------------------------------------------------------ index
    def _shape_text(self, words: list[str], expanded: list[tuple[str, ...]] | None = None) -> str:
        """What the trigram signal compares: the words as typed and as canonical terms, so
        both a misspelling of the surface form and a dialect synonym find the entry."""
        if expanded is None:
            expanded = self.text.expand_all(words)
        raw = "".join(w for w, exp in zip(words, expanded, strict=True) if exp)
        canon = "".join(exp[0] for exp in expanded if exp)
        return raw if raw == canon else f"{raw} {canon}"

    def _build(self, entries: Iterable[Entry]) -> None:
        # Postings grow as three flat C arrays of (term, entry, weighted frequency), entry by
        # entry, and are grouped by term at the end: two small arrays per term were 30 MB of
        # array objects at 10,000 entries.
        slots = self._term_slot
        post_term, post_entry, post_freq = array("i"), array("i"), array("d")
        shapes = _ShapeUnits()
        surfaces: dict[str, str] = {}
        for idx, e in enumerate(entries):
            self._ids.append(e.id)
            keywords = [*e.keywords, *_date_words(e)]
            fields = {
                "title": [e.title],
                "questions": [*e.questions, *e.learned],
                # The keywords one by one, then together as one shape unit (last).
                "keywords": [*keywords, " ".join(keywords)] if keywords else [],
                "answer": [e.answer],
            }
            tfw: dict[str, float] = defaultdict(float)
            length = 0.0
            for name, texts in fields.items():
                w = FIELD_WEIGHTS[name]
                for i, t in enumerate(texts):
                    words = self.text.segment(t)
                    expanded = self.text.expand_all(words)
                    if name != "answer":
                        shapes.add(self._shape_text(words, expanded))
                        self._unit_entry.append(idx)
                    if name == "keywords" and i == len(texts) - 1:
                        continue  # the joined keyword list is a shape unit only
                    for word, toks in zip(words, expanded, strict=True):
                        if toks:
                            surfaces.setdefault(word, toks[0])
                        length += w * len(toks)
                        for tok in toks:
                            tfw[tok] += w
            self._doclen.append(length)
            post_term.extend([slots.setdefault(tok, len(slots)) for tok in tfw])
            post_entry.extend([idx] * len(tfw))
            post_freq.extend(tfw.values())
        n = len(self._ids)
        self._avgdl = sum(self._doclen) / max(n, 1)
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        term_of = np.frombuffer(post_term, dtype=np.int32)
        order = np.argsort(term_of, kind="stable")  # stable: entries stay in order in a term
        df = np.bincount(term_of, minlength=len(slots))
        del term_of, post_term
        self._term_bounds = np.concatenate(([0], np.cumsum(df))).tolist()
        self._term_entries = np.frombuffer(post_entry, dtype=np.int32)[order]
        freq = np.frombuffer(post_freq, dtype=np.float64)[order]
        del order, post_entry, post_freq
        # BM25's saturation does not depend on the question: compute it once, here.
        doclen = np.asarray(self._doclen, dtype=np.float64)
        lengths = 1 - B + B * doclen[self._term_entries] / self._avgdl
        self._term_sat = freq / (freq + K1 * lengths)
        del freq, lengths
        self._idf = {
            term: math.log(1 + (n - d + 0.5) / (d + 0.5))
            for term, d in zip(slots, df.tolist(), strict=True)
        }
        # Spellings a misspelt word may be corrected to: the KB's own words and every lexicon
        # variant whose term the KB uses (ข้อมูลส่วนบุคคน -> ข้อมูลส่วนบุคคล -> ข้อมูลส่วนตัว).
        for variant, term in self.text.lexicon.canonical.items():
            surfaces.setdefault(variant, term)
        for term in slots:
            surfaces.setdefault(term, term)
        self._surface = {w: t for w, t in surfaces.items() if t in slots and len(w) >= 3}
        self._speller = Speller(self._surface)
        self.romanised = RomanisedIndex(self._surface, self._entry_count)
        self._build_shapes(shapes, n)

    def _build_shapes(self, shapes: _ShapeUnits, n: int) -> None:
        """Character-trigram TF-IDF over units (titles, phrasings, keyword lists).

        The units' (gram id, count) pairs were collected in compact arrays as the entries
        were read; numpy computes idf and norms and groups the postings by gram.

        There are millions of pairs at 10,000 entries. The arrays as long as all of them are
        the input, a slice number per pair (a byte) and the output; every other array is for
        a slice of the pairs only, so that the build's peak memory stays near what it keeps.
        """
        gram_ids, gram_of, counts, size_of = shapes.take()
        units = len(size_of)
        # Every gram occurs: df >= 1. Counted a slice at a time: bincount copies its input
        # to int64 first, which for all the pairs at once was the build's largest array.
        df = np.zeros(len(gram_ids), dtype=np.int64)
        for a in range(0, len(gram_of), 1 << 20):
            df += np.bincount(gram_of[a : a + (1 << 20)], minlength=len(gram_ids))
        idf = np.log1p(units / df)
        idf32 = idf.astype(np.float32)
        tf = np.arange(256, dtype=np.float32)  # log-scaled count, by count
        np.log(tf, out=tf, where=tf > 0)
        tf += 1
        # Pairs are stored unit by unit: a unit's norm is a sum over its own slice.
        offsets = np.concatenate(([0], np.cumsum(size_of)))  # where each unit's pairs start
        norm = np.ones(units, dtype=np.float32)
        for u0 in range(0, units, 16_384):
            u1 = min(units, u0 + 16_384)
            a, b = offsets[u0], offsets[u1]
            weight = tf[counts[a:b]] * idf32[gram_of[a:b]]
            norm[u0:u1] = np.sqrt(np.add.reduceat(weight * weight, offsets[u0:u1] - a))
        norm[norm == 0] = 1.0
        # Postings grouped by gram, units in order within a gram (a stable sort by gram),
        # done for 16 slices of the gram ids with about as many pairs each.
        bounds = np.concatenate(([0], np.cumsum(df)))
        cuts = np.searchsorted(bounds, np.linspace(0, len(gram_of), 17)[1:-1])
        slice_of = np.searchsorted(cuts, np.arange(len(df)), side="right").astype(np.uint8)
        pair_slice = slice_of[gram_of]
        values = np.empty(len(gram_of), dtype=np.float32)
        owners = np.empty(len(gram_of), dtype=np.int32)
        for k, lo in enumerate([0, *cuts.tolist()]):
            pairs = np.flatnonzero(pair_slice == k)
            if not len(pairs):
                continue
            pairs = pairs[np.argsort(gram_of[pairs], kind="stable")]
            start = bounds[lo]
            unit = np.searchsorted(offsets, pairs, side="right") - 1
            owners[start : start + len(pairs)] = unit
            values[start : start + len(pairs)] = (
                tf[counts[pairs]] * idf32[gram_of[pairs]] / norm[unit]
            )
        del gram_of, counts, pair_slice
        self._gram_values, self._gram_units = values, owners
        # Postings of gram i are [bounds[i], bounds[i + 1]) of the two flat arrays: no
        # per-gram array objects (tens of thousands of them at 10,000 entries).
        self._gram_bounds = bounds.tolist()
        self._gram_id = gram_ids
        self._gram_idf = idf.tolist()
        self._gram_default_idf = math.log(1 + units)
        # Trigrams in more than 5% of units say little and cost the most to add up: a
        # question skips them (their share of the cosine is small by their low idf).
        self._stop_df = max(500, units // 20)
        # Units are stored entry by entry, so an entry's best unit is a reduceat over them.
        self._unit_count = units
        self._unit_starts = np.searchsorted(
            np.frombuffer(self._unit_entry, dtype=np.int32), np.arange(n, dtype=np.int32)
        )

    def _postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """The entries that use a known term, and the term's BM25 saturation in each."""
        slot = self._term_slot[term]
        lo, hi = self._term_bounds[slot], self._term_bounds[slot + 1]
        return self._term_entries[lo:hi], self._term_sat[lo:hi]

    def _entry_count(self, term: str) -> int:
        return len(self._postings(term)[0])

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
            surprise = math.log(freqs.total / f)  # ~4 for the commonest words, ~17 for the rarest
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
            parts = self.text.dictionary_parts(token) if THAI_LETTER.match(token) else [token]
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

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The closest known spelling of a word the knowledge base does not contain.

        Tone marks and similar diacritics are the commonest slips, so a word whose skeleton
        (without them) is a known word's skeleton is corrected first; otherwise Levenshtein
        distance within a budget that grows with the word's length.
        """
        if len(word) < 3 or word.isdigit():
            return None
        if " " in word:  # Latin words joined: only romanised Thai spans words
            return self.romanised.lookup(word) if word.replace(" ", "").isalpha() else None
        best = self._speller.correct(word)
        latin = not THAI_LETTER.match(word)
        if latin and word.replace(" ", "").isalpha():
            # Thai typed in Latin letters (tham, dai) is often one letter from an English
            # word in the knowledge base (thai, day): a sound match wins over a spelling one.
            roman = self.romanised.lookup(word)
            if roman is not None and (best is None or roman[1] > best[1]):
                best = roman
        return best

    def prepare_latin(self) -> None:
        """What questions typed in Latin letters need, loaded ahead of the first one: the
        English word frequencies, and the sound keys of the knowledge base's Thai words
        (kb/matching/romanised.py). Built on first need otherwise; the bot calls it in a
        thread at start-up."""
        english_frequencies()  # English words' weights, also for Latin-typed questions
        self.romanised.prepare()

    def prepare_semantic(self, cache: VectorCache | None = None) -> bool:
        """Embed every phrasing (title, questions, learned) with the sentence model, from
        `cache` where it has them, and from then on blend its similarity into the scores.
        About 11 ms a phrasing not in the cache, so the bot calls it in a thread, before
        its first question. Returns whether the model is in use: not where the engine
        cannot run, nor above semantic.UNIT_LIMIT phrasings."""
        if self._semantic is not None:
            return True
        model = semantic.embedder()
        texts, starts = self.phrasings()
        if model is None or len(texts) > semantic.UNIT_LIMIT:
            return False
        cache = cache or VectorCache(None)
        vectors = cache.vectors(texts, model)
        cache.save()
        self._semantic = SemanticIndex(vectors, np.asarray(starts, dtype=np.intp), model)
        return True

    def phrasings(self) -> tuple[list[str], list[int]]:
        """What the sentence model embeds: every entry's title, questions and learned
        phrasings, in matcher order, and where each entry's phrasings begin."""
        texts: list[str] = []
        starts: list[int] = []
        for e in self.kb:
            starts.append(len(texts))
            texts += [e.title, *e.questions, *e.learned]
        return texts, starts

    @property
    def semantic(self) -> bool:
        return self._semantic is not None

    def _query_terms(self, words: list[str]) -> list[list[tuple[str, float]]]:
        """For each meaningful word, its (term, similarity) alternatives: the word's canonical
        term and, for a compound, its parts; an unknown word is corrected if possible.

        A typo often makes newmm cut a word into fragments (อาชีบ -> อา ชี บ), so an unknown
        word is also tried joined with up to three neighbours on each side: a compound term
        with one slip (เมืองแห่งการเรียรู้) is cut into five words.
        """
        expanded = self.text.expand_all(words)
        known = [bool(exp) and exp[0] in self._term_slot for exp in expanded]
        assigned: list[list[tuple[str, float]]] = [[(t, 1.0) for t in exp] for exp in expanded]
        i = 0
        while i < len(words):
            if not expanded[i] or known[i]:
                i += 1
                continue
            best: tuple[int, int, str, float] | None = None
            for a in range(i - 3, i + 1):
                for b in range(i, i + 4):
                    if a < 0 or b >= len(words):
                        continue
                    # Latin words stay apart: each is a syllable of romanised Thai.
                    joined = ("" if THAI_LETTER.match(words[i]) else " ").join(words[a : b + 1])
                    # A real Thai word we do not know (มาราธอน, เรื่องตลก) is not a typo: it is
                    # what makes a question out of scope, so it must stay unknown.
                    if self._speller.is_other_word(joined):
                        continue
                    hit = self._correct(joined)
                    if hit is None:
                        continue
                    # Swallowing a correctly spelt neighbour, or a particle (a typo can leave
                    # one: เรียรู้ -> เรีย รู้), needs stronger evidence.
                    swallows = any(known[k] or not expanded[k] for k in range(a, b + 1))
                    if swallows and hit[1] < 0.85:
                        continue
                    # On a tie the longer join wins: it explains more of what was typed.
                    if best is None or (hit[1], b - a) > (best[3], best[1] - best[0]):
                        best = (a, b, hit[0], hit[1])
            if best is None:
                i += 1
                continue
            a, b, term, sim = best
            for k in range(a, b + 1):
                assigned[k] = []
            # A correction to a compound (samak yang ngai -> สมัครยังไง) brings its parts too,
            # as the compound typed correctly would.
            parts = self.text.expand(term)[1:] if term in self._term_slot else ()
            assigned[a] = [(term, sim), *((p, sim) for p in parts)]
            i = b + 1
        return [pairs for pairs in assigned if pairs]

    # ------------------------------------------------------------------ query
    def match(self, question: str, limit: int = 10) -> MatchResult:
        """The answer, a few "did you mean" choices, or nothing."""
        found = self._scores(question)
        if found is None:
            return MatchResult(question, Outcome.FALLBACK, (), ())
        scores, similarity = found
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        order = sorted(top.tolist(), key=lambda i: (-scores[i], self._ids[i]))
        ranked = tuple(Scored(self._ids[i], float(scores[i])) for i in order if scores[i] > 0)
        t = self.thresholds
        result = self._decide(question, ranked, t)
        if result.outcome is Outcome.FALLBACK and similarity is not None:
            # Few or no shared words, but the model is sure enough of the meaning to ask.
            close = np.flatnonzero(similarity >= t.model_suggest)
            if len(close):
                best = sorted(close.tolist(), key=lambda i: (-similarity[i], self._ids[i]))[:3]
                return MatchResult(
                    question, Outcome.SUGGEST, ranked, tuple(self._ids[i] for i in best)
                )
        return result

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds in use: with or without the sentence model, calibrated on load."""
        return self.t if self._semantic is None else self.t_semantic

    def _scores(
        self, question: str, vector: npt.NDArray[np.float32] | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None] | None:
        """Every entry's blended score and the sentence model's share of it (None without
        the model), or None for a question with nothing to match.

        The whole question is read, however long: a resident who explains their situation
        at length is still asking about one thing."""
        words = self.text.segment(question)
        terms = self._query_terms(words)
        if not terms:
            return None
        a = self.t.coverage_weight
        # Corrected words (typos, romanised Thai) also count in the shape as they were meant.
        meant = [
            term
            for group in terms
            for term, sim in group[:1]
            if sim < 1.0 and THAI_LETTER.match(term)
        ]
        scores = a * self._coverage(terms) + (1 - a) * self._shape(words + meant)
        index = self._semantic  # read once: a reload may swap it in meanwhile
        similarity = None
        if index is not None:
            # The model reads every question: a paraphrase that shares no word with an
            # entry is found by meaning alone.
            w = semantic.WEIGHT
            similarity = (
                index.similarity(question) if vector is None else index.similarity_to(vector)
            )
            scores = (1 - w) * scores + w * similarity
        return scores, similarity

    def calibrate(self, questions: list[str], cache: VectorCache | None = None) -> Calibration:
        """Place the answer and suggest thresholds for this knowledge base from questions it
        should not answer (kb/calibration.py). With the sentence model, their vectors come
        from `cache` (shipped beside the calibration file) or are embedded once."""
        vectors: npt.NDArray[np.float32] | None = None
        if self._semantic is not None:
            vectors = (cache or VectorCache(None)).vectors(questions, self._semantic.model)
        best = np.zeros(len(questions))
        lead = np.zeros(len(questions))
        meaning = np.zeros(len(questions))
        for n, q in enumerate(questions):
            found = self._scores(q, None if vectors is None else vectors[n])
            if found is None or not len(found[0]):
                continue
            scores, similarity = found
            if similarity is not None:
                meaning[n] = similarity.max()
            if len(scores) == 1:
                best[n] = lead[n] = scores[0]
                continue
            second, first = np.partition(scores, -2)[-2:]
            best[n], lead[n] = first, first - second
        t = self.thresholds
        placed = calibration.derive(best, lead, t.margin, None if vectors is None else meaning)
        tuned = replace(
            t, answer=placed.answer, suggest=placed.suggest, model_suggest=placed.model_suggest
        )
        if self._semantic is None:
            self.t = tuned
        else:
            self.t_semantic = tuned
        self.calibration = placed
        return placed

    def _coverage(self, groups: list[list[tuple[str, float]]]) -> npt.NDArray[np.float64]:
        """Share of the question's information each entry explains, in [0, 1].

        A compound and its parts are one word of the question: they count once, with the
        weight of the most informative, and a part alone explains only its own share.
        """
        n = len(self._ids)
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
                if term in self._term_slot
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

    def _shape(self, words: list[str]) -> npt.NDArray[np.float64]:
        """Best trigram cosine between the question and each entry's units."""
        vec = _trigrams(self._shape_text(words))
        found = [(self._gram_id.get(g), c) for g, c in vec.items()]
        weights = [
            (
                gid,
                (1 + math.log(c))
                * (self._gram_default_idf if gid is None else self._gram_idf[gid]),
            )
            for gid, c in found
        ]
        norm = math.sqrt(sum(w * w for _, w in weights)) or 1.0
        acc = np.zeros(self._unit_count)
        bounds = self._gram_bounds
        for gid, w in weights:
            if gid is None:
                continue
            lo, hi = bounds[gid], bounds[gid + 1]
            if hi - lo <= self._stop_df:
                acc[self._gram_units[lo:hi]] += (w / norm) * self._gram_values[lo:hi]
        if not self._unit_count:
            return np.zeros(len(self._ids))
        return np.maximum.reduceat(acc, self._unit_starts)

    def _decide(self, question: str, ranked: tuple[Scored, ...], t: Thresholds) -> MatchResult:
        if not ranked or ranked[0].score < t.suggest:
            return MatchResult(question, Outcome.FALLBACK, ranked, ())
        best = ranked[0].score
        second = ranked[1].score if len(ranked) > 1 else 0.0
        # Two entries that explain the question equally well are a real ambiguity: ask.
        if best >= t.answer and best - second >= t.margin:
            return MatchResult(question, Outcome.ANSWER, ranked, ())
        close = tuple(
            s.entry_id for s in ranked[:3] if s.score >= max(t.suggest, best - t.suggest_window)
        )
        return MatchResult(question, Outcome.SUGGEST, ranked, close)
