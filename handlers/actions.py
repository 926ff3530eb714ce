"""Every button the bot makes, defined once: its code, its arguments and their types.

An action is a small frozen dataclass (aiogram's CallbackData, in PTB terms):
`CancelSignup(signup=5).button("❌ ยกเลิก")` makes the button, `CancelSignup.pattern` routes
its taps, and `CancelSignup.parse(data)` gives the tapped arguments back, typed and checked.

The wire format is the one buttons on residents' phones already carry,
`<version>:<code>:<arg>:<arg>...`, so old buttons still parse. Telegram delivers whatever a
modified client puts in a callback (up to 64 bytes), so every argument is checked against
its type before any handler runs (`handlers.common.callback_gate`): ASCII letters, digits,
'-', '_' or '*' only (str.isdigit() accepts '²' and Thai digits, which int() then refuses or
reads), row ids of 1-18 digits (SQLite's INTEGER is signed 64-bit; a larger one raises
OverflowError there), entry ids by the knowledge base's own rule, enums by their values.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self

from telegram import InlineKeyboardButton

from kb.loader import ID_RE

VERSION = "a"  # changes when the layout does: older buttons are then recognised as old
MAX_BYTES = 64  # Telegram's limit, in bytes: a Thai character takes 3
INT_MAX = 2**63 - 1
_SYNTAX = re.compile(r"[a-z]{1,3}(?::[A-Za-z0-9_*-]{1,40})*")


@dataclass(frozen=True)
class Rule:
    """How one argument is written on the wire, and read back."""

    regex: str
    convert: type[int] | type[str] = str


# Argument types: what a dataclass field of an action may be annotated with (or a Literal).
RowId = Annotated[int, Rule(r"[1-9][0-9]{0,17}", int)]  # 18 digits always fit SQLite
Page = Annotated[int, Rule(r"[0-9]{1,4}", int)]
Count = Annotated[int, Rule(r"[0-9]{1,2}", int)]
Offset = Annotated[int, Rule(r"[0-9]{1,6}", int)]  # a place in a knowledge-base answer
EntryId = Annotated[str, Rule(ID_RE.pattern)]  # the knowledge base's own rule for entry ids
ListKey = Literal["ev", "pg", "ac"]
# Where "back" leads from an entry's details: a list and its page, such as "ev0".
ListPlace = Annotated[str, Rule(r"(?:ev|pg|ac)[0-9]{1,4}")]
EntryOrAll = Annotated[str, Rule(rf"\*|{ID_RE.pattern}")]
YesNo = Literal["y", "n"]
TopicChoice = Literal["forums", "livelihood", "learning", "all", "none", "done"]


def _rule(hint: Any) -> Rule:
    if typing.get_origin(hint) is Literal:
        return Rule("|".join(re.escape(str(v)) for v in typing.get_args(hint)))
    if typing.get_origin(hint) is Annotated:
        rule = next((m for m in hint.__metadata__ if isinstance(m, Rule)), None)
        if rule is not None:
            return rule
    raise TypeError(f"an action's argument needs a Rule or a Literal type, not {hint!r}")


class Action:
    """Base of every button action; subclasses are frozen dataclasses with a `code`."""

    code: ClassVar[str]
    version: ClassVar[str] = VERSION
    pattern: ClassVar[str]  # for CallbackQueryHandler: this action's taps, of any version
    _fields: ClassVar[tuple[tuple[str, Rule], ...]]

    def __init_subclass__(cls, code: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"[a-z]{1,3}", code):
            raise ValueError(f"{cls.__name__}: an action code is 1-3 lowercase letters")
        if code in REGISTRY:
            raise ValueError(f"{cls.__name__}: code {code!r} is {REGISTRY[code].__name__}'s")
        cls.code = code
        cls.pattern = rf"^{re.escape(cls.version)}:{code}(:|$)"
        REGISTRY[code] = cls

    @classmethod
    def _rules(cls) -> tuple[tuple[str, Rule], ...]:
        # Read once the dataclass exists (its fields are not known in __init_subclass__).
        if "_fields" not in cls.__dict__:
            hints = typing.get_type_hints(cls, include_extras=True)
            cls._fields = tuple((f.name, _rule(hints[f.name])) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return cls._fields

    def data(self) -> str:
        """The callback data, checked as a tap of it will be (a bug shows here, not as a
        button Telegram refuses or one that answers "old button")."""
        values = [str(getattr(self, name)) for name, _ in self._rules()]
        data = ":".join((self.version, self.code, *values))
        if self.parse(data) != self:
            raise ValueError(f"{type(self).__name__}: arguments do not fit their types: {data!r}")
        return data

    def button(self, text: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=self.data())

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The tapped arguments, typed, or None for data this action never made."""
        parts = _split(data)
        if parts is None or parts[0] != cls.version or parts[1] != cls.code:
            return None
        rules, args = cls._rules(), parts[2:]
        if len(args) != len(rules):
            return None
        values: dict[str, Any] = {}
        for (name, rule), arg in zip(rules, args, strict=True):
            if not re.fullmatch(rule.regex, arg):
                return None
            values[name] = rule.convert(arg)
        return cls(**values)


