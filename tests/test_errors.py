"""The error handler: the resident is told plainly, and the organisers get a short report
(the exception's type and where, nothing the resident sent), at most one a minute."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot import texts
from bot.services import Services
from fakebot import SentMessage
from tests.conftest import ADMIN_ID, BotEnv

REPORT = "บอทขัดข้อง"


async def reports(env: BotEnv, count: int) -> list[SentMessage]:
    """The organiser's reports, once `count` of them arrived (or after a quiet moment)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        await env.server.wait_idle(quiet=0.3)
        found = [m for m in env.server.messages(ADMIN_ID) if REPORT in m.text]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found


async def test_failures_are_reported_to_organisers_without_personal_data(env: BotEnv) -> None:
    user = 731001
    env.server.user(user)
    services = Services.of(env.app)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    services.clock = lambda: now
    [help_message] = await env.send(user, "/help")

    # Telegram refuses the answer to a question that holds a name and a phone number.
    question = "สมชาย ใจดี 0812345678 เสวนาพัฒนาเมืองครั้งหน้า"
    env.server.fail_next("sendMessage", 400, description="Bad Request: สมชาย 0812345678")
    await env.send(user, question, until=texts.ERROR)
    [report] = await reports(env, 1)
    assert "BadRequest" in report.text and "message (text)" in report.text
    for private in ("สมชาย", "0812345678", "731001"):
        assert private not in report.text

    # Within the minute: the resident is told, the organisers are not told again.
    env.server.fail_next("sendMessage", 400)
    await env.send(user, "/help", until=texts.ERROR)
    assert len(await reports(env, 2)) == 1

    # A minute later the next failure is reported, with the one left out counted.
    now += timedelta(seconds=61)
    env.server.fail_next("editMessageText", 400)
    await env.press(user, help_message, "a:m", until=texts.ERROR)
    _, second = await reports(env, 2)
    assert "button Menu" in second.text and "อีก 1 ครั้ง" in second.text
    assert all(texts.ERROR not in m.text for m in env.server.messages(ADMIN_ID))
