"""A local, offline stand-in for the Telegram Bot API server.

``LocalBotApi`` is a small aiohttp server bound to 127.0.0.1 that speaks the
Bot API wire format (``POST {base_url}{token}/{method}``, form/JSON/multipart
requests, ``{"ok": ..., "result"/"description": ...}`` responses), so a real
python-telegram-bot ``Application`` can run against it unchanged.  It serves
two purposes:

* end-to-end tests drive a user (``send_text``, ``press``, ...), inspect
  what the bot sent (``messages``, ``wait_for_message``, ``rejected``), and
  make Telegram fail the way it does now and then (``fail_next``,
  ``inject_faults``: 5xx answers and dropped connections, kept apart from
  refusals in ``injected_failures``);
* a terminal chat mode lets a person talk to the bot with no network
  (``on_message`` hook plus the same driving methods).

The server deliberately refuses what Telegram refuses -- malformed HTML,
over-long texts, invalid keyboards, unknown chats, blocked users, flood
limits -- with Telegram's status codes and error wording, because a fake that
accepts everything would hide exactly the bugs that break a bot in
production.  Where Telegram is lenient about HTML escaping (a bare ``&`` or an
unknown entity such as ``&nbsp;`` is kept literally) this server is stricter
on purpose: such text is almost always an escaping bug.

Only private chats are modelled.  Markdown parse modes, inline mode, groups,
payments and webhook delivery are out of scope.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import math
import mimetypes
import random
import re
import secrets
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, NamedTuple, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

__all__ = [
    "DROPPED",
    "ApiCall",
    "FaultPlan",
    "FloodLimits",
    "HtmlParseError",
    "LocalBotApi",
    "Rejection",
    "SentFile",
    "SentMessage",
    "parse_html",
]

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

JSON = dict[str, Any]

# Limits documented by Telegram (https://core.telegram.org/bots/api).
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
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
_ENTITY_TYPES = frozenset(
    (
        "mention hashtag cashtag bot_command url email phone_number bold italic "
        "underline strikethrough spoiler blockquote expandable_blockquote code pre "
        "text_link text_mention custom_emoji"
    ).split()
)


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A refusal sent back to the bot as ``{"ok": false, ...}`` with ``code`` as HTTP status."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        *,
        injected: bool = False,  # produced by fail_next(), not by the bot's request
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class Rejection(NamedTuple):
    """One refused API call: what the bot asked for and what it was told."""

    method: str
    error_code: int
    description: str
    params: JSON


class ApiCall(NamedTuple):
    """One API call the bot made (getUpdates excluded); ``error_code`` is None on success,
    ``DROPPED`` when the connection was closed without an answer (see FaultPlan)."""

    method: str
    params: JSON
    error_code: int | None


# --------------------------------------------------------------------------- text helpers


def _utf16_len(text: str) -> int:
    # Telegram measures offsets, lengths and limits in UTF-16 code units.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _normalize_link(url: str) -> str | None:
    """Return the URL the way Telegram stores it, or None if Telegram would reject it.

    Mirrors tdlib's check_link closely enough for bots: a missing scheme means
    http, http(s) links need a dotted host, and an empty path becomes "/"
    (Telegram answers ``http://telegram.org/`` for ``telegram.org``).
    """
    if not url or any(ch.isspace() for ch in url):
        return None
    lowered = url.lower()
    if lowered.startswith(("tg:", "ton:", "tonsite:")):
        return url
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host:
        return None
    if host.startswith(".") or host.endswith("."):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, parts.fragment))


# --------------------------------------------------------------------------- HTML parser


class HtmlParseError(ValueError):
    """Text is not valid Telegram HTML; the message uses Telegram's wording."""


_HTML_TAGS = frozenset(
    ("a b strong i em u ins s strike del code pre blockquote span tg-spoiler tg-emoji").split()
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Exactly the characters tdlib's is_space() accepts inside tags.
_TAG_SPACE = frozenset(" \t\r\n\v\0")
# tdlib only decodes a lowercase "x" in hex references; the semicolon is
# mandatory here (Telegram tolerates "&lt" -- we refuse it, see module doc).
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z]+));")


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    text_start: int  # index into the output chunk list, for <a> without href


