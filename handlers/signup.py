"""Signing up: consent (PDPA), name, phone, party size, then a seat or a waiting place.

The resident's place in the flow is stored in SQLite at every step, so a restart loses
nothing, and a flow left idle for FLOW_TTL (bot.flows) simply expires. A step moves on only once its
question reached the resident: a reply that fails to send leaves the step where it was.

Replies that carry a commitment (confirmed, waitlisted, promoted, cancelled) go through the
outbox (`bot.signups.Outbox`): written with the change, sent, then removed; the notice job sends
what a crash or a network error left behind.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.flows import Flow, FlowKind, SignupStep
from bot.phone import display_phone, normalize_phone
from bot.signups import (
    Result,
    clean_name,
    name_ok,
)
from handlers.actions import Action, Consent, EditDetails, People, ProfileName, SignUp, UseSaved
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    after_keyboard,
    answer_question,
    capacity_of,
    deliver_notices,
    entry_gate,
    match,
    menu_row,
    on_button,
    private_only,
    run_at_start_and_every,
    show,
)
from kb.matching import Outcome
from kb.thai import ThaiText

log = logging.getLogger(__name__)

DEEP_LINK = re.compile(r"^signup_([a-z0-9-]{1,40})$")
NOTICE_INTERVAL = 30  # seconds between rounds of the outbox
# The lexicon's canonical question words (its synonyms map ไส, มื้อใด๋, where... onto these).
QUESTION_WORDS = frozenset(
    {"ที่ไหน", "เมื่อไร", "อะไร", "อย่างไร", "ไหม", "เท่าไร", "กี่", "ใคร", "ไหน", "ทำไม", "หรือยัง"}
)
# ไหม is also a nickname (น้องไหม): it only ends a question after two words or more.
_SHORT_NAME_WORDS = frozenset({"ไหม", "ไหน"})


async def signup_notice_job(context: Context) -> None:
    """Send the outbox left behind by a crash or a network error, and promote where seats
    came free (a capacity raised in the knowledge base). Runs at start-up, then regularly."""
    services = context.services
    if services.repos is None:
        return
    repo = services.signups
    await repo.rebalance(await repo.waiting_entries(), capacity_of(context))
    await deliver_notices(context, await services.r.outbox.notices())


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
    repo = context.services.signups
    live = next((s for s in await repo.of_user(user.id) if s.entry_id == entry.id), None)
    if live is not None:
        await message.chat.send_message(
            texts.already(live.entry_title, live.position), reply_markup=after_keyboard()
        )
        return
    person = await context.services.r.people.get(user.id)
    if person is None:
        await message.chat.send_message(
            texts.CONSENT,
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        Consent("y").button(texts.BTN_CONSENT_YES),
                        Consent("n").button(texts.BTN_CONSENT_NO),
                    ]
                ]
            ),
        )
        await context.services.r.flows.save(
            user.id, FlowKind.SIGNUP, SignupStep.CONSENT, {"entry": entry.id}
        )
        return
    data = {"entry": entry.id, "name": person.name, "phone": person.phone}
    await message.chat.send_message(
        texts.confirm_saved(person.name, display_phone(person.phone), entry.title),
        reply_markup=InlineKeyboardMarkup(
            [
                [UseSaved(entry.id).button(texts.BTN_USE_SAVED)],
                [EditDetails(entry.id).button(texts.BTN_EDIT_DETAILS)],
                menu_row(),
            ]
        ),
    )
    await context.services.r.flows.save(user.id, FlowKind.SIGNUP, SignupStep.SAVED, data)


# Personal data: in a group, each of these buttons points to the private chat instead.
@on_button(SignUp, guard=private_only)
async def signup_button(update: Update, context: Context, tap: Tap[SignUp]) -> None:
    """The "📝 สมัคร" button under an entry's details."""
    await begin(update, context, tap.args.entry)


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
        await context.services.r.residents.touch(update.effective_user.id)
    await begin(update, context, match.group(1))


