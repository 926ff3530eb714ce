"""Check-in at the door (owns `checkins`): each confirmed sign-up's code, and who came.

A code is an unguessable token (`secrets.token_urlsafe`), made the first time the resident
is shown it and only for a confirmed sign-up; it is carried by the QR code's deep link
`/start ci_<token>`, so it never reveals the sign-up's row id and cannot be guessed from
another resident's. Staff checking someone in (by the code, or a sign-up found by phone or
name) is one write transaction: two staff scanning the same code at once see one check-in
and one "already checked in".
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

import aiosqlite
import segno

from bot.phone import normalize_phone
from bot.store import Store, stamp

# 16 random bytes: 22 characters of A-Z a-z 0-9 _ -, so "ci_" and the token (25) fit the
# 64 characters Telegram allows after ?start=.
TOKEN_BYTES = 16
TOKEN_RE = r"[A-Za-z0-9_-]{22}"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
FIND_LIMIT = 10  # sign-ups /checkin lists at most: a longer list is no use at a door

_ATTENDEE = (
    "SELECT s.id AS signup_id, s.entry_id, s.entry_title, s.user_id, s.people, s.status,"
    " p.name, p.phone, c.token, c.checked_in_at"
    " FROM signups s JOIN people p ON p.user_id = s.user_id"
    " LEFT JOIN checkins c ON c.signup_id = s.id"
)


class Outcome(StrEnum):
    CHECKED_IN = "checked_in"  # marked present now
    ALREADY = "already"  # was checked in before (`checked_in_at` says when)
    NOT_CONFIRMED = "not_confirmed"  # cancelled, or back on the waiting list: not let in


@dataclass(frozen=True, slots=True)
class Attendee:
    signup_id: int
    entry_id: str
    entry_title: str
    user_id: int
    name: str
    phone: str
    people: int
    confirmed: bool
    checked_in_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckIn:
    outcome: Outcome
    attendee: Attendee


def _attendee(row: aiosqlite.Row) -> Attendee:
    at = row["checked_in_at"]
    return Attendee(
        signup_id=row["signup_id"],
        entry_id=row["entry_id"],
        entry_title=row["entry_title"],
        user_id=row["user_id"],
        name=row["name"],
        phone=row["phone"],
        people=row["people"],
        confirmed=row["status"] == "confirmed",
        checked_in_at=datetime.fromisoformat(at) if at else None,
    )


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def deep_link(bot_username: str, token: str) -> str:
    """What the QR code holds: the phone's camera opens the bot with /start ci_<token>."""
    return f"https://t.me/{bot_username}?start=ci_{token}"


def qr_png(link: str) -> bytes:
    """The QR code of `link` as a PNG (segno: pure Python, no Pillow). Error correction M
    survives a cracked or dim phone screen; the 4-module quiet zone is what scanners need."""
    code = segno.make_qr(link, error="m")
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=4)
    return out.getvalue()


