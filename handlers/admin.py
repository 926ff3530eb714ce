"""Organisers and staff: /export, /stats, /unanswered (learn residents' phrasings), /reload."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.export import signup_rows, to_csv, to_xlsx
from handlers.common import (
    Context,
    acknowledge,
    admin_only,
    button,
    cb_args,
    cb_int,
    cb_pattern,
    match,
    show,
    svc,
    truncate,
)
from kb.loader import KBError
from kb.thai import LexiconError

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ export
@admin_only
async def export_command(update: Update, context: Context) -> None:
    entries = await svc(context).signups.recent_entries(20)
    if not entries:
        await show(update, [texts.EXPORT_EMPTY])
        return
    buttons = [[button(truncate(title), "xp", entry_id)] for entry_id, title in entries]
    buttons.append([button(texts.BTN_EXPORT_ALL, "xp", "*")])
    await show(update, [texts.EXPORT_PICK], InlineKeyboardMarkup(buttons))


@admin_only
async def export_button(update: Update, context: Context) -> None:
    query = update.callback_query
    message = update.effective_message
    assert query is not None and message is not None
    await acknowledge(query)
    args = cb_args(query.data, "xp", 1)
    if args is None:
        await show(update, [texts.OLD_BUTTON])
        return
    entry_id = None if args[0] == "*" else args[0]
    services = svc(context)
    rows = await signup_rows(services.db, services.settings.tz, entry_id)
    if not rows:
        await show(update, [texts.EXPORT_EMPTY])
        return
    what = texts.BTN_EXPORT_ALL if entry_id is None else str(rows[0][1])
    stamp = services.clock().astimezone(services.settings.tz).strftime("%Y%m%d-%H%M")
    name = f"signups-{entry_id or 'all'}-{stamp}"
    caption = texts.export_caption(what, len(rows))
    await message.chat.send_document(InputFile(to_csv(rows), f"{name}.csv"), caption=caption)
    await message.chat.send_document(InputFile(to_xlsx(rows), f"{name}.xlsx"), caption=caption)


# ------------------------------------------------------------------ stats
@admin_only
async def stats_command(update: Update, context: Context) -> None:
    services = svc(context)
    now = services.clock()
    lines = [texts.STATS_TITLE]
    for entry in services.knowledge.kb.upcoming(now):
        if not entry.signup:
            continue
        seats, waiting = await services.signups.seats(entry.id)
        cap = entry.capacity if entry.capacity is not None else "ไม่จำกัด"
        lines.append(f"• {texts.esc(entry.title)}: ได้ที่นั่ง {seats}/{cap} · สำรอง {waiting}")
    subs = await services.r.subscriptions.counts()
    lines.append("ผู้รับข่าว: " + " · ".join(f"{texts.TOPIC_NAMES[t]} {n}" for t, n in subs.items()))
    asked, missed = await services.db.question_counts(now - timedelta(days=7))
    lines.append(f"คำถาม 7 วันล่าสุด: {asked} · ตอบไม่ได้ {missed}")
    await show(update, ["\n".join(lines)])


# ------------------------------------------------------------------ unanswered
async def unanswered_groups(context: Context, days: int = 30) -> list[tuple[int, int, str]]:
    """(count, representative question id, its text), most frequent first. Near-identical
    questions (same words once particles, spacing and spelling variants are normalised)
    form one group; questions already learned are left out."""
    services = svc(context)
    rows = await services.db.weak_questions(services.clock() - timedelta(days=days), 0.45)
    tokens = services.knowledge.matcher.text.tokens

    def key_of(text: str) -> tuple[str, ...]:
        return tuple(sorted(set(tokens(text))))

    learned = {key_of(p.phrasing) for p in await services.r.learned.all()}
    counts: Counter[tuple[str, ...]] = Counter()
    newest: dict[tuple[str, ...], tuple[int, str]] = {}
    for question_id, text in rows:
        key = key_of(text)
        if not key or key in learned:
            continue
        counts[key] += 1
        newest.setdefault(key, (question_id, text))
    return [(n, *newest[key]) for key, n in counts.most_common(10)]


@admin_only
async def unanswered_command(update: Update, context: Context) -> None:
    groups = await unanswered_groups(context)
    if not groups:
        await show(update, [texts.UNANSWERED_EMPTY])
        return
    lines = [texts.UNANSWERED_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    for i, (count, qid, text) in enumerate(groups, start=1):
        lines.append(f"{i}. ({count}×) {texts.esc(truncate(text, 80))}")
        rows.append([button(f"➕ {i}. {truncate(text, 30)}", "ua", qid)])
    lines.append(texts.UNANSWERED_HINT)
    await show(update, ["\n".join(lines)], InlineKeyboardMarkup(rows))


async def _question(
    context: Context, data: str | None, action: str, count: int
) -> tuple[list[str], str, int | None] | None:
    """(button arguments, question text, the resident who asked) or None when stale."""
    args = cb_args(data, action, count)
    question_id = cb_int(args[0]) if args is not None else None
    if args is None or question_id is None:
        return None
    found = await svc(context).db.question(question_id)
    return (args, found[0], found[1]) if found is not None else None


PICK_PAGE = 8


@admin_only
async def unanswered_pick_button(update: Update, context: Context) -> None:
    """Entries to attach a question to: the matcher's best guesses first, or every entry
    page by page ("a:ul:<question>:<page>") when the right one is not among them."""
    query = update.callback_query
    assert query is not None
    await acknowledge(query)
    paged = cb_args(query.data, "ul", 2)
    found = await _question(context, query.data, "ul" if paged else "ua", 2 if paged else 1)
    if found is None:
        await show(update, [texts.OLD_BUTTON])
        return
    args, text, _ = found
    kb = svc(context).knowledge.kb
    if paged is not None:
        page = int(paged[1])  # four ASCII digits at most (CB_ARGS)
        everything = sorted(kb, key=lambda e: e.title)
        entries = everything[page * PICK_PAGE : (page + 1) * PICK_PAGE]
        nav = []
        if page > 0:
            nav.append(button(texts.BTN_PREV, "ul", args[0], page - 1))
        if (page + 1) * PICK_PAGE < len(everything):
            nav.append(button(texts.BTN_NEXT, "ul", args[0], page + 1))
    else:
        ranked = (await match(context, text)).ranked[:6]
        entries = [e for e in (kb.get(s.entry_id) for s in ranked) if e is not None]
        nav = [button(texts.BTN_ALL_ENTRIES, "ul", args[0], 0)]
    rows = [[button(truncate(e.title), "ut", args[0], e.id)] for e in entries]
    rows += [nav, [button(texts.BTN_DISCARD, "un")]]
    await show(update, [texts.unanswered_pick(text)], InlineKeyboardMarkup([r for r in rows if r]))


@admin_only
async def unanswered_attach_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    await acknowledge(query)
    found = await _question(context, query.data, "ut", 2)
    services = svc(context)
    entry = services.knowledge.kb.get(found[0][1]) if found else None
    if found is None or entry is None:
        await show(update, [texts.OLD_BUTTON])
        return
    _, text, asked_by = found
    await services.r.learned.add(entry.id, text, user.id, source_user=asked_by)
    await services.refresh_learned()
    await show(update, [texts.learned_added(text, entry.title)])


@admin_only
async def unanswered_back_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await acknowledge(query)
    await unanswered_command(update, context)


# ------------------------------------------------------------------ reload
async def reload_knowledge(context_or_app: Any) -> str:
    """Reload BOT_KB_PATH; on any error keep the knowledge base in service. Thai report."""
    services = context_or_app.bot_data["svc"]
    try:
        await services.reload()
    except KBError as exc:
        log.warning("reload refused: %d problem(s)", len(exc.problems))
        return texts.reload_failed([str(p) for p in exc.problems])
    except LexiconError as exc:
        return texts.reload_failed([str(exc)])
    log.info("knowledge base reloaded: %d entries", len(services.knowledge.kb))
    return texts.RELOAD_OK.format(count=len(services.knowledge.kb))


@admin_only
async def reload_command(update: Update, context: Context) -> None:
    await show(update, [await reload_knowledge(context)])


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CommandHandler("unanswered", unanswered_command))
    app.add_handler(CommandHandler("reload", reload_command))
    app.add_handler(CallbackQueryHandler(export_button, pattern=cb_pattern("xp")))
    app.add_handler(CallbackQueryHandler(unanswered_pick_button, pattern=cb_pattern("ua")))
    app.add_handler(CallbackQueryHandler(unanswered_pick_button, pattern=cb_pattern("ul")))
    app.add_handler(CallbackQueryHandler(unanswered_attach_button, pattern=cb_pattern("ut")))
    app.add_handler(CallbackQueryHandler(unanswered_back_button, pattern=cb_pattern("un")))
