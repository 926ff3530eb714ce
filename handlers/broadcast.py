"""/broadcast (choose audience, write, preview, confirm) and /broadcasts (status, stop).

Delivery itself is bot/broadcasts.py; this module starts it, reports progress to the
organiser, and resumes unfinished broadcasts when the bot starts.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.broadcasts import Broadcast, Counts, Delivery, send_content
from bot.flows import BroadcastStep, Flow, FlowKind
from bot.services import Services
from bot.signups import Status
from handlers.actions import (
    BroadcastAudience,
    BroadcastConfirm,
    BroadcastDiscard,
    BroadcastEntry,
    BroadcastStatus,
    BroadcastStop,
)
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    admin_only,
    on_button,
    show,
    truncate,
)

log = logging.getLogger(__name__)

TOPIC_KEYS: dict[Literal["f", "l", "e"], str] = {"f": "forums", "l": "livelihood", "e": "learning"}
STATUS_KEYS = {"c": "confirmed", "w": "waitlist", "b": "both"}


async def recipients(context: Context, audience: str) -> list[int]:
    """The residents an audience ("topic:<t>", "entry:<id>:<status>", "all") reaches now."""
    r = context.services.r
    kind, _, rest = audience.partition(":")
    if kind == "topic":
        return await r.subscriptions.audience(rest)
    if kind == "entry":
        entry_id, _, status = rest.partition(":")
        wanted = {Status.CONFIRMED, Status.WAITLIST} if status == "both" else {Status(status)}
        return await r.signups.reachable(entry_id, wanted)
    return await r.subscriptions.audience(None)


def audience_label(context: Context, audience: str) -> str:
    """An audience in Thai, for the preview and /broadcasts."""
    if audience.startswith("entry:"):
        entry = context.services.knowledge.kb.get(audience.split(":")[1])
        return texts.audience_name(audience, entry.title if entry else None)
    return texts.audience_name(audience)


# ------------------------------------------------------------------ composing
@admin_only
async def broadcast_command(update: Update, context: Context) -> None:
    """/broadcast: choose the audience of a new broadcast."""
    user = update.effective_user
    assert user is not None
    await context.services.r.flows.save(user.id, FlowKind.BROADCAST, BroadcastStep.AUDIENCE, {})
    rows = [[BroadcastAudience(k).button(texts.TOPIC_NAMES[t])] for k, t in TOPIC_KEYS.items()]
    rows += [
        [BroadcastAudience("all").button(texts.BTN_AUD_ALL)],
        [BroadcastAudience("su").button(texts.BTN_AUD_SIGNUPS)],
    ]
    rows.append([BroadcastDiscard().button(texts.BTN_DISCARD)])
    await show(update, [texts.BROADCAST_AUDIENCE], InlineKeyboardMarkup(rows))


async def _flow(update: Update, context: Context) -> Flow | None:
    """The organiser's broadcast in progress, if any (it lives in the flows table)."""
    user = update.effective_user
    if user is None:
        return None
    return await context.services.r.flows.current(user.id, FlowKind.BROADCAST)


async def _composing(update: Update, context: Context) -> bool:
    """Whether a composing step's button belongs to a broadcast in progress; if not, the
    organiser is told it expired."""
    if await _flow(update, context) is None:
        await show(update, [texts.FLOW_EXPIRED])
        return False
    return True


async def _compose(update: Update, context: Context, audience: str) -> None:
    user = update.effective_user
    assert user is not None
    await context.services.r.flows.save(
        user.id, FlowKind.BROADCAST, BroadcastStep.COMPOSE, {"audience": audience}
    )
    await show(update, [texts.BROADCAST_COMPOSE])


@on_button(BroadcastAudience, guard=admin_only)
async def broadcast_audience_button(
    update: Update, context: Context, tap: Tap[BroadcastAudience]
) -> None:
    """The audience picked: a topic, everyone subscribed, or an entry's sign-ups."""
    if not await _composing(update, context):
        return
    choice = tap.args.choice
    if choice in TOPIC_KEYS:
        await _compose(update, context, f"topic:{TOPIC_KEYS[choice]}")
    elif choice == "all":
        await _compose(update, context, "all")
    else:
        entries = await context.services.signups.recent_entries(12, live_only=True)
        if not entries:
            await show(update, [texts.BROADCAST_NO_ENTRIES])
            return
        buttons = [
            [BroadcastEntry(entry_id).button(truncate(title))] for entry_id, title in entries
        ]
        await show(update, [texts.BROADCAST_PICK_ENTRY], InlineKeyboardMarkup(buttons))


@on_button(BroadcastEntry, guard=admin_only)
async def broadcast_entry_button(
    update: Update, context: Context, tap: Tap[BroadcastEntry]
) -> None:
    """The entry picked: which of its residents (confirmed, waitlisted, both)."""
    if not await _composing(update, context):
        return
    entry = tap.args.entry
    rows = [
        [BroadcastStatus(entry, "c").button(texts.BTN_ST_CONFIRMED)],
        [BroadcastStatus(entry, "w").button(texts.BTN_ST_WAITLIST)],
        [BroadcastStatus(entry, "b").button(texts.BTN_ST_BOTH)],
    ]
    await show(update, [texts.BROADCAST_PICK_STATUS], InlineKeyboardMarkup(rows))


@on_button(BroadcastStatus, guard=admin_only)
async def broadcast_status_button(
    update: Update, context: Context, tap: Tap[BroadcastStatus]
) -> None:
    """Confirmed, waitlisted or both picked: now the message itself."""
    if not await _composing(update, context):
        return
    await _compose(update, context, f"entry:{tap.args.entry}:{STATUS_KEYS[tap.args.status]}")


