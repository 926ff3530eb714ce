"""/subscribe and /unsubscribe: residents choose which news they get."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.subscriptions import TOPICS
from handlers.actions import Topic
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    menu_row,
    on_button,
    private_only,
    show,
    topics_keyboard,
)


@private_only
async def subscribe_command(update: Update, context: Context) -> None:
    """/subscribe and /unsubscribe: the topics, each a toggle."""
    user = update.effective_user
    if user is None:
        return
    topics = await context.services.r.subscriptions.topics(user.id)
    await show(update, [texts.subscriptions(topics)], topics_keyboard(topics))


@on_button(Topic, guard=private_only)
async def subscribe_topic_button(update: Update, context: Context, tap: Tap[Topic]) -> None:
    """A topic toggled, all, none, or done."""
    repo = context.services.r.subscriptions
    topics = await repo.topics(tap.user.id)
    choice = tap.args.choice
    if choice == "done":
        await show(update, [texts.SUBSCRIPTIONS_SAVED], InlineKeyboardMarkup([menu_row()]))
        return
    if choice == "all":
        topics = set() if topics == set(TOPICS) else set(TOPICS)
    elif choice == "none":
        topics = set()
    else:
        topics ^= {choice}
    await repo.set(tap.user.id, topics)
    await show(update, [texts.subscriptions(topics)], topics_keyboard(topics))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["subscribe", "unsubscribe"], subscribe_command))
    add_buttons(app, subscribe_topic_button)
