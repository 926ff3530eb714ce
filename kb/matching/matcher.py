"""The Thai matcher: a resident's question -> an answer, a few suggestions, or nothing.

It fuses signals read from indexes built once at load time (a question never scans every
entry with a fuzzy scorer), each index a component of its own:

- coverage (terms.py): the share of the question's information an entry explains, by
  BM25-style weighted term matching over its fields;
- shape (trigrams.py): TF-IDF cosine of character trigrams with each title, phrasing and
  keyword list, which survives misspellings, missing spaces and bad segmentation;
- a word the knowledge base does not contain is first corrected, to a close spelling
  (speller.py) or, typed in Latin letters, to the Thai word it sounds like (romanised.py),
  and counts in both signals as the word meant;
- where it can run, a multilingual sentence model (kb/semantic.py): how close the whole
  question is in meaning to each entry's phrasings, which catches paraphrases that share
  few words with the entry.

All are in [0, 1]; the blend is compared with thresholds placed for each knowledge base when
it is loaded (calibrate), so that a score means the same thing for a thin and a thick one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kb import calibration, semantic
from kb.calibration import Calibration
from kb.matching.romanised import RomanisedIndex
from kb.matching.speller import Speller
from kb.matching.terms import FieldText, TermIndex
from kb.matching.trigrams import TrigramIndex, shape_text
from kb.model import Entry, KnowledgeBase
from kb.semantic import SemanticIndex, VectorCache
from kb.thai import THAI_LETTER, ThaiText, english_frequencies


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
    # Added to every score of a question typed in Latin letters; set by calibration.
    latin_shift: float = 0.0


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


_MONTHS = (
    "มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม กันยายน ตุลาคม พฤศจิกายน ธันวาคม"
).split()


def _date_words(entry: Entry) -> list[str]:
    """A dated entry is also found by its date ("12 ธันวา", "ต.ค. 66"): index it as words."""
    if entry.starts is None:
        return []
    day = entry.starts  # in the offset the organiser wrote, i.e. local time
    return [f"{day.day} {_MONTHS[day.month - 1]} {day.year + 543}"]


EMBED_BATCH = 512  # texts embedded between two saves of the cache in a background start


class Matcher:
    """Fuses the components' signals into one score an entry and decides."""

    def __init__(
        self, kb: KnowledgeBase, text: ThaiText, thresholds: Thresholds | None = None
    ) -> None:
        self.kb = kb
        self.text = text
        self.t = thresholds or Thresholds()
        self._ids: list[str] = []
        self.terms = TermIndex(text)
        self.shapes = TrigramIndex()
        self._semantic: SemanticIndex | None = None
        self.t_semantic = SEMANTIC_THRESHOLDS
        self.calibration: Calibration | None = None  # set by calibrate()
        self._build(kb.entries)

    # ------------------------------------------------------------------ index
    def _build(self, entries: Iterable[Entry]) -> None:
        """Both indexes in one pass over the entries: each text is segmented once."""
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
            counted: list[FieldText] = []
            for name, texts in fields.items():
                for i, t in enumerate(texts):
                    words = self.text.segment(t)
                    expanded = self.text.expand_all(words)
                    if name != "answer":
                        self.shapes.add(idx, shape_text(words, expanded))
                    if name == "keywords" and i == len(texts) - 1:
                        continue  # the joined keyword list is a shape unit only
                    counted.append((name, words, expanded))
            self.terms.add(counted)
        self.terms.finish()
        # The spellings the knowledge base knows, shared by both ways of correcting a word.
        surfaces = self.terms.surfaces
        self.speller = Speller(surfaces)
        self.romanised = RomanisedIndex(surfaces, self.terms.entry_count)
        self.shapes.finish(len(self._ids))

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The term meant by a word the knowledge base does not contain, with its similarity:
        the speller's closest spelling or, for Latin letters, the romanised Thai word it
        sounds like, whichever is closer."""
        if len(word) < 3 or word.isdigit():
            return None
        if " " in word:  # Latin words joined: only romanised Thai spans words
            return self.romanised.lookup(word) if word.replace(" ", "").isalpha() else None
        best = self.speller.correct(word)
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

    def prepare_semantic(
        self,
        cache: VectorCache | None = None,
        budget: int | None = None,
        calibrate_on: list[str] | None = None,
    ) -> bool:
        """Embed what the sentence model reads of each entry (`phrasings`), from `cache`
        where it has them, and from then on blend its similarity into the scores. Embedding
        a text not in the cache is slow, so the bot calls it in a thread. With a `budget`,
        nothing is embedded when more than that many texts are missing: the caller embeds
        them in the background (`embed_missing`) and prepares again. With `calibrate_on`,
        the thresholds are calibrated with the model before it comes into service, so a
        question never meets the model with thresholds placed without it. Returns whether
        the model is in use: not where the engine cannot run, nor over the budget."""
        if self._semantic is not None:
            return True
        model = semantic.embedder()
        if model is None:
            return False
        texts, starts = self.phrasings()
        cache = cache or VectorCache(None)
        if budget is not None and cache.missing(texts) > budget:
            return False
        vectors = cache.vectors(texts, model)
        cache.save()
        index = SemanticIndex(vectors, np.asarray(starts, dtype=np.intp), model)
        if calibrate_on is not None:
            self.calibrate(calibrate_on, cache, index)
        self._semantic = index
        return True

    def embed_missing(self, cache: VectorCache, stop: threading.Event | None = None) -> int:
        """Embed what `prepare_semantic` would need into `cache`, without putting the model
        in service: for a large knowledge base, in the background. Saved as it goes, so a
        restart resumes where it stopped; `stop` ends it between two batches. Returns how
        many texts it covered."""
        model = semantic.embedder()
        if model is None:
            return 0
        texts, _ = self.phrasings()
        done = 0
        for i in range(0, len(texts), EMBED_BATCH):
            if stop is not None and stop.is_set():
                break
            cache.vectors(texts[i : i + EMBED_BATCH], model)
            cache.save()
            done = min(len(texts), i + EMBED_BATCH)
        return done

    def phrasings(self) -> tuple[list[str], list[int]]:
        """What the sentence model embeds, in matcher order, and where each entry's texts
        begin: every title, question and learned phrasing; or, above semantic.UNIT_LIMIT
        of them, one passage an entry (semantic.passage)."""
        texts: list[str] = []
        starts: list[int] = []
        for e in self.kb:
            starts.append(len(texts))
            texts += [e.title, *e.questions, *e.learned]
        if len(texts) <= semantic.UNIT_LIMIT:
            return texts, starts
        passages = [
            semantic.passage(e.title, [*e.questions, *e.learned], e.keywords, e.answer)
            for e in self.kb
        ]
        return passages, list(range(len(passages)))

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
        known = [bool(exp) and self.terms.knows(exp[0]) for exp in expanded]
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
                    if self.speller.is_other_word(joined):
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
            parts = self.text.expand(term)[1:] if self.terms.knows(term) else ()
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
        t = self.thresholds
        shift = t.latin_shift if calibration.latin_script(question) else 0.0
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        order = sorted(top.tolist(), key=lambda i: (-scores[i], self._ids[i]))
        # A question in Latin letters is scored on the scale of a Thai one (calibration).
        ranked = tuple(
            Scored(self._ids[i], float(scores[i]) + shift) for i in order if scores[i] > 0
        )
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
        self,
        question: str,
        vector: npt.NDArray[np.float32] | None = None,
        index: SemanticIndex | None = None,
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
        scores = a * self.terms.coverage(terms) + (1 - a) * self._shape(words + meant)
        if index is None:
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

    def calibrate(
        self,
        questions: list[str],
        cache: VectorCache | None = None,
        index: SemanticIndex | None = None,
    ) -> Calibration:
        """Place the answer and suggest thresholds for this knowledge base from questions it
        should not answer (kb/calibration.py), for the sentence model's `index` (default:
        the one in service, if any). With the model, their vectors come from `cache`
        (shipped beside the calibration file) or are embedded once."""
        index = index or self._semantic
        vectors: npt.NDArray[np.float32] | None = None
        if index is not None:
            vectors = (cache or VectorCache(None)).vectors(questions, index.model)
        best = np.zeros(len(questions))
        lead = np.zeros(len(questions))
        meaning = np.zeros(len(questions))
        for n, q in enumerate(questions):
            found = self._scores(q, None if vectors is None else vectors[n], index)
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
        t = self.t if index is None else self.t_semantic
        latin = np.array([calibration.latin_script(q) for q in questions], dtype=bool)
        placed = calibration.derive(
            best, lead, t.margin, None if vectors is None else meaning, latin
        )
        tuned = replace(
            t,
            answer=placed.answer,
            suggest=placed.suggest,
            model_suggest=placed.model_suggest,
            latin_shift=placed.latin_shift,
        )
        if index is None:
            self.t = tuned
        else:
            self.t_semantic = tuned
        self.calibration = placed
        return placed

    def _shape(self, words: list[str]) -> npt.NDArray[np.float64]:
        """Best trigram cosine between the question and each entry's units."""
        return self.shapes.scores(shape_text(words, self.text.expand_all(words)))

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
