"""Signing up: consent (PDPA), name, phone, party size, then a seat or a waiting place.

The resident's place in the flow is stored in SQLite at every step, so a restart loses
nothing, and a flow left idle for FLOW_TTL simply expires. A step moves on only once its
question reached the resident: a reply that fails to send leaves the step where it was.

Replies that carry a commitment (confirmed, waitlisted, promoted, cancelled) go through the
outbox (`Signups.notices`): written with the change, sent, then removed; the notice job sends
what a crash or a network error left behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.phone import display_phone, normalize_phone
from bot.signups import (
    CapacityOf,
    Flow,
    Notice,
    NoticeKind,
    Result,
    Signup,
    Status,
    clean_name,
    name_ok,
)
from handlers.ask import answer_question
from handlers.common import (
    Context,
    acknowledge,
    button,
    cb_args,
    cb_pattern,
    match,
    menu_row,
    now,
    private_only,
    show,
    svc,
)
from kb.matching import Outcome
from kb.model import Entry
from kb.thai import ThaiText

log = logging.getLogger(__name__)

FLOW = "signup"
FLOW_TTL = timedelta(minutes=30)
DEEP_LINK = re.compile(r"^signup_([a-z0-9-]{1,40})$")
NOTICE_INTERVAL = 30  # seconds between rounds of the outbox
# The lexicon's canonical question words (its synonyms map ไส, มื้อใด๋, where... onto these).
QUESTION_WORDS = frozenset(
    {"ที่ไหน", "เมื่อไร", "อะไร", "อย่างไร", "ไหม", "เท่าไร", "กี่", "ใคร", "ไหน", "ทำไม", "หรือยัง"}
)
# ไหม is also a nickname (น้องไหม): it only ends a question after two words or more.
_SHORT_NAME_WORDS = frozenset({"ไหม", "ไหน"})


# ------------------------------------------------------------------ shared pieces
def entry_gate(context: Context, entry_id: str) -> tuple[Entry | None, str | None]:
    """The entry if residents can sign up for it now, else the Thai reason why not."""
    entry = svc(context).knowledge.kb.get(entry_id)
    if entry is None:
        return None, texts.SIGNUP_UNKNOWN
    if entry.accepts_signups(now(context)):
        return entry, None
    return None, texts.SIGNUP_CLOSED if not entry.signup else texts.SIGNUP_PAST


def capacity_of(context: Context) -> CapacityOf:
    """Seats on offer per entry id, for promotions: none for entries gone, closed or past."""

    def capacity(entry_id: str) -> int | None:
        entry, problem = entry_gate(context, entry_id)
        if entry is None or problem is not None:
            return 0
        return entry.capacity

    return capacity


def signed_up_text(context: Context, outcome_signup: Signup, name: str, phone: str) -> str:
    entry = svc(context).knowledge.kb.get(outcome_signup.entry_id)
    tz = svc(context).settings.tz
    when = (
        texts.thai_when(entry.starts, entry.ends, tz)
        if entry and entry.starts is not None
        else None
    )
    where = entry.location if entry else None
    return texts.confirmed(
        outcome_signup.entry_title, when, where, name, display_phone(phone), outcome_signup.people
    )


def after_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(texts.BTN_MY_SIGNUPS, "ms"), *menu_row()]])


async def notice_text(context: Context, notice: Notice) -> str | None:
    """What a queued notice says, from the sign-up as it is now; None when it no longer
    holds (a waiting place since promoted, a seat since cancelled, details erased)."""
    s = notice.signup
    if notice.kind is NoticeKind.CANCELLED:
        return texts.cancelled(s.entry_title) if s.status is Status.CANCELLED else None
    if notice.kind is NoticeKind.WAITLISTED:
        return (
            texts.waitlisted(s.entry_title, s.position or 1)
            if s.status is Status.WAITLIST
            else None
        )
    if s.status is not Status.CONFIRMED:
        return None
    person = await svc(context).signups.person(s.user_id)
    if person is None:
        return None
    text = signed_up_text(context, s, person.name, person.phone)
    return texts.promoted(text) if notice.kind is NoticeKind.PROMOTED else text


async def _send_notice(context: Context, notice: Notice, text: str) -> bool:
    """Send one notice; True when it is done with (delivered, or it can never be)."""
    chat = notice.signup.user_id
    try:
        if notice.message_id is not None:
            try:
                await context.bot.edit_message_text(
                    text, chat_id=chat, message_id=notice.message_id, reply_markup=after_keyboard()
                )
                return True
            except BadRequest as exc:
                # Sent before a crash, then sent again: the tapped message already says it.
                if "not modified" in str(exc).lower():
                    return True
                log.info("notice %s: tapped message not editable (%s); sent anew", notice.id, exc)
        await context.bot.send_message(chat, text, reply_markup=after_keyboard())
        return True
    except Forbidden:
        log.info("notice %s (%s): resident blocked the bot", notice.id, notice.kind)
        await svc(context).db.set_blocked(chat, True)
        return True
    except TelegramError as exc:
        log.warning("notice %s (%s) not delivered (%s); will retry", notice.id, notice.kind, exc)
        return False


async def deliver_notices(context: Context, notices: Sequence[Notice]) -> None:
    """Send queued replies and take each out of the outbox once Telegram has accepted it.

    At most one copy in the normal case. A crash between Telegram's answer and the removal
    sends it again at the next start: an edit of the tapped message then changes nothing (the
    resident sees one), a new message (typed phone, promotion) arrives twice."""
    repo = svc(context).signups
    for notice in notices:
        if not await repo.claim(notice.id):
            continue  # being sent by someone else in this process, or already sent
        try:
            text = await notice_text(context, notice)
            if text is None or await _send_notice(context, notice, text):
                await repo.notice_sent(notice.id)
            else:
                await repo.notice_failed(notice.id)
        finally:
            repo.release(notice.id)


async def notify_promotions(context: Context, promoted: list[Signup]) -> None:
    """Tell residents who got a seat from the waiting list (their notices are queued)."""
    repo = svc(context).signups
    await deliver_notices(context, await repo.notices(signup_ids=[s.id for s in promoted]))


async def cancel_signup(update: Update, context: Context, signup_id: int) -> bool:
    """A tapped "yes, cancel": cancel the resident's sign-up, say so in place of the tapped
    message (through the outbox), and tell whoever got the seat. A second tap on an already
    cancelled sign-up changes nothing. False when the sign-up is not theirs."""
    user = update.effective_user
    query = update.callback_query
    if user is None:
        return False
    repo = svc(context).signups
    current = await repo.get(signup_id)
    if current is None or current.user_id != user.id:
        return False
    if current.status is Status.CANCELLED:
        return True  # the first tap's "cancelled" is on screen
    tapped = query.message.message_id if query is not None and query.message else None
    cancelled, promoted = await repo.cancel(
        signup_id, user.id, capacity_of(context), message_id=tapped
    )
    if cancelled is None:
        return False
    # Replaces the tapped message; with none (an inline-mode button), a new message.
    await deliver_notices(context, await repo.notices(user_id=user.id))
    await notify_promotions(context, promoted)
    return True


async def signup_notice_job(context: Context) -> None:
    """Send the outbox left behind by a crash or a network error, and promote where seats
    came free (a capacity raised in the knowledge base). Runs at start-up, then regularly."""
    services = svc(context)
    if services.repos is None:
        return
    repo = services.signups
    await repo.rebalance(await repo.waiting_entries(), capacity_of(context))
    await deliver_notices(context, await repo.notices())


# ------------------------------------------------------------------ starting
async def begin(update: Update, context: Context, entry_id: str) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    entry, problem = entry_gate(context, entry_id)
    if entry is None:
        await message.chat.send_message(
            problem or texts.SIGNUP_UNKNOWN, reply_markup=after_keyboard()
        )
        return
    repo = svc(context).signups
    live = next((s for s in await repo.of_user(user.id) if s.entry_id == entry.id), None)
    if live is not None:
        await message.chat.send_message(
            texts.already(live.entry_title, live.position), reply_markup=after_keyboard()
        )
        return
    person = await repo.person(user.id)
    if person is None:
        await message.chat.send_message(
            texts.CONSENT,
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        button(texts.BTN_CONSENT_YES, "cs", "y"),
                        button(texts.BTN_CONSENT_NO, "cs", "n"),
                    ]
                ]
            ),
        )
        await repo.save_flow(user.id, FLOW, "consent", {"entry": entry.id})
        return
    data = {"entry": entry.id, "name": person.name, "phone": person.phone}
    await message.chat.send_message(
        texts.confirm_saved(person.name, display_phone(person.phone), entry.title),
        reply_markup=InlineKeyboardMarkup(
            [
                [button(texts.BTN_USE_SAVED, "ok", entry.id)],
                [button(texts.BTN_EDIT_DETAILS, "ed", entry.id)],
                menu_row(),
            ]
        ),
    )
    await repo.save_flow(user.id, FLOW, "saved", data)


@private_only  # personal data: in a group, a button to the private chat
async def signup_button(update: Update, context: Context) -> None:
    """The "📝 สมัคร" button under an entry's details."""
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "su", 1)
    if args is None:
        await show(update, [texts.OLD_BUTTON], after_keyboard())
        return
    await begin(update, context, args[0])


