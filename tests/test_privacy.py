"""Privacy and access end to end: organiser commands and personal flows stay out of groups,
/forgetme leaves nothing behind, forged buttons are refused before the store, and old
questions and abandoned flows are deleted by the retention job."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot import texts
from bot.config import ConfigError, Settings
from bot.erasure import ERASURE, NOT_RESIDENTS, forget
from bot.flows import FlowKind, Flows, SignupStep
from bot.questions import Questions
from bot.services import Services
from bot.store import MIGRATIONS, Store, utcnow
from fakebot import LocalBotApi, SentMessage
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BotEnv, start_bot
from tests.test_organisers import seed_subscribers
from tests.test_signup_e2e import last, sign_up

BOT = "kk_learning_bot"
GROUP = -1001234567890


# ------------------------------------------------------------------ a group chat
def open_group(server: LocalBotApi) -> int:
    """A supergroup of residents with the bot in it; returns its chat id."""
    server.group(GROUP, "ชาวชุมชนขอนแก่น")
    return GROUP


async def in_group(
    env: BotEnv, group: int, user_id: int, text: str, expect: int = 1
) -> list[SentMessage]:
    """A member writes in the group; the messages the bot posts there in answer (waiting for
    `expect` of them: the bot paces each chat, so a quiet moment alone proves nothing)."""
    before = len(env.server.messages(group))
    await env.server.send_text(group, text, from_user=user_id)
    for _ in range(100):
        await env.server.wait_idle(quiet=0.2)
        if len(env.server.messages(group)) - before >= expect:
            break
        await asyncio.sleep(0.1)
    return env.server.messages(group)[before:]


async def group_settled(env: BotEnv, count: int) -> list[str]:
    """After the pacing delay, the texts in the group; there must be exactly `count`."""
    await asyncio.sleep(1.5)
    await env.server.wait_idle(quiet=0.3)
    shown = [m.text for m in env.server.messages(GROUP)]
    assert len(shown) == count, shown
    return shown


def private_chat_button(message: SentMessage) -> str:
    """The URL of the message's one button (it must open the private chat)."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    assert rows[0][0]["text"] == texts.BTN_OPEN_PRIVATE
    return str(rows[0][0]["url"])