async def broadcast_compose_message(update: Update, context: Context) -> None:
    """The organiser's announcement (group -20, admins only): show the exact preview."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    flow = await _flow(update, context)
    if flow is None or flow.step is not BroadcastStep.COMPOSE:
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
    await context.services.r.flows.save(user.id, FlowKind.BROADCAST, BroadcastStep.PREVIEW, data)
    count = len(await recipients(context, data["audience"]))
    await send_content(context.bot, user.id, kind, body, file_id)
    await message.chat.send_message(
        texts.broadcast_preview(audience_label(context, data["audience"]), count),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    BroadcastConfirm().button(texts.BTN_SEND),
                    BroadcastDiscard().button(texts.BTN_DISCARD),
                ]
            ]
        ),
    )
    raise ApplicationHandlerStop


@on_button(BroadcastDiscard, guard=admin_only)
async def broadcast_discard_button(
    update: Update, context: Context, tap: Tap[BroadcastDiscard]
) -> None:
    """Discard the broadcast being composed; nothing is sent."""
    user = tap.user
    await context.services.r.flows.end(user.id)
    await show(update, [texts.BROADCAST_DISCARDED])


@on_button(BroadcastConfirm, guard=admin_only)
async def broadcast_confirm_button(
    update: Update, context: Context, tap: Tap[BroadcastConfirm]
) -> None:
    """Send the previewed broadcast (once, however often it is tapped)."""
    user, message = tap.user, tap.message
    flow = await _flow(update, context)
    if flow is None or flow.step is not BroadcastStep.PREVIEW:
        await show(update, [texts.FLOW_EXPIRED])  # also a double tap: sent only once
        return
    await context.services.r.flows.end(user.id)
    data = flow.data
    people = await recipients(context, data["audience"])
    if not people:
        await show(update, [texts.BROADCAST_NOBODY])
        return
    broadcast = await context.services.r.broadcasts.create(
        user.id, data["audience"], data["kind"], data["body"], data["file_id"], people, user.id
    )
    await show(update, [texts.broadcast_progress(broadcast.id, 0, 0, 0, len(people), False, False)])
    await context.services.r.broadcasts.set_progress_message(broadcast.id, message.message_id)
    start_delivery(context.application, broadcast)


# ------------------------------------------------------------------ delivering
def start_delivery(app: Application[Any, Any, Any, Any, Any, Any], broadcast: Broadcast) -> None:
    """Start delivering unless it already is: the start-up resume job and a just-confirmed
    broadcast can race, and two deliveries would send everything twice."""
    s = Services.of(app)
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
    services = context.services
    for broadcast in await services.r.broadcasts.running():
        if broadcast.id not in services.deliveries:
            log.info("resuming broadcast %s", broadcast.id)
        start_delivery(context.application, broadcast)


@admin_only
async def broadcast_list_command(update: Update, context: Context) -> None:
    """/broadcasts: recent broadcasts, their counts, and a stop button for running ones."""
    recent = await context.services.r.broadcasts.recent()
    if not recent:
        await show(update, [texts.BROADCASTS_EMPTY])
        return
    lines = [texts.BROADCASTS_TITLE]
    rows: list[list[InlineKeyboardButton]] = []
    tz = context.services.settings.tz
    for b, counts in recent:
        when = b.created_at.astimezone(tz)
        date = f"{texts.thai_date_short(when)} {texts.thai_time(when)}"
        head = f"#{b.id} · {date} · {audience_label(context, b.audience)}"
        if b.entry_id is not None:  # an announcement: of what
            entry = context.services.knowledge.kb.get(b.entry_id)
            head += texts.broadcast_of(truncate(entry.title if entry else b.entry_id, 40))
        c = counts
        lines.append(texts.broadcast_line(head, b.status, c.sent, c.total, c.failed, c.blocked))
        if b.status == "running":
            rows.append([BroadcastStop(b.id).button(f"{texts.BTN_STOP} #{b.id}")])
    await show(update, ["\n".join(lines)], InlineKeyboardMarkup(rows) if rows else None)


@on_button(BroadcastStop, guard=admin_only)
async def broadcast_stop_button(update: Update, context: Context, tap: Tap[BroadcastStop]) -> None:
    """Stop a running broadcast between two messages."""
    services = context.services
    broadcast_id = tap.args.broadcast
    delivery = services.deliveries.get(broadcast_id)
    await services.r.broadcasts.finish(broadcast_id, "cancelled")
    if delivery is not None:
        delivery.cancel()
    await broadcast_list_command(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("broadcast", broadcast_command))
    app.add_handler(CommandHandler("broadcasts", broadcast_list_command))
    add_buttons(
        app,
        broadcast_audience_button,
        broadcast_entry_button,
        broadcast_status_button,
        broadcast_confirm_button,
        broadcast_discard_button,
        broadcast_stop_button,
    )
    admins = list(Services.of(app).settings.admin_ids)
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
            group=-20,
        )
    if app.job_queue is not None:
        # No misfire grace: APScheduler drops a job more than 1 s late, and the scheduler
        # starts only after post_init, which can take longer (the sentence model's vectors
        # on a first start): the unfinished broadcast would never be resumed.
        app.job_queue.run_once(
            broadcast_resume_job, when=0.5, job_kwargs={"misfire_grace_time": None}
        )
