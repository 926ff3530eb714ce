"""Which residents asked to hear about which topics (owns the `subscriptions` table)."""

from __future__ import annotations

from bot.store import Store, stamp, utcnow

TOPICS = ("forums", "livelihood", "learning")


class Subscriptions:
    # /forgetme (bot.erasure): their topics.
    ERASE = ("subscriptions", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def topics(self, user_id: int) -> set[str]:
        rows = await self.store.query(
            "SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,)
        )
        return {r["topic"] for r in rows}

    async def set(self, user_id: int, topics: set[str]) -> None:
        """Replace the resident's topics (an empty set unsubscribes from everything)."""
        unknown = topics - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown topics: {sorted(unknown)}")
        now = stamp(utcnow())
        async with self.store.transaction() as db:
            await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            await db.executemany(
                "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
                [(user_id, t, now) for t in sorted(topics)],
            )

    async def audience(self, topic: str | None) -> list[int]:
        """Reachable subscribers of a topic (None: of any topic)."""
        sql = (
            "SELECT DISTINCT s.user_id FROM subscriptions s"
            " LEFT JOIN residents r ON r.user_id = s.user_id"
            " WHERE r.blocked_at IS NULL"
        )
        args: tuple[object, ...] = ()
        if topic is not None:
            sql += " AND s.topic = ?"
            args = (topic,)
        rows = await self.store.query(sql + " ORDER BY s.user_id", args)
        return [r["user_id"] for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self.store.query(
            "SELECT topic, COUNT(*) AS n FROM subscriptions GROUP BY topic"
        )
        found = {r["topic"]: r["n"] for r in rows}
        return {t: found.get(t, 0) for t in TOPICS}
