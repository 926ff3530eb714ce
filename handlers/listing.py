""" "What's on?": a question asking for a list is answered with the list (kb/listing.py reads
it), soonest first, each with its details and, while open, its sign-up button."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot import texts
from handlers.actions import Details, SignUp
from handlers.common import Context, menu_row, remember_shown, truncate
from kb.listing import ListRequest, nearest, read_request, select
from kb.model import Cost, Entry

MAX_SHOWN = 5


class ListRequestFilter(filters.MessageFilter):
    """Text that asks for a list; any other text goes on to the matcher."""

    def filter(self, message: Message) -> bool:
        # Whether the text is a list request does not depend on the day, only its window.
        return (
            bool(message.text) and read_request(message.text or "", datetime.now(UTC)) is not None
        )


def _tags(request: ListRequest) -> list[str]:
    tags = [texts.LISTING_FILTERS["free"]] if request.free else []
    if request.open_signup:
        tags.append(texts.LISTING_FILTERS["open"])
    if request.online:
        tags.append(texts.LISTING_FILTERS["online"])
    tags += [f"สำหรับ{texts.AUDIENCE_NAMES[a]}" for a in sorted(request.audience)]
    return tags


def listing_view(
    entries: list[Entry], at: datetime, head: list[str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The entries, two lines each, a details button for each and a sign-up one while open."""
    lines = list(head)
    rows: list[list[InlineKeyboardButton]] = []
    signups: list[InlineKeyboardButton] = []
    for n, e in enumerate(entries, start=1):
        assert e.starts is not None  # only dated entries are listed
        cost = texts.LISTING_FILTERS["free"] if e.cost is Cost.FREE else e.price
        lines.append(texts.listing_line(n, e.title, e.starts.astimezone(at.tzinfo), cost))
        rows.append([Details(e.id, "ev0").button(truncate(f"{n}. {e.title}"))])
        if e.accepts_signups(at):
            signups.append(SignUp(e.id).button(texts.btn_listing_signup(n)))
    rows += [signups[i : i + 3] for i in range(0, len(signups), 3)]
    rows.append(menu_row())
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def listing_message(update: Update, context: Context) -> None:
    """A request for a list ("what's on this weekend?"): the matching upcoming entries."""
    message = update.effective_message
    if message is None or not message.text:
        return
    services = context.services
    at = services.clock().astimezone(services.settings.tz)
    request = read_request(message.text, at)
    if request is None:  # the filter said yes a moment ago; nothing else reads it now
        return
    # Counted in /stats as a question answered (with the list), like any other question.
    user = update.effective_user
    await services.r.questions.log(user.id if user else None, message.text, "answer", None, 1.0)
    kb = services.knowledge.kb
    what = request.window.what if request.window else None
    title = texts.listing_title(what, _tags(request))
    found = select(kb, request, at, MAX_SHOWN)
    if found:
        text, markup = listing_view(found, at, [title])
    else:
        found = nearest(kb, request, at, 3)
        if not found:
            await message.reply_text(
                texts.LISTING_NONE_AT_ALL, reply_markup=InlineKeyboardMarkup([menu_row()])
            )
            return
        text, markup = listing_view(
            found, at, [title, texts.listing_empty(what), texts.LISTING_NEAREST]
        )
    await message.reply_text(text, reply_markup=markup)
    # "อันที่สอง", "จัดที่ไหน" next are about this list.
    await remember_shown(update, context, listed=[e.id for e in found])


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(
            private & filters.TEXT & ~filters.COMMAND & ListRequestFilter(), listing_message
        )
    )
