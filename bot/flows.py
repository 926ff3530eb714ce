"""A resident's (or organiser's) place in a multi-step flow, so it survives a restart
(owns `flows`). One flow per person: starting one replaces whatever was going on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.store import Store, stamp, utcnow

# A flow idle this long is over: read as none, and deleted by the retention job (a sign-up
# abandoned half-way holds a typed name or phone).
FLOW_TTL = timedelta(minutes=30)


class FlowKind(StrEnum):
    SIGNUP = "signup"
    BROADCAST = "broadcast"
    STAFF_REPLY = "reply"  # an organiser answering a question left for them (/inbox)
    NEW_EVENT = "newevent"  # an organiser making an entry in Telegram (/newevent)
    EDIT_EVENT = "editevent"  # an organiser changing one field of it (/myevents)


class SignupStep(StrEnum):
    CONSENT = "consent"  # asked to agree to the PDPA notice
    SAVED = "saved"  # a returning resident: use the saved details or edit them
    NAME = "name"
    PHONE = "phone"
    PEOPLE = "people"  # how many seats


class BroadcastStep(StrEnum):
    AUDIENCE = "audience"
    COMPOSE = "compose"  # the organiser's next message is the announcement
    PREVIEW = "preview"  # shown exactly as residents will see it; send or discard


class StaffReplyStep(StrEnum):
    TEXT = "text"  # the organiser's next message is the reply (data: the question's id)


class NewEventStep(StrEnum):
    KIND = "kind"
    TITLE = "title"
    WHEN = "when"
    WHEN_OK = "when_ok"  # the date read back in full: right, or type it again
    PLACE = "place"
    SIGNUP = "signup"
    CAPACITY = "capacity"
    PEOPLE = "people"
    ANSWER = "answer"
    QUESTIONS = "questions"
    CONTACT = "contact"
    PREVIEW = "preview"  # shown as residents will see it: publish, redo a field, or drop


class EditEventStep(StrEnum):
    VALUE = "value"  # the organiser's next message is the field's new value
    WHEN_OK = "when_ok"  # a new date read back in full before it is applied


Step = SignupStep | BroadcastStep | StaffReplyStep | NewEventStep | EditEventStep
_STEPS: dict[FlowKind, type[Step]] = {
    FlowKind.SIGNUP: SignupStep,
    FlowKind.BROADCAST: BroadcastStep,
    FlowKind.STAFF_REPLY: StaffReplyStep,
    FlowKind.NEW_EVENT: NewEventStep,
    FlowKind.EDIT_EVENT: EditEventStep,
}


@dataclass(frozen=True, slots=True)
class Flow:
    user_id: int
    kind: FlowKind
    step: Step
    data: dict[str, Any]
    updated_at: datetime


class Flows:
    # /forgetme (bot.erasure): a flow half-way holds what they typed.
    ERASE = ("flows", "user_id = :user")

    def __init__(self, store: Store, ttl: timedelta = FLOW_TTL) -> None:
        self.store = store
        self.ttl = ttl

    async def current(self, user_id: int, kind: FlowKind | None = None) -> Flow | None:
        """The flow in progress (of that kind, if given), or None. A flow idle longer than
        the TTL is over and deleted; one of another kind is left as it is."""
        rows = await self.store.query(
            "SELECT user_id, kind, step, data, updated_at FROM flows WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return None
        r = rows[0]
        updated = datetime.fromisoformat(r["updated_at"])
        if utcnow() - updated > self.ttl:
            await self.end(user_id)
            return None
        try:
            found = FlowKind(r["kind"])
            step = _STEPS[found](r["step"])
        except ValueError:  # written by a newer bot: not ours to continue
            return None
        if kind is not None and found is not kind:
            return None
        return Flow(r["user_id"], found, step, json.loads(r["data"]), updated)

    async def save(self, user_id: int, kind: FlowKind, step: Step, data: dict[str, Any]) -> None:
        """Start the flow or move it to a step (its idle time starts again)."""
        if not isinstance(step, _STEPS[kind]):
            raise ValueError(f"{step!r} is not a step of a {kind} flow")
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO flows (user_id, kind, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,"
                " data = excluded.data, updated_at = excluded.updated_at",
                (user_id, kind.value, step.value, json.dumps(data, ensure_ascii=False),
                 stamp(utcnow())),
            )  # fmt: skip

    async def end(self, user_id: int) -> bool:
        """End whatever flow the person has (/cancel); True if there was one."""
        async with self.store.transaction() as db:
            return await self.end_in(db, user_id)

    @staticmethod
    async def end_in(db: aiosqlite.Connection, user_id: int) -> bool:
        """End the flow inside the caller's transaction (signing up completes it: both
        happen, or neither)."""
        cur = await db.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
        ended = cur.rowcount > 0
        await cur.close()
        return ended

    async def purge(self, idle_before: datetime) -> int:
        """Delete flows idle since before a moment; returns how many."""
        async with self.store.transaction() as db:
            cur = await db.execute("DELETE FROM flows WHERE updated_at < ?", (stamp(idle_before),))
            deleted = cur.rowcount
            await cur.close()
        return deleted
