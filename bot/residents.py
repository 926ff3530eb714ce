"""Residents who have used the bot, and whether they blocked it (owns `residents`)."""

from __future__ import annotations

import aiosqlite

from bot.store import Store, stamp, utcnow


class Residents:
    # /forgetme (bot.erasure): the resident's row.
    ERASE = ("residents", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def touch(self, user_id: int) -> bool:
        """Record that a resident used the bot; True the first time we see them."""
        now = stamp(utcnow())
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO residents (user_id, first_seen, last_seen) VALUES (?, ?, ?)",
                (user_id, now, now),
            )
            first = cur.rowcount == 1
            if not first:
                # Writing to the bot again means they unblocked it.
                await db.execute(
                    "UPDATE residents SET last_seen = ?, blocked_at = NULL WHERE user_id = ?",
                    (now, user_id),
                )
        return first

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Telegram said the resident blocked the bot (or they came back with /start)."""
        now = stamp(utcnow())
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO residents (user_id, first_seen, last_seen, blocked_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                " SET blocked_at = excluded.blocked_at",
                (user_id, now, now, now if blocked else None),
            )

    @staticmethod
    async def mark_blocked(db: aiosqlite.Connection, user_id: int, at: str) -> None:
        """Inside the caller's transaction: a known resident blocked the bot (a broadcast
        found out while delivering; a resident it never saw is not added)."""
        await db.execute("UPDATE residents SET blocked_at = ? WHERE user_id = ?", (at, user_id))
