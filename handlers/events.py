"""Organisers make and change entries in Telegram (issue 16).

/newevent asks one thing at a time (buttons where the choice is finite), reads the date back
in full, shows the entry exactly as residents will see it, and publishes it. /myevents lists
the entries made here; each has a panel: change the date, place, seats, title or text, close
or open sign-ups, hide or show, cancel (after a confirmation), announce, and its history.

Entries are kept by bot/entries.py (the files' rules, every change recorded, the notices
owed to residents signed up queued with it); `services.rebuild()` puts a change in service at
once. Only organisers' messages reach these steps (the message handler's filter): residents'
messages are never read here, and entries from data/kb are edited in the files.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
)

from bot import texts
from bot.entries import (
    Action,
    Change,
    EntryRefused,
    EntryState,
    Made,
    Refusal,
    new_id,
)
from bot.flows import EditEventStep, Flow, FlowKind, NewEventStep
from bot.signups import Status
from handlers.actions import (
    Announce,
    EventAct,
    EventCancelConfirm,
    EventEdit,
    EventField,
    EventHistory,
    EventKind,
    EventPanel,
    EventView,
    EventWhenOk,
    MyEvents,
    NewEventChoice,
    NewEventKind,
    NewEventPeople,
    NewEventRedo,
    WizardField,
)
from handlers.common import (
    Context,
    Tap,
    add_buttons,
    add_organiser_steps,
    admin_only,
    entry_blocks,
    entry_keyboard,
    notify_promotions,
    on_button,
    send_blocks,
    send_change_notices_soon,
    show,
    truncate,
)
from kb.model import Entry
from kb.thaidate import DateError, parse_when

log = logging.getLogger(__name__)

TITLE_LIMIT = 120
PLACE_LIMIT = 200  # one line on a phone's map link and in a list
CONTACT_LIMIT = 200
ANSWER_LIMIT = 3000  # the details show the start; "อ่านต่อ" the rest
QUESTION_LIMIT = 120
QUESTIONS_MAX = 10
CAPACITY_MAX = 10000
PEOPLE_CHOICES = (1, 2, 4, 6)
HISTORY_SHOWN = 10
LISTED = 20  # /myevents: buttons a phone can still scroll through

# /newevent's steps in order, and the field each belongs to (a field redone from the
# preview goes back to the preview once its steps are done).
ORDER = (
    NewEventStep.KIND, NewEventStep.TITLE, NewEventStep.WHEN, NewEventStep.WHEN_OK,
    NewEventStep.PLACE, NewEventStep.SIGNUP, NewEventStep.CAPACITY, NewEventStep.PEOPLE,
    NewEventStep.ANSWER, NewEventStep.QUESTIONS, NewEventStep.CONTACT, NewEventStep.PREVIEW,
)  # fmt: skip
FIELD_OF: dict[NewEventStep, WizardField] = {
    NewEventStep.KIND: "kind",
    NewEventStep.TITLE: "title",
    NewEventStep.WHEN: "when",
    NewEventStep.WHEN_OK: "when",
    NewEventStep.PLACE: "place",
    NewEventStep.SIGNUP: "signup",
    NewEventStep.CAPACITY: "signup",
    NewEventStep.PEOPLE: "signup",
    NewEventStep.ANSWER: "answer",
    NewEventStep.QUESTIONS: "questions",
    NewEventStep.CONTACT: "contact",
}
FIRST_STEP: dict[WizardField, NewEventStep] = {
    "kind": NewEventStep.KIND,
    "title": NewEventStep.TITLE,
    "when": NewEventStep.WHEN,
    "place": NewEventStep.PLACE,
    "signup": NewEventStep.SIGNUP,
    "answer": NewEventStep.ANSWER,
    "questions": NewEventStep.QUESTIONS,
    "contact": NewEventStep.CONTACT,
}
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


class Invalid(Exception):
    """A typed value refused: `str()` is the Thai message (HTML, escaped)."""


def _now(context: Context) -> datetime:
    services = context.services
    return services.clock().astimezone(services.settings.tz)


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(rows) if rows else None


# ------------------------------------------------------------------ typed values
def _line(text: str, limit: int) -> str:
    """One line of text (a title, a place): spaces and line breaks collapsed."""
    value = " ".join(text.split())
    if not value:
        raise Invalid(texts.EVENT_EMPTY)
    if len(value) > limit:
        if limit == TITLE_LIMIT:
            raise Invalid(texts.event_title_too_long(limit, len(value)))
        raise Invalid(texts.event_too_long(limit))
    return value


def _capacity(text: str) -> int:
    # Thai digits (๕๐) and "50 คน" / "1,000 ที่" as organisers type them.
    digits = re.sub(r"[\s,]|คน|ที่(?:นั่ง)?", "", text.translate(_THAI_DIGITS))
    if not digits.isascii() or not digits.isdigit() or not 1 <= int(digits) <= CAPACITY_MAX:
        raise Invalid(texts.EVENT_CAPACITY_BAD.format(limit=CAPACITY_MAX))
    return int(digits)


def _answer(text: str) -> str:
    value = text.strip()
    if not value:
        raise Invalid(texts.EVENT_EMPTY)
    if len(value) > ANSWER_LIMIT:
        raise Invalid(texts.event_too_long(ANSWER_LIMIT))
    return value


def _questions(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split()).lstrip("•-* ").strip()
        if line and line not in lines:
            lines.append(_line(line, QUESTION_LIMIT))
    if not lines:
        raise Invalid(texts.EVENT_EMPTY)
    if len(lines) > QUESTIONS_MAX:
        raise Invalid(texts.event_too_many(QUESTIONS_MAX))
    return lines


def _when(context: Context, text: str) -> tuple[datetime, datetime | None, list[str]]:
    """A date and time as typed, in the future; DateError's Thai message otherwise."""
    now = _now(context)
    try:
        when = parse_when(text, now, context.services.settings.tz)
    except DateError as exc:
        raise Invalid(texts.event_date_error(str(exc))) from None
    if when.starts < now:
        raise Invalid(texts.EVENT_PAST)
    return when.starts, when.ends, list(when.assumed)


