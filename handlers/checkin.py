"""Check-in at the door: residents' QR codes, staff scanning them, and /checkin.

A resident's confirmed sign-up has a code (bot.checkins), shown as a QR photo from
/mysignups and the reminders. Staff (BOT_ADMIN_IDS, or door staff in BOT_CHECKIN_IDS who can
do nothing else) scan it with the phone's camera, which opens the bot with
`/start ci_<token>`: the resident is marked present and staff see the name, party size and
event. Anyone else opening such a link learns nothing about the sign-up. Without a phone,
`/checkin <phone or name>` lists the matching sign-ups of today's and upcoming events.

An event on another day is not refused: staff are warned, with the date, and check in with
one more tap (the door knows best: an event moved at short notice, or one running past
midnight); the code is never marked without that tap.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, filters

from bot import texts
from bot.checkins import Attendee, CheckIn, Checkins, Outcome, deep_link, qr_png
from bot.phone import display_phone
from bot.services import set_admin_commands
from handlers.actions import CheckinCode, CheckinMark
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    after_keyboard,
    on_button,
    only_for,
    private_only,
    show,
    truncate,
)
from kb.model import Entry

log = logging.getLogger(__name__)

DEEP_LINK = re.compile(r"^ci_(.*)$")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,61}")


def _checkins(context: Context) -> Checkins:
    return context.services.r.checkins


def _now(context: Context) -> datetime:
    """The bot's clock in its zone (tests move the clock to the event's day)."""
    return context.services.clock().astimezone(context.services.settings.tz)


def _is_staff(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and context.services.settings.can_check_in(user.id)


# Check-in actions: organisers and door staff (BOT_CHECKIN_IDS) only.
staff_only = only_for(lambda settings, user: settings.can_check_in(user), "staff")


async def set_checkin_commands(bot: Bot, user_id: int) -> None:
    """Door staff see /checkin in their menu, beside the residents' commands (and none of
    the organisers' other commands, which they cannot use)."""
    try:
        await bot.set_my_commands(
            [BotCommand(c, d) for c, d in texts.COMMANDS + texts.CHECKIN_COMMANDS],
            scope=BotCommandScopeChat(user_id),
        )
    except BadRequest as exc:  # they have not opened the bot yet; their first use sets it
        log.info("door staff %s: command menu not set yet (%s)", user_id, exc)


