"""Announcing an entry to its topic's subscribers with a sign-up button on the message, and
telling the residents signed up for an entry of a change (a new date, time or place, or a
cancellation).

An announcement is a broadcast (bot/broadcasts.py: stored before the first message, paced,
resumed after a restart) whose messages carry the entry's sign-up link. Change notices are
queued by bot/entries.py in the transaction that makes the change (bot/notices.py); here
they are sent, each once, and deleted as soon as Telegram accepts them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import texts
from bot.broadcasts import Broadcast, send_content, signup_markup
from bot.entries import Action as EntryAction
from bot.entries import Change
from bot.notices import EntryNotice
from bot.signups import Signup, Status
from handlers.actions import Announce, AnnounceDiscard, AnnounceSend, CancelSignup, Details
from handlers.common import (
    CHANGE_NOTICE_JOB,
    Context,
    Tap,
    add_buttons,
    admin_only,
    after_keyboard,
    now,
    on_button,
    run_at_start_and_every,
    show,
)
from kb.model import Entry, Kind

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
# handlers/broadcast.py's start_delivery, handed over by the wiring (bot/app.py): a feature
# does not import another.
StartDelivery = Callable[[AnyApplication, Broadcast], None]

# Who hears of an entry: the news topic residents chose that its kind belongs to; an entry
# of no topic (a question and answer) goes to everyone subscribed.
TOPIC_OF_KIND = {Kind.EVENT: "forums", Kind.PROGRAMME: "livelihood", Kind.ACTIVITY: "learning"}
# Where a change notice's "details" button leads back to: the list the entry is in.
LIST_OF_KIND = {Kind.EVENT: "ev", Kind.PROGRAMME: "pg", Kind.ACTIVITY: "ac"}
NOTICE_INTERVAL = 30  # seconds between rounds of the change notices
NOTICE_WORKERS = 8  # notices in flight at once; the rate limiter keeps Telegram's pace
NOTICE_BATCH = 200  # notices read at a time


# ------------------------------------------------------------------ announcing
def audience_of(entry: Entry) -> str:
    """The broadcast audience of an entry's announcement ("topic:<t>", or "all")."""
    topic = TOPIC_OF_KIND.get(entry.kind)
    return f"topic:{topic}" if topic else "all"


async def recipients(context: Context, audience: str) -> list[int]:
    """Subscribers reachable now: residents who blocked the bot or unsubscribed are not."""
    topic = audience.partition(":")[2] or None
    return await context.services.r.subscriptions.audience(topic)


def announcement(entry: Entry, context: Context) -> tuple[str, InlineKeyboardMarkup | None]:
    """The announcement as every subscriber receives it, and its sign-up button (none for an
    entry that takes no sign-ups)."""
    tz = context.services.settings.tz
    when = texts.thai_when(entry.starts, entry.ends, tz) if entry.starts else None
    open_ = entry.accepts_signups(now(context))
    body = texts.announcement(entry.title, when, entry.location, entry.answer, entry.contact, open_)
    username = context.bot.username
    return body, signup_markup(username, entry.id) if open_ else None


def announceable(context: Context, entry_id: str) -> tuple[Entry | None, str]:
    """The served entry, or why it cannot be announced (gone, hidden, cancelled, started)."""
    entry = context.services.knowledge.kb.get(entry_id)
    if entry is None:
        return None, texts.ANNOUNCE_UNKNOWN
    if entry.starts is not None and entry.starts <= now(context):
        return None, texts.ANNOUNCE_PAST
    return entry, ""


