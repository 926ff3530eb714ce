"""Run a labelled question set through the matcher and measure it.

The question file (YAML):
    questions:
      - {q: "ปลูกผักตลาดจอมพลสมัครยังไง", id: kk-jompol-veg-plots, tags: [paraphrase]}
      - {q: "โรงพยาบาลเปิดกี่โมง", id: null, tags: [out-of-scope]}
`id: null` means the bot should not answer directly (out of scope).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.matching import Matcher, MatchResult
from kb.model import KnowledgeBase

OUT_OF_SCOPE = "out-of-scope"


@dataclass(frozen=True, slots=True)
class Labelled:
    q: str
    expected: str | None
    tags: tuple[str, ...]


@dataclass
class Report:
    total: int = 0
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    ranked_first: int = 0  # the right entry ranked first, answered or not
    offered: int = 0  # answered right, or offered among the "did you mean" choices
    wrong: int = 0  # in scope, and a wrong entry answered directly
    out_scope: int = 0
    rejected: int = 0
    out_offered: int = 0  # out of scope, and offered "did you mean" choices
    by_tag: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    failures: list[tuple[Labelled, MatchResult]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.in_scope if self.in_scope else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.in_scope if self.in_scope else 0.0

    @property
    def offered_rate(self) -> float:
        return self.offered / self.in_scope if self.in_scope else 0.0

    @property
    def out_offered_rate(self) -> float:
        return self.out_offered / self.out_scope if self.out_scope else 0.0

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.out_scope if self.out_scope else 0.0

    def tag_rate(self, tag: str) -> float:
        """Top-1 accuracy for an in-scope tag; rejection rate for out-of-scope."""
        ok, _, n = self.by_tag[tag]
        return ok / n if n else 0.0

    def format(self) -> str:
        lines = [
            f"questions: {self.total} ({self.in_scope} in scope, {self.out_scope} out of scope)",
            f"top-1 accuracy (in scope):   {self.top1_rate:6.1%}",
            f"top-3 recall (in scope):     {self.top3_rate:6.1%}",
            f"out-of-scope rejection:      {self.rejection_rate:6.1%}",
            f"ranked first (in scope):     {self.ranked_first / max(self.in_scope, 1):6.1%}"
            "  (answered or not)",
            f"answered or offered:         {self.offered_rate:6.1%}"
            '  (right answer, or among the "did you mean" choices)',
            f"wrong entry answered:        {self.wrong_rate:6.1%}  (in scope)",
            f"out of scope offered choices:{self.out_offered_rate:6.1%}",
            "",
            f"{'tag':<14}{'n':>5}{'top-1 / rejected':>18}{'top-3':>8}",
        ]
        for tag in sorted(self.by_tag):
            ok, ok3, n = self.by_tag[tag]
            top3 = "" if tag == OUT_OF_SCOPE else f"{ok3 / n:8.1%}"
            lines.append(f"{tag:<14}{n:>5}{ok / n:>18.1%}{top3}")
        return "\n".join(lines)


def load_questions(path: str | Path) -> list[Labelled]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with 'questions:', a list")
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: question #{n} needs q: (text), id: and tags:")
        tags = item.get("tags") or []
        expected = item.get("id")
        if expected is None and OUT_OF_SCOPE not in tags:
            tags = [*tags, OUT_OF_SCOPE]
        out.append(Labelled(item["q"], expected, tuple(tags)))
    return out


def evaluate(matcher: Matcher, questions: list[Labelled]) -> Report:
    known = {e.id for e in matcher.kb}
    report = Report()
    for item in questions:
        if item.expected is not None and item.expected not in known:
            raise ValueError(f"question {item.q!r} expects unknown entry id {item.expected!r}")
        result = matcher.match(item.q)
        report.total += 1
        if item.expected is None:
            report.out_scope += 1
            ok = result.answer_id is None
            report.rejected += ok
            report.out_offered += bool(result.suggestions)
            ok3 = ok
        else:
            report.in_scope += 1
            ok = result.answer_id == item.expected
            ok3 = item.expected in [s.entry_id for s in result.ranked[:3]]
            report.top1 += ok
            report.wrong += result.answer_id is not None and not ok
            report.top3 += ok3
            report.ranked_first += (
                bool(result.ranked) and result.ranked[0].entry_id == item.expected
            )
            report.offered += ok or item.expected in result.suggestions
        for tag in item.tags:
            counts = report.by_tag[tag]
            counts[0] += ok
            counts[1] += ok3
            counts[2] += 1
        if not ok:
            report.failures.append((item, result))
    return report


def baseline(kb: KnowledgeBase, questions: list[Labelled], rejection: float = 0.95) -> str:
    """A plain rapidfuzz `extractOne` over raw titles and phrasings, for comparison.

    Its cut-off is the lowest that still rejects `rejection` of the out-of-scope questions,
    i.e. the baseline gets the most favourable threshold for this very set.
    """
    from rapidfuzz import fuzz, process

    choices: list[str] = []
    owners: list[str] = []
    for e in kb:
        for text in (e.title, *e.questions):
            choices.append(text)
            owners.append(e.id)
    scored = []
    for item in questions:
        hit = process.extractOne(item.q, choices, scorer=fuzz.WRatio, processor=None)
        scored.append((item, owners[hit[2]] if hit else None, hit[1] if hit else 0.0))
    out_scores = sorted((s for item, _, s in scored if item.expected is None), reverse=True)
    allowed = int(len(out_scores) * (1 - rejection))
    cutoff = out_scores[allowed] + 1e-9 if out_scores else 0.0
    in_scope = [(item, got, s) for item, got, s in scored if item.expected is not None]
    top1 = sum(1 for item, got, s in in_scope if got == item.expected and s >= cutoff)
    ranked = sum(1 for item, got, _ in in_scope if got == item.expected)
    rejected = sum(1 for s in out_scores if s < cutoff)
    return (
        f"baseline (rapidfuzz extractOne, WRatio, cut-off {cutoff:.1f}): "
        f"top-1 {top1 / len(in_scope):.1%} at {rejected / max(len(out_scores), 1):.1%} rejection"
        f" (best match right {ranked / len(in_scope):.1%} before the cut-off)"
    )
