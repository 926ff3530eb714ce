"""Reminders before dated entries, computed from the database and the knowledge base each time,
so a moved event reminds at its new time and a removed one not at all (owns `reminders_sent`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

import aiosqlite

from bot.store import Store, stamp, utcnow
from kb.model import Entry

_SPEC = re.compile(r"^(\d+)d@(\d{1,2})[:.](\d{2})$|^(\d+)([hm])$")


@dataclass(frozen=True, slots=True)
class Lead:
    """When to remind: `days` before at a clock time, or a fixed time before the start."""

    name: str  # as configured, e.g. "1d@09:00" or "2h"; also the key in reminders_sent
    days: int = 0
    at: time | None = None
    before: timedelta = timedelta(0)

    def due(self, starts: datetime, tz: tzinfo) -> datetime:
        if self.at is not None:
            day = starts.astimezone(tz).date() - timedelta(days=self.days)
            return datetime.combine(day, self.at, tzinfo=tz)
        return starts - self.before


def parse_leads(spec: str) -> tuple[Lead, ...]:
    """'1d@09:00,2h' -> the day before at 09.00 and two hours before. ValueError if malformed."""
    leads = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        m = _SPEC.match(part)
        if m is None:
            raise ValueError(f"reminder lead {part!r} is not like '1d@09:00', '2h' or '30m'")
        if m.group(1) is not None:
            hour, minute = int(m.group(2)), int(m.group(3))
            if hour > 23 or minute > 59:
                raise ValueError(f"reminder lead {part!r} has an impossible time")
            leads.append(Lead(part, days=int(m.group(1)), at=time(hour, minute)))
        else:
            amount = int(m.group(4))
            unit = timedelta(hours=1) if m.group(5) == "h" else timedelta(minutes=1)
            leads.append(Lead(part, before=amount * unit))
    return tuple(leads)


@dataclass(frozen=True, slots=True)
class Due:
    signup_id: int
    user_id: int
    entry: Entry
    lead: Lead


class Reminders:
    # /forgetme (bot.erasure): reminders of their sign-ups (before the sign-ups go).
    ERASE = ("reminders_sent", "signup_id IN (SELECT id FROM signups WHERE user_id = :user)")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def due(
        self, entries: list[Entry], leads: tuple[Lead, ...], now: datetime, tz: tzinfo
    ) -> tuple[list[Due], list[tuple[int, str]]]:
        """Reminders to send now, and earlier ones to skip because a later one is due too
        (after downtime a resident gets one reminder, not a pile)."""
        dated = {e.id: e for e in entries if e.starts is not None and e.starts > now}
        if not dated or not leads:
            return [], []
        marks = ",".join("?" * len(dated))
        rows = await self.store.query(
            "SELECT s.id, s.user_id, s.entry_id, s.created_at FROM signups s"
            " LEFT JOIN residents r ON r.user_id = s.user_id"
            f" WHERE s.status = 'confirmed' AND s.entry_id IN ({marks}) AND r.blocked_at IS NULL",
            tuple(dated),
        )
        sent_rows = await self.store.query(
            "SELECT signup_id, kind FROM reminders_sent WHERE signup_id IN"
            f" (SELECT id FROM signups WHERE status = 'confirmed' AND entry_id IN ({marks}))",
            tuple(dated),
        )
        sent = {(r["signup_id"], r["kind"]) for r in sent_rows}
        send: list[Due] = []
        skip: list[tuple[int, str]] = []
        for r in rows:
            entry = dated[r["entry_id"]]
            assert entry.starts is not None
            signed_up = datetime.fromisoformat(r["created_at"])
            ready = sorted(
                (lead for lead in leads if lead.due(entry.starts, tz) <= now),
                key=lambda lead: lead.due(entry.starts, tz),  # type: ignore[arg-type]
            )
            # Signing up after a reminder's time needs no reminder of it.
            ready = [
                lead for lead in ready
                if (r["id"], lead.name) not in sent and lead.due(entry.starts, tz) > signed_up
            ]  # fmt: skip
            if not ready:
                continue
            *earlier, latest = ready
            send.append(Due(r["id"], r["user_id"], entry, latest))
            skip += [(r["id"], lead.name) for lead in earlier]
        return send, skip

    @staticmethod
    async def reset_in(db: aiosqlite.Connection, entry_id: str) -> None:
        """Inside the caller's transaction (an event moved): reminders already sent for the
        old time are forgotten, so residents are reminded before the new one."""
        await db.execute(
            "DELETE FROM reminders_sent WHERE signup_id IN"
            " (SELECT id FROM signups WHERE entry_id = ?)",
            (entry_id,),
        )

    async def claim(self, signup_id: int, kind: str) -> bool:
        """Record a reminder as sent before sending it, so it can never go out twice."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO reminders_sent (signup_id, kind, sent_at) VALUES (?, ?, ?)",
                (signup_id, kind, stamp(utcnow())),
            )
            return cur.rowcount == 1

    async def release(self, signup_id: int, kind: str) -> None:
        """The message did not go out (a network error): let the next round try again."""
        async with self.store.transaction() as db:
            await db.execute(
                "DELETE FROM reminders_sent WHERE signup_id = ? AND kind = ?", (signup_id, kind)
            )
