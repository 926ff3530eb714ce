"""Residents' screens (issue 15, point 5): an entry's details short enough for a small phone
(the date once, the place with a map link, sign-up first, "อ่านต่อ" for the rest),
/programmes grouped by what a resident wants, and button labels cut between words."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import texts
from handlers.common import truncate, words
from kb.knowledge import Knowledge
from kb.loader import KBError, load_kb
from kb.model import Kind
from tests.conftest import BANGKOK, ROOT, SHIPPED, BotEnv, start_bot

RESIDENT = 7301

KB = """\
entries:
  - id: veg-workshop
    kind: activity
    title: อบรมปลูกผักปลอดสารพิษแบบลงมือจริง ที่แปลงผักตลาดจอมพล กลางเมืองขอนแก่น
    questions: [อบรมปลูกผักปลอดสารพิษ]
    answer: |
      เรียนเตรียมดิน เพาะกล้า ดูแลแปลง และการขายผักหน้าตลาด เหมาะกับผู้ที่อยากเริ่มอาชีพ
      ไม่มีค่าใช้จ่าย รับ 30 คน แต่งกายพร้อมลงแปลง และนำหมวกกับขวดน้ำมาด้วย
      วิทยากรเป็นเกษตรกรที่ปลูกผักปลอดสารพิษในเมืองมาแล้วหลายปี จะเล่าวิธีทำปุ๋ยหมักจากเศษผัก
      ผู้ที่เรียนครบจะได้รับเมล็ดพันธุ์ผักกลับไปปลูกที่บ้าน และได้คำแนะนำเรื่องการขายผักออนไลน์
      ทางบริษัทจะติดต่อกลับเพื่อยืนยันก่อนวันงานสามวัน หากมีข้อสงสัยสอบถามได้ตลอด
    starts: 2030-12-14T08:30:00+07:00
    ends: 2030-12-14T11:30:00+07:00
    location: แปลงผัก ตลาดจอมพล & <ขอนแก่น>
    capacity: 30
    signup: true
    contact: บริษัท ขอนแก่นพัฒนาเมือง (เคเคทีที) จำกัด
  - id: short-faq
    kind: faq
    title: บอทนี้ทำอะไรได้
    questions: [บอทนี้ทำอะไรได้บ้าง]
    answer: ตอบคำถามเรื่องกิจกรรมในขอนแก่นค่ะ
  - id: veg-plot
    kind: programme
    topic: income
    title: แปลงผักปลอดสารพิษ ตลาดจอมพล
    questions: [แปลงผักตลาดจอมพล]
    answer: ขอแปลงปลูกผักได้ที่สำนักงานตลาด
  - id: seed-fund
    kind: programme
    topic: help
    title: กองทุนสร้างอาชีพ
    questions: [กองทุนสร้างอาชีพ]
    answer: ทุนสำหรับเริ่มอาชีพ
  - id: lifelong
    kind: programme
    topic: learning
    title: การเรียนรู้ตลอดชีวิต (Lifelong Learning)
    questions: [เรียนรู้ตลอดชีวิต]
    answer: เรียนได้ทุกช่วงวัย
  - id: elderly-class
    kind: programme
    topic: learning
    title: ห้องเรียนสมาร์ตโฟนผู้สูงอายุ
    questions: [สอนใช้มือถือผู้สูงอายุ]
    answer: สอนใช้สมาร์ตโฟน
    starts: 2030-12-20T09:00:00+07:00
    signup: true
  - id: jobs-board
    kind: programme
    topic: income
    title: กระดานหางานในเมือง
    questions: [หางานในเมือง]
    answer: งานในเมืองขอนแก่น
  - id: no-topic
    kind: programme
    title: โครงการที่ยังไม่จัดกลุ่ม
    questions: [โครงการที่ยังไม่จัดกลุ่ม]
    answer: ยังไม่จัดกลุ่ม
