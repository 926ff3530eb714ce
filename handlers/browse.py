"""Lists (/events, /programmes, /activities) with paging, and each entry's details."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from handlers.actions import Details, ListKey, ListPage, ReadMore, SignUp
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    drop_spent_button,
    entry_blocks,
    entry_keyboard,
    menu_keyboard,
    menu_row,
    more_of_answer,
    now,
    on_button,
    remember_shown,
    send_blocks,
    show,
    truncate,
)
from kb.model import Entry, Kind, KnowledgeBase

PAGE_SIZE = 5
# A /programmes page: lines of a small phone for headings and entries (12, less the
# list's title and hint).
PROGRAMME_LINES = 10
log = logging.getLogger(__name__)


def _ordered(entries: list[Entry], at: datetime) -> list[Entry]:
    """Upcoming first (soonest first), then undated, then past (latest first)."""
    upcoming = sorted((e for e in entries if e.is_upcoming(at)), key=lambda e: (e.starts, e.id))
    undated = sorted((e for e in entries if e.starts is None), key=lambda e: e.title)
    past = sorted(
        (e for e in entries if e.starts is not None and not e.is_upcoming(at)),
        key=lambda e: e.starts or at,
        reverse=True,
    )
    return upcoming + undated + past


def _open_first(entries: list[Entry], at: datetime) -> list[Entry]:
    """Upcoming and open to sign-ups first, then the rest in `_ordered`'s order."""
    ordered = _ordered(entries, at)
    first = [e for e in ordered if e.is_upcoming(at) or e.accepts_signups(at)]
    return first + [e for e in ordered if e not in first]


# A page of /programmes: (group, its entries on this page, whether the group began before).
Section = tuple[str, list[Entry], bool]


def _lines(entry: Entry) -> int:
    """The phone lines an entry takes in a list: its numbered title, and its date if any."""
    return texts.phone_lines(f"00. {entry.title}") + (1 if entry.starts is not None else 0)


def programme_pages(kb: KnowledgeBase, at: datetime) -> list[list[Section]]:
    """/programmes by what a resident wants (the entries' `topic`: income and jobs, help
    and funds, learning, then any without one), upcoming and open ones first in each group.
    Groups share a page while it fits a small phone; a long group goes on over the next."""
    programmes = kb.of_kind(Kind.PROGRAMME)
    pages: list[list[Section]] = []
    room = 0
    for group in texts.PROGRAMME_GROUPS:
        members = _open_first([e for e in programmes if (e.topic or "") == group], at)
        section: Section | None = None
        for n, entry in enumerate(members):
            need = _lines(entry) + (1 if section is None else 0)  # the group's heading
            if not pages or need > room:
                pages.append([])
                room = PROGRAMME_LINES
                section, need = None, _lines(entry) + 1
            if section is None:
                section = (group, [], n > 0)
                pages[-1].append(section)
            section[1].append(entry)
            room -= need
    return pages


def list_entries(kb: KnowledgeBase, key: ListKey, at: datetime) -> list[Entry]:
    """The list's entries in the order they are numbered."""
    if key == "ev":
        return kb.upcoming(at)
    if key == "pg":
        return [e for page in programme_pages(kb, at) for _, chunk, _ in page for e in chunk]
    return _ordered(kb.of_kind(Kind.ACTIVITY), at)


def _item(n: int, entry: Entry, context: Context) -> str:
    line = f"{n}. {texts.esc(entry.title)}"
    if entry.starts is not None:
        starts = entry.starts.astimezone(context.services.settings.tz)
        line += f"\n    {texts.WHEN}{texts.thai_date_short(starts)} {texts.thai_time(starts)}"
    return line


