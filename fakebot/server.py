"""The fake Bot API server: HTTP plumbing, the Bot API methods it implements, and the
driving API tests and the terminal chat use to play the users."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from types import TracebackType
from typing import Self, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from fakebot.entities import (
    HtmlParseError,
    explicit_entities,
    finish_entities,
    parse_html,
    utf16_len,
)
from fakebot.limits import DROPPED, Fault, FaultPlan, Faults, FloodControl, FloodLimits
from fakebot.markup import inline_part, parse_reply_markup
from fakebot.model import Chat, SentFile, SentMessage, image_size
from fakebot.wire import (
    JSON,
    ApiCall,
    ApiError,
    Params,
    Rejection,
    bad,
    dumps,
    error_response,
    read_params,
    timestamp,
)

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

# Limits documented by Telegram (https://core.telegram.org/bots/api).
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
# Bots may upload documents of up to 50 MB; aiohttp refuses bigger bodies with 413.
_MAX_REQUEST_BYTES = 50 * 1024 * 1024 + 64 * 1024

_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")

_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
# A long poll superseded by a newer getUpdates waits this long before answering
# 409: when PTB cancels a poll on shutdown its connection closes and aiohttp
# cancels the handler within this window, so only genuinely concurrent pollers
# (two bot instances) get a Conflict recorded.
_SUPERSEDED_POLL_GRACE = 0.2

_CHAT_ACTIONS = frozenset(
    (
        "typing upload_photo record_video upload_video record_voice upload_voice "
        "upload_document choose_sticker find_location record_video_note "
        "upload_video_note"
    ).split()
)
_COMMAND_SCOPES = frozenset(
    (
        "default all_private_chats all_group_chats all_chat_administrators chat "
        "chat_administrators chat_member"
    ).split()
)


Handler = Callable[[Params], Awaitable[object]]
MessageHook = Callable[[SentMessage], Awaitable[None] | None]


class LocalBotApi:
    """Fake Bot API server plus the driving API tests and the terminal chat use.

    Start it with ``await server.start()`` (or ``async with``), then point PTB
    at ``server.base_url`` / ``server.base_file_url``.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "test_bot",
        bot_first_name: str = "Test Bot",
        flood_limits: bool | FloodLimits = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        match = _TOKEN_RE.match(token)
        if match is None:
            raise ValueError(f"not a bot token: {token!r} (expected '<digits>:<secret>')")
        self.token = token
        self.bot_user: JSON = {
            "id": int(match.group(1)),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        if flood_limits is True:
            flood_limits = FloodLimits()
        self._flood = FloodControl(flood_limits) if flood_limits else None
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._closing = False

        #: Called with each SentMessage when the bot sends, edits or deletes it.
        self.on_message: MessageHook | None = None
        #: Calls refused for a reason the bot could have avoided (not 429s, not injected faults).
        self.rejected: list[Rejection] = []
        #: Every 429 given by the flood limits.
        self.rate_limited: list[Rejection] = []
        #: Failures produced by fail_next() and inject_faults(), dropped connections included
        #: (error_code DROPPED; the description says whether the call was carried out).
        self.injected_failures: list[Rejection] = []
        #: Every API call except getUpdates, in order.
        self.calls: list[ApiCall] = []
        #: answerCallbackQuery results by callback query id.
        self.callback_answers: dict[str, JSON] = {}
        #: (chat_id, action) for each sendChatAction.
        self.chat_actions: list[tuple[int, str]] = []

        self._chats: dict[int, Chat] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._delivered_update_id = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._webhook_url = ""
        self._unanswered_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._files: dict[str, SentFile] = {}
        self._faults = Faults()
        self._inflight = 0
        self._last_activity = time.monotonic()
        # Replaced on every state change; waiters hold the old one, which gets set.
        self._changed = asyncio.Event()

        self._methods: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "getChat": self._get_chat,
                "getFile": self._get_file,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind the HTTP server (an ephemeral port unless one was given)."""
        if self._runner is not None:
            raise RuntimeError("LocalBotApi is already running")
        app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a long poll whose client went away must stop
        # waiting, otherwise it could still answer (and be recorded) later.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        self._closing = False

    async def stop(self) -> None:
        """Answer pending long polls and shut the HTTP server down."""
        if self._runner is None:
            return
        self._closing = True
        self._signal()
        await self._runner.cleanup()
        self._runner = None
        self._bound_port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Pass as ``base_url`` to telegram.Bot / ApplicationBuilder."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass as ``base_file_url`` to telegram.Bot / ApplicationBuilder."""
        return f"{self._origin()}/file/bot"

    def _origin(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("LocalBotApi is not running; call start() first")
        return f"http://{self._host}:{self._bound_port}"

    # ------------------------------------------------------------------ driving API: users

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Register (or update) a user and their private chat; returns the User object."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        chat = self._chats.get(user_id)
        if chat is None:
            self._chats[user_id] = Chat(id=user_id, user=user)
        else:
            chat.user = user
        return dict(user)

    def group(self, chat_id: int, title: str = "Group", *, supergroup: bool = True) -> JSON:
        """Register (or rename) a group the bot is a member of; returns the Chat object.

        Members write with ``send_text(chat_id, text, from_user=...)`` and tap with
        ``press(..., from_user=...)``. The bot receives everything said in the group, as a
        bot with privacy mode off (or an admin) does: commands meant for other bots
        (``/help@other_bot``) reach it too, and it must leave them alone.
        """
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        kind = "supergroup" if supergroup else "group"
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Chat(id=chat_id, type=kind, title=title)
        else:
            chat.type, chat.title = kind, title
        return chat.chat_json()

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them now gets 403."""
        self._private_chat(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self._private_chat(user_id).blocked = False

    async def send_text(self, chat_id: int, text: str, *, from_user: int | None = None) -> JSON:
        """The user sends a text message; returns the Message as the bot will receive it.

        Entities are detected as Telegram does (``/start arg`` gets a
        bot_command entity).  Unknown users are registered on the fly, and a
        blocked user is unblocked, since Telegram requires unblocking to write.
        In a group, ``from_user`` is the member who writes.
        """
        chat, sender = self._writing_chat(chat_id, from_user)
        return self._user_message(chat, sender, self._typed_text(text))

    async def edit_text(self, chat_id: int, message_id: int, text: str) -> JSON:
        """The user edits a text message they sent; the bot receives an ``edited_message``
        (the Message with its new text and an ``edit_date``), which this returns."""
        chat = self._known_chat(chat_id)
        original = chat.user_messages.get(message_id)
        if original is None or "text" not in original:
            raise ValueError(f"chat {chat_id} has no text message #{message_id} from a user")
        edited = {key: value for key, value in original.items() if key not in ("text", "entities")}
        edited.update(self._typed_text(text), edit_date=timestamp())
        chat.user_messages[message_id] = edited
        self._enqueue("edited_message", edited)
        return edited

    @staticmethod
    def _typed_text(text: str) -> JSON:
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise ValueError("Telegram clients split texts longer than 4096 characters")
        # Clients trim what the user typed; Telegram then detects commands, links, mentions.
        text, entities = finish_entities(text, [])
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return content

    async def send_document(
        self,
        chat_id: int,
        data: bytes,
        filename: str,
        caption: str | None = None,
        *,
        from_user: int | None = None,
    ) -> JSON:
        """The user sends a file; the bot may send it on by its file_id, as with Telegram."""
        return self._user_media(chat_id, from_user, "document", data, filename, caption)

    async def send_photo(
        self, chat_id: int, data: bytes, caption: str | None = None, *, from_user: int | None = None
    ) -> JSON:
        """The user sends a photo (PNG, JPEG or GIF bytes)."""
        if image_size(data) is None:
            raise ValueError("not an image Telegram would accept")
        return self._user_media(chat_id, from_user, "photo", data, "photo.jpg", caption)

    def _user_media(
        self,
        chat_id: int,
        from_user: int | None,
        kind: str,
        data: bytes,
        filename: str,
        caption: str | None,
    ) -> JSON:
        chat, sender = self._writing_chat(chat_id, from_user)
        width, height = image_size(data) or (0, 0)
        unique_id = secrets.token_urlsafe(9)
        stored = SentFile(
            kind=kind,
            filename=filename,
            data=data,
            mime_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
            file_id=secrets.token_urlsafe(30),
            file_unique_id=unique_id,
            file_path=f"{kind}s/file_{unique_id}",
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        ids = {"file_id": stored.file_id, "file_unique_id": unique_id, "file_size": len(data)}
        content: JSON = (
            {"photo": [{**ids, "width": width, "height": height}]}
            if kind == "photo"
            else {"document": {**ids, "file_name": filename, "mime_type": stored.mime_type}}
        )
        if caption:
            text, entities = finish_entities(caption, [])
            content["caption"] = text
            if entities:
                content["caption_entities"] = entities
        return self._user_message(chat, sender, content)

    async def send_contact(
        self,
        chat_id: int,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        vcard: str | None = None,
        *,
        from_user: int | None = None,
    ) -> JSON:
        """The user shares a contact (e.g. via a request_contact keyboard button)."""
        chat, sender = self._writing_chat(chat_id, from_user)
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        for key, value in (("last_name", last_name), ("user_id", user_id), ("vcard", vcard)):
            if value is not None:
                contact[key] = value
        return self._user_message(chat, sender, {"contact": contact})

    async def press(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        force: bool = False,
        from_user: int | None = None,
    ) -> str:
        """The user taps an inline button; returns the callback query id.

        Raises AssertionError if the message (in its current state) has no
        button with that callback_data -- a real user could not press it.
        ``force=True`` sends it anyway, to simulate forged or stale data.
        In a group, ``from_user`` is the member who taps.
        """
        chat = self._known_chat(chat_id)
        sender = self._sender(chat, from_user)
        message = chat.messages.get(message_id)
        if not force:
            if message is None or message.deleted:
                raise AssertionError(
                    f"chat {chat_id} has no live bot message #{message_id}\n"
                    + self.describe_chat(chat_id)
                )
            if callback_data not in message.callback_data():
                raise AssertionError(
                    f"message #{message_id} has no inline button with callback_data "
                    f"{callback_data!r}; its buttons: {message.buttons}"
                )
        query_id = str(secrets.randbits(62))
        if message is not None and not message.deleted:
            message_json = chat.message_json(message, self.bot_user)
        else:
            # What Telegram sends for a message the bot can no longer access.
            message_json = {"chat": chat.chat_json(), "message_id": message_id, "date": 0}
        self._unanswered_queries.add(query_id)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": sender,
                "message": message_json,
                "chat_instance": str(chat.id * 7919 + self.bot_user["id"]),
                "data": callback_data,
            },
        )
        return query_id

    async def press_inline(
        self, user_id: int, callback_data: str, *, inline_message_id: str = "AQAAAAAAAAAA"
    ) -> str:
        """The user taps a button of a message sent in inline mode: the callback query
        carries ``inline_message_id`` and no message (nor its chat). Returns the query id.

        Inline mode is not modelled, so the data is sent as given, as with ``force=True``.
        """
        sender = self._sender(self._private_chat(user_id), None)
        query_id = str(secrets.randbits(62))
        self._unanswered_queries.add(query_id)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": sender,
                "inline_message_id": inline_message_id,
                "chat_instance": str(user_id * 7919 + self.bot_user["id"]),
                "data": callback_data,
            },
        )
        return query_id

    # ------------------------------------------------------------------ driving API: inspection

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to the chat, in order, in their current (edited) state."""
        return list(self._known_chat(chat_id).messages.values())

    def commands(self, scope: str | JSON = "default", language_code: str = "") -> list[JSON]:
        """What setMyCommands stored for a scope (a type name or a BotCommandScope dict)."""
        scope_dict = {"type": scope} if isinstance(scope, str) else scope
        return [
            dict(c) for c in self._commands.get((self._scope_key(scope_dict), language_code), [])
        ]

    def menu_button(self, chat_id: int | None = None) -> JSON | None:
        """What setChatMenuButton stored for a chat (None = the bot-wide default)."""
        return self._menu_buttons.get(chat_id)

    @property
    def rate_limited_count(self) -> int:
        return len(self.rate_limited)

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (they stay until getUpdates passes an offset)."""
        return len(self._updates)

    def describe_chat(self, chat_id: int) -> str:
        """Human-readable dump of a chat for assertion messages (* = consumed)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return f"chat {chat_id}: unknown"
        lines = [f"chat {chat_id} ({chat.label}), bot messages:"]
        lines += [
            f"  {'*' if m.message_id in chat.consumed else ' '} {m.describe()}"
            for m in chat.messages.values()
        ] or ["  (none)"]
        if self.rejected:
            lines.append("refused API calls:")
            lines += [f"  {r.method}: {r.description}" for r in self.rejected[-5:]]
        if self.calls:
            lines.append("last API calls: " + ", ".join(c.method for c in self.calls[-8:]))
        if self._count_undelivered():
            lines.append("some updates were never fetched -- is the bot polling?")
        return "\n".join(lines)

    # ------------------------------------------------------------------ driving API: waiting

    async def wait_for_message(
        self,
        chat_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- a per-call budget reads best in tests
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """Return the oldest bot message not yet returned by this method (matching predicate).

        Each chat has its own read cursor, so consecutive calls walk through
        the conversation.  Raises TimeoutError with a dump of the chat.
        """
        chat = self._known_chat(chat_id)

        def unread() -> SentMessage | None:
            for message in chat.messages.values():
                if message.message_id not in chat.consumed and (
                    predicate is None or predicate(message)
                ):
                    return message
            return None

        try:
            found = await self._wait_until(unread, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no new bot message in chat {chat_id} within {timeout}s\n"
                + self.describe_chat(chat_id)
            ) from None
        chat.consumed.add(found.message_id)
        return found

    async def wait_for_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 -- see wait_for_message
    ) -> JSON:
        """Wait until the bot answers the callback query; returns the answer."""
        try:
            return await self._wait_until(lambda: self.callback_answers.get(query_id), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {query_id} was not answered within {timeout}s "
                "(Telegram shows the user a spinner until answerCallbackQuery)"
            ) from None

    async def wait_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109 -- see wait_for_message
    ) -> None:
        """Wait until every update was fetched and the bot made no call for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            now = time.monotonic()
            idle_for = now - self._last_activity
            busy = self._inflight > 0 or self._count_undelivered() > 0
            if not busy and idle_for >= quiet:
                return
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError(
                    f"bot not idle after {timeout}s: {self._inflight} calls in flight, "
                    f"{self._count_undelivered()} updates never fetched "
                    "(is the Application polling this server?)"
                )
            wait = remaining if busy else min(remaining, quiet - idle_for)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)

    # ------------------------------------------------------------------ driving API: faults

    def fail_next(
        self,
        method: str,
        status: int = 502,
        count: int = 1,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with ``status``.

        A 429 gets ``parameters.retry_after`` (default 1) as Telegram sends it; ``DROPPED``
        closes the connection without an answer (before carrying the call out).
        """
        key = method.lower()
        if key not in self._methods:
            raise ValueError(f"LocalBotApi does not implement {method!r}")
        if status == DROPPED:
            description = "connection dropped before carrying it out"
        elif status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            try:
                description = HTTPStatus(status).phrase
            except ValueError:
                description = f"Error {status}"
        fault = Fault(status, description, retry_after)
        self._faults.queue(key, fault, count)

    def inject_faults(
        self,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        *,
        seed: int = 0,
        calls: int | None = None,
        methods: set[str] | frozenset[str] | None = None,
        drop_after: float = 0.5,
    ) -> FaultPlan:
        """Fail a share of calls from now on (see FaultPlan); no rates clear the plan."""
        if not (0 <= error_rate and 0 <= drop_rate and error_rate + drop_rate <= 1):
            raise ValueError("fault rates must be shares of calls that add up to at most 1")
        wanted = None
        if methods is not None:
            wanted = frozenset(m.lower() for m in methods)
            unknown = wanted - self._methods.keys()
            if unknown:
                raise ValueError(f"LocalBotApi does not implement {sorted(unknown)}")
        plan = FaultPlan(error_rate, drop_rate, seed, calls, wanted, drop_after)
        self._faults.set_plan(plan)
        return plan

    # ------------------------------------------------------------------ internals: plumbing

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    async def _wait_until(self, probe: Callable[[], _T | None], seconds: float) -> _T:
        async with asyncio.timeout(seconds):
            while (result := probe()) is None:
                await self._changed.wait()
            return result

    def _count_undelivered(self) -> int:
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_update_id)

    def _known_chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}; register it with server.user({chat_id})")
        return chat

    def _private_chat(self, user_id: int) -> Chat:
        chat = self._known_chat(user_id)
        if not chat.private:
            raise ValueError(f"chat {user_id} is a group, not a user's private chat")
        return chat

    def _sender(self, chat: Chat, from_user: int | None) -> JSON:
        """The User who writes or taps in ``chat``: its user in a private chat, ``from_user``
        (registered on the fly) in a group."""
        if chat.private:
            if from_user is not None and from_user != chat.id:
                raise ValueError(f"only user {chat.id} writes in their private chat")
            return dict(chat.user)
        if from_user is None:
            raise ValueError(f"say who writes in group {chat.id}: from_user=<user id>")
        if from_user not in self._chats:
            self.user(from_user)
        return dict(self._private_chat(from_user).user)

    def _writing_chat(self, chat_id: int, from_user: int | None) -> tuple[Chat, JSON]:
        if chat_id not in self._chats:
            if chat_id < 0:
                raise ValueError(f"unknown group {chat_id}; register it with server.group()")
            self.user(chat_id)
        chat = self._chats[chat_id]
        sender = self._sender(chat, from_user)
        if chat.private:
            chat.blocked = False
        return chat, sender

    def _user_message(self, chat: Chat, sender: JSON, content: JSON) -> JSON:
        message: JSON = {
            "message_id": chat.new_message_id(),
            "from": sender,
            "chat": chat.chat_json(),
            "date": timestamp(),
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        self._enqueue("message", message)
        return message

    def _enqueue(self, kind: str, payload: JSON) -> None:
        # Telegram never creates updates of types the bot excluded via allowed_updates.
        if self._allowed_updates and kind not in self._allowed_updates:
            return
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self._touch()
        self._signal()

    async def _publish(self, message: SentMessage) -> None:
        self._signal()
        if self.on_message is None:
            return
        try:
            result = self.on_message(message)
            if inspect.isawaitable(result):
                await result
        except Exception:
            # The hook is a viewer (terminal chat); its bugs must not become API errors.
            _log.exception("LocalBotApi.on_message hook failed")

    # ------------------------------------------------------------------ internals: HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        key = method.lower()
        polling = key == "getupdates"
        if not polling:
            self._inflight += 1
            self._touch()
        params = Params({})
        error: ApiError | None = None
        drop: str | None = None
        gateway_error = 0
        try:
            self._check_token(request.match_info["token"])
            handler = self._methods.get(key)
            if handler is None:
                raise ApiError(404, "Not Found")
            params = await read_params(request)
            fault = self._faults.draw(key)
            if isinstance(fault, Fault):
                raise ApiError(fault.status, fault.description, fault.retry_after, injected=True)
            drop = fault
            if drop == "error":
                drop = None
                gateway_error = self._faults.gateway_status(key)
            elif drop != "drop-before":
                result = await handler(params)
        except ApiError as refused:
            drop = None
            error = refused
            record = Rejection(method, error.code, error.description, params.for_record())
            if error.injected:
                self.injected_failures.append(record)
            elif error.code == HTTPStatus.TOO_MANY_REQUESTS:
                self.rate_limited.append(record)
            else:
                self.rejected.append(record)
                _log.warning("LocalBotApi refused %s: %s", method, error.description)
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()
                self._signal()
        if drop is not None:
            # No HTTP answer at all: the client sees the connection close, as when a
            # connection breaks on the way to Telegram or back.
            carried_out = "after" if drop == "drop-after" else "before"
            record = Rejection(
                method, DROPPED, f"connection dropped {carried_out} carrying it out",
                params.for_record(),
            )  # fmt: skip
            self.injected_failures.append(record)
            if not polling:
                self.calls.append(ApiCall(method, params.for_record(), DROPPED))
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        if gateway_error:
            # Telegram's front servers answer these with their own HTML page, not JSON.
            phrase = HTTPStatus(gateway_error).phrase
            record = Rejection(method, gateway_error, phrase, params.for_record())
            self.injected_failures.append(record)
            if not polling:
                self.calls.append(ApiCall(method, params.for_record(), gateway_error))
            page = f"<html><head><title>{gateway_error} {phrase}</title></head></html>"
            return web.Response(status=gateway_error, text=page, content_type="text/html")
        if not polling:
            code = error.code if error is not None else None
            self.calls.append(ApiCall(method, params.for_record(), code))
        if error is not None:
            return error_response(error)
        return web.json_response({"ok": True, "result": result}, dumps=dumps)

    def _check_token(self, token: str) -> None:
        # Telegram: malformed tokens are "Not Found", well-formed wrong ones "Unauthorized".
        if _TOKEN_RE.match(token) is None:
            raise ApiError(404, "Not Found")
        if token != self.token:
            raise ApiError(401, "Unauthorized")

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return error_response(error)
        path = request.match_info["path"]
        for sent in self._files.values():
            if sent.file_path == path:
                return web.Response(body=sent.data, content_type=sent.mime_type)
        return error_response(ApiError(404, "Not Found"))

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return error_response(ApiError(404, "Not Found"))

    # ------------------------------------------------------------------ internals: shared checks

    def _target_chat(self, params: Params, name: str = "chat_id") -> Chat:
        raw = params.raw(name)
        if raw is None:
            raise bad(f"{name} is empty")
        try:
            chat_id = (
                int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
            )
        except ValueError:
            chat_id = None  # e.g. "@username": bots cannot address users by username
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad("chat not found")
        return chat

    @staticmethod
    def _ensure_reachable(chat: Chat) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _charge_flood(self, chat: Chat, *, counts_globally: bool) -> None:
        if self._flood is not None:
            self._flood.charge(chat.id, counts_globally=counts_globally)

    def _formatted(
        self, params: Params, text_name: str, entities_name: str
    ) -> tuple[str, str, list[JSON]]:
        """(raw, plain text, entities) for a text or caption, parsed like Telegram."""
        raw = params.get_str(text_name) or ""
        explicit = params.get_json(entities_name)
        parse_mode = params.get_str("parse_mode")
        if explicit is not None:  # entities win over parse_mode, as in the Bot API
            text, entities = raw, explicit_entities(explicit, raw)
        elif parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    text, entities = parse_html(raw)
                except HtmlParseError as error:
                    raise bad(f"can't parse entities: {error}") from None
            elif mode in ("markdown", "markdownv2"):
                raise bad(f"LocalBotApi does not implement parse_mode {parse_mode}; use HTML")
            else:
                raise bad("unsupported parse_mode")
        else:
            text, entities = raw, []
        text, entities = finish_entities(text, entities)
        return raw, text, entities

    def _reply_target(self, chat: Chat, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        if reply is None:
            message_id = params.get_int("reply_to_message_id")
            allow_missing = params.get_bool("allow_sending_without_reply")
        elif isinstance(reply, dict) and type(reply.get("message_id")) is int:
            message_id = reply["message_id"]
            allow_missing = reply.get("allow_sending_without_reply") is True
        else:
            raise bad("can't parse reply parameters JSON object")
        if message_id is None:
            return None
        bot_message = chat.messages.get(message_id)
        exists = message_id in chat.user_messages or (
            bot_message is not None and not bot_message.deleted
        )
        if exists:
            return message_id
        if allow_missing:
            return None
        raise bad("message to be replied not found")

    async def _deliver(self, chat: Chat, message: SentMessage) -> JSON:
        chat.messages[message.message_id] = message
        await self._publish(message)
        return chat.message_json(message, self.bot_user)

    def _editable(self, params: Params) -> tuple[Chat, SentMessage]:
        if params.raw("inline_message_id") is not None:
            raise bad("MESSAGE_ID_INVALID")  # inline mode is not modelled
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        if message_id in chat.user_messages:
            raise bad("message can't be edited")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad("message to edit not found")
        return chat, message

    # ------------------------------------------------------------------ methods

    async def _get_me(self, params: Params) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[JSON]:
        if self._webhook_url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad("can't parse allowed_updates JSON object")
            self._allowed_updates = list(allowed)

        # The offset confirms everything before it; a negative one keeps only the last -offset.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

        self._poll_generation += 1
        generation = self._poll_generation
        self._signal()  # wakes an older poll so it can notice it was superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            if generation != self._poll_generation:
                await asyncio.sleep(_SUPERSEDED_POLL_GRACE)
                raise ApiError(409, _POLL_CONFLICT)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

        batch = self._updates[:limit]
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
            self._touch()
            self._signal()
        return batch

    async def _set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise bad("bad webhook: An HTTPS URL must be provided for webhook")
            try:
                port = parts.port
            except ValueError:
                port = -1
            if port not in (None, 80, 88, 443, 8443):
                raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = url
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = ""
        return True

    async def _get_webhook_info(self, params: Params) -> JSON:
        info: JSON = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_url and self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    def _scope_key(self, scope: object) -> str:
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise bad("can't parse BotCommandScope: unsupported scope type")
        kind = scope["type"]
        normalized: JSON = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            normalized["chat_id"] = self._target_chat(Params(scope)).id
        if kind == "chat_member":
            if type(scope.get("user_id")) is not int:
                raise bad("user_id is empty")
            normalized["user_id"] = scope["user_id"]
        return json.dumps(normalized, sort_keys=True)

    def _commands_key(self, params: Params) -> tuple[str, str]:
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.match(language):
            raise bad("invalid language code specified")
        return self._scope_key(params.get_json("scope")), language

    async def _set_my_commands(self, params: Params) -> bool:
        key = self._commands_key(params)
        # A missing "commands" sets an empty list, exactly like Telegram.
        raw = params.get_json("commands") or []
        if not isinstance(raw, list):
            raise bad("can't parse commands JSON object")
        if len(raw) > MAX_COMMANDS:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        commands: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad("can't parse BotCommand: BotCommand should be an Object")
            for name in ("command", "description"):
                if not isinstance(item.get(name), str):
                    raise bad(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not _COMMAND_RE.match(item["command"]):
                raise bad("BOT_COMMAND_INVALID")
            description = item["description"].strip()
            if not description:
                raise bad("command description must be non-empty")
            if len(description) > MAX_COMMAND_DESCRIPTION:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": item["command"], "description": description})
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Params) -> list[JSON]:
        return [dict(c) for c in self._commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = self._target_chat(params).id if params.raw("chat_id") is not None else None
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise bad("can't parse menu button JSON object")
        if button["type"] == "web_app":
            web_app = button.get("web_app")
            url = web_app.get("url") if isinstance(web_app, dict) else None
            if not isinstance(button.get("text"), str) or not button["text"]:
                raise bad("menu button text is empty")
            if not isinstance(url, str) or not url.startswith("https://"):
                raise bad("BUTTON_URL_INVALID")
        self._menu_buttons[chat_id] = dict(button)
        return True

    async def _send_message(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        raw, text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise bad("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad("message is too long")
        markup = parse_reply_markup(params.get_json("reply_markup"), inline_only=False)
        reply_to = self._reply_target(chat, params)
        self._ensure_reachable(chat)
        self._charge_flood(chat, counts_globally=True)
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            date=timestamp(),
            text=text,
            html=raw,
            parse_mode=params.get_str("parse_mode"),
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return await self._deliver(chat, message)

    async def _edit_message_text(self, params: Params) -> JSON:
        chat, message = self._editable(params)
        if message.document or message.photo:
            raise bad("there is no text in the message to edit")
        raw, text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise bad("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad("message is too long")
        # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
        markup = parse_reply_markup(params.get_json("reply_markup"), inline_only=True)
        current = (message.text, message.entities, inline_part(message.reply_markup))
        if (text, entities, markup) == current:
            raise bad(_NOT_MODIFIED)
        self._charge_flood(chat, counts_globally=False)
        message.text, message.html, message.entities = text, raw, entities
        message.parse_mode = params.get_str("parse_mode")
        return await self._mark_edited(chat, message, markup)

    async def _edit_message_reply_markup(self, params: Params) -> JSON:
        chat, message = self._editable(params)
        markup = parse_reply_markup(params.get_json("reply_markup"), inline_only=True)
        if markup == inline_part(message.reply_markup):
            raise bad(_NOT_MODIFIED)
        self._charge_flood(chat, counts_globally=False)
        return await self._mark_edited(chat, message, markup)

    async def _mark_edited(self, chat: Chat, message: SentMessage, markup: JSON | None) -> JSON:
        # Edits only touch inline keyboards; a reply keyboard sent with the message stays.
        if markup is not None or inline_part(message.reply_markup) is not None:
            message.reply_markup = markup
        message.edit_count += 1
        message.edit_date = timestamp()
        await self._publish(message)
        return chat.message_json(message, self.bot_user)

    async def _delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        # Bots may delete both sides' messages in a private chat.
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad("message to delete not found")
        message.deleted = True
        await self._publish(message)
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._unanswered_queries:
            raise bad(_QUERY_TOO_OLD)
        text = params.get_str("text") or ""
        if utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad("MESSAGE_TOO_LONG")
        self._unanswered_queries.discard(query_id)
        self.callback_answers[query_id] = {
            "text": text or None,
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time") or 0,
        }
        self._signal()
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        chat = self._target_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._ensure_reachable(chat)
        self.chat_actions.append((chat.id, action))
        return True

    async def _send_document(self, params: Params) -> JSON:
        return await self._send_media(params, "document")

    async def _send_photo(self, params: Params) -> JSON:
        return await self._send_media(params, "photo")

    async def _send_media(self, params: Params, kind: str) -> JSON:
        chat = self._target_chat(params)
        sent_file = self._media_file(params, kind)
        raw, caption, entities = self._formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad("message caption is too long")
        markup = parse_reply_markup(params.get_json("reply_markup"), inline_only=False)
        reply_to = self._reply_target(chat, params)
        self._ensure_reachable(chat)
        self._charge_flood(chat, counts_globally=True)
        self._files[sent_file.file_id] = sent_file
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            date=timestamp(),
            text=caption,
            html=raw,
            parse_mode=params.get_str("parse_mode"),
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            document=sent_file if kind == "document" else None,
            photo=sent_file if kind == "photo" else None,
        )
        return await self._deliver(chat, message)

    def _media_file(self, params: Params, kind: str) -> SentFile:
        value = params.get_file(kind)
        if value is None:
            raise bad(f"there is no {kind} in the request")
        if isinstance(value, str):
            # A file_id of an earlier upload; fetching URLs needs the network we don't have.
            known = self._files.get(value)
            if known is None:
                raise bad("wrong file identifier/HTTP URL specified")
            if known.kind != kind:
                raise bad("Type of file to send mismatch")
            return known
        if not value.data:
            raise bad("file must be non-empty")
        width = height = 0
        if kind == "photo":
            size = image_size(value.data)
            if size is None:
                raise bad("IMAGE_PROCESS_FAILED")
            width, height = size
        filename = value.filename or ("photo.jpg" if kind == "photo" else "file")
        mime_type = mimetypes.guess_type(filename)[0] or value.content_type
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        unique_id = secrets.token_urlsafe(9)
        return SentFile(
            kind=kind,
            filename=filename,
            data=value.data,
            mime_type=mime_type,
            file_id=secrets.token_urlsafe(30),
            file_unique_id=unique_id,
            file_path=f"{kind}s/file_{unique_id}.{suffix}",
            width=width,
            height=height,
        )

    async def _get_chat(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        return {
            **chat.chat_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_file(self, params: Params) -> JSON:
        sent = self._files.get(params.get_str("file_id") or "")
        if sent is None:
            raise bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": sent.file_id,
            "file_unique_id": sent.file_unique_id,
            "file_size": sent.size,
            "file_path": sent.file_path,
        }