"""


@pytest.fixture(scope="module")
def browse_kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    path = tmp_path_factory.mktemp("browse") / "kb.yaml"
    path.write_text(KB, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


def answer_lines(text: str, head: int) -> str:
    return "\n".join(text.splitlines()[head:])


async def test_details_fit_a_small_phone_with_the_date_once_a_map_link_and_sign_up_first(
    tmp_path: Path, browse_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, browse_kb) as env:
        env.server.user(RESIDENT)
        details = await env.say(RESIDENT, "อบรมปลูกผักปลอดสารพิษ")
        lines = details.text.splitlines()
        assert lines[0].startswith("อบรมปลูกผักปลอดสารพิษแบบลงมือจริง")
        assert lines[1] == "📅 ส. 14 ธ.ค. 2573 · 08.30–11.30 น."  # Buddhist Era, once
        assert details.text.count("2573") == 1
        assert lines[2] == "📍 แปลงผัก ตลาดจอมพล & <ขอนแก่น> · แผนที่"
        [link] = [e for e in details.entities if e["type"] == "text_link"]
        url = urlsplit(link["url"])
        assert (url.scheme, url.netloc, url.path) == ("https", "www.google.com", "/maps/search/")
        assert parse_qs(url.query) == {"api": ["1"], "query": ["แปลงผัก ตลาดจอมพล & <ขอนแก่น>"]}
        assert texts.phone_lines(details.text) <= 12
        # The answer: at most six lines of a small phone, cut at a word with "…".
        answer = details.text.split("\n", 3)[3].rsplit("\n☎️", 1)[0]
        assert texts.phone_lines(answer) <= 6 and answer.endswith("…")
        assert details.text.endswith("☎️ ติดต่อ: บริษัท ขอนแก่นพัฒนาเมือง (เคเคทีที) จำกัด")
        assert details.button_texts() == [texts.BTN_SIGNUP, texts.BTN_READ_MORE, texts.BTN_MENU]

        [rest] = await env.press(RESIDENT, details, details.find_button("อ่านต่อ"))
        assert rest.text.startswith("อบรมปลูกผักปลอดสารพิษแบบลงมือจริง")
        assert rest.text.endswith("หากมีข้อสงสัยสอบถามได้ตลอด")
        assert rest.button_texts() == [texts.BTN_SIGNUP, texts.BTN_MENU]
        assert texts.BTN_READ_MORE not in details.button_texts()
        # Nothing lost and nothing twice: the cut answer and the rest make the whole answer.
        whole = browse_kb.kb.get("veg-workshop")
        assert whole is not None
        shown = answer.removesuffix("…")
        more = rest.text.split("\n", 1)[1].removeprefix("…")
        assert "".join((shown + more).split()) == "".join(whole.answer.split())


async def test_a_short_answer_is_whole_and_an_entry_without_a_place_has_no_map(
    tmp_path: Path, browse_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, browse_kb) as env:
        env.server.user(RESIDENT)
        reply = await env.say(RESIDENT, "บอทนี้ทำอะไรได้บ้าง")
        assert reply.text == "บอทนี้ทำอะไรได้\nตอบคำถามเรื่องกิจกรรมในขอนแก่นค่ะ"
        assert reply.entities == [{"type": "bold", "offset": 0, "length": 15}]
        assert reply.button_texts() == [texts.BTN_MENU]


async def test_programmes_grouped_by_what_a_resident_wants_upcoming_first(
    tmp_path: Path, browse_kb: Knowledge
) -> None:
    async with start_bot(tmp_path, browse_kb) as env:
        env.server.user(RESIDENT)
        listing = await env.say(RESIDENT, "/programmes")
        assert listing.text.splitlines() == [
            "💼 โครงการสร้างอาชีพและรายได้ (หน้า 1/2)",
            "💰 รายได้และงาน",
            "1. กระดานหางานในเมือง",
            "2. แปลงผักปลอดสารพิษ ตลาดจอมพล",
            "🤝 ความช่วยเหลือและทุน",
            "3. กองทุนสร้างอาชีพ",
            "📚 การเรียนรู้และงานวิจัย",
            "4. ห้องเรียนสมาร์ตโฟนผู้สูงอายุ",  # upcoming, open to sign-ups: first
            "    📅 20 ธ.ค. 73 09.00 น.",
            "5. การเรียนรู้ตลอดชีวิต (Lifelong Learning)",
            texts.LIST_HINT,
        ]
        # "อันที่ 4" after the list is the fourth as numbered on screen.
        [fourth] = await env.send(RESIDENT, "อันที่ 4")
        assert fourth.text.startswith("ห้องเรียนสมาร์ตโฟนผู้สูงอายุ")
        [listing] = await env.send(RESIDENT, "/programmes")
        await env.tap(RESIDENT, listing, listing.find_button("ถัดไป"))
        assert listing.text.splitlines()[1:3] == ["📌 เรื่องอื่น ๆ", "6. โครงการที่ยังไม่จัดกลุ่ม"]
        [sixth] = await env.send(RESIDENT, "อันที่ 6")
        assert sixth.text.startswith("โครงการที่ยังไม่จัดกลุ่ม")


def test_shipped_programmes_each_have_a_group() -> None:
    programmes = load_kb(ROOT / "data" / "kb").of_kind(Kind.PROGRAMME)
    assert programmes and all(e.topic in ("income", "help", "learning") for e in programmes)


def test_an_unknown_topic_is_reported_with_file_line_and_id(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text(
        "entries:\n  - id: x\n    kind: programme\n    title: t\n    questions: [q]\n"
        "    answer: a\n    topic: money\n",
        encoding="utf-8",
    )
    with pytest.raises(KBError) as err:
        load_kb(path)
    assert f"{path}:7 [x] unknown topic 'money' (allowed: income, help, learning)" in str(err.value)


@pytest.mark.parametrize(
    "title",
    [
        "การเรียนรู้ตลอดชีวิต (Lifelong Learning) ของเมืองขอนแก่น",
        "อบรมปลูกผักปลอดสารพิษแบบลงมือจริง ที่แปลงผักตลาดจอมพล",
        "คู่เสี่ยวเกี่ยวก้อยแก้จนคนขอนแก่นรุ่นที่สองประจำปีสองพันห้าร้อยหกสิบเก้า",
        "3. U2T มหาวิทยาลัยสู่ตำบล สร้างรากแก้วให้ประเทศ (U2T-27team)",
    ],
)
def test_a_long_label_is_cut_between_words(title: str) -> None:
    label = truncate(title)
    assert label.endswith("…") and texts.cells(label) <= 34
    kept = label.removesuffix("…")
    assert title.startswith(kept) and len(kept) >= 15
    # The cut falls where a word ends, not inside one.
    ends, at = set(), 0
    for word in words(title):
        at += len(word)
        ends.add(at)
    assert len(kept) in ends or title[len(kept)] in " ()"


def test_a_bracket_left_open_is_left_out() -> None:
    label = truncate("12. การเรียนรู้ตลอดชีวิต (Lifelong Learning) ขอนแก่น")
    assert label == "12. การเรียนรู้ตลอดชีวิต…"


def test_a_label_that_fits_is_kept_and_marks_take_no_room() -> None:
    assert truncate("แปลงผักปลอดสารพิษ ตลาดจอมพล") == "แปลงผักปลอดสารพิษ ตลาดจอมพล"
    assert texts.cells("ผู้สูงอายุ") == 6  # ู ้ ู take no width of their own


async def test_every_shipped_entry_fits_a_small_phone(bot_env: BotEnv) -> None:
    """Each entry of the shipped knowledge base, opened from a list: at most 12 lines on a
    360-pixel-wide phone, every button label within a button."""
    shipped = load_kb(SHIPPED)  # what bot_env serves
    for n, entry in enumerate(shipped):
        # A resident each: one chat's edits would wait for Telegram's per-chat pace.
        resident = RESIDENT + 1 + n
        bot_env.server.user(resident)
        listing = await bot_env.say(resident, "/programmes")
        await bot_env.press(resident, listing, f"a:d:{entry.id}:pg0", force=True)
        assert texts.phone_lines(listing.text) <= 12, (entry.id, listing.text)
        assert listing.text.startswith(entry.title)
        assert all(texts.cells(b) <= 34 for b in listing.button_texts()), entry.id
