"""Whole-bot benchmarks through the real Application and the local fake Bot API.

- throughput: updates handled per second, many residents asking eval questions at once,
  against a minimal python-telegram-bot echo bot measured in the same run (the ceiling);
  each resident's answers must come back in the order of their questions.
- sign-ups: per second through the whole bot, and for the store alone.
- broadcast: messages per second with the fake server's flood limits on (Telegram's ~30/s).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import build_application, running
from bot.config import ROOT, Settings
from bot.residents import Residents
from bot.services import Services
from bot.signups import Outbox, Signups
from bot.store import Store
from bot.subscriptions import Subscriptions
from fakebot import LocalBotApi
from kb.evaluate import load_questions
from kb.knowledge import Knowledge

BANGKOK = ZoneInfo("Asia/Bangkok")


def knowledge() -> Knowledge:
    """As the bot answers: with the sentence model's vectors (the bot's post_init does the
    same before its first question)."""
    # The example events (data/examples) are the upcoming ones residents sign up for.
    k = Knowledge.load(
        (ROOT / "data" / "kb", ROOT / "data" / "examples"), ROOT / "data" / "lexicon.yaml", BANGKOK
    )
    return k.prepare(latin=False)


async def _drive(server: LocalBotApi, asks: dict[int, list[str]]) -> float:
    """Every resident sends all their questions at once; seconds until all are answered."""
    for r in asks:
        server.user(r)
    rounds = max(len(qs) for qs in asks.values())
    started = time.perf_counter()
    for j in range(rounds):
        for r, qs in asks.items():
            await server.send_text(r, qs[j])
    while any(len(server.messages(r)) < len(qs) for r, qs in asks.items()):
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def _count(asks: dict[int, list[str]]) -> int:
    return sum(len(qs) for qs in asks.values())


async def echo_rate(asks: dict[int, list[str]]) -> float:
    """The ceiling: a minimal PTB bot that echoes, same server, same load."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_message.text:
            await update.effective_message.reply_text(update.effective_message.text[:100])

    async with LocalBotApi(flood_limits=False) as server:
        app = (
            Application.builder()
            .token(server.token)
            .base_url(server.base_url)
            .concurrent_updates(256)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        try:
            seconds = await _drive(server, asks)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
    return _count(asks) / seconds


async def bot_rate(asks: dict[int, list[str]], k: Knowledge) -> tuple[float, bool]:
    """Our bot answering questions; also checks each resident's answers came in order."""
    first_line = {}
    for q in {q for qs in asks.values() for q in qs}:  # each answer's first line
        result = k.matcher.match(q)
        entry = k.kb.get(result.answer_id) if result.answer_id else None
        first_line[q] = entry.title if entry else None
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi(flood_limits=False) as server:
            # The bot's own capacity: Telegram's global 30/s is lifted as for the echo bot
            # (per-chat pacing stays; each resident asks only a few questions).
            settings = Settings(
                token=server.token,
                api_base_url=server.base_url,
                db_path=Path(tmp) / "b.sqlite3",
                rate_limit=100_000,
            )
            app = build_application(settings, k)
            async with running(app, poll_timeout=1):
                seconds = await _drive(server, asks)
            in_order = True
            for r, qs in asks.items():
                got = [m.text.split("\n")[0] for m in server.messages(r)]
                # An answered question must find its entry's title at its own position.
                for q, line in zip(qs, got, strict=True):
                    in_order &= first_line[q] is None or line == first_line[q]
    return _count(asks) / seconds, in_order


async def signup_rates(k: Knowledge, n: int = 150, capacity: int = 80) -> tuple[float, float]:
    """(whole bot, store alone) sign-ups per second, flood limits off."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.sqlite3"
        store = await Store.open(db)
        repo = Signups(store)
        started = time.perf_counter()
        await asyncio.gather(
            *(repo.sign_up(u, "ก", "+66812345678", "x", "x", capacity) for u in range(n))
        )
        store_rate = n / (time.perf_counter() - started)
        residents = list(range(10_000, 10_000 + n))
        for u in residents:  # returning residents: two taps
            await repo.sign_up(u, "ข", "+66812345678", "old", "old", None)
        # The seeded sign-ups' replies count as sent: otherwise the bot spends the measured
        # seconds retrying them to chats the fake server has never seen.
        outbox = Outbox(store)
        for notice in await outbox.notices():
            await outbox.notice_sent(notice.id)
        await store.close()
        entry = next(e for e in k.kb if e.signup and e.capacity)
        async with LocalBotApi(flood_limits=False) as server:
            settings = Settings(
                token=server.token, api_base_url=server.base_url, db_path=db, rate_limit=100_000
            )
            app = build_application(settings, k)
            async with running(app, poll_timeout=1):
                for u in residents:
                    server.user(u)
                for u in residents:
                    await server.send_text(u, f"/start signup_{entry.id}")
                offers = [await server.wait_for_message(u, timeout=60) for u in residents]
                started = time.perf_counter()
                for u, m in zip(residents, offers, strict=True):
                    await server.press(u, m.message_id, m.find_button("ยืนยันสมัคร"))
                while not all(m.text.startswith(("✅", "🕒")) for m in offers):
                    await asyncio.sleep(0.005)
                bot_rate_ = n / (time.perf_counter() - started)
    return bot_rate_, store_rate


async def broadcast_rate(k: Knowledge, n: int = 600) -> tuple[float, int]:
    """(messages per second, 429s provoked) for a broadcast, flood limits on."""
    admin = 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "b.sqlite3"
        store = await Store.open(db)
        residents = list(range(20_000, 20_000 + n))
        for u in residents:
            await Residents(store).touch(u)
            await Subscriptions(store).set(u, {"forums"})
        await store.close()
        async with LocalBotApi() as server:
            server.user(admin)
            for u in residents:
                server.user(u)
            settings = replace(
                Settings(token=server.token, api_base_url=server.base_url, db_path=db),
                admin_ids=frozenset({admin}),
            )
            app = build_application(settings, k)
            async with running(app, poll_timeout=1):
                repo = Services.of(app).r.broadcasts
                from handlers.broadcast import start_delivery

                broadcast = await repo.create(admin, "all", "text", "ประกาศ", None, residents, None)
                started = time.perf_counter()
                start_delivery(app, broadcast)
                while (await repo.counts(broadcast.id)).pending:
                    await asyncio.sleep(0.05)
                seconds = time.perf_counter() - started
            return n / seconds, server.rate_limited_count


async def run_all(residents: int = 300, per_resident: int = 4) -> dict[str, Any]:
    k = knowledge()
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    questions = [q for q in questions if len(q) < 200]
    # Each resident asks different questions, in turn through the whole set, as a crowd
    # would: the same few questions over and over would flatter any cache.
    asks = {
        1000 + i: [questions[(i * per_resident + j) % len(questions)] for j in range(per_resident)]
        for i in range(residents)
    }
    await echo_rate(dict(list(asks.items())[:20]))  # warm-up (imports, first connections)
    echo = await echo_rate(asks)
    ours, in_order = await bot_rate(asks, k)
    su_bot, su_store = await signup_rates(k)
    bc_rate, bc_429 = await broadcast_rate(k)
    return {
        "echo_updates_s": echo,
        "bot_updates_s": ours,
        "bot_vs_echo": ours / echo,
        "per_resident_order_kept": in_order,
        "signups_bot_s": su_bot,
        "signups_store_s": su_store,
        "broadcast_msgs_s": bc_rate,
        "broadcast_vs_30": bc_rate / 30,
        "broadcast_429": bc_429,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run_all())))
