"""Registered last: anything no feature claimed, and the error handler (which also tells the
organisers, briefly); and, before every feature, the check of button data
(handlers.common.callback_gate)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot import texts
from handlers import actions
from handlers.common import Context, acknowledge, callback_gate, menu_keyboard, show

log = logging.getLogger(__name__)

# At most one report a minute: a failure that hits every resident must not flood the
# organisers' chats (and Telegram's limits) with the same line.
REPORT_INTERVAL = timedelta(minutes=1)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}")


async def errors_stale_button(update: Update, context: Context) -> None:
    """A button from an old message, another bot version, or forged data."""
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    log.info("unknown callback data %r", (query.data or "")[:80])
    await show(update, [texts.OLD_BUTTON], menu_keyboard())


async def errors_unknown_command(update: Update, context: Context) -> None:
    """A command no feature knows, in the private chat."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.UNKNOWN_COMMAND)


async def errors_handler(update: object, context: Context) -> None:
    """Log the failure with enough context to debug it, tell the resident plainly, and the
    organisers briefly."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: resident unreachable: %s", update_id, error)
        return
    log.error("update %s failed", update_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.ERROR)
        except TelegramError:
            log.warning("could not tell chat about the failure of update %s", update_id)
    await report_to_organisers(update, context)


def failed_where(update: object, context: Context) -> str:
    """What failed, in words that carry nothing a resident typed: the button action, the
    command's name, the kind of message, or the job."""
    if not isinstance(update, Update):
        return f"job {context.job.name}" if context.job is not None else type(update).__name__
    if update.callback_query is not None:
        action = actions.parse(update.callback_query.data)
        return f"button {type(action).__name__}" if action is not None else "button (unknown)"
    message = update.effective_message
    kind = "edited message" if update.edited_message is not None else "message"
    if message is not None and message.text is not None:
        command = _COMMAND.match(message.text)
        return f"command {command.group()}" if command else f"{kind} (text)"
    if message is not None and message.contact is not None:
        return f"{kind} (contact)"
    return kind if message is not None else "update"


async def report_to_organisers(update: object, context: Context) -> None:
    """A short, escaped line to each organiser: the exception's type and where it happened
    (never its message, which can quote what a resident sent), at most one a minute; the
    next report counts the ones left out."""
    services = context.services
    now = services.clock()
    last = services.error_reported_at
    if last is not None and now - last < REPORT_INTERVAL:
        services.errors_unreported += 1
        return
    services.error_reported_at = now
    text = texts.error_report(
        type(context.error).__name__, failed_where(update, context), services.errors_unreported
    )
    services.errors_unreported = 0
    for admin_id in sorted(services.settings.admin_ids):
        try:
            await context.bot.send_message(admin_id, text)
        except TelegramError as exc:  # never an error about the error handler
            log.warning("could not report the failure to organiser %s (%s)", admin_id, exc)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before every feature (group -30): forged button data never reaches a handler.
    app.add_handler(TypeHandler(Update, callback_gate), group=-30)
    app.add_handler(CallbackQueryHandler(errors_stale_button))
    # In a group, commands for other bots arrive too; answering them would be noise.
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, errors_unknown_command)
    )
    app.add_error_handler(errors_handler)
