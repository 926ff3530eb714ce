"""The SQLite store (aiosqlite): the one owner of the database connection.

Handlers never write SQL; they call methods here. Times are stored in UTC as ISO 8601 text
and converted to the bot's zone only for display.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

# Ordered migrations; the index + 1 is recorded in PRAGMA user_version. Never edit a shipped
# migration: append a new one.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE residents (
            user_id     INTEGER PRIMARY KEY,
            first_seen  TEXT NOT NULL,
            last_seen   TEXT NOT NULL
        )""",
        """CREATE TABLE questions (
            id          INTEGER PRIMARY KEY,
            user_id     INTEGER,
            asked_at    TEXT NOT NULL,
            text        TEXT NOT NULL,
            outcome     TEXT NOT NULL CHECK (outcome IN ('answer', 'suggest', 'fallback')),
            top_id      TEXT,
            score       REAL NOT NULL
        )""",
        "CREATE INDEX questions_by_time ON questions (asked_at)",
    ],
    [
        # Personal data lives here only, so /forgetme deletes it in one place (PDPA).
        """CREATE TABLE people (
            user_id     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            phone       TEXT NOT NULL CHECK (phone GLOB '+66[0-9]*'),
            consent_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        )""",
        # entry_id links to the knowledge base; the title is a snapshot so staff still see
        # what a sign-up was for after an entry is renamed or removed.
        """CREATE TABLE signups (
            id           INTEGER PRIMARY KEY,
            entry_id     TEXT NOT NULL,
            entry_title  TEXT NOT NULL,
            user_id      INTEGER NOT NULL REFERENCES people (user_id) ON DELETE CASCADE,
            people       INTEGER NOT NULL DEFAULT 1 CHECK (people BETWEEN 1 AND 20),
            status       TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlist', 'cancelled')),
            created_at   TEXT NOT NULL,
            cancelled_at TEXT,
            promoted_at  TEXT,
            notify       INTEGER NOT NULL DEFAULT 0  -- 1: a promotion not yet told
        )""",
        # One live sign-up per resident and entry: a double tap can never create two.
        """CREATE UNIQUE INDEX signups_one_live
            ON signups (entry_id, user_id) WHERE status != 'cancelled'""",
        "CREATE INDEX signups_by_entry ON signups (entry_id, status, id)",
        "CREATE INDEX signups_by_user ON signups (user_id)",
        # A resident's place in a multi-step flow, so it survives a restart.
        """CREATE TABLE flows (
            user_id     INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            step        TEXT NOT NULL,
            data        TEXT NOT NULL DEFAULT '{}',
            updated_at  TEXT NOT NULL
        )""",
    ],
    [
        # Telegram said "bot was blocked by the user"; a later /start clears it.
        "ALTER TABLE residents ADD COLUMN blocked_at TEXT",
        """CREATE TABLE subscriptions (
            user_id     INTEGER NOT NULL,
            topic       TEXT NOT NULL CHECK (topic IN ('forums', 'livelihood', 'learning')),
            created_at  TEXT NOT NULL,
            PRIMARY KEY (user_id, topic)
        )""",
        """CREATE TABLE broadcasts (
            id               INTEGER PRIMARY KEY,
            created_by       INTEGER NOT NULL,
            created_at       TEXT NOT NULL,
            audience         TEXT NOT NULL,
            kind             TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'document')),
            body             TEXT NOT NULL DEFAULT '',
            file_id          TEXT,
            status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled')),
            progress_chat    INTEGER,
            progress_message INTEGER,
            finished_at      TEXT
        )""",
        # One row per recipient, written when the broadcast is confirmed: the audience is
        # fixed then, and after a crash delivery resumes exactly where it stopped.
        """CREATE TABLE deliveries (
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
            user_id      INTEGER NOT NULL,
            state        TEXT NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'sent', 'blocked', 'failed')),
            attempts     INTEGER NOT NULL DEFAULT 0,
            error        TEXT,
            PRIMARY KEY (broadcast_id, user_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX deliveries_by_state ON deliveries (broadcast_id, state)",
        """CREATE TABLE reminders_sent (
            signup_id  INTEGER NOT NULL,
            kind       TEXT NOT NULL,
            sent_at    TEXT NOT NULL,
            PRIMARY KEY (signup_id, kind)
        ) WITHOUT ROWID""",
        # Residents' own phrasings, attached to an entry by an organiser (/unanswered).
        """CREATE TABLE learned (
            id        INTEGER PRIMARY KEY,
            entry_id  TEXT NOT NULL,
            phrasing  TEXT NOT NULL,
            added_by  INTEGER NOT NULL,
            added_at  TEXT NOT NULL,
            UNIQUE (entry_id, phrasing)
        )""",
    ],
    [
        # Replies that carry a commitment (confirmed, waitlisted, promoted, cancelled), written
        # in the same transaction as the change and deleted once Telegram accepts them, so a
        # crash in between is told after the restart. No text or user id here: the message is
        # rendered from the sign-up when sent, and erasing the sign-up erases its notices.
        """CREATE TABLE outbox (
            id          INTEGER PRIMARY KEY,
            signup_id   INTEGER NOT NULL REFERENCES signups (id) ON DELETE CASCADE,
            kind        TEXT NOT NULL
                        CHECK (kind IN ('confirmed', 'waitlisted', 'promoted', 'cancelled')),
            message_id  INTEGER,  -- the tapped message to replace; NULL: a new message
            created_at  TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX outbox_by_signup ON outbox (signup_id)",
        # Promotions not yet told move here; signups.notify is no longer used.
        """INSERT INTO outbox (signup_id, kind, created_at)
            SELECT id, 'promoted', COALESCE(promoted_at, created_at) FROM signups
            WHERE notify = 1 AND status = 'confirmed'""",
        "UPDATE signups SET notify = 0 WHERE notify = 1",
    ],
    [
        # The resident whose question an organiser turned into a learned phrasing: the text is
        # theirs, so /forgetme removes it too. Phrasings learned before this column existed
        # are linked by their text to the newest question that has it.
        "ALTER TABLE learned ADD COLUMN source_user INTEGER",
        """UPDATE learned SET source_user = (
            SELECT q.user_id FROM questions q
            WHERE trim(q.text) = learned.phrasing AND q.user_id IS NOT NULL
            ORDER BY q.id DESC LIMIT 1)""",
        "CREATE INDEX learned_by_source ON learned (source_user)",
        "CREATE INDEX questions_by_user ON questions (user_id)",
        "CREATE INDEX flows_by_time ON flows (updated_at)",
    ],
]

