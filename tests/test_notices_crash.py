"""The bot is killed (SIGKILL) while it tells 120 residents that their event moved, and
restarted: every one of them is told, and nobody twice.

The one moment no bot can make safe is between Telegram accepting a message and the notice's
row being deleted: a kill there sends that notice again after the restart (the README says
so). This test freezes the process first (SIGSTOP), lets the requests it had already written
be answered, and kills it only when no notice is in that moment, so what it checks is the
bot's own bookkeeping: the queue survives, the restart sends exactly what was not accepted.
"""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import datetime, timedelta
from pathlib import Path

from bot.entries import Entries, new_id
from bot.residents import Residents
from bot.signups import Outbox, Signups
from bot.store import Store
from fakebot import LocalBotApi, SentMessage
from tests.conftest import ADMIN_ID, BANGKOK, SIGNUP_KB, db_rows, eventually, spawn_bot

RESIDENTS = list(range(60001, 60121))  # 120 residents, 100 seats: 20 wait
STARTS = datetime(2030, 11, 8, 9, 0, tzinfo=BANGKOK)
MOVED = STARTS + timedelta(days=1, hours=4)
CHANGE = "📢 เปลี่ยนแปลง: "


def told(server: LocalBotApi, user: int) -> list[SentMessage]:
    return [m for m in server.messages(user) if m.text.startswith(CHANGE)]


def owed(db_path: Path) -> set[int]:
    """Residents whose notice is still queued."""
    rows = db_rows(
        db_path, "SELECT s.user_id FROM entry_notices n JOIN signups s ON s.id = n.signup_id"
    )
    return {r[0] for r in rows}


async def prepare(db_path: Path) -> str:
    """An event made in Telegram, 120 residents signed up (told long ago), then moved by
    its organiser: 120 notices queued."""
    store = await Store.open(db_path)
    try:
        entries, signups = Entries(store, BANGKOK), Signups(store)
        now = datetime.now(BANGKOK)
        made = await entries.create(
            {
                "id": new_id(STARTS),
                "kind": "activity",
                "title": "อบรมทำบัญชีครัวเรือน",
                "questions": ["อบรมทำบัญชีครัวเรือน"],
                "answer": "อบรมฟรี ทำบัญชีรายรับรายจ่ายของครัวเรือน",
                "starts": STARTS.isoformat(),
                "location": "ศูนย์การเรียนรู้ชุมชน",
                "signup": True,
                "capacity": 100,
            },
            ADMIN_ID,
            now,
        )
        for user in RESIDENTS:
            await Residents(store).touch(user)
            await signups.sign_up(
                user, f"คน {user}", "+66812345678", made.entry_id, "อบรมทำบัญชีครัวเรือน", 100
            )
        for notice in await Outbox(store).notices():
            await Outbox(store).notice_sent(notice.id)
        change = await entries.edit(made.entry_id, {"starts": MOVED.isoformat()}, ADMIN_ID, now)
        assert change.notified == len(RESIDENTS)
    finally:
        await store.close()
    return made.entry_id


async def test_a_move_is_told_once_to_everyone_across_a_sigkill(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    (tmp_path / "kb.yaml").write_text(SIGNUP_KB, encoding="utf-8")
    await prepare(db_path)
    env = {"BOT_KB_PATH": str(tmp_path / "kb.yaml"), "BOT_SEMANTIC": "0"}

    async with LocalBotApi(token="779:NOTICES-CRASH") as server:
        for user in RESIDENTS:
            server.user(user)
        bot = await spawn_bot(server, tmp_path, **env)
        try:
            # The notices queued before the start go out at start-up, at Telegram's pace.
            await eventually(lambda: sum(bool(told(server, u)) for u in RESIDENTS) >= 30, 60, "30")
            rng = random.Random(16)
            while True:
                bot.send_signal(signal.SIGSTOP)
                try:
                    # Requests already written reach the server and are answered.
                    await server.wait_idle(quiet=0.2, timeout=5)
                except TimeoutError:  # frozen half-way through writing one: try again
                    pending = True
                else:
                    received = {u for u in RESIDENTS if told(server, u)}
                    pending = bool(received & owed(db_path))  # accepted, not yet deleted
                if not pending:
                    break
                bot.send_signal(signal.SIGCONT)
                await asyncio.sleep(rng.uniform(0.005, 0.05))
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            before = {u for u in RESIDENTS if told(server, u)}
            left = owed(db_path)
            assert before and left, "the kill did not land while notices were being sent"
            assert before | left == set(RESIDENTS) and not before & left
            print(f"at the kill: {len(before)} told, {len(left)} still queued")

            bot = await spawn_bot(server, tmp_path, **env)  # same database
            await eventually(lambda: all(told(server, u) for u in RESIDENTS), 60, "everyone told")
            await eventually(lambda: not owed(db_path), 30, "the queue to empty")
            await server.wait_idle(quiet=1.0, timeout=30)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGCONT)
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 30)
        assert server.rejected == []

    for n, user in enumerate(RESIDENTS):
        (notice,) = told(server, user)  # told, and only once
        assert "วันเสาร์ที่ 9 พฤศจิกายน 2573 เวลา 13.00 น." in notice.text, notice.text
        assert ("รายชื่อสำรอง ลำดับที่" in notice.text) == (n >= 100)