def _read_back(context: Context, data: dict[str, Any]) -> str:
    starts = datetime.fromisoformat(data["starts"])
    ends = datetime.fromisoformat(data["ends"]) if data.get("ends") else None
    when = texts.thai_when(starts, ends, context.services.settings.tz)
    return texts.event_when_check(when, list(data.get("assumed", [])))


def suggest_questions(title: str, signup: bool) -> list[str]:
    """Phrasings residents might use, from the title: the title, its core words (without
    "งาน"/"โครงการ" in front or "รุ่นที่ 2" after), where it is held, and signing up."""
    core = re.sub(r"\(.*?\)|\[.*?\]", " ", title)
    core = re.sub(r"(?:ครั้งที่|รุ่นที่|รอบที่|รุ่น|รอบ|ปี)\s*[0-9๐-๙/.]+", " ", core)
    core = " ".join(core.split())
    core = re.sub(r"^(?:งาน|โครงการ|กิจกรรม)\s*(?=\S)", "", core) or title
    found: list[str] = []
    for q in (title, core, f"{core} จัดที่ไหน", f"สมัคร{core}" if signup else ""):
        if q and q not in found:
            found.append(q)
    return found[:4]


def _bot_contact(context: Context) -> str:
    name, phone, line, _ = context.services.settings.contact_fields()
    return " · ".join(p for p in (name, phone and f"โทร {phone}", line and f"LINE {line}") if p)


