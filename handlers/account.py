"""A resident's own data: /mysignups (see and cancel sign-ups), /forgetme (PDPA erasure),
/privacy (what is kept, for how long), and the retention job that enforces it.

All of it runs in the resident's private chat only: in a group the bot points there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.phone import display_phone
from bot.signups import Signup
from bot.store import utcnow
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_int,
    cb_pattern,
    menu_row,
    private_only,
    show,
    svc,
    truncate,
)
from handlers.signup import (
    FLOW_TTL,
    after_keyboard,
    cancel_signup,
    capacity_of,
    notify_promotions,
)

log = logging.getLogger(__name__)
RETENTION_INTERVAL = timedelta(days=1)


async def my_signups_view(
    update: Update, context: Context
) -> tuple[list[str], InlineKeyboardMarkup] | None:
    user = update.effective_user
    if user is None:
        return None
    services = svc(context)
    signups = await services.signups.of_user(user.id)
    person = await services.signups.person(user.id)
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
        rows.append(
            [button(truncate(f"{texts.BTN_CANCEL_SIGNUP} {n}. {s.entry_title}"), "cx", s.id)]
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


@private_only
async def account_my_signups_button(update: Update, context: Context) -> None:
    """The menu's "my sign-ups" button."""
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await account_my_signups_command(update, context)


@private_only
async def account_cancel_button(update: Update, context: Context) -> None:
    """First tap on "cancel": ask once for confirmation."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cx", 1)
    signup_id = cb_int(args[0]) if args is not None else None
    signup = await svc(context).signups.get(signup_id) if signup_id is not None else None
    if signup is None or signup.user_id != user.id or signup.cancelled_at is not None:
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())
        return
    await show(
        update,
        [texts.cancel_question(signup.entry_title)],
        InlineKeyboardMarkup(
            [[button(texts.BTN_CANCEL_YES, "cy", signup.id), button(texts.BTN_CANCEL_NO, "cn")]]
        ),
    )


@private_only
async def account_cancel_confirm_button(update: Update, context: Context) -> None:
    """Second tap: cancel, and give the seat to the waiting list."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cy", 1)
    signup_id = cb_int(args[0]) if args is not None else None
    if signup_id is None:
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())
        return
    # Through the outbox, so "cancelled" survives a crash; a second tap changes nothing.
    if not await cancel_signup(update, context, signup_id):
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())


@private_only
async def account_cancel_keep_button(update: Update, context: Context) -> None:
    """ "Keep it" after the first cancel tap."""
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await show(update, [texts.CANCEL_KEPT], after_keyboard())


@private_only
async def account_forget_command(update: Update, context: Context) -> None:
    """/forgetme: ask once before deleting everything."""
    await show(
        update,
        [texts.FORGET_QUESTION],
        InlineKeyboardMarkup(
            [[button(texts.BTN_FORGET_YES, "fg", "y"), button(texts.BTN_FORGET_NO, "fg", "n")]]
        ),
    )


@private_only
async def account_forget_button(update: Update, context: Context) -> None:
    """The answer to /forgetme: erase (bot.store.ERASURE) or keep."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "fg", 1)
    if args is None or args[0] != "y":
        await show(update, [texts.FORGET_KEPT], InlineKeyboardMarkup([menu_row()]))
        return
    gone = await svc(context).signups.forget(user.id, capacity_of(context))
    if gone.learned:
        # Their words leave the matcher too, not only the table.
        await svc(context).refresh_learned()
    await show(
        update,
        [texts.forgotten(gone.had_details, gone.signups, gone.questions, gone.learned)],
        InlineKeyboardMarkup([menu_row()]),
    )
    await notify_promotions(context, gone.promoted)


async def account_privacy_command(update: Update, context: Context) -> None:
    """/privacy: what the bot keeps about residents and for how long."""
    days = svc(context).settings.question_retention_days
    await show(
        update,
        [texts.privacy_notice(days, int(FLOW_TTL.total_seconds() // 60))],
        InlineKeyboardMarkup([menu_row()]),
    )


async def retention_job(context: Context) -> None:
    """Daily and at start: delete questions older than the retention period and sign-up or
    broadcast flows abandoned half-way (they hold a typed name or phone)."""
    s = svc(context)
    if s.repos is None:
        return
    # Real time, not s.clock: the rows carry real timestamps (tests move s.clock far ahead).
    now = utcnow()
    questions, flows = await s.db.purge(
        now - timedelta(days=s.settings.question_retention_days), now - FLOW_TTL
    )
    if questions or flows:
        log.info("retention: %d old question(s), %d abandoned flow(s) deleted", questions, flows)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("mysignups", account_my_signups_command))
    app.add_handler(CommandHandler("forgetme", account_forget_command))
    app.add_handler(CallbackQueryHandler(account_my_signups_button, pattern=cb_pattern("ms")))
    app.add_handler(CallbackQueryHandler(account_cancel_button, pattern=cb_pattern("cx")))
    app.add_handler(CallbackQueryHandler(account_cancel_confirm_button, pattern=cb_pattern("cy")))
    app.add_handler(CallbackQueryHandler(account_cancel_keep_button, pattern=cb_pattern("cn")))
    app.add_handler(CallbackQueryHandler(account_forget_button, pattern=cb_pattern("fg")))
    app.add_handler(CommandHandler("privacy", account_privacy_command))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            retention_job,
            interval=RETENTION_INTERVAL,
            first=1.0,
            job_kwargs={"misfire_grace_time": None},  # late rather than skipped
        )
