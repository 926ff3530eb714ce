from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.app import build_application, running
from bot.config import Settings
from fakebot import LocalBotApi, SentMessage
from kb.knowledge import Knowledge
from kb.thai import ThaiText, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
BANGKOK = ZoneInfo("Asia/Bangkok")
ADMIN_ID = 900001
# The shipped knowledge base and the invented example events beside it (data/examples):
# what `python -m bot chat` and `eval` load, so the labelled set's ex-… questions and the
# upcoming-event screens have something to find; `run` serves data/kb alone.
SHIPPED = (ROOT / "data" / "kb", ROOT / "data" / "examples")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The shipped knowledge base with the example events (as `chat` and `eval` load them)
    and the matcher as the bot answers from them (with the sentence model where it can
    run), built once for the whole run."""
    kb = Knowledge.load(SHIPPED, ROOT / "data" / "lexicon.yaml", BANGKOK)
    return kb.prepare(latin=False)


@pytest.fixture(scope="session")
def lexical_knowledge() -> Knowledge:
    """The shipped knowledge base with the lexical matcher alone: what the bot answers with
    where the sentence model cannot run, or on a knowledge base too large for it."""
    kb = Knowledge.load(SHIPPED, ROOT / "data" / "lexicon.yaml", BANGKOK)
    return kb.prepare(latin=False, semantic=False)


# A small knowledge base with every kind of sign-up case, dated far ahead so it stays upcoming.
SIGNUP_KB = """\
entries:
  - id: ws-small
    kind: activity
    title: อบรมปลูกผัก รอบเล็ก
    questions: [อบรมปลูกผักรอบเล็ก]
    answer: อบรมปลูกผักปลอดสารพิษ
    starts: 2030-12-14T09:00:00+07:00
    ends: 2030-12-14T12:00:00+07:00
    location: ตลาดจอมพล
    signup: true
    capacity: 1
  - id: forum
    kind: event
    title: เสวนาพัฒนาเมือง
    questions: [เสวนาพัฒนาเมืองครั้งหน้า]
    answer: เสวนาเรื่องเมืองแห่งโอกาส
    starts: 2030-12-20T13:00:00+07:00
    ends: 2030-12-20T16:30:00+07:00
    location: โรงแรมโฆษะ
    signup: true
    capacity: 80
  - id: family-day
    kind: activity
    title: วันครอบครัวเรียนรู้
    questions: [วันครอบครัวเรียนรู้]
    answer: พาลูกหลานมาเรียนรู้ด้วยกัน
    starts: 2030-12-21T09:00:00+07:00
    signup: true
    capacity: 10
    max_people: 4
  - id: past-forum
    kind: event
    title: เสวนาครั้งที่แล้ว
    questions: [เสวนาครั้งที่แล้ว]
    answer: จัดไปแล้ว
    starts: 2020-01-11T13:00:00+07:00
    signup: true
  - id: closed-talk
    kind: event
    title: งานเฉพาะผู้ได้รับเชิญ
    questions: [งานเฉพาะผู้ได้รับเชิญ]
    answer: เฉพาะผู้ได้รับเชิญ
    starts: 2030-12-22T13:00:00+07:00
