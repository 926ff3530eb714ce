"""Pieces every feature's handlers share: callback data, the menu, sending long HTML safely."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import ContextTypes

from bot import texts
from bot.app import Services, services
from kb.matcher import MatchResult
from kb.model import Entry

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)

# Callback data: "<version>:<action>:<args...>". The version lets us change the layout later
# and recognise buttons on old messages instead of misreading them.
CB_VERSION = "a"
CB_MAX_BYTES = 64  # Telegram's limit, in bytes: a Thai character takes 3


def cb(action: str, *args: object) -> str:
    data = ":".join((CB_VERSION, action, *map(str, args)))
    if len(data.encode("utf-8")) > CB_MAX_BYTES:
        raise ValueError(f"callback data over {CB_MAX_BYTES} bytes: {data!r}")
    return data


def cb_pattern(action: str) -> str:
    return rf"^{CB_VERSION}:{action}(:|$)"


def cb_args(data: str | None, action: str, count: int) -> list[str] | None:
    """The arguments of a well-formed callback, or None for anything forged or stale."""
    if not data:
        return None
    parts = data.split(":")
    if len(parts) != count + 2 or parts[0] != CB_VERSION or parts[1] != action:
        return None
    return parts[2:]


def svc(context: Context) -> Services:
    return services(context.application)


async def match(context: Context, text: str) -> MatchResult:
    """Match in a worker thread: the sentence model takes milliseconds a question, and its
    engine releases the GIL, so other residents' updates are served meanwhile."""
    return await asyncio.to_thread(svc(context).knowledge.matcher.match, text)


def now(context: Context) -> datetime:
    return datetime.now(svc(context).settings.tz)


def button(text: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb(action, *args))


def menu_keyboard() -> InlineKeyboardMarkup:
    # One button per row: large targets for older residents on small phones.
    return InlineKeyboardMarkup(
        [
            [button(texts.BTN_EVENTS, "l", "ev", 0)],
            [button(texts.BTN_PROGRAMMES, "l", "pg", 0)],
            [button(texts.BTN_ACTIVITIES, "l", "ac", 0)],
            [button(texts.BTN_MY_SIGNUPS, "ms")],
            [button(texts.BTN_ASK, "q"), button(texts.BTN_HELP, "h")],
        ]
    )


def menu_row() -> list[InlineKeyboardButton]:
    return [button(texts.BTN_MENU, "m")]


def entry_keyboard(entry: Entry, context: Context, back: str | None = None) -> InlineKeyboardMarkup:
    """Under an entry's details: sign up (when open), then back to its list page or the menu."""
    rows: list[list[InlineKeyboardButton]] = []
    if entry.accepts_signups(now(context)):
        rows.append([button(texts.BTN_SIGNUP, "su", entry.id)])
    key, page = (back[:2], back[2:]) if back else ("", "")
    if key in texts.LIST_TITLES and page.isdigit():
        rows.append([button(texts.BTN_BACK, "l", key, page), *menu_row()])
    else:
        rows.append(menu_row())
    return InlineKeyboardMarkup(rows)


def entry_blocks(entry: Entry, context: Context) -> list[str]:
    """The details of an entry as HTML blocks (escaped), ready for `send_blocks`."""
    settings = svc(context).settings
    head = [f"<b>{texts.esc(entry.title)}</b>"]
    if entry.starts is not None:
        when = texts.thai_when(entry.starts, entry.ends, settings.tz)
        past = "" if entry.is_upcoming(now(context)) else f" {texts.PAST}"
        head.append(f"{texts.WHEN}{when}{past}")
    if entry.location:
        head.append(f"{texts.WHERE}{texts.esc(entry.location)}")
    blocks = ["\n".join(head), "", *texts.escaped_blocks(entry.answer)]
    tail = []
    if entry.contact:
        tail.append(f"{texts.CONTACT}{texts.esc(entry.contact)}")
    if entry.url:
        tail.append(f"{texts.LINK}{texts.esc(entry.url)}")
    if tail:
        blocks += ["", "\n".join(tail)]
    return blocks


async def send_blocks(
    message: Message, blocks: list[str], markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send HTML blocks as few messages as Telegram allows; buttons go under the last one."""
    chunks = texts.pack(blocks)
    sent = message
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await message.chat.send_message(chunk, reply_markup=markup if last else None)
    return sent


async def show(
    update: Update, blocks: list[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer in place when a button was pressed (edit), else send a new message."""
    message = update.effective_message
    if message is None:
        return
    query = update.callback_query
    chunks = texts.pack(blocks)
    if query is not None and len(chunks) == 1 and message.text is not None:
        # Telegram refuses an edit that changes nothing (the same button pressed twice).
        if message.text == texts.plain(chunks[0]) and message.reply_markup == markup:
            return
        try:
            await message.edit_text(chunks[0], reply_markup=markup)
            return
        except BadRequest as exc:
            # Pressing the same button twice asks for an identical edit, which Telegram
            # refuses; the resident already sees the right thing.
            if "not modified" in str(exc).lower():
                return
            raise
    await send_blocks(message, blocks, markup)


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner. Telegram refuses answers to queries older than a few
    seconds (taps delivered again after a restart), and a network failure can outlast the
    retries: either way the tap itself must still be handled."""
    try:
        await query.answer()
    except (BadRequest, NetworkError) as exc:
        log.info("callback query not answered: %s", exc)


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """Organiser and staff actions: everyone else is refused politely, and it is logged."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        user = update.effective_user
        if user is not None and user.id in svc(context).settings.admin_ids:
            await handler(update, context)
            return
        log.warning(
            "refused %s to user %s (not in BOT_ADMIN_IDS)",
            handler.__name__,
            user.id if user else None,
        )
        if update.callback_query is not None:
            await acknowledge(update.callback_query)
        message = update.effective_message
        if message is not None:
            await message.chat.send_message(texts.ADMIN_ONLY)

    return guarded


def user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def truncate(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