# ------------------------------------------------------------------ /newevent
def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The entry's fields as the YAML files write them, from the wizard's answers."""
    signup = bool(data.get("signup"))
    fields: dict[str, Any] = {
        "id": data.get("id"),
        "kind": data.get("kind"),
        "title": data.get("title"),
        "questions": data.get("questions") or [data.get("title")],
        "answer": data.get("answer"),
        "starts": data.get("starts"),
        "ends": data.get("ends"),
        "location": data.get("location"),
        "signup": signup,
        "capacity": data.get("capacity") if signup else None,
        "max_people": data.get("max_people") if signup and data.get("max_people", 1) > 1 else None,
        "contact": data.get("contact"),
    }
    return {k: v for k, v in fields.items() if v is not None and v is not False}


def _applies(step: NewEventStep, data: dict[str, Any]) -> bool:
    if step is NewEventStep.WHEN_OK:
        return bool(data.get("starts"))
    if step is NewEventStep.CAPACITY:
        return data.get("signup_mode") == "cap"
    if step is NewEventStep.PEOPLE:
        return bool(data.get("signup"))
    return True


def _after(step: NewEventStep, data: dict[str, Any]) -> NewEventStep:
    """The step after `step`: the next that applies, or the preview when a field redone
    from the preview is done."""
    for following in ORDER[ORDER.index(step) + 1 :]:
        if not _applies(following, data):
            continue
        if data.get("redo") and FIELD_OF.get(following) != FIELD_OF.get(step):
            return NewEventStep.PREVIEW
        return following
    return NewEventStep.PREVIEW


async def _prompt(
    context: Context, step: NewEventStep, data: dict[str, Any]
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """What a step asks, and its buttons."""
    drop = [NewEventChoice("drop").button(texts.BTN_EVENT_DROP)]
    if step is NewEventStep.KIND:
        kinds = [
            [NewEventKind(cast(EventKind, k)).button(name)]
            for k, name in texts.EVENT_KIND_NAMES.items()
        ]
        return [texts.NEW_EVENT_KIND], _markup([*kinds, drop])
    if step is NewEventStep.TITLE:
        return [texts.NEW_EVENT_TITLE.format(limit=TITLE_LIMIT)], None
    if step is NewEventStep.WHEN:
        rows = []
        if data.get("kind") != "event":  # programmes and activities may run without a date
            rows.append([NewEventChoice("nodate").button(texts.BTN_EVENT_NO_DATE)])
        return [texts.NEW_EVENT_WHEN], _markup(rows)
    if step is NewEventStep.WHEN_OK:
        return [_read_back(context, data)], _markup(
            [
                [
                    NewEventChoice("ok").button(texts.BTN_EVENT_DATE_OK),
                    NewEventChoice("re").button(texts.BTN_EVENT_DATE_AGAIN),
                ]
            ]
        )
    if step is NewEventStep.PLACE:
        text = texts.NEW_EVENT_PLACE.format(limit=PLACE_LIMIT)
        return [text], _markup([[NewEventChoice("noplace").button(texts.BTN_EVENT_NO_PLACE)]])
    if step is NewEventStep.SIGNUP:
        rows = [
            [NewEventChoice("nosu").button(texts.BTN_EVENT_NO_SIGNUP)],
            [NewEventChoice("open").button(texts.BTN_EVENT_OPEN)],
            [NewEventChoice("cap").button(texts.BTN_EVENT_CAPACITY)],
        ]
        return [texts.NEW_EVENT_SIGNUP], _markup(rows)
    if step is NewEventStep.CAPACITY:
        return [texts.NEW_EVENT_CAPACITY.format(limit=CAPACITY_MAX)], None
    if step is NewEventStep.PEOPLE:
        row = [NewEventPeople(n).button(str(n)) for n in PEOPLE_CHOICES]
        return [texts.NEW_EVENT_PEOPLE], _markup([row])
    if step is NewEventStep.ANSWER:
        return [texts.NEW_EVENT_ANSWER], None
    if step is NewEventStep.QUESTIONS:
        suggested = suggest_questions(data.get("title", ""), bool(data.get("signup")))
        text = texts.event_questions(suggested, QUESTIONS_MAX)
        use = [NewEventChoice("qok").button(texts.BTN_EVENT_USE_QUESTIONS)]
        return [text], _markup([use])
    if step is NewEventStep.CONTACT:
        rows = [[NewEventChoice("nocon").button(texts.BTN_EVENT_NO_CONTACT)]]
        if _bot_contact(context):
            label = truncate(texts.event_bot_contact(_bot_contact(context)))
            rows.append([NewEventChoice("botcon").button(label)])
        return [texts.NEW_EVENT_CONTACT], _markup(rows)
    return [], None  # the preview is sent by _preview


async def _go(
    message: Message,
    context: Context,
    user_id: int,
    flow_data: dict[str, Any],
    step: NewEventStep,
    error: str | None = None,
) -> None:
    """Move the wizard to `step` and ask it (after `error`, when a typed value was refused)."""
    if step is NewEventStep.PREVIEW:
        flow_data.pop("redo", None)
        _ensure_id(flow_data)  # kept, so the entry published is the one previewed
    await context.services.r.flows.save(user_id, FlowKind.NEW_EVENT, step, flow_data)
    if step is NewEventStep.PREVIEW:
        await _preview(message, context, flow_data)
        return
    blocks, markup = await _prompt(context, step, flow_data)
    if error is not None:
        blocks = [f"{error}\n\n{blocks[0]}", *blocks[1:]]
    await send_blocks(message, blocks, markup)


def _ensure_id(data: dict[str, Any]) -> None:
    if not data.get("id"):
        starts = datetime.fromisoformat(data["starts"]) if data.get("starts") else None
        data["id"] = new_id(starts)


def _preview_entry(context: Context, data: dict[str, Any]) -> Entry:
    _ensure_id(data)
    return context.services.r.entries.validate(_fields(data))


async def _preview(message: Message, context: Context, data: dict[str, Any]) -> None:
    """The entry as residents will see its details, with publish, redo and drop."""
    redo = [NewEventChoice("redo").button(texts.BTN_EVENT_REDO)]
    drop = [NewEventChoice("drop").button(texts.BTN_EVENT_DROP)]
    try:
        entry = _preview_entry(context, data)
    except EntryRefused as exc:
        problems = texts.event_invalid([p.message for p in exc.problems])
        await message.chat.send_message(problems, reply_markup=InlineKeyboardMarkup([redo, drop]))
        return
    await message.chat.send_message(texts.NEW_EVENT_PREVIEW)
    publish = [NewEventChoice("pub").button(texts.BTN_EVENT_PUBLISH)]
    await send_blocks(
        message, entry_blocks(entry, context), InlineKeyboardMarkup([publish, redo, drop])
    )


@admin_only
async def events_new_command(update: Update, context: Context) -> None:
    """/newevent: make an entry, one step at a time."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    await _go(message, context, user.id, {}, NewEventStep.KIND)


