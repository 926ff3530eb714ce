"""A crowd: 300 residents each type 3 questions in a row, all at the same moment, or
arriving over 10 s. Replies can leave no faster than Telegram's 30 messages a second, so
somebody waits; what matters to a resident is how long until their *first* answer.

Measured through the real Application and the local Bot API (flood limits on), in the same
run, three ways: as the bot was (first come, first served, and PTB's concurrency slots
taken by updates waiting for their chat's turn), with only the update processor changed
(slots taken once the chat's turn has come, sending still first-come), and as the bot is
now (that, plus fair sending: a chat's first answer before anyone's later ones).
Questions are matched lexically (`BOT_SEMANTIC=0`): the order of sending is what is
measured, and the sentence model's CPU time, on a machine shared with other work, would
only add noise.

    python -m bench.crowd   (about 3.5 minutes; writes bench/results/crowd.*)
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import PerChatUpdateProcessor, build_application, running
from bot.config import ROOT, Settings
from bot.ratelimit import TelegramRateLimiter
from fakebot import LocalBotApi
from kb.evaluate import load_questions
from kb.knowledge import Knowledge

BANGKOK = ZoneInfo("Asia/Bangkok")
RESIDENTS = 300
QUESTIONS = 3
SPREAD_S = 10.0  # the arriving crowd: 30 new residents a second
# name: (fair sending, update processor takes its slot before the chat's turn)
CONFIGS = {"before": (False, True), "processor_only": (False, False), "now": (True, False)}


def crowd_questions() -> dict[int, list[str]]:
    """Different questions for each resident, in turn through the labelled set."""
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    questions = [q for q in questions if len(q) < 200]
    return {
        1000 + i: [questions[(i * QUESTIONS + j) % len(questions)] for j in range(QUESTIONS)]
        for i in range(RESIDENTS)
    }


async def first_answers(
    k: Knowledge, asks: dict[int, list[str]], config: str, spread: float
) -> dict[str, Any]:
    """Seconds from each resident's questions to their first answer, and to the last."""
    fair, slot_first = CONFIGS[config]
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi() as server:  # Telegram's flood limits on
            for r in asks:
                server.user(r)
            settings = Settings(
                token=server.token,
                api_base_url=server.base_url,
                db_path=Path(tmp) / "c.sqlite3",
                semantic=False,
            )
            app = build_application(
                settings,
                k,
                rate_limiter=TelegramRateLimiter(per_second=settings.rate_limit, fair=fair),
                update_processor=PerChatUpdateProcessor(slot_first=slot_first),
            )
            asked: dict[int, float] = {}
            first: dict[int, float] = {}

            def seen(message: Any) -> None:
                if message.chat_id in asked and message.chat_id not in first:
                    first[message.chat_id] = time.perf_counter() - asked[message.chat_id]

            server.on_message = seen
            async with running(app, poll_timeout=1):
                started = time.perf_counter()
                for i, (r, qs) in enumerate(asks.items()):
                    arrival = started + spread * i / len(asks)
                    if arrival > time.perf_counter():
                        await asyncio.sleep(arrival - time.perf_counter())
                    asked[r] = time.perf_counter()
                    for q in qs:  # three questions typed in a row
                        await server.send_text(r, q)
                while any(len(server.messages(r)) < len(qs) for r, qs in asks.items()):
                    await asyncio.sleep(0.01)
                total = time.perf_counter() - started
            waits = sorted(first.values())
            return {
                "median_s": statistics.median(waits),
                "p90_s": waits[int(0.9 * len(waits))],
                "worst_s": waits[-1],
                "all_answered_s": total,
                "messages_per_s": sum(len(qs) for qs in asks.values()) / total,
                "rate_limited": server.rate_limited_count,
            }


async def run() -> dict[str, Any]:
    # The example events (data/examples) are the upcoming ones residents sign up for.
    k = Knowledge.load(
        (ROOT / "data" / "kb", ROOT / "data" / "examples"), ROOT / "data" / "lexicon.yaml", BANGKOK
    )
    asks = crowd_questions()
    results: dict[str, Any] = {"residents": RESIDENTS, "questions_each": QUESTIONS}
    for scenario, spread in (("at_once", 0.0), ("arriving", SPREAD_S)):
        results[scenario] = {c: await first_answers(k, asks, c, spread) for c in CONFIGS}
    return results


if __name__ == "__main__":
    import json

    from bench.run import OUT, crowd_table, machine

    results = asyncio.run(run())
    OUT.mkdir(exist_ok=True)
    (OUT / "crowd.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    report = f"# A crowd's first answers\n\nMachine: {machine()}.\n\n{crowd_table(results)}\n"
    (OUT / "crowd.md").write_text(report, encoding="utf-8")
    print(report)