class _HtmlParser:
    """A port of tdlib's parse_html (what Telegram runs for parse_mode=HTML)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[JSON] = []
        self.stack: list[_OpenTag] = []

    def parse(self) -> tuple[str, list[JSON]]:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "&":
                decoded, self.pos = self._decode_entity(self.pos)
                self._emit(decoded)
            elif char != "<":
                self._emit(char)
                self.pos += 1
            elif self._at(self.pos + 1) == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        for entity in self.entities:
            # A language is only meaningful on pre; a lone <code class="language-x"> is plain code.
            if entity["type"] == "code":
                entity.pop("language", None)
        return "".join(self.out), self.entities

    def _at(self, index: int) -> str:
        return self.src[index] if index < len(self.src) else ""

    def _byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8", "surrogatepass"))

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += _utf16_len(text)

    def _decode_entity(self, index: int) -> tuple[str, int]:
        match = _HTML_ENTITY_RE.match(self.src, index)
        if match is None:
            raise HtmlParseError(
                f'Unescaped "&" at byte offset {self._byte_offset(index)}; write "&amp;"'
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                raise HtmlParseError(
                    f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset(index)}'
                    "; only &lt; &gt; &amp; &quot; and numeric references are allowed"
                )
            return _NAMED_ENTITIES[name], match.end()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        if code == 0 or code >= 0x10FFFF:
            raise HtmlParseError(
                f"Invalid character reference at byte offset {self._byte_offset(index)}"
            )
        return chr(code), match.end()

    def _start_tag(self) -> None:
        src, begin = self.src, self.pos
        offset = self._byte_offset(begin)
        i = begin + 1
        while i < len(src) and src[i] not in _TAG_SPACE and src[i] != ">":
            i += 1
        if i >= len(src):
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        name = src[begin + 1 : i].lower()
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')

        argument = ""
        while True:
            while i < len(src) and src[i] in _TAG_SPACE:
                i += 1
            if self._at(i) == ">":
                break
            attr_begin = i
            while i < len(src) and src[i] not in _TAG_SPACE and src[i] not in "=>":
                i += 1
            attr_name = src[attr_begin:i]
            if not attr_name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            while i < len(src) and src[i] in _TAG_SPACE:
                i += 1
            if name == "blockquote" and attr_name == "expandable" and self._at(i) != "=":
                # The one boolean attribute Telegram documents: <blockquote expandable>.
                argument = "expandable"
                continue
            if self._at(i) != "=":
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {offset}'
                )
            i += 1
            while i < len(src) and src[i] in _TAG_SPACE:
                i += 1
            if i >= len(src):
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
            value, i = self._attribute_value(i)
            if i >= len(src):
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            argument = _tag_argument(name, attr_name, value, argument)

        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out)))
        self.pos = i + 1

    def _attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        if src[i] not in "'\"":
            # An unquoted name token: letters, digits, periods and hyphens, case-insensitive.
            token_begin = i
            while i < len(src) and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                i += 1
            if i < len(src) and src[i] not in _TAG_SPACE and src[i] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(token_begin)}"
                )
            return src[token_begin:i].lower(), i
        quote = src[i]
        i += 1
        chunks: list[str] = []
        while i < len(src) and src[i] != quote:
            if src[i] == "&":
                decoded, i = self._decode_entity(i)
                chunks.append(decoded)
            else:
                chunks.append(src[i])
                i += 1
        if i < len(src):
            i += 1  # the closing quote
        return "".join(chunks), i

    def _end_tag(self) -> None:
        src, begin = self.src, self.pos
        offset = self._byte_offset(begin)
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
        i = begin + 2
        while i < len(src) and src[i] not in _TAG_SPACE and src[i] != ">":
            i += 1
        end_name = src[begin + 2 : i]
        while i < len(src) and src[i] in _TAG_SPACE:
            i += 1
        if self._at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
        tag = self.stack.pop()
        # Like tdlib: "</>" closes whatever is open, and the comparison is case-sensitive.
        if end_name and end_name != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.pos = i + 1
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_start, self.utf16 - tag.utf16_start
        if length <= 0:
            return  # Telegram silently drops empty entities.
        last = self.entities[-1] if self.entities else None
        same_range = last is not None and last["offset"] == offset and last["length"] == length
        if tag.name in _SIMPLE_TAG_TYPES:
            self._add(_SIMPLE_TAG_TYPES[tag.name], offset, length)
        elif tag.name == "a":
            link = _normalize_link(tag.argument or "".join(self.out[tag.text_start :]))
            if link is not None:  # Telegram drops links it considers invalid, without error.
                self._add("text_link", offset, length, url=link)
        elif tag.name == "pre":
            if last is not None and same_range and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"  # <code class="language-x"><pre>...</pre></code>
            else:
                self._add("pre", offset, length)
        elif tag.name == "code":
            if last is not None and same_range and last["type"] == "pre" and tag.argument:
                last["language"] = tag.argument  # <pre><code class="language-x">...</code></pre>
            else:
                self._add("code", offset, length, language=tag.argument)
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            self._add("custom_emoji", offset, length, custom_emoji_id=tag.argument)
        else:  # blockquote
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self._add(kind, offset, length)

    def _add(self, kind: str, offset: int, length: int, **extra: str) -> None:
        entity: JSON = {"type": kind, "offset": offset, "length": length}
        entity.update({key: value for key, value in extra.items() if value})
        self.entities.append(entity)


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """Pick the attribute a tag cares about; tdlib ignores all other attributes."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "expandable"
    return current


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Convert Telegram-HTML to ``(plain_text, entities)`` or raise HtmlParseError.

    Offsets and lengths are UTF-16 code units, as in the Bot API.  The result
    is not yet trimmed or sorted; the server does that like Telegram does.
    """
    return _HtmlParser(source).parse()


# --------------------------------------------------------------------------- entity post-processing

# Ordering for entities covering the same range: containers first, as Telegram sorts them.
_ENTITY_PRIORITY = {"blockquote": 0, "expandable_blockquote": 0, "pre": 1, "code": 2}
# Auto-detected entities may not overlap these (tdlib drops such detections).
_OPAQUE_ENTITIES = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "mention", "bot_command"}
)
_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")
_URL_RE = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING_PUNCTUATION = ".,;:!?'\")]}"


def _detected_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Entities Telegram finds on its own (a subset: commands, mentions, explicit URLs)."""
    for match in _BOT_COMMAND_RE.finditer(text):
        yield "bot_command", match.start(), match.end()
    for match in _MENTION_RE.finditer(text):
        yield "mention", match.start(), match.end()
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TRAILING_PUNCTUATION:
            end -= 1
        yield "url", match.start(), end


