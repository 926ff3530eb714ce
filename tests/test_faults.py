"""Transient Bot API failures: 5xx answers and dropped connections, at start-up and under
load, against the local Bot API's fault injection. Nothing here may reach a resident as
"ระบบขัดข้อง", and no call may be one Telegram would refuse."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import telegram
from telegram.error import NetworkError

from bot import texts
from bot.app import build_application, running
from bot.config import Settings
from bot.request import RetryingRequest
from bot.signups import Signups
from bot.store import Store
from fakebot import DROPPED, LocalBotApi, SentMessage
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, SIGNUP_KB, BotEnv, spawn_bot

USER = 1001


def fast_request(**kwargs: Any) -> RetryingRequest:
    """The bot's request class with short pauses, so these tests take no longer than needed."""
    return RetryingRequest(base_delay=0.01, max_delay=0.05, **kwargs)


@asynccontextmanager
async def plain_bot(server: LocalBotApi, **kwargs: Any) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        server.token, base_url=server.base_url, request=fast_request(**kwargs)
    ) as bot:
        yield bot


def failures(server: LocalBotApi, method: str) -> list[int]:
    return [r.error_code for r in server.injected_failures if r.method == method]


async def test_5xx_is_retried_for_every_method() -> None:
    async with LocalBotApi() as server, plain_bot(server) as bot:
        server.user(USER)
        for status in (502, 503, 504):
            server.fail_next("sendMessage", status=status)
        await bot.send_message(USER, "สวัสดี")
        assert [m.text for m in server.messages(USER)] == ["สวัสดี"]
        assert failures(server, "sendMessage") == [502, 503, 504]


async def test_a_dropped_connection_is_retried_where_repeating_is_harmless() -> None:
    async with LocalBotApi() as server, plain_bot(server) as bot:
        server.user(USER)
        sent = await bot.send_message(USER, "ก่อนแก้")
        server.fail_next("editMessageText", status=DROPPED, count=3)
        await bot.edit_message_text("หลังแก้", chat_id=USER, message_id=sent.message_id)
        assert server.messages(USER)[0].text == "หลังแก้"
        # A message posts a new copy each time it is carried out: two more tries only.
        server.fail_next("sendMessage", status=DROPPED, count=2)
        await bot.send_message(USER, "ครั้งเดียว")
        server.fail_next("sendMessage", status=DROPPED, count=3)
        with pytest.raises(NetworkError, match="RemoteProtocolError"):
            await bot.send_message(USER, "ไม่ถึง")
        assert [m.text for m in server.messages(USER)] == ["หลังแก้", "ครั้งเดียว"]
        assert server.rejected == []


async def test_a_retry_after_a_try_that_took_effect_reports_success() -> None:
    async with LocalBotApi() as server, plain_bot(server) as bot:
        server.user(USER)
        sent = await bot.send_message(USER, "ก่อนแก้")
        # Carried out, then the connection breaks: the retry is told "not modified".
        server.inject_faults(drop_rate=1.0, calls=1, drop_after=1.0)
        assert await bot.edit_message_text("หลังแก้", chat_id=USER, message_id=sent.message_id)
        assert [r.description for r in server.injected_failures] == [
            "connection dropped after carrying it out"
        ]
        assert server.messages(USER)[0].text == "หลังแก้"
        assert [c.error_code for c in server.calls[-2:]] == [DROPPED, 400]


async def test_gives_up_within_its_attempts() -> None:
    async with LocalBotApi() as server, plain_bot(server, attempts=3) as bot:
        server.fail_next("getMe", status=502, count=5)
        started = time.monotonic()
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.get_me()
        assert failures(server, "getMe") == [502, 502, 502]
        assert time.monotonic() - started < 2
        assert (await bot.get_me()).username == "test_bot"  # the other two, then success


async def test_a_server_not_listening_yet_is_retried_and_the_token_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probe = LocalBotApi()
    await probe.start()
    port = int(probe.base_url.split(":")[-1].split("/")[0])
    base_url = probe.base_url
    await probe.stop()  # nothing listens on the port now: connections are refused
    caplog.set_level("INFO")
    server = LocalBotApi(port=port)
    request = RetryingRequest(base_delay=0.2, max_delay=0.4, attempts=8)

    async def start_later() -> None:
        await asyncio.sleep(0.5)
        await server.start()

    starting = asyncio.create_task(start_later())
    try:
        # Bot.initialize asks getMe, as the bot's start-up does.
        async with telegram.Bot(server.token, base_url=base_url, request=request) as bot:
            assert bot.username == "test_bot"
    finally:
        await starting
        await server.stop()
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.request")
    assert "getMe: ConnectError; try 2 of 8" in ours
    assert server.token.split(":")[1] not in ours  # httpx's own log is silenced by `run`