async def _wizard(tap: Tap[Any], context: Context, *steps: NewEventStep) -> Flow | None:
    """The organiser's /newevent at one of `steps`, or None: with no wizard going they are
    told it expired; at another step (an older message's button) that step is asked again."""
    flow = await context.services.r.flows.current(tap.user.id, FlowKind.NEW_EVENT)
    if flow is None:
        await tap.message.chat.send_message(texts.NEW_EVENT_EXPIRED)
        return None
    if flow.step not in steps:
        await _go(tap.message, context, tap.user.id, flow.data, cast(NewEventStep, flow.step))
        return None
    return flow


@on_button(NewEventKind, guard=admin_only)
async def events_kind_button(update: Update, context: Context, tap: Tap[NewEventKind]) -> None:
    """/newevent: the kind picked."""
    flow = await _wizard(tap, context, NewEventStep.KIND)
    if flow is None:
        return
    flow.data["kind"] = tap.args.kind
    await _go(tap.message, context, tap.user.id, flow.data, _after(NewEventStep.KIND, flow.data))


@on_button(NewEventPeople, guard=admin_only)
async def events_people_button(update: Update, context: Context, tap: Tap[NewEventPeople]) -> None:
    """/newevent: seats one sign-up may take."""
    flow = await _wizard(tap, context, NewEventStep.PEOPLE)
    if flow is None or tap.args.count not in PEOPLE_CHOICES:
        return
    flow.data["max_people"] = tap.args.count
    await _go(tap.message, context, tap.user.id, flow.data, _after(NewEventStep.PEOPLE, flow.data))


@on_button(NewEventRedo, guard=admin_only)
async def events_redo_button(update: Update, context: Context, tap: Tap[NewEventRedo]) -> None:
    """/newevent's preview: one field asked again, then the preview again."""
    flow = await _wizard(tap, context, NewEventStep.PREVIEW)
    if flow is None:
        return
    flow.data["redo"] = True
    await _go(tap.message, context, tap.user.id, flow.data, FIRST_STEP[tap.args.field])


# The step each choice answers (a button of an older message asks the current step again).
_CHOICE_STEP: dict[str, NewEventStep] = {
    "ok": NewEventStep.WHEN_OK,
    "re": NewEventStep.WHEN_OK,
    "nodate": NewEventStep.WHEN,
    "noplace": NewEventStep.PLACE,
    "nosu": NewEventStep.SIGNUP,
    "open": NewEventStep.SIGNUP,
    "cap": NewEventStep.SIGNUP,
    "qok": NewEventStep.QUESTIONS,
    "nocon": NewEventStep.CONTACT,
    "botcon": NewEventStep.CONTACT,
    "pub": NewEventStep.PREVIEW,
    "redo": NewEventStep.PREVIEW,
}


@on_button(NewEventChoice, guard=admin_only)
async def events_choice_button(update: Update, context: Context, tap: Tap[NewEventChoice]) -> None:
    """/newevent: a button answering the current step (or dropping the whole entry)."""
    choice, user, message = tap.args.choice, tap.user, tap.message
    if choice == "drop":
        flows = context.services.r.flows
        if await flows.current(user.id, FlowKind.NEW_EVENT) is not None:
            await flows.end(user.id)
        await message.chat.send_message(texts.NEW_EVENT_DROPPED)
        return
    step = _CHOICE_STEP[choice]
    flow = await _wizard(tap, context, step)
    if flow is None:
        return
    data = flow.data
    if choice == "re":
        await _go(message, context, user.id, data, NewEventStep.WHEN)
        return
    if choice == "redo":
        rows = [
            [NewEventRedo(cast(WizardField, f)).button(name)]
            for f, name in texts.REDO_NAMES.items()
        ]
        await message.chat.send_message(
            texts.NEW_EVENT_REDO, reply_markup=InlineKeyboardMarkup(rows)
        )
        return
    if choice == "pub":
        await _publish(update, context, flow)
        return
    if choice == "nodate":
        data.pop("starts", None)
        data.pop("ends", None)
        data.pop("id", None)
    elif choice == "noplace":
        data.pop("location", None)
    elif choice in ("nosu", "open", "cap"):
        data["signup"] = choice != "nosu"
        data["signup_mode"] = choice
        data.pop("capacity", None)
        if choice == "nosu":
            data.pop("max_people", None)
    elif choice == "qok":
        data["questions"] = suggest_questions(data.get("title", ""), bool(data.get("signup")))
    elif choice == "nocon":
        data.pop("contact", None)
    elif choice == "botcon":
        data["contact"] = _bot_contact(context) or None
    await _go(message, context, user.id, data, _after(step, data))


