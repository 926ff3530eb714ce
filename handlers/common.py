"""What features share, so that none imports another: the button handlers' opening
(`on_button`) and the check of every tap (`callback_gate`), the menus, `show` and sending long
HTML safely, the private-chat and organiser guards, answering a question (also asked in the
middle of a sign-up), and the sign-up outbox (sign-up, cancel and erasure all promote)."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from pythainlp.tokenize import newmm
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.config import Settings
from bot.phone import display_phone
from bot.services import BotContext, Services
from bot.signups import CapacityOf, Notice, NoticeKind, Signup, Status
from bot.subscriptions import TOPICS
from handlers import actions
from handlers.actions import (
    Action,
    AskPrompt,
    Help,
    ListKey,
    ListPage,
    Menu,
    MySignups,
    NoneOfThese,
    ReadMore,
    SignUp,
    StaffAsk,
    Suggestion,
    Topic,
    TopicChoice,
)
from kb.matching import MatchResult, Outcome
from kb.model import Entry
from kb.thai import WordDictionary, thai_words

Context = BotContext
log = logging.getLogger(__name__)


async def match(context: Context, text: str) -> MatchResult:
    """Match in a worker thread: the sentence model takes milliseconds a question, and its
    engine releases the GIL, so other residents' updates are served meanwhile."""
    return await asyncio.to_thread(context.services.knowledge.matcher.match, text)


def now(context: Context) -> datetime:
    """The bot's clock in its zone: what is upcoming, open or past is judged by it (tests
    and `chat --at` move it)."""
    return context.services.clock().astimezone(context.services.settings.tz)


def menu_keyboard() -> InlineKeyboardMarkup:
    # One button per row: large targets for older residents on small phones.
    return InlineKeyboardMarkup(
        [
            [ListPage("ev", 0).button(texts.BTN_EVENTS)],
            [ListPage("pg", 0).button(texts.BTN_PROGRAMMES)],
            [ListPage("ac", 0).button(texts.BTN_ACTIVITIES)],
            [MySignups().button(texts.BTN_MY_SIGNUPS)],
            [AskPrompt().button(texts.BTN_ASK), Help().button(texts.BTN_HELP)],
        ]
    )


def menu_row() -> list[InlineKeyboardButton]:
    return [Menu().button(texts.BTN_MENU)]


def fallback_keyboard(question_id: int | None) -> InlineKeyboardMarkup:
    """Under a fallback, "none of these" and a follow-up the bot could not answer: the
    question left for the organisers in one tap (its stored row), then the menu."""
    staff = [[StaffAsk(question_id).button(texts.BTN_STAFF_ASK)]] if question_id else []
    return InlineKeyboardMarkup([*staff, *menu_keyboard().inline_keyboard])


async def staff_ask_row(
    update: Update, context: Context, top_id: str | None = None
) -> list[list[InlineKeyboardButton]]:
    """For a question answered outside the matcher that the bot could not answer (a
    follow-up about what the entry does not say): the question stored as unanswered, and
    the row that leaves it for the organisers ("ส่งคำถามถึงเจ้าหน้าที่")."""
    message = update.effective_message
    if message is None or not message.text:
        return []
    question_id = await context.services.r.questions.log(
        user_id(update), message.text, Outcome.FALLBACK.value, top_id, 0.0
    )
    return [[StaffAsk(question_id).button(texts.BTN_STAFF_ASK)]] if question_id else []


def topics_keyboard(topics: set[str]) -> InlineKeyboardMarkup:
    """The news topics, each a toggle (/subscribe, and offered on a first /start)."""

    def topic(choice: str) -> Topic:
        return Topic(cast(TopicChoice, choice))

    rows: list[list[InlineKeyboardButton]] = [
        [topic(t).button(("✅ " if t in topics else "⬜ ") + texts.TOPIC_NAMES[t])] for t in TOPICS
    ]
    everything = ("✅ " if topics == set(TOPICS) else "⬜ ") + texts.BTN_TOPIC_ALL
    rows.append([Topic("all").button(everything), Topic("none").button(texts.BTN_TOPIC_NONE)])
    rows.append([Topic("done").button(texts.BTN_DONE)])
    return InlineKeyboardMarkup(rows)


