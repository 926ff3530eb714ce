"""The bot process is killed (SIGKILL) in the middle of a burst of sign-ups and restarted:
everyone told "confirmed" is in the database, nothing is half-written, nobody is in twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.signups import Outbox, Signups
from bot.store import Store
from fakebot import LocalBotApi, SentMessage
from tests.conftest import SIGNUP_KB, db_rows, eventually, spawn_bot

RESIDENTS = list(range(30001, 30121))  # 120 residents, 80 seats
OUTCOMES = ("✅ สมัครเรียบร้อยแล้ว", "🕒 รายชื่อสำรอง", "ℹ️ คุณสมัครแล้ว")


async def test_sigkill_mid_burst_loses_nothing(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_text(SIGNUP_KB, encoding="utf-8")
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for user in RESIDENTS:  # returning residents: details saved, two taps to sign up
            await Signups(store).sign_up(user, f"คนที่ {user}", "+66812345678", "old", "เก่า", None)
        for notice in await Outbox(store).notices():  # told about that one long ago
            await Outbox(store).notice_sent(notice.id)
    finally:
        await store.close()

    async with LocalBotApi(token="777:CRASH-TEST") as server:
        for user in RESIDENTS:
            server.user(user)
        bot = await spawn_bot(server, tmp_path, BOT_KB_PATH=str(tmp_path / "kb.yaml"))
        try:
            for user in RESIDENTS:
                await server.send_text(user, "/start signup_forum")
            offers: list[SentMessage] = list(
                await asyncio.gather(*(server.wait_for_message(u, timeout=90) for u in RESIDENTS))
            )
            for user, offer in zip(RESIDENTS, offers, strict=True):
                await server.press(user, offer.message_id, offer.find_button("ยืนยันสมัคร"))
            # Kill it once some, but not all, have been answered.
            await eventually(
                lambda: sum(o.text.startswith(OUTCOMES) for o in offers) >= 25, 60, "answers"
            )
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            told_confirmed = {
                u for u, o in zip(RESIDENTS, offers, strict=True) if o.text.startswith(OUTCOMES[0])
            }
            answered_before = sum(o.text.startswith(OUTCOMES) for o in offers)
            assert 25 <= answered_before < len(RESIDENTS), "the kill did not land mid-burst"

            bot = await spawn_bot(
                server, tmp_path, BOT_KB_PATH=str(tmp_path / "kb.yaml")
            )  # same database
            # Taps PTB had already fetched (and so confirmed to Telegram) but not handled died
            # with the process; those residents saw no answer and tap again, as people do.
            await server.wait_idle(quiet=1.0, timeout=60)
            for user, offer in zip(RESIDENTS, offers, strict=True):
                if not offer.text.startswith(OUTCOMES):
                    await server.press(user, offer.message_id, offer.find_button("ยืนยันสมัคร"))
            await eventually(
                lambda: all(o.text.startswith(OUTCOMES) for o in offers), 90, "every answer"
            )
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 30)
        # Taps answered before the kill cannot be answered again: Telegram says so, and that
        # is the only refusal allowed here.
        # An edit sent again after the kill, when the kill fell between Telegram taking the
        # edit and the outbox row being deleted, is "not modified": harmless, and said so.
        allowed = ("query is too old", "message is not modified")
        assert [r for r in server.rejected if not any(a in r.description for a in allowed)] == [], [
            r.description for r in server.rejected
        ]

    db_path = tmp_path / "bot.sqlite3"
    assert db_rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    rows = db_rows(
        db_path,
        "SELECT user_id, status FROM signups WHERE entry_id = 'forum' AND status != 'cancelled'",
    )
    status = dict(rows)
    assert len(rows) == len(status) == len(RESIDENTS)  # everyone exactly once
    assert sum(s == "confirmed" for s in status.values()) == 80
    assert all(status[u] == "confirmed" for u in told_confirmed)
    # What each resident finally sees agrees with the database.
    for user, offer in zip(RESIDENTS, offers, strict=True):
        if offer.text.startswith(OUTCOMES[0]):
            assert status[user] == "confirmed"
        elif offer.text.startswith(OUTCOMES[1]):
            assert status[user] == "waitlist"
