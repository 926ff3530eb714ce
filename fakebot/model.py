"""What the fake Telegram holds: chats (private ones and groups), both sides' messages in
them, and files with their bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from fakebot.markup import inline_part
from fakebot.wire import JSON


def image_size(data: bytes) -> tuple[int, int] | None:
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


@dataclass
class Chat:
    """A chat with the bot: a private chat with ``user``, or a group whose members write in
    it (``title``). Holds both sides' messages and the read cursor of wait_for_message."""

    id: int
    type: str = "private"
    user: JSON = field(default_factory=dict)  # the other side of a private chat
    title: str = ""  # a group's
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, JSON] = field(default_factory=dict)
    consumed: set[int] = field(default_factory=set)  # read cursor of wait_for_message
    blocked: bool = False

    @property
    def private(self) -> bool:
        return self.type == "private"

    @property
    def label(self) -> str:
        """The name a chat list shows: the user's first name, or the group's title."""
        return str(self.user["first_name"]) if self.private else self.title

    def chat_json(self) -> JSON:
        if not self.private:
            return {"id": self.id, "type": self.type, "title": self.title}
        data: JSON = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if key in self.user:
                data[key] = self.user[key]
        return data

    def new_message_id(self) -> int:
        # Telegram numbers both sides' messages with one counter, in a private chat as in
        # a group.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def message_json(self, message: SentMessage, bot: JSON, *, nested: bool = False) -> JSON:
        """The bot's message as Telegram returns it and puts it in updates (``bot``: its User)."""
        data: JSON = {
            "message_id": message.message_id,
            "from": dict(bot),
            "chat": self.chat_json(),
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
        inline = inline_part(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        if message.reply_to_message_id is not None and not nested:
            replied = self.messages.get(message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_json(replied, bot, nested=True)
            elif message.reply_to_message_id in self.user_messages:
                data["reply_to_message"] = self.user_messages[message.reply_to_message_id]
        return data
