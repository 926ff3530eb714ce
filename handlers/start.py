"""/start, /help and the main menu."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.app import set_admin_commands
from handlers.common import (
    Context,
    acknowledge,
    cb_pattern,
    menu_keyboard,
    menu_row,
    private_only,
    show,
    svc,
)
from handlers.subscribe import subscribe_offer


@private_only  # in a group: a button to the private chat, carrying any /start payload
async def start_command(update: Update, context: Context) -> None:
    """/start: greeting and menu; the first time, the news topics on offer."""
    message = update.effective_message
    if message is None:
        return
    user = update.effective_user
    first_time = user is not None and await svc(context).db.touch_resident(user.id)
    await message.reply_text(
        texts.start(user.first_name if user else None), reply_markup=menu_keyboard()
    )
    if first_time:
        await subscribe_offer(update, context)
        if user is not None and user.id in svc(context).settings.admin_ids:
            await set_admin_commands(context.bot, user.id)


async def help_command(update: Update, context: Context) -> None:
    await show(update, [texts.HELP], InlineKeyboardMarkup([menu_row()]))


async def menu_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await show(update, [texts.MENU_TITLE], menu_keyboard())


async def help_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await help_command(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(menu_button, pattern=cb_pattern("m")))
    app.add_handler(CallbackQueryHandler(help_button, pattern=cb_pattern("h")))
