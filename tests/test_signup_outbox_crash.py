"""The bot is killed (SIGKILL) while the answers to a burst of sign-ups wait for Telegram's pace,
and restarted: everyone whose seat or waiting place was in the database before the kill is
told after the restart, through the outbox, and nobody is told twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.signups import Outbox, Signups
from bot.store import Store
from fakebot import LocalBotApi, SentMessage
from tests.conftest import SIGNUP_KB, db_rows, eventually, spawn_bot

RESIDENTS = list(range(40001, 40121))  # 120 residents, 80 seats
CONFIRMED, WAITLISTED, ALREADY = "✅ สมัครเรียบร้อยแล้ว", "🕒 รายชื่อสำรอง", "ℹ️ คุณสมัครแล้ว"
OUTCOMES = (CONFIRMED, WAITLISTED, ALREADY)


def live_signups(db_path: Path) -> dict[int, str]:
    return dict(
        db_rows(
            db_path,
            "SELECT user_id, status FROM signups"
            " WHERE entry_id = 'forum' AND status != 'cancelled'",
        )
    )


def outbox_size(db_path: Path) -> int:
    return int(db_rows(db_path, "SELECT COUNT(*) FROM outbox")[0][0])


def told(server: LocalBotApi, user: int) -> list[SentMessage]:
    """The resident's messages that tell them where they stand (one edited in place counts
    once, however often it was edited)."""
    return [m for m in server.messages(user) if m.text.startswith(OUTCOMES)]


async def test_confirmations_in_the_database_are_told_after_a_sigkill(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    (tmp_path / "kb.yaml").write_text(SIGNUP_KB, encoding="utf-8")
    store = await Store.open(db_path)
    try:
        repo = Signups(store)
        for user in RESIDENTS:  # returning residents: details saved, two taps to sign up
            await repo.sign_up(user, f"คน {user}", "+66812345678", "old", "เก่า", None)
        for notice in await Outbox(store).notices():  # they were told about that one long ago
            await Outbox(store).notice_sent(notice.id)
    finally:
        await store.close()

    async with LocalBotApi(token="778:OUTBOX-CRASH") as server:
        for user in RESIDENTS:
            server.user(user)
        env = {"BOT_KB_PATH": str(tmp_path / "kb.yaml")}
        bot = await spawn_bot(server, tmp_path, **env)
        try:
            for user in RESIDENTS:
                await server.send_text(user, "/start signup_forum")
            offers: list[SentMessage] = list(
                await asyncio.gather(*(server.wait_for_message(u, timeout=90) for u in RESIDENTS))
            )
            for user, offer in zip(RESIDENTS, offers, strict=True):
                await server.press(user, offer.message_id, offer.find_button("ยืนยันสมัคร"))
            # Kill it once some answers are out: the rest wait for Telegram's pace, with their
            # seats already taken in the database.
            await eventually(
                lambda: sum(o.text.startswith(OUTCOMES) for o in offers) >= 20, 60, "answers"
            )
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            told_before = {u for u in RESIDENTS if told(server, u)}
            in_db = live_signups(db_path)
            untold = set(in_db) - told_before
            assert untold, "the kill did not land between the database and Telegram"
            assert outbox_size(db_path) >= len(untold)
            print(
                f"at the kill: {len(in_db)} in the database, {len(told_before)} told,"
                f" {len(untold)} untold, {outbox_size(db_path)} in the outbox"
            )

            bot = await spawn_bot(server, tmp_path, **env)  # same database
            await eventually(
                lambda: all(told(server, u) for u in in_db), 90, "everyone in the database told"
            )
            await eventually(lambda: outbox_size(db_path) == 0, 30, "the outbox to empty")
            await server.wait_idle(quiet=1.5, timeout=60)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 30)
        # Allowed refusals: taps answered before the kill cannot be answered again, and an
        # answer Telegram accepted just before the kill, sent again, changes nothing.
        allowed = ("query is too old", "message is not modified")
        assert [r for r in server.rejected if not any(a in r.description for a in allowed)] == []

    final = live_signups(db_path)
    for user in RESIDENTS:
        messages = told(server, user)
        if user in in_db:
            assert len(messages) == 1, server.describe_chat(user)  # told, and only once
            text = messages[0].text
            if final[user] == "confirmed":
                assert text.startswith(CONFIRMED) or "ได้ที่นั่งแล้ว" in text, text
            else:
                assert text.startswith(WAITLISTED) or "รายชื่อสำรอง" in text, text
        else:
            assert len(messages) <= 1
