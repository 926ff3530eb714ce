"""Entries organisers make and edit in Telegram (owns `entries` and `entry_changes`).

They are served with the YAML files (kb.knowledge.Knowledge.combined) and pass the same
checks as `check-kb` (kb.loader.entry_from_fields), plus the rules only a live event has: no
start in the past, no capacity below the seats already taken. Every change is recorded (who,
when, the fields before and after) in the transaction that makes it, and so are the notices
owed to the residents signed up (bot.notices) and the waiting list's promotions when seats
are added: a crash leaves the whole change or none of it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.notices import EntryNotices
from bot.reminders import Reminders
from bot.signups import Signup, Signups
from bot.store import Store, stamp
from kb.loader import KBError, Problem, entry_fields, entry_from_fields
from kb.model import Entry

# What residents signed up must hear about when it changes.
NOTIFY_FIELDS = ("starts", "ends", "location")
SOURCE = "telegram"  # an entry's `source` when it was made in Telegram


class EntryState(StrEnum):
    PUBLISHED = "published"  # served to residents
    HIDDEN = "hidden"  # kept, not served (an organiser can show it again)
    CANCELLED = "cancelled"  # not served; the residents signed up were told


class Action(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    CLOSE = "close"  # sign-ups closed
    OPEN = "open"  # sign-ups opened again
    HIDE = "hide"
    SHOW = "show"
    CANCEL = "cancel"


# The state an action leaves the entry in, for those that change it.
_STATE_AFTER = {
    Action.HIDE: EntryState.HIDDEN,
    Action.SHOW: EntryState.PUBLISHED,
    Action.CANCEL: EntryState.CANCELLED,
}


class Refusal(StrEnum):
    INVALID = "invalid"  # the files' rules (problems: kb.loader's)
    PAST = "past"  # starts before now
    CAPACITY_BELOW_SEATS = "capacity_below_seats"  # seats: the seats already confirmed
    EXISTS = "exists"  # the id is taken
    UNKNOWN = "unknown"  # no entry made in Telegram with this id
    CANCELLED = "cancelled"  # a cancelled entry is not changed any more


class EntryRefused(Exception):
    """A change refused; `reason` says why, for the organiser's Thai message."""

    def __init__(
        self, reason: Refusal, problems: list[Problem] | None = None, seats: int = 0
    ) -> None:
        self.reason = reason
        self.problems = problems or []
        self.seats = seats
        super().__init__(f"{reason}: {'; '.join(p.message for p in self.problems)}")


@dataclass(frozen=True, slots=True)
class Made:
    """An entry made in Telegram, with its state and who made it."""

    entry: Entry
    state: EntryState
    created_by: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    entry_id: str
    action: Action
    changed_by: int
    changed_at: datetime
    before: dict[str, Any]  # the changed fields only
    after: dict[str, Any]
    notified: int = 0  # sign-ups queued to be told (bot.notices)
    promoted: list[Signup] = field(default_factory=list)  # from the waiting list

    @property
    def must_notify(self) -> bool:
        """Residents signed up must hear of it: a new date, time or place, or a
        cancellation."""
        return self.action is Action.CANCEL or (
            self.action is Action.EDIT and any(f in self.after for f in NOTIFY_FIELDS)
        )


def new_id(starts: datetime | None) -> str:
    """An id for a new entry: readable by staff in exports, unique, and within the files'
    id rules (so `kb export` writes it as it is)."""
    day = starts.strftime("%Y%m%d") if starts else "nodate"
    return f"tg-{day}-{secrets.token_hex(3)}"


