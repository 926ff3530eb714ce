"""Notices of a change to an event, owed to each resident signed up (owns `entry_notices`).

Queued in the transaction that changes the entry (bot.entries), one per sign-up and change,
and deleted once Telegram accepts the message: a crash before then sends it after the
restart, and nobody is skipped. The text is built when it is sent, from the change's record
(bot.entries' `entry_changes`), so no personal data waits here.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store import Store

# A notice Telegram keeps refusing (a chat that is gone) is given up after this many tries.
NOTICE_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class EntryNotice:
    id: int
    signup_id: int
    user_id: int
    entry_id: str
    entry_title: str  # the sign-up's snapshot: the entry may be cancelled by now
    change_id: int
    attempts: int


class EntryNotices:
    # /forgetme (bot.erasure): notices about their sign-ups (before the sign-ups go).
    ERASE = ("entry_notices", "signup_id IN (SELECT id FROM signups WHERE user_id = :user)")

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sending: set[int] = set()  # being sent now by this process

    @staticmethod
    async def queue_in(db: aiosqlite.Connection, entry_id: str, change_id: int, now: str) -> int:
        """Inside the change's transaction: a notice for every resident confirmed or waiting.
        A notice of an earlier change not sent yet is superseded: the resident hears the
        latest once, not each step. Returns how many were queued."""
        await db.execute(
            "DELETE FROM entry_notices WHERE signup_id IN"
            " (SELECT id FROM signups WHERE entry_id = ?)",
            (entry_id,),
        )
        cur = await db.execute(
            "INSERT INTO entry_notices (signup_id, change_id, created_at)"
            " SELECT id, ?, ? FROM signups"
            " WHERE entry_id = ? AND status IN ('confirmed', 'waitlist') ORDER BY id",
            (change_id, now, entry_id),
        )
        queued = cur.rowcount
        await cur.close()
        return queued

    async def pending(self, limit: int = 200) -> list[EntryNotice]:
        """Notices not yet accepted by Telegram, oldest first, skipping residents who
        blocked the bot (they are kept: unblocking brings them)."""
        rows = await self.store.query(
            "SELECT n.id, n.signup_id, s.user_id, s.entry_id, s.entry_title, n.change_id,"
            " n.attempts FROM entry_notices n JOIN signups s ON s.id = n.signup_id"
            " LEFT JOIN residents r ON r.user_id = s.user_id"
            " WHERE r.blocked_at IS NULL ORDER BY n.id LIMIT ?",
            (limit,),
        )
        return [
            EntryNotice(
                r["id"], r["signup_id"], r["user_id"], r["entry_id"], r["entry_title"],
                r["change_id"], r["attempts"],
            )
            for r in rows
        ]  # fmt: skip

    async def count(self, change_id: int) -> int:
        """Notices of a change still waiting to be sent."""
        rows = await self.store.query(
            "SELECT COUNT(*) AS n FROM entry_notices WHERE change_id = ?", (change_id,)
        )
        return int(rows[0]["n"])

    async def claim(self, notice_id: int) -> bool:
        """True if the notice is still queued and nobody in this process is sending it; it is
        then ours until `release`."""
        if notice_id in self._sending:
            return False
        self._sending.add(notice_id)
        rows = await self.store.query("SELECT 1 FROM entry_notices WHERE id = ?", (notice_id,))
        if not rows:
            self._sending.discard(notice_id)
        return bool(rows)

    def release(self, notice_id: int) -> None:
        self._sending.discard(notice_id)

    async def sent(self, notice_id: int) -> None:
        """Telegram accepted it (or the resident blocked the bot): it is done."""
        async with self.store.transaction() as db:
            await db.execute("DELETE FROM entry_notices WHERE id = ?", (notice_id,))

    async def failed(self, notice_id: int) -> bool:
        """Count a refused attempt; True when the notice is given up (and deleted)."""
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE entry_notices SET attempts = attempts + 1 WHERE id = ?", (notice_id,)
            )
            cur = await db.execute(
                "DELETE FROM entry_notices WHERE id = ? AND attempts >= ?",
                (notice_id, NOTICE_ATTEMPTS),
            )
            gave_up = cur.rowcount > 0
            await cur.close()
        return gave_up
