"""Sign-ups: seats, the waiting list, and the replies that carry a commitment.

This module owns the `signups` table (`Signups`, which also holds the rules: capacity, a
waiting list served strictly in order) and the `outbox` table (`Outbox`). Every decision
about a seat is taken inside one write transaction, so two residents pressing at the same
moment can never both take the last seat, and a crash leaves either the whole sign-up or
none of it. The resident's details are `bot.people`'s; the flow that led here `bot.flows`'.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

import aiosqlite

from bot.flows import Flows
from bot.people import People
from bot.store import Store, stamp, utcnow

# Names: what a resident typed, or their Telegram profile name, before it is stored.
NAME_MIN, NAME_MAX = 2, 100
# Invisible characters a name made of "nothing" is written with (zero-width space, joiners,
# the word joiner, the BOM, the soft hyphen): removed before the name is judged.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_LINK = re.compile(
    r"https?://|www\.|t\.me/|telegram\.(me|dog)/|@[a-z0-9_]{4,}"
    r"|\b[a-z0-9-]+\.(com|net|org|info|io|me|co|th|ly|xyz|app|link|bot)\b",
    re.I,
)


def clean_name(text: str) -> str:
    """The name as it will be stored: invisible characters gone, whitespace single."""
    return " ".join(_INVISIBLE.sub("", text).split())


def name_ok(text: str) -> bool:
    """2-100 characters, at least two letters (Thai or any script: not emoji, digits or
    marks alone), no link or @username (the profile name is chosen by anyone, scammers too)."""
    name = clean_name(text)
    letters = sum(unicodedata.category(c).startswith("L") for c in name)
    return NAME_MIN <= len(name) <= NAME_MAX and letters >= 2 and not _LINK.search(name)


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


class NoticeKind(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Notice:
    """A reply that carries a commitment, waiting in the outbox until Telegram accepts it."""

    id: int
    kind: NoticeKind
    signup: Signup
    message_id: int | None  # the tapped message to replace, or None for a new message
    attempts: int


# A notice Telegram keeps refusing for reasons other than a blocked bot (a chat that is gone)
# is given up after this many attempts rather than retried for ever.
NOTICE_ATTEMPTS = 10

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


class Outbox:
    """Replies that carry a commitment (owns `outbox`): queued inside the transaction that
    makes the change, deleted once Telegram accepts them."""

    # /forgetme (bot.erasure): erasing the sign-up takes its notices (before the sign-up).
    ERASE = ("outbox", "signup_id IN (SELECT id FROM signups WHERE user_id = :user)")

    def __init__(self, store: Store) -> None:
        self.store = store
        # Notices being sent right now: the periodic round and a handler never send the same
        # one at once (one process owns the database).
        self._sending: set[int] = set()

    @staticmethod
    async def queue(
        db: aiosqlite.Connection,
        signup_id: int,
        kind: NoticeKind,
        now: str,
        message_id: int | None = None,
    ) -> None:
        """Queue a reply inside the caller's transaction: the change and its notice together."""
        await db.execute(
            "INSERT INTO outbox (signup_id, kind, message_id, created_at) VALUES (?, ?, ?, ?)",
            (signup_id, kind.value, message_id, now),
        )

    @staticmethod
    async def drop(db: aiosqlite.Connection, signup_id: int) -> None:
        """Inside the caller's transaction: replies not yet sent about a sign-up that no
        longer hold (it is being cancelled)."""
        await db.execute("DELETE FROM outbox WHERE signup_id = ?", (signup_id,))

    async def notices(
        self, user_id: int | None = None, signup_ids: Sequence[int] | None = None
    ) -> list[Notice]:
        """Replies not yet accepted by Telegram, oldest first (all, one resident's, or those
        about some sign-ups)."""
        where = ""
        args: tuple[object, ...] = ()
        if user_id is not None:
            where, args = " WHERE s.user_id = ?", (user_id,)
        elif signup_ids is not None:
            if not signup_ids:
                return []
            where = f" WHERE o.signup_id IN ({','.join('?' * len(signup_ids))})"
            args = tuple(signup_ids)
        rows = await self.store.query(
            "SELECT o.id AS notice_id, o.kind, o.message_id, o.attempts,"
            f" {', '.join('s.' + c for c in _SIGNUP_COLUMNS.split(', '))},"
            " (SELECT COUNT(*) FROM signups w WHERE w.entry_id = s.entry_id"
            "   AND w.status = 'waitlist' AND w.id <= s.id) AS pos"
            f" FROM outbox o JOIN signups s ON s.id = o.signup_id{where} ORDER BY o.id",
            args,
        )
        return [
            Notice(
                r["notice_id"],
                NoticeKind(r["kind"]),
                _signup(r, r["pos"] if r["status"] == Status.WAITLIST else None),
                r["message_id"],
                r["attempts"],
            )
            for r in rows
        ]

    async def claim(self, notice_id: int) -> bool:
        """True if the notice is still queued and nobody in this process is sending it; it is
        then ours until `release`. (Read after claiming: a notice listed a moment ago may
        have been sent and removed by a handler since.)"""
        if notice_id in self._sending:
            return False
        self._sending.add(notice_id)
        rows = await self.store.query("SELECT 1 FROM outbox WHERE id = ?", (notice_id,))
        if not rows:
            self._sending.discard(notice_id)
        return bool(rows)

    def release(self, notice_id: int) -> None:
        self._sending.discard(notice_id)

    async def notice_sent(self, notice_id: int) -> None:
        """Telegram accepted it (or it no longer needs saying): it leaves the outbox."""
        async with self.store.transaction() as db:
            await db.execute("DELETE FROM outbox WHERE id = ?", (notice_id,))

    async def notice_failed(self, notice_id: int) -> None:
        """Not delivered this time; kept for the next round, up to NOTICE_ATTEMPTS."""
        async with self.store.transaction() as db:
            await db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (notice_id,))
            await db.execute(
                "DELETE FROM outbox WHERE id = ? AND attempts >= ?", (notice_id, NOTICE_ATTEMPTS)
            )


