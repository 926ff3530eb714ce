"""A person to reach: a resident leaves a question the bot could not answer for the
organisers in one tap ("ส่งคำถามถึงเจ้าหน้าที่"); organisers see these with /inbox, tap
"ตอบ", type the reply, and it reaches the resident in Telegram.

The reply is durable as the sign-up outbox is: written (bot/handoffs.py) before it is sent,
marked answered once Telegram accepts it, and sent after a restart when a crash came in
between. The organiser is told how it went, a resident who blocked the bot included.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
)

from bot import texts
from bot.flows import FlowKind, StaffReplyStep
from bot.handoffs import Handoff, HandoffState
from handlers.actions import InboxDiscard, InboxReply, StaffAsk
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    add_organiser_steps,
    admin_only,
    drop_spent_button,
    menu_keyboard,
    menu_row,
    on_button,
    private_only,
    run_at_start_and_every,
    show,
    truncate,
)

log = logging.getLogger(__name__)
REPLY_INTERVAL = 30  # seconds between rounds of replies a crash or an error left unsent
INBOX_PAGE = 5  # two lines each: the list fits a small phone's screen


def _when(context: Context, handoff_time: Any) -> str:
    local = handoff_time.astimezone(context.services.settings.tz)
    return f"{texts.thai_date_short(local)} {texts.thai_time(local)}"


# ------------------------------------------------------------------ the resident's side
@on_button(StaffAsk, guard=private_only)
async def inbox_leave_button(update: Update, context: Context, tap: Tap[StaffAsk]) -> None:
    """The "ส่งคำถามถึงเจ้าหน้าที่" button: the question is left for the organisers, once."""
    services = context.services
    chat = tap.message.chat
    left = await services.r.handoffs.leave(tap.args.question, tap.user.id)
    handoff = await services.r.handoffs.get(tap.args.question) if left != "gone" else None
    if handoff is None:  # deleted (retention, /forgetme), or never theirs
        await chat.send_message(texts.STAFF_GONE, reply_markup=menu_keyboard())
        return
    if left == "already":  # a second tap: nothing new is stored or sent to organisers
        await chat.send_message(texts.STAFF_ALREADY)
        return
    # The fallback stays on screen (it carries the contact), without the spent button.
    await drop_spent_button(tap.message, StaffAsk)
    days = services.settings.question_retention_days
    await chat.send_message(
        texts.staff_left(handoff.text, days), reply_markup=InlineKeyboardMarkup([menu_row()])
    )
    for admin_id in sorted(services.settings.admin_ids):
        try:
            await context.bot.send_message(
                admin_id,
                texts.staff_new(handoff.text),
                reply_markup=InlineKeyboardMarkup(
                    [[InboxReply(handoff.question_id).button(texts.BTN_REPLY)]]
                ),
            )
        except TelegramError as exc:  # they have not opened the bot: /inbox still shows it
            log.info("organiser %s not told of a question left (%s)", admin_id, exc)


# ------------------------------------------------------------------ the organisers' side
@admin_only
async def inbox_command(update: Update, context: Context) -> None:
    """/inbox: questions residents left for the organisers, oldest first, each with "ตอบ"."""
    waiting, total = await context.services.r.handoffs.waiting(INBOX_PAGE)
    if not waiting:
        await show(update, [texts.INBOX_EMPTY])
        return
    lines = [texts.inbox_title(total)]
    rows: list[list[InlineKeyboardButton]] = []
    for n, h in enumerate(waiting, start=1):
        lines.append(texts.inbox_line(n, h.text, _when(context, h.asked_at)))
        label = f"{texts.BTN_REPLY} {n}. {' '.join(h.text.split())}"
        rows.append([InboxReply(h.question_id).button(truncate(label, 32))])
    if total > len(waiting):
        lines.append(texts.inbox_more(total - len(waiting)))
    lines.append(texts.INBOX_HINT)
    await show(update, ["\n".join(lines)], InlineKeyboardMarkup(rows))


@on_button(InboxReply, guard=admin_only)
async def inbox_reply_button(update: Update, context: Context, tap: Tap[InboxReply]) -> None:
    """The "ตอบ" button: the organiser's next message is the reply to that question."""
    services = context.services
    handoff = await services.r.handoffs.get(tap.args.question)
    chat = tap.message.chat
    if handoff is None:
        await chat.send_message(texts.INBOX_GONE)
        return
    if handoff.state is not HandoffState.WAITING:
        by = handoff.answered_by or 0
        when = _when(context, handoff.answered_at or handoff.sent_at)
        await chat.send_message(texts.inbox_taken(by, when))
        return
    await services.r.flows.save(
        tap.user.id, FlowKind.STAFF_REPLY, StaffReplyStep.TEXT, {"question": handoff.question_id}
    )
    await chat.send_message(
        texts.inbox_compose(handoff.text),
        reply_markup=InlineKeyboardMarkup([[InboxDiscard().button(texts.BTN_REPLY_DISCARD)]]),
    )