async def test_backoff_doubles_with_jitter_and_a_ceiling() -> None:
    request = RetryingRequest(base_delay=0.5, max_delay=8.0)
    for retry, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delays = [request.backoff(retry) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # not all at the same moment


# --------------------------------------------------------------------------- the whole bot


@asynccontextmanager
async def faulty_bot(
    tmp_path: Path,
    knowledge: Knowledge,
    arrange: Callable[[LocalBotApi], None],
    heartbeat: float = 60.0,
) -> AsyncIterator[BotEnv]:
    """The real application on the local Bot API, as `start_bot` runs it, with faults
    arranged before it starts (so start-up meets them too)."""
    async with LocalBotApi(bot_username="kk_learning_bot") as server:
        server.user(ADMIN_ID, first_name="เจ้าหน้าที่")
        arrange(server)
        settings = Settings(
            token=server.token,
            api_base_url=server.base_url,
            db_path=tmp_path / "bot.sqlite3",
            admin_ids=frozenset({ADMIN_ID}),
        )
        app = build_application(settings, knowledge)
        async with running(app, poll_timeout=1, heartbeat=heartbeat):
            yield BotEnv(server, app, settings)
        assert server.rejected == [], f"Telegram would have refused: {server.rejected}"


async def wait_for_text(
    server: LocalBotApi, user: int, text: str, seen: set[int], seconds: float = 60
) -> SentMessage:
    """The first bot message in the chat, not in `seen`, whose text contains `text` (sent
    or edited into it); it is added to `seen`."""
    deadline = time.monotonic() + seconds
    while True:
        for message in server.messages(user):
            if message.message_id not in seen and text in message.text:
                seen.add(message.message_id)
                return message
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r}\n{server.describe_chat(user)}")
        await asyncio.sleep(0.05)


def error_messages(server: LocalBotApi, users: list[int]) -> list[tuple[int, str]]:
    return [(u, m.text) for u in users for m in server.messages(u) if texts.ERROR in m.text]


