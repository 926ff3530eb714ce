"""End to end: the real Application, polling a local fake Bot API, as a resident sees it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from bot import texts
from bot.questions import Questions
from bot.services import Services
from bot.store import Store
from kb.knowledge import Knowledge
from tests.conftest import BANGKOK, ROOT, BotEnv, start_bot

RESIDENT = 5001


async def test_start_greets_and_shows_the_menu(bot_env: BotEnv) -> None:
    server = bot_env.server
    server.user(RESIDENT, first_name="<b>สม&ศรี</b>", language_code="th")
    reply = await bot_env.say(RESIDENT, "/start")
    assert reply.text.startswith("สวัสดีค่ะ คุณ<b>สม&ศรี</b>")  # the name shown literally
    assert reply.entities == []  # and not turned into bold
    assert reply.button_texts() == [
        texts.BTN_EVENTS,
        texts.BTN_PROGRAMMES,
        texts.BTN_ACTIVITIES,
        texts.BTN_MY_SIGNUPS,
        texts.BTN_ASK,
        texts.BTN_HELP,
    ]
    registered = [(c["command"], c["description"]) for c in server.commands()]
    assert registered == texts.COMMANDS


async def test_menu_help_and_ask_buttons(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    menu = await bot_env.say(RESIDENT, "/start")
    await bot_env.tap(RESIDENT, menu, menu.find_button("วิธีใช้"))
    assert "วิธีใช้บอท" in menu.text and "/events" in menu.text
    await bot_env.tap(RESIDENT, menu, menu.find_button("เมนูหลัก"))
    assert menu.text == texts.MENU_TITLE
    await bot_env.tap(RESIDENT, menu, menu.find_button("ถามคำถาม"))
    assert menu.text.startswith("พิมพ์คำถามมาได้เลย")


async def test_events_in_date_order_with_buddhist_era_dates_details_and_back(
    bot_env: BotEnv, knowledge: Knowledge
) -> None:
    # A day before the example events (their dates pass; the bot's clock is its own).
    day = datetime(2026, 12, 1, 10, 0, tzinfo=BANGKOK)
    Services.of(bot_env.app).clock = lambda: day
    bot_env.server.user(RESIDENT)
    listing = await bot_env.say(RESIDENT, "/events")
    assert listing.text.startswith("📅 งานที่กำลังจะมา")
    titles = re.findall(r"^\d+\. (.+)$", listing.text, flags=re.M)
    upcoming = knowledge.kb.upcoming(day)
    assert titles == [e.title for e in upcoming[:5]]
    assert "12 ธ.ค. 69 08.30 น." in listing.text  # Buddhist Era, Thai time

    first = upcoming[0]
    await bot_env.tap(RESIDENT, listing, listing.find_button("1. "))
    assert listing.text.startswith(first.title)
    assert "📅 ส. 12 ธ.ค. 2569 · 08.30–11.30 น." in listing.text  # the date once, short
    assert {"type": "bold", "offset": 0, "length": len(first.title)} in listing.entities

    await bot_env.tap(RESIDENT, listing, listing.find_button("กลับ"))
    assert listing.text.startswith("📅 งานที่กำลังจะมา")


async def test_programmes_list_pages_forward_and_back(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    listing = await bot_env.say(RESIDENT, "/programmes")
    assert "(หน้า 1/" in listing.text
    first_page = listing.text
    assert "ก่อนหน้า" not in " ".join(listing.button_texts())
    await bot_env.tap(RESIDENT, listing, listing.find_button("ถัดไป"))
    assert "(หน้า 2/" in listing.text and listing.text != first_page
    assert re.search(r"^7\. ", listing.text, flags=re.M)  # numbering continues
    # Details from page 2 lead back to page 2.
    item = next(d for d in listing.callback_data() if d.startswith("a:d:"))
    await bot_env.tap(RESIDENT, listing, item)
    await bot_env.tap(RESIDENT, listing, listing.find_button("กลับ"))
    assert "(หน้า 2/" in listing.text
    await bot_env.tap(RESIDENT, listing, listing.find_button("ก่อนหน้า"))
    assert listing.text == first_page


async def test_activities_command(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    listing = await bot_env.say(RESIDENT, "/activities")
    assert listing.text.startswith("📚 กิจกรรมเมืองแห่งการเรียนรู้")
    assert len(listing.callback_data()) >= 2


async def test_thai_question_is_answered(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, "ขอนแก่นได้เป็นเมืองแห่งการเรียนรู้ของยูเนสโกตั้งแต่เมื่อไหร่คะ")
    assert reply.text.startswith("ขอนแก่น เมืองแห่งการเรียนรู้ UNESCO")
    assert "14 กุมภาพันธ์ 2567" in reply.text


async def test_misspelt_and_dialect_questions_are_answered(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, "แปลงผักตลาดจอมพน")  # จอมพล with the wrong final
    assert reply.text.startswith("แปลงผักปลอดสารพิษ ตลาดจอมพล")
    reply = await bot_env.say(RESIDENT, "ข้อมูลส่วนบุคคน")  # บุคคล mistyped
    assert reply.text.startswith("ข้อมูลส่วนตัว PDPA")
    reply = await bot_env.say(RESIDENT, "U2T เฮ็ดหยังแน่")
    assert reply.text.startswith("U2T มหาวิทยาลัยสู่ตำบล")


async def test_out_of_scope_falls_back_honestly_and_is_recorded(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, "โรงพยาบาลศรีนครินทร์เปิดกี่โมง")
    assert reply.text.startswith("ขออภัยค่ะ")
    assert bot_env.settings.contact in reply.text
    assert texts.BTN_EVENTS in reply.button_texts()
    store = await Store.open(bot_env.settings.db_path)
    try:
        (logged,) = await Questions(store).recent(outcome="fallback")
    finally:
        await store.close()
    assert logged.text == "โรงพยาบาลศรีนครินทร์เปิดกี่โมง" and logged.user_id == RESIDENT


AMBIGUOUS_KB = """\
entries:
  - id: veg-workshop
    kind: activity
    title: อบรมปลูกผักปลอดสารพิษ
    questions: [อบรมปลูกผักรอบหน้า]
    answer: อบรมปลูกผักวันเสาร์
  - id: veg-plots
    kind: programme
    title: แปลงปลูกผักปลอดสารพิษ
    questions: [ขอแปลงปลูกผัก]
    answer: มีแปลงผักให้ปลูก
  - id: fund
    kind: programme
    title: กองทุนสร้างอาชีพ
    questions: [ขอทุนสร้างอาชีพ]
    answer: กองทุนหนึ่งแสนบาท
