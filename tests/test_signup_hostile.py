"""The sign-up flow as a careless or hostile resident uses it, end to end through the local Bot
API: replies that fail, questions typed as names, other people's contact cards, double taps
and edited messages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot import texts
from bot.store import Store
from fakebot import LocalBotApi, SentMessage
from handlers.signup import NOTICE_INTERVAL
from tests.conftest import BotEnv


def last(messages: list[SentMessage]) -> SentMessage:
    assert messages, "the bot sent nothing"
    return messages[-1]


async def query(env: BotEnv, sql: str, *args: object) -> list[tuple[Any, ...]]:
    store = await Store.open(env.settings.db_path)
    try:
        return [tuple(r) for r in await store.query(sql, args)]
    finally:
        await store.close()


async def step(env: BotEnv, user: int) -> str | None:
    found = await query(env, "SELECT step FROM flows WHERE user_id = ?", user)
    return found[0][0] if found else None


async def at_name_step(env: BotEnv, user: int, entry: str = "forum") -> SentMessage:
    consent = last(await env.send(user, f"/start signup_{entry}"))
    ask_name = last(await env.press(user, consent, consent.find_button("✅ ยินยอม")))
    assert "ชื่อ-นามสกุล" in ask_name.text
    return ask_name


async def until(server: LocalBotApi, condition: Callable[[], bool]) -> None:
    """Wait for what the bot does next (its replies to one chat are paced), then for quiet."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the bot did not answer in time"
        await asyncio.sleep(0.05)
    await server.wait_idle(quiet=0.5)


async def refused(server: LocalBotApi, count: int) -> None:
    """Wait until the bot has met `count` injected failures (the error notice is paced)."""
    await until(server, lambda: len(server.injected_failures) >= count)


async def answers(
    env: BotEnv, user: int, before: int, until: str | None = None
) -> list[SentMessage]:
    """The bot's messages to the user after the first `before` ones, once it has answered."""
    return await env._settle(user, before, until)


async def test_a_reply_that_fails_keeps_the_step_and_never_becomes_a_question(
    env: BotEnv,
) -> None:
    env.server.user(101)
    await at_name_step(env, 101)
    # Telegram refuses the next replies (the phone question, then the error notice): the
    # typed name must not fall through to the question handler.
    env.server.fail_next("sendMessage", 400, count=2, description="Bad Request: injected")
    await env.server.send_text(101, "สมหมาย ใจงาม")
    await refused(env.server, 2)
    assert await query(env, "SELECT text FROM questions") == []
    assert await step(env, 101) == "name"  # kept: the resident did not see the next question
    ask_phone = last(await env.send(101, "สมหมาย ใจงาม"))
    assert "เบอร์โทร" in ask_phone.text
    # The same at the phone step: a refused reply keeps the phone out of the questions.
    env.server.fail_next("sendMessage", 400, count=2, description="Bad Request: injected")
    await env.server.send_text(101, "0812345678")
    await refused(env.server, 4)
    assert await query(env, "SELECT text FROM questions") == []
    assert await step(env, 101) == "phone"
    done = last(await env.send(101, "0812345678", until="/mysignups"))
    assert "สมัครเรียบร้อยแล้ว" in done.text and "สมหมาย ใจงาม" in done.text


async def test_questions_and_commands_are_not_names(env: BotEnv) -> None:
    env.server.user(102)
    await at_name_step(env, 102)
    for question in ("ค่ายเยาวชนจัดที่ไหน", "สมัครได้ถึงวันไหนคะ", "มีที่จอดรถไหมครับ", "ฟรีไหม?"):
        replies = await env.send(102, question, until="ไม่ได้บันทึกเป็นชื่อ")
        assert replies[-1].text == texts.not_a_name(texts.HINT_NAME).replace("<b>", "")
        assert await step(env, 102) == "name"
    # A confident knowledge-base match is answered, and is not a name either.
    replies = await env.send(102, "เสวนาพัฒนาเมืองครั้งหน้า", until="ไม่ได้บันทึกเป็นชื่อ")
    assert replies[0].text.startswith("เสวนาพัฒนาเมือง")
    assert last(await env.send(102, "/ชื่อ")).text == texts.NAME_COMMAND
    for bad in ("ก", "t.me/scam_bot", "😀😀😀", "\u200b\u200b", "https://scam.example"):
        assert last(await env.send(102, bad)).text == texts.BAD_NAME, bad
    assert await query(env, "SELECT name FROM people") == []
    # Nicknames that look like question words alone are still names.
    ask_phone = last(await env.send(102, "น้องไหม"))
    assert "เบอร์โทร" in ask_phone.text
    done = last(await env.send(102, "0812345678", until="/mysignups"))
    assert "👤 น้องไหม" in done.text