class Entries:
    def __init__(self, store: Store, tz: tzinfo) -> None:
        self.store = store
        self.tz = tz

    # ------------------------------------------------------------------ reading
    async def published(self) -> list[Entry]:
        """The entries residents are served, oldest first."""
        return [m.entry for m in await self.all() if m.state is EntryState.PUBLISHED]

    async def all(self) -> list[Made]:
        rows = await self.store.query(
            "SELECT id, data, state, created_by, created_at, updated_at FROM entries"
            " ORDER BY created_at, id"
        )
        return [self._made(r) for r in rows]

    async def get(self, entry_id: str) -> Made | None:
        rows = await self.store.query(
            "SELECT id, data, state, created_by, created_at, updated_at FROM entries WHERE id = ?",
            (entry_id,),
        )
        return self._made(rows[0]) if rows else None

    async def history(self, entry_id: str) -> list[Change]:
        rows = await self.store.query(
            "SELECT * FROM entry_changes WHERE entry_id = ? ORDER BY id", (entry_id,)
        )
        return [_change(r) for r in rows]

    async def change(self, change_id: int) -> Change | None:
        rows = await self.store.query("SELECT * FROM entry_changes WHERE id = ?", (change_id,))
        return _change(rows[0]) if rows else None

    def _made(self, row: aiosqlite.Row) -> Made:
        # Stored entries passed these checks when written; a newer bot's fields would fail
        # them here, and then the row is a programming error, not an organiser's.
        entry = entry_from_fields(json.loads(row["data"]), SOURCE, self.tz)
        return Made(
            entry,
            EntryState(row["state"]),
            row["created_by"],
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["updated_at"]),
        )

    # ------------------------------------------------------------------ changing
    def validate(self, fields: Mapping[str, Any]) -> Entry:
        """The entry these fields make, by the files' rules; EntryRefused(INVALID) if not."""
        try:
            return entry_from_fields(fields, SOURCE, self.tz)
        except KBError as exc:
            raise EntryRefused(Refusal.INVALID, exc.problems) from None

    async def create(
        self, fields: Mapping[str, Any], by: int, now: datetime, taken: frozenset[str] = frozenset()
    ) -> Change:
        """Publish a new entry. `taken`: ids already served from the files."""
        entry = self.validate(fields)
        if entry.starts is not None and entry.starts < now:
            raise EntryRefused(Refusal.PAST)
        if entry.id in taken:
            raise EntryRefused(Refusal.EXISTS)
        at = stamp(now)
        data = entry_fields(entry)
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO entries (id, data, state, created_by, created_at,"
                " updated_at) VALUES (?, ?, 'published', ?, ?, ?)",
                (entry.id, _json(data), by, at, at),
            )
            if cur.rowcount != 1:
                raise EntryRefused(Refusal.EXISTS)
            change_id = await _record(db, entry.id, Action.CREATE, by, at, {}, data)
        return Change(change_id, entry.id, Action.CREATE, by, now, {}, data)

    async def edit(
        self, entry_id: str, changes: Mapping[str, Any], by: int, now: datetime
    ) -> Change:
        """Change some fields (None removes an optional one). Residents signed up are told
        of a new date, time or place; reminders follow the new time; seats added go to the
        waiting list in order."""
        async with self.store.transaction() as db:
            made, current = await self._current(db, entry_id)
            merged = {**current, **changes}
            merged = {k: v for k, v in merged.items() if v is not None}
            entry = self.validate(merged)
            after = entry_fields(entry)
            changed = sorted(k for k in set(current) | set(after) if current.get(k) != after.get(k))
            before = {k: current.get(k) for k in changed}
            after_changed = {k: after.get(k) for k in changed}
            if not changed:
                return Change(0, entry_id, Action.EDIT, by, now, {}, {})
            if "starts" in changed and entry.starts is not None and entry.starts < now:
                raise EntryRefused(Refusal.PAST)
            seats = await _confirmed_seats(db, entry_id)
            if entry.capacity is not None and entry.capacity < seats:
                raise EntryRefused(Refusal.CAPACITY_BELOW_SEATS, seats=seats)
            at = stamp(now)
            await db.execute(
                "UPDATE entries SET data = ?, updated_at = ? WHERE id = ?",
                (_json(after), at, entry_id),
            )
            change_id = await _record(db, entry_id, Action.EDIT, by, at, before, after_changed)
            result = Change(change_id, entry_id, Action.EDIT, by, now, before, after_changed)
            notified = 0
            if made is EntryState.PUBLISHED and result.must_notify:
                notified = await EntryNotices.queue_in(db, entry_id, change_id, at)
            if "starts" in changed:
                await Reminders.reset_in(db, entry_id)  # remind again, before the new time
            promoted: list[Signup] = []
            if made is EntryState.PUBLISHED and {"capacity", "signup", "closed"} & set(changed):
                if entry.accepts_signups(now):
                    promoted = await Signups.promote_in(db, entry_id, entry.capacity, at)
        return Change(
            change_id, entry_id, Action.EDIT, by, now, before, after_changed, notified, promoted
        )

    async def act(self, entry_id: str, action: Action, by: int, now: datetime) -> Change:
        """Close or open sign-ups, hide or show the entry, or cancel it (the residents signed
        up are told, once each)."""
        if action in (Action.CLOSE, Action.OPEN):
            return await self.edit(entry_id, {"closed": action is Action.CLOSE}, by, now)
        state = _STATE_AFTER.get(action)
        if state is None:
            raise ValueError(f"{action} is not a change of state")
        async with self.store.transaction() as db:
            made, _ = await self._current(db, entry_id)
            if made is state:
                return Change(0, entry_id, action, by, now, {}, {})
            at = stamp(now)
            await db.execute(
                "UPDATE entries SET state = ?, updated_at = ? WHERE id = ?",
                (state.value, at, entry_id),
            )
            before, after = {"state": made.value}, {"state": state.value}
            change_id = await _record(db, entry_id, action, by, at, before, after)
            notified = 0
            if action is Action.CANCEL:
                notified = await EntryNotices.queue_in(db, entry_id, change_id, at)
        return Change(change_id, entry_id, action, by, now, before, after, notified)

    async def _current(
        self, db: aiosqlite.Connection, entry_id: str
    ) -> tuple[EntryState, dict[str, Any]]:
        async with db.execute("SELECT data, state FROM entries WHERE id = ?", (entry_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise EntryRefused(Refusal.UNKNOWN)
        state = EntryState(row["state"])
        if state is EntryState.CANCELLED:
            raise EntryRefused(Refusal.CANCELLED)
        return state, json.loads(row["data"])


async def _confirmed_seats(db: aiosqlite.Connection, entry_id: str) -> int:
    async with db.execute(
        "SELECT COALESCE(SUM(people), 0) FROM signups WHERE entry_id = ? AND status = 'confirmed'",
        (entry_id,),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _record(
    db: aiosqlite.Connection,
    entry_id: str,
    action: Action,
    by: int,
    at: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> int:
    cur = await db.execute(
        "INSERT INTO entry_changes (entry_id, action, changed_by, changed_at, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (entry_id, action.value, by, at, _json(before), _json(after)),
    )
    change_id = cur.lastrowid
    await cur.close()
    assert change_id is not None
    return change_id


def _change(row: aiosqlite.Row) -> Change:
    return Change(
        row["id"],
        row["entry_id"],
        Action(row["action"]),
        row["changed_by"],
        datetime.fromisoformat(row["changed_at"]),
        json.loads(row["before"]),
        json.loads(row["after"]),
    )


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