"""


async def test_did_you_mean_buttons_and_none_of_these(tmp_path: Path) -> None:
    kb_file = tmp_path / "kb.yaml"
    kb_file.write_text(AMBIGUOUS_KB, encoding="utf-8")
    knowledge = Knowledge.load(kb_file, ROOT / "data" / "lexicon.yaml", BANGKOK)
    assert knowledge.matcher.match("ผักปลอดสารพิษ").suggestions  # the premise of this test
    async with start_bot(tmp_path, knowledge) as env:
        env.server.user(RESIDENT)
        choice = await env.say(RESIDENT, "ผักปลอดสารพิษ")
        assert choice.text == texts.DID_YOU_MEAN
        labels = choice.button_texts()
        assert {"อบรมปลูกผักปลอดสารพิษ", "แปลงปลูกผักปลอดสารพิษ"} <= set(labels)
        assert texts.BTN_NONE in labels and len(labels) <= 5
        await env.tap(RESIDENT, choice, choice.find_button("แปลงปลูกผัก"))
        assert choice.text.startswith("แปลงปลูกผักปลอดสารพิษ") and "มีแปลงผักให้ปลูก" in choice.text

        again = await env.say(RESIDENT, "ผักปลอดสารพิษ")
        await env.tap(RESIDENT, again, again.find_button(texts.BTN_NONE))
        assert again.text.startswith("ขออภัยค่ะ")
        store = await Store.open(env.settings.db_path)
        try:
            unanswered = await Questions(store).recent(outcome="fallback")
        finally:
            await store.close()
        assert [q.text for q in unanswered] == ["ผักปลอดสารพิษ"]


async def test_a_4096_character_message_is_handled(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    question = ("ผักปลอดสารพิษ " * 300)[:4096]
    assert len(question) == 4096
    reply = await bot_env.say(RESIDENT, question)
    assert reply.text  # answered in some way, and the fixture checks nothing was refused


async def test_html_like_text_in_a_question_is_escaped(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, "<b>ตลาด</b> & <script>alert(1)</script> <br>")
    assert reply.text  # no "can't parse entities": the fixture asserts no call was refused


async def test_a_long_answer_is_read_a_screen_at_a_time(tmp_path: Path) -> None:
    paragraph = "แปลงผักปลอดสารพิษขนาด 6x12 เมตร <ใจกลางเมือง> & ตลาดจอมพล\n"
    kb_file = tmp_path / "kb.yaml"
    body = "".join(f"      {i}. {paragraph}" for i in range(30))
    kb_file.write_text(
        "entries:\n  - id: long\n    kind: faq\n    title: ข้อมูลยาวมาก\n"
        "    questions: [ข้อมูลยาวมาก]\n    answer: |\n" + body,
        encoding="utf-8",
    )
    knowledge = Knowledge.load(kb_file, ROOT / "data" / "lexicon.yaml", BANGKOK)
    async with start_bot(tmp_path, knowledge) as env:
        env.server.user(RESIDENT)
        screen = await env.say(RESIDENT, "ข้อมูลยาวมาก")
        assert screen.text.startswith("ข้อมูลยาวมาก\n0. แปลงผัก") and screen.text.endswith("…")
        assert screen.button_texts() == [texts.BTN_READ_MORE, texts.BTN_MENU]
        screens = [screen]
        while texts.BTN_READ_MORE in screen.button_texts():
            await env.server.press(RESIDENT, screen.message_id, screen.find_button("อ่านต่อ"))
            screen = await env.server.wait_for_message(RESIDENT, timeout=10)
            await env.server.wait_idle(quiet=0.2)  # the spent button's removal too
            assert texts.BTN_READ_MORE not in screens[-1].button_texts()  # spent: gone
            assert screen.text.startswith("ข้อมูลยาวมาก\n…")
            screens.append(screen)
        assert 3 <= len(screens) <= 8 and screen.button_texts() == [texts.BTN_MENU]
        assert all(texts.phone_lines(s.text) <= 12 for s in screens)
        # Nothing lost and nothing twice: the pieces put together are the answer.
        pieces = "".join(s.text.split("\n", 1)[1].strip("…") for s in screens)
        assert "".join(pieces.split()) == "".join(body.replace(" ", "").split())
        # Cut where a space is (Thai ends a sentence with one), never inside a word.
        words = set(paragraph.split())
        for s in screens[:-1]:
            last = s.text.rstrip("…").split()[-1]
            assert last in words or re.fullmatch(r"\d+\.", last), last


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("zz-not-ours", texts.OLD_BUTTON),
        ("a:d:no-such-entry:ev0", texts.ENTRY_GONE),
        ("a:l:xx:0", texts.OLD_BUTTON),
        ("a:l:ev:notanumber", texts.OLD_BUTTON),
        ("a:n:abc", texts.OLD_BUTTON),
        ("z:d:kk-faq-cost:ev0", texts.OLD_BUTTON),  # another version of the layout
    ],
)
async def test_unknown_or_forged_callback(bot_env: BotEnv, data: str, expected: str) -> None:
    bot_env.server.user(RESIDENT)
    menu = await bot_env.say(RESIDENT, "/start")
    await bot_env.press(RESIDENT, menu, data, until=expected, force=True)
    assert menu.text == expected
    assert texts.BTN_EVENTS in menu.button_texts()


async def test_unknown_command(bot_env: BotEnv) -> None:
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, "/nonsense")
    assert reply.text == texts.UNKNOWN_COMMAND


async def test_residents_are_served_concurrently_and_each_in_order(bot_env: BotEnv) -> None:
    residents = list(range(7001, 7011))
    for r in residents:
        bot_env.server.user(r)
    for r in residents:
        await bot_env.server.send_text(r, "/help")
        await bot_env.server.send_text(r, "U2T คืออะไร")
    await bot_env.server.wait_idle()
    for r in residents:
        first, second = bot_env.server.messages(r)
        assert first.text.startswith("วิธีใช้บอท")
        assert second.text.startswith("U2T")
