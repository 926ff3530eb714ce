"""Knowledge-base entries: what organisers write in data/kb/*.yaml, after validation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    EVENT = "event"
    PROGRAMME = "programme"
    ACTIVITY = "activity"
    FAQ = "faq"


class Cost(StrEnum):
    FREE = "free"
    PAID = "paid"


# Who an entry is for: the fixed words `audience:` may use, so "for children" finds every
# entry meant for them whoever wrote it.
# What a resident wants from a programme, for /programmes: income and jobs, help and funds,
# learning (and research).
TOPICS = ("income", "help", "learning")
AUDIENCES = (
    "everyone",
    "children",
    "youth",
    "students",
    "families",
    "elderly",
    "people-with-disabilities",
    "low-income",
    "job-seekers",
    "vendors",
    "farmers",
    "organisations",
)


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    kind: Kind
    title: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    starts: datetime | None = None
    ends: datetime | None = None
    location: str | None = None
    capacity: int | None = None
    signup: bool = False
    max_people: int = 1  # seats one sign-up may take (a parent with children)
    contact: str | None = None
    url: str | None = None
    cost: Cost | None = None  # None: the knowledge base does not say
    price: str | None = None  # what it costs, as organisers write it ("50 บาท")
    audience: tuple[str, ...] = ()  # words of AUDIENCES
    online: bool = False
    closed: bool = False  # sign-up is on but organisers closed it (no more sign-ups)
    topic: str | None = None  # a programme's group in /programmes: a word of TOPICS
    source: str = ""  # "file:line", for messages to organisers
    # Phrasings organisers approved from residents' own questions (stored in SQLite).
    learned: tuple[str, ...] = field(default=(), compare=False)

    def accepts_signups(self, now: datetime) -> bool:
        """Residents can sign up: sign-up is on, not closed, and the entry has not started."""
        return self.signup and not self.closed and (self.starts is None or self.starts > now)

    def is_upcoming(self, now: datetime) -> bool:
        """Dated and not yet over (an event in progress still counts)."""
        if self.starts is None:
            return False
        return (self.ends or self.starts) >= now


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    path: str = ""  # the first of `paths`
    paths: tuple[str, ...] = ()  # every file or folder it was loaded from

    def __post_init__(self) -> None:
        if not self.paths and self.path:
            object.__setattr__(self, "paths", (self.path,))
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        by_id: dict[str, Entry] = object.__getattribute__(self, "_by_id")
        return by_id.get(entry_id)

    def of_kind(self, *kinds: Kind) -> list[Entry]:
        return [e for e in self.entries if e.kind in kinds]

    def upcoming(self, now: datetime, kinds: Iterable[Kind] | None = None) -> list[Entry]:
        """Dated entries not yet over, soonest first."""
        wanted = set(kinds) if kinds is not None else None
        found = [
            e for e in self.entries if e.is_upcoming(now) and (wanted is None or e.kind in wanted)
        ]
        return sorted(found, key=lambda e: (e.starts, e.id))

    def counts_by_kind(self) -> dict[Kind, int]:
        counts = {k: 0 for k in Kind}
        for e in self.entries:
            counts[e.kind] += 1
        return counts