async def test_profile_name_follows_the_same_rules(env: BotEnv) -> None:
    for user, profile in ((103, "t.me/scam_bot"), (104, "😀😀😀"), (105, "ก"), (106, "\u200b")):
        env.server.user(user, first_name=profile)
        ask_name = await at_name_step(env, user)
        assert ask_name.button_texts() == [], profile  # not offered
        # A forged or old button is refused the same way, and the step stays.
        replies = await env.press(user, ask_name, "a:nm", force=True)
        assert last(replies).text == texts.BAD_PROFILE_NAME
        assert await step(env, user) == "name"
    assert await query(env, "SELECT name FROM people") == []


async def test_only_the_residents_own_contact_card(env: BotEnv) -> None:
    env.server.user(107, first_name="บุญมี", last_name="มีสุข")
    ask_name = await at_name_step(env, 107)
    await env.press(107, ask_name, ask_name.find_button("บุญมี มีสุข"), until="เบอร์โทร")
    # A friend's card, and a card typed into the address book (no Telegram account).
    before = len(env.server.messages(107))
    await env.server.send_contact(107, "0899999999", "เพื่อน", user_id=555)
    assert last(await answers(env, 107, before)).text == texts.CONTACT_NOT_YOURS
    before = len(env.server.messages(107))
    await env.server.send_contact(107, "0899999999", "เพื่อน")
    assert last(await answers(env, 107, before)).text == texts.CONTACT_NOT_YOURS
    assert await step(env, 107) == "phone"
    done = last(await env.share_contact(107, "66891112222", until="/mysignups"))
    assert "089-111-2222" in done.text and "089-999" not in done.text


async def test_double_taps_never_say_expired_while_the_flow_goes_on(env: BotEnv) -> None:
    env.server.user(108, first_name="สมศรี", last_name="ใจดี")
    consent = last(await env.send(108, "/start signup_family-day"))
    yes = consent.find_button("✅ ยินยอม")
    before = len(env.server.messages(108))
    for _ in range(2):
        await env.server.press(108, consent.message_id, yes)
    await until(env.server, lambda: consent.edit_count > 0)
    assert consent.text.endswith("✅ ยินยอมแล้ว")
    asked = [m for m in env.server.messages(108)[before:] if "ชื่อ-นามสกุล" in m.text]
    assert len(asked) == 1
    ask_name = asked[0]
    profile = ask_name.find_button("สมศรี ใจดี")
    for _ in range(2):
        await env.server.press(108, ask_name.message_id, profile)
    await until(env.server, lambda: ask_name.edit_count > 0)
    assert texts.FLOW_EXPIRED not in ask_name.text
    assert [m.text for m in env.server.messages(108)].count(texts.plain(texts.ASK_PHONE)) == 1
    assert await step(env, 108) == "phone"
    ask_people = last(await env.send(108, "0812345678", until="ไปกี่คน"))
    two = ask_people.find_button("2")
    for _ in range(2):
        await env.server.press(108, ask_people.message_id, two)
    await until(env.server, lambda: ask_people.edit_count > 0)
    assert texts.FLOW_EXPIRED not in ask_people.text
    assert "คุณสมัครแล้ว" in ask_people.text or "สมัครเรียบร้อยแล้ว" in ask_people.text
    assert await query(env, "SELECT people, status FROM signups WHERE user_id = 108") == [
        (2, "confirmed")
    ]
    # "Yes, cancel" twice: cancelled stays cancelled.
    listing = last(await env.send(108, "/mysignups"))
    await env.press(108, listing, listing.find_button("❌ ยกเลิก"))
    sure = listing.find_button("ยืนยันยกเลิก")
    edits = listing.edit_count
    for _ in range(2):
        await env.server.press(108, listing.message_id, sure, force=True)
    await until(env.server, lambda: listing.edit_count > edits)
    assert listing.text.startswith("ยกเลิกการสมัคร วันครอบครัวเรียนรู้ แล้วค่ะ")


async def test_an_edited_question_is_answered_once(env: BotEnv) -> None:
    env.server.user(109)
    sent = await env.server.send_text(109, "เสวนาพัฒนาเมืองครั้งหน้า")
    await env.server.wait_idle(quiet=0.5)
    answers = len(env.server.messages(109))
    assert answers >= 1
    await env.server.edit_text(109, sent["message_id"], "อบรมปลูกผักรอบเล็ก")
    await env.server.wait_idle(quiet=0.8)
    assert len(env.server.messages(109)) == answers
    assert len(await query(env, "SELECT text FROM questions WHERE user_id = 109")) == 1


