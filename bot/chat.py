"""`python -m bot chat`: talk to the real bot in a terminal, with no token and no network.

The same Application runs against the in-process local Bot API server; the terminal only
plays the resident's Telegram app. Every button is shown with a number to type: the inline
buttons under a message, and the reply keyboard under the typing field, "share my phone
number" included (it sends a contact with a pretend number), so a whole sign-up can be tried.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TextIO

from bot.app import build_application, running
from bot.config import Settings
from bot.services import Services
from fakebot import LocalBotApi, SentMessage
from kb.knowledge import Knowledge

CHAT_USER_ID = 100001
QUIT = {":q", ":quit", "/quit", "/exit"}
FAKE_PHONE = "+66812345678"
EXAMPLES_NOTE = (
    "⚠️ มีกิจกรรมตัวอย่างที่แต่งขึ้น (data/examples) ชื่อขึ้นต้นด้วย [ตัวอย่าง] ไม่ใช่กำหนดการจริง"
    " `python -m bot run` ไม่แสดงให้ประชาชนเห็น (--no-examples: ไม่โหลดในแชตนี้)"
)
NO_BUTTON = "(ปุ่มนี้ไม่มีแล้ว เลือกจากปุ่มล่าสุดค่ะ)"


@dataclass(frozen=True)
class Key:
    """A button of the reply keyboard (under the typing field): pressing it sends its text,
    or, for "share my phone number", the resident's contact."""

    text: str
    contact: bool = False