async def test_start_up_survives_a_failure_on_each_of_its_calls(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    def arrange(server: LocalBotApi) -> None:
        server.fail_next("getMe", status=502)
        server.fail_next("setMyCommands", status=DROPPED)
        server.fail_next("deleteWebhook", status=DROPPED)
        server.fail_next("deleteWebhook", status=503)
        server.fail_next("getUpdates", status=DROPPED)

    async with faulty_bot(tmp_path, signup_kb, arrange) as env:
        menu = await env.say(USER, "/start")
        assert menu.buttons
        assert sorted((r.method, r.error_code) for r in env.server.injected_failures) == [
            ("deleteWebhook", DROPPED),
            ("deleteWebhook", 503),
            ("getMe", 502),
            ("getUpdates", DROPPED),
            ("setMyCommands", DROPPED),
        ]
        assert env.server.commands()  # the command menu was set after all


async def test_starts_and_answers_with_30_percent_of_calls_failing(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    def arrange(server: LocalBotApi) -> None:
        server.inject_faults(error_rate=0.2, drop_rate=0.1, seed=7)

    async with faulty_bot(tmp_path, signup_kb, arrange) as env:
        seen: set[int] = set()
        asked = {
            "เสวนาพัฒนาเมืองครั้งหน้า": "เสวนาพัฒนาเมือง",
            "วันครอบครัวเรียนรู้": "วันครอบครัวเรียนรู้",
            "อบรมปลูกผักรอบเล็ก": "อบรมปลูกผัก รอบเล็ก",
        }
        for question, title in [*asked.items(), *asked.items()]:
            await env.server.send_text(USER, question)
            await wait_for_text(env.server, USER, title, seen)
        failed = {r.method for r in env.server.injected_failures}
        assert {"getMe", "sendMessage", "getUpdates"} <= failed, failed
        assert len(env.server.injected_failures) >= 8
        assert error_messages(env.server, [USER]) == []


async def resident_signs_up(env: BotEnv, user: int) -> SentMessage:
    """A first-time resident: deep link, consent, name, phone; returns the outcome."""
    server, seen = env.server, set[int]()
    server.user(user, first_name="สมศรี")
    await server.send_text(user, "/start signup_forum")
    consent = await wait_for_text(server, user, "พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล", seen)
    await server.press(user, consent.message_id, consent.find_button("✅ ยินยอม"))
    await wait_for_text(server, user, "ชื่อ-นามสกุล", seen)
    await server.send_text(user, "สมศรี ใจดี")
    await wait_for_text(server, user, "เบอร์โทร", seen)
    await server.send_text(user, "081-234-5678")
    return await wait_for_text(server, user, "สมัครเรียบร้อยแล้ว", seen, seconds=90)


async def test_30_residents_sign_up_at_once_through_502s_and_dropped_connections(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    residents = list(range(7001, 7031))

    def arrange(server: LocalBotApi) -> None:
        server.inject_faults(error_rate=0.05, drop_rate=0.02, seed=17)

    async with faulty_bot(tmp_path, signup_kb, arrange) as env:
        outcomes = await asyncio.gather(*(resident_signs_up(env, u) for u in residents))
        assert all("เสวนาพัฒนาเมือง" in o.text for o in outcomes)
        assert error_messages(env.server, residents) == []
        faults = [r for r in env.server.injected_failures if r.method != "getUpdates"]
        assert len(faults) >= 10, "the faults did not happen: the test proves nothing"
        store = await Store.open(env.settings.db_path)
        try:
            rows = await Signups(store).for_entry("forum")
        finally:
            await store.close()
        assert sorted((s.user_id, s.status.value) for s in rows) == [
            (u, "confirmed") for u in residents
        ]


async def test_run_as_a_process_stays_up_through_start_up_failures(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_text(SIGNUP_KB, encoding="utf-8")
    async with LocalBotApi(token="778:FAULT-TEST") as server:
        server.user(USER)
        server.fail_next("getMe", status=502)
        server.fail_next("setMyCommands", status=DROPPED)
        server.fail_next("deleteWebhook", status=DROPPED)
        server.inject_faults(error_rate=0.2, drop_rate=0.1, seed=5, calls=30)
        bot = await spawn_bot(
            server, tmp_path, BOT_KB_PATH=str(tmp_path / "kb.yaml"), BOT_SEMANTIC="0"
        )
        try:
            await server.send_text(USER, "/start")
            menu = await server.wait_for_message(USER, timeout=60)
            assert menu.buttons and bot.returncode is None
            failed = {(r.method, r.error_code) for r in server.injected_failures}
            assert {
                ("getMe", 502),
                ("setMyCommands", DROPPED),
                ("deleteWebhook", DROPPED),
            } <= failed
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(bot.wait(), 30) == 0  # stopped cleanly, not crashed
        assert server.rejected == []


async def test_a_tap_is_handled_even_when_its_acknowledgement_never_gets_through(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with faulty_bot(tmp_path, signup_kb, lambda server: None) as env:
        menu = await env.say(USER, "/start")
        env.server.fail_next("answerCallbackQuery", status=502, count=5)  # every try fails
        before = menu.edit_count
        query_id = await env.server.press(USER, menu.message_id, menu.find_button(texts.BTN_EVENTS))
        await wait_for_text(env.server, USER, "เสวนาพัฒนาเมือง", set())
        assert menu.edit_count > before or len(env.server.messages(USER)) > 1
        assert query_id not in env.server.callback_answers  # the spinner stopped on its own
        assert error_messages(env.server, [USER]) == []


async def test_the_heartbeat_stops_while_telegram_does_not_answer(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    beat = tmp_path / "heartbeat"  # beside the database, where the HEALTHCHECK looks

    async def touched_after(stamp: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if beat.exists() and beat.stat().st_mtime_ns > stamp:
                return True
            await asyncio.sleep(0.05)
        return False

    async with faulty_bot(tmp_path, signup_kb, lambda server: None, heartbeat=0.1) as env:
        assert await touched_after(0, 5)
        env.server.inject_faults(error_rate=1.0, methods={"getMe"})
        await asyncio.sleep(0.5)  # a beat already under way ends
        stamp = beat.stat().st_mtime_ns
        assert not await touched_after(stamp, 1.5)
        env.server.inject_faults()  # Telegram answers again
        assert await touched_after(stamp, 15)