# Every table that holds a resident's Telegram id or something they typed, and which of its
# rows /forgetme deletes (`:user` is the resident's id). Rows that point to a sign-up go
# before the sign-up. tests/test_privacy.py reads the live schema and fails when a table with
# such a column is neither here nor in NOT_RESIDENTS.
ERASURE: dict[str, str] = {
    "reminders_sent": "signup_id IN (SELECT id FROM signups WHERE user_id = :user)",
    "outbox": "signup_id IN (SELECT id FROM signups WHERE user_id = :user)",
    # Phrasings from their questions: linked, or the same text as one of their questions.
    "learned": "source_user = :user"
    " OR phrasing IN (SELECT trim(text) FROM questions WHERE user_id = :user)",
    "subscriptions": "user_id = :user",
    "deliveries": "user_id = :user",
    "signups": "user_id = :user",
    "people": "user_id = :user",
    "questions": "user_id = :user",
    "flows": "user_id = :user",
    "residents": "user_id = :user",
}
# Columns that look personal but hold organisers' ids and their own announcements.
NOT_RESIDENTS: dict[str, tuple[str, ...]] = {
    "broadcasts": ("created_by", "progress_chat", "body", "file_id"),
    "learned": ("added_by",),
}


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


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    user_id: int | None
    asked_at: datetime
    text: str
    outcome: str
    top_id: str | None
    score: float


