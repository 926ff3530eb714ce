"""`python -m bot chat`: talk to the real bot in a terminal, with no token and no network.

The same Application runs against the in-process local Bot API server; the terminal only
plays the resident's Telegram app. Buttons are shown as numbers to type.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from bot.app import build_application, running
from bot.config import Settings
from fakebot import LocalBotApi, SentMessage
from kb.knowledge import Knowledge

CHAT_USER_ID = 100001
QUIT = {":q", ":quit", "/quit", "/exit"}


class TerminalView:
    """Prints the bot's messages and remembers the latest buttons as numbered choices."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.choices: list[tuple[int, str]] = []  # (message_id, callback_data)

    def show(self, message: SentMessage) -> None:
        if message.deleted:
            return
        mark = "บอท (แก้ไข)>" if message.edit_count else "บอท>"
        body = message.text.replace("\n", "\n     ")
        lines = [f"{mark} {body}"]
        if message.document is not None:
            lines.append(f"     [ไฟล์ {message.document.filename}, {message.document.size} ไบต์]")
        inline = (message.reply_markup or {}).get("inline_keyboard")
        if inline:
            self.choices = []
            for row in message.buttons:
                cells = []
                for text, data in row:
                    if data is None or data.startswith(("http://", "https://")):
                        cells.append(f"[{text}: {data}]")
                        continue
                    self.choices.append((message.message_id, data))
                    cells.append(f"[{len(self.choices)}] {text}")
                lines.append("     " + "   ".join(cells))
        print("\n".join(lines), file=self.out, flush=True)


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
) -> None:
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
        async with running(app, poll_timeout=1):
            print(
                "แชตกับบอทในเครื่องนี้: พิมพ์ข้อความ หรือพิมพ์ตัวเลขเพื่อกดปุ่ม (:q เพื่อออก)",
                file=out,
                flush=True,
            )
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
                if text.isdigit() and 1 <= int(text) <= len(view.choices):
                    message_id, data = view.choices[int(text) - 1]
                    await server.press(user_id, message_id, data)
                else:
                    await server.send_text(user_id, text)
                # Wait for the bot's first reaction, then for it to finish, so the prompt
                # comes after the answer even on a slow machine.
                for _ in range(200):
                    if _activity(server, user_id) != before:
                        break
                    await asyncio.sleep(0.05)
                await server.wait_idle(quiet=0.3)
