"""The knowledge base with its matcher: built together, replaced together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path

from kb.calibration import DEFAULT_PATH as DEFAULT_CALIBRATION
from kb.calibration import load_questions
from kb.loader import KBPaths, load_kb
from kb.matching import Matcher, MatchResult, Thresholds
from kb.model import Entry, KnowledgeBase
from kb.semantic import VectorCache, available, shipped_path
from kb.thai import ThaiText, load_lexicon


@dataclass(frozen=True)
class Knowledge:
    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def load(
        cls,
        kb_path: KBPaths,
        lexicon_path: str | Path,
        tz: tzinfo,
        thresholds: Thresholds | None = None,
    ) -> Knowledge:
        kb = load_kb(kb_path, tz)
        lexicon = load_lexicon(lexicon_path)
        # Keywords are the knowledge base's own terms: segment them as whole words.
        terms = [k for e in kb for k in e.keywords]
        return cls(kb, Matcher(kb, ThaiText(lexicon, terms), thresholds))

    def next_one(self, entry: Entry, result: MatchResult, now: datetime) -> Entry | None:
        """For a past dated entry answered to `result`, the upcoming entry of the same kind
        that also fits the question (ranked with it, at least at the suggest threshold), or
        None: the 2565 forum's answer points to the next forum."""
        if entry.starts is None or entry.is_upcoming(now):
            return None
        floor = self.matcher.thresholds.suggest
        for scored in result.ranked:
            other = self.kb.get(scored.entry_id)
            if scored.score < floor:
                break
            if other is not None and other.kind == entry.kind and other.is_upcoming(now):
                return other
        return None

    def with_learned(self, learned: Mapping[str, tuple[str, ...]]) -> Knowledge:
        """The same knowledge base with residents' approved phrasings indexed too (see
        `combined`)."""
        return self.combined((), learned)

    def combined(self, made: Sequence[Entry], learned: Mapping[str, tuple[str, ...]]) -> Knowledge:
        """This knowledge base (the files) with the entries organisers made in Telegram and
        residents' approved phrasings. An entry made in Telegram replaces a file's entry of
        the same id: it is the one organisers edit, and `check-kb` names the clash. The
        tokenizer is reused and only the index is rebuilt, and only if something differs:
        at start-up there is usually nothing, and an index of 10,000 entries takes seconds."""
        replaced = {e.id: e for e in made}
        entries = [replaced.pop(e.id, e) for e in self.kb] + list(replaced.values())
        entries = [
            e if e.learned == learned.get(e.id, ()) else replace(e, learned=learned.get(e.id, ()))
            for e in entries
        ]
        if len(entries) == len(self.kb) and all(
            a is b for a, b in zip(entries, self.kb, strict=True)
        ):
            return self
        kb = KnowledgeBase(tuple(entries), self.kb.path, self.kb.paths)
        return Knowledge(kb, Matcher(kb, self.matcher.text, self.matcher.t))

    def prepare(
        self,
        latin: bool = True,
        semantic: bool = True,
        vector_cache: Path | None = None,
        calibration: Path | None = DEFAULT_CALIBRATION,
        embed_budget: int | None = None,
    ) -> Knowledge:
        """What questions need, built now rather than on a resident's question: with
        `semantic`, the sentence model's vectors (from the file shipped with the knowledge
        base and the `vector_cache` file; about 11 s a thousand texts in neither, see
        kb/semantic.py; with `embed_budget`, the model waits when more than that many are
        missing: see `vectors_pending`); the thresholds calibrated on this knowledge base
        with the `calibration` questions (kb/calibration.py), again when the model comes
        into service; with `latin`, the keys for Latin-typed Thai. Returns self."""
        cache = self.vector_cache(vector_cache, calibration) if semantic else None
        questions = load_questions(calibration) if calibration is not None else None
        if cache is not None and not self.matcher.semantic:
            # Calibrated with the model as it comes into service, also after a background
            # start where the lexical thresholds served meanwhile.
            self.matcher.prepare_semantic(cache, embed_budget, questions)
        if questions is not None and self.matcher.calibration is None:
            self.matcher.calibrate(questions, cache)
        if cache is not None:
            cache.save()
        if latin:
            self.matcher.prepare_latin()
        return self

    def vector_cache(
        self, path: Path | None, calibration: Path | None = DEFAULT_CALIBRATION
    ) -> VectorCache:
        """The vector cache at `path`, seeded with the vectors shipped with this knowledge
        base and with the calibration questions."""
        shipped = [shipped_path(p) for p in self.kb.paths]
        extra = shipped_path(calibration) if calibration else None
        return VectorCache(path, *shipped, extra)

    def vectors_pending(self, semantic: bool = True) -> bool:
        """The model could serve this knowledge base but waits for its vectors (over the
        embedding budget): embed them in the background (`matcher.embed_missing`), then
        prepare again."""
        return semantic and available() and not self.matcher.semantic