@private_only  # personal data: in a group, a button to the private chat
async def signup_deep_link(update: Update, context: Context) -> None:
    """/start signup_<entry-id>, from a poster's link or QR code."""
    message = update.effective_message
    payload = context.args[0] if context.args else ""
    match = DEEP_LINK.match(payload)
    if message is None:
        return
    if match is None:
        await message.reply_text(texts.SIGNUP_UNKNOWN, reply_markup=after_keyboard())
        return
    if update.effective_user is not None:
        await svc(context).db.touch_resident(update.effective_user.id)
    await begin(update, context, match.group(1))


# ------------------------------------------------------------------ steps
async def _flow(update: Update, context: Context, step: str | None = None) -> Flow | None:
    user = update.effective_user
    if user is None:
        return None
    flow = await svc(context).signups.flow(user.id, FLOW_TTL)
    if flow is None or flow.kind != FLOW or (step is not None and flow.step != step):
        return None
    return flow


async def _button_flow(update: Update, context: Context, step: str) -> Flow | None:
    """The flow a step's button belongs to, or None after handling a tap that does not fit.

    A second tap on a button whose step is already done (a double tap, or a tap Telegram
    delivers again) leaves everything as it is: the first tap's answer is on screen and the
    flow goes on. Only with no flow at all is the resident told it is over."""
    flow = await _flow(update, context)
    if flow is None:
        await _stale(update)
        return None
    return flow if flow.step == step else None