async def _publish(update: Update, context: Context, flow: Flow) -> None:
    """Publish the previewed entry: stored, put in service at once, and the organiser
    offered its announcement, its resident view and its panel."""
    services, user, message = context.services, flow.user_id, update.effective_message
    assert message is not None
    data = flow.data
    assert services.files is not None
    taken = frozenset(e.id for e in services.files.kb)
    try:
        try:
            await services.r.entries.create(_fields(data), user, _now(context), taken)
        except EntryRefused as exc:
            if exc.reason is not Refusal.EXISTS:
                raise
            made = await services.r.entries.get(data["id"])
            # Published already by this wizard (a crash came before the flow ended, and the
            # organiser tapped publish again): not a second entry.
            if made is None or made.created_by != user or made.entry.title != data.get("title"):
                data.pop("id")  # a clash of the random part: another id, once
                _preview_entry(context, data)
                await services.r.entries.create(_fields(data), user, _now(context), taken)
    except EntryRefused as exc:
        if exc.reason is Refusal.PAST:
            data["redo"] = True
            await _go(message, context, user, data, NewEventStep.WHEN, error=texts.EVENT_PAST)
            return
        await message.chat.send_message(_refusal(exc))
        return
    await services.r.flows.end(user)
    await services.rebuild()
    entry_id = data["id"]
    rows = [
        [Announce(entry_id).button(texts.BTN_EVENT_ANNOUNCE)],
        [EventView(entry_id).button(texts.BTN_EVENT_VIEW)],
        [EventPanel(entry_id).button(texts.BTN_EVENT_PANEL)],
    ]
    await message.chat.send_message(
        texts.event_published(data.get("title", "")), reply_markup=InlineKeyboardMarkup(rows)
    )


async def events_text_message(update: Update, context: Context) -> None:
    """An organiser's typed answer to /newevent or to a change in /myevents (group -18,
    organisers only). Without either going, the message goes on (a question, a reply)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    flow = await context.services.r.flows.current(user.id)
    if flow is None or flow.kind not in (FlowKind.NEW_EVENT, FlowKind.EDIT_EVENT):
        return
    text = message.text or ""
    if flow.kind is FlowKind.EDIT_EVENT:
        await _edit_value(message, context, flow, text)
    else:
        await _wizard_value(message, context, flow, text)
    raise ApplicationHandlerStop


async def _wizard_value(message: Message, context: Context, flow: Flow, text: str) -> None:
    step, data, user = cast(NewEventStep, flow.step), flow.data, flow.user_id
    try:
        if not message.text:
            raise Invalid(texts.EVENT_TEXT_ONLY)
        if step is NewEventStep.TITLE:
            data["title"] = _line(text, TITLE_LIMIT)
        elif step is NewEventStep.WHEN:
            starts, ends, assumed = _when(context, text)
            data.update(starts=starts.isoformat(), ends=ends.isoformat() if ends else None)
            data["assumed"] = assumed
            data.pop("id", None)  # the id carries the date
        elif step is NewEventStep.PLACE:
            data["location"] = _line(text, PLACE_LIMIT)
        elif step is NewEventStep.CAPACITY:
            data["capacity"] = _capacity(text)
        elif step is NewEventStep.ANSWER:
            data["answer"] = _answer(text)
        elif step is NewEventStep.QUESTIONS:
            data["questions"] = _questions(text)
        elif step is NewEventStep.CONTACT:
            data["contact"] = _line(text, CONTACT_LIMIT)
        else:  # a step answered with its buttons: asked again
            await _go(message, context, user, data, step)
            return
    except Invalid as exc:
        await _go(message, context, user, data, step, error=str(exc))
        return
    await _go(message, context, user, data, _after(step, data))


# ------------------------------------------------------------------ /myevents and the panel
def _state_line(context: Context, made: Made, seats: tuple[int, int]) -> str:
    entry, parts = made.entry, [texts.EVENT_STATE_NAMES[made.state.value]]
    if entry.starts is not None:
        parts.append(texts.when_short(entry.starts, entry.ends, context.services.settings.tz))
    if entry.signup:
        if entry.closed:
            parts.append(texts.SIGNUPS_CLOSED_MARK)
        parts.append(texts.seats_line(seats[0], entry.capacity, seats[1]))
    return " · ".join(parts)


def _order(made: list[Made], now: datetime) -> list[Made]:
    """Upcoming first (soonest first), then undated, then past (latest first); cancelled last."""

    def key(m: Made) -> tuple[int, float]:
        starts = m.entry.starts
        if m.state is EntryState.CANCELLED:
            return 3, 0.0
        if starts is None:
            return 1, 0.0
        if m.entry.is_upcoming(now):
            return 0, starts.timestamp()
        return 2, -starts.timestamp()

    return sorted(made, key=key)


async def _list_view(context: Context) -> tuple[list[str], InlineKeyboardMarkup | None]:
    services = context.services
    made = _order(await services.r.entries.all(), _now(context))[:LISTED]
    if not made:
        return [texts.MY_EVENTS_EMPTY, texts.MY_EVENTS_FILES], None
    lines, rows = [texts.MY_EVENTS_TITLE], []
    for n, m in enumerate(made, start=1):
        seats = await services.signups.seats(m.entry.id)
        lines.append(
            f"{n}. <b>{texts.esc(m.entry.title)}</b>\n    {_state_line(context, m, seats)}"
        )
        rows.append([EventPanel(m.entry.id).button(truncate(f"{n}. {m.entry.title}"))])
    lines.append(texts.MY_EVENTS_FILES)
    return ["\n".join(lines)], InlineKeyboardMarkup(rows)


@admin_only
async def events_list_command(update: Update, context: Context) -> None:
    """/myevents: the entries made in Telegram, upcoming first, each to its panel."""
    await show(update, *await _list_view(context))


@on_button(MyEvents, guard=admin_only)
async def events_list_button(update: Update, context: Context, tap: Tap[MyEvents]) -> None:
    """Back to /myevents' list."""
    await show(update, *await _list_view(context))


