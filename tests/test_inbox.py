"""A person to reach, end to end: a resident leaves a question the bot could not answer for
the organisers in one tap; an organiser sees it in /inbox, replies in a short flow, and the
reply reaches the resident in Telegram (durably: resent after a crash)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import texts
from bot.app import build_application, running
from bot.config import Settings
from bot.handoffs import Handoffs
from bot.questions import Questions
from bot.store import Store, utcnow
from fakebot import LocalBotApi, SentMessage
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BANGKOK, ROOT, BotEnv, start_bot
from tests.test_e2e import AMBIGUOUS_KB
from tests.test_privacy import GROUP, in_group, open_group, table_rows
from tests.test_signup_e2e import last

# Out of the knowledge base's scope, with HTML a resident might type by accident.
QUESTION = "ถนน<b>หน้าบ้าน</b>พัง & น้ำท่วมขัง จะแจ้งใครได้บ้าง"
REPLY = "แจ้งเขตได้ที่ <i>ศูนย์ดำรงธรรม</i> & เราส่งเรื่องให้แล้วค่ะ"


async def fallback_for(env: BotEnv, user: int, question: str = QUESTION) -> SentMessage:
    """The resident asks what the bot cannot answer; returns the fallback message."""
    env.server.user(user)
    fallback = last(await env.send(user, question))
    assert fallback.text.startswith("ขออภัยค่ะ"), fallback.text
    assert texts.BTN_STAFF_ASK in fallback.button_texts()
    return fallback


async def leave(env: BotEnv, user: int, fallback: SentMessage) -> SentMessage:
    """Tap "ส่งคำถามถึงเจ้าหน้าที่"; returns the confirmation."""
    data = fallback.find_button(texts.BTN_STAFF_ASK)
    return last(await env.press(user, fallback, data, until="ส่งคำถามถึงเจ้าหน้าที่แล้วค่ะ"))


def organiser_messages(env: BotEnv, text: str) -> list[SentMessage]:
    return [m for m in env.server.messages(ADMIN_ID) if text in m.text]


async def test_a_question_left_for_staff_is_answered_in_telegram(env: BotEnv) -> None:
    resident = 731001
    fallback = await fallback_for(env, resident)
    data = fallback.find_button(texts.BTN_STAFF_ASK)
    confirmation = await leave(env, resident, fallback)
    assert confirmation.text == texts.plain(texts.staff_left(QUESTION, 90))
    assert QUESTION in confirmation.text  # the HTML they typed, shown as typed
    assert "ตอบกลับในแชตนี้ทาง Telegram" in confirmation.text and "/forgetme" in confirmation.text
    # The fallback (with the contact) stays, without the spent button; the menu is still there.
    assert texts.BTN_STAFF_ASK not in fallback.button_texts()
    assert texts.BTN_EVENTS in fallback.button_texts()
    # The organisers hear of it at once.
    await env.server.wait_idle(quiet=0.3)
    (notice,) = organiser_messages(env, "คำถามใหม่ถึงเจ้าหน้าที่")
    assert QUESTION in notice.text

    # A second tap on the same button stores and tells nothing new.
    again = last(await env.press(resident, fallback, data, force=True, until="ไว้แล้วค่ะ"))
    assert again.text == texts.STAFF_ALREADY
    await env.server.wait_idle(quiet=0.3)
    assert len(organiser_messages(env, "คำถามใหม่ถึงเจ้าหน้าที่")) == 1
    assert len((await table_rows(env.settings.db_path))["handoffs"]) == 1

    # The organiser's side: /inbox, "ตอบ", the reply.
    inbox = last(await env.send(ADMIN_ID, "/inbox"))
    assert inbox.text.startswith("📨 คำถามถึงเจ้าหน้าที่ รอตอบ 1 ข้อ")
    assert f"1. “{QUESTION}”" in inbox.text and "ถามเมื่อ" in inbox.text
    reply_data = inbox.find_button(texts.BTN_REPLY)
    compose = last(await env.press(ADMIN_ID, inbox, reply_data, until="พิมพ์คำตอบได้เลย"))
    assert QUESTION in compose.text
    resident_before = len(env.server.messages(resident))
    sent = await env.send(ADMIN_ID, REPLY, until="ส่งคำตอบถึงผู้ถามแล้ว")
    assert last(sent).text == texts.plain(texts.inbox_sent(QUESTION))

    # The resident receives it, marked as the staff's, exactly as typed.
    (answer,) = env.server.messages(resident)[resident_before:]
    assert answer.text == texts.plain(texts.staff_reply(QUESTION, REPLY))
    assert answer.text.startswith("💬 คำตอบจากเจ้าหน้าที่") and REPLY in answer.text
    (row,) = (await table_rows(env.settings.db_path))["handoffs"]
    assert row["state"] == "answered" and row["answered_by"] == ADMIN_ID
    assert row["answered_at"] is not None and row["reply"] == REPLY

    # Answered: out of /inbox; the old "ตอบ" says who answered; the next message is no reply.
    assert last(await env.send(ADMIN_ID, "/inbox")).text == texts.INBOX_EMPTY
    taken = last(await env.press(ADMIN_ID, inbox, reply_data, force=True, until="มีผู้ตอบแล้ว"))
    assert f"เจ้าหน้าที่ {ADMIN_ID}" in taken.text
    await env.send(ADMIN_ID, "ขอบคุณค่ะ")
    await env.server.wait_idle(quiet=0.5)
    assert len(env.server.messages(resident)) == resident_before + 1


async def test_none_of_these_offers_the_staff_button(tmp_path: Path) -> None:
    kb_file = tmp_path / "kb.yaml"
    kb_file.write_text(AMBIGUOUS_KB, encoding="utf-8")
    knowledge = Knowledge.load(kb_file, ROOT / "data" / "lexicon.yaml", BANGKOK)
    resident = 731002
    async with start_bot(tmp_path, knowledge) as env:
        env.server.user(resident)
        choices = last(await env.send(resident, "ผักปลอดสารพิษ"))
        assert choices.text == texts.DID_YOU_MEAN, choices.text
        assert texts.BTN_STAFF_ASK not in choices.button_texts()  # choices first
        await env.press(resident, choices, choices.find_button(texts.BTN_NONE))
        assert choices.text.startswith("ขออภัยค่ะ")
        confirmation = await leave(env, resident, choices)
        assert "“ผักปลอดสารพิษ”" in confirmation.text


async def test_a_follow_up_the_bot_cannot_answer_can_go_to_staff(env: BotEnv) -> None:
    resident = 731010
    env.server.user(resident)
    last(await env.send(resident, "เสวนาพัฒนาเมืองครั้งหน้า"))
    parking = last(await env.send(resident, "จอดรถได้ไหม"))
    assert "ยังไม่มีข้อมูลเรื่องที่จอดรถ" in parking.text
    confirmation = await leave(env, resident, parking)
    assert "“จอดรถได้ไหม”" in confirmation.text
    inbox = last(await env.send(ADMIN_ID, "/inbox"))
    assert "1. “จอดรถได้ไหม”" in inbox.text


async def test_only_organisers_in_their_private_chat_see_the_inbox(env: BotEnv) -> None:
    resident, stranger = 731003, 731004
    await leave(env, resident, await fallback_for(env, resident))
    env.server.user(stranger)
    assert last(await env.send(stranger, "/inbox")).text == texts.ADMIN_ONLY
    (handoff,) = (await table_rows(env.settings.db_path))["handoffs"]
    menu = last(await env.send(stranger, "/help"))
    forged = f"a:hr:{handoff['question_id']}"
    refused = await env.press(stranger, menu, forged, force=True, until=texts.ADMIN_ONLY)
    assert last(refused).text == texts.ADMIN_ONLY
    # Someone else's question cannot be left for staff by a forged tap either.
    other = await env.press(stranger, menu, f"a:hq:{handoff['question_id']}", force=True)
    assert last(other).text == texts.STAFF_GONE
    # Malformed data gets the old-button message.
    await env.press(stranger, menu, "a:hq:x1", force=True, until=texts.OLD_BUTTON)
    assert menu.text == texts.OLD_BUTTON
    # In a group, even an organiser's /inbox only points to the private chat.
    open_group(env.server)
    posted = await in_group(env, GROUP, ADMIN_ID, "/inbox")
    assert [m.text for m in posted] == [texts.PRIVATE_ONLY]
    assert QUESTION not in " ".join(m.text for m in env.server.messages(GROUP))
    (still,) = (await table_rows(env.settings.db_path))["handoffs"]
    assert still["state"] == "waiting"


async def test_a_resident_who_blocked_the_bot_is_reported_to_the_organiser(env: BotEnv) -> None:
    resident = 731005
    await leave(env, resident, await fallback_for(env, resident))
    env.server.block(resident)
    inbox = last(await env.send(ADMIN_ID, "/inbox"))
    await env.press(ADMIN_ID, inbox, inbox.find_button(texts.BTN_REPLY), until="พิมพ์คำตอบ")
    told = await env.send(ADMIN_ID, "ตอบแล้วค่ะ", until="บล็อกบอท")
    assert last(told).text == texts.plain(texts.inbox_blocked(QUESTION))
    (row,) = (await table_rows(env.settings.db_path))["handoffs"]
    assert row["state"] == "blocked"


async def test_a_deleted_question_gets_a_clear_message(env: BotEnv) -> None:
    resident = 731006
    fallback = await fallback_for(env, resident)
    data = fallback.find_button(texts.BTN_STAFF_ASK)
    await leave(env, resident, fallback)
    inbox = last(await env.send(ADMIN_ID, "/inbox"))
    ask = last(await env.send(resident, "/forgetme"))
    await env.press(resident, ask, ask.find_button(texts.BTN_FORGET_YES), until="ลบแล้ว")
    assert (await table_rows(env.settings.db_path))["handoffs"] == []
    gone = await env.press(resident, fallback, data, force=True, until="ถูกลบไปแล้ว")
    assert last(gone).text == texts.STAFF_GONE
    taken = await env.press(ADMIN_ID, inbox, inbox.find_button(texts.BTN_REPLY), until="ลบไปแล้ว")
    assert last(taken).text == texts.INBOX_GONE


async def test_retention_deletes_the_handoff_with_its_question(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        questions, handoffs = Questions(store), Handoffs(store)
        long_ago = utcnow() - timedelta(days=100)
        old = await questions.log(731007, "เก่า", "fallback", None, 0.1, at=long_ago)
        kept = await questions.log(731007, "ใหม่", "fallback", None, 0.1)
        assert await handoffs.leave(kept, 731007) == "left"
        assert await handoffs.leave(old, 731007) == "left"
        assert await handoffs.leave(old, 731007) == "already"
        assert await handoffs.leave(old, 731008) == "gone"  # not theirs
        assert await questions.purge(utcnow() - timedelta(days=90)) == 1
        assert await handoffs.get(old) is None
        rows = await store.query("SELECT question_id FROM handoffs")
        assert [r[0] for r in rows] == [kept]  # the newer one stays
        assert await handoffs.leave(old, 731007) == "gone"
    finally:
        await store.close()


async def test_a_reply_written_before_a_crash_is_sent_after_the_restart(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    resident = 731009
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        qid = await Questions(store).log(resident, QUESTION, "fallback", None, 0.1)
        handoffs = Handoffs(store)
        await handoffs.leave(qid, resident)
        assert await handoffs.reply(qid, ADMIN_ID, REPLY) is not None  # then the crash
    finally:
        await store.close()
    async with LocalBotApi(bot_username="kk_learning_bot") as server:
        server.user(ADMIN_ID)
        server.user(resident)
        settings = Settings(
            token=server.token,
            api_base_url=server.base_url,
            db_path=tmp_path / "bot.sqlite3",
            admin_ids=frozenset({ADMIN_ID}),
        )
        async with running(build_application(settings, signup_kb), poll_timeout=1):
            answer = await server.wait_for_message(resident, timeout=10)
            assert answer.text == texts.plain(texts.staff_reply(QUESTION, REPLY))
            told = await server.wait_for_message(
                ADMIN_ID, timeout=10, predicate=lambda m: "ส่งคำตอบถึงผู้ถามแล้ว" in m.text
            )
            assert QUESTION in told.text
            await server.wait_idle(quiet=0.5)
            assert len(server.messages(resident)) == 1  # once
            (row,) = (await table_rows(settings.db_path))["handoffs"]
            assert row["state"] == "answered"
        assert server.rejected == []