class Store:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
        # what the code says (sqlite3's implicit transactions hide the boundaries).
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; BEGIN IMMEDIATE takes the write lock up front."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")

    async def query(self, sql: str, args: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        """Read-only query. It waits for any open transaction: on this one connection it
        would otherwise read that transaction's uncommitted rows."""
        async with self._lock, self._db.execute(sql, args) as cur:
            return list(await cur.fetchall())

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"database schema version {current} is newer than this bot ({len(MIGRATIONS)})"
            )
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            async with self.transaction() as db:
                for sql in statements:
                    await db.execute(sql)
                # PRAGMA takes no parameters; version is our own integer.
                await db.execute(f"PRAGMA user_version = {version}")

    # ------------------------------------------------------------------ residents
    async def touch_resident(self, user_id: int) -> bool:
        """Record that a resident used the bot; True the first time we see them."""
        now = _ts(utcnow())
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO residents (user_id, first_seen, last_seen) VALUES (?, ?, ?)",
                (user_id, now, now),
            )
            first = cur.rowcount == 1
            if not first:
                # Writing to the bot again means they unblocked it.
                await db.execute(
                    "UPDATE residents SET last_seen = ?, blocked_at = NULL WHERE user_id = ?",
                    (now, user_id),
                )
        return first

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Telegram said the resident blocked the bot (or they came back with /start)."""
        now = _ts(utcnow())
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO residents (user_id, first_seen, last_seen, blocked_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                " SET blocked_at = excluded.blocked_at",
                (user_id, now, now, now if blocked else None),
            )

    # ------------------------------------------------------------------ questions
    async def log_question(
        self,
        user_id: int | None,
        text: str,
        outcome: str,
        top_id: str | None,
        score: float,
        at: datetime | None = None,
    ) -> int:
        """Store a resident's question and how the bot answered; returns its id."""
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO questions (user_id, asked_at, text, outcome, top_id, score)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, _ts(at or utcnow()), text[:4096], outcome, top_id, score),
            )
        return int(cur.lastrowid or 0)

    async def mark_unanswered(self, question_id: int, user_id: int | None) -> bool:
        """The resident said none of the suggestions fit: count it as unanswered.

        Only the resident who asked can do this, so a forged button changes nothing.
        """
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE questions SET outcome = 'fallback' WHERE id = ? AND user_id IS ?",
                (question_id, user_id),
            )
        return cur.rowcount == 1

    async def question_text(self, question_id: int) -> str | None:
        found = await self.question(question_id)
        return found[0] if found else None

    async def question(self, question_id: int) -> tuple[str, int | None] | None:
        """(text, the resident who asked it) of a stored question."""
        rows = await self.query("SELECT text, user_id FROM questions WHERE id = ?", (question_id,))
        return (rows[0]["text"], rows[0]["user_id"]) if rows else None

    async def question_counts(self, since: datetime) -> tuple[int, int]:
        """(questions asked, questions not answered directly) since a moment."""
        rows = await self.query(
            "SELECT COUNT(*) AS n, COUNT(CASE WHEN outcome != 'answer' THEN 1 END) AS missed"
            " FROM questions WHERE asked_at >= ?",
            (_ts(since),),
        )
        return int(rows[0]["n"]), int(rows[0]["missed"])

    async def weak_questions(self, since: datetime, score_below: float) -> list[tuple[int, str]]:
        """(id, text) of questions not answered, or answered with a low score, newest first."""
        rows = await self.query(
            "SELECT id, text FROM questions"
            " WHERE asked_at >= ? AND (outcome != 'answer' OR score < ?) ORDER BY id DESC",
            (_ts(since), score_below),
        )
        return [(r["id"], r["text"]) for r in rows]

    # ------------------------------------------------------------------ retention
    async def purge(self, questions_before: datetime, flows_before: datetime) -> tuple[int, int]:
        """Delete questions asked before one moment and flows idle since before another (a
        sign-up abandoned half-way keeps the typed name); returns (questions, flows)."""
        async with self.transaction() as db:
            cur = await db.execute(
                "DELETE FROM questions WHERE asked_at < ?", (_ts(questions_before),)
            )
            questions = cur.rowcount
            await cur.close()
            cur = await db.execute("DELETE FROM flows WHERE updated_at < ?", (_ts(flows_before),))
            flows = cur.rowcount
            await cur.close()
        return questions, flows

    async def questions(self, outcome: str | None = None, limit: int = 100) -> list[LoggedQuestion]:
        sql = "SELECT user_id, asked_at, text, outcome, top_id, score FROM questions"
        args: tuple[object, ...] = ()
        if outcome is not None:
            sql += " WHERE outcome = ?"
            args = (outcome,)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = await self.query(sql, (*args, limit))
        return [
            LoggedQuestion(
                r["user_id"],
                datetime.fromisoformat(r["asked_at"]),
                r["text"],
                r["outcome"],
                r["top_id"],
                r["score"],
            )
            for r in rows
        ]