async def offer_subscriptions(update: Update) -> None:
    """Offered once, on a resident's first /start."""
    message = update.effective_message
    if message is not None:
        await message.chat.send_message(texts.SUBSCRIBE_OFFER, reply_markup=topics_keyboard(set()))


def entry_keyboard(
    entry: Entry, context: Context, back: str | None = None, reserve: int = 0
) -> InlineKeyboardMarkup:
    """Under an entry's details: sign up (when open) first, "read more" when the details cut
    the answer short, then back to its list page or the menu."""
    rows: list[list[InlineKeyboardButton]] = []
    if entry.accepts_signups(now(context)):
        rows.append([SignUp(entry.id).button(texts.BTN_SIGNUP)])
    more = _details(entry, context, reserve)[1]
    if more is not None:
        rows.append([ReadMore(entry.id, more).button(texts.BTN_READ_MORE)])
    if back is not None and re.fullmatch(r"(?:ev|pg|ac)[0-9]{1,4}", back):
        key = cast(ListKey, back[:2])
        rows.append([ListPage(key, int(back[2:])).button(texts.BTN_BACK), *menu_row()])
    else:
        rows.append(menu_row())
    return InlineKeyboardMarkup(rows)


# An entry's details on a small phone: the answer in at most this many lines, the whole
# message in at most SCREEN_LINES.
ANSWER_LINES = 6
SCREEN_LINES = 12


def entry_head(entry: Entry, context: Context) -> list[str]:
    """Title, the date once (short, Buddhist Era) and the place with a map link, as HTML."""
    settings = context.services.settings
    head = [f"<b>{texts.esc(entry.title)}</b>"]
    if entry.starts is not None:
        when = texts.when_short(entry.starts, entry.ends, settings.tz)
        past = "" if entry.is_upcoming(now(context)) else f" {texts.PAST}"
        head.append(f"{texts.WHEN}{when}{past}")
    if entry.location:
        head.append(texts.place(entry.location))
    return head


def entry_tail(entry: Entry) -> list[str]:
    tail = []
    if entry.contact:
        tail.append(f"{texts.CONTACT}{texts.esc(entry.contact)}")
    if entry.url:
        tail.append(f"{texts.LINK}{texts.esc(entry.url)}")
    return tail


def _details(entry: Entry, context: Context, reserve: int) -> tuple[str, int | None]:
    """The details as HTML in at most SCREEN_LINES phone lines (less `reserve`, for a note
    added under them), and where in the answer the part they leave out begins (None when
    the whole answer is shown)."""
    head, tail = entry_head(entry, context), entry_tail(entry)
    used = sum(texts.phone_lines(texts.plain(line)) for line in head + tail) + reserve
    answer = entry.answer.strip()
    at = cut(answer, max(2, min(ANSWER_LINES, SCREEN_LINES - used)))
    shown = texts.esc(answer[:at].rstrip()) + (texts.READ_MORE_MARK if at < len(answer) else "")
    return "\n".join([*head, shown, *tail]), at if at < len(answer) else None


def entry_blocks(entry: Entry, context: Context, reserve: int = 0) -> list[str]:
    """The details of an entry as HTML blocks (escaped), ready for `send_blocks`: short
    enough for a small phone; `entry_keyboard` adds "อ่านต่อ" when the answer was cut."""
    return [_details(entry, context, reserve)[0]]


