"""Message text as Telegram stores it: the HTML parse mode (a port of tdlib's parser),
explicit entity arrays, the entities Telegram detects on its own (commands, mentions, links),
trimming, and lengths and offsets in UTF-16 code units.

Where Telegram is lenient about HTML escaping (a bare ``&`` or an unknown entity such as
``&nbsp;`` is kept literally) this parser is stricter on purpose: such text is almost
always an escaping bug.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from fakebot.wire import JSON, bad

_ENTITY_TYPES = frozenset(
    (
        "mention hashtag cashtag bot_command url email phone_number bold italic "
        "underline strikethrough spoiler blockquote expandable_blockquote code pre "
        "text_link text_mention custom_emoji"
    ).split()
)


def utf16_len(text: str) -> int:
    # Telegram measures offsets, lengths and limits in UTF-16 code units.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def normalize_link(url: str) -> str | None:
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
        self.utf16 += utf16_len(text)

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
            link = normalize_link(tag.argument or "".join(self.out[tag.text_start :]))
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


def finish_entities(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim, clip, sort and auto-detect entities the way Telegram returns a message."""
    trimmed = text.strip(" \t\r\n")
    shift = utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n"))])
    total = utf16_len(trimmed)
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
        start = utf16_len(trimmed[:begin])
        stop = start + utf16_len(trimmed[begin:end])
        if any(start < e and s < stop for s, e in taken):
            continue
        taken.append((start, stop))
        kept.append({"type": kind, "offset": start, "length": stop - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"], _ENTITY_PRIORITY.get(e["type"], 9)))
    return trimmed, kept


def explicit_entities(raw: object, text: str) -> list[JSON]:
    """Validate an ``entities``/``caption_entities`` array sent instead of a parse_mode."""
    if not isinstance(raw, list):
        raise bad("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad("can't parse MessageEntity: MessageEntity should be an Object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_TYPES:
            raise bad(f"can't parse MessageEntity: unsupported entity type {kind!r}")
        if type(offset) is not int or type(length) is not int or offset < 0 or length < 0:
            raise bad("can't parse MessageEntity: offset and length must be non-negative Integers")
        entity: JSON = {"type": kind, "offset": offset, "length": min(length, total - offset)}
        if kind == "text_link":
            url = item.get("url")
            link = normalize_link(url) if isinstance(url, str) else None
            if link is None:
                raise bad(f"entity URL '{url}' is invalid: Wrong HTTP URL")
            entity["url"] = link
        for key in ("language", "custom_emoji_id", "user"):
            if key in item:
                entity[key] = item[key]
        if entity["length"] > 0:
            result.append(entity)
    return result