@on_button(InboxDiscard, guard=admin_only)
async def inbox_discard_button(update: Update, context: Context, tap: Tap[InboxDiscard]) -> None:
    """The "ยังไม่ตอบ" button: the reply flow ends; the question stays in /inbox."""
    flows = context.services.r.flows
    if await flows.current(tap.user.id, FlowKind.STAFF_REPLY) is not None:
        await flows.end(tap.user.id)
    await show(update, [texts.INBOX_DISCARDED])


async def inbox_reply_message(update: Update, context: Context) -> None:
    """The organiser's reply (group -15, organisers only): written, then sent to the
    resident. Without a reply flow the message goes on (a question, a broadcast)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    flow = await services.r.flows.current(user.id, FlowKind.STAFF_REPLY)
    if flow is None:
        return
    text = (message.text or "").strip()
    if not text:
        await message.reply_text(texts.INBOX_TEXT_ONLY)
        raise ApplicationHandlerStop
    if len(text) > texts.REPLY_LIMIT:
        await message.reply_text(texts.inbox_too_long(texts.REPLY_LIMIT))
        raise ApplicationHandlerStop
    question_id = int(flow.data.get("question", 0))
    handoff = await services.r.handoffs.reply(question_id, user.id, text)
    if handoff is None:  # deleted, or another organiser answered meanwhile
        current = await services.r.handoffs.get(question_id)
        if current is None:
            await message.reply_text(texts.INBOX_GONE)
        else:
            when = _when(context, current.answered_at or current.sent_at)
            await message.reply_text(texts.inbox_taken(current.answered_by or 0, when))
        raise ApplicationHandlerStop
    await deliver_replies(context, [handoff], tell_retry=True)
    raise ApplicationHandlerStop


# ------------------------------------------------------------------ delivering replies
async def _send_reply(context: Context, handoff: Handoff, tell_retry: bool) -> str | None:
    """Send one reply and record how it went; what to tell the organiser (None: nothing
    yet, it is tried again)."""
    repo = context.services.r.handoffs
    try:
        await context.bot.send_message(
            handoff.user_id,
            texts.staff_reply(handoff.text, handoff.reply or ""),
            reply_markup=InlineKeyboardMarkup([menu_row()]),
        )
    except Forbidden:
        log.info("reply to question %s: resident blocked the bot", handoff.question_id)
        await repo.settle(handoff.question_id, HandoffState.BLOCKED)
        await context.services.r.residents.set_blocked(handoff.user_id, True)
        return texts.inbox_blocked(handoff.text)
    except TelegramError as exc:
        log.warning("reply to question %s not delivered (%s)", handoff.question_id, exc)
        if await repo.attempt_failed(handoff.question_id):
            return texts.inbox_failed(handoff.text)
        return texts.INBOX_RETRYING if tell_retry else None
    await repo.settle(handoff.question_id, HandoffState.ANSWERED)
    return texts.inbox_sent(handoff.text)


async def deliver_replies(
    context: Context, handoffs: Sequence[Handoff], *, tell_retry: bool = False
) -> None:
    """Send written replies to the residents, each once in the normal case, and tell the
    organiser who wrote it. A crash between Telegram's answer and the record sends it again
    at the next start (the resident sees it twice)."""
    repo = context.services.r.handoffs
    for handoff in handoffs:
        if not await repo.claim(handoff.question_id):
            continue  # being sent by the job or a handler, or already sent
        try:
            report = await _send_reply(context, handoff, tell_retry)
        finally:
            repo.release(handoff.question_id)
        if report is not None and handoff.answered_by is not None:
            try:
                await context.bot.send_message(handoff.answered_by, report)
            except TelegramError as exc:
                log.info("organiser %s not told about a reply (%s)", handoff.answered_by, exc)


async def inbox_resend_job(context: Context) -> None:
    """At start-up and regularly: send the replies a crash or a network error left unsent."""
    services = context.services
    if services.repos is None:
        return
    await deliver_replies(context, await services.r.handoffs.unsent())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("inbox", inbox_command))
    add_buttons(app, inbox_leave_button, inbox_reply_button, inbox_discard_button)
    # Between the events' typed steps (-18) and the sign-up steps (-10): an organiser has
    # one flow at a time, so at most one of them takes the message.
    add_organiser_steps(app, inbox_reply_message, group=-15)
    run_at_start_and_every(app, inbox_resend_job, REPLY_INTERVAL)