async def _stale(update: Update) -> None:
    await show(update, [texts.FLOW_EXPIRED], after_keyboard())


def _profile_name(full_name: str) -> str | None:
    name = clean_name(full_name)
    return name if name_ok(name) else None


async def ask_for_name(update: Update, context: Context, flow: Flow) -> None:
    """Ask for the name; the step moves on only once the question was sent."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    profile = _profile_name(user.full_name)
    rows = [[button(texts.use_profile_name(profile), "nm")]] if profile else []
    sent = await message.chat.send_message(
        texts.ask_name(profile), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )
    flow.data["since"] = sent.message_id
    await svc(context).signups.save_flow(user.id, FLOW, "name", flow.data)


async def ask_for_phone(message: Message, context: Context, user_id: int, flow: Flow) -> None:
    sent = await message.chat.send_message(
        texts.ASK_PHONE,
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(texts.BTN_SHARE_PHONE, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    flow.data["since"] = sent.message_id
    await svc(context).signups.save_flow(user_id, FLOW, "phone", flow.data)


async def after_details(update: Update, context: Context, user_id: int, flow: Flow) -> None:
    """Name and phone known: ask the party size if the entry allows more, else sign up.

    From a button, the answer replaces the message in place (one call per tap, and no stale
    button left to press twice); from typed text it is a new message. The answer to a
    sign-up goes through the outbox, so a failed send is retried rather than lost."""
    entry, problem = entry_gate(context, flow.data["entry"])
    if entry is None:
        await svc(context).signups.end_flow(user_id)
        await show(update, [problem or texts.SIGNUP_UNKNOWN], after_keyboard())
        return
    if entry.max_people > 1 and "people" not in flow.data:
        numbers = [button(str(n), "pp", n) for n in range(1, entry.max_people + 1)]
        rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
        await show(update, [texts.ask_people(entry.max_people)], InlineKeyboardMarkup(rows))
        await svc(context).signups.save_flow(user_id, FLOW, "people", flow.data)
        return
    people = int(flow.data.get("people", 1))
    name, phone = flow.data["name"], flow.data["phone"]
    query = update.callback_query
    tapped = query.message.message_id if query is not None and query.message else None
    repo = svc(context).signups
    outcome = await repo.sign_up(
        user_id, name, phone, entry.id, entry.title, entry.capacity, people, message_id=tapped
    )
    if outcome.result is Result.ALREADY:
        s = outcome.signup
        await show(update, [texts.already(s.entry_title, s.position)], after_keyboard())
        return
    await deliver_notices(context, await repo.notices(user_id=user_id))


@private_only  # personal data: in a group, a button to the private chat
async def signup_consent_button(update: Update, context: Context) -> None:
    """Consent given (go on to the name) or declined (nothing is stored)."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cs", 1)
    if args is None or args[0] not in ("y", "n"):
        await _stale(update)
        return
    flow = await _button_flow(update, context, "consent")
    if flow is None:
        return
    if args[0] == "n":
        await svc(context).signups.end_flow(update.effective_user.id)
        await show(update, [texts.CONSENT_DECLINED], InlineKeyboardMarkup([menu_row()]))
        return
    await ask_for_name(update, context, flow)
    await show(update, [texts.CONSENT + "\n\n✅ ยินยอมแล้ว"])