REGISTRY: dict[str, type[Action]] = {}


def _split(data: str | None) -> list[str] | None:
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    version, _, rest = data.partition(":")
    if not _SYNTAX.fullmatch(rest):
        return None
    parts = [version, *rest.split(":")]
    # No run of digits beyond SQLite's INTEGER, whatever the argument's type (a number-like
    # entry id included): ASCII digits only here, by _SYNTAX.
    if any(p.isdigit() and int(p) > INT_MAX for p in parts[2:]):
        return None
    return parts


def parse(data: str | None) -> Action | None:
    """Whatever action the data is a tap of, or None when no button of ours makes it."""
    parts = _split(data)
    action = REGISTRY.get(parts[1]) if parts is not None else None
    return action.parse(data) if action is not None else None


# ------------------------------------------------------------------ the menu and lists
@dataclass(frozen=True)
class Menu(Action, code="m"):
    """Back to the main menu."""


@dataclass(frozen=True)
class Help(Action, code="h"):
    """How to use the bot."""


@dataclass(frozen=True)
class AskPrompt(Action, code="q"):
    """The "ask a question" button: a prompt to type it."""


@dataclass(frozen=True)
class ListPage(Action, code="l"):
    """A page of upcoming events, programmes or activities."""

    key: ListKey
    page: Page


@dataclass(frozen=True)
class Details(Action, code="d"):
    """An entry's details, with the way back to the list page it was tapped on."""

    entry: EntryId
    back: ListPlace


@dataclass(frozen=True)
class ReadMore(Action, code="rm"):
    """The "📖 อ่านต่อ" button under an entry's details cut short: its answer from `at` (a
    character offset), as much as fits a screen."""

    entry: EntryId
    at: Offset


# ------------------------------------------------------------------ questions
@dataclass(frozen=True)
class Suggestion(Action, code="s"):
    """One of "did you mean"'s entries (also "the next one" under a past event)."""

    entry: EntryId


@dataclass(frozen=True)
class NoneOfThese(Action, code="n"):
    """The "none of these" button: the question is marked unanswered for organisers."""

    question: RowId


@dataclass(frozen=True)
class StaffAsk(Action, code="hq"):
    """The "ส่งคำถามถึงเจ้าหน้าที่" button under a fallback: the question is left for organisers."""

    question: RowId


# ------------------------------------------------------------------ sign-ups
@dataclass(frozen=True)
class SignUp(Action, code="su"):
    """The "📝 สมัคร" button under an entry's details."""

    entry: EntryId


@dataclass(frozen=True)
class Consent(Action, code="cs"):
    """The PDPA consent: given or declined."""

    answer: YesNo


@dataclass(frozen=True)
class UseSaved(Action, code="ok"):
    """A returning resident signs up with their saved details."""

    entry: EntryId


@dataclass(frozen=True)
class EditDetails(Action, code="ed"):
    """A returning resident changes their saved details first."""

    entry: EntryId


@dataclass(frozen=True)
class ProfileName(Action, code="nm"):
    """Use the Telegram profile name as the name."""


@dataclass(frozen=True)
class People(Action, code="pp"):
    """How many people come (entries with max_people above one)."""

    count: Count


# ------------------------------------------------------------------ a resident's own data
@dataclass(frozen=True)
class MySignups(Action, code="ms"):
    """The resident's sign-ups."""


@dataclass(frozen=True)
class CancelSignup(Action, code="cx"):
    """First tap on "cancel" (from /mysignups or a reminder): asks once."""

    signup: RowId


@dataclass(frozen=True)
class CancelConfirm(Action, code="cy"):
    """The "yes, cancel" button."""

    signup: RowId


@dataclass(frozen=True)
class CancelKeep(Action, code="cn"):
    """The "keep it" button."""


@dataclass(frozen=True)
class Forget(Action, code="fg"):
    """The answer to /forgetme."""

    answer: YesNo


@dataclass(frozen=True)
class Topic(Action, code="sb"):
    """A news topic toggled, all, none, or done."""

    choice: TopicChoice


# ------------------------------------------------------------------ organisers
@dataclass(frozen=True)
class Export(Action, code="xp"):
    """Export one entry's sign-ups, or all ("*")."""

    entry: EntryOrAll


@dataclass(frozen=True)
class UnansweredPick(Action, code="ua"):
    """An unanswered question: the entries it may belong to, best guesses first."""

    question: RowId


@dataclass(frozen=True)
class UnansweredPage(Action, code="ul"):
    """An unanswered question: every entry, page by page."""

    question: RowId
    page: Page


@dataclass(frozen=True)
class UnansweredAttach(Action, code="ut"):
    """Attach the question to an entry as a new phrasing."""

    question: RowId
    entry: EntryId


@dataclass(frozen=True)
class UnansweredBack(Action, code="un"):
    """Back to the unanswered questions."""


@dataclass(frozen=True)
class InboxReply(Action, code="hr"):
    """The "ตอบ" button under a question residents left for the organisers (/inbox)."""

    question: RowId


