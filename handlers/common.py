"""Pieces every feature's handlers share: callback data, the menu, sending long HTML safely."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.app import Services, services
from kb.loader import ID_RE
from kb.matching import MatchResult
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


# Every button's data is checked against these before any handler runs (callback_gate), so
# nothing forged reaches the store: Telegram delivers whatever a modified client puts in a
# callback, up to 64 bytes. An argument is ASCII letters, digits, '-', '_' or '*' only
# (str.isdigit() accepts '²' and Thai digits, which int() then refuses or reads), and a run
# of digits must fit SQLite's signed 64-bit INTEGER (a larger one raises OverflowError there).
_SYNTAX = re.compile(r"[a-z]{1,3}(?::[A-Za-z0-9_*-]{1,40})*")
INT_MAX = 2**63 - 1
ROW_ID = r"[1-9][0-9]{0,17}"  # a row id: 18 digits always fit
ENTRY_ID = ID_RE.pattern  # the knowledge base's own rule for entry ids
LIST_KEY = "ev|pg|ac"
# The arguments of each action defined in this module and the features that use it; actions
# not listed (a feature's own) get the syntax check above and their handler's checks.
CB_ARGS: dict[str, tuple[str, ...]] = {
    "m": (),
    "h": (),
    "q": (),
    "ms": (),
    "l": (LIST_KEY, r"[0-9]{1,4}"),
    "d": (ENTRY_ID, rf"(?:{LIST_KEY})[0-9]{{1,4}}"),
    "s": (ENTRY_ID,),
    "n": (ROW_ID,),
    "cx": (ROW_ID,),
    "cy": (ROW_ID,),
    "cn": (),
    "fg": ("y|n",),
    "sb": ("forums|livelihood|learning|all|none|done",),
    "xp": (rf"\*|{ENTRY_ID}",),
    "ua": (ROW_ID,),
    "ul": (ROW_ID, r"[0-9]{1,4}"),
    "ut": (ROW_ID, ENTRY_ID),
    "un": (),
    "ba": ("f|l|e|all|su",),
    "be": (ENTRY_ID,),
    "bs": (ENTRY_ID, "c|w|b"),
    "bc": (),
    "bx": (),
    "bk": (ROW_ID,),
}
_CB_RULES = {action: [re.compile(rule) for rule in rules] for action, rules in CB_ARGS.items()}


def cb_valid(data: str | None) -> bool:
    """Whether callback data could have come from one of our buttons (see CB_ARGS)."""
    if not data or len(data.encode("utf-8")) > CB_MAX_BYTES:
        return False
    version, _, rest = data.partition(":")
    if version != CB_VERSION or not _SYNTAX.fullmatch(rest):
        return False
    action, *args = rest.split(":")
    if any(a.isdigit() and int(a) > INT_MAX for a in args):  # ASCII digits only, by _SYNTAX
        return False
    rules = _CB_RULES.get(action)
    if rules is None:
        return True
    return len(args) == len(rules) and all(r.fullmatch(a) for r, a in zip(rules, args, strict=True))


def cb_args(data: str | None, action: str, count: int) -> list[str] | None:
    """The arguments of a well-formed callback, or None for anything forged or stale."""
    if not data or not cb_valid(data):
        return None
    parts = data.split(":")
    if len(parts) != count + 2 or parts[0] != CB_VERSION or parts[1] != action:
        return None
    return parts[2:]


def cb_int(arg: str) -> int | None:
    """A button's numeric argument as an int SQLite can hold, or None."""
    if not re.fullmatch(r"[0-9]{1,19}", arg):
        return None
    value = int(arg)
    return value if value <= INT_MAX else None


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


# What Telegram accepts after ?start= in a t.me link.
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_private(update: Update) -> bool:
    """Sent in the user's own chat with the bot (not a group, a channel or an inline message)."""
    chat, user = update.effective_chat, update.effective_user
    return chat is not None and user is not None and chat.type == "private" and chat.id == user.id


async def answer_with(query: CallbackQuery, text: str) -> None:
    """Answer a tap with a pop-up only its owner sees: nothing is posted in the chat."""
    try:
        await query.answer(text, show_alert=True)
    except TelegramError as exc:
        log.info("callback query not answered: %s", exc)


async def refuse_outside_private(update: Update, context: Context) -> None:
    """Say once, briefly, to continue in the private chat, and post nothing else. A tap gets
    a pop-up for the one who tapped; a command gets a reply with a button that opens the
    private chat (carrying a /start payload, such as a poster's sign-up link)."""
    query = update.callback_query
    if query is not None:
        await answer_with(query, texts.PRIVATE_ONLY_ALERT)
        return
    message = update.effective_message
    if message is None:
        return
    url = f"https://t.me/{context.bot.username}"
    text = message.text or ""
    if text.split(maxsplit=1)[0].split("@")[0] == "/start" and context.args:
        if START_PAYLOAD.fullmatch(context.args[0]):
            url += f"?start={context.args[0]}"
    open_chat = InlineKeyboardButton(texts.BTN_OPEN_PRIVATE, url=url)
    await message.reply_text(texts.PRIVATE_ONLY, reply_markup=InlineKeyboardMarkup([[open_chat]]))


def private_only(handler: Handler) -> Handler:
    """Residents' personal data (sign-up, consent, their sign-ups, erasure) stays out of
    groups: there the bot only points to the private chat."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        if is_private(update):
            await handler(update, context)
            return
        await refuse_outside_private(update, context)

    return guarded


async def callback_gate(update: Update, context: Context) -> None:
    """Before any handler (group -3): a tap with forged or malformed data, or without a
    message, goes no further."""
    query = update.callback_query
    if query is None:
        return
    if query.message is None:
        # Only an inline-mode message has no message here, and this bot makes none: the
        # data is forged. Its owner still learns that nothing happened.
        log.info("callback without a message refused: %r", (query.data or "")[:80])
        await answer_with(query, texts.OLD_BUTTON_ALERT)
        raise ApplicationHandlerStop
    if cb_valid(query.data):
        return
    log.info("malformed callback data %r", (query.data or "")[:80])
    await acknowledge(query)
    await show(update, [texts.OLD_BUTTON], menu_keyboard())
    raise ApplicationHandlerStop


def admin_only(handler: Handler) -> Handler:
    """Organiser and staff actions, in a private chat with an organiser only: in a group the
    bot points to the private chat and posts nothing else; anyone else is refused politely,
    and it is logged."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        user = update.effective_user
        if not is_private(update):
            log.warning(
                "refused %s outside a private chat (user %s)",
                handler.__name__,
                user.id if user else None,
            )
            await refuse_outside_private(update, context)
            return
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