# ------------------------------------------------------------------ steps
async def _flow(update: Update, context: Context, step: SignupStep | None = None) -> Flow | None:
    user = update.effective_user
    if user is None:
        return None
    flow = await context.services.r.flows.current(user.id, FlowKind.SIGNUP)
    if flow is None or (step is not None and flow.step != step):
        return None
    return flow


async def _button_flow(update: Update, context: Context, step: SignupStep) -> Flow | None:
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
    rows = [[ProfileName().button(texts.use_profile_name(profile))]] if profile else []
    sent = await message.chat.send_message(
        texts.ask_name(profile), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )
    flow.data["since"] = sent.message_id
    await context.services.r.flows.save(user.id, FlowKind.SIGNUP, SignupStep.NAME, flow.data)


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
    await context.services.r.flows.save(user_id, FlowKind.SIGNUP, SignupStep.PHONE, flow.data)


async def after_details(update: Update, context: Context, user_id: int, flow: Flow) -> None:
    """Name and phone known: ask the party size if the entry allows more, else sign up.

    From a button, the answer replaces the message in place (one call per tap, and no stale
    button left to press twice); from typed text it is a new message. The answer to a
    sign-up goes through the outbox, so a failed send is retried rather than lost."""
    entry, problem = entry_gate(context, flow.data["entry"])
    if entry is None:
        await context.services.r.flows.end(user_id)
        await show(update, [problem or texts.SIGNUP_UNKNOWN], after_keyboard())
        return
    if entry.max_people > 1 and "people" not in flow.data:
        numbers = [People(n).button(str(n)) for n in range(1, entry.max_people + 1)]
        rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
        await show(update, [texts.ask_people(entry.max_people)], InlineKeyboardMarkup(rows))
        await context.services.r.flows.save(user_id, FlowKind.SIGNUP, SignupStep.PEOPLE, flow.data)
        return
    people = int(flow.data.get("people", 1))
    name, phone = flow.data["name"], flow.data["phone"]
    query = update.callback_query
    tapped = query.message.message_id if query is not None and query.message else None
    repo = context.services.signups
    outcome = await repo.sign_up(
        user_id, name, phone, entry.id, entry.title, entry.capacity, people, message_id=tapped
    )
    if outcome.result is Result.ALREADY:
        s = outcome.signup
        await show(update, [texts.already(s.entry_title, s.position)], after_keyboard())
        return
    await deliver_notices(context, await context.services.r.outbox.notices(user_id=user_id))


@on_button(Consent, guard=private_only)
async def signup_consent_button(update: Update, context: Context, tap: Tap[Consent]) -> None:
    """Consent given (go on to the name) or declined (nothing is stored)."""
    flow = await _button_flow(update, context, SignupStep.CONSENT)
    if flow is None:
        return
    if tap.args.answer == "n":
        await context.services.r.flows.end(tap.user.id)
        await show(update, [texts.CONSENT_DECLINED], InlineKeyboardMarkup([menu_row()]))
        return
    await ask_for_name(update, context, flow)
    await show(update, [texts.CONSENT + texts.CONSENT_GIVEN])


@on_button(UseSaved, EditDetails, guard=private_only)
async def signup_saved_button(update: Update, context: Context, tap: Tap[Action]) -> None:
    """Returning resident: sign up with the saved details or change them first."""
    user, args = tap.user, tap.args
    assert isinstance(args, UseSaved | EditDetails)
    flow = await _flow(update, context)
    if flow is None or flow.step is not SignupStep.SAVED or flow.data["entry"] != args.entry:
        # Already done (a second tap, or the same tap seen again after a restart): say how
        # things stand rather than "expired"; while a flow goes on, change nothing.
        mine = await context.services.signups.of_user(user.id)
        live = next((x for x in mine if x.entry_id == args.entry), None)
        if live is not None:
            await show(update, [texts.already(live.entry_title, live.position)], after_keyboard())
        elif flow is None:
            await _stale(update)
        return
    if isinstance(args, EditDetails):
        flow.data.pop("people", None)
        await ask_for_name(update, context, flow)
        await show(update, [texts.BTN_EDIT_DETAILS])
        return
    await after_details(update, context, user.id, flow)


