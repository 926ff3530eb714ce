"""Questions residents leave for the organisers, and the organisers' replies (owns
`handoffs`).

A row is written when a resident taps "ส่งคำถามถึงเจ้าหน้าที่" under a fallback. An
organiser's reply is written into it before it is sent (state `sending`), so a reply a crash
interrupted is sent after the restart; it becomes `answered` once Telegram accepts it. The
question's text and the resident who asked stay in `questions` only: when the question is
deleted (the retention period, /forgetme) its handoff goes with it, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

import aiosqlite

from bot.flows import Flows
from bot.store import Store, stamp, utcnow

# A reply Telegram keeps refusing (not a block) is given up after this many tries, and the
# organiser is told.
REPLY_ATTEMPTS = 5


class HandoffState(StrEnum):
    WAITING = "waiting"  # left by the resident; in the organisers' /inbox
    SENDING = "sending"  # an organiser's reply, written, not yet accepted by Telegram
    ANSWERED = "answered"  # the reply reached the resident's chat
    BLOCKED = "blocked"  # the resident blocked the bot: the reply cannot reach them
    FAILED = "failed"  # Telegram refused it REPLY_ATTEMPTS times


@dataclass(frozen=True, slots=True)
class Handoff:
    question_id: int
    user_id: int  # the resident (their private chat) who asked
    text: str  # their question
    asked_at: datetime
    sent_at: datetime  # when they left it for the organisers
    state: HandoffState
    reply: str | None
    answered_by: int | None
    answered_at: datetime | None
    attempts: int


_SELECT = (
    "SELECT h.question_id, q.user_id, q.text, q.asked_at, h.sent_at, h.state, h.reply,"
    " h.answered_by, h.answered_at, h.attempts"
    " FROM handoffs h JOIN questions q ON q.id = h.question_id"
)


def _handoff(r: aiosqlite.Row) -> Handoff:
    return Handoff(
        r["question_id"],
        r["user_id"],
        r["text"],
        datetime.fromisoformat(r["asked_at"]),
        datetime.fromisoformat(r["sent_at"]),
        HandoffState(r["state"]),
        r["reply"],
        r["answered_by"],
        datetime.fromisoformat(r["answered_at"]) if r["answered_at"] else None,
        r["attempts"],
    )


Left = Literal["left", "already", "gone"]


class Handoffs:
    # /forgetme (bot.erasure): the handoffs of their questions (before the questions).
    ERASE = ("handoffs", "question_id IN (SELECT id FROM questions WHERE user_id = :user)")

    def __init__(self, store: Store) -> None:
        self.store = store
        # Replies being sent right now: the resend job and the organiser's handler never
        # send the same one at once (one process owns the database).
        self._sending: set[int] = set()

    async def leave(self, question_id: int, user_id: int, at: datetime | None = None) -> Left:
        """The resident leaves their question for the organisers: "left", "already" (a
        second tap changes nothing), or "gone" (deleted since, or not theirs)."""
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT 1 FROM questions WHERE id = ? AND user_id = ?", (question_id, user_id)
            ) as cur:
                if await cur.fetchone() is None:
                    return "gone"
            cur = await db.execute(
                "INSERT INTO handoffs (question_id, sent_at) VALUES (?, ?)"
                " ON CONFLICT (question_id) DO NOTHING",
                (question_id, stamp(at or utcnow())),
            )
            left = cur.rowcount == 1
            await cur.close()
        return "left" if left else "already"

    async def get(self, question_id: int) -> Handoff | None:
        """The handoff of a question, or None (never left, or the question was deleted)."""
        rows = await self.store.query(f"{_SELECT} WHERE h.question_id = ?", (question_id,))
        return _handoff(rows[0]) if rows else None

    async def waiting(self, limit: int = 10) -> tuple[list[Handoff], int]:
        """The oldest questions waiting for an organiser's reply, and how many wait in all."""
        rows = await self.store.query(
            f"{_SELECT} WHERE h.state = 'waiting' ORDER BY h.sent_at, h.question_id LIMIT ?",
            (limit,),
        )
        total = await self.store.query("SELECT COUNT(*) FROM handoffs WHERE state = 'waiting'")
        return [_handoff(r) for r in rows], int(total[0][0])

    async def reply(
        self, question_id: int, by: int, text: str, at: datetime | None = None
    ) -> Handoff | None:
        """Write an organiser's reply, to be sent, and end their reply flow, in one
        transaction. None when the question is no longer waiting (answered by someone else
        meanwhile, or deleted): nothing is written then, and the flow still ends."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "UPDATE handoffs SET state = 'sending', reply = ?, answered_by = ?,"
                " answered_at = ?, attempts = 0"
                " WHERE question_id = ? AND state = 'waiting'"
                " AND question_id IN (SELECT id FROM questions)",
                (text, by, stamp(at or utcnow()), question_id),
            )
            written = cur.rowcount == 1
            await cur.close()
            await Flows.end_in(db, by)
        return await self.get(question_id) if written else None

    async def unsent(self) -> list[Handoff]:
        """Replies written and not yet accepted by Telegram (a crash, a network error)."""
        rows = await self.store.query(f"{_SELECT} WHERE h.state = 'sending' ORDER BY h.answered_at")
        return [_handoff(r) for r in rows]

    async def claim(self, question_id: int) -> bool:
        """True if the reply is still to be sent and nobody in this process is sending it;
        it is then ours until `release`."""
        if question_id in self._sending:
            return False
        self._sending.add(question_id)
        rows = await self.store.query(
            "SELECT 1 FROM handoffs WHERE question_id = ? AND state = 'sending'", (question_id,)
        )
        if not rows:
            self._sending.discard(question_id)
        return bool(rows)

    def release(self, question_id: int) -> None:
        self._sending.discard(question_id)

    async def settle(self, question_id: int, state: HandoffState) -> None:
        """The reply was accepted (answered), or can never reach the resident (blocked)."""
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE handoffs SET state = ? WHERE question_id = ? AND state = 'sending'",
                (state.value, question_id),
            )

    async def attempt_failed(self, question_id: int) -> bool:
        """Not delivered this time; kept for the next round. True when that was the last
        try (the reply is then marked failed)."""
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE handoffs SET attempts = attempts + 1 WHERE question_id = ?", (question_id,)
            )
            cur = await db.execute(
                "UPDATE handoffs SET state = 'failed'"
                " WHERE question_id = ? AND state = 'sending' AND attempts >= ?",
                (question_id, REPLY_ATTEMPTS),
            )
            final = cur.rowcount == 1
            await cur.close()
        return final

    @staticmethod
    async def purge_in(db: aiosqlite.Connection, asked_before: str) -> None:
        """Inside the questions' purge: the handoffs of questions about to be deleted."""
        await db.execute(
            "DELETE FROM handoffs WHERE question_id IN"
            " (SELECT id FROM questions WHERE asked_at < ?)",
            (asked_before,),
        )
