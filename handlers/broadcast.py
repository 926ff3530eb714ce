"""/broadcast (choose audience, write, preview, confirm) and /broadcasts (status, stop).

Delivery itself is bot/broadcasts.py; this module starts it, reports progress to the
organiser, and resumes unfinished broadcasts when the bot starts.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.app import services
from bot.broadcasts import Broadcast, Counts, Delivery, send_content
from bot.signups import Flow, Status
from handlers.common import (
    Context,
    acknowledge,
    admin_only,
    button,
    cb_args,
    cb_int,
    cb_pattern,
    show,
    svc,
    truncate,
)
from handlers.signup import FLOW_TTL

log = logging.getLogger(__name__)

FLOW = "broadcast"
TOPIC_KEYS = {"f": "forums", "l": "livelihood", "e": "learning"}
STATUS_KEYS = {"c": "confirmed", "w": "waitlist", "b": "both"}


async def recipients(context: Context, audience: str) -> list[int]:
    r = svc(context).r
    kind, _, rest = audience.partition(":")
    if kind == "topic":
        return await r.subscriptions.audience(rest)
    if kind == "entry":
        entry_id, _, status = rest.partition(":")
        wanted = {Status.CONFIRMED, Status.WAITLIST} if status == "both" else {Status(status)}
        return await r.signups.reachable(entry_id, wanted)
    return await r.subscriptions.audience(None)


def audience_label(context: Context, audience: str) -> str:
    if audience.startswith("entry:"):
        entry = svc(context).knowledge.kb.get(audience.split(":")[1])
        return texts.audience_name(audience, entry.title if entry else None)
    return texts.audience_name(audience)


# ------------------------------------------------------------------ composing
@admin_only
async def broadcast_command(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None
    await svc(context).signups.save_flow(user.id, FLOW, "audience", {})
    rows = [[button(texts.TOPIC_NAMES[t], "ba", k)] for k, t in TOPIC_KEYS.items()]
    rows += [[button(texts.BTN_AUD_ALL, "ba", "all")], [button(texts.BTN_AUD_SIGNUPS, "ba", "su")]]
    rows.append([button(texts.BTN_DISCARD, "bx")])
    await show(update, [texts.BROADCAST_AUDIENCE], InlineKeyboardMarkup(rows))


async def _flow(update: Update, context: Context) -> Flow | None:
    """The organiser's broadcast in progress, if any (it lives in the flows table)."""
    user = update.effective_user
    if user is None:
        return None
    flow = await svc(context).signups.flow(user.id, FLOW_TTL)
    return flow if flow is not None and flow.kind == FLOW else None


async def _flow_args(update: Update, context: Context, action: str, count: int) -> list[str] | None:
    """A composing step's button: acknowledged, its arguments, or None (and the organiser
    told the broadcast expired) when the data is tampered with or the flow is gone."""
    query = update.callback_query
    assert query is not None
    await acknowledge(query)
    args = cb_args(query.data, action, count)
    if args is None or await _flow(update, context) is None:
        await show(update, [texts.FLOW_EXPIRED])
        return None
    return args


async def _compose(update: Update, context: Context, audience: str) -> None:
    user = update.effective_user
    assert user is not None
    await svc(context).signups.save_flow(user.id, FLOW, "compose", {"audience": audience})
    await show(update, [texts.BROADCAST_COMPOSE])


@admin_only
async def broadcast_audience_button(update: Update, context: Context) -> None:
    args = await _flow_args(update, context, "ba", 1)
    if args is None:
        return
    if args[0] in TOPIC_KEYS:
        await _compose(update, context, f"topic:{TOPIC_KEYS[args[0]]}")
    elif args[0] == "all":
        await _compose(update, context, "all")
    else:
        entries = await svc(context).signups.recent_entries(12, live_only=True)
        if not entries:
            await show(update, [texts.BROADCAST_NO_ENTRIES])
            return
        buttons = [[button(truncate(title), "be", entry_id)] for entry_id, title in entries]
        await show(update, [texts.BROADCAST_PICK_ENTRY], InlineKeyboardMarkup(buttons))


