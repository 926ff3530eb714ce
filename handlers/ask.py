"""Free text is a question: a confident answer, "did you mean" buttons, or an honest fallback."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, MessageHandler, filters

from bot import texts
from handlers.actions import AskPrompt, NoneOfThese, Suggestion
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    answer_question,
    entry_blocks,
    entry_keyboard,
    fallback_keyboard,
    menu_keyboard,
    menu_row,
    on_button,
    remember_shown,
    show,
)


async def ask_message(update: Update, context: Context) -> None:
    """A question typed in the private chat."""
    await answer_question(update, context)


@on_button(Suggestion)
async def ask_suggestion_button(update: Update, context: Context, tap: Tap[Suggestion]) -> None:
    """An entry among "did you mean"'s, or "the next one" under a past event."""
    entry = context.services.knowledge.kb.get(tap.args.entry)
    if entry is None:
        await show(update, [texts.ENTRY_GONE], menu_keyboard())
        return
    await show(update, entry_blocks(entry, context), entry_keyboard(entry, context))
    await remember_shown(update, context, entry_id=entry.id, keep_list=True)


@on_button(NoneOfThese)
async def ask_none_button(update: Update, context: Context, tap: Tap[NoneOfThese]) -> None:
    """The "none of these" button: the fallback; the question is marked unanswered."""
    services = context.services
    theirs = await services.r.questions.mark_unanswered(tap.args.question, tap.user.id)
    staff = tap.args.question if theirs else None  # someone else's question: not theirs to leave
    fallback = texts.fallback(*services.settings.contact_fields())
    await show(update, [fallback], fallback_keyboard(staff))


@on_button(AskPrompt)
async def ask_prompt_button(update: Update, context: Context, tap: Tap[AskPrompt]) -> None:
    """The menu's "ask a question": how to ask."""
    await show(update, [texts.ASK_PROMPT], InlineKeyboardMarkup([menu_row()]))


async def ask_not_text(update: Update, context: Context) -> None:
    """A sticker, photo or voice message: say what the bot understands."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.NOT_TEXT, reply_markup=menu_keyboard())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # New messages only: an edited question was answered (and stored) when first sent, so
    # answering the edit would answer it twice. A resident who wants a new answer asks again.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, ask_message))
    add_buttons(app, ask_suggestion_button, ask_none_button, ask_prompt_button)
    # Stickers, photos, voice: say what the bot understands instead of staying silent.
    app.add_handler(
        MessageHandler(
            private & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            ask_not_text,
        )
    )