async def test_editing_the_name_at_the_phone_step_replaces_it(env: BotEnv) -> None:
    env.server.user(110)
    earlier = await env.server.send_text(110, "สวัสดี")
    await env.server.wait_idle(quiet=0.3)
    await at_name_step(env, 110)
    typed = await env.server.send_text(110, "สมใจ")
    await env.server.wait_for_message(110, predicate=lambda m: m.text.startswith("📱 ขอเบอร์"))
    before = len(env.server.messages(110))
    await env.server.edit_text(110, typed["message_id"], "สมใจ รักดี")
    replies = await answers(env, 110, before)
    assert [m.text for m in replies] == ["✏️ แก้ชื่อเป็น “สมใจ รักดี” แล้วค่ะ"]
    assert await step(env, 110) == "phone"
    # An edit that is no name keeps the old one; an older message edited is left alone.
    before = len(env.server.messages(110))
    await env.server.edit_text(110, typed["message_id"], "t.me/x_bot")
    assert "ยังใช้ชื่อ “สมใจ รักดี”" in last(await answers(env, 110, before)).text
    before = len(env.server.messages(110))
    await env.server.edit_text(110, earlier["message_id"], "สวัสดีครับ")
    assert last(await answers(env, 110, before)).text == texts.EDIT_IGNORED
    done = last(await env.send(110, "0812345678", until="/mysignups"))
    assert "👤 สมใจ รักดี" in done.text
    texts_seen = [m.text for m in env.server.messages(110)]
    assert not any(t.startswith("เบอร์นี้ไม่ถูกต้อง") for t in texts_seen)
    # A mistyped phone, corrected by editing it, is read again.
    env.server.user(111)
    await at_name_step(env, 111)
    await env.send(111, "มานี มีนา", until="📱 ขอเบอร์")
    wrong = await env.server.send_text(111, "081-234-567")
    await env.server.wait_for_message(111, predicate=lambda m: m.text == texts.BAD_PHONE)
    before = len(env.server.messages(111))
    await env.server.edit_text(111, wrong["message_id"], "081-234-5678")
    done = last(await answers(env, 111, before, until="/mysignups"))
    assert "สมัครเรียบร้อยแล้ว" in done.text and "081-234-5678" in done.text


async def test_a_confirmation_that_cannot_replace_the_tapped_message_arrives_anew(
    env: BotEnv,
) -> None:
    """The answer to a tap replaces the tapped message; when Telegram refuses the edit (a
    message too old to edit), the outbox sends it as a new message instead of losing it."""
    env.server.user(112)
    await at_name_step(env, 112)
    await env.send(112, "ทองคำ ดีงาม", until="📱 ขอเบอร์")
    await env.send(112, "0812345678", until="/mysignups")
    offer = last(await env.send(112, "/start signup_ws-small"))
    assert "ด้วยข้อมูลเดิมนี้ไหมคะ" in offer.text
    env.server.fail_next("editMessageText", 400, description="Bad Request: message can't be edited")
    replies = await env.press(112, offer, offer.find_button("ยืนยันสมัคร"), until="/mysignups")
    assert last(replies).text.startswith("✅ สมัครเรียบร้อยแล้ว\nอบรมปลูกผัก รอบเล็ก")
    assert await query(env, "SELECT COUNT(*) FROM outbox") == [(0,)]


async def test_an_undelivered_confirmation_is_sent_by_the_next_round(env: BotEnv) -> None:
    """Telegram refuses both the in-place edit and the new message: the confirmation stays in
    the outbox and the periodic round sends it (within NOTICE_INTERVAL seconds)."""
    env.server.user(113)
    await at_name_step(env, 113)
    await env.send(113, "ทองใบ ดีงาม", until="📱 ขอเบอร์")
    await env.send(113, "0812345678", until="/mysignups")
    offer = last(await env.send(113, "/start signup_ws-small"))
    env.server.fail_next("editMessageText", 400, description="Bad Request: injected")
    env.server.fail_next("sendMessage", 400, description="Bad Request: injected")
    await env.server.press(113, offer.message_id, offer.find_button("ยืนยันสมัคร"))
    await refused(env.server, 2)
    assert await query(env, "SELECT kind, attempts FROM outbox") == [("confirmed", 1)]
    deadline = time.monotonic() + NOTICE_INTERVAL + 15
    done = "✅ สมัครเรียบร้อยแล้ว\nอบรมปลูกผัก"
    while not any(m.text.startswith(done) for m in env.server.messages(113)):
        assert time.monotonic() < deadline, env.server.describe_chat(113)
        await asyncio.sleep(0.2)
    assert await query(env, "SELECT COUNT(*) FROM outbox") == [(0,)]