def list_view(context: Context, key: ListKey, page: int) -> tuple[list[str], InlineKeyboardMarkup]:
    at = now(context)
    kb = context.services.knowledge.kb
    if key == "pg":
        sections = programme_pages(kb, at)
    else:
        entries = list_entries(kb, key, at)
        sections = [
            [("", entries[i : i + PAGE_SIZE], False)] for i in range(0, len(entries), PAGE_SIZE)
        ]
    if not sections:
        return [texts.LIST_TITLES[key], texts.LIST_EMPTY[key]], menu_keyboard()
    pages = len(sections)
    page = min(max(page, 0), pages - 1)
    n = sum(len(chunk) for earlier in sections[:page] for _, chunk, _ in earlier)
    lines = [texts.LIST_TITLES[key] + texts.page_of(page, pages)]
    rows: list[list[InlineKeyboardButton]] = []
    for group, chunk, more in sections[page]:
        if key == "pg":
            lines.append(texts.PROGRAMME_GROUPS[group] + (texts.GROUP_MORE if more else ""))
        for e in chunk:
            n += 1
            lines.append(_item(n, e, context))
            rows.append([Details(e.id, f"{key}{page}").button(truncate(f"{n}. {e.title}"))])
    lines.append(texts.LIST_HINT)
    nav = []
    if page > 0:
        nav.append(ListPage(key, page - 1).button(texts.BTN_PREV))
    if page < pages - 1:
        nav.append(ListPage(key, page + 1).button(texts.BTN_NEXT))
    if nav:
        rows.append(nav)
    rows.append(menu_row())
    return ["\n".join(lines)], InlineKeyboardMarkup(rows)


async def show_list(update: Update, context: Context, key: ListKey, page: int) -> None:
    """A list's page, kept for follow-ups: "อันที่ 7" is the entry numbered 7 on any page."""
    await show(update, *list_view(context, key, page))
    entries = list_entries(context.services.knowledge.kb, key, now(context))
    await remember_shown(update, context, listed=[e.id for e in entries])


async def browse_events_command(update: Update, context: Context) -> None:
    """/events: upcoming events, soonest first."""
    await show_list(update, context, "ev", 0)


async def browse_programmes_command(update: Update, context: Context) -> None:
    """/programmes (or /programs): livelihood programmes."""
    await show_list(update, context, "pg", 0)


async def browse_activities_command(update: Update, context: Context) -> None:
    """/activities: learning activities."""
    await show_list(update, context, "ac", 0)


@on_button(ListPage)
async def browse_list_button(update: Update, context: Context, tap: Tap[ListPage]) -> None:
    """A list from the menu, or another page of it."""
    await show_list(update, context, tap.args.key, tap.args.page)


@on_button(Details)
async def browse_details_button(update: Update, context: Context, tap: Tap[Details]) -> None:
    """An entry's details, tapped in a list."""
    entry = context.services.knowledge.kb.get(tap.args.entry)
    if entry is None:
        await show(update, [texts.ENTRY_GONE], menu_keyboard())
        return
    await show(update, entry_blocks(entry, context), entry_keyboard(entry, context, tap.args.back))
    await remember_shown(update, context, entry_id=entry.id, keep_list=True)


@on_button(ReadMore)
async def browse_read_more_button(update: Update, context: Context, tap: Tap[ReadMore]) -> None:
    """ "อ่านต่อ" under an answer cut short: the next part of it, as a new message below."""
    entry = context.services.knowledge.kb.get(tap.args.entry)
    if entry is None:
        await show(update, [texts.ENTRY_GONE], menu_keyboard())
        return
    await drop_spent_button(tap.message, ReadMore)
    blocks, more = more_of_answer(entry, tap.args.at)
    rows: list[list[InlineKeyboardButton]] = []
    if entry.accepts_signups(now(context)):
        rows.append([SignUp(entry.id).button(texts.BTN_SIGNUP)])
    if more is not None:
        rows.append([ReadMore(entry.id, more).button(texts.BTN_READ_MORE)])
    await send_blocks(tap.message, blocks, InlineKeyboardMarkup([*rows, menu_row()]))
    await remember_shown(update, context, entry_id=entry.id, keep_list=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("events", browse_events_command))
    app.add_handler(CommandHandler(["programmes", "programs"], browse_programmes_command))
    app.add_handler(CommandHandler("activities", browse_activities_command))
    add_buttons(app, browse_list_button, browse_details_button, browse_read_more_button)