def more_of_answer(entry: Entry, at: int) -> tuple[list[str], int | None]:
    """What "อ่านต่อ" shows: the title, then the answer from `at`, as much as fits a screen
    with "…" at both ends; and where the next "อ่านต่อ" goes on (None at the end)."""
    answer = entry.answer.strip()
    at = min(max(at, 0), len(answer))
    while at < len(answer) and answer[at].isspace():
        at += 1
    title = f"<b>{texts.esc(entry.title)}</b>"
    lines = max(2, SCREEN_LINES - texts.phone_lines(entry.title))
    piece = answer[at:]
    end = cut(texts.READ_MORE_MARK + piece, lines) - len(texts.READ_MORE_MARK)
    end = max(end, min(len(piece), 1))  # always a step forward
    more = end < len(piece)
    text = texts.READ_MORE_MARK + piece[:end].rstrip() + (texts.READ_MORE_MARK if more else "")
    return [f"{title}\n{texts.esc(text)}"], at + end if more else None


@functools.cache
def _dictionary() -> WordDictionary:
    # pythainlp's word list as sets (kb.thai): its node trie would take 45 MB more.
    return WordDictionary(thai_words())


def words(text: str) -> list[str]:
    """Thai is written without spaces between words: the text cut into words (newmm), every
    character kept, so the pieces join back into the text."""
    return cast(list[str], newmm.segment(text, custom_dict=_dictionary()))


def _cut_points(text: str) -> list[int]:
    """Offsets where `text` may be cut without cutting a word."""
    points, at = [], 0
    for word in words(text):
        at += len(word)
        points.append(at)
    return points


def cut(text: str, max_lines: int) -> int:
    """Where to cut `text` so that its start, with "…" after it, fits `max_lines` phone lines:
    at the end of a sentence (a line, or a space: Thai ends sentences with a space) when one
    comes late enough, else between words; len(text) when it all fits."""
    if texts.phone_lines(text) <= max_lines:
        return len(text)

    def fits(at: int) -> bool:
        return texts.phone_lines(text[:at].rstrip() + texts.READ_MORE_MARK) <= max_lines

    # What fits is at most this long (a letter takes a cell, marks none, but a line break can
    # end a line early): cut only that much into words.
    window = text[: 2 * max_lines * texts.PHONE_LINE_CELLS]
    points = [at for at in _cut_points(window) if at < len(text) and text[:at].strip()]
    lo, hi = 0, len(points)  # points[:lo] fit, points[hi:] do not (fitting only shrinks)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(points[mid]):
            lo = mid + 1
        else:
            hi = mid
    fitting = points[:lo]
    if not fitting:
        return 0
    best = fitting[-1]
    sentence = [at for at in fitting if text[at].isspace() or text[at - 1].isspace()]
    if sentence and sentence[-1] >= best * 2 // 3:
        best = sentence[-1]
    return best


async def answer_question(update: Update, context: Context) -> None:
    """Answer the message's text: the entry, "did you mean" buttons, or the fallback."""
    message = update.effective_message
    if message is None or not message.text:
        return
    services = context.services
    knowledge = services.knowledge
    result = await match(context, message.text)
    top = result.ranked[0].entry_id if result.ranked else None
    question_id = await services.r.questions.log(
        user_id(update), message.text, result.outcome.value, top, result.score
    )
    if result.outcome is Outcome.ANSWER and result.answer_id is not None:
        entry = knowledge.kb.get(result.answer_id)
        if entry is not None:
            blocks, markup = entry_blocks(entry, context), entry_keyboard(entry, context)
            upcoming = knowledge.next_one(entry, result, now(context))
            if upcoming is not None and upcoming.starts is not None:
                # A past event answered as past, with the way to the next one on top.
                when = texts.thai_when(upcoming.starts, upcoming.ends, services.settings.tz)
                note = texts.next_one(upcoming.title, when)
                reserve = 1 + texts.phone_lines(texts.plain(note))
                blocks = [*entry_blocks(entry, context, reserve), "", note]
                markup = entry_keyboard(entry, context, reserve=reserve)
                next_row = [Suggestion(upcoming.id).button(texts.BTN_NEXT_ONE)]
                markup = InlineKeyboardMarkup([next_row, *markup.inline_keyboard])
            await send_blocks(message, blocks, markup)
            await remember_shown(update, context, entry_id=entry.id)
            return
    if result.outcome is Outcome.SUGGEST:
        rows = []
        for entry_id in result.suggestions:
            entry = knowledge.kb.get(entry_id)
            if entry is not None:
                rows.append([Suggestion(entry.id).button(truncate(entry.title))])
        rows.append([NoneOfThese(question_id).button(texts.BTN_NONE)])
        rows.append(menu_row())
        await message.reply_text(texts.DID_YOU_MEAN, reply_markup=InlineKeyboardMarkup(rows))
        # "did you mean" is a list too: "อันแรก" picks its first entry.
        await remember_shown(update, context, listed=list(result.suggestions))
        return
    fallback = texts.fallback(*services.settings.contact_fields())
    await message.reply_text(fallback, reply_markup=fallback_keyboard(question_id))


