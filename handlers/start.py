"""/start, /help and the main menu."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.services import set_admin_commands
from handlers.actions import Help, Menu
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    menu_keyboard,
    menu_row,
    offer_subscriptions,
    on_button,
    private_only,
    show,
)


@private_only  # in a group: a button to the private chat, carrying any /start payload
async def start_command(update: Update, context: Context) -> None:
    """/start: greeting and menu; the first time, the news topics on offer."""
    message = update.effective_message
    if message is None:
        return
    user = update.effective_user
    first_time = user is not None and await context.services.r.residents.touch(user.id)
    await message.reply_text(
        texts.start(user.first_name if user else None), reply_markup=menu_keyboard()
    )
    if first_time:
        await offer_subscriptions(update)
        if user is not None and user.id in context.services.settings.admin_ids:
            await set_admin_commands(context.bot, user.id)


async def start_help_command(update: Update, context: Context) -> None:
    """/help: what the bot does and the residents' commands."""
    contact = texts.help_contact(*context.services.settings.contact_fields())
    await show(update, [texts.HELP, contact], InlineKeyboardMarkup([menu_row()]))


@on_button(Menu)
async def start_menu_button(update: Update, context: Context, tap: Tap[Menu]) -> None:
    """The "main menu" button."""
    await show(update, [texts.MENU_TITLE], menu_keyboard())


@on_button(Help)
async def start_help_button(update: Update, context: Context, tap: Tap[Help]) -> None:
    """The menu's "how to use" button."""
    await start_help_command(update, context)


@private_only  # a flow is a private matter: in a group, a button to the private chat
async def start_cancel_command(update: Update, context: Context) -> None:
    """/cancel: leave whatever flow is in progress (a sign-up, a broadcast, a reply)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    ended = await context.services.r.flows.end(user.id)
    await message.reply_text(
        texts.FLOW_CANCELLED if ended else texts.NOTHING_TO_CANCEL,
        reply_markup=ReplyKeyboardRemove(),
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("help", start_help_command))
    app.add_handler(CommandHandler("cancel", start_cancel_command))
    add_buttons(app, start_menu_button, start_help_button)
