"""Lists (/events, /programmes, /activities) with paging, and each entry's details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from handlers.actions import Details, ListKey, ListPage
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    entry_blocks,
    entry_keyboard,
    menu_keyboard,
    menu_row,
    now,
    on_button,
    remember_shown,
    show,
    truncate,
)
from kb.model import Entry, Kind, KnowledgeBase

PAGE_SIZE = 5


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


def list_entries(kb: KnowledgeBase, key: ListKey, at: datetime) -> list[Entry]:
    if key == "ev":
        return kb.upcoming(at)
    if key == "pg":
        return _ordered(kb.of_kind(Kind.PROGRAMME), at)
    return _ordered(kb.of_kind(Kind.ACTIVITY), at)


def list_view(context: Context, key: ListKey, page: int) -> tuple[list[str], InlineKeyboardMarkup]:
    entries = list_entries(context.services.knowledge.kb, key, now(context))
    if not entries:
        return [texts.LIST_TITLES[key], texts.LIST_EMPTY[key]], menu_keyboard()
    pages = (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    tz = context.services.settings.tz
    lines = [texts.LIST_TITLES[key] + texts.page_of(page, pages)]
    rows: list[list[InlineKeyboardButton]] = []
    for n, e in enumerate(shown, start=page * PAGE_SIZE + 1):
        line = f"{n}. {texts.esc(e.title)}"
        if e.starts is not None:
            line += f"\n    {texts.WHEN}{texts.thai_date_short(e.starts.astimezone(tz))}"
            line += f" {texts.thai_time(e.starts.astimezone(tz))}"
        lines.append(line)
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


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("events", browse_events_command))
    app.add_handler(CommandHandler(["programmes", "programs"], browse_programmes_command))
    app.add_handler(CommandHandler("activities", browse_activities_command))
    add_buttons(app, browse_list_button, browse_details_button)
