"""The SQLite store (aiosqlite): the database connection, its transactions and the ordered
migrations of the schema.

Each table's rows are read and written by the one repository that owns it (bot/residents.py,
questions.py, people.py, signups.py, flows.py, subscriptions.py, broadcasts.py,
reminders.py, learned.py, chat_context.py); handlers never write SQL. Times are stored in
UTC as ISO 8601 text (`stamp`) and converted to the bot's zone only for display.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    [
        # A question a resident left for the organisers ("ส่งคำถามถึงเจ้าหน้าที่") and the
        # reply, written before it is sent. The text and the resident stay in `questions`.
        # No foreign key: rebuilding `questions` (DROP TABLE) would cascade into this one;
        # the questions' purge and erasure delete these rows in their own transaction.
        """CREATE TABLE handoffs (
            question_id  INTEGER PRIMARY KEY,
            sent_at      TEXT NOT NULL,
            state        TEXT NOT NULL DEFAULT 'waiting'
                         CHECK (state IN ('waiting', 'sending', 'answered', 'blocked', 'failed')),
            reply        TEXT,
            answered_by  INTEGER,
            answered_at  TEXT,
            attempts     INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX handoffs_by_state ON handoffs (state, sent_at)",
    ],
    [
        # What a resident was just shown, so "จัดที่ไหน" or "อันที่สอง" is read about it
        # (bot/chat_context.py). `listed`: the last list's entry ids, a JSON array in order.
        """CREATE TABLE chat_context (
            user_id     INTEGER PRIMARY KEY,
            entry_id    TEXT,
            listed      TEXT NOT NULL DEFAULT '[]',
            shown_at    TEXT NOT NULL
        )""",
        "CREATE INDEX chat_context_by_time ON chat_context (shown_at)",
    ],
    [
        # Entries organisers make and edit in Telegram (bot/entries.py), served with the YAML
        # files. `data`: the entry's fields as the YAML files write them, in JSON.
        """CREATE TABLE entries (
            id          TEXT PRIMARY KEY,
            data        TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN ('published', 'hidden', 'cancelled')),
            created_by  INTEGER NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        )""",
        # Who changed what, when: one row per change, the fields before and after (JSON).
        """CREATE TABLE entry_changes (
            id          INTEGER PRIMARY KEY,
            entry_id    TEXT NOT NULL,
            action      TEXT NOT NULL,
            changed_by  INTEGER NOT NULL,
            changed_at  TEXT NOT NULL,
            before      TEXT NOT NULL DEFAULT '{}',
            after       TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX entry_changes_by_entry ON entry_changes (entry_id, id)",
        # A change (new date, time or place; a cancellation) to tell one sign-up about,
        # queued in the change's transaction and deleted once Telegram accepts it.
        """CREATE TABLE entry_notices (
            id          INTEGER PRIMARY KEY,
            signup_id   INTEGER NOT NULL REFERENCES signups (id) ON DELETE CASCADE,
            change_id   INTEGER NOT NULL REFERENCES entry_changes (id),
            created_at  TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            UNIQUE (signup_id, change_id)
        )""",
        # An announcement of an entry carries its sign-up button (bot/broadcasts.py).
        "ALTER TABLE broadcasts ADD COLUMN entry_id TEXT",
        # A confirmed sign-up's check-in code (an unguessable token, made when first shown)
        # and whether staff have checked the resident in.
        """CREATE TABLE checkins (
            signup_id     INTEGER PRIMARY KEY REFERENCES signups (id) ON DELETE CASCADE,
            token         TEXT NOT NULL UNIQUE,
            created_at    TEXT NOT NULL,
            checked_in_at TEXT,
            checked_in_by INTEGER
        )""",
    ],
]


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer bot: this one would misread it, so it refuses."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def stamp(dt: datetime) -> str:
    """A moment as the database stores it: UTC, ISO 8601, to the second (sorts as text)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


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
        try:
            await store._migrate()
        except BaseException:
            await db.close()  # aiosqlite's thread would otherwise outlive the refusal
            raise
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
            raise SchemaTooNew(
                f"database schema version {current} is newer than this bot's"
                f" ({len(MIGRATIONS)}): run the newer bot, or a backup made before it"
            )
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            async with self.transaction() as db:
                for sql in statements:
                    await db.execute(sql)
                # PRAGMA takes no parameters; version is our own integer.
                await db.execute(f"PRAGMA user_version = {version}")
