"""Signing up: consent (PDPA), name, phone, party size, then a seat or a waiting place.

The resident's place in the flow is stored in SQLite at every step, so a restart loses
nothing, and a flow left idle for FLOW_TTL simply expires.
"""

from __future__ import annotations

import logging
import re
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
from telegram.error import Forbidden, TelegramError
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
from bot.signups import CapacityOf, Flow, Result, Signup, SignupOutcome
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
    show,
    svc,
)
from kb.matcher import Outcome
from kb.model import Entry

log = logging.getLogger(__name__)

FLOW = "signup"
FLOW_TTL = timedelta(minutes=30)
DEEP_LINK = re.compile(r"^signup_([a-z0-9-]{1,40})$")
_URL = re.compile(r"https?://|www\.|t\.me/", re.I)


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


def outcome_text(context: Context, outcome: SignupOutcome, name: str, phone: str) -> str:
    s = outcome.signup
    if outcome.result is Result.ALREADY:
        return texts.already(s.entry_title, s.position)
    if outcome.result is Result.WAITLISTED:
        return texts.waitlisted(s.entry_title, s.position or 1)
    return signed_up_text(context, s, name, phone)


async def notify_promotions(context: Context, promoted: list[Signup]) -> None:
    """Tell residents who got a seat from the waiting list; each is told once."""
    services = svc(context)
    for s in promoted:
        person = await services.signups.person(s.user_id)
        if person is not None:
            text = texts.promoted(signed_up_text(context, s, person.name, person.phone))
            try:
                await context.bot.send_message(s.user_id, text, reply_markup=after_keyboard())
            except Forbidden:
                log.info("promotion of sign-up %s: resident blocked the bot", s.id)
            except TelegramError:
                log.warning("promotion of sign-up %s not delivered; will retry", s.id)
                continue
        await services.signups.mark_notified(s.id)


async def signup_promotion_job(context: Context) -> None:
    """Retry promotions whose message was not delivered (a crash or a network error)."""
    services = svc(context)
    if services.repos is None:
        return
    repo = services.signups
    promoted = await repo.rebalance(await repo.waiting_entries(), capacity_of(context))
    await notify_promotions(context, [*promoted, *await repo.unnotified()])


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
        await repo.save_flow(user.id, FLOW, "consent", {"entry": entry.id})
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
        return
    data = {"entry": entry.id, "name": person.name, "phone": person.phone}
    await repo.save_flow(user.id, FLOW, "saved", data)
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


async def signup_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "su", 1)
    if args is None:
        await show(update, [texts.OLD_BUTTON], after_keyboard())
        return
    await begin(update, context, args[0])


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


async def _stale(update: Update) -> None:
    await show(update, [texts.FLOW_EXPIRED], after_keyboard())


async def ask_for_name(update: Update, context: Context, flow: Flow) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    await svc(context).signups.save_flow(user.id, FLOW, "name", flow.data)
    profile = user.full_name.strip()[:60] or None
    rows = [[button(texts.use_profile_name(profile), "nm")]] if profile else []
    await message.chat.send_message(
        texts.ask_name(profile), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )


async def ask_for_phone(message: Message, context: Context, user_id: int, flow: Flow) -> None:
    await svc(context).signups.save_flow(user_id, FLOW, "phone", flow.data)
    await message.chat.send_message(
        texts.ASK_PHONE,
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(texts.BTN_SHARE_PHONE, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )


async def after_details(update: Update, context: Context, user_id: int, flow: Flow) -> None:
    """Name and phone known: ask the party size if the entry allows more, else sign up.

    From a button, the answer replaces the message in place (one call per tap, and no stale
    button left to press twice); from typed text it is a new message."""
    entry, problem = entry_gate(context, flow.data["entry"])
    if entry is None:
        await svc(context).signups.end_flow(user_id)
        await show(update, [problem or texts.SIGNUP_UNKNOWN], after_keyboard())
        return
    if entry.max_people > 1 and "people" not in flow.data:
        await svc(context).signups.save_flow(user_id, FLOW, "people", flow.data)
        numbers = [button(str(n), "pp", n) for n in range(1, entry.max_people + 1)]
        rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
        await show(update, [texts.ask_people(entry.max_people)], InlineKeyboardMarkup(rows))
        return
    people = int(flow.data.get("people", 1))
    name, phone = flow.data["name"], flow.data["phone"]
    outcome = await svc(context).signups.sign_up(
        user_id, name, phone, entry.id, entry.title, entry.capacity, people
    )
    await show(update, [outcome_text(context, outcome, name, phone)], after_keyboard())


async def signup_consent_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "cs", 1)
    flow = await _flow(update, context, "consent")
    if args is None or args[0] not in ("y", "n") or flow is None:
        await _stale(update)
        return
    if args[0] == "n":
        await svc(context).signups.end_flow(update.effective_user.id)
        await show(update, [texts.CONSENT_DECLINED], InlineKeyboardMarkup([menu_row()]))
        return
    await show(update, [texts.CONSENT + "\n\n✅ ยินยอมแล้ว"])
    await ask_for_name(update, context, flow)


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
        # things stand rather than "expired".
        live = None
        if args is not None:
            live = next(
                (x for x in await svc(context).signups.of_user(user.id) if x.entry_id == args[0]),
                None,
            )
        if live is not None:
            await show(update, [texts.already(live.entry_title, live.position)], after_keyboard())
        else:
            await _stale(update)
        return
    if edit is not None:
        flow.data.pop("people", None)
        await show(update, [texts.BTN_EDIT_DETAILS])
        await ask_for_name(update, context, flow)
        return
    await after_details(update, context, user.id, flow)


async def signup_profile_name_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    if query is None or user is None or message is None:
        return
    await acknowledge(query)
    flow = await _flow(update, context, "name")
    if flow is None or not user.full_name.strip():
        await _stale(update)
        return
    flow.data["name"] = user.full_name.strip()[:60]
    await message.edit_reply_markup(None)
    await ask_for_phone(message, context, user.id, flow)


async def signup_people_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    message = update.effective_message
    if query is None or user is None or message is None:
        return
    await acknowledge(query)
    args = cb_args(query.data, "pp", 1)
    flow = await _flow(update, context, "people")
    entry = svc(context).knowledge.kb.get(flow.data["entry"]) if flow else None
    if args is None or not args[0].isdigit() or flow is None or entry is None:
        await _stale(update)
        return
    people = int(args[0])
    if not 1 <= people <= entry.max_people:
        await _stale(update)
        return
    flow.data["people"] = people
    await after_details(update, context, user.id, flow)


async def signup_flow_message(update: Update, context: Context) -> None:
    """Text or a shared contact while a resident is in the middle of signing up (group -1).

    Returns without stopping when there is no flow, so the message becomes a question.
    """
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    flow = await _flow(update, context)
    if flow is None:
        return
    text = (message.text or "").strip()
    if flow.step == "name" and message.text is not None:
        if await _looks_like_question(context, text):
            await _answer_and_remind(update, context, texts.HINT_NAME)
        elif 2 <= len(text) <= 60 and "\n" not in text and not _URL.search(text):
            flow.data["name"] = text
            await ask_for_phone(message, context, user.id, flow)
        else:
            await message.reply_text(texts.BAD_NAME)
    elif flow.step == "phone":
        raw = message.contact.phone_number if message.contact else text
        phone = normalize_phone(raw) if raw else None
        if phone is not None:
            flow.data["phone"] = phone
            await message.reply_text(
                texts.phone_saved(display_phone(phone)), reply_markup=ReplyKeyboardRemove()
            )
            await after_details(update, context, user.id, flow)
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
        return  # a contact while a button is expected: nothing sensible to do with it
    raise ApplicationHandlerStop


async def _looks_like_question(context: Context, text: str) -> bool:
    result = await match(context, text)
    return (result.outcome is Outcome.ANSWER and result.score >= 0.6) or text.endswith("?")


async def _answer_and_remind(update: Update, context: Context, hint: str) -> None:
    await answer_question(update, context)
    message = update.effective_message
    if message is not None:
        await message.chat.send_message(texts.flow_paused(hint))


async def signup_cancel_command(update: Update, context: Context) -> None:
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
    app.add_handler(
        MessageHandler(
            private & ((filters.TEXT & ~filters.COMMAND) | filters.CONTACT), signup_flow_message
        ),
        group=-1,
    )
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            signup_promotion_job, interval=60, first=1, job_kwargs={"misfire_grace_time": None}
        )  # run late rather than not at all (see broadcast.register)