class TerminalView:
    """Prints the bot's messages and keeps the buttons the resident can press, numbered: the
    latest message's inline buttons first, then the reply keyboard's while it is shown."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.inline: list[tuple[int, str]] = []  # (message_id, callback_data)
        self.keys: list[Key] = []
        self.one_time = False  # the keyboard hides once a button of it is pressed

    def choice(self, number: int) -> tuple[int, str] | Key | None:
        """What typing `number` presses, if anything."""
        if 1 <= number <= len(self.inline):
            return self.inline[number - 1]
        if 1 <= number - len(self.inline) <= len(self.keys):
            return self.keys[number - len(self.inline) - 1]
        return None

    def key(self, text: str) -> Key | None:
        """The reply keyboard's button with this text: typing it presses it, as on a phone."""
        return next((k for k in self.keys if k.text == text), None)

    def pressed(self) -> None:
        if self.one_time:
            self.keys = []

    def show(self, message: SentMessage) -> None:
        if message.deleted:
            return
        mark = "บอท (แก้ไข)>" if message.edit_count else "บอท>"
        body = message.text.replace("\n", "\n     ")
        lines = [f"{mark} {body}"]
        for entity in message.entities:
            if entity.get("type") == "text_link":
                label = _utf16_slice(message.text, entity["offset"], entity["length"])
                lines.append(f"     [ลิงก์ {label}: {entity['url']}]")
        if message.document is not None:
            lines.append(f"     [ไฟล์ {message.document.filename}, {message.document.size} ไบต์]")
        markup = message.reply_markup or {}
        renumbered = bool(markup.get("inline_keyboard"))
        if not renumbered and self.inline and self.inline[0][0] == message.message_id:
            # The message whose buttons were on offer lost them in this edit.
            self.inline, renumbered = [], True
        if markup.get("inline_keyboard"):
            self.inline = []
            for row in message.buttons:
                cells = []
                for text, data in row:
                    if data is None or data.startswith(("http://", "https://")):
                        cells.append(f"[{text}: {data}]")
                        continue
                    self.inline.append((message.message_id, data))
                    cells.append(f"[{len(self.inline)}] {text}")
                lines.append("     " + "   ".join(cells))
        if "keyboard" in markup:
            self.one_time = bool(markup.get("one_time_keyboard"))
            self.keys = [
                Key(b["text"], contact=bool(b.get("request_contact")))
                for row in markup["keyboard"]
                for b in row
            ]
        elif markup.get("remove_keyboard"):
            self.keys = []
        if self.keys and ("keyboard" in markup or renumbered):
            # Numbers follow the inline buttons', so the keyboard is shown again with them.
            numbered = [f"[{len(self.inline) + i}] {k.text}" for i, k in enumerate(self.keys, 1)]
            lines.append("     แป้นพิมพ์: " + "   ".join(numbered))
        print("\n".join(lines), file=self.out, flush=True)


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram counts entity offsets in UTF-16 code units."""
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _activity(server: LocalBotApi, user_id: int) -> tuple[int, int]:
    """How much the bot has said in the chat: messages, and edits of them."""
    messages = server.messages(user_id)
    return len(messages), sum(m.edit_count for m in messages)


async def chat(
    settings: Settings,
    knowledge: Knowledge,
    *,
    read_line: Callable[[], str] | None = None,
    out: TextIO | None = None,
    examples: bool = False,
    at: datetime | None = None,
) -> None:
    """Run the bot and play the resident in the terminal; `examples`: the knowledge base
    holds the invented example events, and the banner says so; `at`: the bot's clock starts
    then (lists, sign-ups and reminders as on that day) and runs on."""
    out = out or sys.stdout
    read_line = read_line or sys.stdin.readline
    view = TerminalView(out)
    server = LocalBotApi(
        bot_username="kk_learning_bot", bot_first_name="ขอนแก่นเมืองแห่งการเรียนรู้", flood_limits=False
    )
    server.on_message = view.show
    # Organisers try their own commands here too, so the terminal user is an admin if any is set.
    user_id = min(settings.admin_ids) if settings.admin_ids else CHAT_USER_ID
    async with server:
        server.user(user_id, first_name="ผู้ทดลอง", language_code="th")
        # No Telegram here: no flood limits to respect, and pauses would only make the
        # terminal's prompt appear before the bot's answer.
        local = replace(
            settings,
            token=server.token,
            api_base_url=server.base_url,
            webhook_url=None,
            rate_limit=1_000_000,
            pace_chats=False,
        )
        app = build_application(local, knowledge)
        if at is not None:
            offset = at - datetime.now(UTC)
            Services.of(app).clock = lambda: datetime.now(UTC) + offset
        async with running(app, poll_timeout=1):
            print(
                "แชตกับบอทในเครื่องนี้: พิมพ์ข้อความ หรือพิมพ์ตัวเลขเพื่อกดปุ่ม (:q เพื่อออก)",
                file=out,
                flush=True,
            )
            if examples:
                print(EXAMPLES_NOTE, file=out, flush=True)
            await server.send_text(user_id, "/start")
            await server.wait_for_message(user_id, timeout=30)  # the first answer is the slowest
            await server.wait_idle(quiet=0.3)
            loop = asyncio.get_running_loop()
            while True:
                print("คุณ> ", end="", file=out, flush=True)
                line = await loop.run_in_executor(None, read_line)
                if not line:  # end of input
                    print(file=out)
                    break
                text = line.strip()
                if not text:
                    continue
                if text in QUIT:
                    break
                before = _activity(server, user_id)
                pressed = view.choice(int(text)) if text.isdigit() else view.key(text)
                if isinstance(pressed, tuple):
                    try:
                        await server.press(user_id, *pressed)
                    except AssertionError:  # the bot has since taken that button away
                        print(NO_BUTTON, file=out, flush=True)
                        continue
                elif isinstance(pressed, Key):
                    view.pressed()
                    if pressed.contact:
                        # Telegram sends the resident's own number; here they type a pretend one.
                        print(f"เบอร์ที่จะแชร์ (Enter = {FAKE_PHONE})> ", end="", file=out, flush=True)
                        phone = (await loop.run_in_executor(None, read_line)).strip()
                        await server.send_contact(
                            user_id, phone or FAKE_PHONE, "ผู้ทดลอง", user_id=user_id
                        )
                    else:
                        await server.send_text(user_id, pressed.text)
                else:
                    await server.send_text(user_id, text)
                # Wait for the bot's first reaction, then for it to finish, so the prompt
                # comes after the answer even on a slow machine.
                for _ in range(200):
                    if _activity(server, user_id) != before:
                        break
                    await asyncio.sleep(0.05)
                await server.wait_idle(quiet=0.3)