async def remember_shown(
    update: Update,
    context: Context,
    *,
    entry_id: str | None = None,
    listed: list[str] | None = None,
    keep_list: bool = False,
) -> None:
    """Keep what the resident now sees (an entry, or a list's entries in order), so a short
    follow-up ("จัดที่ไหน", "อันที่สอง") is read about it. Private chats only: follow-ups
    are read there. `keep_list`: the entry was picked from the last list."""
    user = update.effective_user
    if user is None or not is_private(update):
        return
    repo, at = context.services.r.chat_context, context.services.clock()
    if listed is not None:
        await repo.list_shown(user.id, listed, at)
    elif entry_id is not None:
        await repo.entry_shown(user.id, entry_id, at, keep_list=keep_list)


async def send_blocks(
    message: Message, blocks: list[str], markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send HTML blocks as few messages as Telegram allows; buttons go under the last one."""
    chunks = texts.pack(blocks)
    sent = message
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await message.chat.send_message(chunk, reply_markup=markup if last else None)
    return sent


async def show(
    update: Update, blocks: list[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer in place when a button was pressed (edit), else send a new message."""
    message = update.effective_message
    if message is None:
        return
    query = update.callback_query
    chunks = texts.pack(blocks)
    if query is not None and len(chunks) == 1 and message.text is not None:
        # Telegram refuses an edit that changes nothing (the same button pressed twice).
        if message.text == texts.plain(chunks[0]) and message.reply_markup == markup:
            return
        try:
            await message.edit_text(chunks[0], reply_markup=markup)
            return
        except BadRequest as exc:
            # Pressing the same button twice asks for an identical edit, which Telegram
            # refuses; the resident already sees the right thing.
            if "not modified" in str(exc).lower():
                return
            raise
    await send_blocks(message, blocks, markup)


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner. Telegram refuses answers to queries older than a few
    seconds (taps delivered again after a restart), and a network failure can outlast the
    retries: either way the tap itself must still be handled."""
    try:
        await query.answer()
    except (BadRequest, NetworkError) as exc:
        log.info("callback query not answered: %s", exc)


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
A = TypeVar("A", bound=Action, covariant=True)


@dataclass(frozen=True)
class Tap(Generic[A]):
    """A button tap, opened: acknowledged, with its message, who tapped, and the arguments
    of the action tapped, parsed and checked."""

    query: CallbackQuery
    message: Message
    user: User
    args: A


class ButtonHandler:
    """The handler of one or more button actions (made by `on_button`)."""

    def __init__(self, actions: tuple[type[Action], ...], callback: Handler) -> None:
        self.actions = actions
        self.callback = callback
        self.__name__ = callback.__name__
        self.__doc__ = callback.__doc__

    async def __call__(self, update: Update, context: Context) -> None:
        await self.callback(update, context)

    def handlers(self) -> list[CallbackQueryHandler[Context, None]]:
        return [CallbackQueryHandler(self, pattern=action.pattern) for action in self.actions]


def on_button(
    *kinds: type[A], guard: Callable[[Handler], Handler] | None = None
) -> Callable[[Callable[[Update, Context, Tap[A]], Coroutine[Any, Any, None]]], ButtonHandler]:
    """A button handler's common opening, written once: a tap with a message, acknowledged
    (the spinner stops), its arguments parsed; data no button of these actions makes gets
    the old-button message and the menu. `guard` (private_only, admin_only) runs first, so
    a refusal can still answer the tap with a pop-up."""

    def decorate(
        callback: Callable[[Update, Context, Tap[A]], Coroutine[Any, Any, None]],
    ) -> ButtonHandler:
        @functools.wraps(callback)
        async def opened(update: Update, context: Context) -> None:
            query, message = update.callback_query, update.effective_message
            if query is None or message is None:
                return
            await acknowledge(query)
            args = next((a for a in (k.parse(query.data) for k in kinds) if a is not None), None)
            if args is None:
                log.info("callback data %r is no %s", (query.data or "")[:80], kinds)
                await show(update, [texts.OLD_BUTTON], menu_keyboard())
                return
            await callback(update, context, Tap(query, message, query.from_user, args))

        return ButtonHandler(kinds, guard(opened) if guard is not None else opened)

    return decorate


async def drop_spent_button(message: Message, action: type[actions.Action]) -> None:
    """Take a button that has done its work ("อ่านต่อ", "ส่งคำถามถึงเจ้าหน้าที่") off the
    tapped message, which stays on screen with its other buttons."""
    markup = message.reply_markup
    if markup is None:
        return
    kept = [
        row
        for row in markup.inline_keyboard
        if not any(isinstance(b.callback_data, str) and action.parse(b.callback_data) for b in row)
    ]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(kept))
    except BadRequest as exc:  # too old to edit, or already without it
        log.info("spent %s button not removed: %s", action.__name__, exc)


def add_buttons(app: Application[Any, Any, Any, Any, Any, Any], *buttons: ButtonHandler) -> None:
    """Route each button action's taps to its handler."""
    for handler in buttons:
        app.add_handlers(handler.handlers())


# What Telegram accepts after ?start= in a t.me link.
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_private(update: Update) -> bool:
    """Sent in the user's own chat with the bot (not a group, a channel or an inline message)."""
    chat, user = update.effective_chat, update.effective_user
    return chat is not None and user is not None and chat.type == "private" and chat.id == user.id


async def answer_with(query: CallbackQuery, text: str) -> None:
    """Answer a tap with a pop-up only its owner sees: nothing is posted in the chat."""
    try:
        await query.answer(text, show_alert=True)
    except TelegramError as exc:
        log.info("callback query not answered: %s", exc)


async def refuse_outside_private(update: Update, context: Context) -> None:
    """Say once, briefly, to continue in the private chat, and post nothing else. A tap gets
    a pop-up for the one who tapped; a command gets a reply with a button that opens the
    private chat (carrying a /start payload, such as a poster's sign-up link)."""
    query = update.callback_query
    if query is not None:
        await answer_with(query, texts.PRIVATE_ONLY_ALERT)
        return
    message = update.effective_message
    if message is None:
        return
    url = f"https://t.me/{context.bot.username}"
    text = message.text or ""
    if text.split(maxsplit=1)[0].split("@")[0] == "/start" and context.args:
        if START_PAYLOAD.fullmatch(context.args[0]):
            url += f"?start={context.args[0]}"
    open_chat = InlineKeyboardButton(texts.BTN_OPEN_PRIVATE, url=url)
    await message.reply_text(texts.PRIVATE_ONLY, reply_markup=InlineKeyboardMarkup([[open_chat]]))


def private_only(handler: Handler) -> Handler:
    """Residents' personal data (sign-up, consent, their sign-ups, erasure) stays out of
    groups: there the bot only points to the private chat."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        if is_private(update):
            await handler(update, context)
            return
        await refuse_outside_private(update, context)

    return guarded


async def callback_gate(update: Update, context: Context) -> None:
    """Before any handler (group -30): a tap with forged or malformed data, or without a
    message, goes no further."""
    query = update.callback_query
    if query is None:
        return
    if query.message is None:
        # Only an inline-mode message has no message here, and this bot makes none: the
        # data is forged. Its owner still learns that nothing happened.
        log.info("callback without a message refused: %r", (query.data or "")[:80])
        await answer_with(query, texts.OLD_BUTTON_ALERT)
        raise ApplicationHandlerStop
    if actions.parse(query.data) is not None:
        return
    log.info("malformed callback data %r", (query.data or "")[:80])
    await acknowledge(query)
    await show(update, [texts.OLD_BUTTON], menu_keyboard())
    raise ApplicationHandlerStop


def only_for(allowed: Callable[[Settings, int], bool], who: str) -> Callable[[Handler], Handler]:
    """A guard for staff actions: in a private chat, by the users `allowed` lets in only (the
    settings' role lists); in a group the bot points to the private chat and posts nothing
    else; anyone else is refused politely, and it is logged (`who`: the role, for the log)."""

    def guard(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context) -> None:
            user = update.effective_user
            if not is_private(update):
                log.warning(
                    "refused %s outside a private chat (user %s)",
                    handler.__name__,
                    user.id if user else None,
                )
                await refuse_outside_private(update, context)
                return
            if user is not None and allowed(context.services.settings, user.id):
                await handler(update, context)
                return
            log.warning(
                "refused %s to user %s (not %s)", handler.__name__, user.id if user else None, who
            )
            if update.callback_query is not None:
                await acknowledge(update.callback_query)
            message = update.effective_message
            if message is not None:
                await message.chat.send_message(texts.ADMIN_ONLY)

        return guarded

    return guard


# Organiser and staff actions: organisers (BOT_ADMIN_IDS) only.
admin_only = only_for(lambda settings, user: user in settings.admin_ids, "in BOT_ADMIN_IDS")


def add_organiser_steps(
    app: Application[Any, Any, Any, Any, Any, Any], callback: Handler, group: int
) -> None:
    """Read organisers' typed messages in private chats for a flow's steps (`group`: where
    among the other flows' readers; a message that is no step goes on to the next group)."""
    admins = list(Services.of(app).settings.admin_ids)
    if not admins:
        return
    app.add_handler(
        MessageHandler(
            filters.User(user_id=admins)
            & filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            callback,
        ),
        group=group,
    )


def user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def truncate(label: str, limit: int = 34) -> str:
    """A button label (or a short quote) that fits `limit` letters of a small phone's button,
    shortened at a word boundary, Thai words included (not "การเรียนรู้ตลอดชีวิต (Lifelong
    Learn…"), with "…" after it."""
    if texts.cells(label) <= limit:
        return label
    kept = ""
    for word in words(label):
        if texts.cells(kept + word) + 1 > limit:
            break
        kept += word
    if kept.count("(") > kept.count(")") and kept.rindex("(") > 0:
        # A bracket opened and not closed reads as cut: leave the aside out whole.
        kept = kept[: kept.rindex("(")]
    kept = kept.rstrip(" ([{-–—,:;·/")
    if not kept:
        # One word longer than the button: cut between letters, never before a mark that
        # belongs to the letter in front of it.
        for ch in label:
            if texts.cells(kept + ch) + 1 > limit:
                break
            kept += ch
    return kept + "…"


# ------------------------------------------------------------------ sign-ups and their outbox
# Shared by sign-up, account (cancel, erasure) and the notice job: replies that carry a
# commitment go through the outbox (written with the change, sent, then removed).
def entry_gate(context: Context, entry_id: str) -> tuple[Entry | None, str | None]:
    """The entry if residents can sign up for it now, else the Thai reason why not."""
    entry = context.services.knowledge.kb.get(entry_id)
    if entry is None:
        return None, texts.SIGNUP_UNKNOWN
    moment = now(context)
    if entry.accepts_signups(moment):
        return entry, None
    if not entry.signup:
        return None, texts.SIGNUP_CLOSED
    if entry.closed and (entry.starts is None or entry.starts > moment):
        return None, texts.SIGNUP_STOPPED
    return None, texts.SIGNUP_PAST


def capacity_of(context: Context) -> CapacityOf:
    """Seats on offer per entry id, for promotions: none for entries gone, without sign-up
    or past. Sign-ups closed by the organisers still promote: closing stops new sign-ups,
    not the waiting list."""

    def capacity(entry_id: str) -> int | None:
        entry = context.services.knowledge.kb.get(entry_id)
        if entry is None or not entry.signup:
            return 0
        if entry.starts is not None and entry.starts <= now(context):
            return 0
        return entry.capacity

    return capacity


def signed_up_text(context: Context, outcome_signup: Signup, name: str, phone: str) -> str:
    """The confirmation of a seat: what, when, where, and the details given."""
    entry = context.services.knowledge.kb.get(outcome_signup.entry_id)
    tz = context.services.settings.tz
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
    """Under a sign-up's answer: the resident's sign-ups, and the menu."""
    return InlineKeyboardMarkup([[MySignups().button(texts.BTN_MY_SIGNUPS), *menu_row()]])


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
    person = await context.services.r.people.get(s.user_id)
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
        await context.services.r.residents.set_blocked(chat, True)
        return True
    except TelegramError as exc:
        log.warning("notice %s (%s) not delivered (%s); will retry", notice.id, notice.kind, exc)
        return False


async def deliver_notices(context: Context, notices: Sequence[Notice]) -> None:
    """Send queued replies and take each out of the outbox once Telegram has accepted it.

    At most one copy in the normal case. A crash between Telegram's answer and the removal
    sends it again at the next start: an edit of the tapped message then changes nothing (the
    resident sees one), a new message (typed phone, promotion) arrives twice."""
    repo = context.services.r.outbox
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
    repo = context.services.r.outbox
    await deliver_notices(context, await repo.notices(signup_ids=[s.id for s in promoted]))


async def cancel_signup(update: Update, context: Context, signup_id: int) -> bool:
    """A tapped "yes, cancel": cancel the resident's sign-up, say so in place of the tapped
    message (through the outbox), and tell whoever got the seat. A second tap on an already
    cancelled sign-up changes nothing. False when the sign-up is not theirs."""
    user = update.effective_user
    query = update.callback_query
    if user is None:
        return False
    repo = context.services.signups
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
    await deliver_notices(context, await context.services.r.outbox.notices(user_id=user.id))
    await notify_promotions(context, promoted)
    return True


JobCallback = Callable[[Context], Coroutine[Any, Any, None]]


def run_at_start_and_every(
    app: Application[Any, Any, Any, Any, Any, Any],
    callback: JobCallback,
    interval: float | timedelta,
    name: str | None = None,
) -> None:
    """A job that runs once as soon as the bot is up, then every `interval` seconds, late
    rather than never. Not run_repeating(first=0): APScheduler computes the first run when
    the scheduler starts, after post_init; a first run already past by then is moved a
    whole interval on (a day, for the retention job). Nor with its default misfire grace
    of one second, which drops a run that starts late."""
    if app.job_queue is None:
        return
    late = {"misfire_grace_time": None}
    app.job_queue.run_once(callback, when=0.5, name=name, job_kwargs=late)
    app.job_queue.run_repeating(
        callback, interval=interval, first=interval, name=name, job_kwargs=late
    )


# The job that sends change notices to the residents signed up (handlers/announce.py).
CHANGE_NOTICE_JOB = "change-notices"


def send_change_notices_soon(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After an organiser changed an entry (a new date, time or place, or a cancellation):
    send the notices it queued now rather than at the job's next round. A round already
    running is no harm: each notice is claimed before it is sent."""
    queue = app.job_queue
    if queue is None:
        return
    for job in queue.get_jobs_by_name(CHANGE_NOTICE_JOB)[:1]:
        queue.run_once(
            job.callback, when=0, name=CHANGE_NOTICE_JOB, job_kwargs={"misfire_grace_time": None}
        )