def _finish_entities(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim, clip, sort and auto-detect entities the way Telegram returns a message."""
    trimmed = text.strip(" \t\r\n")
    shift = _utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n"))])
    total = _utf16_len(trimmed)
    clipped: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    clipped.sort(key=lambda e: (e["offset"], -e["length"], _ENTITY_PRIORITY.get(e["type"], 9)))

    # "pre and code entities can't contain other entities": Telegram drops the inner ones.
    kept: list[JSON] = []
    code_spans: list[tuple[int, int]] = []
    for entity in clipped:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if any(s <= start and end <= e for s, e in code_spans):
            continue
        if entity["type"] in ("code", "pre"):
            code_spans.append((start, end))
        kept.append(entity)

    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in kept if e["type"] in _OPAQUE_ENTITIES
    ]
    for kind, begin, end in _detected_spans(trimmed):
        start = _utf16_len(trimmed[:begin])
        stop = start + _utf16_len(trimmed[begin:end])
        if any(start < e and s < stop for s, e in taken):
            continue
        taken.append((start, stop))
        kept.append({"type": kind, "offset": start, "length": stop - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"], _ENTITY_PRIORITY.get(e["type"], 9)))
    return trimmed, kept


def _explicit_entities(raw: object, text: str) -> list[JSON]:
    """Validate an ``entities``/``caption_entities`` array sent instead of a parse_mode."""
    if not isinstance(raw, list):
        raise _bad("can't parse entities JSON object")
    total = _utf16_len(text)
    result: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("can't parse MessageEntity: MessageEntity should be an Object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_TYPES:
            raise _bad(f"can't parse MessageEntity: unsupported entity type {kind!r}")
        if type(offset) is not int or type(length) is not int or offset < 0 or length < 0:
            raise _bad("can't parse MessageEntity: offset and length must be non-negative Integers")
        entity: JSON = {"type": kind, "offset": offset, "length": min(length, total - offset)}
        if kind == "text_link":
            url = item.get("url")
            link = _normalize_link(url) if isinstance(url, str) else None
            if link is None:
                raise _bad(f"entity URL '{url}' is invalid: Wrong HTTP URL")
            entity["url"] = link
        for key in ("language", "custom_emoji_id", "user"):
            if key in item:
                entity[key] = item[key]
        if entity["length"] > 0:
            result.append(entity)
    return result


# --------------------------------------------------------------------------- keyboards

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_KEYBOARD_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_REPLY_KEYBOARD_FLAGS = ("is_persistent", "resize_keyboard", "one_time_keyboard", "selective")


def _parse_reply_markup(raw: object, *, inline_only: bool) -> JSON | None:
    """Validate and normalize reply_markup; normalized form makes edits comparable."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = _rows(raw["inline_keyboard"], "inline_keyboard", "InlineKeyboardMarkup")
        buttons = [[_inline_button(button) for button in row] for row in rows if row]
        # An empty inline keyboard is no keyboard: Telegram returns no reply_markup.
        return {"inline_keyboard": buttons} if buttons else None
    if inline_only:
        raise _bad("inline keyboard expected")
    if "keyboard" in raw:
        rows = _rows(raw["keyboard"], "keyboard", "ReplyKeyboardMarkup")
        markup: JSON = {"keyboard": [[_keyboard_button(button) for button in row] for row in rows]}
        for flag in _REPLY_KEYBOARD_FLAGS:
            if flag in raw:
                markup[flag] = _strict_bool(raw[flag], flag)
        if "input_field_placeholder" in raw:
            markup["input_field_placeholder"] = _placeholder(raw["input_field_placeholder"])
        return markup
    if "remove_keyboard" in raw:
        if raw["remove_keyboard"] is not True:
            raise _bad('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
        return {
            "remove_keyboard": True,
            "selective": _strict_bool(raw.get("selective", False), "selective"),
        }
    if "force_reply" in raw:
        if raw["force_reply"] is not True:
            raise _bad('field "force_reply" of the ForceReply must be true')
        markup = {
            "force_reply": True,
            "selective": _strict_bool(raw.get("selective", False), "selective"),
        }
        if "input_field_placeholder" in raw:
            markup["input_field_placeholder"] = _placeholder(raw["input_field_placeholder"])
        return markup
    raise _bad("can't parse reply keyboard markup JSON object")


def _inline_part(markup: JSON | None) -> JSON | None:
    """The part of a stored reply_markup that is attached to the message itself."""
    return markup if markup is not None and "inline_keyboard" in markup else None


def _rows(raw: object, field_name: str, owner: str) -> list[list[object]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise _bad(f'Field "{field_name}" of the {owner} should be an Array of Arrays')
    return raw


def _strict_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(f'Field "{name}" must be of type Boolean')
    return value


def _placeholder(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise _bad("input field placeholder must be 1-64 characters long")
    return value


def _inline_button(raw: object) -> JSON:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(raw, dict):
        raise _bad(prefix + "InlineKeyboardButton should be an Object")
    if "text" not in raw:
        raise _bad(prefix + 'Can\'t find field "text"')
    text = raw["text"]
    if not isinstance(text, str):
        raise _bad(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise _bad("BUTTON_TEXT_INVALID")
    # Telegram treats empty strings (and false) as absent fields: a button with
    # callback_data="" is a "text button" and refused as such.
    actions = [name for name in _INLINE_ACTIONS if raw.get(name) not in (None, "", False)]
    if not actions:
        raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad("BUTTON_TYPE_INVALID")
    action = actions[0]
    value = raw[action]
    if action == "callback_data":
        if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
    elif action == "url":
        link = _normalize_link(value) if isinstance(value, str) else None
        if link is None:
            raise _bad("BUTTON_URL_INVALID")
        value = link
    return {"text": text, action: value}


def _keyboard_button(raw: object) -> JSON:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise _bad("can't parse keyboard button: KeyboardButton should be a String or an Object")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad('can\'t parse keyboard button: Field "text" must be a non-empty String')
    requests = [name for name in _KEYBOARD_REQUESTS if raw.get(name) not in (None, False)]
    if len(requests) > 1:
        raise _bad("BUTTON_TYPE_INVALID")
    button: JSON = {"text": text}
    if requests:
        button[requests[0]] = raw[requests[0]]
    return button


# --------------------------------------------------------------------------- images


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG; None when Telegram could not process it."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments up to the first start-of-frame, which holds the size.
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length field
            index += 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + int(segment_length)
    return None


# --------------------------------------------------------------------------- public records


@dataclass
class SentFile:
    """A document or photo the bot uploaded, with its bytes for inspection."""

    kind: str  # "document" or "photo"
    filename: str
    data: bytes
    mime_type: str
    file_id: str
    file_unique_id: str
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date by later edits and deletion.

    ``text`` is what the user sees (the caption for media), ``html`` the raw
    string the bot sent before parsing.
    """

    message_id: int
    chat_id: int
    date: int
    text: str
    html: str
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    reply_to_message_id: int | None = None
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def caption(self) -> str | None:
        return self.text if self.document or self.photo else None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of (text, callback_data or url); reply-keyboard buttons carry None."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [
                [(b["text"], b.get("callback_data", b.get("url"))) for b in row]
                for row in markup["inline_keyboard"]
            ]
        return [[(b["text"], None) for b in row] for row in markup.get("keyboard", [])]

    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    def callback_data(self) -> list[str]:
        """All callback_data values of the current inline keyboard."""
        markup = self.reply_markup or {}
        return [
            b["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]

    def find_button(self, substring: str) -> str:
        """callback_data of the one inline button whose text contains ``substring``."""
        matches = [
            b
            for row in (self.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if substring in b["text"]
        ]
        if len(matches) != 1:
            raise AssertionError(
                f"expected exactly one inline button containing {substring!r} in message "
                f"#{self.message_id}, found {len(matches)}; buttons: {self.button_texts()}"
            )
        if "callback_data" not in matches[0]:
            raise AssertionError(f"button {matches[0]['text']!r} has no callback_data")
        return str(matches[0]["callback_data"])

    def describe(self) -> str:
        """One line for failure dumps and logs."""
        flags = "".join(
            (
                f" [edited x{self.edit_count}]" if self.edit_count else "",
                " [deleted]" if self.deleted else "",
                f" [document {self.document.filename!r}]" if self.document else "",
                " [photo]" if self.photo else "",
                f" buttons={self.button_texts()}" if self.buttons else "",
            )
        )
        text = self.text if len(self.text) <= 120 else self.text[:117] + "..."
        return f"#{self.message_id} {text!r}{flags}"


@dataclass(frozen=True)
class FloodLimits:
    """Token buckets approximating Telegram's flood control.

    Telegram documents ~30 messages/second overall and ~1 message/second per
    private chat while tolerating short bursts; ``*_burst`` is the bucket
    capacity and ``*_per_second`` its refill rate.
    """

    global_burst: float = 30
    global_per_second: float = 30.0
    chat_burst: float = 5
    chat_per_second: float = 1.0


class _TokenBucket:
    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.updated = time.monotonic()

    def wait_time(self, now: float) -> float:
        """Refill, then return how long until one token is available (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


# --------------------------------------------------------------------------- request parameters


@dataclass(frozen=True)
class _Upload:
    filename: str
    data: bytes
    content_type: str


class _Params:
    """Request parameters with Bot API coercions (form strings, JSON-in-strings, files)."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def raw(self, name: str) -> object:
        value = self._values.get(name)
        return None if value == "" else value

    def get_str(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        raise _bad(f"{name} must be a String")

    def get_int(self, name: str) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise _bad(f"{name} must be an Integer")

    def get_bool(self, name: str) -> bool:
        value = self.raw(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        raise _bad(f"{name} must be a Boolean")

    def get_json(self, name: str) -> object:
        """Complex values arrive JSON-encoded in form requests and decoded in JSON requests."""
        value = self.raw(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None

    def get_file(self, name: str) -> _Upload | str | None:
        value = self.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.raw(value[len("attach://") :])
        if value is None or isinstance(value, (_Upload, str)):
            return value
        raise _bad(f"wrong type of the {name} parameter")

    def for_record(self) -> JSON:
        """JSON-friendly copy for Rejection/ApiCall records (file bytes summarized)."""
        return {
            key: f"<file {value.filename!r}, {len(value.data)} bytes>"
            if isinstance(value, _Upload)
            else value
            for key, value in self._values.items()
        }


async def _read_params(request: web.Request) -> _Params:
    values: dict[str, object] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad("JSON object expected")
            values.update(body)
        else:
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content_type = value.content_type or "application/octet-stream"
                    values[key] = _Upload(value.filename, value.file.read(), content_type)
                elif isinstance(value, bytes):
                    values[key] = value.decode("utf-8")
                else:
                    values[key] = value
    return _Params(values)


# --------------------------------------------------------------------------- server state


@dataclass
class _Chat:
    """A private chat: its user, the shared message-id counter and both sides' messages."""

    user: JSON
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, JSON] = field(default_factory=dict)
    consumed: set[int] = field(default_factory=set)  # read cursor of wait_for_message
    blocked: bool = False

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def chat_json(self) -> JSON:
        data: JSON = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if key in self.user:
                data[key] = self.user[key]
        return data

    def new_message_id(self) -> int:
        # In a private chat Telegram numbers both sides' messages with one counter.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None


#: The error code recorded for a call whose connection was dropped without an HTTP answer.
DROPPED = 0


@dataclass(frozen=True)
class FaultPlan:
    """Random transient failures, as Telegram's front servers produce them now and then.

    Each call (getUpdates included) independently gets, with probability ``error_rate``, a
    5xx answer (502, 503 or 504) without being carried out, or with ``drop_rate`` a closed
    connection and no HTTP answer at all -- after carrying it out with probability
    ``drop_after``, else before, which the bot cannot tell apart. ``calls`` limits the plan
    to the next that many calls (a bot's start-up), ``methods`` to some methods. Seeded, one
    sequence per method: the same calls of a method always meet the same faults.
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    calls: int | None = None
    methods: frozenset[str] | None = None
    drop_after: float = 0.5
    statuses: tuple[int, ...] = (502, 503, 504)


Handler = Callable[[_Params], Awaitable[object]]
MessageHook = Callable[[SentMessage], Awaitable[None] | None]


def _now() -> int:
    return int(time.time())


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error_response(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code, dumps=_dumps)


# --------------------------------------------------------------------------- the server


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
        self._flood: FloodLimits | None = flood_limits or None
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

        self._chats: dict[int, _Chat] = {}
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
        self._faults: dict[str, deque[_Fault]] = {}
        self._plan: FaultPlan | None = None
        self._plan_rngs: dict[str, random.Random] = {}
        self._plan_left: int | None = None
        self._global_bucket = (
            _TokenBucket(self._flood.global_burst, self._flood.global_per_second)
            if self._flood
            else None
        )
        self._chat_buckets: dict[int, _TokenBucket] = {}
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
            self._chats[user_id] = _Chat(user=user)
        else:
            chat.user = user
        return dict(user)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them now gets 403."""
        self._known_chat(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self._known_chat(user_id).blocked = False

    async def send_text(self, chat_id: int, text: str) -> JSON:
        """The user sends a text message; returns the Message as the bot will receive it.

        Entities are detected as Telegram does (``/start arg`` gets a
        bot_command entity).  Unknown users are registered on the fly, and a
        blocked user is unblocked, since Telegram requires unblocking to write.
        """
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise ValueError("Telegram clients split texts longer than 4096 characters")
        chat = self._writing_chat(chat_id)
        # Clients trim what the user typed; Telegram then detects commands, links, mentions.
        text, entities = _finish_entities(text, [])
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._user_message(chat, content)

    async def send_document(
        self, chat_id: int, data: bytes, filename: str, caption: str | None = None
    ) -> JSON:
        """The user sends a file; the bot may send it on by its file_id, as with Telegram."""
        return self._user_media(chat_id, "document", data, filename, caption)

    async def send_photo(self, chat_id: int, data: bytes, caption: str | None = None) -> JSON:
        """The user sends a photo (PNG, JPEG or GIF bytes)."""
        if _image_size(data) is None:
            raise ValueError("not an image Telegram would accept")
        return self._user_media(chat_id, "photo", data, "photo.jpg", caption)

    def _user_media(
        self, chat_id: int, kind: str, data: bytes, filename: str, caption: str | None
    ) -> JSON:
        chat = self._writing_chat(chat_id)
        width, height = _image_size(data) or (0, 0)
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
            text, entities = _finish_entities(caption, [])
            content["caption"] = text
            if entities:
                content["caption_entities"] = entities
        return self._user_message(chat, content)

    async def send_contact(
        self,
        chat_id: int,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        vcard: str | None = None,
    ) -> JSON:
        """The user shares a contact (e.g. via a request_contact keyboard button)."""
        chat = self._writing_chat(chat_id)
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        for key, value in (("last_name", last_name), ("user_id", user_id), ("vcard", vcard)):
            if value is not None:
                contact[key] = value
        return self._user_message(chat, {"contact": contact})

    async def press(
        self, chat_id: int, message_id: int, callback_data: str, *, force: bool = False
    ) -> str:
        """The user taps an inline button; returns the callback query id.

        Raises AssertionError if the message (in its current state) has no
        button with that callback_data -- a real user could not press it.
        ``force=True`` sends it anyway, to simulate forged or stale data.
        """
        chat = self._known_chat(chat_id)
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
            message_json = self._message_json(chat, message)
        else:
            # What Telegram sends for a message the bot can no longer access.
            message_json = {"chat": chat.chat_json(), "message_id": message_id, "date": 0}
        self._unanswered_queries.add(query_id)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": dict(chat.user),
                "message": message_json,
                "chat_instance": str(chat.id * 7919 + self.bot_user["id"]),
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
        lines = [f"chat {chat_id} ({chat.user['first_name']}), bot messages:"]
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
        fault = _Fault(status, description, retry_after)
        self._faults.setdefault(key, deque()).extend([fault] * count)

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
        self._plan = plan if error_rate or drop_rate else None
        self._plan_rngs = {}
        self._plan_left = calls
        return plan

    def _plan_rng(self, key: str) -> random.Random:
        # One sequence per method: which getUpdates meets a fault depends on timing, and
        # must not change which sendMessage does.
        rng = self._plan_rngs.get(key)
        if rng is None:
            seed = self._plan.seed if self._plan else 0
            rng = self._plan_rngs[key] = random.Random(f"{seed}:{key}")
        return rng

    def _draw_fault(self, key: str) -> str | None:
        """What happens to this call by the fault plan: "error", "drop-before",
        "drop-after", or None (carried out normally)."""
        plan = self._plan
        if plan is None or (plan.methods is not None and key not in plan.methods):
            return None
        if self._plan_left is not None:
            if self._plan_left <= 0:
                self._plan = None
                return None
            self._plan_left -= 1
        rng = self._plan_rng(key)
        draw = rng.random()
        if draw < plan.error_rate:
            return "error"
        if draw < plan.error_rate + plan.drop_rate:
            return "drop-after" if rng.random() < plan.drop_after else "drop-before"
        return None

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

    def _known_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}; register it with server.user({chat_id})")
        return chat

    def _writing_chat(self, chat_id: int) -> _Chat:
        if chat_id not in self._chats:
            self.user(chat_id)
        chat = self._chats[chat_id]
        chat.blocked = False
        return chat

    def _user_message(self, chat: _Chat, content: JSON) -> JSON:
        message: JSON = {
            "message_id": chat.new_message_id(),
            "from": dict(chat.user),
            "chat": chat.chat_json(),
            "date": _now(),
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
        params = _Params({})
        error: ApiError | None = None
        drop: str | None = None
        gateway_error = 0
        try:
            self._check_token(request.match_info["token"])
            handler = self._methods.get(key)
            if handler is None:
                raise ApiError(404, "Not Found")
            params = await _read_params(request)
            faults = self._faults.get(key)
            if faults and faults[0].status == DROPPED:
                faults.popleft()
                drop = "drop-before"
            elif faults:
                fault = faults.popleft()
                raise ApiError(fault.status, fault.description, fault.retry_after, injected=True)
            else:
                drop = self._draw_fault(key)
            if drop == "error":
                drop = None
                statuses = self._plan.statuses if self._plan else (502,)
                gateway_error = self._plan_rng(key).choice(statuses)
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
            return _error_response(error)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

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
            return _error_response(error)
        path = request.match_info["path"]
        for sent in self._files.values():
            if sent.file_path == path:
                return web.Response(body=sent.data, content_type=sent.mime_type)
        return _error_response(ApiError(404, "Not Found"))

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _error_response(ApiError(404, "Not Found"))

    # ------------------------------------------------------------------ internals: shared checks

    def _target_chat(self, params: _Params, name: str = "chat_id") -> _Chat:
        raw = params.raw(name)
        if raw is None:
            raise _bad(f"{name} is empty")
        try:
            chat_id = (
                int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
            )
        except ValueError:
            chat_id = None  # e.g. "@username": bots cannot address users by username
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    @staticmethod
    def _ensure_reachable(chat: _Chat) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _charge_flood(self, chat: _Chat, *, counts_globally: bool) -> None:
        """Take a token from the chat (and global) bucket or refuse with 429."""
        limits = self._flood
        if limits is None or self._global_bucket is None:
            return
        bucket = self._chat_buckets.get(chat.id)
        if bucket is None:
            bucket = _TokenBucket(limits.chat_burst, limits.chat_per_second)
            self._chat_buckets[chat.id] = bucket
        buckets = [bucket, self._global_bucket] if counts_globally else [bucket]
        now = time.monotonic()
        wait = max(b.wait_time(now) for b in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        for b in buckets:
            b.tokens -= 1

    def _formatted(
        self, params: _Params, text_name: str, entities_name: str
    ) -> tuple[str, str, list[JSON]]:
        """(raw, plain text, entities) for a text or caption, parsed like Telegram."""
        raw = params.get_str(text_name) or ""
        explicit = params.get_json(entities_name)
        parse_mode = params.get_str("parse_mode")
        if explicit is not None:  # entities win over parse_mode, as in the Bot API
            text, entities = raw, _explicit_entities(explicit, raw)
        elif parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    text, entities = parse_html(raw)
                except HtmlParseError as error:
                    raise _bad(f"can't parse entities: {error}") from None
            elif mode in ("markdown", "markdownv2"):
                raise _bad(f"LocalBotApi does not implement parse_mode {parse_mode}; use HTML")
            else:
                raise _bad("unsupported parse_mode")
        else:
            text, entities = raw, []
        text, entities = _finish_entities(text, entities)
        return raw, text, entities

    def _reply_target(self, chat: _Chat, params: _Params) -> int | None:
        reply = params.get_json("reply_parameters")
        if reply is None:
            message_id = params.get_int("reply_to_message_id")
            allow_missing = params.get_bool("allow_sending_without_reply")
        elif isinstance(reply, dict) and type(reply.get("message_id")) is int:
            message_id = reply["message_id"]
            allow_missing = reply.get("allow_sending_without_reply") is True
        else:
            raise _bad("can't parse reply parameters JSON object")
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
        raise _bad("message to be replied not found")

    def _message_json(self, chat: _Chat, message: SentMessage, *, nested: bool = False) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": chat.chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        media = message.document or message.photo
        if media is None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        else:
            if message.document is not None:
                data["document"] = {
                    "file_id": media.file_id,
                    "file_unique_id": media.file_unique_id,
                    "file_name": media.filename,
                    "mime_type": media.mime_type,
                    "file_size": media.size,
                }
            else:
                data["photo"] = [
                    {
                        "file_id": media.file_id,
                        "file_unique_id": media.file_unique_id,
                        "width": media.width,
                        "height": media.height,
                        "file_size": media.size,
                    }
                ]
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        # Messages only ever carry inline keyboards; reply keyboards are not echoed.
        inline = _inline_part(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        if message.reply_to_message_id is not None and not nested:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self._message_json(chat, replied, nested=True)
            elif message.reply_to_message_id in chat.user_messages:
                data["reply_to_message"] = chat.user_messages[message.reply_to_message_id]
        return data

    async def _deliver(self, chat: _Chat, message: SentMessage) -> JSON:
        chat.messages[message.message_id] = message
        await self._publish(message)
        return self._message_json(chat, message)

    def _editable(self, params: _Params) -> tuple[_Chat, SentMessage]:
        if params.raw("inline_message_id") is not None:
            raise _bad("MESSAGE_ID_INVALID")  # inline mode is not modelled
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        if message_id in chat.user_messages:
            raise _bad("message can't be edited")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        return chat, message

    # ------------------------------------------------------------------ methods

    async def _get_me(self, params: _Params) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[JSON]:
        if self._webhook_url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise _bad("can't parse allowed_updates JSON object")
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

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            try:
                port = parts.port
            except ValueError:
                port = -1
            if port not in (None, 80, 88, 443, 8443):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = url
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = ""
        return True

    async def _get_webhook_info(self, params: _Params) -> JSON:
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
            raise _bad("can't parse BotCommandScope: unsupported scope type")
        kind = scope["type"]
        normalized: JSON = {"type": kind}
        if kind in ("chat", "chat_administrators", "chat_member"):
            normalized["chat_id"] = self._target_chat(_Params(scope)).id
        if kind == "chat_member":
            if type(scope.get("user_id")) is not int:
                raise _bad("user_id is empty")
            normalized["user_id"] = scope["user_id"]
        return json.dumps(normalized, sort_keys=True)

    def _commands_key(self, params: _Params) -> tuple[str, str]:
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.match(language):
            raise _bad("invalid language code specified")
        return self._scope_key(params.get_json("scope")), language

    async def _set_my_commands(self, params: _Params) -> bool:
        key = self._commands_key(params)
        # A missing "commands" sets an empty list, exactly like Telegram.
        raw = params.get_json("commands") or []
        if not isinstance(raw, list):
            raise _bad("can't parse commands JSON object")
        if len(raw) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        commands: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand: BotCommand should be an Object")
            for name in ("command", "description"):
                if not isinstance(item.get(name), str):
                    raise _bad(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not _COMMAND_RE.match(item["command"]):
                raise _bad("BOT_COMMAND_INVALID")
            description = item["description"].strip()
            if not description:
                raise _bad("command description must be non-empty")
            if len(description) > MAX_COMMAND_DESCRIPTION:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": item["command"], "description": description})
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSON]:
        return [dict(c) for c in self._commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: _Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        chat_id = self._target_chat(params).id if params.raw("chat_id") is not None else None
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise _bad("can't parse menu button JSON object")
        if button["type"] == "web_app":
            web_app = button.get("web_app")
            url = web_app.get("url") if isinstance(web_app, dict) else None
            if not isinstance(button.get("text"), str) or not button["text"]:
                raise _bad("menu button text is empty")
            if not isinstance(url, str) or not url.startswith("https://"):
                raise _bad("BUTTON_URL_INVALID")
        self._menu_buttons[chat_id] = dict(button)
        return True

    async def _send_message(self, params: _Params) -> JSON:
        chat = self._target_chat(params)
        raw, text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise _bad("message text is empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        markup = _parse_reply_markup(params.get_json("reply_markup"), inline_only=False)
        reply_to = self._reply_target(chat, params)
        self._ensure_reachable(chat)
        self._charge_flood(chat, counts_globally=True)
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            date=_now(),
            text=text,
            html=raw,
            parse_mode=params.get_str("parse_mode"),
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return await self._deliver(chat, message)

    async def _edit_message_text(self, params: _Params) -> JSON:
        chat, message = self._editable(params)
        if message.document or message.photo:
            raise _bad("there is no text in the message to edit")
        raw, text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise _bad("message text is empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
        markup = _parse_reply_markup(params.get_json("reply_markup"), inline_only=True)
        current = (message.text, message.entities, _inline_part(message.reply_markup))
        if (text, entities, markup) == current:
            raise _bad(_NOT_MODIFIED)
        self._charge_flood(chat, counts_globally=False)
        message.text, message.html, message.entities = text, raw, entities
        message.parse_mode = params.get_str("parse_mode")
        return await self._mark_edited(chat, message, markup)

    async def _edit_message_reply_markup(self, params: _Params) -> JSON:
        chat, message = self._editable(params)
        markup = _parse_reply_markup(params.get_json("reply_markup"), inline_only=True)
        if markup == _inline_part(message.reply_markup):
            raise _bad(_NOT_MODIFIED)
        self._charge_flood(chat, counts_globally=False)
        return await self._mark_edited(chat, message, markup)

    async def _mark_edited(self, chat: _Chat, message: SentMessage, markup: JSON | None) -> JSON:
        # Edits only touch inline keyboards; a reply keyboard sent with the message stays.
        if markup is not None or _inline_part(message.reply_markup) is not None:
            message.reply_markup = markup
        message.edit_count += 1
        message.edit_date = _now()
        await self._publish(message)
        return self._message_json(chat, message)

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        # Bots may delete both sides' messages in a private chat.
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        await self._publish(message)
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._unanswered_queries:
            raise _bad(_QUERY_TOO_OLD)
        text = params.get_str("text") or ""
        if _utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        self._unanswered_queries.discard(query_id)
        self.callback_answers[query_id] = {
            "text": text or None,
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time") or 0,
        }
        self._signal()
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        chat = self._target_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._ensure_reachable(chat)
        self.chat_actions.append((chat.id, action))
        return True

    async def _send_document(self, params: _Params) -> JSON:
        return await self._send_media(params, "document")

    async def _send_photo(self, params: _Params) -> JSON:
        return await self._send_media(params, "photo")

    async def _send_media(self, params: _Params, kind: str) -> JSON:
        chat = self._target_chat(params)
        sent_file = self._media_file(params, kind)
        raw, caption, entities = self._formatted(params, "caption", "caption_entities")
        if _utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        markup = _parse_reply_markup(params.get_json("reply_markup"), inline_only=False)
        reply_to = self._reply_target(chat, params)
        self._ensure_reachable(chat)
        self._charge_flood(chat, counts_globally=True)
        self._files[sent_file.file_id] = sent_file
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            date=_now(),
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

    def _media_file(self, params: _Params, kind: str) -> SentFile:
        value = params.get_file(kind)
        if value is None:
            raise _bad(f"there is no {kind} in the request")
        if isinstance(value, str):
            # A file_id of an earlier upload; fetching URLs needs the network we don't have.
            known = self._files.get(value)
            if known is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            if known.kind != kind:
                raise _bad("Type of file to send mismatch")
            return known
        if not value.data:
            raise _bad("file must be non-empty")
        width = height = 0
        if kind == "photo":
            size = _image_size(value.data)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
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

    async def _get_chat(self, params: _Params) -> JSON:
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

    async def _get_file(self, params: _Params) -> JSON:
        sent = self._files.get(params.get_str("file_id") or "")
        if sent is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": sent.file_id,
            "file_unique_id": sent.file_unique_id,
            "file_size": sent.size,
            "file_path": sent.file_path,
        }
