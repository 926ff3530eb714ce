"""Free text is a question: a confident answer, "did you mean" buttons, or an honest fallback."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import texts
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_pattern,
    entry_blocks,
    entry_keyboard,
    match,
    menu_keyboard,
    menu_row,
    now,
    send_blocks,
    show,
    svc,
    truncate,
    user_id,
)
from kb.matching import Outcome


async def ask_message(update: Update, context: Context) -> None:
    await answer_question(update, context)


async def answer_question(update: Update, context: Context) -> None:
    """Answer the message's text: the entry, "did you mean" buttons, or the fallback."""
    message = update.effective_message
    if message is None or not message.text:
        return
    services = svc(context)
    knowledge = services.knowledge
    result = await match(context, message.text)
    top = result.ranked[0].entry_id if result.ranked else None
    question_id = await services.db.log_question(
        user_id(update), message.text, result.outcome.value, top, result.score
    )
    if result.outcome is Outcome.ANSWER and result.answer_id is not None:
        entry = knowledge.kb.get(result.answer_id)
        if entry is not None:
            blocks, markup = entry_blocks(entry, context), entry_keyboard(entry, context)
            upcoming = knowledge.next_one(entry, result, now(context))
            if upcoming is not None and upcoming.starts is not None:
                # A past event answered as past, with the way to the next one on top.
                when = texts.thai_when(upcoming.starts, upcoming.ends, services.settings.tz)
                blocks = [*blocks, "", texts.next_one(upcoming.title, when)]
                next_row = [button(texts.BTN_NEXT_ONE, "s", upcoming.id)]
                markup = InlineKeyboardMarkup([next_row, *markup.inline_keyboard])
            await send_blocks(message, blocks, markup)
            return
    if result.outcome is Outcome.SUGGEST:
        rows = []
        for entry_id in result.suggestions:
            entry = knowledge.kb.get(entry_id)
            if entry is not None:
                rows.append([button(truncate(entry.title), "s", entry.id)])
        rows.append([button(texts.BTN_NONE, "n", question_id)])
        rows.append(menu_row())
        await message.reply_text(texts.DID_YOU_MEAN, reply_markup=InlineKeyboardMarkup(rows))
        return
    await message.reply_text(
        texts.fallback(services.settings.contact), reply_markup=menu_keyboard()
    )


async def ask_suggestion_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "s", 1)
    entry = svc(context).knowledge.kb.get(args[0]) if args else None
    if entry is None:
        await show(update, [texts.ENTRY_GONE if args else texts.OLD_BUTTON], menu_keyboard())
        return
    await show(update, entry_blocks(entry, context), entry_keyboard(entry, context))


async def ask_none_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "n", 1)
    if args is None or not args[0].isdigit():
        await show(update, [texts.OLD_BUTTON], menu_keyboard())
        return
    services = svc(context)
    await services.db.mark_unanswered(int(args[0]), user_id(update))
    await show(update, [texts.fallback(services.settings.contact)], menu_keyboard())


async def ask_prompt_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    await show(update, [texts.ASK_PROMPT], InlineKeyboardMarkup([menu_row()]))


async def ask_not_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.NOT_TEXT, reply_markup=menu_keyboard())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # New messages only: an edited question was answered (and stored) when first sent, so
    # answering the edit would answer it twice. A resident who wants a new answer asks again.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, ask_message))
    app.add_handler(CallbackQueryHandler(ask_suggestion_button, pattern=cb_pattern("s")))
    app.add_handler(CallbackQueryHandler(ask_none_button, pattern=cb_pattern("n")))
    app.add_handler(CallbackQueryHandler(ask_prompt_button, pattern=cb_pattern("q")))
    # Stickers, photos, voice: say what the bot understands instead of staying silent.
    app.add_handler(
        MessageHandler(
            private & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            ask_not_text,
        )
    )
