"""Entries made in Telegram: the repository's rules and records, the knowledge base served
with them, and the command line's `kb export` and `check-kb`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.entries import Action, Entries, EntryRefused, EntryState, Refusal, new_id
from bot.notices import EntryNotices
from bot.reminders import Reminders
from bot.signups import Signups, Status
from bot.store import Store
from kb.knowledge import Knowledge
from kb.loader import ID_RE, entry_fields, entry_from_fields, load_kb
from tests.conftest import BANGKOK
from tests.test_cli import run_cli

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=BANGKOK)
ORGANISER = 900001


def fields(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "tg-20261212-abc123",
        "kind": "activity",
        "title": "อบรมทำขนมไทย",
        "questions": ["อบรมทำขนมไทย", "สอนทำขนมที่ไหน"],
        "answer": "อบรมทำขนมไทยฟรี ที่ศูนย์การเรียนรู้",
        "starts": "2026-12-12T13:00:00+07:00",
        "ends": "2026-12-12T16:00:00+07:00",
        "location": "ศูนย์การเรียนรู้ตลาดจอมพล",
        "signup": True,
        "capacity": 3,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "bot.sqlite3")
    try:
        yield s
    finally:
        await s.close()


async def test_an_entry_round_trips_through_its_fields() -> None:
    entry = entry_from_fields(fields(max_people=4, cost="free", closed=True), "telegram", BANGKOK)
    again = entry_from_fields(entry_fields(entry), "telegram", BANGKOK)
    assert again == entry and again.closed and again.max_people == 4
    assert not entry.accepts_signups(NOW)  # closed: no more sign-ups


async def test_new_ids_follow_the_files_rules() -> None:
    ids = {new_id(NOW) for _ in range(50)} | {new_id(None)}
    assert len(ids) == 51 and all(ID_RE.fullmatch(i) for i in ids)


async def test_create_refuses_what_check_kb_refuses_and_the_past(store: Store) -> None:
    entries = Entries(store, BANGKOK)
    with pytest.raises(EntryRefused) as bad:
        await entries.create(fields(ends="2026-12-12T12:00:00+07:00"), ORGANISER, NOW)
    assert bad.value.reason is Refusal.INVALID
    assert "'ends' is before 'starts'" in bad.value.problems[0].message
    with pytest.raises(EntryRefused) as past:
        await entries.create(fields(starts="2026-12-01T13:00:00+07:00", ends=None), ORGANISER, NOW)
    assert past.value.reason is Refusal.PAST
    with pytest.raises(EntryRefused) as taken:
        await entries.create(fields(id="forum-2570"), ORGANISER, NOW, frozenset({"forum-2570"}))
    assert taken.value.reason is Refusal.EXISTS
    change = await entries.create(fields(), ORGANISER, NOW)
    with pytest.raises(EntryRefused) as twice:
        await entries.create(fields(), ORGANISER, NOW)
    assert twice.value.reason is Refusal.EXISTS
    assert change.action is Action.CREATE and change.after["title"] == "อบรมทำขนมไทย"
    assert [e.id for e in await entries.published()] == ["tg-20261212-abc123"]


async def seed_signups(store: Store, count: int, capacity: int | None = 3) -> None:
    signups = Signups(store)
    for user in range(1, count + 1):
        await signups.sign_up(
            user, f"คน {user}", "+66812345678", "tg-20261212-abc123", "อบรมทำขนมไทย", capacity
        )


async def test_a_moved_event_owes_each_resident_one_notice_and_reminds_again(
    store: Store,
) -> None:
    entries, notices = Entries(store, BANGKOK), EntryNotices(store)
    await entries.create(fields(), ORGANISER, NOW)
    await seed_signups(store, 4)  # three seats, one waiting
    reminders = Reminders(store)
    assert await reminders.claim(1, "1d@09:00")
    title_only = await entries.edit("tg-20261212-abc123", {"title": "อบรมขนมไทย"}, 5, NOW)
    assert title_only.notified == 0 and not title_only.must_notify
    moved = await entries.edit(
        "tg-20261212-abc123",
        {"starts": "2026-12-19T13:00:00+07:00", "ends": "2026-12-19T16:00:00+07:00"},
        ORGANISER,
        NOW,
    )
    assert moved.notified == 4 and moved.before["starts"].startswith("2026-12-12")
    again = await entries.edit("tg-20261212-abc123", {"location": "ห้องสมุดเมือง"}, 5, NOW)
    # The second change supersedes the first one's unsent notices: one message each.
    pending = await notices.pending()
    assert len(pending) == 4 and {n.change_id for n in pending} == {again.id}
    assert {n.user_id for n in pending} == {1, 2, 3, 4}
    # The reminder sent for the old date is forgotten: it comes again before the new one.
    assert await reminders.claim(1, "1d@09:00")
    history = await entries.history("tg-20261212-abc123")
    assert [(c.action, c.changed_by) for c in history] == [
        (Action.CREATE, ORGANISER), (Action.EDIT, 5), (Action.EDIT, ORGANISER), (Action.EDIT, 5),
    ]  # fmt: skip
    assert history[1].before == {"title": "อบรมทำขนมไทย"}
    assert history[1].after == {"title": "อบรมขนมไทย"}


async def test_capacity_never_below_the_seats_taken_and_added_seats_promote(
    store: Store,
) -> None:
    entries = Entries(store, BANGKOK)
    await entries.create(fields(), ORGANISER, NOW)
    await seed_signups(store, 5)  # three seats, two waiting
    with pytest.raises(EntryRefused) as low:
        await entries.edit("tg-20261212-abc123", {"capacity": 2}, ORGANISER, NOW)
    assert low.value.reason is Refusal.CAPACITY_BELOW_SEATS and low.value.seats == 3
    raised = await entries.edit("tg-20261212-abc123", {"capacity": 4}, ORGANISER, NOW)
    assert [s.user_id for s in raised.promoted] == [4]
    assert raised.promoted[0].status is Status.CONFIRMED
    unlimited = await entries.edit("tg-20261212-abc123", {"capacity": None}, ORGANISER, NOW)
    assert [s.user_id for s in unlimited.promoted] == [5]
    with pytest.raises(EntryRefused) as past:
        await entries.edit(
            "tg-20261212-abc123", {"starts": "2026-12-01T13:00:00+07:00", "ends": None}, 5, NOW
        )
    assert past.value.reason is Refusal.PAST


async def test_close_hide_and_cancel(store: Store) -> None:
    entries, notices = Entries(store, BANGKOK), EntryNotices(store)
    await entries.create(fields(), ORGANISER, NOW)
    await seed_signups(store, 2)
    closed = await entries.act("tg-20261212-abc123", Action.CLOSE, ORGANISER, NOW)
    assert closed.after == {"closed": True} and closed.notified == 0
    (served,) = await entries.published()
    assert served.closed and not served.accepts_signups(NOW)
    await entries.act("tg-20261212-abc123", Action.HIDE, ORGANISER, NOW)
    assert await entries.published() == []
    again = await entries.act("tg-20261212-abc123", Action.HIDE, ORGANISER, NOW)
    assert again.id == 0  # nothing changed, nothing recorded
    await entries.act("tg-20261212-abc123", Action.SHOW, ORGANISER, NOW)
    cancelled = await entries.act("tg-20261212-abc123", Action.CANCEL, ORGANISER, NOW)
    assert cancelled.notified == 2 and cancelled.must_notify
    made = await entries.get("tg-20261212-abc123")
    assert made is not None and made.state is EntryState.CANCELLED
    assert await entries.published() == []
    assert len(await notices.pending()) == 2
    with pytest.raises(EntryRefused) as gone:
        await entries.edit("tg-20261212-abc123", {"title": "ใหม่"}, ORGANISER, NOW)
    assert gone.value.reason is Refusal.CANCELLED
    with pytest.raises(EntryRefused) as unknown:
        await entries.act("nope", Action.HIDE, ORGANISER, NOW)
    assert unknown.value.reason is Refusal.UNKNOWN


async def test_notices_are_given_up_after_repeated_refusals(store: Store) -> None:
    entries, notices = Entries(store, BANGKOK), EntryNotices(store)
    await entries.create(fields(), ORGANISER, NOW)
    await seed_signups(store, 1)
    await entries.act("tg-20261212-abc123", Action.CANCEL, ORGANISER, NOW)
    (notice,) = await notices.pending()
    assert await notices.claim(notice.id) and not await notices.claim(notice.id)
    notices.release(notice.id)
    gave_up = [await notices.failed(notice.id) for _ in range(10)]
    assert gave_up == [False] * 9 + [True] and await notices.pending() == []


def test_entries_made_in_telegram_are_served_with_the_files(signup_kb: Knowledge) -> None:
    made = entry_from_fields(fields(), "telegram", BANGKOK)
    moved = entry_from_fields(
        fields(id="forum", title="เสวนาพัฒนาเมือง ย้ายห้อง", location="ห้องประชุมใหญ่"),
        "telegram",
        BANGKOK,
    )
    served = signup_kb.combined([made, moved], {})
    assert served is not signup_kb and len(served.kb) == len(signup_kb.kb) + 1
    forum = served.kb.get("forum")
    assert forum is not None and forum.location == "ห้องประชุมใหญ่"  # Telegram's wins
    result = served.matcher.match("สอนทำขนมที่ไหน")
    assert result.answer_id == "tg-20261212-abc123" or "tg-20261212-abc123" in result.suggestions
    # Nothing made and nothing learned: the files' index itself, not a rebuilt one.
    assert signup_kb.combined([], {}) is signup_kb


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {"BOT_DB_PATH": str(tmp_path / "bot.sqlite3")}


def make_in(db_path: Path, *made: dict[str, Any]) -> None:
    """Entries made as /newevent makes them, in the database the command line reads."""

    async def make() -> None:
        store = await Store.open(db_path)
        try:
            for f in made:
                await Entries(store, BANGKOK).create(f, ORGANISER, datetime.now(BANGKOK))
        finally:
            await store.close()

    asyncio.run(make())


def test_kb_export_writes_yaml_the_loader_reads_back(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    empty = run_cli("kb", "export", env=cli_env)
    assert empty.returncode == 0 and "no entries made in Telegram" in empty.stderr
    assert not Path(cli_env["BOT_DB_PATH"]).exists()  # looking created no database
    future = (datetime.now(BANGKOK) + timedelta(days=30)).replace(microsecond=0)
    when = {"starts": future.isoformat(), "ends": (future + timedelta(hours=3)).isoformat()}
    make_in(Path(cli_env["BOT_DB_PATH"]), fields(**when), fields(id="tg-x-1", **when))
    out = tmp_path / "made.yaml"
    done = run_cli("kb", "export", "--out", str(out), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("# 2 entries made in Telegram")
    kb = load_kb(out, BANGKOK)
    assert [e.id for e in kb] == ["tg-20261212-abc123", "tg-x-1"]
    assert kb.entries[0].title == "อบรมทำขนมไทย" and kb.entries[0].starts == future
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["entries"][0]["capacity"] == 3


def test_check_kb_names_an_id_in_both_places(tmp_path: Path, cli_env: dict[str, str]) -> None:
    kb_file = tmp_path / "forums.yaml"
    kb_file.write_text(
        "entries:\n  - id: forum-2570\n    kind: event\n    title: เสวนาเมือง\n"
        "    questions: [เสวนาเมือง]\n    answer: เสวนาเรื่องเมือง\n",
        encoding="utf-8",
    )
    env = {**cli_env, "BOT_KB_PATH": str(kb_file)}
    assert run_cli("check-kb", env=env).returncode == 0
    future = (datetime.now(BANGKOK) + timedelta(days=30)).replace(microsecond=0)
    make_in(
        Path(cli_env["BOT_DB_PATH"]), fields(id="forum-2570", starts=future.isoformat(), ends=None)
    )
    checked = run_cli("check-kb", env=env)
    assert checked.returncode == 1
    assert f"{kb_file}:2 [forum-2570] id also used by an entry made in Telegram" in checked.stderr