"""


@pytest.fixture(scope="session")
def signup_kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    path = tmp_path_factory.mktemp("kb") / "kb.yaml"
    path.write_text(SIGNUP_KB, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


@pytest.fixture
async def env(tmp_path: Path, signup_kb: Knowledge) -> AsyncIterator[BotEnv]:
    """The bot with the sign-up knowledge base, as `bot_env` is with the shipped one."""
    async with start_bot(tmp_path, signup_kb) as e:
        yield e


@pytest.fixture(scope="session")
def thai() -> ThaiText:
    return ThaiText(load_lexicon(ROOT / "data" / "lexicon.yaml"), ["ตลาดจอมพล", "ผักปลอดสารพิษ"])


@asynccontextmanager
async def start_bot(
    tmp_path: Path, knowledge: Knowledge, **overrides: Any
) -> AsyncIterator[BotEnv]:
    """The real application, started the way `python -m bot run` starts it, polling a local
    fake Bot API server (flood limits on) and writing to a real SQLite file."""
    async with LocalBotApi(bot_username="kk_learning_bot") as server:
        server.user(ADMIN_ID, first_name="เจ้าหน้าที่")  # organisers have opened the bot
        settings = Settings(
            token=server.token,
            api_base_url=server.base_url,
            db_path=tmp_path / "bot.sqlite3",
            admin_ids=frozenset({ADMIN_ID}),
        )
        settings = replace(settings, **overrides)
        for staff in settings.checkin_ids:  # door staff have opened the bot too
            server.user(staff, first_name="เจ้าหน้าที่หน้างาน")
        app = build_application(settings, knowledge)
        async with running(app, poll_timeout=1):
            yield BotEnv(server, app, settings)
        # A resident who blocked the bot is Telegram's answer, not our mistake.
        refused = [r for r in server.rejected if "blocked by the user" not in r.description]
        assert refused == [], f"Telegram would have refused: {refused}"


@pytest.fixture
async def bot_env(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[BotEnv]:
    async with start_bot(tmp_path, knowledge) as env:
        yield env


async def eventually(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Wait until `condition()` holds (polled); fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def db_rows(db_path: Path, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows read straight from the SQLite file, as a second reader beside a bot process that
    may be writing it (or was killed while it did)."""
    db = sqlite3.connect(db_path)
    try:
        return list(db.execute(sql, args).fetchall())
    finally:
        db.close()


async def spawn_bot(server: LocalBotApi, tmp: Path, **env: str) -> asyncio.subprocess.Process:
    """`python -m bot run` in its own process, as an operator starts it, on the fake server."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=ROOT,
        env={
            **os.environ,
            "BOT_TOKEN": server.token,
            "BOT_API_BASE_URL": server.base_url,
            "BOT_DB_PATH": str(tmp / "bot.sqlite3"),
            **env,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


@dataclass
class BotEnv:
    server: LocalBotApi
    app: Application[Any, Any, Any, Any, Any, Any]
    settings: Settings

    async def say(self, user_id: int, text: str) -> SentMessage:
        """Send as the resident and return the bot's next new message."""
        await self.server.send_text(user_id, text)
        return await self.server.wait_for_message(user_id)

    async def tap(self, user_id: int, message: SentMessage, data: str) -> SentMessage:
        """Press a button; return the same message after the bot edited it."""
        before = message.edit_count
        await self.press(user_id, message, data)
        assert message.edit_count > before or message.deleted, "the bot did not update the message"
        return message

    async def press(
        self,
        user_id: int,
        message: SentMessage,
        data: str,
        until: str | None = None,
        force: bool = False,
    ) -> list[SentMessage]:
        """Press a button; return the messages the bot sent in answer (edits stay in place).

        `force` presses data the message does not offer (a forged or outdated button)."""
        before = len(self.server.messages(user_id))
        query_id = await self.server.press(user_id, message.message_id, data, force=force)
        await self.server.wait_for_callback_answer(query_id)
        return await self._settle(user_id, before, until, message)

    async def send(self, user_id: int, text: str, until: str | None = None) -> list[SentMessage]:
        """Send text as the resident; return every message the bot sent in answer.

        `until`: text the last answer contains. The bot may hold a message back to respect
        Telegram's per-chat limit, so a quiet moment alone does not prove it is done."""
        before = len(self.server.messages(user_id))
        await self.server.send_text(user_id, text)
        return await self._settle(user_id, before, until)

    async def share_contact(
        self, user_id: int, phone: str, until: str | None = None
    ) -> list[SentMessage]:
        before = len(self.server.messages(user_id))
        await self.server.send_contact(user_id, phone_number=phone, first_name="x", user_id=user_id)
        return await self._settle(user_id, before, until)

    async def _settle(
        self, user_id: int, before: int, until: str | None, edited: SentMessage | None = None
    ) -> list[SentMessage]:
        deadline = asyncio.get_running_loop().time() + 15
        edits = edited.edit_count if edited is not None else 0
        while True:
            await self.server.wait_idle(quiet=0.2)
            new = self.server.messages(user_id)[before:]
            seen = [m.text for m in new] + ([edited.text] if edited is not None else [])
            answered = bool(new) or (edited is not None and edited.edit_count > edits)
            if (until is None and answered) or (until and any(until in t for t in seen)):
                return new
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no answer containing {until!r}; got {seen}")
            await asyncio.sleep(0.1)
