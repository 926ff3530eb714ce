""" "What's on?": the list request reader (kb/listing.py), the knowledge-base fields it filters
on, and the list a resident sees (handlers/listing.py) on a small knowledge base dated
around a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot import texts
from bot.services import Services
from kb.knowledge import Knowledge
from kb.listing import read_request
from kb.loader import KBError, load_kb
from kb.model import Cost, Kind
from tests.conftest import ADMIN_ID, BANGKOK, ROOT, BotEnv, start_bot

# Thursday 5 December 2030, ten in the morning in Khon Kaen.
NOW = datetime(2030, 12, 5, 10, 0, tzinfo=BANGKOK)
RESIDENT = 7301


# ----------------------------------------------------------------------------- the reader
def window(text: str) -> tuple[str, str, str] | None:
    request = read_request(text, NOW)
    assert request is not None, f"{text!r} is a list request"
    w = request.window
    return None if w is None else (w.what, w.start.date().isoformat(), w.end.date().isoformat())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("มีงานอะไรบ้าง", None),
        ("มีงานอะไรบ้างงงง", None),
        ("มีงานไรบ้าง", None),
        ("upcoming events", None),
        ("ช่วงนี้มีกิจกรรมอะไรบ้าง", ("เร็ว ๆ นี้", "2030-12-05", "2031-01-05")),
        ("มื้อนี้มีหยังแหน่", ("วันนี้", "2030-12-05", "2030-12-06")),
        ("วันนี้มีกิจกรรมอะไรบ้างคะ", ("วันนี้", "2030-12-05", "2030-12-06")),
        ("มื้ออื่นมีงานบ่", ("พรุ่งนี้", "2030-12-06", "2030-12-07")),
        ("พรุงนีมีงานไหม", ("พรุ่งนี้", "2030-12-06", "2030-12-07")),  # tone marks left out
        ("tomorrow any events?", ("พรุ่งนี้", "2030-12-06", "2030-12-07")),
        # Trap: เสาร์อาทิตย์นี้ is the weekend, อาทิตย์นี้ alone the week.
        ("เสาร์อาทิตย์นี้มีอะไร", ("เสาร์-อาทิตย์นี้", "2030-12-07", "2030-12-09")),
        ("เสาร์ อาทิตย์ นี้ มีงานอะไรบ้าง", ("เสาร์-อาทิตย์นี้", "2030-12-07", "2030-12-09")),
        ("what's on this weekend", ("เสาร์-อาทิตย์นี้", "2030-12-07", "2030-12-09")),
        ("อาทิตย์นี้มีงานไหนน่าไปบ้างครับ", ("สัปดาห์นี้", "2030-12-05", "2030-12-09")),
        ("อาทิตย์หน้ามีงานอะไรบ้าง", ("สัปดาห์หน้า", "2030-12-09", "2030-12-16")),
        ("สัปดาห์หน้ามีอบรมอะไรบ้าง", ("สัปดาห์หน้า", "2030-12-09", "2030-12-16")),
        ("เดือนนี้มีกิจกรรมอะไร", ("เดือนนี้", "2030-12-05", "2031-01-01")),
        ("เดือนนีมีกิจกรรมอะไร", ("เดือนนี้", "2030-12-05", "2031-01-01")),
        ("any events this month?", ("เดือนนี้", "2030-12-05", "2031-01-01")),
        ("มี event อะไรบ้างเดือนหน้า", ("เดือนหน้า", "2031-01-01", "2031-02-01")),
        ("what's happening next month", ("เดือนหน้า", "2031-01-01", "2031-02-01")),
        ("ปีหน้ามีงานอะไรบ้าง", ("ปีหน้า", "2031-01-01", "2032-01-01")),
        ("กุมภามีงานอะไรบ้าง", ("เดือนกุมภาพันธ์", "2031-02-01", "2031-03-01")),
        ("มกราคม 2574 มีกิจกรรมอะไรบ้าง", ("เดือนมกราคม", "2031-01-01", "2031-02-01")),
        ("12 ธ.ค. มีงานอะไร", ("วันที่ 12 ธ.ค.", "2030-12-12", "2030-12-13")),
        ("๑๒ ธ.ค. ๗๓ มีงานอะไรบ้าง", ("วันที่ 12 ธ.ค.", "2030-12-12", "2030-12-13")),
        ("วันที่ 12/12 มีอะไรบ้าง", ("วันที่ 12 ธ.ค.", "2030-12-12", "2030-12-13")),
        ("มีงานวันที่ 3 ม.ค. ไหม", ("วันที่ 3 ม.ค.", "2031-01-03", "2031-01-04")),  # next year
        ("events on 14 feb", ("วันที่ 14 ก.พ.", "2031-02-14", "2031-02-15")),
    ],
)
def test_windows(text: str, expected: tuple[str, str, str] | None) -> None:
    assert window(text) == expected


def test_filters() -> None:
    free = read_request("มีอบรมฟรีไหม", NOW)
    assert free is not None and free.free and free.kinds == {Kind.ACTIVITY}
    english = read_request("any free workshops?", NOW)
    assert english is not None and english.free and english.kinds == {Kind.ACTIVITY}
    kids = read_request("กิจกรรมสำหรับเด็ก", NOW)
    assert kids is not None and kids.audience == {"children"} and not kids.kinds
    assert read_request("events for kids", NOW) == kids
    elderly = read_request("มีกิจกรรมสำหรับผู้สูงอายุไหม", NOW)
    assert elderly is not None and elderly.audience == {"elderly"}
    online = read_request("มีกิจกรรมออนไลน์ไหม", NOW)
    assert online is not None and online.online
    still_open = read_request("ยังรับสมัครอยู่ไหม", NOW)
    assert still_open is not None and still_open.open_signup
    forums = read_request("เดือนหน้ามีเสวนาอะไรบ้าง", NOW)
    assert forums is not None and forums.kinds == {Kind.EVENT}


@pytest.mark.parametrize(
    "text",
    [
        "มีกิจกรรมอะไรน่าสนใจบ้าง",
        "อะไรเปิดรับสมัครอยู่บ้าง",  # อะไร ... บ้าง apart
        "ขอรายชื่อกิจกรรมทั้งหมด",
        "ตารางกิจกรรม",
        "events",
        "กิจกรรม",
        "มีงานไหม",
        "มีงานอีหยังบ้าง",
        "มีอะไรให้ลูกทำบ้าง",
        "งานไหนยังสมัครได้",
        "อบรมออนไลน์",
        "free events for kids",
        "anything on tomorrow?",
        "what can I join this month",
        "มีงานอะรไบ้าง",  # letters swapped
        "mee kitjakam arai bang",  # romanised
    ],
)
def test_list_requests(text: str) -> None:
    assert read_request(text, NOW) is not None


@pytest.mark.parametrize(
    "text",
    [
        "วันครอบครัวเรียนรู้",  # a title: one event
        "ประชุม 23 ต.ค. 66",  # a past date: that meeting
        "งานนี้ยังมีที่ว่างอยู่ไหม",  # this one
        "อบรมปลูกผักรอบเล็ก",
        "งาน",  # alone: may be about a job
        "อบรม",  # alone: the one the resident has in mind
        "ต้องเตรียมอะไรไปบ้าง",
        "เสวนาครั้งหน้าเมื่อไหร่",  # one thing: the next forum
        "อบรมปลูกผัก 12 ธ.ค. ยังรับอยู่ไหม",  # one thing, named
        "งานวันเรียนรู้จัดกี่โมง",
        "ตลาดจอมพลอยู่ที่ไหน",
        "ปลูกผักที่ตลาดจอมพลสมัครยังไง",
        "มีงานอะไรให้ทำบ้าง",  # a job, not an event
        "อยากหางาน",
        "กิจกรรมฟรีหรือเปล่า",  # is it free? (the FAQ answers)
        "เข้างานฟรีมั้ยครับ",
        "เด็กเข้าร่วมกิจกรรมได้มั้ย",
        "ต้องเตรียมอะไรบ้าง",  # อะไรบ้าง about one thing
        "กองทุนสร้างอาชีพต้องใช้เอกสารอะไรบ้าง",
        "สวัสดีครับ",
        "ขอบคุณค่ะ",
        "I may come",
        "when is the next forum",
        "",
        "555",
    ],
)
def test_not_list_requests(text: str) -> None:
    assert read_request(text, NOW) is None


def test_no_question_in_the_labelled_set_is_taken_for_a_list_unless_it_asks_for_one() -> None:
    """The matcher's labelled questions stay the matcher's: only those of the "what's on"
    FAQ (and one asking what older people can join) read as list requests."""
    import yaml

    for name in ("questions.yaml", "dev/questions.yaml", "organiser/questions.yaml"):
        data = yaml.safe_load((ROOT / "tests" / "eval" / name).read_text(encoding="utf-8"))
        for q in data["questions"]:
            if read_request(q["q"], NOW) is not None:
                assert q["id"] in ("kk-faq-events-list", "kk-learning-elderly"), q


def test_no_title_or_phrasing_of_the_knowledge_bases_reads_as_a_list_unless_it_is_one() -> None:
    """A title (วันครอบครัวเรียนรู้) or a phrasing about one entry goes to the matcher."""
    import yaml

    lists = {"kk-faq-events-list", "kk-faq-children", "kk-learning-elderly"}
    for path in [
        *(ROOT / "data" / "kb").glob("*.yaml"),
        *(ROOT / "data" / "examples").glob("*.yaml"),
        *(ROOT / "tests" / "eval").glob("*/kb/*.yaml"),
    ]:
        for e in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            for text in [e["title"], *e["questions"]]:
                if read_request(text, NOW) is not None:
                    assert e["id"] in lists, (path.name, e["id"], text)


# ----------------------------------------------------------------------------- the fields
def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(
        "entries:\n  - id: kk-x\n    kind: event\n    title: t\n    questions: [q]\n"
        "    answer: a\n" + extra,
        encoding="utf-8",
    )
    return path


def test_cost_audience_online_are_read(tmp_path: Path) -> None:
    extra = (
        "    cost: paid\n    price: 50 บาท\n    audience: [children, families]\n    online: true\n"
    )
    (e,) = load_kb(write(tmp_path, extra)).entries
    assert e.cost is Cost.PAID and e.price == "50 บาท"
    assert e.audience == ("children", "families") and e.online


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    cost: cheap\n", ":7 [kk-x] 'cost' must be one of free, paid (got 'cheap')"),
        ("    cost: free\n    price: 50 บาท\n", ":8 [kk-x] 'price' needs 'cost: paid'"),
        ("    audience: [kids]\n", ":7 [kk-x] unknown audience 'kids' (allowed: everyone,"),
        ("    audience: {a: 1}\n", ":7 [kk-x] 'audience' must be a list of texts"),
        ("    online: maybe\n", ":7 [kk-x] 'online' must be true or false"),
    ],
)
def test_bad_fields_name_file_line_and_entry(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(KBError) as info:
        load_kb(write(tmp_path, extra))
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith(str(tmp_path / "kb.yaml")) and message in problem


# ----------------------------------------------------------------------------- end to end
LISTING_KB = """\
entries:
  - id: evening-talk
    kind: event
    title: คุยเรื่องเมืองยามเย็น
    questions: [คุยเรื่องเมืองยามเย็น]
    answer: วงคุยเรื่องเมือง
    starts: 2030-12-05T18:00:00+07:00
    cost: free
    audience: [everyone]
  - id: family-day
    kind: event
    title: วันครอบครัวเรียนรู้
    questions: [วันครอบครัวเรียนรู้]
    answer: พาลูกหลานมาเรียนรู้ด้วยกัน
    starts: 2030-12-07T09:00:00+07:00
    ends: 2030-12-07T12:00:00+07:00
    cost: free
    audience: [children, families]
    signup: true
  - id: paid-cooking
    kind: activity
    title: อบรมทำอาหารอีสาน
    questions: [อบรมทำอาหารอีสาน]
    answer: เรียนทำอาหาร ค่าวัตถุดิบ 200 บาท
    starts: 2030-12-20T13:00:00+07:00
    cost: paid
    price: 200 บาท
    signup: true
  - id: online-course
    kind: activity
    title: อบรมขายของออนไลน์
    questions: [อบรมขายของออนไลน์]
    answer: เรียนขายของออนไลน์ผ่าน Zoom
    starts: 2031-01-10T19:00:00+07:00
    cost: free
    online: true
    signup: true
  - id: forum-next
    kind: event
    title: เสวนาพัฒนาเมือง ครั้งหน้า
    questions: [เสวนาพัฒนาเมืองครั้งหน้าจัดเมื่อไหร่, เสวนาครั้งหน้าเมื่อไหร่]
    keywords: [เสวนา, ครั้งหน้า]
    answer: เสวนาพัฒนาเมืองครั้งหน้า วันเสาร์ที่ 15 กุมภาพันธ์ 2574 ที่โรงแรมโฆษะ
    starts: 2031-02-15T13:00:00+07:00
  - id: old-forum
    kind: event
    title: เสวนาครั้งก่อน
    questions: [เสวนาครั้งก่อน]
    answer: จัดไปแล้ว
    starts: 2030-11-01T13:00:00+07:00
  - id: faq-cost
    kind: faq
    title: เสียเงินไหม
    questions: [กิจกรรมเสียเงินไหม]
    answer: ส่วนใหญ่ไม่มีค่าใช้จ่าย