@private_only  # personal data: in a group, a button to the private chat
async def signup_saved_button(update: Update, context: Context) -> None:
    """Returning resident: sign up with the saved details ("ok") or change them ("ed")."""
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    if query is None or user is None or message is None:
        return
    await acknowledge(query)
    edit = cb_args(query.data, "ed", 1)
    args = edit or cb_args(query.data, "ok", 1)
    flow = await _flow(update, context)
    if args is None or flow is None or flow.step != "saved" or flow.data["entry"] != args[0]:
        # Already done (a second tap, or the same tap seen again after a restart): say how
        # things stand rather than "expired"; while a flow goes on, change nothing.
        live = None
        if args is not None:
            live = next(
                (x for x in await svc(context).signups.of_user(user.id) if x.entry_id == args[0]),
                None,
            )
        if live is not None:
            await show(update, [texts.already(live.entry_title, live.position)], after_keyboard())
        elif flow is None or args is None:
            await _stale(update)
        return
    if edit is not None:
        flow.data.pop("people", None)
        await ask_for_name(update, context, flow)
        await show(update, [texts.BTN_EDIT_DETAILS])
        return
    await after_details(update, context, user.id, flow)


@private_only  # personal data: in a group, a button to the private chat
async def signup_profile_name_button(update: Update, context: Context) -> None:
    """Use the Telegram profile name, under the same rules as a typed one."""
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    if query is None or user is None or message is None:
        return
    await acknowledge(query)
    flow = await _button_flow(update, context, "name")
    if flow is None:
        return
    name = _profile_name(user.full_name)
    if name is None:
        # The profile name changed since the button was offered, or the button was forged:
        # the same rules as a typed name.
        await message.chat.send_message(texts.BAD_PROFILE_NAME)
        return
    flow.data["name"] = name
    flow.data.pop("name_msg", None)
    await ask_for_phone(message, context, user.id, flow)
    await message.edit_reply_markup(None)


