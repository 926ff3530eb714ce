"""The knowledge base with its matcher: built together, replaced together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from kb.loader import load_kb
from kb.matcher import Matcher, Thresholds
from kb.model import KnowledgeBase
from kb.thai import ThaiText, load_lexicon


@dataclass(frozen=True)
class Knowledge:
    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def load(
        cls,
        kb_path: str | Path,
        lexicon_path: str | Path,
        tz: tzinfo,
        thresholds: Thresholds | None = None,
    ) -> Knowledge:
        kb = load_kb(kb_path, tz)
        lexicon = load_lexicon(lexicon_path)
        # Keywords are the knowledge base's own terms: segment them as whole words.
        terms = [k for e in kb for k in e.keywords]
        return cls(kb, Matcher(kb, ThaiText(lexicon, terms), thresholds))
