"""Upgrading a database made by every older schema version: nothing is lost.

For each version v before the current one, a database is built by applying migrations
1..v, filled with representative rows in every table that exists at v, and opened with
`Store.open` (which migrates it to the latest). Rows and their key values must be there
afterwards, new columns defaulted or back-filled as their migration says, and the
repositories must read them. A new table needs rows here: the test fails until it has some.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat_context import ChatContexts
from bot.flows import FlowKind, Flows, SignupStep
from bot.handoffs import Handoffs
from bot.learned import Learned
from bot.people import People
from bot.questions import Questions
from bot.signups import NoticeKind, Outbox, Signups, Status
from bot.store import MIGRATIONS, SchemaTooNew, Store
from bot.subscriptions import Subscriptions

NOW = datetime.now(UTC).replace(microsecond=0)
T = (NOW - timedelta(minutes=5)).isoformat()  # recent: the flow is still live when read
ADMIN = 9

RESIDENTS = (1001, 1002, 1003, 1004, 1005)
QUESTIONS = [
    # (id, user, text, outcome, top_id, score)
    (1, 1001, "ตลาดเปิดกี่โมง", "fallback", None, 0.1),
    (2, 1002, "  ขอเบอร์สมหมาย  ", "suggest", "market", 0.4),
    (3, None, "ตลาดจอมพลอยู่ไหน", "answer", "market", 0.9),
]
PEOPLE = {1001: "สมศรี ใจดี", 1002: "บุญมี มีสุข", 1003: "John Smith", 1004: "นาย ก."}
SIGNUPS = [
    # (id, user, status, people, cancelled_at, promoted_at, notify)
    (1, 1001, "confirmed", 2, None, None, 0),
    (2, 1002, "waitlist", 1, None, None, 0),
    (3, 1003, "cancelled", 1, T, None, 0),
    (4, 1004, "confirmed", 1, None, T, 1),  # promoted from the waiting list, not yet told
]
DELIVERIES = {1001: "sent", 1002: "blocked", 1003: "pending"}
LEARNED = [
    # (entry, phrasing, source: the resident the migration to v5 should link, or None)
    ("market", "ตลาดเปิดกี่โมง", 1001),
    ("market", "ขอเบอร์สมหมาย", 1002),  # a question's text, trimmed
    ("forum", "เสวนาวันไหน", None),  # the organiser's own words: nobody's
]


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def insert(db: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    """Insert the columns the table has at this version (later ones are the migration's)."""
    row = {k: v for k, v in row.items() if k in columns(db, table)}
    marks = ", ".join("?" * len(row))
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", tuple(row.values()))


def fill_residents(db: sqlite3.Connection) -> None:
    for user in RESIDENTS:
        insert(db, "residents", {"user_id": user, "first_seen": T, "last_seen": T})


def fill_questions(db: sqlite3.Connection) -> None:
    for qid, user, text, outcome, top, score in QUESTIONS:
        insert(db, "questions", {"id": qid, "user_id": user, "asked_at": T, "text": text,
                                 "outcome": outcome, "top_id": top, "score": score})  # fmt: skip


def fill_people(db: sqlite3.Connection) -> None:
    for user, name in PEOPLE.items():
        insert(db, "people", {"user_id": user, "name": name, "phone": f"+6681234{user}",
                              "consent_at": T, "updated_at": T})  # fmt: skip


def fill_signups(db: sqlite3.Connection) -> None:
    # Before the outbox (v4), a promotion not yet told was signups.notify = 1.
    outbox = "outbox" in tables(db)
    for sid, user, status, people, cancelled, promoted, notify in SIGNUPS:
        notify = 0 if outbox else notify
        insert(db, "signups", {"id": sid, "entry_id": "forum", "entry_title": "เสวนาเมือง",
                               "user_id": user, "people": people, "status": status,
                               "created_at": T, "cancelled_at": cancelled,
                               "promoted_at": promoted, "notify": notify})  # fmt: skip


def fill_flows(db: sqlite3.Connection) -> None:
    data = '{"entry": "forum", "name": "สมใจ"}'
    insert(db, "flows", {"user_id": 1005, "kind": "signup", "step": "phone", "data": data,
                         "updated_at": T})  # fmt: skip


def fill_subscriptions(db: sqlite3.Connection) -> None:
    for user, topic in ((1001, "forums"), (1002, "livelihood"), (1002, "learning")):
        insert(db, "subscriptions", {"user_id": user, "topic": topic, "created_at": T})


def fill_broadcasts(db: sqlite3.Connection) -> None:
    insert(db, "broadcasts", {"id": 1, "created_by": ADMIN, "created_at": T,
                              "audience": "topic:forums", "kind": "text", "body": "<b>เสวนา</b>",
                              "status": "running", "progress_chat": ADMIN,
                              "progress_message": 77})  # fmt: skip


def fill_deliveries(db: sqlite3.Connection) -> None:
    for user, state in DELIVERIES.items():
        attempts = 0 if state == "pending" else 1
        insert(db, "deliveries", {"broadcast_id": 1, "user_id": user, "state": state,
                                  "attempts": attempts})  # fmt: skip


def fill_reminders_sent(db: sqlite3.Connection) -> None:
    for kind in ("1d@09:00", "2h"):
        insert(db, "reminders_sent", {"signup_id": 1, "kind": kind, "sent_at": T})


def fill_learned(db: sqlite3.Connection) -> None:
    # From v5 on the bot writes source_user itself; before, the migration back-fills it.
    for entry, phrasing, source in LEARNED:
        insert(db, "learned", {"entry_id": entry, "phrasing": phrasing, "added_by": ADMIN,
                               "added_at": T, "source_user": source})  # fmt: skip


def fill_outbox(db: sqlite3.Connection) -> None:
    insert(db, "outbox", {"signup_id": 1, "kind": "confirmed", "message_id": 55,
                          "created_at": T, "attempts": 2})  # fmt: skip
    insert(db, "outbox", {"signup_id": 4, "kind": "promoted", "created_at": T})


def fill_chat_context(db: sqlite3.Connection) -> None:
    listed = '["market", "forum"]'
    insert(db, "chat_context", {"user_id": 1001, "entry_id": "forum", "listed": listed,
                                "shown_at": T})  # fmt: skip


def fill_handoffs(db: sqlite3.Connection) -> None:
    # Question 1 waits for an organiser; question 2's reply was written, not yet sent.
    insert(db, "handoffs", {"question_id": 1, "sent_at": T})
    insert(db, "handoffs", {"question_id": 2, "sent_at": T, "state": "sending",
                            "reply": "โทร 043 <b>ค่ะ</b>", "answered_by": ADMIN,
                            "answered_at": T, "attempts": 1})  # fmt: skip


FILLERS = {
    "residents": fill_residents,
    "questions": fill_questions,
    "people": fill_people,
    "signups": fill_signups,
    "flows": fill_flows,
    "subscriptions": fill_subscriptions,
    "broadcasts": fill_broadcasts,
    "deliveries": fill_deliveries,
    "reminders_sent": fill_reminders_sent,
    "learned": fill_learned,
    "outbox": fill_outbox,
    "handoffs": fill_handoffs,
    "chat_context": fill_chat_context,
}


def tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return sorted(r[0] for r in rows)


def build(path: Path, version: int) -> list[str]:
    """A database as the bot at schema `version` left it, with rows; returns its tables."""
    db = sqlite3.connect(path)
    try:
        for statements in MIGRATIONS[:version]:
            for sql in statements:
                db.execute(sql)
        db.execute(f"PRAGMA user_version = {version}")
        present = tables(db)
        missing = set(present) - set(FILLERS)
        assert not missing, f"add representative rows for {sorted(missing)} to FILLERS"
        for table, fill in FILLERS.items():  # rows others point to come first
            if table in present:
                fill(db)
        db.commit()
        return present
    finally:
        db.close()


async def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await store.query(sql)]


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
async def test_upgrade_from_every_older_version_keeps_everything(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "bot.sqlite3"
    present = build(path, version)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        has = set(present)

        if "residents" in has:
            assert await rows(store, "SELECT user_id, first_seen, blocked_at FROM residents"
                              " ORDER BY user_id") == [(u, T, None) for u in RESIDENTS]  # fmt: skip
        if "questions" in has:
            assert (
                await rows(
                    store,
                    "SELECT id, user_id, text, outcome, top_id, score FROM questions ORDER BY id",
                )
                == QUESTIONS
            )
            assert await Questions(store).get(2) == ("  ขอเบอร์สมหมาย  ", 1002)
        if "people" in has:
            for user, name in PEOPLE.items():
                person = await People(store).get(user)
                assert person is not None and person.name == name
                assert person.phone == f"+6681234{user}"
        if "signups" in has:
            assert await rows(
                store, "SELECT id, user_id, status, people, cancelled_at, promoted_at FROM signups"
                " ORDER BY id"
            ) == [s[:6] for s in SIGNUPS]  # fmt: skip
            signups = Signups(store)
            assert [s.status for s in await signups.of_user(1001)] == [Status.CONFIRMED]
            assert [s.position for s in await signups.of_user(1002)] == [1]
            assert await signups.seats("forum") == (3, 1)
            # signups.notify is no longer used: a promotion not yet told is in the outbox,
            # moved there by the migration to v4 or written there since.
            assert await rows(store, "SELECT COUNT(*) FROM signups WHERE notify != 0") == [(0,)]
            notices = await Outbox(store).notices()
            told = [(n.kind, n.signup.id) for n in notices]
            assert (NoticeKind.PROMOTED, 4) in told
            if "outbox" in has:  # notices written since v4, untouched
                assert (NoticeKind.CONFIRMED, 1) in told
                (kept,) = [n for n in notices if n.kind is NoticeKind.CONFIRMED]
                assert (kept.message_id, kept.attempts) == (55, 2)
            assert len(notices) == (2 if "outbox" in has else 1)
        if "flows" in has:
            flow = await Flows(store).current(1005, FlowKind.SIGNUP)
            assert flow is not None and flow.step is SignupStep.PHONE
            assert flow.data == {"entry": "forum", "name": "สมใจ"}
        if "subscriptions" in has:
            subs = Subscriptions(store)
            assert await subs.topics(1002) == {"livelihood", "learning"}
            assert await subs.counts() == {"forums": 1, "livelihood": 1, "learning": 1}
        if "broadcasts" in has:
            assert await rows(
                store, "SELECT id, created_by, audience, status, progress_message FROM broadcasts"
            ) == [(1, ADMIN, "topic:forums", "running", 77)]
            assert await rows(
                store, "SELECT user_id, state FROM deliveries ORDER BY user_id"
            ) == sorted(DELIVERIES.items())
        if "reminders_sent" in has:
            assert await rows(
                store, "SELECT signup_id, kind FROM reminders_sent ORDER BY kind"
            ) == [(1, "1d@09:00"), (1, "2h")]
        if "learned" in has:
            assert (
                await rows(store, "SELECT entry_id, phrasing, source_user FROM learned ORDER BY id")
                == LEARNED
            )  # source_user back-filled from the questions' texts
            assert await Learned(store).by_entry() == {
                "market": ("ตลาดเปิดกี่โมง", "ขอเบอร์สมหมาย"),
                "forum": ("เสวนาวันไหน",),
            }
        if "chat_context" in has:
            ctx = await ChatContexts(store).current(1001, NOW)
            assert ctx is not None and (ctx.entry_id, ctx.listed) == ("forum", ("market", "forum"))
        if "handoffs" in has:
            handoffs = Handoffs(store)
            waiting, total = await handoffs.waiting()
            assert [(h.question_id, h.text, h.user_id) for h in waiting] == [
                (1, "ตลาดเปิดกี่โมง", 1001)
            ] and total == 1
            (unsent,) = await handoffs.unsent()
            assert (unsent.question_id, unsent.reply, unsent.answered_by, unsent.attempts) == (
                2, "โทร 043 <b>ค่ะ</b>", ADMIN, 1
            )  # fmt: skip
        # Every table of the older version still has all its rows.
        for table in present:
            (count,) = (await rows(store, f"SELECT COUNT(*) FROM {table}"))[0]
            assert count > 0, table
    finally:
        await store.close()


async def test_a_database_newer_than_the_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    newer = len(MIGRATIONS) + 1
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {newer}")
    db.commit()
    db.close()
    with pytest.raises(SchemaTooNew, match=f"version {newer} is newer.*\\({len(MIGRATIONS)}\\)"):
        await Store.open(path)
    # Left as it was: nothing created, the version not lowered.
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (newer,)
        assert tables(db) == []
    finally:
        db.close()
