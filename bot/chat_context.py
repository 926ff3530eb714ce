"""What a resident was just shown, so a short follow-up ("จัดที่ไหน", "อันที่สอง") is read
about it (owns `chat_context`). One row per resident's private chat, kept in SQLite so a
restart in the middle of a conversation does not lose it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store import Store, stamp

# A follow-up comes within minutes of what it is about. After half an hour a short "กี่โมง"
# is more likely about something new, and answering it about an old entry would mislead.
CONTEXT_TTL = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class ChatContext:
    user_id: int
    entry_id: str | None  # the entry shown last (None: a list, no entry chosen from it yet)
    listed: tuple[str, ...]  # the last list's entry ids, in the order shown
    shown_at: datetime


class ChatContexts:
    # /forgetme (bot.erasure): what a resident looked at is about them.
    ERASE = ("chat_context", "user_id = :user")

    def __init__(self, store: Store, ttl: timedelta = CONTEXT_TTL) -> None:
        self.store = store
        self.ttl = ttl

    async def current(self, user_id: int, now: datetime) -> ChatContext | None:
        """The resident's live context, or None (none, or older than the TTL)."""
        rows = await self.store.query(
            "SELECT user_id, entry_id, listed, shown_at FROM chat_context WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return None
        r = rows[0]
        shown_at = datetime.fromisoformat(r["shown_at"])
        if now - shown_at > self.ttl:
            return None
        listed = json.loads(r["listed"])
        return ChatContext(r["user_id"], r["entry_id"], tuple(map(str, listed)), shown_at)

    async def entry_shown(
        self, user_id: int, entry_id: str, now: datetime, *, keep_list: bool = False
    ) -> None:
        """An entry was shown (an answer, details, a reminder, a follow-up). `keep_list`:
        it was picked from the last list, whose ordinals still hold."""
        listed = "listed" if keep_list else "'[]'"
        async with self.store.transaction() as db:
            # `listed` is one of our two constants above, never input.
            await db.execute(
                "INSERT INTO chat_context (user_id, entry_id, listed, shown_at)"
                " VALUES (:user, :entry, '[]', :at) ON CONFLICT (user_id) DO UPDATE SET"
                f" entry_id = :entry, listed = {listed}, shown_at = :at",
                {"user": user_id, "entry": entry_id, "at": stamp(now)},
            )

    async def list_shown(self, user_id: int, entry_ids: list[str], now: datetime) -> None:
        """A list was shown: its entries in order, and none of them chosen yet."""
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO chat_context (user_id, entry_id, listed, shown_at)"
                " VALUES (:user, NULL, :listed, :at) ON CONFLICT (user_id) DO UPDATE SET"
                " entry_id = NULL, listed = :listed, shown_at = :at",
                {"user": user_id, "listed": json.dumps(entry_ids), "at": stamp(now)},
            )

    async def purge(self, shown_before: datetime) -> int:
        """Delete contexts older than a moment; returns how many."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "DELETE FROM chat_context WHERE shown_at < ?", (stamp(shown_before),)
            )
            deleted = cur.rowcount
            await cur.close()
        return deleted
