"""Registered last: anything no feature claimed, and the error handler; and, before every
feature, the check of button data (handlers.common.callback_gate)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot import texts
from handlers.common import Context, acknowledge, callback_gate, menu_keyboard, show

log = logging.getLogger(__name__)


async def errors_stale_button(update: Update, context: Context) -> None:
    """A button from an old message, another bot version, or forged data."""
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    log.info("unknown callback data %r", (query.data or "")[:80])
    await show(update, [texts.OLD_BUTTON], menu_keyboard())


async def errors_unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.UNKNOWN_COMMAND)


async def errors_handler(update: object, context: Context) -> None:
    """Log the failure with enough context to debug it, and tell the resident plainly."""
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


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before every feature (group -3): forged button data never reaches a handler.
    app.add_handler(TypeHandler(Update, callback_gate), group=-3)
    app.add_handler(CallbackQueryHandler(errors_stale_button))
    # In a group, commands for other bots arrive too; answering them would be noise.
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, errors_unknown_command)
    )
    app.add_error_handler(errors_handler)