@admin_only
async def broadcast_entry_button(update: Update, context: Context) -> None:
    args = await _flow_args(update, context, "be", 1)
    if args is None:
        return
    labels = {"c": texts.BTN_ST_CONFIRMED, "w": texts.BTN_ST_WAITLIST, "b": texts.BTN_ST_BOTH}
    rows = [[button(label, "bs", args[0], k)] for k, label in labels.items()]
    await show(update, [texts.BROADCAST_PICK_STATUS], InlineKeyboardMarkup(rows))


@admin_only
async def broadcast_status_button(update: Update, context: Context) -> None:
    args = await _flow_args(update, context, "bs", 2)
    if args is None:
        return
    if args[1] not in STATUS_KEYS:
        await show(update, [texts.FLOW_EXPIRED])
        return
    await _compose(update, context, f"entry:{args[0]}:{STATUS_KEYS[args[1]]}")


async def broadcast_compose_message(update: Update, context: Context) -> None:
    """The organiser's announcement (group -2, admins only): show the exact preview."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    flow = await _flow(update, context)
    if flow is None or flow.step != "compose":
        return  # not composing: the message is an ordinary question
    data = flow.data
    if message.photo:
        kind, file_id, body = "photo", message.photo[-1].file_id, message.caption_html or ""
    elif message.document:
        kind, file_id, body = "document", message.document.file_id, message.caption_html or ""
    elif message.text:
        kind, file_id, body = "text", None, message.text_html
    else:
        await message.reply_text(texts.BROADCAST_UNSUPPORTED)
        raise ApplicationHandlerStop
    data.update(kind=kind, file_id=file_id, body=body)
    await svc(context).signups.save_flow(user.id, FLOW, "preview", data)
    count = len(await recipients(context, data["audience"]))
    await send_content(context.bot, user.id, kind, body, file_id)
    await message.chat.send_message(
        texts.broadcast_preview(audience_label(context, data["audience"]), count),
        reply_markup=InlineKeyboardMarkup(
            [[button(texts.BTN_SEND, "bc"), button(texts.BTN_DISCARD, "bx")]]
        ),
    )
    raise ApplicationHandlerStop


@admin_only
async def broadcast_discard_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    await acknowledge(query)
    await svc(context).signups.end_flow(user.id)
    await show(update, [texts.BROADCAST_DISCARDED])


@admin_only
async def broadcast_confirm_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    assert query is not None and user is not None and message is not None
    await acknowledge(query)
    flow = await _flow(update, context)
    if flow is None or flow.step != "preview":
        await show(update, [texts.FLOW_EXPIRED])  # also a double tap: sent only once
        return
    await svc(context).signups.end_flow(user.id)
    data = flow.data
    people = await recipients(context, data["audience"])
    if not people:
        await show(update, [texts.BROADCAST_NOBODY])
        return
    broadcast = await svc(context).r.broadcasts.create(
        user.id, data["audience"], data["kind"], data["body"], data["file_id"], people, user.id
    )
    await show(update, [texts.broadcast_progress(broadcast.id, 0, 0, 0, len(people), False, False)])
    await svc(context).r.broadcasts.set_progress_message(broadcast.id, message.message_id)
    start_delivery(context.application, broadcast)


# ------------------------------------------------------------------ delivering
def start_delivery(app: Application[Any, Any, Any, Any, Any, Any], broadcast: Broadcast) -> None:
    """Start delivering unless it already is: the start-up resume job and a just-confirmed
    broadcast can race, and two deliveries would send everything twice."""
    s = services(app)
    if broadcast.id in s.deliveries:
        return

    async def progress(b: Broadcast, counts: Counts, final: bool) -> None:
        if b.progress_chat is None:
            return
        current = await s.r.broadcasts.get(b.id)
        message_id = current.progress_message if current else None
        text = texts.broadcast_progress(
            b.id, counts.sent, counts.failed, counts.blocked, counts.pending,
            final, final and current is not None and current.status == "cancelled",
        )  # fmt: skip
        try:
            if message_id is not None and not final:
                await app.bot.edit_message_text(text, b.progress_chat, message_id)
            else:
                await app.bot.send_message(b.progress_chat, text)
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("broadcast %s: progress not shown: %s", b.id, exc)
        except TelegramError as exc:
            log.warning("broadcast %s: progress not shown: %s", b.id, exc)

    delivery = Delivery(app.bot, s.r.broadcasts, broadcast, progress)
    s.deliveries[broadcast.id] = delivery

    async def run() -> None:
        try:
            await delivery.run()
        finally:
            s.deliveries.pop(broadcast.id, None)

    app.create_task(run(), name=f"broadcast-{broadcast.id}")


async def broadcast_resume_job(context: Context) -> None:
    """At start-up: carry on with broadcasts a crash or restart interrupted."""
    services = svc(context)
    for broadcast in await services.r.broadcasts.running():
        if broadcast.id not in services.deliveries:
            log.info("resuming broadcast %s", broadcast.id)
        start_delivery(context.application, broadcast)


@admin_only
async def broadcasts_command(update: Update, context: Context) -> None:
    recent = await svc(context).r.broadcasts.recent()
    if not recent:
        await show(update, [texts.BROADCASTS_EMPTY])
        return
    lines = [texts.BROADCASTS_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    tz = svc(context).settings.tz
    for b, counts in recent:
        when = b.created_at.astimezone(tz)
        lines.append(
            f"#{b.id} · {texts.thai_date_short(when)} {texts.thai_time(when)} · "
            f"{audience_label(context, b.audience)}\n"
            f"    {b.status} · ส่งแล้ว {counts.sent}/{counts.total}"
            f" · ไม่สำเร็จ {counts.failed} · บล็อก {counts.blocked}"
        )
        if b.status == "running":
            rows.append([button(f"{texts.BTN_STOP} #{b.id}", "bk", b.id)])
    await show(update, ["\n".join(lines)], InlineKeyboardMarkup(rows) if rows else None)


@admin_only
async def broadcast_stop_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await acknowledge(query)
    args = cb_args(query.data, "bk", 1)
    services = svc(context)
    broadcast_id = cb_int(args[0]) if args is not None else None
    if broadcast_id is None:
        await show(update, [texts.BROADCAST_NOT_RUNNING])
        return
    delivery = services.deliveries.get(broadcast_id)
    await services.r.broadcasts.finish(broadcast_id, "cancelled")
    if delivery is not None:
        delivery.cancel()
    await broadcasts_command(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("broadcast", broadcast_command))
    app.add_handler(CommandHandler("broadcasts", broadcasts_command))
    app.add_handler(CallbackQueryHandler(broadcast_audience_button, pattern=cb_pattern("ba")))
    app.add_handler(CallbackQueryHandler(broadcast_entry_button, pattern=cb_pattern("be")))
    app.add_handler(CallbackQueryHandler(broadcast_status_button, pattern=cb_pattern("bs")))
    app.add_handler(CallbackQueryHandler(broadcast_confirm_button, pattern=cb_pattern("bc")))
    app.add_handler(CallbackQueryHandler(broadcast_discard_button, pattern=cb_pattern("bx")))
    app.add_handler(CallbackQueryHandler(broadcast_stop_button, pattern=cb_pattern("bk")))
    admins = list(services(app).settings.admin_ids)
    if admins:
        content = filters.TEXT | filters.PHOTO | filters.Document.ALL
        app.add_handler(
            MessageHandler(
                filters.User(user_id=admins)
                & filters.ChatType.PRIVATE
                & content
                & ~filters.COMMAND,
                broadcast_compose_message,
            ),
            group=-2,
        )
    if app.job_queue is not None:
        # No misfire grace: APScheduler drops a job more than 1 s late, and the scheduler
        # starts only after post_init, which can take longer (the sentence model's vectors
        # on a first start): the unfinished broadcast would never be resumed.
        app.job_queue.run_once(
            broadcast_resume_job, when=0.5, job_kwargs={"misfire_grace_time": None}
        )
