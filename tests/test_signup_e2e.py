"""Sign-ups end to end: what a resident sees in Telegram, and what lands in SQLite."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot import texts
from bot.people import People
from bot.signups import Signups, Status
from bot.store import Store
from fakebot import SentMessage
from kb.knowledge import Knowledge
from tests.conftest import BotEnv, start_bot


async def rows(env: BotEnv, entry_id: str) -> list[tuple[int, str]]:
    store = await Store.open(env.settings.db_path)
    try:
        return [(s.user_id, s.status.value) for s in await Signups(store).for_entry(entry_id)]
    finally:
        await store.close()


def last(messages: list[SentMessage]) -> SentMessage:
    assert messages, "the bot sent nothing"
    return messages[-1]


async def sign_up(
    env: BotEnv, user: int, entry: str, name: str = "สมศรี ใจดี", phone: str = "081-234-5678"
) -> SentMessage:
    """The first-time flow with consent, typing name and phone; returns the result message."""
    consent = last(await env.send(user, f"/start signup_{entry}"))
    assert "พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล" in consent.text
    ask_name = last(await env.press(user, consent, consent.find_button("✅ ยินยอม")))
    assert "ชื่อ-นามสกุล" in ask_name.text
    ask_phone = last(await env.send(user, name))
    assert "เบอร์โทร" in ask_phone.text
    return last(await env.send(user, phone, until="/mysignups"))


async def test_first_sign_up_with_consent_and_typed_phone(env: BotEnv) -> None:
    env.server.user(1, first_name="สมศรี")
    details = await env.say(1, "เสวนาพัฒนาเมืองครั้งหน้า")
    assert texts.BTN_SIGNUP in details.button_texts()
    consent = last(await env.press(1, details, details.find_button("สมัคร")))
    assert "เก็บ: ชื่อ เบอร์โทร" in consent.text and "/forgetme" in consent.text
    ask_name = last(await env.press(1, consent, consent.find_button("✅ ยินยอม")))
    assert ask_name.button_texts() == ["ใช้ชื่อ “สมศรี”"]
    ask_phone = last(await env.send(1, "สมศรี ใจดี"))
    keyboard = ask_phone.reply_markup or {}
    assert keyboard.get("keyboard") == [[{"text": texts.BTN_SHARE_PHONE, "request_contact": True}]]
    replies = await env.send(1, "081-234-5678", until="/mysignups")
    assert replies[0].text == "✅ บันทึกเบอร์ 081-234-5678 แล้วค่ะ"
    done = replies[-1]
    assert done.text.startswith("✅ สมัครเรียบร้อยแล้ว\nเสวนาพัฒนาเมือง")
    assert "วันศุกร์ที่ 20 ธันวาคม 2573 เวลา 13.00–16.30 น." in done.text
    assert "โรงแรมโฆษะ" in done.text and "สมศรี ใจดี" in done.text
    assert await rows(env, "forum") == [(1, "confirmed")]


async def test_profile_name_and_shared_contact(env: BotEnv) -> None:
    env.server.user(2, first_name="บุญมี", last_name="มีสุข")
    consent = last(await env.send(2, "/start signup_forum"))
    ask_name = last(await env.press(2, consent, consent.find_button("✅ ยินยอม")))
    ask_phone = last(await env.press(2, ask_name, ask_name.find_button("บุญมี มีสุข"), until="เบอร์โทร"))
    assert "เบอร์โทร" in ask_phone.text
    done = last(await env.share_contact(2, "66891112222", until="/mysignups"))
    assert "สมัครเรียบร้อยแล้ว" in done.text and "บุญมี มีสุข" in done.text
    assert "089-111-2222" in done.text


async def test_invalid_numbers_get_a_clear_answer_and_the_question_again(env: BotEnv) -> None:
    env.server.user(3)
    consent = last(await env.send(3, "/start signup_forum"))
    await env.press(3, consent, consent.find_button("✅ ยินยอม"))
    await env.send(3, "ทองดี")
    for bad in ("12345", "081-234-567", "0112345678"):
        reply = last(await env.send(3, bad))
        assert reply.text == texts.BAD_PHONE
    done = last(await env.send(3, "+66 81 234 5678", until="/mysignups"))
    assert "สมัครเรียบร้อยแล้ว" in done.text and "081-234-5678" in done.text


async def test_returning_resident_uses_saved_details_and_cannot_sign_up_twice(env: BotEnv) -> None:
    env.server.user(4)
    await sign_up(env, 4, "forum")
    again = last(await env.send(4, "/start signup_forum"))
    assert again.text.startswith("ℹ️ คุณสมัครแล้ว")
    offer = last(await env.send(4, "/start signup_ws-small"))
    assert "ด้วยข้อมูลเดิมนี้ไหมคะ" in offer.text and "081-234-5678" in offer.text
    await env.press(4, offer, offer.find_button("ยืนยันสมัคร"), until="/mysignups")
    assert "สมัครเรียบร้อยแล้ว" in offer.text  # the question became the answer: no button left
    # A second tap on the confirmation (its keyboard is already gone) changes nothing.
    await env.press(4, offer, "a:ok:ws-small", force=True)
    assert offer.text.startswith("ℹ️ คุณสมัครแล้ว")
    assert await rows(env, "ws-small") == [(4, "confirmed")]


async def test_waitlist_then_promotion_after_cancellation(env: BotEnv) -> None:
    for user in (5, 6, 7):
        env.server.user(user)
    assert "สมัครเรียบร้อยแล้ว" in (await sign_up(env, 5, "ws-small")).text
    second = await sign_up(env, 6, "ws-small")
    assert second.text.startswith("🕒 รายชื่อสำรอง ลำดับที่ 1")
    third = await sign_up(env, 7, "ws-small")
    assert "ลำดับที่ 2" in third.text

    listing = last(await env.send(5, "/mysignups"))
    assert "อบรมปลูกผัก รอบเล็ก" in listing.text and "ยืนยันแล้ว" in listing.text
    await env.press(5, listing, listing.find_button("❌ ยกเลิก"))
    assert listing.text.startswith("ยกเลิกการสมัคร") and listing.text.endswith("ใช่ไหมคะ?")
    await env.press(5, listing, listing.find_button("ยืนยันยกเลิก"))
    assert listing.text.startswith("ยกเลิกการสมัคร อบรมปลูกผัก รอบเล็ก แล้วค่ะ")
    await env.server.wait_idle(quiet=0.2)
    told = env.server.messages(6)[-1]
    assert told.text.startswith("🎉 มีที่ว่างแล้วค่ะ") and "สมัครเรียบร้อยแล้ว" in told.text
    assert sorted(await rows(env, "ws-small")) == [
        (5, "cancelled"),
        (6, "confirmed"),
        (7, "waitlist"),
    ]
    mine = last(await env.send(7, "/mysignups"))
    assert "สำรองลำดับที่ 1" in mine.text


async def test_keep_signup_when_cancel_is_not_confirmed(env: BotEnv) -> None:
    env.server.user(8)
    await sign_up(env, 8, "forum")
    listing = last(await env.send(8, "/mysignups"))
    await env.press(8, listing, listing.find_button("❌ ยกเลิก"))
    await env.press(8, listing, listing.find_button("ไม่ยกเลิก"))
    assert listing.text == texts.CANCEL_KEPT
    assert await rows(env, "forum") == [(8, "confirmed")]


async def test_mysignups_shows_data_and_forgetme_deletes_it(env: BotEnv) -> None:
    env.server.user(9)
    empty = last(await env.send(9, "/mysignups"))
    assert empty.text == texts.MY_SIGNUPS_EMPTY
    await sign_up(env, 9, "forum", name="มาลี")
    listing = last(await env.send(9, "/mysignups"))
    assert "ข้อมูลของคุณ: 👤 มาลี · 📱 081-234-5678" in listing.text
    ask = last(await env.send(9, "/forgetme"))
    await env.press(9, ask, ask.find_button("ลบข้อมูลทั้งหมด"))
    assert ask.text.startswith("🗑 ลบแล้วค่ะ: ชื่อและเบอร์โทร, การสมัคร 1 รายการ")
    assert await rows(env, "forum") == []
    again = last(await env.send(9, "/mysignups"))
    assert again.text == texts.MY_SIGNUPS_EMPTY
    # Next time, consent is asked again: nothing was kept.
    consent = last(await env.send(9, "/start signup_forum"))
    assert "พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล" in consent.text


async def test_declining_consent_stores_nothing(env: BotEnv) -> None:
    env.server.user(10)
    consent = last(await env.send(10, "/start signup_forum"))
    await env.press(10, consent, consent.find_button("ไม่ยินยอม"))
    assert consent.text == texts.CONSENT_DECLINED
    store = await Store.open(env.settings.db_path)
    try:
        assert await People(store).get(10) is None
        assert await store.query("SELECT * FROM flows WHERE user_id = 10") == []
    finally:
        await store.close()


async def test_cancel_mid_flow_and_questions_in_the_middle(env: BotEnv) -> None:
    env.server.user(11)
    consent = last(await env.send(11, "/start signup_forum"))
    await env.press(11, consent, consent.find_button("✅ ยินยอม"))
    await env.send(11, "ทองใบ")
    # A question instead of a phone number: answered, then reminded of the flow.
    replies = await env.send(11, "อบรมปลูกผักรอบเล็ก", until="ยังสมัครค้างอยู่")
    assert replies[0].text.startswith("อบรมปลูกผัก รอบเล็ก")
    assert replies[-1].text.startswith("⏸ ยังสมัครค้างอยู่")
    # Another command works in the middle, and the flow is still there.
    assert last(await env.send(11, "/events")).text.startswith("📅 งานที่กำลังจะมา")
    bye = last(await env.send(11, "/cancel"))
    assert bye.text == texts.FLOW_CANCELLED
    assert (bye.reply_markup or {}).get("remove_keyboard") is True  # the phone keyboard goes
    # The phone typed now is just a question: nothing is signed up.
    await env.send(11, "0812345678")
    assert await rows(env, "forum") == []
    assert last(await env.send(11, "/cancel")).text == texts.NOTHING_TO_CANCEL


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("signup_past-forum", texts.SIGNUP_PAST),
        ("signup_closed-talk", texts.SIGNUP_CLOSED),
        ("signup_no-such-thing", texts.SIGNUP_UNKNOWN),
        ("signup_BAD!!", texts.SIGNUP_UNKNOWN),
    ],
)
async def test_entries_that_cannot_be_signed_up_for(
    env: BotEnv, payload: str, expected: str
) -> None:
    env.server.user(12)
    assert last(await env.send(12, f"/start {payload}")).text == expected


async def test_forged_callbacks(env: BotEnv) -> None:
    env.server.user(13)
    env.server.user(14)
    await sign_up(env, 13, "forum")
    menu = await env.say(14, "/start")
    theirs = (await rows(env, "forum"))[0]
    assert theirs[0] == 13
    store = await Store.open(env.settings.db_path)
    try:
        signup_id = (await Signups(store).of_user(13))[0].id
    finally:
        await store.close()
    for data, expected in [
        (f"a:cy:{signup_id}", texts.SIGNUP_NOT_FOUND),  # someone else's sign-up
        (f"a:cx:{signup_id}", texts.SIGNUP_NOT_FOUND),
        ("a:su:past-forum", texts.SIGNUP_PAST),
        ("a:cs:y", texts.FLOW_EXPIRED),  # no flow in progress
        ("a:pp:99", texts.FLOW_EXPIRED),
    ]:
        before = len(env.server.messages(14))
        await env.press(14, menu, data, until=expected, force=True)
        seen = [menu.text] + [m.text for m in env.server.messages(14)[before:]]
        assert expected in seen, (data, seen)
    assert await rows(env, "forum") == [(13, "confirmed")]


async def test_html_in_a_name_is_shown_literally(env: BotEnv) -> None:
    env.server.user(15)
    done = await sign_up(env, 15, "forum", name="<b>สมชาย</b> & ลูก")
    assert "<b>สมชาย</b> & ลูก" in done.text


async def test_party_size_for_entries_that_allow_it(env: BotEnv) -> None:
    env.server.user(16)
    consent = last(await env.send(16, "/start signup_family-day"))
    await env.press(16, consent, consent.find_button("✅ ยินยอม"))
    await env.send(16, "แม่ใหญ่")
    ask = last(await env.send(16, "0891234567", until="ไปกี่คน"))
    assert ask.text.startswith("👥 ไปกี่คนคะ") and ask.button_texts() == ["1", "2", "3", "4"]
    await env.press(16, ask, ask.find_button("3"), until="/mysignups")
    assert "สมัครเรียบร้อยแล้ว" in ask.text and "👥 3 คน" in ask.text


async def test_expired_flow(env: BotEnv) -> None:
    env.server.user(17)
    consent = last(await env.send(17, "/start signup_forum"))
    store = await Store.open(env.settings.db_path)
    try:
        async with store.transaction() as db:
            await db.execute("UPDATE flows SET updated_at = '2020-01-01T00:00:00+00:00'")
    finally:
        await store.close()
    await env.press(17, consent, consent.find_button("✅ ยินยอม"))
    assert consent.text == texts.FLOW_EXPIRED


async def test_flow_survives_a_restart(tmp_path: Path, signup_kb: Knowledge) -> None:
    async with start_bot(tmp_path, signup_kb) as first:
        first.server.user(18)
        consent = last(await first.send(18, "/start signup_forum"))
        await first.press(18, consent, consent.find_button("✅ ยินยอม"))
        await first.send(18, "ประยูร")
    async with start_bot(tmp_path, signup_kb) as second:  # same database file
        second.server.user(18)
        done = last(await second.send(18, "0812223333", until="/mysignups"))
        assert "สมัครเรียบร้อยแล้ว" in done.text and "ประยูร" in done.text


async def test_150_residents_at_once_for_80_seats(
    tmp_path: Path, signup_kb: Knowledge, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the whole bot (flood limits on): exactly 80 confirmed, the rest waiting in
    order, nobody twice."""
    residents = list(range(20001, 20151))
    # They signed up for something before, so their details are saved (two taps now).
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        repo = Signups(store)
        for user in residents:
            await repo.sign_up(user, f"คนที่ {user}", "+66812345678", "old", "งานเก่า", None)
    finally:
        await store.close()
    async with start_bot(tmp_path, signup_kb) as e:
        for user in residents:
            e.server.user(user)
        await asyncio.gather(*(e.server.send_text(u, "/start signup_forum") for u in residents))
        offers = await asyncio.gather(
            *(e.server.wait_for_message(u, timeout=60) for u in residents)
        )
        started = time.perf_counter()
        await asyncio.gather(
            *(
                e.server.press(u, m.message_id, m.find_button("ยืนยันสมัคร"))
                for u, m in zip(residents, offers, strict=True)
            )
        )
        outcomes = ("✅ สมัครเรียบร้อยแล้ว", "🕒 รายชื่อสำรอง")
        deadline = time.perf_counter() + 60
        while not all(m.text.startswith(outcomes) for m in offers):
            assert time.perf_counter() < deadline, "not every resident got an answer"
            await asyncio.sleep(0.05)
        results = offers  # each offer was edited into its outcome
        elapsed = time.perf_counter() - started
        confirmed = [r for r in results if r.text.startswith("✅ สมัครเรียบร้อยแล้ว")]
        waiting = [r for r in results if r.text.startswith("🕒 รายชื่อสำรอง")]
        assert len(confirmed) == 80 and len(waiting) == 70
        store = await Store.open(e.settings.db_path)
        try:
            signed = await Signups(store).for_entry("forum")
        finally:
            await store.close()
        assert len(signed) == 150 and len({s.user_id for s in signed}) == 150
        assert sum(s.status is Status.CONFIRMED for s in signed) == 80
        waitlist = [s for s in signed if s.status is Status.WAITLIST]
        positions = {int(r.text.split("ลำดับที่ ")[1].split("<")[0].split("\n")[0]) for r in waiting}
        assert positions == set(range(1, 71))
        assert [s.id for s in waitlist] == sorted(s.id for s in waitlist)
        with capsys.disabled():
            print(f"\nwhole bot: {150 / elapsed:.0f} sign-ups/s (flood limits on)")