async def _made(context: Context, message: Message, entry_id: str) -> Made | None:
    """The entry made in Telegram, or None after saying why not (from the files, gone)."""
    services = context.services
    made = await services.r.entries.get(entry_id)
    if made is None:
        assert services.files is not None
        from_files = services.files.kb.get(entry_id) is not None
        await message.chat.send_message(
            texts.EVENT_FROM_FILES if from_files else texts.EVENT_UNKNOWN
        )
    return made


async def _panel(context: Context, made: Made) -> tuple[list[str], InlineKeyboardMarkup]:
    entry, services = made.entry, context.services
    seats = await services.signups.seats(entry.id)
    lines = [f"⚙️ <b>{texts.esc(entry.title)}</b>", _state_line(context, made, seats)]
    if entry.location:
        lines.append(f"{texts.WHERE}{texts.esc(entry.location)}")
    rows: list[list[InlineKeyboardButton]] = []
    if made.state is not EntryState.CANCELLED:
        fields: list[EventField] = ["when", "place", "capacity", "title", "answer", "questions"]
        if not entry.signup:
            fields.remove("capacity")
        buttons = [EventEdit(entry.id, f).button(texts.BTN_EDIT_FIELDS[f]) for f in fields]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        acts: list[Any] = []
        if entry.signup:
            acts.append("open" if entry.closed else "close")
        acts.append("show" if made.state is EntryState.HIDDEN else "hide")
        rows.append([EventAct(entry.id, a).button(texts.BTN_EVENT_ACTS[a]) for a in acts])
        if made.state is EntryState.PUBLISHED:
            rows.append([Announce(entry.id).button(texts.BTN_EVENT_ANNOUNCE)])
        rows.append([EventAct(entry.id, "cancel").button(texts.BTN_EVENT_ACTS["cancel"])])
    rows.append(
        [
            EventView(entry.id).button(texts.BTN_EVENT_VIEW),
            EventHistory(entry.id).button(texts.BTN_EVENT_HISTORY),
        ]
    )
    rows.append([MyEvents().button(texts.BTN_MY_EVENTS)])
    return ["\n".join(lines)], InlineKeyboardMarkup(rows)


@on_button(EventPanel, guard=admin_only)
async def events_panel_button(update: Update, context: Context, tap: Tap[EventPanel]) -> None:
    """An entry made in Telegram: what can be done with it."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is not None:
        await send_blocks(tap.message, *await _panel(context, made))


@on_button(EventView, guard=admin_only)
async def events_view_button(update: Update, context: Context, tap: Tap[EventView]) -> None:
    """The entry exactly as residents see its details (with their buttons)."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is not None:
        entry = made.entry
        await send_blocks(tap.message, entry_blocks(entry, context), entry_keyboard(entry, context))