"""


@pytest.fixture(scope="module")
def listing_kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    path = tmp_path_factory.mktemp("kb") / "kb.yaml"
    path.write_text(LISTING_KB, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


@pytest.fixture
async def env(tmp_path: Path, listing_kb: Knowledge) -> AsyncIterator[BotEnv]:
    async with start_bot(tmp_path, listing_kb) as e:
        Services.of(e.app).clock = lambda: NOW
        yield e


def titles_in(text: str) -> list[str]:
    titles = ["คุยเรื่องเมืองยามเย็น", "วันครอบครัวเรียนรู้", "อบรมทำอาหารอีสาน",
              "อบรมขายของออนไลน์", "เสวนาพัฒนาเมือง ครั้งหน้า", "เสวนาครั้งก่อน"]  # fmt: skip
    return sorted((t for t in titles if t in text), key=text.index)


async def test_what_is_on_lists_upcoming_soonest_first_with_buttons(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "มีงานอะไรบ้าง")
    assert reply.text.startswith("📅 งานที่กำลังจะมา")
    assert titles_in(reply.text) == [
        "คุยเรื่องเมืองยามเย็น", "วันครอบครัวเรียนรู้", "อบรมทำอาหารอีสาน",
        "อบรมขายของออนไลน์", "เสวนาพัฒนาเมือง ครั้งหน้า",
    ]  # fmt: skip
    assert "1. คุยเรื่องเมืองยามเย็น\n    📅 5 ธ.ค. 73 18.00 น. · ฟรี" in reply.text
    assert "3. อบรมทำอาหารอีสาน\n    📅 20 ธ.ค. 73 13.00 น. · 200 บาท\n" in reply.text
    assert len(reply.text.splitlines()) <= 12
    # A details button for each, a sign-up button for the three open ones, and the menu.
    assert reply.button_texts() == [
        "1. คุยเรื่องเมืองยามเย็น", "2. วันครอบครัวเรียนรู้", "3. อบรมทำอาหารอีสาน",
        "4. อบรมขายของออนไลน์", "5. เสวนาพัฒนาเมือง ครั้งหน้า",
        "📝 สมัคร 2", "📝 สมัคร 3", "📝 สมัคร 4", "🏠 เมนูหลัก",
    ]  # fmt: skip
    await env.tap(RESIDENT, reply, reply.find_button("3. อบรมทำอาหาร"))
    assert "ค่าวัตถุดิบ 200 บาท" in reply.text
    reply = await env.say(RESIDENT, "มีงานอะไรบ้างคะ")
    (consent,) = await env.press(RESIDENT, reply, reply.find_button("สมัคร 2"))
    assert texts.BTN_CONSENT_YES in consent.button_texts()  # the sign-up of entry 2 begins


async def test_a_list_request_counts_as_a_question_answered(env: BotEnv) -> None:
    await env.say(RESIDENT, "มีงานอะไรบ้าง")
    await env.say(RESIDENT, "สุดสัปดาห์นี้มีงานอะไรบ้าง")
    report = (await env.send(ADMIN_ID, "/stats"))[-1]
    assert texts.stats_questions(2, 0) in report.text
    unanswered = (await env.send(ADMIN_ID, "/unanswered"))[-1]
    assert "มีงานอะไรบ้าง" not in unanswered.text


async def test_this_month(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "เดือนนี้มีกิจกรรมอะไร")
    assert reply.text.startswith("📅 งานเดือนนี้")
    assert titles_in(reply.text) == ["คุยเรื่องเมืองยามเย็น", "วันครอบครัวเรียนรู้", "อบรมทำอาหารอีสาน"]


async def test_this_weekend(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "เสาร์อาทิตย์นี้มีอะไร")
    assert reply.text.startswith("📅 งานเสาร์-อาทิตย์นี้")
    assert titles_in(reply.text) == ["วันครอบครัวเรียนรู้"]
    assert "7 ธ.ค. 73 09.00 น." in reply.text


async def test_free_training(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "มีอบรมฟรีไหม")
    assert reply.text.startswith("📅 งานที่กำลังจะมา · ฟรี")
    assert titles_in(reply.text) == ["อบรมขายของออนไลน์"]


async def test_for_children(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "กิจกรรมสำหรับเด็ก")
    assert reply.text.startswith("📅 งานที่กำลังจะมา · สำหรับเด็ก")
    assert titles_in(reply.text) == ["วันครอบครัวเรียนรู้"]


async def test_isan_today(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "มื้อนี้มีหยังแหน่")
    assert reply.text.startswith("📅 งานวันนี้")
    assert titles_in(reply.text) == ["คุยเรื่องเมืองยามเย็น"]


async def test_empty_window_says_so_and_offers_the_nearest(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "พรุ่งนี้มีงานอะไรบ้าง")
    lines = reply.text.splitlines()
    assert lines[:3] == ["📅 งานพรุ่งนี้", "ไม่มีงานในช่วงนั้นค่ะ 🙏", "งานที่ใกล้ที่สุดค่ะ 👇"]
    assert titles_in(reply.text) == ["คุยเรื่องเมืองยามเย็น", "วันครอบครัวเรียนรู้", "อบรมทำอาหารอีสาน"]
    assert "1. คุยเรื่องเมืองยามเย็น" in reply.button_texts()


async def test_the_clock_moves_the_window(env: BotEnv) -> None:
    Services.of(env.app).clock = lambda: datetime(2031, 1, 2, 9, 0, tzinfo=BANGKOK)
    reply = await env.say(RESIDENT, "เดือนนี้มีกิจกรรมอะไร")
    assert titles_in(reply.text) == ["อบรมขายของออนไลน์"]


async def test_a_question_about_one_thing_still_reaches_the_matcher(env: BotEnv) -> None:
    reply = await env.say(RESIDENT, "เสวนาครั้งหน้าเมื่อไหร่")
    assert not reply.text.startswith("📅 งาน")
    shown = reply.text + " ".join(reply.button_texts())
    assert "15 กุมภาพันธ์ 2574" in shown or "เสวนาพัฒนาเมือง ครั้งหน้า" in shown


async def test_a_follow_up_after_the_list_is_about_it(env: BotEnv) -> None:
    await env.say(RESIDENT, "เดือนนี้มีกิจกรรมอะไร")
    second = await env.say(RESIDENT, "อันที่สอง")
    assert second.text.startswith("วันครอบครัวเรียนรู้")