@dataclass(frozen=True)
class InboxDiscard(Action, code="hx"):
    """Leave the reply unwritten; the question stays in /inbox."""


@dataclass(frozen=True)
class BroadcastAudience(Action, code="ba"):
    """A broadcast's audience: a topic (f, l, e), everyone subscribed, or sign-ups."""

    choice: Literal["f", "l", "e", "all", "su"]


@dataclass(frozen=True)
class BroadcastEntry(Action, code="be"):
    """A broadcast to the people signed up for an entry."""

    entry: EntryId


@dataclass(frozen=True)
class BroadcastStatus(Action, code="bs"):
    """Which of them: confirmed, waitlisted or both."""

    entry: EntryId
    status: Literal["c", "w", "b"]


@dataclass(frozen=True)
class BroadcastConfirm(Action, code="bc"):
    """Send the previewed broadcast."""


@dataclass(frozen=True)
class BroadcastDiscard(Action, code="bx"):
    """Discard the broadcast being composed."""


@dataclass(frozen=True)
class BroadcastStop(Action, code="bk"):
    """Stop a running broadcast."""

    broadcast: RowId


# ------------------------------------------------------------------ check-in at the door
@dataclass(frozen=True)
class CheckinCode(Action, code="qr"):
    """A resident's "🎫 QR code" button (/mysignups, reminders): their code as a photo."""

    signup: RowId


@dataclass(frozen=True)
class CheckinMark(Action, code="ck"):
    """Staff check a sign-up in: tapped in /checkin's list, or "check in anyway" for an
    event on another day (`anyday`)."""

    signup: RowId
    anyday: YesNo


# ------------------------------------------------------------------ events made in Telegram
@dataclass(frozen=True)
class Announce(Action, code="an"):
    """Offer the broadcast of an entry (with its sign-up button) to its topic's subscribers."""

    entry: EntryId


EventKind = Literal["event", "programme", "activity"]
# A finite choice in /newevent: the date read back is right (ok) or typed again (re), no
# date (nodate), no place (noplace), no sign-up / open without a limit / with a capacity,
# the suggested phrasings (qok), no contact (nocon) or the bot's (botcon), publish, drop,
# and the list of fields to redo from the preview.
WizardChoice = Literal[
    "ok", "re", "nodate", "noplace", "nosu", "open", "cap", "qok", "nocon", "botcon",
    "pub", "drop", "redo",
]  # fmt: skip
# What can be done again from the preview.
WizardField = Literal["kind", "title", "when", "place", "signup", "answer", "questions", "contact"]
# What an organiser may change in a published entry's panel.
EventField = Literal["when", "place", "capacity", "title", "answer", "questions"]
EventAction = Literal["close", "open", "hide", "show", "cancel"]


@dataclass(frozen=True)
class NewEventKind(Action, code="ek"):
    """/newevent: the kind of entry (event, programme, activity)."""

    kind: EventKind


@dataclass(frozen=True)
class NewEventChoice(Action, code="ew"):
    """/newevent: a finite choice at the current step."""

    choice: WizardChoice


@dataclass(frozen=True)
class NewEventPeople(Action, code="eo"):
    """/newevent: seats one sign-up may take."""

    count: Count


@dataclass(frozen=True)
class NewEventRedo(Action, code="er"):
    """/newevent's preview: ask one field again, then back to the preview."""

    field: WizardField


@dataclass(frozen=True)
class MyEvents(Action, code="el"):
    """Back to the list of entries made in Telegram."""


@dataclass(frozen=True)
class EventPanel(Action, code="ep"):
    """An entry made in Telegram: what can be done with it."""

    entry: EntryId


@dataclass(frozen=True)
class EventView(Action, code="ev"):
    """An entry made in Telegram, exactly as residents see it."""

    entry: EntryId


@dataclass(frozen=True)
class EventEdit(Action, code="ee"):
    """Change one field of an entry made in Telegram: its new value is typed next."""

    entry: EntryId
    field: EventField


@dataclass(frozen=True)
class EventWhenOk(Action, code="et"):
    """A new date read back: apply it (y) or type it again (n)."""

    answer: YesNo


@dataclass(frozen=True)
class EventAct(Action, code="ea"):
    """Close or open sign-ups, hide or show, or (after a confirmation) cancel."""

    entry: EntryId
    act: EventAction


@dataclass(frozen=True)
class EventCancelConfirm(Action, code="ec"):
    """The "yes, cancel the event" button (residents signed up are told)."""

    entry: EntryId


@dataclass(frozen=True)
class EventHistory(Action, code="eh"):
    """Who changed what in an entry made in Telegram, and when (the last ten)."""

    entry: EntryId


# ------------------------------------------------------------------ announcements (issue 16)
@dataclass(frozen=True)
class AnnounceSend(Action, code="as"):
    """Send the previewed announcement of an entry to its topic's subscribers."""

    entry: EntryId


@dataclass(frozen=True)
class AnnounceDiscard(Action, code="ax"):
    """Leave the previewed announcement unsent."""

    entry: EntryId