def _history_value(context: Context, key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("starts", "ends") and isinstance(value, str):
        at = datetime.fromisoformat(value).astimezone(context.services.settings.tz)
        return f"{texts.thai_date_short(at)} {texts.thai_time(at)}"
    if isinstance(value, bool):
        return "ใช่" if value else "ไม่"
    return truncate(" ".join(str(value).split()), 30)


def _action_name(change: Change) -> str:
    """Closing and opening sign-ups are edits of `closed`: named as what they do."""
    if change.action is Action.EDIT and set(change.after) == {"closed"}:
        return texts.ACTION_NAMES["close" if change.after["closed"] else "open"]
    return texts.ACTION_NAMES[change.action.value]


@on_button(EventHistory, guard=admin_only)
async def events_history_button(update: Update, context: Context, tap: Tap[EventHistory]) -> None:
    """Who changed what, when: the last ten changes, oldest first."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is None:
        return
    tz = context.services.settings.tz
    lines = []
    for change in (await context.services.r.entries.history(made.entry.id))[-HISTORY_SHOWN:]:
        at = change.changed_at.astimezone(tz)
        when = f"{texts.thai_date_short(at)} {texts.thai_time(at)}"
        fields = []
        action = _action_name(change)
        if action == texts.ACTION_NAMES["edit"]:
            fields = [
                f"{texts.FIELD_NAMES.get(k, k)} → {_history_value(context, k, v)}"
                for k, v in change.after.items()
            ]
        lines.append(texts.event_history_line(when, change.changed_by, action, fields))
    back = [[EventPanel(made.entry.id).button(texts.BTN_EVENT_PANEL)]]
    await tap.message.chat.send_message(
        texts.event_history(made.entry.title, lines), reply_markup=InlineKeyboardMarkup(back)
    )


# ------------------------------------------------------------------ changes
def _refusal(exc: EntryRefused) -> str:
    if exc.reason is Refusal.PAST:
        return texts.EVENT_PAST
    if exc.reason is Refusal.CAPACITY_BELOW_SEATS:
        return texts.event_capacity_below(exc.seats)
    if exc.reason is Refusal.CANCELLED:
        return texts.EVENT_CANCELLED_ALREADY
    if exc.reason is Refusal.UNKNOWN:
        return texts.EVENT_UNKNOWN
    return texts.event_invalid([p.message for p in exc.problems] or [exc.reason.value])


async def _after_change(message: Message, context: Context, change: Change, panel: bool) -> None:
    """Put the change in service, tell whoever got a seat, send the notices it queued now,
    and say what changed."""
    services = context.services
    if change.id:
        await services.rebuild()
        await notify_promotions(context, change.promoted)
        if change.notified:
            send_change_notices_soon(context.application)
    if not change.id:
        text = texts.EVENT_NOTHING_CHANGED
    else:
        order = list(texts.FIELD_NAMES)
        keys = sorted(change.after, key=lambda k: order.index(k) if k in order else len(order))
        names = [texts.FIELD_NAMES.get(k, k) for k in keys]
        if _action_name(change) != texts.ACTION_NAMES["edit"]:
            names = [_action_name(change)]
        text = texts.event_changed(names, change.notified)
        if change.promoted:
            text += "\n" + texts.event_promoted(len(change.promoted))
    made = await services.r.entries.get(change.entry_id)
    markup = (await _panel(context, made))[1] if made is not None and panel else None
    await message.chat.send_message(text, reply_markup=markup)


@on_button(EventEdit, guard=admin_only)
async def events_edit_button(update: Update, context: Context, tap: Tap[EventEdit]) -> None:
    """A field to change: its new value is typed next."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is None:
        return
    if made.state is EntryState.CANCELLED:
        await tap.message.chat.send_message(texts.EVENT_CANCELLED_ALREADY)
        return
    data = {"entry": made.entry.id, "field": tap.args.field}
    await context.services.r.flows.save(tap.user.id, FlowKind.EDIT_EVENT, EditEventStep.VALUE, data)
    if tap.args.field == "questions":  # the set is replaced: show what it replaces
        await tap.message.chat.send_message(texts.edit_questions_now(made.entry.questions))
    await tap.message.chat.send_message(texts.EDIT_ASK[tap.args.field])


async def _edit_value(message: Message, context: Context, flow: Flow, text: str) -> None:
    """A new value typed for one field of an entry made in Telegram: checked, applied."""
    data, user, flows = flow.data, flow.user_id, context.services.r.flows
    field = cast(EventField, data.get("field"))
    entry_id = str(data.get("entry"))
    if flow.step is EditEventStep.WHEN_OK:  # the read-back's buttons answer it
        await message.chat.send_message(_read_back(context, data), reply_markup=_when_ok_markup())
        return
    ask = texts.EDIT_ASK[field]
    try:
        if not message.text:
            raise Invalid(texts.EVENT_TEXT_ONLY)
        if field == "when":
            starts, ends, assumed = _when(context, text)
            data.update(starts=starts.isoformat(), ends=ends.isoformat() if ends else None)
            data["assumed"] = assumed
            await flows.save(user, FlowKind.EDIT_EVENT, EditEventStep.WHEN_OK, data)
            await message.chat.send_message(
                _read_back(context, data), reply_markup=_when_ok_markup()
            )
            return
        changes: dict[str, Any]
        if field == "place":
            changes = {"location": _line(text, PLACE_LIMIT)}
        elif field == "capacity":
            unlimited = "".join(text.split()) == "ไม่จำกัด"
            changes = {"capacity": None if unlimited else _capacity(text)}
        elif field == "title":
            changes = {"title": _line(text, TITLE_LIMIT)}
        elif field == "questions":
            changes = {"questions": _questions(text)}
        else:
            changes = {"answer": _answer(text)}
    except Invalid as exc:
        await message.chat.send_message(f"{exc}\n\n{ask}")
        return
    await _apply(message, context, user, entry_id, changes)


def _when_ok_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                EventWhenOk("y").button(texts.BTN_EVENT_DATE_OK),
                EventWhenOk("n").button(texts.BTN_EVENT_DATE_AGAIN),
            ]
        ]
    )