@on_button(ProfileName, guard=private_only)
async def signup_profile_name_button(
    update: Update, context: Context, tap: Tap[ProfileName]
) -> None:
    """Use the Telegram profile name, under the same rules as a typed one."""
    user, message = tap.user, tap.message
    flow = await _button_flow(update, context, SignupStep.NAME)
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


@on_button(People, guard=private_only)
async def signup_people_button(update: Update, context: Context, tap: Tap[People]) -> None:
    """How many people come (entries with max_people above one)."""
    flow = await _button_flow(update, context, SignupStep.PEOPLE)
    entry = context.services.knowledge.kb.get(flow.data["entry"]) if flow else None
    if flow is None or entry is None:
        return
    people = tap.args.count
    if not 1 <= people <= entry.max_people:
        await _stale(update)
        return
    flow.data["people"] = people
    await after_details(update, context, tap.user.id, flow)


async def signup_flow_message(update: Update, context: Context) -> None:
    """Text or a shared contact, or an edit of either, while a resident is signing up
    (group -10).

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
    if flow.step is SignupStep.NAME and message.text is not None:
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
    elif flow.step is SignupStep.PHONE:
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
    if message.message_id == flow.data.get("name_msg") and "name" in flow.data:
        if text and not text.startswith("/") and name_ok(text):
            flow.data["name"] = clean_name(text)
            await context.services.r.flows.save(user_id, FlowKind.SIGNUP, flow.step, flow.data)
            await message.reply_text(texts.name_updated(flow.data["name"]))
        else:
            await message.reply_text(texts.name_edit_refused(flow.data["name"]))
        return
    if message.message_id == flow.data.get("phone_msg") and "phone" in flow.data:
        phone = normalize_phone(text) if text else None
        if phone is not None:
            flow.data["phone"] = phone
            await context.services.r.flows.save(user_id, FlowKind.SIGNUP, flow.step, flow.data)
            await message.reply_text(texts.phone_updated(display_phone(phone)))
        else:
            await message.reply_text(texts.phone_edit_refused(display_phone(flow.data["phone"])))
        return
    fresh = message.message_id > int(flow.data.get("since", 0))
    if fresh and flow.step in (SignupStep.NAME, SignupStep.PHONE) and text:
        if flow.step is SignupStep.NAME and not text.startswith("/") and name_ok(text):
            if not await _looks_like_question(context, text, name_step=True):
                await _step(update, context, message, user_id, flow)
                return
        elif flow.step is SignupStep.PHONE and normalize_phone(text) is not None:
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
    if name_step and _ends_in_question_word(context.services.knowledge.matcher.text, text):
        return True
    result = await match(context, text)
    return result.outcome is Outcome.ANSWER and result.score >= 0.6


async def _answer_and_remind(update: Update, context: Context, hint: str) -> None:
    await answer_question(update, context)
    message = update.effective_message
    if message is not None:
        await message.chat.send_message(texts.flow_paused(hint))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(
        CommandHandler("start", signup_deep_link, filters=filters.Regex(r"^/start\s+signup_"))
    )
    add_buttons(
        app,
        signup_button,
        signup_consent_button,
        signup_saved_button,
        signup_profile_name_button,
        signup_people_button,
    )
    private = filters.ChatType.PRIVATE
    # New and edited messages both: an edit at a step replaces what was typed.
    app.add_handler(
        MessageHandler(
            private & ((filters.TEXT & ~filters.COMMAND) | filters.CONTACT), signup_flow_message
        ),
        group=-10,
    )
    # At start-up (what a crash left in the outbox), then every NOTICE_INTERVAL seconds.
    run_at_start_and_every(app, signup_notice_job, NOTICE_INTERVAL)
