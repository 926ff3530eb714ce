"""The SQLite store on a real file."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.questions import Questions
from bot.residents import Residents
from bot.store import MIGRATIONS, Store


async def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    store = await Store.open(path)  # reopening applies nothing twice
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    async with aiosqlite.connect(path) as db:
        async with db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]


async def test_residents_and_questions(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        residents, questions = Residents(store), Questions(store)
        assert await residents.touch(7) is True
        assert await residents.touch(7) is False
        qid = await questions.log(7, "ปลูกผัก?", "suggest", "veg", 0.4)
        assert await questions.mark_unanswered(qid, 8) is False  # someone else's question
        assert await questions.mark_unanswered(qid, 7) is True
        (q,) = await questions.recent(outcome="fallback")
        assert q.text == "ปลูกผัก?" and q.user_id == 7 and q.asked_at.tzinfo is not None
    finally:
        await store.close()


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        try:
            async with store.transaction() as db:
                await db.execute(
                    "INSERT INTO residents (user_id, first_seen, last_seen) VALUES (1, 'a', 'a')"
                )
                raise RuntimeError("crash mid-way")
        except RuntimeError:
            pass
        assert await Residents(store).touch(1) is True  # the half-done insert was rolled back
    finally:
        await store.close()
