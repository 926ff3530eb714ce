"""A resident's own data: /mysignups (see and cancel sign-ups) and /forgetme (PDPA erasure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.phone import display_phone
from bot.signups import Signup
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_pattern,
    menu_row,
    show,
    svc,
    truncate,
)
from handlers.signup import after_keyboard, cancel_signup, capacity_of, notify_promotions


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


async def account_my_signups_command(update: Update, context: Context) -> None:
    view = await my_signups_view(update, context)
    if view is not None:
        await show(update, *view)


async def account_my_signups_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await account_my_signups_command(update, context)


async def account_cancel_button(update: Update, context: Context) -> None:
    """First tap on "cancel": ask once for confirmation."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cx", 1)
    signup = await svc(context).signups.get(int(args[0])) if args and args[0].isdigit() else None
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


async def account_cancel_confirm_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cy", 1)
    if args is None or not args[0].isdigit():
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())
        return
    # Through the outbox, so "cancelled" survives a crash; a second tap changes nothing.
    if not await cancel_signup(update, context, int(args[0])):
        await show(update, [texts.SIGNUP_NOT_FOUND], after_keyboard())


async def account_cancel_keep_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await show(update, [texts.CANCEL_KEPT], after_keyboard())


async def account_forget_command(update: Update, context: Context) -> None:
    await show(
        update,
        [texts.FORGET_QUESTION],
        InlineKeyboardMarkup(
            [[button(texts.BTN_FORGET_YES, "fg", "y"), button(texts.BTN_FORGET_NO, "fg", "n")]]
        ),
    )


async def account_forget_button(update: Update, context: Context) -> None:
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
    await show(
        update,
        [texts.forgotten(gone.had_details, gone.signups, gone.questions)],
        InlineKeyboardMarkup([menu_row()]),
    )
    await notify_promotions(context, gone.promoted)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("mysignups", account_my_signups_command))
    app.add_handler(CommandHandler("forgetme", account_forget_command))
    app.add_handler(CallbackQueryHandler(account_my_signups_button, pattern=cb_pattern("ms")))
    app.add_handler(CallbackQueryHandler(account_cancel_button, pattern=cb_pattern("cx")))
    app.add_handler(CallbackQueryHandler(account_cancel_confirm_button, pattern=cb_pattern("cy")))
    app.add_handler(CallbackQueryHandler(account_cancel_keep_button, pattern=cb_pattern("cn")))
    app.add_handler(CallbackQueryHandler(account_forget_button, pattern=cb_pattern("fg")))
