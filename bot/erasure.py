"""/forgetme: one function that erases a resident from every table holding their Telegram id
or something they typed (PDPA), and gives the seats they held to the waiting list.

Each repository declares the rows of its table that are a resident's (`ERASE`: the table
and a condition, where `:user` is the resident's id); ERASURE puts them in the order they
must run. tests/test_privacy.py reads the live schema and fails when a table with such a
column is neither in ERASURE nor in NOT_RESIDENTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiosqlite

from bot.broadcasts import Broadcasts
from bot.chat_context import ChatContexts
from bot.checkins import Checkins
from bot.flows import Flows
from bot.handoffs import Handoffs
from bot.learned import Learned
from bot.notices import EntryNotices
from bot.people import People
from bot.questions import Questions
from bot.reminders import Reminders
from bot.residents import Residents
from bot.signups import CapacityOf, Outbox, Signup, Signups
from bot.store import Store, stamp, utcnow
from bot.subscriptions import Subscriptions

# Rows that point to a sign-up go before the sign-up; learned phrasings are matched against
# the resident's questions, and handoffs found through them, so both before the questions.
_DECLARED = (
    Reminders.ERASE,
    Checkins.ERASE,
    Outbox.ERASE,
    EntryNotices.ERASE,
    Learned.ERASE,
    Subscriptions.ERASE,
    Broadcasts.ERASE,
    Signups.ERASE,
    People.ERASE,
    Handoffs.ERASE,
    Questions.ERASE,
    Flows.ERASE,
    ChatContexts.ERASE,
    Residents.ERASE,
)
ERASURE: dict[str, str] = dict(_DECLARED)
if len(ERASURE) != len(_DECLARED):  # two repositories claiming one table would hide one
    raise RuntimeError("bot.erasure: a table is declared twice")
# Columns that look personal but hold organisers' ids and their own announcements.
NOT_RESIDENTS: dict[str, tuple[str, ...]] = {
    "broadcasts": ("created_by", "progress_chat", "body", "file_id"),
    "learned": ("added_by",),
    # Entries organisers made in Telegram, and the record of who changed what.
    "entries": ("created_by", "data"),
    "entry_changes": ("changed_by", "before", "after"),
    "checkins": ("checked_in_by",),  # the staff member who checked them in
}


@dataclass(frozen=True, slots=True)
class Forgotten:
    had_details: bool
    signups: int
    questions: int
    promoted: list[Signup] = field(default_factory=list)
    learned: int = 0  # phrasings learned from their questions


async def erase_user(db: aiosqlite.Connection, user_id: int) -> dict[str, int]:
    """Delete every row ERASURE names for the resident, inside the caller's transaction;
    returns the rows deleted per table."""
    counts = {}
    for table, where in ERASURE.items():
        # Table names and clauses are our own constants, never user input.
        cur = await db.execute(f"DELETE FROM {table} WHERE {where}", {"user": user_id})
        counts[table] = cur.rowcount
        await cur.close()
    return counts


async def forget(store: Store, user_id: int, capacity_of: CapacityOf) -> Forgotten:
    """Delete everything the bot holds about a resident and free their seats, at once."""
    now = stamp(utcnow())
    async with store.transaction() as db:
        held = await Signups.held_in(db, user_id)
        counts = await erase_user(db, user_id)
        promoted: list[Signup] = []
        for entry_id in held:
            promoted += await Signups.promote_in(db, entry_id, capacity_of(entry_id), now)
    return Forgotten(
        had_details=counts["people"] > 0,
        signups=counts["signups"],
        questions=counts["questions"],
        promoted=promoted,
        learned=counts["learned"],
    )