class Checkins:
    # /forgetme (bot.erasure): their check-ins, before the sign-ups they point to.
    ERASE = ("checkins", "signup_id IN (SELECT id FROM signups WHERE user_id = :user)")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def token_for(self, signup_id: int, user_id: int, now: datetime) -> str | None:
        """The code of the resident's own confirmed sign-up, made the first time it is asked
        for; None when the sign-up is not theirs or not confirmed (waiting, cancelled)."""
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT status FROM signups WHERE id = ? AND user_id = ?", (signup_id, user_id)
            ) as cur:
                row = await cur.fetchone()
            if row is None or row["status"] != "confirmed":
                return None
            await db.execute(
                "INSERT INTO checkins (signup_id, token, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (signup_id) DO NOTHING",
                (signup_id, new_token(), stamp(now)),
            )
            async with db.execute(
                "SELECT token FROM checkins WHERE signup_id = ?", (signup_id,)
            ) as cur:
                found = await cur.fetchone()
        assert found is not None
        return str(found["token"])

    async def by_token(self, token: str) -> Attendee | None:
        rows = await self.store.query(_ATTENDEE + " WHERE c.token = ?", (token,))
        return _attendee(rows[0]) if rows else None

    async def attendee(self, signup_id: int) -> Attendee | None:
        rows = await self.store.query(_ATTENDEE + " WHERE s.id = ?", (signup_id,))
        return _attendee(rows[0]) if rows else None

    async def check_in(self, token: str, staff_id: int, now: datetime) -> CheckIn | None:
        """Mark the code's sign-up present (staff scanned it); None for an unknown code."""
        async with self.store.transaction() as db:
            async with db.execute(_ATTENDEE + " WHERE c.token = ?", (token,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            return await self._mark(db, row, staff_id, now)

    async def check_in_signup(self, signup_id: int, staff_id: int, now: datetime) -> CheckIn | None:
        """Mark a sign-up present (found by phone or name at the door, where the resident
        may never have opened their code: it is made here); None for no such sign-up."""
        async with self.store.transaction() as db:
            async with db.execute(_ATTENDEE + " WHERE s.id = ?", (signup_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            return await self._mark(db, row, staff_id, now)

    @staticmethod
    async def _mark(
        db: aiosqlite.Connection, row: aiosqlite.Row, staff_id: int, now: datetime
    ) -> CheckIn:
        attendee = _attendee(row)
        if attendee.checked_in_at is not None:
            return CheckIn(Outcome.ALREADY, attendee)
        if not attendee.confirmed:
            return CheckIn(Outcome.NOT_CONFIRMED, attendee)
        at = stamp(now)
        await db.execute(
            "INSERT INTO checkins (signup_id, token, created_at, checked_in_at, checked_in_by)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (signup_id) DO UPDATE"
            " SET checked_in_at = excluded.checked_in_at, checked_in_by = excluded.checked_in_by",
            (attendee.signup_id, new_token(), at, at, staff_id),
        )
        marked = replace(attendee, checked_in_at=datetime.fromisoformat(at))
        return CheckIn(Outcome.CHECKED_IN, marked)

    async def find(self, query: str, entry_ids: Iterable[str]) -> list[Attendee]:
        """Confirmed sign-ups for these entries whose phone is the one typed (any way Thai
        people write it) or ends with the 4-9 digits typed, or whose name contains the text
        typed; at most FIND_LIMIT."""
        ids = sorted(set(entry_ids))
        text = " ".join(query.split())
        if not ids or not text:
            return []
        marks = ",".join("?" * len(ids))
        phone = normalize_phone(text)
        digits = re.sub(r"[\s-]", "", text).translate(_THAI_DIGITS)
        if phone is not None:
            where, arg = "p.phone = ?", phone
        elif re.fullmatch(r"[0-9]{4,9}", digits):
            # The last digits of a phone, as staff ask "เบอร์ลงท้าย 5678".
            where, arg = "substr(p.phone, -length(?)) = ?", digits
        else:
            # instr, not LIKE: a typed % or _ is then just a character.
            where, arg = "instr(lower(p.name), lower(?)) > 0", text
        rows = await self.store.query(
            f"{_ATTENDEE} WHERE s.status = 'confirmed' AND s.entry_id IN ({marks}) AND {where}"
            " ORDER BY p.name, s.id LIMIT ?",
            (*ids, *([arg] * where.count("?")), FIND_LIMIT),
        )
        return [_attendee(r) for r in rows]

    async def times(self, entry_id: str | None = None) -> dict[int, datetime]:
        """When each sign-up was checked in (for the export), by sign-up id."""
        sql = (
            "SELECT c.signup_id, c.checked_in_at FROM checkins c"
            " JOIN signups s ON s.id = c.signup_id WHERE c.checked_in_at IS NOT NULL"
        )
        args: tuple[object, ...] = ()
        if entry_id is not None:
            sql += " AND s.entry_id = ?"
            args = (entry_id,)
        rows = await self.store.query(sql, args)
        return {r["signup_id"]: datetime.fromisoformat(r["checked_in_at"]) for r in rows}

    async def attendance(self, entry_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Per entry: (confirmed sign-ups checked in, confirmed sign-ups)."""
        ids = sorted(set(entry_ids))
        if not ids:
            return {}
        rows = await self.store.query(
            "SELECT s.entry_id, COUNT(c.checked_in_at) AS came, COUNT(*) AS confirmed"
            " FROM signups s LEFT JOIN checkins c ON c.signup_id = s.id"
            f" WHERE s.status = 'confirmed' AND s.entry_id IN ({','.join('?' * len(ids))})"
            " GROUP BY s.entry_id",
            tuple(ids),
        )
        return {r["entry_id"]: (int(r["came"]), int(r["confirmed"])) for r in rows}
