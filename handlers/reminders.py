"""The job that reminds confirmed residents before dated entries."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot import texts
from bot.services import Services
from handlers.actions import CancelSignup, CheckinCode
from handlers.common import Context, menu_row, run_at_start_and_every

log = logging.getLogger(__name__)


async def reminders_due_job(context: Context) -> None:
    """Remind confirmed residents of what is due (each reminder once), with their check-in
    code and a cancel button."""
    s = context.services
    if s.repos is None:
        return
    tz = s.settings.tz
    now = s.clock()
    due, skip = await s.r.reminders.due(list(s.knowledge.kb), s.settings.reminders, now, tz)
    for signup_id, kind in skip:
        await s.r.reminders.claim(signup_id, kind)
    for item in due:
        if not await s.r.reminders.claim(item.signup_id, item.lead.name):
            continue  # another round got there first
        entry = item.entry
        assert entry.starts is not None
        text = texts.reminder(
            entry.title,
            texts.thai_when(entry.starts, entry.ends, tz),
            entry.location,
            item.lead.name,
        )
        # The check-in code as a button, not the photo: a crowd's reminders go out at once
        # and a photo each would upload hundreds of images most will open only at the door;
        # the code is made when first asked for, and /mysignups shows the same button.
        markup = InlineKeyboardMarkup(
            [
                [CheckinCode(item.signup_id).button(texts.BTN_CHECKIN_CODE)],
                [CancelSignup(item.signup_id).button(texts.BTN_CANCEL_MY_SIGNUP)],
                menu_row(),
            ]
        )
        try:
            await context.bot.send_message(item.user_id, text, reply_markup=markup)
            # "กี่โมงนะ" or "จอดรถได้ไหม" in answer is about the event reminded of.
            await s.r.chat_context.entry_shown(item.user_id, entry.id, s.clock())
        except Forbidden:
            await s.r.residents.set_blocked(item.user_id, True)
        except TelegramError as exc:
            log.warning("reminder for sign-up %s not sent (%s); will retry", item.signup_id, exc)
            await s.r.reminders.release(item.signup_id, item.lead.name)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    run_at_start_and_every(app, reminders_due_job, Services.of(app).settings.reminder_interval)
