"""Follow-up questions about the thing just shown: the reader (kb/followup.py) on its own,
then end to end through the fake Bot API, with the context kept in SQLite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.chat_context import CONTEXT_TTL
from bot.services import Services
from fakebot import SentMessage
from kb.followup import Field, FollowUp, read
from kb.knowledge import Knowledge
from tests.conftest import BANGKOK, BotEnv, start_bot
from tests.test_signup_e2e import sign_up

W, T, C, P, S, K, N = (Field.WHERE, Field.WHEN, Field.COST, Field.PARKING, Field.SIGNUP,
                       Field.CONTACT, Field.SEATS)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("จัดที่ไหน", (W,)),
        ("งานนี้จัดที่ไหนครับ", (W,)),
        ("ไปยังไง", (W,)),
        ("แผนที่", (W,)),
        ("กี่โมง", (T,)),
        ("วันไหนคะ", (T,)),
        ("เมื่อไหร่", (T,)),
        ("เสียเงินไหม", (C,)),
        ("ฟรีไหม", (C,)),
        ("กี่บาท", (C,)),
        ("จอดรถได้ไหม", (P,)),
        ("สมัครยังไง", (S,)),
        ("ติดต่อใคร", (K,)),
        ("ขอเบอร์หน่อยค่ะ", (K,)),
        ("เหลือที่ไหมคะ", (N,)),
        ("จัดที่ไหน กี่โมง", (W, T)),
        # Isan
        ("อยู่ไส", (W,)),
        ("จักโมง", (T,)),
        ("เสียเงินบ่", (C,)),
        ("มื้อใด", (T,)),
        ("ไปจั่งใด๋", (W,)),
        ("สมัครจั่งใด๋", (S,)),
        ("เสียตังไหม", (C,)),
        ("มีที่นั่งเหลือไหม", (N,)),
        # English
        ("Where is it?", (W,)),
        ("what time", (T,)),
        ("how much is it", (C,)),
        ("is there parking", (P,)),
        ("how do I sign up", (S,)),
    ],
)
def test_a_short_follow_up_is_read_with_what_it_asks(text: str, fields: tuple[Field, ...]) -> None:
    assert read(text) == FollowUp(fields)


@pytest.mark.parametrize(
    ("text", "ordinal", "fields"),
    [
        ("อันที่สอง", 2, ()),
        ("อันที่ 2", 2, ()),
        ("อันที่ ๓", 3, ()),
        ("อันแรก", 1, ()),
        ("อันสุดท้าย", -1, ()),
        ("เบอร์ 3", 3, ()),
        ("ข้อ 4 ค่ะ", 4, ()),
        ("the 2nd one", 2, ()),
        ("second", 2, ()),
        ("number 3", 3, ()),
        ("2", 2, ()),
        ("อันที่สองจัดที่ไหน", 2, (W,)),
        ("ขอดูอันที่สองค่ะ", 2, ()),
    ],
)
def test_an_ordinal_after_a_list_is_read(
    text: str, ordinal: int, fields: tuple[Field, ...]
) -> None:
    assert read(text) == FollowUp(fields, ordinal)


@pytest.mark.parametrize(
    "text",
    [
        # A question with its own subject goes to the matcher.
        "ตลาดจอมพลจัดที่ไหน",
        "ปลูกผักที่ตลาดจอมพลสมัครยังไง",
        "where is the vegetable market",
        "เดือนนี้มีกิจกรรมอะไร",
        "มีงานอะไรบ้าง",
        # Small talk, quantities, laughter: no field, no ordinal.
        "สวัสดีครับ",
        "ขอบคุณค่ะ",
        "555",
        "5555",
        "ไหม",
        "สองคน",
        "ok",
        "",
        "จัดที่ไหน " * 10,  # long: says enough to be matched
    ],
)
def test_anything_else_is_no_follow_up(text: str) -> None:
    assert read(text) is None


# ------------------------------------------------------------------ end to end
USER = 7101
FORUM_WHEN = "วันศุกร์ที่ 20 ธันวาคม 2573 เวลา 13.00–16.30 น."


def last(messages: list[SentMessage]) -> SentMessage:
    assert messages, "the bot sent nothing"
    return messages[-1]


async def test_follow_ups_after_an_answer_are_about_its_entry(env: BotEnv) -> None:
    env.server.user(USER, first_name="สมศรี")
    answer = last(await env.send(USER, "เสวนาพัฒนาเมืองครั้งหน้า"))
    assert "เสวนาพัฒนาเมือง" in answer.text

    where = last(await env.send(USER, "จัดที่ไหนคะ"))
    assert where.text == "เสวนาพัฒนาเมือง\n📍 โรงแรมโฆษะ"
    assert where.button_texts()[0] == "📝 สมัคร"  # still open: sign up right there

    when = last(await env.send(USER, "กี่โมง"))
    assert when.text == f"เสวนาพัฒนาเมือง\n📅 {FORUM_WHEN}"

    parking = last(await env.send(USER, "จอดรถได้ไหม"))
    assert parking.text == (
        f"เสวนาพัฒนาเมือง\nยังไม่มีข้อมูลเรื่องที่จอดรถของงานนี้ค่ะ 🙏\nสอบถามได้ที่ {env.settings.contact}"
    )
    # Never invented: the question waits for the organisers, a tap away from a person.
    assert parking.button_texts()[0] == texts.BTN_STAFF_ASK
    latest = (await Services.of(env.app).r.questions.recent("fallback", limit=1))[0]
    assert (latest.text, latest.top_id) == ("จอดรถได้ไหม", "forum")

    seats = last(await env.send(USER, "เหลือที่ไหม"))
    assert seats.text == "เสวนาพัฒนาเมือง\n🪑 ยังเหลือที่ว่าง 80 ที่ค่ะ"

    # A question about something else is the matcher's, and becomes the new context.
    other = last(await env.send(USER, "งานเฉพาะผู้ได้รับเชิญ"))
    assert other.text.startswith("งานเฉพาะผู้ได้รับเชิญ")
    where = last(await env.send(USER, "อยู่ไส"))  # it has no location: said, not invented
    assert where.text.startswith("งานเฉพาะผู้ได้รับเชิญ\nยังไม่มีข้อมูลเรื่องสถานที่")
    signup = last(await env.send(USER, "how do I sign up"))  # not open through the bot
    assert signup.text.startswith("งานเฉพาะผู้ได้รับเชิญ\nยังไม่มีข้อมูลเรื่องการสมัคร")
    assert "📝 สมัคร" not in signup.button_texts()


async def test_an_ordinal_after_a_list_shows_that_entry(env: BotEnv) -> None:
    env.server.user(USER, first_name="สมศรี")
    listing = last(await env.send(USER, "/events"))
    assert "2. เสวนาพัฒนาเมือง" in listing.text

    second = last(await env.send(USER, "อันที่สอง"))
    assert second.text.startswith("เสวนาพัฒนาเมือง\n📅 ")
    assert "📍 โรงแรมโฆษะ" in second.text and "📝 สมัคร" in second.button_texts()

    # The list still counts: "กี่โมง" is about the one picked, "อันที่ 3" is the next pick.
    when = last(await env.send(USER, "กี่โมง"))
    assert when.text == f"เสวนาพัฒนาเมือง\n📅 {FORUM_WHEN}"
    third = last(await env.send(USER, "the 3rd one"))
    assert third.text.startswith("วันครอบครัวเรียนรู้")

    beyond = last(await env.send(USER, "อันที่ 9"))
    assert beyond.text == "รายการล่าสุดมี 4 เรื่องค่ะ พิมพ์ “อันที่ 1” ถึง “อันที่ 4” ได้เลย"

    # A list with none picked yet: a field question asks which one.
    await env.send(USER, "/events")
    which = last(await env.send(USER, "จัดที่ไหน"))
    assert which.text.startswith("หมายถึงงานไหนคะ?")


async def test_a_follow_up_without_context_goes_to_the_matcher(env: BotEnv) -> None:
    env.server.user(USER, first_name="สมศรี")
    reply = last(await env.send(USER, "อันที่สอง"))
    assert "หมายถึงงานไหน" not in reply.text and "รายการล่าสุด" not in reply.text
    assert not reply.text.startswith("เสวนาพัฒนาเมือง")


async def test_the_context_survives_a_restart_and_then_expires(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, signup_kb) as env:
        env.server.user(USER, first_name="สมศรี")
        await env.send(USER, "เสวนาพัฒนาเมืองครั้งหน้า")
    async with start_bot(tmp_path, signup_kb) as env:  # the same SQLite file
        env.server.user(USER, first_name="สมศรี")
        where = last(await env.send(USER, "จัดที่ไหน"))
        assert where.text == "เสวนาพัฒนาเมือง\n📍 โรงแรมโฆษะ"

        services = Services.of(env.app)
        later = services.clock() + CONTEXT_TTL + timedelta(minutes=1)
        services.clock = lambda: later
        stale = last(await env.send(USER, "จัดที่ไหน"))
        assert "โรงแรมโฆษะ" not in stale.text  # the matcher's answer, not the old entry's


async def test_who_to_contact_carries_the_organisers_phone(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, signup_kb, contact_phone="+6643123456") as env:
        env.server.user(USER, first_name="สมศรี")
        await env.send(USER, "เสวนาพัฒนาเมืองครั้งหน้า")
        who = last(await env.send(USER, "ติดต่อใครคะ"))
        assert who.text == (
            f"เสวนาพัฒนาเมือง\n☎️ ติดต่อ: {env.settings.contact}\n"
            f"{texts.contact_reach(env.settings.contact_fields()[1], None, None)}"
        )
        assert "043" in who.text


async def test_a_follow_up_after_a_reminder_is_about_its_event(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, signup_kb, reminder_interval=0.2) as env:
        services = Services.of(env.app)
        clock = {"now": datetime(2030, 12, 1, 12, 0, tzinfo=BANGKOK)}
        services.clock = lambda: clock["now"]
        env.server.user(USER, first_name="สมศรี")
        await sign_up(env, USER, "forum")  # 20 Dec 2030 13.00, โรงแรมโฆษะ
        before = len(env.server.messages(USER))
        clock["now"] = datetime(2030, 12, 19, 9, 0, tzinfo=BANGKOK)  # the day-before reminder
        for _ in range(50):  # the job's rounds, and the chat's pacing after the sign-up
            if env.server.messages(USER)[before:]:
                break
            await asyncio.sleep(0.1)
        (reminder,) = env.server.messages(USER)[before:]
        assert reminder.text.startswith("⏰ พรุ่งนี้")
        where = last(await env.send(USER, "ไปยังไงคะ"))
        assert where.text == "เสวนาพัฒนาเมือง\n📍 โรงแรมโฆษะ"
        # Two hours after the reminder the conversation has moved on.
        clock["now"] += CONTEXT_TTL + timedelta(hours=1)
        assert "โรงแรมโฆษะ" not in last(await env.send(USER, "ไปยังไงคะ")).text
