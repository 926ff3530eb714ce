"""Sign-ups, the people who make them, and residents' places in a multi-step flow.

This module owns the `people`, `signups` and `flows` tables. Every decision about a seat is
taken inside one write transaction, so two residents pressing at the same moment can never
both take the last seat, and a crash leaves either the whole sign-up or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.store import Store, _ts, utcnow

# Seats still offered for an entry: None = no limit; 0 when the entry is gone or over.
CapacityOf = Callable[[str], int | None]


class Status(StrEnum):
    CONFIRMED = "confirmed"
    WAITLIST = "waitlist"
    CANCELLED = "cancelled"


class Result(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY = "already"


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Signup:
    id: int
    entry_id: str
    entry_title: str
    user_id: int
    people: int
    status: Status
    created_at: datetime
    cancelled_at: datetime | None = None
    position: int | None = None  # place in the waiting list, from 1


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    result: Result
    signup: Signup


@dataclass(frozen=True, slots=True)
class Forgotten:
    had_details: bool
    signups: int
    questions: int
    promoted: list[Signup] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Flow:
    user_id: int
    kind: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


_SIGNUP_COLUMNS = "id, entry_id, entry_title, user_id, people, status, created_at, cancelled_at"


def _signup(row: aiosqlite.Row, position: int | None = None) -> Signup:
    return Signup(
        id=row["id"],
        entry_id=row["entry_id"],
        entry_title=row["entry_title"],
        user_id=row["user_id"],
        people=row["people"],
        status=Status(row["status"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        cancelled_at=datetime.fromisoformat(row["cancelled_at"]) if row["cancelled_at"] else None,
        position=position,
    )


class Signups:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ people
    async def person(self, user_id: int) -> Person | None:
        rows = await self.store.query(
            "SELECT user_id, name, phone FROM people WHERE user_id = ?", (user_id,)
        )
        return Person(rows[0]["user_id"], rows[0]["name"], rows[0]["phone"]) if rows else None

    # ------------------------------------------------------------------ signing up
    async def sign_up(
        self,
        user_id: int,
        name: str,
        phone: str,
        entry_id: str,
        entry_title: str,
        capacity: int | None,
        people: int = 1,
    ) -> SignupOutcome:
        """Save the resident's details (they consented) and take a seat or a waiting place."""
        now = _ts(utcnow())
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO people (user_id, name, phone, consent_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                " SET name = excluded.name, phone = excluded.phone,"
                " updated_at = excluded.updated_at",
                (user_id, name, phone, now, now),
            )
            # Signing up completes the flow: both happen, or neither.
            await db.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            existing = await self._live(db, entry_id, user_id)
            if existing is not None:
                position = await self._position(db, existing)
                return SignupOutcome(Result.ALREADY, _signup(existing, position))
            status = Status.CONFIRMED
            if capacity is not None:
                async with db.execute(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'confirmed' THEN people END), 0),"
                    " COUNT(CASE WHEN status = 'waitlist' THEN 1 END)"
                    " FROM signups WHERE entry_id = ? AND status != 'cancelled'",
                    (entry_id,),
                ) as cur:
                    taken, waiting = await cur.fetchone()  # type: ignore[misc]
                # Nobody jumps the queue: with people waiting, a newcomer waits too.
                if waiting or taken + people > capacity:
                    status = Status.WAITLIST
            cur = await db.execute(
                "INSERT INTO signups (entry_id, entry_title, user_id, people, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING " + _SIGNUP_COLUMNS,
                (entry_id, entry_title, user_id, people, status.value, now),
            )
            row = await cur.fetchone()
            await cur.close()
            assert row is not None
            position = await self._position(db, row)
        result = Result.CONFIRMED if status is Status.CONFIRMED else Result.WAITLISTED
        return SignupOutcome(result, _signup(row, position))

    @staticmethod
    async def _live(db: aiosqlite.Connection, entry_id: str, user_id: int) -> aiosqlite.Row | None:
        async with db.execute(
            f"SELECT {_SIGNUP_COLUMNS} FROM signups"
            " WHERE entry_id = ? AND user_id = ? AND status != 'cancelled'",
            (entry_id, user_id),
        ) as cur:
            return await cur.fetchone()

    @staticmethod
    async def _position(db: aiosqlite.Connection, row: aiosqlite.Row) -> int | None:
        if row["status"] != Status.WAITLIST:
            return None
        async with db.execute(
            "SELECT COUNT(*) FROM signups WHERE entry_id = ? AND status = 'waitlist' AND id <= ?",
            (row["entry_id"], row["id"]),
        ) as cur:
            found = await cur.fetchone()
        return int(found[0]) if found else None

    async def of_user(self, user_id: int) -> list[Signup]:
        """The resident's live sign-ups (confirmed and waiting), oldest first."""
        rows = await self.store.query(
            f"SELECT {_SIGNUP_COLUMNS}, (SELECT COUNT(*) FROM signups w"
            "   WHERE w.entry_id = s.entry_id AND w.status = 'waitlist' AND w.id <= s.id) AS pos"
            " FROM signups s WHERE user_id = ? AND status != 'cancelled' ORDER BY id",
            (user_id,),
        )
        return [_signup(r, r["pos"] if r["status"] == Status.WAITLIST else None) for r in rows]

    async def for_entry(self, entry_id: str) -> list[Signup]:
        rows = await self.store.query(
            f"SELECT {_SIGNUP_COLUMNS} FROM signups WHERE entry_id = ? ORDER BY id", (entry_id,)
        )
        return [_signup(r) for r in rows]

    async def recent_entries(self, limit: int, live_only: bool = False) -> list[tuple[str, str]]:
        """(entry id, title) of entries with sign-ups, most recently signed up first; entries
        since removed from the knowledge base are included (staff still need them)."""
        where = " WHERE status != 'cancelled'" if live_only else ""
        rows = await self.store.query(
            f"SELECT entry_id, entry_title, MAX(id) AS last FROM signups{where}"
            " GROUP BY entry_id ORDER BY last DESC LIMIT ?",
            (limit,),
        )
        return [(r["entry_id"], r["entry_title"]) for r in rows]

    async def seats(self, entry_id: str) -> tuple[int, int]:
        """(seats taken by confirmed sign-ups, people waiting) for an entry."""
        rows = await self.store.query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'confirmed' THEN people END), 0) AS seats,"
            " COUNT(CASE WHEN status = 'waitlist' THEN 1 END) AS waiting"
            " FROM signups WHERE entry_id = ?",
            (entry_id,),
        )
        return int(rows[0]["seats"]), int(rows[0]["waiting"])

    async def reachable(self, entry_id: str, statuses: set[Status]) -> list[int]:
        """Residents signed up for an entry with one of these statuses, minus those who
        blocked the bot."""
        marks = ",".join("?" * len(statuses))
        rows = await self.store.query(
            "SELECT DISTINCT s.user_id FROM signups s"
            " LEFT JOIN residents r ON r.user_id = s.user_id"
            f" WHERE s.entry_id = ? AND s.status IN ({marks}) AND r.blocked_at IS NULL"
            " ORDER BY s.user_id",
            (entry_id, *sorted(statuses)),
        )
        return [r["user_id"] for r in rows]

    async def get(self, signup_id: int) -> Signup | None:
        rows = await self.store.query(
            f"SELECT {_SIGNUP_COLUMNS} FROM signups WHERE id = ?", (signup_id,)
        )
        return _signup(rows[0]) if rows else None

    # ------------------------------------------------------------------ cancelling
    async def cancel(
        self, signup_id: int, user_id: int, capacity_of: CapacityOf
    ) -> tuple[Signup | None, list[Signup]]:
        """Cancel the resident's own sign-up; returns it and whoever got its seat.

        None when it is not theirs or already cancelled (an old or forged button)."""
        now = _ts(utcnow())
        async with self.store.transaction() as db:
            cur = await db.execute(
                "UPDATE signups SET status = 'cancelled', cancelled_at = ?, notify = 0"
                " WHERE id = ? AND user_id = ? AND status != 'cancelled'"
                " RETURNING " + _SIGNUP_COLUMNS,
                (now, signup_id, user_id),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                return None, []
            promoted = await self._promote(db, row["entry_id"], capacity_of(row["entry_id"]), now)
        return _signup(row), promoted

    @staticmethod
    async def _promote(
        db: aiosqlite.Connection, entry_id: str, capacity: int | None, now: str
    ) -> list[Signup]:
        """Give freed seats to the waiting list in order (inside the caller's transaction)."""
        async with db.execute(
            "SELECT COALESCE(SUM(people), 0) FROM signups"
            " WHERE entry_id = ? AND status = 'confirmed'",
            (entry_id,),
        ) as cur:
            found = await cur.fetchone()
        free = (capacity - int(found[0]) if found else 0) if capacity is not None else None
        async with db.execute(
            f"SELECT {_SIGNUP_COLUMNS} FROM signups"
            " WHERE entry_id = ? AND status = 'waitlist' ORDER BY id",
            (entry_id,),
        ) as cur:
            waiting = list(await cur.fetchall())
        promoted = []
        for row in waiting:
            if free is not None and row["people"] > free:
                break  # strictly first come, first served: nobody is skipped for a smaller party
            await db.execute(
                "UPDATE signups SET status = 'confirmed', promoted_at = ?, notify = 1 WHERE id = ?",
                (now, row["id"]),
            )
            if free is not None:
                free -= row["people"]
            promoted.append(replace(_signup(row), status=Status.CONFIRMED))
        return promoted

    async def rebalance(self, entry_ids: Sequence[str], capacity_of: CapacityOf) -> list[Signup]:
        """Promote where seats are free (a capacity raised in the knowledge base)."""
        now = _ts(utcnow())
        promoted: list[Signup] = []
        async with self.store.transaction() as db:
            for entry_id in entry_ids:
                promoted += await self._promote(db, entry_id, capacity_of(entry_id), now)
        return promoted

    async def waiting_entries(self) -> list[str]:
        rows = await self.store.query(
            "SELECT DISTINCT entry_id FROM signups WHERE status = 'waitlist'"
        )
        return [r["entry_id"] for r in rows]

    # ------------------------------------------------------------------ promotions to tell
    async def unnotified(self) -> list[Signup]:
        """Promotions not yet told to the resident (e.g. the bot stopped in between)."""
        rows = await self.store.query(
            f"SELECT {_SIGNUP_COLUMNS} FROM signups WHERE notify = 1 AND status = 'confirmed'"
            " ORDER BY id"
        )
        return [_signup(r) for r in rows]

    async def mark_notified(self, signup_id: int) -> None:
        async with self.store.transaction() as db:
            await db.execute("UPDATE signups SET notify = 0 WHERE id = ?", (signup_id,))

    # ------------------------------------------------------------------ PDPA
    async def forget(self, user_id: int, capacity_of: CapacityOf) -> Forgotten:
        """Delete everything the bot holds about a resident; free their seats."""
        now = _ts(utcnow())
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT DISTINCT entry_id FROM signups WHERE user_id = ? AND status = 'confirmed'",
                (user_id,),
            ) as cur:
                held = [r[0] for r in await cur.fetchall()]
            counts = []
            await db.execute(
                "DELETE FROM reminders_sent WHERE signup_id IN"
                " (SELECT id FROM signups WHERE user_id = ?)",
                (user_id,),
            )
            for sql in (
                "DELETE FROM subscriptions WHERE user_id = ?",
                "DELETE FROM deliveries WHERE user_id = ?",
                "DELETE FROM signups WHERE user_id = ?",
                "DELETE FROM people WHERE user_id = ?",
                "DELETE FROM questions WHERE user_id = ?",
                "DELETE FROM flows WHERE user_id = ?",
                "DELETE FROM residents WHERE user_id = ?",
            ):
                cur = await db.execute(sql, (user_id,))
                counts.append(cur.rowcount)
                await cur.close()
            promoted: list[Signup] = []
            for entry_id in held:
                promoted += await self._promote(db, entry_id, capacity_of(entry_id), now)
        return Forgotten(
            had_details=counts[3] > 0, signups=counts[2], questions=counts[4], promoted=promoted
        )

    # ------------------------------------------------------------------ flows
    async def flow(self, user_id: int, ttl: timedelta) -> Flow | None:
        """The resident's flow in progress, or None (a flow idle longer than ttl is over)."""
        rows = await self.store.query(
            "SELECT user_id, kind, step, data, updated_at FROM flows WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return None
        r = rows[0]
        updated = datetime.fromisoformat(r["updated_at"])
        if utcnow() - updated > ttl:
            await self.end_flow(user_id)
            return None
        return Flow(r["user_id"], r["kind"], r["step"], json.loads(r["data"]), updated)

    async def save_flow(self, user_id: int, kind: str, step: str, data: dict[str, Any]) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO flows (user_id, kind, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,"
                " data = excluded.data, updated_at = excluded.updated_at",
                (user_id, kind, step, json.dumps(data, ensure_ascii=False), _ts(utcnow())),
            )

    async def end_flow(self, user_id: int) -> bool:
        async with self.store.transaction() as db:
            cur = await db.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            return cur.rowcount > 0