@private_only  # personal data: in a group, a button to the private chat
async def signup_people_button(update: Update, context: Context) -> None:
    """How many people come (entries with max_people above one)."""
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    if query is None or user is None or message is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "pp", 1)
    if args is None or not args[0].isdigit() or len(args[0]) > 2:
        await _stale(update)
        return
    flow = await _button_flow(update, context, "people")
    entry = svc(context).knowledge.kb.get(flow.data["entry"]) if flow else None
    if flow is None or entry is None:
        return
    people = int(args[0])
    if not 1 <= people <= entry.max_people:
        await _stale(update)
        return
    flow.data["people"] = people
    await after_details(update, context, user.id, flow)


async def signup_flow_message(update: Update, context: Context) -> None:
    """Text or a shared contact, or an edit of either, while a resident is signing up
    (group -1).

    Returns without stopping when there is no flow, so the message becomes a question. With a
    flow the update is always consumed, even when a reply fails to send: a typed name or
    phone must never reach the question handler and be stored as a question for organisers;
    the step stays where it was, so the resident can send it again."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    flow = await _flow(update, context)
    if flow is None:
        return
    try:
        if update.edited_message is not None:
            await _edited(update, context, message, user.id, flow)
        elif not await _step(update, context, message, user.id, flow):
            return  # a contact while a button is expected: the catch-all says what works
    except Exception as exc:
        # Reported as PTB would (the error handler logs it and tells the resident), but the
        # update stops here instead of going on to the question handler.
        await context.application.process_error(update, exc)
    raise ApplicationHandlerStop


async def _step(
    update: Update, context: Context, message: Message, user_id: int, flow: Flow
) -> bool:
    """One new message at the flow's step; False when it is nothing the step can take."""
    text = (message.text or "").strip()
    if flow.step == "name" and message.text is not None:
        if text.startswith("/"):
            await message.reply_text(texts.NAME_COMMAND)
        elif await _looks_like_question(context, text, name_step=True):
            await answer_question(update, context)
            await message.chat.send_message(texts.not_a_name(texts.HINT_NAME))
        elif name_ok(text):
            flow.data["name"] = clean_name(text)
            flow.data["name_msg"] = message.message_id
            await ask_for_phone(message, context, user_id, flow)
        else:
            await message.reply_text(texts.BAD_NAME)
    elif flow.step == "phone":
        if message.contact is not None and message.contact.user_id != user_id:
            # Someone else's card (a friend's, forwarded): only the resident's own number.
            await message.reply_text(texts.CONTACT_NOT_YOURS)
            return True
        raw = message.contact.phone_number if message.contact else text
        phone = normalize_phone(raw) if raw else None
        if phone is not None:
            flow.data["phone"] = phone
            flow.data["phone_msg"] = message.message_id
            await message.reply_text(
                texts.phone_saved(display_phone(phone)), reply_markup=ReplyKeyboardRemove()
            )
            await after_details(update, context, user_id, flow)
        elif (
            message.text is not None
            and not re.search(r"[0-9๐-๙]", text)
            and await _looks_like_question(context, text)
        ):
            await _answer_and_remind(update, context, texts.HINT_PHONE)
        else:
            await message.reply_text(texts.BAD_PHONE)
    elif message.text is not None:
        await _answer_and_remind(update, context, texts.HINT_BUTTONS)
    else:
        return False
    return True


