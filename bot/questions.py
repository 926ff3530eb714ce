"""Residents' questions and how the bot answered them (owns `questions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.handoffs import Handoffs
from bot.store import Store, stamp, utcnow


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    user_id: int | None
    asked_at: datetime
    text: str
    outcome: str
    top_id: str | None
    score: float


class Questions:
    # /forgetme (bot.erasure): everything they asked.
    ERASE = ("questions", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def log(
        self,
        user_id: int | None,
        text: str,
        outcome: str,
        top_id: str | None,
        score: float,
        at: datetime | None = None,
    ) -> int:
        """Store a resident's question and how the bot answered; returns its id."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT INTO questions (user_id, asked_at, text, outcome, top_id, score)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, stamp(at or utcnow()), text[:4096], outcome, top_id, score),
            )
        return int(cur.lastrowid or 0)

    async def mark_unanswered(self, question_id: int, user_id: int | None) -> bool:
        """The resident said none of the suggestions fit: count it as unanswered.

        Only the resident who asked can do this, so a forged button changes nothing.
        """
        async with self.store.transaction() as db:
            cur = await db.execute(
                "UPDATE questions SET outcome = 'fallback' WHERE id = ? AND user_id IS ?",
                (question_id, user_id),
            )
        return cur.rowcount == 1

    async def get(self, question_id: int) -> tuple[str, int | None] | None:
        """(text, the resident who asked it) of a stored question."""
        rows = await self.store.query(
            "SELECT text, user_id FROM questions WHERE id = ?", (question_id,)
        )
        return (rows[0]["text"], rows[0]["user_id"]) if rows else None

    async def counts(self, since: datetime) -> tuple[int, int]:
        """(questions asked, questions not answered directly) since a moment."""
        rows = await self.store.query(
            "SELECT COUNT(*) AS n, COUNT(CASE WHEN outcome != 'answer' THEN 1 END) AS missed"
            " FROM questions WHERE asked_at >= ?",
            (stamp(since),),
        )
        return int(rows[0]["n"]), int(rows[0]["missed"])

    async def weak(self, since: datetime, score_below: float) -> list[tuple[int, str]]:
        """(id, text) of questions not answered, or answered with a low score, newest first."""
        rows = await self.store.query(
            "SELECT id, text FROM questions"
            " WHERE asked_at >= ? AND (outcome != 'answer' OR score < ?) ORDER BY id DESC",
            (stamp(since), score_below),
        )
        return [(r["id"], r["text"]) for r in rows]

    async def purge(self, before: datetime) -> int:
        """Delete questions asked before a moment (the retention period), and what they were
        left for the organisers with; returns how many."""
        async with self.store.transaction() as db:
            await Handoffs.purge_in(db, stamp(before))
            cur = await db.execute("DELETE FROM questions WHERE asked_at < ?", (stamp(before),))
            deleted = cur.rowcount
            await cur.close()
        return deleted

    async def recent(self, outcome: str | None = None, limit: int = 100) -> list[LoggedQuestion]:
        """The newest questions, optionally only those with one outcome."""
        sql = "SELECT user_id, asked_at, text, outcome, top_id, score FROM questions"
        args: tuple[object, ...] = ()
        if outcome is not None:
            sql += " WHERE outcome = ?"
            args = (outcome,)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = await self.store.query(sql, (*args, limit))
        return [
            LoggedQuestion(
                r["user_id"],
                datetime.fromisoformat(r["asked_at"]),
                r["text"],
                r["outcome"],
                r["top_id"],
                r["score"],
            )
            for r in rows
        ]