async def _apply(
    message: Message,
    context: Context,
    user: int,
    entry_id: str,
    changes: dict[str, Any],
) -> None:
    """Apply a change; refused, the reason and the same question again."""
    services = context.services
    try:
        change = await services.r.entries.edit(entry_id, changes, user, _now(context))
    except EntryRefused as exc:
        if exc.reason in (Refusal.UNKNOWN, Refusal.CANCELLED):
            await services.r.flows.end(user)
            await message.chat.send_message(_refusal(exc))
            return
        data = {"entry": entry_id, "field": "when" if "starts" in changes else _field(changes)}
        await services.r.flows.save(user, FlowKind.EDIT_EVENT, EditEventStep.VALUE, data)
        await message.chat.send_message(f"{_refusal(exc)}\n\n{texts.EDIT_ASK[data['field']]}")
        return
    await services.r.flows.end(user)
    await _after_change(message, context, change, panel=True)


def _field(changes: dict[str, Any]) -> str:
    names = {"location": "place", "capacity": "capacity", "title": "title", "answer": "answer"}
    return names.get(next(iter(changes)), "questions")


@on_button(EventWhenOk, guard=admin_only)
async def events_when_ok_button(update: Update, context: Context, tap: Tap[EventWhenOk]) -> None:
    """A new date read back: apply it, or type it again."""
    flows = context.services.r.flows
    flow = await flows.current(tap.user.id, FlowKind.EDIT_EVENT)
    if flow is None or flow.step is not EditEventStep.WHEN_OK:
        await tap.message.chat.send_message(texts.NEW_EVENT_EXPIRED)
        return
    data = flow.data
    if tap.args.answer == "n":
        await flows.save(tap.user.id, FlowKind.EDIT_EVENT, EditEventStep.VALUE, data)
        await tap.message.chat.send_message(texts.EDIT_ASK["when"])
        return
    # No end typed: the old end would stand before the new start, so it goes too.
    changes = {"starts": data["starts"], "ends": data.get("ends")}
    entry_id = str(data["entry"])
    await _apply(tap.message, context, tap.user.id, entry_id, changes)


@on_button(EventAct, guard=admin_only)
async def events_act_button(update: Update, context: Context, tap: Tap[EventAct]) -> None:
    """Close or open sign-ups, hide or show; cancelling asks first."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is None:
        return
    services = context.services
    if tap.args.act == "cancel":
        if made.state is EntryState.CANCELLED:
            await tap.message.chat.send_message(texts.EVENT_CANCELLED_ALREADY)
            return
        live = (Status.CONFIRMED, Status.WAITLIST)
        people = len(
            [s for s in await services.signups.for_entry(made.entry.id) if s.status in live]
        )
        rows = [
            [EventCancelConfirm(made.entry.id).button(texts.BTN_EVENT_CANCEL_YES)],
            [EventPanel(made.entry.id).button(texts.BTN_EVENT_CANCEL_NO)],
        ]
        await tap.message.chat.send_message(
            texts.event_cancel_ask(made.entry.title, people),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    await _act(tap, context, made.entry.id, Action(tap.args.act))


async def _act(tap: Tap[Any], context: Context, entry_id: str, action: Action) -> None:
    try:
        change = await context.services.r.entries.act(entry_id, action, tap.user.id, _now(context))
    except EntryRefused as exc:
        await tap.message.chat.send_message(_refusal(exc))
        return
    await _after_change(tap.message, context, change, panel=action is not Action.CANCEL)


@on_button(EventCancelConfirm, guard=admin_only)
async def events_cancel_confirm_button(
    update: Update, context: Context, tap: Tap[EventCancelConfirm]
) -> None:
    """The event cancelled: no longer served; residents signed up are told."""
    made = await _made(context, tap.message, tap.args.entry)
    if made is not None:
        await _act(tap, context, made.entry.id, Action.CANCEL)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("newevent", events_new_command))
    app.add_handler(CommandHandler("myevents", events_list_command))
    add_buttons(
        app,
        events_kind_button,
        events_choice_button,
        events_people_button,
        events_redo_button,
        events_list_button,
        events_panel_button,
        events_view_button,
        events_history_button,
        events_edit_button,
        events_when_ok_button,
        events_act_button,
        events_cancel_confirm_button,
    )
    # Between the broadcast's composing step (-20) and the inbox reply (-15): an organiser
    # has one flow at a time, so at most one of them takes the message.
    add_organiser_steps(app, events_text_message, group=-18)