async def _edited(
    update: Update, context: Context, message: Message, user_id: int, flow: Flow
) -> None:
    """An edited message during the flow: the name or phone it gave is replaced; a message
    sent at the current step is read again as if new; anything else is ignored, with a word.
    An edit is never answered as a question (it was answered when first sent)."""
    text = (message.text or "").strip()
    repo = svc(context).signups
    if message.message_id == flow.data.get("name_msg") and "name" in flow.data:
        if text and not text.startswith("/") and name_ok(text):
            flow.data["name"] = clean_name(text)
            await repo.save_flow(user_id, FLOW, flow.step, flow.data)
            await message.reply_text(texts.name_updated(flow.data["name"]))
        else:
            await message.reply_text(texts.name_edit_refused(flow.data["name"]))
        return
    if message.message_id == flow.data.get("phone_msg") and "phone" in flow.data:
        phone = normalize_phone(text) if text else None
        if phone is not None:
            flow.data["phone"] = phone
            await repo.save_flow(user_id, FLOW, flow.step, flow.data)
            await message.reply_text(texts.phone_updated(display_phone(phone)))
        else:
            await message.reply_text(texts.phone_edit_refused(display_phone(flow.data["phone"])))
        return
    fresh = message.message_id > int(flow.data.get("since", 0))
    if fresh and flow.step in ("name", "phone") and text:
        if flow.step == "name" and not text.startswith("/") and name_ok(text):
            if not await _looks_like_question(context, text, name_step=True):
                await _step(update, context, message, user_id, flow)
                return
        elif flow.step == "phone" and normalize_phone(text) is not None:
            await _step(update, context, message, user_id, flow)
            return
    await message.reply_text(texts.EDIT_IGNORED)


def _ends_in_question_word(thai: ThaiText, text: str) -> bool:
    """The last meaningful word is a question word (ที่ไหน, เมื่อไร, วันไหน, บ่...), polite
    endings (คะ, ครับ, นะ) skipped: the lexicon the matcher reads questions with."""
    lexicon = thai.lexicon
    words = thai.segment(text)
    while words:
        canon = lexicon.canonical.get(words[-1], words[-1])
        if canon in QUESTION_WORDS:
            return canon not in _SHORT_NAME_WORDS or len(words) > 2
        if lexicon.map(words[-1]) is not None:
            return False
        words.pop()
    return False


async def _looks_like_question(context: Context, text: str, name_step: bool = False) -> bool:
    """A question, not a name or a phone number: a '?', a confident knowledge-base match,
    or (for a name) a text ending in a question word."""
    if "?" in text or "？" in text:
        return True
    if name_step and _ends_in_question_word(svc(context).knowledge.matcher.text, text):
        return True
    result = await match(context, text)
    return result.outcome is Outcome.ANSWER and result.score >= 0.6


async def _answer_and_remind(update: Update, context: Context, hint: str) -> None:
    await answer_question(update, context)
    message = update.effective_message
    if message is not None:
        await message.chat.send_message(texts.flow_paused(hint))


@private_only  # a flow is a private matter: in a group, a button to the private chat
async def signup_cancel_command(update: Update, context: Context) -> None:
    """/cancel: leave the flow in progress."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    ended = await svc(context).signups.end_flow(user.id)
    await message.reply_text(
        texts.FLOW_CANCELLED if ended else texts.NOTHING_TO_CANCEL,
        reply_markup=ReplyKeyboardRemove(),
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(
        CommandHandler("start", signup_deep_link, filters=filters.Regex(r"^/start\s+signup_"))
    )
    app.add_handler(CommandHandler("cancel", signup_cancel_command))
    app.add_handler(CallbackQueryHandler(signup_button, pattern=cb_pattern("su")))
    app.add_handler(CallbackQueryHandler(signup_consent_button, pattern=cb_pattern("cs")))
    app.add_handler(CallbackQueryHandler(signup_saved_button, pattern=r"^a:(ok|ed):"))
    app.add_handler(CallbackQueryHandler(signup_profile_name_button, pattern=cb_pattern("nm")))
    app.add_handler(CallbackQueryHandler(signup_people_button, pattern=cb_pattern("pp")))
    private = filters.ChatType.PRIVATE
    # New and edited messages both: an edit at a step replaces what was typed.
    app.add_handler(
        MessageHandler(
            private & ((filters.TEXT & ~filters.COMMAND) | filters.CONTACT), signup_flow_message
        ),
        group=-1,
    )
    if app.job_queue is not None:
        # At start-up (what a crash left in the outbox), then every NOTICE_INTERVAL seconds;
        # run late rather than not at all (see broadcast.register).
        app.job_queue.run_repeating(
            signup_notice_job,
            interval=NOTICE_INTERVAL,
            first=0,
            job_kwargs={"misfire_grace_time": None},
        )
