"""A resident's own data: /mysignups (see and cancel sign-ups), /forgetme (PDPA erasure),
/privacy (what is kept, for how long), and the retention job that enforces it.

All of it runs in the resident's private chat only: in a group the bot points there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.chat_context import CONTEXT_TTL
from bot.erasure import forget
from bot.flows import FLOW_TTL
from bot.phone import display_phone
from bot.signups import Signup, Status
from bot.store import utcnow
from handlers.actions import (
    CancelConfirm,
    CancelKeep,
    CancelSignup,
    CheckinCode,
    Forget,
    MySignups,
)
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    after_keyboard,
    cancel_signup,
    capacity_of,
    menu_row,
    notify_promotions,
    on_button,
    private_only,
    run_at_start_and_every,
    show,
    truncate,
)

log = logging.getLogger(__name__)
RETENTION_INTERVAL = timedelta(days=1)


async def my_signups_view(
    update: Update, context: Context
) -> tuple[list[str], InlineKeyboardMarkup] | None:
    user = update.effective_user
    if user is None:
        return None
    services = context.services
    signups = await services.signups.of_user(user.id)
    person = await services.r.people.get(user.id)
    if not signups:
        blocks = [texts.MY_SIGNUPS_EMPTY]
        if person is not None:
            blocks.append(texts.my_details(person.name, display_phone(person.phone)))
        return blocks, InlineKeyboardMarkup([menu_row()])
    kb = services.knowledge.kb
    tz = services.settings.tz
    far = datetime.max.replace(tzinfo=tz)

    def when(s: Signup) -> datetime:
        entry = kb.get(s.entry_id)
        return entry.starts if entry is not None and entry.starts is not None else far

    lines = [texts.MY_SIGNUPS_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    for n, s in enumerate(sorted(signups, key=lambda s: (when(s), s.id)), start=1):
        entry = kb.get(s.entry_id)
        date = (
            texts.thai_when(entry.starts, entry.ends, tz)
            if entry is not None and entry.starts is not None
            else None
        )
        lines.append(texts.my_signup_line(n, s.entry_title, date, s.position, s.people))
        # The check-in code: a confirmed seat at an event not yet over (none while waiting).
        if s.status is Status.CONFIRMED and entry is not None:
            if entry.starts is None or entry.is_upcoming(services.clock()):
                label = truncate(f"{texts.BTN_CHECKIN_CODE} {n}. {s.entry_title}")
                rows.append([CheckinCode(s.id).button(label)])
        rows.append(
            [CancelSignup(s.id).button(truncate(f"{texts.BTN_CANCEL_SIGNUP} {n}. {s.entry_title}"))]
        )
    rows.append(menu_row())
    blocks = ["\n".join(lines)]
    if person is not None:
        blocks += ["", texts.my_details(person.name, display_phone(person.phone))]
    return blocks, InlineKeyboardMarkup(rows)


@private_only
async def account_my_signups_command(update: Update, context: Context) -> None:
    """/mysignups: the resident's sign-ups with a cancel button each, and their details."""
    view = await my_signups_view(update, context)
    if view is not None:
        await show(update, *view)


# Each button here is a resident's own data: in a group it points to the private chat.
@on_button(MySignups, guard=private_only)
async def account_my_signups_button(update: Update, context: Context, tap: Tap[MySignups]) -> None:
    """The menu's "my sign-ups" button."""
    await account_my_signups_command(update, context)


@on_button(CancelSignup, guard=private_only)
async def account_cancel_button(update: Update, context: Context, tap: Tap[CancelSignup]) -> None:
    """First tap on "cancel" (from /mysignups or a reminder): ask once for confirmation."""
    signup = await context.services.signups.get(tap.args.signup)
    if signup is None or signup.user_id != tap.user.id or signup.cancelled_at is not None:
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())
        return
    await show(
        update,
        [texts.cancel_question(signup.entry_title)],
        InlineKeyboardMarkup(
            [
                [
                    CancelConfirm(signup.id).button(texts.BTN_CANCEL_YES),
                    CancelKeep().button(texts.BTN_CANCEL_NO),
                ]
            ]
        ),
    )


@on_button(CancelConfirm, guard=private_only)
async def account_cancel_confirm_button(
    update: Update, context: Context, tap: Tap[CancelConfirm]
) -> None:
    """Second tap: cancel, and give the seat to the waiting list."""
    # Through the outbox, so "cancelled" survives a crash; a second tap changes nothing.
    if not await cancel_signup(update, context, tap.args.signup):
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())


@on_button(CancelKeep, guard=private_only)
async def account_cancel_keep_button(
    update: Update, context: Context, tap: Tap[CancelKeep]
) -> None:
    """The "keep it" button after the first cancel tap."""
    await show(update, [texts.CANCEL_KEPT], after_keyboard())


@private_only
async def account_forget_command(update: Update, context: Context) -> None:
    """/forgetme: ask once before deleting everything."""
    await show(
        update,
        [texts.FORGET_QUESTION],
        InlineKeyboardMarkup(
            [[Forget("y").button(texts.BTN_FORGET_YES), Forget("n").button(texts.BTN_FORGET_NO)]]
        ),
    )


@on_button(Forget, guard=private_only)
async def account_forget_button(update: Update, context: Context, tap: Tap[Forget]) -> None:
    """The answer to /forgetme: erase everything (bot.erasure) or keep it."""
    user = tap.user
    if tap.args.answer != "y":
        await show(update, [texts.FORGET_KEPT], InlineKeyboardMarkup([menu_row()]))
        return
    gone = await forget(context.services.r.store, user.id, capacity_of(context))
    if gone.learned:
        # Their words leave the matcher too, not only the table.
        await context.services.refresh_learned()
    await show(
        update,
        [texts.forgotten(gone.had_details, gone.signups, gone.questions, gone.learned)],
        InlineKeyboardMarkup([menu_row()]),
    )
    await notify_promotions(context, gone.promoted)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


async def account_privacy_command(update: Update, context: Context) -> None:
    """/privacy: what the bot keeps about residents and for how long."""
    days = context.services.settings.question_retention_days
    await show(
        update,
        [texts.privacy_notice(days, _minutes(FLOW_TTL), _minutes(CONTEXT_TTL))],
        InlineKeyboardMarkup([menu_row()]),
    )


async def account_retention_job(context: Context) -> None:
    """Daily and at start: delete questions older than the retention period and sign-up or
    broadcast flows abandoned half-way (they hold a typed name or phone)."""
    s = context.services
    if s.repos is None:
        return
    # Real time, not s.clock: the rows carry real timestamps (tests move s.clock far ahead).
    now = utcnow()
    questions = await s.r.questions.purge(now - timedelta(days=s.settings.question_retention_days))
    flows = await s.r.flows.purge(now - FLOW_TTL)
    await s.r.chat_context.purge(now - CONTEXT_TTL)  # what they looked at, for follow-ups
    if questions or flows:
        log.info("retention: %d old question(s), %d abandoned flow(s) deleted", questions, flows)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("mysignups", account_my_signups_command))
    app.add_handler(CommandHandler("forgetme", account_forget_command))
    add_buttons(
        app,
        account_my_signups_button,
        account_cancel_button,
        account_cancel_confirm_button,
        account_cancel_keep_button,
        account_forget_button,
    )
    app.add_handler(CommandHandler("privacy", account_privacy_command))
    run_at_start_and_every(app, account_retention_job, RETENTION_INTERVAL)