async def table_rows(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every row of every table in the bot's database, read straight from the file."""
    async with aiosqlite.connect(path) as db:
        db.row_factory = aiosqlite.Row
        async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            names = [r[0] for r in await cur.fetchall()]
        out = {}
        for name in names:
            async with db.execute(f'SELECT * FROM "{name}"') as cur:
                out[name] = [dict(r) for r in await cur.fetchall()]
    return out


# ------------------------------------------------------------------ 1. groups
async def test_organiser_commands_in_a_group_post_nothing_personal(env: BotEnv) -> None:
    env.server.user(730101)
    await sign_up(env, 730101, "forum", name="สมหมาย ใจงาม", phone="089-123-4567")
    await env.send(730101, "โรงพยาบาลเปิดกี่โมง")  # one unanswered question for /stats
    group = open_group(env.server)
    for command in ("export", "stats", "unanswered", "reload", "broadcast", "broadcasts"):
        for typed in (f"/{command}@{BOT}", f"/{command}"):
            (reply,) = await in_group(env, group, ADMIN_ID, typed)  # one message, no more
            assert reply.text == texts.PRIVATE_ONLY, typed
            assert private_chat_button(reply) == f"https://t.me/{BOT}"
    # Buttons of organisers' panels, tapped in the group: a pop-up for the organiser only.
    posted = len(env.server.messages(GROUP))
    anchor = env.server.messages(GROUP)[-1]
    for data in ("a:xp:*", "a:xp:forum", "a:ua:1", "a:ba:all", "a:bc", "a:bk:1", "a:un"):
        query = await env.server.press(
            GROUP, anchor.message_id, data, force=True, from_user=ADMIN_ID
        )
        answer = await env.server.wait_for_callback_answer(query)
        assert answer["text"] == texts.PRIVATE_ONLY_ALERT and answer["show_alert"], data
    await group_settled(env, posted)  # one answer per command, nothing for the taps
    assert anchor.text == texts.PRIVATE_ONLY and anchor.edit_count == 0
    everything = env.server.messages(GROUP) + env.server.messages(ADMIN_ID)
    assert all(m.document is None for m in everything)  # no export anywhere
    shown = "\n".join(m.text for m in env.server.messages(GROUP))
    assert "สมหมาย" not in shown and "089" not in shown and not re.search(r"\d", shown)
    # The same organiser in the private chat still gets the real thing.
    panel = last(await env.send(ADMIN_ID, "/stats"))
    assert "ได้ที่นั่ง 1/80" in panel.text


async def test_residents_personal_flows_point_to_the_private_chat(env: BotEnv) -> None:
    group = open_group(env.server)
    for typed, link in (
        ("/start signup_forum", f"https://t.me/{BOT}?start=signup_forum"),
        (f"/start@{BOT} signup_forum", f"https://t.me/{BOT}?start=signup_forum"),
        ("/start", f"https://t.me/{BOT}"),
        ("/mysignups", f"https://t.me/{BOT}"),
        ("/forgetme", f"https://t.me/{BOT}"),
        (f"/subscribe@{BOT}", f"https://t.me/{BOT}"),
        ("/cancel", f"https://t.me/{BOT}"),
    ):
        (reply,) = await in_group(env, group, 730102, typed)
        assert reply.text == texts.PRIVATE_ONLY, typed
        assert private_chat_button(reply) == link, typed
    # A payload that is not a valid start parameter is not carried into the link.
    (reply,) = await in_group(env, group, 730102, "/start signup_ไม่ใช่")
    assert private_chat_button(reply) == f"https://t.me/{BOT}"
    # Buttons that lead to personal data, tapped in the group.
    anchor = env.server.messages(GROUP)[-1]
    for data in ("a:ms", "a:su:forum", "a:cs:y", "a:fg:y", "a:cx:1", "a:sb:all"):
        query = await env.server.press(GROUP, anchor.message_id, data, force=True, from_user=730102)
        answer = await env.server.wait_for_callback_answer(query)
        assert answer["text"] == texts.PRIVATE_ONLY_ALERT, data
    # Another bot's command in the group is not ours to answer.
    assert await in_group(env, group, 730102, "/weather@other_bot", expect=0) == []
    shown = await group_settled(env, 8)
    assert all(t == texts.PRIVATE_ONLY for t in shown)
    rows = await table_rows(env.settings.db_path)
    assert rows["flows"] == [] and rows["people"] == [] and rows["subscriptions"] == []
    # The link's own destination: the private chat starts the sign-up.
    consent = last(await env.send(730102, "/start signup_forum"))
    assert "พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล" in consent.text


# ------------------------------------------------------------------ 2. erasure
PERSONAL_COLUMN = re.compile(r"user|_by$|chat|name|phone|text|phrasing|body|data|caption|signup_id")


def uncovered(tables: dict[str, list[str]]) -> list[str]:
    """Columns that may hold a resident's id or words in tables /forgetme does not erase."""
    missing = []
    for table, columns in tables.items():
        if table in ERASURE:
            continue
        allowed = NOT_RESIDENTS.get(table, ())
        missing += [
            f"{table}.{c}" for c in columns if PERSONAL_COLUMN.search(c) and c not in allowed
        ]
    return missing


async def live_schema(db_path: Path) -> dict[str, list[str]]:
    store = await Store.open(db_path)  # every migration applied
    try:
        names = await store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {
            r["name"]: [c["name"] for c in await store.query(f'PRAGMA table_info("{r["name"]}")')]
            for r in names
        }
    finally:
        await store.close()


async def test_erasure_covers_every_table_holding_residents_data(tmp_path: Path) -> None:
    tables = await live_schema(tmp_path / "bot.sqlite3")
    assert set(ERASURE) <= set(tables), "ERASURE names a table the schema does not have"
    assert uncovered(tables) == [], (
        "a table holds a user id or a resident's text but /forgetme does not erase it: "
        "declare its ERASE and add it to bot.erasure.ERASURE (or to NOT_RESIDENTS if it is"
        " organisers' data)"
    )
    # The check itself catches a new table nobody told erasure about.
    assert uncovered({**tables, "notes": ["id", "user_id", "note_text"]}) == [
        "notes.user_id",
        "notes.note_text",
    ]


async def test_forgetme_leaves_no_id_and_no_words_in_any_table(env: BotEnv) -> None:
    resident, other = 730201, 730202
    words = ["สมหมาย", "0891234567", "+66891234567", "99/9"]
    question = "ผมชื่อสมหมาย เบอร์ 0891234567 บ้านเลขที่ 99/9 มีที่สอนทำขนมไหม"
    await seed_subscribers(env.settings.db_path, [resident, other])
    for user in (resident, other):
        env.server.user(user)
    await sign_up(env, resident, "forum", name="สมหมาย ใจงาม", phone="089-123-4567")
    saved = last(await env.send(resident, "/start signup_ws-small"))  # details known
    await env.press(resident, saved, saved.find_button(texts.BTN_USE_SAVED), until="/mysignups")
    await sign_up(env, other, "ws-small", name="บุญมา", phone="081-111-2222")  # waiting
    assert last(await env.send(resident, question)).text.startswith("ขออภัยค่ะ")
    pending = last(await env.send(resident, "/start signup_family-day"))  # left half-way
    assert "สมหมาย" in pending.text  # the flow holds their details
    # A broadcast reaches them (a delivery row), and an organiser learns their question.
    panel = last(await env.send(ADMIN_ID, "/broadcast"))
    await env.press(ADMIN_ID, panel, panel.find_button("ทุกคนที่รับข่าว"))
    ask = last(await env.send(ADMIN_ID, "ประกาศทดสอบ", until="ยืนยันส่งไหมคะ"))
    await env.press(ADMIN_ID, ask, ask.find_button("ยืนยันส่ง"))
    await env.server.wait_for_message(
        ADMIN_ID, timeout=30, predicate=lambda m: m.text.startswith("✅ ประกาศ")
    )
    listing = last(await env.send(ADMIN_ID, "/unanswered"))
    assert "สมหมาย" in listing.text
    await env.press(ADMIN_ID, listing, listing.callback_data()[0])
    await env.press(ADMIN_ID, listing, listing.find_button("เลือกจากทุกเรื่อง"))
    await env.press(ADMIN_ID, listing, listing.find_button("วันครอบครัวเรียนรู้"))
    assert listing.text.startswith("✅ เพิ่ม")
    matcher = Services.of(env.app).knowledge.matcher
    assert matcher.match(question).answer_id == "family-day"  # it answers with their words
    before = await table_rows(env.settings.db_path)
    assert any(r["source_user"] == resident for r in before["learned"])

    ask = last(await env.send(resident, "/forgetme"))
    assert "เจ้าหน้าที่นำไปสอนบอท" in ask.text
    await env.press(resident, ask, ask.find_button(texts.BTN_FORGET_YES))
    assert ask.text.startswith("🗑 ลบแล้วค่ะ") and "คำถามที่ใช้สอนบอท 1 ข้อ" in ask.text
    await env.server.wait_idle(quiet=1.0)  # the promotion of the one waiting goes out

    after = await table_rows(env.settings.db_path)
    for table, rows in after.items():
        for row in rows:
            for column, value in row.items():
                assert value != resident, f"{table}.{column} still holds the resident's id"
                if isinstance(value, str):
                    assert not any(w in value for w in words), f"{table}.{column}: {value!r}"
    # The seat went to the one waiting, and the other resident's data is untouched.
    assert [r["status"] for r in after["signups"] if r["user_id"] == other] == ["confirmed"]
    assert any(r["user_id"] == other for r in after["subscriptions"])
    # Their words left the matcher as well as the table.
    assert Services.of(env.app).knowledge.matcher.match(question).answer_id != "family-day"


async def test_forget_removes_phrasings_learned_before_the_link_existed(tmp_path: Path) -> None:
    """A phrasing attached before learned.source_user existed is found by its text."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        questions = Questions(store)
        await questions.log(730301, "  ขอเบอร์สมหมาย 0891234567  ", "fallback", None, 0.1)
        await questions.log(730302, "ตลาดเปิดกี่โมง", "fallback", None, 0.1)
        async with store.transaction() as db:
            for phrasing in ("ขอเบอร์สมหมาย 0891234567", "ตลาดเปิดกี่โมง"):
                await db.execute(
                    "INSERT INTO learned (entry_id, phrasing, added_by, added_at)"
                    " VALUES ('forum', ?, 1, '2026-01-01T00:00:00+00:00')",
                    (phrasing,),
                )
        gone = await forget(store, 730301, lambda _: None)
        assert gone.learned == 1 and gone.questions == 1
        rows = await store.query("SELECT phrasing FROM learned")
        assert [r["phrasing"] for r in rows] == ["ตลาดเปิดกี่โมง"]
    finally:
        await store.close()


async def test_migration_links_phrasings_learned_before_it(tmp_path: Path) -> None:
    """A database from before learned.source_user: the migration finds who asked each one."""
    path = tmp_path / "bot.sqlite3"
    version = next(i for i, m in enumerate(MIGRATIONS) if "source_user" in m[0])
    async with aiosqlite.connect(path) as db:
        for statements in MIGRATIONS[:version]:
            for sql in statements:
                await db.execute(sql)
        await db.execute(f"PRAGMA user_version = {version}")
        stamp = "2026-01-01T00:00:00+00:00"
        for user, text in ((730311, "ขอเบอร์สมหมาย 0891234567 "), (730312, "ตลาดเปิดกี่โมง")):
            await db.execute(
                "INSERT INTO questions (user_id, asked_at, text, outcome, score)"
                " VALUES (?, ?, ?, 'fallback', 0.1)",
                (user, stamp, text),
            )
        for phrasing in ("ขอเบอร์สมหมาย 0891234567", "ตลาดเปิดกี่โมง", "คำของเจ้าหน้าที่เอง"):
            await db.execute(
                "INSERT INTO learned (entry_id, phrasing, added_by, added_at)"
                " VALUES ('forum', ?, 1, ?)",
                (phrasing, stamp),
            )
        await db.commit()
    store = await Store.open(path)
    try:
        rows = await store.query("SELECT phrasing, source_user FROM learned ORDER BY id")
        assert [r["source_user"] for r in rows] == [730311, 730312, None]
    finally:
        await store.close()


# ------------------------------------------------------------------ 3. forged input
FORGED = [
    "a:cx:" + "9" * 59,  # OverflowError in SQLite before
    "a:cx:²",  # ValueError in int() before: '²'.isdigit() is True
    "a:cx:๑",  # a Thai digit
    "a:cy:9223372036854775808",  # one past SQLite's largest integer
    "a:cy:-1",
    "a:cx:0",
    "a:cx:1:2",
    "a:n:" + "9" * 30,
    "a:ua:" + "9" * 25,
    "a:l:ev:" + "9" * 30,
    "a:l:zz:0",
    "a:d:Bad_ID:ev0",
    "a:d:" + "a" * 41 + ":ev0",
    "a:s:../../etc",
    "a:su:²",
    "a:su:" + "9" * 30,
    "a:pp:²",
    "a:fg:yes",
    "a:sb:everything",
    "a:ms:extra",
    "a:",
    "a:cx:1 ",
    "b" * 64,
]


async def test_forged_callbacks_get_the_old_button_message(env: BotEnv) -> None:
    user = 730401
    env.server.user(user)
    await sign_up(env, user, "forum")
    for data in FORGED:
        menu = last(await env.send(user, "/help"))
        await env.press(user, menu, data, force=True, until=texts.OLD_BUTTON)
        assert menu.text == texts.OLD_BUTTON, data
        assert texts.BTN_EVENTS in menu.button_texts(), data
    assert all(m.text != texts.ERROR for m in env.server.messages(user))
    # A well-formed id that is not theirs, or not there, is simply not found.
    menu = last(await env.send(user, "/help"))
    await env.press(user, menu, "a:cx:9223372036854775", force=True, until="ไม่พบการสมัครนี้")
    listing = last(await env.send(user, "/mysignups"))
    assert "เสวนาพัฒนาเมือง" in listing.text  # nothing forged cancelled it


async def test_a_callback_without_a_message_tells_its_owner_and_does_nothing(
    env: BotEnv,
) -> None:
    user = 730402
    env.server.user(user)
    await sign_up(env, user, "forum")
    (signup,) = (await table_rows(env.settings.db_path))["signups"]
    # What Telegram sends for a button on an inline-mode message: no message, no chat.
    query_id = await env.server.press_inline(user, f"a:cy:{signup['id']}")
    answer = await env.server.wait_for_callback_answer(query_id)
    assert answer["text"] == texts.OLD_BUTTON_ALERT and answer["show_alert"]
    (still,) = (await table_rows(env.settings.db_path))["signups"]
    assert still["status"] == "confirmed"


@pytest.mark.parametrize(
    "payload", ["signup_" + "x" * 60, "signup_²", "signup_../../etc", "signup_FORUM", "signup_"]
)
async def test_forged_deep_links_touch_nothing(env: BotEnv, payload: str) -> None:
    env.server.user(730403)
    reply = last(await env.send(730403, f"/start {payload}"))
    assert reply.text in (texts.SIGNUP_UNKNOWN, texts.start("Test")), reply.text
    rows = await table_rows(env.settings.db_path)
    assert rows["flows"] == [] and rows["people"] == []


# ------------------------------------------------------------------ 4. retention
async def seed_old_and_new(path: Path) -> None:
    store = await Store.open(path)
    try:
        now = utcnow()
        for text, days in (("คำถามเก่า 100 วัน", 100), ("คำถามเมื่อ 10 วันก่อน", 10)):
            await Questions(store).log(
                730501, text, "fallback", None, 0.1, at=now - timedelta(days)
            )
        await Questions(store).log(730502, "คำถามวันนี้", "answer", None, 0.9)
        flows = Flows(store)
        await flows.save(
            730501, FlowKind.SIGNUP, SignupStep.PHONE, {"entry": "forum", "name": "ทิ้งไว้"}
        )
        await flows.save(730502, FlowKind.SIGNUP, SignupStep.NAME, {"entry": "forum"})
        async with store.transaction() as db:
            stale = (now - timedelta(hours=2)).isoformat(timespec="seconds")
            await db.execute("UPDATE flows SET updated_at = ? WHERE user_id = 730501", (stale,))
    finally:
        await store.close()


async def wait_for_rows(path: Path, table: str, count: int) -> list[dict[str, object]]:
    for _ in range(100):
        rows = (await table_rows(path))[table]
        if len(rows) == count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{table}: {rows}")


async def test_retention_job_at_start_deletes_old_questions_and_abandoned_flows(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    db = tmp_path / "bot.sqlite3"
    await seed_old_and_new(db)
    async with start_bot(tmp_path, signup_kb) as env:
        questions = await wait_for_rows(db, "questions", 2)
        flows = await wait_for_rows(db, "flows", 1)
        assert [q["text"] for q in questions] == ["คำถามเมื่อ 10 วันก่อน", "คำถามวันนี้"]
        assert [f["user_id"] for f in flows] == [730502]
        # The notice residents read says the same as the setting.
        env.server.user(730503)
        notice = last(await env.send(730503, "/privacy"))
        assert "เก็บไว้ 90 วัน" in notice.text and "30 นาที" in notice.text


async def test_retention_period_is_a_setting(tmp_path: Path, signup_kb: Knowledge) -> None:
    db = tmp_path / "bot.sqlite3"
    await seed_old_and_new(db)
    async with start_bot(tmp_path, signup_kb, question_retention_days=7) as env:
        questions = await wait_for_rows(db, "questions", 1)
        assert [q["text"] for q in questions] == ["คำถามวันนี้"]
        env.server.user(730504)
        assert "เก็บไว้ 7 วัน" in last(await env.send(730504, "/privacy")).text


def test_retention_setting_from_the_environment() -> None:
    assert Settings.from_env({}).question_retention_days == 90
    assert Settings.from_env({"BOT_QUESTION_RETENTION_DAYS": "30"}).question_retention_days == 30
    for bad in ("0", "-5", "x", "²", "๓๐", "4000", "1.5"):
        with pytest.raises(ConfigError, match="BOT_QUESTION_RETENTION_DAYS"):
            Settings.from_env({"BOT_QUESTION_RETENTION_DAYS": bad})
