"""Lists (/events, /programmes, /activities) with paging, and each entry's details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_pattern,
    entry_blocks,
    entry_keyboard,
    menu_keyboard,
    menu_row,
    now,
    show,
    svc,
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


def list_entries(kb: KnowledgeBase, key: str, at: datetime) -> list[Entry] | None:
    if key == "ev":
        return kb.upcoming(at)
    if key == "pg":
        return _ordered(kb.of_kind(Kind.PROGRAMME), at)
    if key == "ac":
        return _ordered(kb.of_kind(Kind.ACTIVITY), at)
    return None


def list_view(
    context: Context, key: str, page: int
) -> tuple[list[str], InlineKeyboardMarkup] | None:
    entries = list_entries(svc(context).knowledge.kb, key, now(context))
    if entries is None:
        return None
    if not entries:
        return [texts.LIST_TITLES[key], texts.LIST_EMPTY[key]], menu_keyboard()
    pages = (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    tz = svc(context).settings.tz
    lines = [texts.LIST_TITLES[key] + texts.page_of(page, pages)]
    rows: list[list[InlineKeyboardButton]] = []
    for n, e in enumerate(shown, start=page * PAGE_SIZE + 1):
        line = f"{n}. {texts.esc(e.title)}"
        if e.starts is not None:
            line += f"\n    {texts.WHEN}{texts.thai_date_short(e.starts.astimezone(tz))}"
            line += f" {texts.thai_time(e.starts.astimezone(tz))}"
        lines.append(line)
        rows.append([button(truncate(f"{n}. {e.title}"), "d", e.id, f"{key}{page}")])
    lines.append(texts.LIST_HINT)
    nav = []
    if page > 0:
        nav.append(button(texts.BTN_PREV, "l", key, page - 1))
    if page < pages - 1:
        nav.append(button(texts.BTN_NEXT, "l", key, page + 1))
    if nav:
        rows.append(nav)
    rows.append(menu_row())
    return ["\n".join(lines)], InlineKeyboardMarkup(rows)


async def _send_list(update: Update, context: Context, key: str, page: int = 0) -> None:
    view = list_view(context, key, page)
    if view is not None:
        await show(update, *view)


async def events_command(update: Update, context: Context) -> None:
    await _send_list(update, context, "ev")


async def programmes_command(update: Update, context: Context) -> None:
    await _send_list(update, context, "pg")


async def activities_command(update: Update, context: Context) -> None:
    await _send_list(update, context, "ac")


async def browse_list_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "l", 2)
    view = None
    if args is not None:  # a list key and up to four ASCII digits (CB_ARGS)
        view = list_view(context, args[0], int(args[1]))
    if view is None:
        await show(update, [texts.OLD_BUTTON], menu_keyboard())
        return
    await show(update, *view)


async def browse_details_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "d", 2)
    entry = svc(context).knowledge.kb.get(args[0]) if args else None
    if args is None:
        await show(update, [texts.OLD_BUTTON], menu_keyboard())
    elif entry is None:
        await show(update, [texts.ENTRY_GONE], menu_keyboard())
    else:
        await show(update, entry_blocks(entry, context), entry_keyboard(entry, context, args[1]))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("events", events_command))
    app.add_handler(CommandHandler(["programmes", "programs"], programmes_command))
    app.add_handler(CommandHandler("activities", activities_command))
    app.add_handler(CallbackQueryHandler(browse_list_button, pattern=cb_pattern("l")))
    app.add_handler(CallbackQueryHandler(browse_details_button, pattern=cb_pattern("d")))
