"""Phrasings residents really used, attached to entries by organisers (owns `learned`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import yaml

from bot.store import Store, stamp, utcnow


@dataclass(frozen=True, slots=True)
class LearnedPhrasing:
    entry_id: str
    phrasing: str
    added_by: int
    added_at: datetime


class Learned:
    # /forgetme (bot.erasure): phrasings from their questions, linked, or the same text as
    # one of their questions (learned before the link existed).
    ERASE = (
        "learned",
        "source_user = :user"
        " OR phrasing IN (SELECT trim(text) FROM questions WHERE user_id = :user)",
    )

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self, entry_id: str, phrasing: str, added_by: int, source_user: int | None = None
    ) -> bool:
        """Attach a phrasing to an entry; `source_user` is the resident who asked it, so that
        their /forgetme removes it (bot.erasure)."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO learned"
                " (entry_id, phrasing, added_by, added_at, source_user) VALUES (?, ?, ?, ?, ?)",
                (entry_id, phrasing.strip()[:500], added_by, stamp(utcnow()), source_user),
            )
            return cur.rowcount == 1

    async def all(self) -> list[LearnedPhrasing]:
        rows = await self.store.query(
            "SELECT entry_id, phrasing, added_by, added_at FROM learned ORDER BY entry_id, id"
        )
        return [
            LearnedPhrasing(
                r["entry_id"], r["phrasing"], r["added_by"], datetime.fromisoformat(r["added_at"])
            )
            for r in rows
        ]

    async def by_entry(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for item in await self.all():
            out.setdefault(item.entry_id, []).append(item.phrasing)
        return {k: tuple(v) for k, v in out.items()}


def to_yaml(items: list[LearnedPhrasing]) -> str:
    """The phrasings as a YAML snippet to merge into each entry's `questions:`."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        grouped.setdefault(item.entry_id, []).append(item.phrasing)
    body = yaml.safe_dump(
        {"learned": [{"id": k, "questions": v} for k, v in grouped.items()]},
        allow_unicode=True,
        sort_keys=False,
    )
    return "# Add these phrasings to the entries' `questions:` in data/kb, then reload.\n" + body
