"""Organisers and staff: /export, /stats (with attendance), /unanswered (learn residents'
phrasings), /reload."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.export import signup_rows, to_csv, to_xlsx
from bot.store import utcnow
from handlers.actions import (
    Action,
    Export,
    UnansweredAttach,
    UnansweredBack,
    UnansweredPage,
    UnansweredPick,
)
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    admin_only,
    match,
    on_button,
    show,
    truncate,
)

log = logging.getLogger(__name__)
STATS_ATTENDED = 5  # past events /stats shows attendance for


# ------------------------------------------------------------------ export
@admin_only
async def admin_export_command(update: Update, context: Context) -> None:
    """/export: pick an entry (or all) to export its sign-ups."""
    entries = await context.services.signups.recent_entries(20)
    if not entries:
        await show(update, [texts.EXPORT_EMPTY])
        return
    buttons = [[Export(entry_id).button(truncate(title))] for entry_id, title in entries]
    buttons.append([Export("*").button(texts.BTN_EXPORT_ALL)])
    await show(update, [texts.EXPORT_PICK], InlineKeyboardMarkup(buttons))


@on_button(Export, guard=admin_only)
async def admin_export_button(update: Update, context: Context, tap: Tap[Export]) -> None:
    """The sign-ups of the entry picked, as CSV and XLSX files."""
    message = tap.message
    entry_id = None if tap.args.entry == "*" else tap.args.entry
    services = context.services
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
async def admin_stats_command(update: Update, context: Context) -> None:
    """/stats: seats and waiting lists, who came to past events (checked in of confirmed),
    subscribers, questions of the last 7 days."""
    services = context.services
    now = services.clock()
    lines = [texts.STATS_TITLE]
    for entry in services.knowledge.kb.upcoming(now):
        if not entry.signup:
            continue
        seats, waiting = await services.signups.seats(entry.id)
        lines.append(texts.stats_entry(entry.title, seats, entry.capacity, waiting))
    # Who came: the events that have started, latest first (a few, to keep it short).
    started = sorted(
        (e for e in services.knowledge.kb if e.signup and e.starts is not None and e.starts <= now),
        key=lambda e: e.starts or now,
        reverse=True,
    )
    counts = await services.r.checkins.attendance(e.id for e in started)
    attended = [(e, counts[e.id]) for e in started if e.id in counts][:STATS_ATTENDED]
    if attended:
        lines.append(texts.STATS_ATTENDANCE_TITLE)
        for entry, (came, confirmed) in attended:
            lines.append(texts.stats_attendance(entry.title, came, confirmed))
    subs = await services.r.subscriptions.counts()
    lines.append(texts.stats_subscribers(subs))
    # Real time, as questions are stamped (the bot's clock judges events; tests move it).
    asked, missed = await services.r.questions.counts(utcnow() - timedelta(days=7))
    lines.append(texts.stats_questions(asked, missed))
    await show(update, ["\n".join(lines)])


# ------------------------------------------------------------------ unanswered
async def unanswered_groups(context: Context, days: int = 30) -> list[tuple[int, int, str]]:
    """(count, representative question id, its text), most frequent first. Near-identical
    questions (same words once particles, spacing and spelling variants are normalised)
    form one group; questions already learned are left out."""
    services = context.services
    rows = await services.r.questions.weak(services.clock() - timedelta(days=days), 0.45)
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
async def admin_unanswered_command(update: Update, context: Context) -> None:
    """/unanswered: the most frequent recent questions the bot could not answer."""
    groups = await unanswered_groups(context)
    if not groups:
        await show(update, [texts.UNANSWERED_EMPTY])
        return
    lines = [texts.UNANSWERED_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    for i, (count, qid, text) in enumerate(groups, start=1):
        lines.append(f"{i}. ({count}×) {texts.esc(truncate(text, 80))}")
        rows.append([UnansweredPick(qid).button(f"➕ {i}. {truncate(text, 30)}")])
    lines.append(texts.UNANSWERED_HINT)
    await show(update, ["\n".join(lines)], InlineKeyboardMarkup(rows))


async def _question(context: Context, question_id: int) -> tuple[str, int | None] | None:
    """(question text, the resident who asked), or None when it is gone."""
    found = await context.services.r.questions.get(question_id)
    return (found[0], found[1]) if found is not None else None


PICK_PAGE = 8


@on_button(UnansweredPick, UnansweredPage, guard=admin_only)
async def admin_unanswered_pick_button(update: Update, context: Context, tap: Tap[Action]) -> None:
    """Entries to attach a question to: the matcher's best guesses first, or every entry
    page by page (UnansweredPage) when the right one is not among them."""
    args = tap.args
    assert isinstance(args, UnansweredPick | UnansweredPage)
    found = await _question(context, args.question)
    if found is None:
        await show(update, [texts.OLD_BUTTON])
        return
    text, _ = found
    question = args.question
    kb = context.services.knowledge.kb
    if isinstance(args, UnansweredPage):
        page = args.page
        everything = sorted(kb, key=lambda e: e.title)
        entries = everything[page * PICK_PAGE : (page + 1) * PICK_PAGE]
        nav = []
        if page > 0:
            nav.append(UnansweredPage(question, page - 1).button(texts.BTN_PREV))
        if (page + 1) * PICK_PAGE < len(everything):
            nav.append(UnansweredPage(question, page + 1).button(texts.BTN_NEXT))
    else:
        ranked = (await match(context, text)).ranked[:6]
        entries = [e for e in (kb.get(s.entry_id) for s in ranked) if e is not None]
        nav = [UnansweredPage(question, 0).button(texts.BTN_ALL_ENTRIES)]
    rows = [[UnansweredAttach(question, e.id).button(truncate(e.title))] for e in entries]
    rows += [nav, [UnansweredBack().button(texts.BTN_DISCARD)]]
    await show(update, [texts.unanswered_pick(text)], InlineKeyboardMarkup([r for r in rows if r]))


@on_button(UnansweredAttach, guard=admin_only)
async def admin_unanswered_attach_button(
    update: Update, context: Context, tap: Tap[UnansweredAttach]
) -> None:
    """Attach the question to the entry picked, as a phrasing the matcher uses at once."""
    found = await _question(context, tap.args.question)
    services = context.services
    entry = services.knowledge.kb.get(tap.args.entry)
    if found is None or entry is None:
        await show(update, [texts.OLD_BUTTON])
        return
    text, asked_by = found
    await services.r.learned.add(entry.id, text, tap.user.id, source_user=asked_by)
    await services.refresh_learned()
    await show(update, [texts.learned_added(text, entry.title)])


@on_button(UnansweredBack, guard=admin_only)
async def admin_unanswered_back_button(
    update: Update, context: Context, tap: Tap[UnansweredBack]
) -> None:
    """Back from the entries to the unanswered questions."""
    await admin_unanswered_command(update, context)


# ------------------------------------------------------------------ reload
@admin_only
async def admin_reload_command(update: Update, context: Context) -> None:
    """/reload: load the knowledge base again; an invalid one is refused, with its errors."""
    await show(update, [await context.services.reload_report()])


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("export", admin_export_command))
    app.add_handler(CommandHandler("stats", admin_stats_command))
    app.add_handler(CommandHandler("unanswered", admin_unanswered_command))
    app.add_handler(CommandHandler("reload", admin_reload_command))
    add_buttons(
        app,
        admin_export_button,
        admin_unanswered_pick_button,
        admin_unanswered_attach_button,
        admin_unanswered_back_button,
    )
