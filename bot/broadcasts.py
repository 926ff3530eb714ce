"""Broadcasts: stored before the first message goes out, delivered at Telegram's pace, resumed
after a crash (owns the `broadcasts` and `deliveries` tables).

Each recipient's state is written as soon as Telegram accepts their message, so a restart
resends only what was in flight at the moment of the crash.

An announcement of an entry (handlers/announce.py) is a broadcast with `entry_id` set: each of
its messages carries the entry's sign-up button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.residents import Residents
from bot.store import Store, stamp, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: int
    created_at: datetime
    audience: str
    kind: str  # text | photo | document
    body: str  # HTML (the organiser's own formatting, as Telegram serialised it)
    file_id: str | None
    status: str  # running | done | cancelled
    progress_chat: int | None
    progress_message: int | None
    entry_id: str | None = None  # an announcement: the entry whose sign-up button it carries


@dataclass(frozen=True, slots=True)
class Counts:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed + self.pending


_COLUMNS = (
    "id, created_by, created_at, audience, kind, body, file_id, status,"
    " progress_chat, progress_message, entry_id"
)


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        row["id"],
        row["created_by"],
        datetime.fromisoformat(row["created_at"]),
        row["audience"],
        row["kind"],
        row["body"],
        row["file_id"],
        row["status"],
        row["progress_chat"],
        row["progress_message"],
        row["entry_id"],
    )


class Broadcasts:
    # /forgetme (bot.erasure): their deliveries. The broadcasts themselves are organisers'.
    ERASE = ("deliveries", "user_id = :user")

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(
        self,
        created_by: int,
        audience: str,
        kind: str,
        body: str,
        file_id: str | None,
        recipients: list[int],
        progress_chat: int | None,
        *,
        entry_id: str | None = None,
        progress_message: int | None = None,
    ) -> Broadcast:
        """`entry_id`: an announcement whose messages carry this entry's sign-up button.
        `progress_message`: the organiser's message that shows its progress, when known
        already (written with the broadcast, so a tap delivered twice finds it)."""
        async with self.store.transaction() as db:
            cur = await db.execute(
                "INSERT INTO broadcasts (created_by, created_at, audience, kind, body, file_id,"
                " status, progress_chat, progress_message, entry_id)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)"
                f" RETURNING {_COLUMNS}",
                (
                    created_by, stamp(utcnow()), audience, kind, body, file_id, progress_chat,
                    progress_message, entry_id,
                ),
            )  # fmt: skip
            row = await cur.fetchone()
            await cur.close()
            assert row is not None
            await db.executemany(
                "INSERT OR IGNORE INTO deliveries (broadcast_id, user_id) VALUES (?, ?)",
                [(row["id"], uid) for uid in recipients],
            )
        return _broadcast(row)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        rows = await self.store.query(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return _broadcast(rows[0]) if rows else None

    async def shown_in(self, chat_id: int, message_id: int) -> Broadcast | None:
        """The broadcast whose progress this message shows, if any: the confirming tap of
        an announcement, delivered twice, finds the broadcast it already started."""
        rows = await self.store.query(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE progress_chat = ? AND progress_message = ?",
            (chat_id, message_id),
        )
        return _broadcast(rows[0]) if rows else None

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET progress_message = ? WHERE id = ?",
                (message_id, broadcast_id),
            )

    async def pending(self, broadcast_id: int) -> list[int]:
        rows = await self.store.query(
            "SELECT user_id FROM deliveries WHERE broadcast_id = ? AND state = 'pending'"
            " ORDER BY user_id",
            (broadcast_id,),
        )
        return [r["user_id"] for r in rows]

    async def mark(self, broadcast_id: int, user_id: int, state: str, error: str | None) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, error = ?"
                " WHERE broadcast_id = ? AND user_id = ?",
                (state, error, broadcast_id, user_id),
            )
            if state == "blocked":
                await Residents.mark_blocked(db, user_id, stamp(utcnow()))

    async def counts(self, broadcast_id: int) -> Counts:
        rows = await self.store.query(
            "SELECT state, COUNT(*) AS n FROM deliveries WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        )
        found = {r["state"]: r["n"] for r in rows}
        return Counts(
            found.get("sent", 0), found.get("blocked", 0), found.get("failed", 0),
            found.get("pending", 0),
        )  # fmt: skip

    async def finish(self, broadcast_id: int, status: str) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET status = ?, finished_at = ?"
                " WHERE id = ? AND status = 'running'",
                (status, stamp(utcnow()), broadcast_id),
            )

    async def running(self) -> list[Broadcast]:
        rows = await self.store.query(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE status = 'running' ORDER BY id"
        )
        return [_broadcast(r) for r in rows]

    async def recent(self, limit: int = 10) -> list[tuple[Broadcast, Counts]]:
        rows = await self.store.query(
            f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [(_broadcast(r), await self.counts(r["id"])) for r in rows]


async def send_content(
    bot: Bot,
    chat_id: int,
    kind: str,
    body: str,
    file_id: str | None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send a broadcast's content: the preview and every delivery go through here."""
    if kind == "photo":
        await bot.send_photo(chat_id, file_id or "", caption=body or None, reply_markup=markup)
    elif kind == "document":
        await bot.send_document(chat_id, file_id or "", caption=body or None, reply_markup=markup)
    else:
        await bot.send_message(chat_id, body, reply_markup=markup)