async def _staff_menu_on_first_use(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None or not await context.services.r.residents.touch(user.id):
        return
    settings = context.services.settings
    if user.id in settings.admin_ids:
        await set_admin_commands(context.bot, user.id)
    elif user.id in settings.checkin_ids:
        await set_checkin_commands(context.bot, user.id)


# ------------------------------------------------------------------ residents: their code
def _upcoming_entry(context: Context, entry_id: str) -> Entry | None:
    """The entry while its sign-ups still need a code: undated, or not yet over."""
    entry = context.services.knowledge.kb.get(entry_id)
    if entry is None or (entry.starts is not None and not entry.is_upcoming(_now(context))):
        return None
    return entry


@on_button(CheckinCode, guard=private_only)
async def checkin_code_button(update: Update, context: Context, tap: Tap[CheckinCode]) -> None:
    """The resident's "🎫 QR code" button: their code as a photo to show at the door."""
    signup = await context.services.signups.get(tap.args.signup)
    entry = _upcoming_entry(context, signup.entry_id) if signup is not None else None
    token = None
    if signup is not None and entry is not None:
        token = await _checkins(context).token_for(signup.id, tap.user.id, _now(context))
    if signup is None or entry is None or token is None:
        # Not theirs (a forged button), waiting, cancelled, or the event is over.
        await tap.message.chat.send_message(
            texts.CHECKIN_CODE_UNAVAILABLE, reply_markup=after_keyboard()
        )
        return
    tz = context.services.settings.tz
    when = texts.thai_when(entry.starts, entry.ends, tz) if entry.starts is not None else None
    png = qr_png(deep_link(context.bot.username, token))
    await tap.message.chat.send_photo(
        InputFile(png, "checkin.png"),
        caption=texts.checkin_code_caption(signup.entry_title, when, signup.people),
        reply_markup=after_keyboard(),
    )


# ------------------------------------------------------------------ staff: checking in
def _is_today(entry: Entry | None, now: datetime) -> bool:
    """The event runs today in the bot's zone (a sign-up whose entry is undated or gone
    has no day to check against)."""
    if entry is None or entry.starts is None:
        return True
    first = entry.starts.astimezone(now.tzinfo).date()
    last = (entry.ends or entry.starts).astimezone(now.tzinfo).date()
    return first <= now.date() <= last


def _when_checked_in(a: Attendee, now: datetime) -> str | None:
    """13.05 น. (today) or 12 ธ.ค. 69 13.05 น., in the bot's zone; None if not yet."""
    if a.checked_in_at is None:
        return None
    return texts.checkin_at(a.checked_in_at.astimezone(now.tzinfo), now)


def _reply(context: Context, done: CheckIn) -> str:
    a = done.attendee
    if done.outcome is Outcome.ALREADY:
        at = _when_checked_in(a, _now(context)) or ""
        return texts.checked_in_before(a.name, a.people, a.entry_title, at)
    if done.outcome is Outcome.NOT_CONFIRMED:
        return texts.checkin_not_confirmed(a.name, a.people, a.entry_title)
    return texts.checked_in(a.name, a.people, a.entry_title)


async def _check_in(update: Update, context: Context, found: Attendee, anyday: bool) -> None:
    """Check `found` in, after a warning with one more tap when the event is not today."""
    user = update.effective_user
    if user is None:
        return
    entry = context.services.knowledge.kb.get(found.entry_id)
    now = _now(context)
    waiting = found.checked_in_at is None and found.confirmed
    if waiting and not anyday and entry is not None and not _is_today(entry, now):
        assert entry.starts is not None
        when = texts.thai_when(entry.starts, entry.ends, context.services.settings.tz)
        anyway = CheckinMark(found.signup_id, "y").button(texts.BTN_CHECKIN_ANYWAY)
        await show(
            update,
            [texts.checkin_other_day(found.name, found.people, found.entry_title, when)],
            InlineKeyboardMarkup([[anyway]]),
        )
        return
    done = await _checkins(context).check_in_signup(found.signup_id, user.id, now)
    if done is None:  # erased (/forgetme) since it was listed
        await show(update, [texts.CHECKIN_NOT_FOUND])
        return
    if done.outcome is Outcome.CHECKED_IN:
        log.info("sign-up %s checked in by %s", found.signup_id, user.id)
    await show(update, [_reply(context, done)])


@private_only  # in a group: a button to the private chat, as every /start payload
async def checkin_deep_link(update: Update, context: Context) -> None:
    """/start ci_<token>: staff scanned a resident's QR code with the phone's camera."""
    message = update.effective_message
    if message is None:
        return
    if not _is_staff(update, context):
        # Whoever this is learns nothing: not whether the code exists, nor whose it is.
        await message.reply_text(texts.CHECKIN_FOR_STAFF, reply_markup=after_keyboard())
        return
    await _staff_menu_on_first_use(update, context)
    payload = DEEP_LINK.match(context.args[0] if context.args else "")
    token = payload.group(1) if payload else ""
    found = await _checkins(context).by_token(token) if _TOKEN.fullmatch(token) else None
    if found is None:
        await message.reply_text(texts.CHECKIN_INVALID)
        return
    await _check_in(update, context, found, anyday=False)


@on_button(CheckinMark, guard=staff_only)
async def checkin_mark_button(update: Update, context: Context, tap: Tap[CheckinMark]) -> None:
    """A sign-up tapped in /checkin's list, or "check in anyway" for another day's event."""
    found = await _checkins(context).attendee(tap.args.signup)
    if found is None:
        await show(update, [texts.CHECKIN_NOT_FOUND])
        return
    await _check_in(update, context, found, anyday=tap.args.anyday == "y")


@staff_only
async def checkin_command(update: Update, context: Context) -> None:
    """/checkin <phone or name>: confirmed sign-ups of today's and upcoming events."""
    message = update.effective_message
    if message is None:
        return
    await _staff_menu_on_first_use(update, context)
    query = " ".join(context.args or [])
    if not query:
        await message.reply_text(texts.CHECKIN_ASK)
        return
    now = _now(context)
    today = now.date()
    entries = [
        e.id
        for e in context.services.knowledge.kb
        if e.starts is not None and (e.ends or e.starts).astimezone(now.tzinfo).date() >= today
    ]
    found = await _checkins(context).find(query, entries)
    if not found:
        await message.reply_text(texts.checkin_none(query))
        return
    lines, rows = [], []
    for n, a in enumerate(found, start=1):
        at = _when_checked_in(a, now)
        phone = display_phone(a.phone)
        lines.append(texts.checkin_found_line(n, a.name, phone, a.people, a.entry_title, at))
        label = truncate(f"{'☑️' if at else '✅'} {n}. {a.name} · {a.entry_title}")
        rows.append([CheckinMark(a.signup_id, "n").button(label)])
    await message.reply_text(texts.checkin_found(lines), reply_markup=InlineKeyboardMarkup(rows))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before /start's generic handler: the QR code's link is /start ci_<token>.
    app.add_handler(
        CommandHandler("start", checkin_deep_link, filters=filters.Regex(r"^/start(@\w+)?\s+ci_"))
    )
    app.add_handler(CommandHandler("checkin", checkin_command))
    add_buttons(app, checkin_code_button, checkin_mark_button)