class Signups:
    # /forgetme (bot.erasure): their sign-ups, after the rows that point to them.
    ERASE = ("signups", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

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
        message_id: int | None = None,
    ) -> SignupOutcome:
        """Save the resident's details (they consented) and take a seat or a waiting place.

        The reply (confirmed or waitlisted) is queued in the outbox in the same transaction;
        `message_id` is the tapped message it should replace, if any."""
        now = stamp(utcnow())
        async with self.store.transaction() as db:
            await People.save(db, user_id, name, phone, now)
            # Signing up completes the flow: both happen, or neither.
            await Flows.end_in(db, user_id)
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
            kind = NoticeKind.CONFIRMED if status is Status.CONFIRMED else NoticeKind.WAITLISTED
            await Outbox.queue(db, row["id"], kind, now, message_id)
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

    async def roster(self, entry_id: str | None = None) -> list[aiosqlite.Row]:
        """Every sign-up with the resident's name and phone (cancelled ones too), entry by
        entry, in sign-up order: the staff's list (bot.export)."""
        sql = (
            "SELECT s.id, s.entry_id, s.entry_title, s.status, s.people, s.created_at,"
            " s.cancelled_at, p.name, p.phone FROM signups s JOIN people p ON p.user_id = s.user_id"
        )
        args: tuple[object, ...] = ()
        if entry_id is not None:
            sql += " WHERE s.entry_id = ?"
            args = (entry_id,)
        return await self.store.query(sql + " ORDER BY s.entry_id, s.id", args)

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
        self,
        signup_id: int,
        user_id: int,
        capacity_of: CapacityOf,
        message_id: int | None = None,
    ) -> tuple[Signup | None, list[Signup]]:
        """Cancel the resident's own sign-up; returns it and whoever got its seat.

        A sign-up of theirs already cancelled is returned as it is, with nobody promoted (a
        second tap on "yes, cancel" changes nothing and still says cancelled); None when it is
        not theirs (an old or forged button). The reply "cancelled" is queued in the outbox in
        the same transaction, to replace `message_id` (the tapped message) if given."""
        now = stamp(utcnow())
        async with self.store.transaction() as db:
            # Replies not yet sent about this sign-up no longer hold.
            await Outbox.drop(db, signup_id)
            cur = await db.execute(
                "UPDATE signups SET status = 'cancelled', cancelled_at = ?"
                " WHERE id = ? AND user_id = ? AND status != 'cancelled'"
                " RETURNING " + _SIGNUP_COLUMNS,
                (now, signup_id, user_id),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                async with db.execute(
                    f"SELECT {_SIGNUP_COLUMNS} FROM signups WHERE id = ? AND user_id = ?",
                    (signup_id, user_id),
                ) as found:
                    done = await found.fetchone()
                return (_signup(done) if done is not None else None), []
            await Outbox.queue(db, row["id"], NoticeKind.CANCELLED, now, message_id)
            promoted = await self.promote_in(db, row["entry_id"], capacity_of(row["entry_id"]), now)
        return _signup(row), promoted

    @staticmethod
    async def promote_in(
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
                "UPDATE signups SET status = 'confirmed', promoted_at = ? WHERE id = ?",
                (now, row["id"]),
            )
            await Outbox.queue(db, row["id"], NoticeKind.PROMOTED, now)
            if free is not None:
                free -= row["people"]
            promoted.append(replace(_signup(row), status=Status.CONFIRMED))
        return promoted

    @staticmethod
    async def held_in(db: aiosqlite.Connection, user_id: int) -> list[str]:
        """Inside the caller's transaction: entries where the resident holds seats."""
        async with db.execute(
            "SELECT DISTINCT entry_id FROM signups WHERE user_id = ? AND status = 'confirmed'",
            (user_id,),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def rebalance(self, entry_ids: Sequence[str], capacity_of: CapacityOf) -> list[Signup]:
        """Promote where seats are free (a capacity raised in the knowledge base)."""
        now = stamp(utcnow())
        promoted: list[Signup] = []
        async with self.store.transaction() as db:
            for entry_id in entry_ids:
                promoted += await self.promote_in(db, entry_id, capacity_of(entry_id), now)
        return promoted

    async def waiting_entries(self) -> list[str]:
        rows = await self.store.query(
            "SELECT DISTINCT entry_id FROM signups WHERE status = 'waitlist'"
        )
        return [r["entry_id"] for r in rows]