@on_button(Announce, guard=admin_only)
async def announce_button(update: Update, context: Context, tap: Tap[Announce]) -> None:
    """Announce: the message exactly as subscribers will see it, who gets it, send or discard."""
    entry, problem = announceable(context, tap.args.entry)
    if entry is None:
        await tap.message.chat.send_message(problem)
        return
    body, markup = announcement(entry, context)
    audience = audience_of(entry)
    count = len(await recipients(context, audience))
    await send_content(context.bot, tap.user.id, "text", body, None, markup)
    buttons = [
        AnnounceSend(entry.id).button(texts.BTN_SEND),
        AnnounceDiscard(entry.id).button(texts.BTN_DISCARD),
    ]
    await tap.message.chat.send_message(
        texts.announce_preview(texts.audience_name(audience), count, markup is not None),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def send_announcement(
    update: Update, context: Context, tap: Tap[AnnounceSend], start_delivery: StartDelivery
) -> None:
    """Store the announcement as a broadcast and start delivering it (once, however often
    the button is tapped)."""
    user, message = tap.user, tap.message
    repo = context.services.r.broadcasts
    # One chat's updates are handled one at a time (bot.app's update processor), so a second
    # tap, or the same tap delivered again after a restart, finds the broadcast the first
    # one stored with this message as its progress; its progress is on screen already.
    if await repo.shown_in(user.id, message.message_id) is not None:
        return
    entry, problem = announceable(context, tap.args.entry)
    if entry is None:
        await show(update, [problem])
        return
    audience = audience_of(entry)
    people = await recipients(context, audience)
    if not people:
        await show(update, [texts.ANNOUNCE_NOBODY])
        return
    body, markup = announcement(entry, context)
    broadcast = await repo.create(
        user.id, audience, "text", body, None, people, user.id,
        entry_id=entry.id if markup is not None else None,
        progress_message=message.message_id,
    )  # fmt: skip
    await show(update, [texts.broadcast_progress(broadcast.id, 0, 0, 0, len(people), False, False)])
    start_delivery(context.application, broadcast)


@on_button(AnnounceDiscard, guard=admin_only)
async def announce_discard_button(
    update: Update, context: Context, tap: Tap[AnnounceDiscard]
) -> None:
    """Leave the previewed announcement unsent."""
    if await context.services.r.broadcasts.shown_in(tap.user.id, tap.message.message_id):
        return  # already sent from this message: its progress stays on screen
    await show(update, [texts.ANNOUNCE_DISCARDED])


# ------------------------------------------------------------------ change notices
def _when(starts: datetime | None, ends: datetime | None, context: Context) -> str:
    if starts is None:
        return texts.NOTICE_NO_DATE
    return texts.thai_when(starts, ends, context.services.settings.tz)


def _date(value: Any) -> datetime | None:
    """A date as the entry's fields store it (ISO 8601 text), in the entry's zone."""
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def notice_message(
    context: Context, change: Change, entry: Entry, signup: Signup
) -> tuple[str, InlineKeyboardMarkup]:
    """What a change notice says, built when it is sent: the event as it is now, with what
    this change altered shown old → new. A notice of an earlier change not yet sent was
    replaced by this one (bot.notices), so the date and place are always stated in full."""
    waiting = (signup.position or 1) if signup.status is Status.WAITLIST else None
    if change.action is EntryAction.CANCEL:
        when = _when(entry.starts, entry.ends, context) if entry.starts else None
        text = texts.cancelled_notice(entry.title, when, waiting is not None)
        return text, after_keyboard()
    before = change.before
    lines: list[tuple[str, str, str | None]] = []
    new_when = _when(entry.starts, entry.ends, context)
    old_starts = _date(before["starts"]) if "starts" in before else entry.starts
    old_ends = _date(before["ends"]) if "ends" in before else entry.ends
    old_when = _when(old_starts, old_ends, context)
    lines.append((texts.NOTICE_WHEN, new_when, old_when if old_when != new_when else None))
    old_place = before["location"] if "location" in before else entry.location
    if entry.location or old_place:
        new_place = entry.location or texts.NOTICE_NO_PLACE
        old = old_place or texts.NOTICE_NO_PLACE
        lines.append((texts.NOTICE_WHERE, new_place, old if old != new_place else None))
    rows: list[list[InlineKeyboardButton]] = []
    if context.services.knowledge.kb.get(entry.id) is not None:  # still served
        back = f"{LIST_OF_KIND.get(entry.kind, 'ev')}0"
        rows.append([Details(entry.id, back).button(texts.BTN_DETAILS)])
    rows.append([CancelSignup(signup.id).button(texts.BTN_CANCEL_MY_SIGNUP)])
    text = texts.change_notice(entry.title, lines, waiting)
    return text, InlineKeyboardMarkup(rows)


async def _send_notice(context: Context, notice: EntryNotice) -> bool:
    """Send one notice if it still holds; True when it is done with (delivered, no longer
    owed, or given up), False when it waits for the next round."""
    r = context.services.r
    repo = r.entry_notices
    live = await context.services.signups.of_user(notice.user_id)
    signup = next((s for s in live if s.id == notice.signup_id), None)
    change = await r.entries.change(notice.change_id)
    made = await r.entries.get(notice.entry_id)
    if signup is None or change is None or made is None:
        await repo.sent(notice.id)  # cancelled since, or erased: nothing to tell
        return True
    text, markup = notice_message(context, change, made.entry, signup)
    try:
        await context.bot.send_message(notice.user_id, text, reply_markup=markup)
    except Forbidden:
        log.info("change notice %s: resident blocked the bot", notice.id)
        await r.residents.set_blocked(notice.user_id, True)
        await repo.sent(notice.id)
        return True
    except RetryAfter:
        return False  # the rate limiter waited and retried already; next round
    except BadRequest as exc:  # a chat that is gone and the like; counted, then given up
        gave_up = await repo.failed(notice.id)
        log.warning("change notice %s refused (%s)%s", notice.id, exc, "; given up" * gave_up)
        return gave_up
    except NetworkError as exc:  # 5xx and timeouts, after the request's own retries
        log.info("change notice %s not sent (%s); next round", notice.id, exc)
        return False
    except TelegramError as exc:
        gave_up = await repo.failed(notice.id)
        log.warning("change notice %s refused (%s)%s", notice.id, exc, "; given up" * gave_up)
        return gave_up
    # Right away: a crash between Telegram's answer and this deletion is the one moment that
    # sends the notice twice (after the restart).
    await repo.sent(notice.id)
    return True


async def _send_batch(context: Context, batch: list[EntryNotice]) -> int:
    """Send a batch, NOTICE_WORKERS at a time; returns how many are done with. A notice being
    sent by another round (or the run right after a change) is left to it: each is claimed
    first."""
    repo = context.services.r.entry_notices
    queue = list(reversed(batch))
    finished = 0

    async def worker() -> None:
        nonlocal finished
        while queue:
            notice = queue.pop()
            if not await repo.claim(notice.id):
                continue
            try:
                finished += await _send_notice(context, notice)
            finally:
                repo.release(notice.id)

    await asyncio.gather(*(worker() for _ in range(NOTICE_WORKERS)))
    return finished


async def deliver_change_notices(context: Context) -> int:
    """Send every change notice waiting; returns how many are done with."""
    done = 0
    while True:
        batch = await context.services.r.entry_notices.pending(NOTICE_BATCH)
        finished = await _send_batch(context, batch)
        done += finished
        # More wait only behind a full batch; a batch with no progress (Telegram out of
        # reach) ends the round: the next one tries again.
        if len(batch) < NOTICE_BATCH or not finished:
            return done


async def announce_change_notices_job(context: Context) -> None:
    """Send the change notices owed: at start-up (those a crash left), every NOTICE_INTERVAL
    seconds, and at once after an organiser's change (handlers.common.send_change_notices_soon)."""
    if context.services.repos is None:
        return
    done = await deliver_change_notices(context)
    if done:
        log.info("change notices: %d done with", done)


def register(app: AnyApplication, start_delivery: StartDelivery) -> None:
    """`start_delivery`: handlers/broadcast.py's, which delivers a stored broadcast."""

    @on_button(AnnounceSend, guard=admin_only)
    async def announce_send_button(
        update: Update, context: Context, tap: Tap[AnnounceSend]
    ) -> None:
        """Send the previewed announcement to the entry's topic's subscribers."""
        await send_announcement(update, context, tap, start_delivery)

    add_buttons(app, announce_button, announce_send_button, announce_discard_button)
    run_at_start_and_every(
        app, announce_change_notices_job, NOTICE_INTERVAL, name=CHANGE_NOTICE_JOB
    )
