"""/subscribe and /unsubscribe: residents choose which news they get."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.subscriptions import TOPICS
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_pattern,
    menu_row,
    private_only,
    show,
    svc,
)


def topics_keyboard(topics: set[str]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = [
        [button(("✅ " if t in topics else "⬜ ") + texts.TOPIC_NAMES[t], "sb", t)] for t in TOPICS
    ]
    rows.append(
        [
            button(("✅ " if topics == set(TOPICS) else "⬜ ") + texts.BTN_TOPIC_ALL, "sb", "all"),
            button(texts.BTN_TOPIC_NONE, "sb", "none"),
        ]
    )
    rows.append([button(texts.BTN_DONE, "sb", "done")])
    return InlineKeyboardMarkup(rows)


@private_only
async def subscribe_command(update: Update, context: Context) -> None:
    """/subscribe and /unsubscribe: the topics, each a toggle."""
    user = update.effective_user
    if user is None:
        return
    topics = await svc(context).r.subscriptions.topics(user.id)
    await show(update, [texts.subscriptions(topics)], topics_keyboard(topics))


async def subscribe_offer(update: Update, context: Context) -> None:
    """Offered once, on a resident's first /start."""
    message = update.effective_message
    if message is not None:
        await message.chat.send_message(texts.SUBSCRIBE_OFFER, reply_markup=topics_keyboard(set()))


@private_only
async def subscribe_button(update: Update, context: Context) -> None:
    """A topic toggled, all, none, or done."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "sb", 1)
    if args is None or args[0] not in (*TOPICS, "all", "none", "done"):
        await show(update, [texts.OLD_BUTTON], InlineKeyboardMarkup([menu_row()]))
        return
    repo = svc(context).r.subscriptions
    topics = await repo.topics(user.id)
    choice = args[0]
    if choice == "done":
        await show(update, [texts.SUBSCRIPTIONS_SAVED], InlineKeyboardMarkup([menu_row()]))
        return
    if choice == "all":
        topics = set() if topics == set(TOPICS) else set(TOPICS)
    elif choice == "none":
        topics = set()
    else:
        topics ^= {choice}
    await repo.set(user.id, topics)
    await show(update, [texts.subscriptions(topics)], topics_keyboard(topics))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["subscribe", "unsubscribe"], subscribe_command))
    app.add_handler(CallbackQueryHandler(subscribe_button, pattern=cb_pattern("sb")))
