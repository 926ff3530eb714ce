"""Short follow-ups about what a resident was just shown: "จัดที่ไหน", "กี่โมง", "จอดรถได้ไหม"
after an answer or details, "อันที่สอง" after a list. Answered from the entry's fields only;
what the entry does not say is said plainly, with someone to ask.

Group -5: after the sign-up and broadcast steps (their typed text is never a follow-up),
before small talk, listings and the matcher, which get every message this one returns on.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot import texts
from bot.chat_context import ChatContext
from handlers.actions import SignUp, Suggestion
from handlers.common import (
    Context,
    entry_blocks,
    entry_keyboard,
    menu_row,
    send_blocks,
    staff_ask_row,
)
from kb.followup import Field, FollowUp, read
from kb.model import Cost, Entry


def _chosen(ctx: ChatContext, asked: FollowUp) -> tuple[str | None, str | None]:
    """The entry id the follow-up is about, or the Thai reason it cannot be told."""
    listed = ctx.listed
    if asked.ordinal is not None:
        if not listed:
            return None, None  # no list to count in: not a follow-up after all
        n = len(listed) if asked.ordinal == -1 else asked.ordinal
        if not 1 <= n <= len(listed):
            return None, texts.no_such_item(len(listed))
        return listed[n - 1], None
    if ctx.entry_id is not None:
        return ctx.entry_id, None
    if len(listed) == 1:
        return listed[0], None
    return None, texts.pick_from_list(len(listed)) if listed else None


async def _line(entry: Entry, field: Field, context: Context) -> str:
    """One field of the entry, in a line; what it does not say, said so with a contact."""
    services = context.services
    at = services.clock()
    # The entry's own contact, else the organisers' name with their phone and LINE.
    contact, phone, line, _ = services.settings.contact_fields()
    reach = texts.contact_reach(phone, line, None)
    if entry.contact:
        contact, reach = entry.contact, ""
    unknown = texts.followup_unknown(texts.FOLLOWUP_TOPICS[field.value], contact, reach)
    if field is Field.WHERE:
        return f"{texts.WHERE}{texts.esc(entry.location)}" if entry.location else unknown
    if field is Field.WHEN:
        if entry.starts is None:
            return unknown
        past = "" if entry.is_upcoming(at) else f" {texts.PAST}"
        return (
            f"{texts.WHEN}{texts.thai_when(entry.starts, entry.ends, services.settings.tz)}{past}"
        )
    if field is Field.COST:
        if entry.cost is Cost.FREE:
            return texts.FREE
        return texts.paid(entry.price) if entry.cost is Cost.PAID else unknown
    if field is Field.CONTACT:
        return f"{texts.CONTACT}{texts.esc(contact)}" + (f"\n{reach}" if reach else "")
    if field is Field.SIGNUP:
        if entry.accepts_signups(at):
            return texts.SIGNUP_HERE
        return texts.SIGNUP_ENDED if entry.signup else unknown
    if field is Field.SEATS:
        if not entry.accepts_signups(at):
            return texts.SIGNUP_ENDED if entry.signup else unknown
        if entry.capacity is None:
            return texts.SEATS_OPEN
        taken, _ = await services.signups.seats(entry.id)
        return texts.seats_left(entry.capacity - taken)
    return unknown  # parking, and anything the knowledge base has no field for


def _keyboard(entry: Entry, context: Context) -> InlineKeyboardMarkup:
    """Under a follow-up's answer: sign up (when open), the full details, the menu."""
    rows: list[list[InlineKeyboardButton]] = []
    if entry.accepts_signups(context.services.clock()):
        rows.append([SignUp(entry.id).button(texts.BTN_SIGNUP)])
    rows.append([Suggestion(entry.id).button(texts.BTN_DETAILS), *menu_row()])
    return InlineKeyboardMarkup(rows)


async def followup_message(update: Update, context: Context) -> None:
    """A short follow-up about the entry (or the list) the resident was just shown (group -5);
    anything else goes on to small talk, listings and the matcher."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    asked = read(message.text)
    if asked is None:
        return
    services = context.services
    at = services.clock()
    ctx = await services.r.chat_context.current(user.id, at)
    if ctx is None:
        return
    entry_id, problem = _chosen(ctx, asked)
    if problem is not None:
        await message.reply_text(problem)
        raise ApplicationHandlerStop
    entry = services.knowledge.kb.get(entry_id) if entry_id is not None else None
    if entry is None:  # nothing to point at, or the entry left the knowledge base
        return
    # Picked from the list: its ordinals still hold for "อันที่สาม" next.
    await services.r.chat_context.entry_shown(user.id, entry.id, at, keep_list=True)
    if not asked.fields:
        await send_blocks(message, entry_blocks(entry, context), entry_keyboard(entry, context))
        raise ApplicationHandlerStop
    lines = [texts.followup_head(entry.title)]
    for field in asked.fields:
        lines.append(await _line(entry, field, context))
    markup = _keyboard(entry, context)
    if any(texts.UNKNOWN_MARK in line for line in lines):
        # What the entry does not say: kept as unanswered for the organisers, and the
        # resident can leave it for a person in one tap.
        staff = await staff_ask_row(update, context, entry.id)
        markup = InlineKeyboardMarkup([*staff, *markup.inline_keyboard])
    await message.reply_text("\n".join(lines), reply_markup=markup)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # New messages only, as questions: an edit was answered when first sent.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, followup_message), group=-5
    )