def signup_link(bot_username: str, entry_id: str) -> str:
    """A link that opens the bot with `/start signup_<id>` (handlers/signup.py's deep link)."""
    return f"https://t.me/{bot_username}?start=signup_{entry_id}"


def signup_markup(bot_username: str, entry_id: str) -> InlineKeyboardMarkup:
    """An announcement's "📝 สมัคร" button. A link, not a callback button: a link opens the
    bot for someone who never started it (a friend the message was forwarded to), where a
    callback would need a chat with the bot first."""
    button = InlineKeyboardButton(texts.BTN_SIGNUP, url=signup_link(bot_username, entry_id))
    return InlineKeyboardMarkup([[button]])


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after is an int today and a timedelta in a future PTB."""
    value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


Progress = Callable[[Broadcast, Counts, bool], Awaitable[None]]


class Delivery:
    """Delivers one broadcast. Telegram's pace is kept by the bot's rate limiter; here,
    enough requests are in flight to use all of it."""

    def __init__(
        self,
        bot: Bot,
        repo: Broadcasts,
        broadcast: Broadcast,
        on_progress: Progress,
        *,
        workers: int = 32,
        max_attempts: int = 3,
        progress_every: float = 3.0,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.broadcast = broadcast
        self.on_progress = on_progress
        self.workers = workers
        self.max_attempts = max_attempts
        self.progress_every = progress_every
        self._cancelled = asyncio.Event()
        self._paused = False

    def cancel(self) -> None:
        """The organiser stopped it: nobody else receives it, now or after a restart."""
        self._cancelled.set()

    def pause(self) -> None:
        """The bot is stopping: finish the messages in flight; resume at the next start."""
        self._paused = True
        self._cancelled.set()

    async def run(self) -> Counts:
        b = self.broadcast
        queue = list(reversed(await self.repo.pending(b.id)))
        reporter = asyncio.create_task(self._report())
        try:
            await asyncio.gather(*(self._worker(queue) for _ in range(self.workers)))
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
        if self._paused:
            return await self.repo.counts(b.id)
        status = "cancelled" if self._cancelled.is_set() else "done"
        await self.repo.finish(b.id, status)
        counts = await self.repo.counts(b.id)
        await self.on_progress(b, counts, True)
        return counts

    async def _report(self) -> None:
        last: Counts | None = None
        while True:
            await asyncio.sleep(self.progress_every)
            counts = await self.repo.counts(self.broadcast.id)
            if counts != last:
                await self.on_progress(self.broadcast, counts, False)
                last = counts

    async def _worker(self, queue: list[int]) -> None:
        while queue and not self._cancelled.is_set():
            user_id = queue.pop()
            state, error = await self._deliver(user_id)
            await self.repo.mark(self.broadcast.id, user_id, state, error)

    async def _deliver(self, user_id: int) -> tuple[str, str | None]:
        b = self.broadcast
        markup = signup_markup(self.bot.username, b.entry_id) if b.entry_id else None
        error = ""
        for _ in range(self.max_attempts):  # only Telegram's "retry after" tries again
            try:
                await send_content(self.bot, user_id, b.kind, b.body, b.file_id, markup)
                return "sent", None
            except Forbidden as exc:  # blocked the bot, or deactivated
                return "blocked", str(exc)
            except RetryAfter as exc:  # the rate limiter already waited and retried
                error = str(exc)
                await asyncio.sleep(retry_seconds(exc))
            except BadRequest as exc:  # chat not found and the like: trying again won't help
                return "failed", str(exc)
            except NetworkError as exc:
                # 5xx and timeouts were already retried by the request layer (bot/request.py,
                # posting methods at most twice more); trying again here would multiply its
                # tries, and a message Telegram took before the connection dropped would
                # reach the resident again each time.
                return "failed", str(exc)
            except TelegramError as exc:
                return "failed", str(exc)
        log.info("broadcast %s: giving up on %s after %d waits", b.id, user_id, self.max_attempts)
        return "failed", error
