"""End to end: how a resident's question is answered, through the local Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts
from kb.knowledge import Knowledge
from tests.conftest import BANGKOK, ROOT, start_bot

RESIDENT = 7101

FORUMS_KB = """\
entries:
  - id: forum-2565
    kind: event
    title: เสวนาพัฒนาเมือง ครั้งที่ 3 เมืองแห่งโอกาส
    questions: [เสวนาพัฒนาเมืองครั้งที่ 3 คุยเรื่องอะไร]
    answer: จัดไปแล้วที่โรงแรมโฆษะ คุยเรื่องโอกาสของคนจนเมือง
    starts: 2022-10-25T13:00:00+07:00
  - id: forum-next
    kind: event
    title: เสวนาพัฒนาเมือง ครั้งถัดไป
    questions: [เสวนาพัฒนาเมืองครั้งหน้าจัดเมื่อไหร่]
    answer: เสวนาครั้งหน้าคุยเรื่องงานและรายได้ของคนขอนแก่น
    starts: 2030-01-23T13:00:00+07:00
    ends: 2030-01-23T16:30:00+07:00
    location: ศาลาว่าการเทศบาลนครขอนแก่น
  - id: veg
    kind: programme
    title: แปลงผักตลาดจอมพล
    questions: [ปลูกผักที่ตลาดจอมพลสมัครยังไง]
    answer: สมัครขอแปลงปลูกผักได้ที่สำนักงานตลาด
"""


@pytest.fixture(scope="module")
def forums(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    path = tmp_path_factory.mktemp("forums") / "kb.yaml"
    path.write_text(FORUMS_KB, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


async def test_a_past_event_points_to_the_next_one(tmp_path: Path, forums: Knowledge) -> None:
    async with start_bot(tmp_path, forums) as env:
        env.server.user(RESIDENT)
        [answer] = await env.send(RESIDENT, "เสวนาพัฒนาเมืองครั้งที่ 3 คุยเรื่องอะไร")
        assert answer.text.startswith("เสวนาพัฒนาเมือง ครั้งที่ 3 เมืองแห่งโอกาส")
        assert texts.PAST in answer.text
        assert "👉 ครั้งถัดไป: เสวนาพัฒนาเมือง ครั้งถัดไป" in answer.text
        assert "23 มกราคม 2573" in answer.text  # Buddhist Era
        assert answer.button_texts()[0] == texts.BTN_NEXT_ONE
        await env.tap(RESIDENT, answer, answer.find_button(texts.BTN_NEXT_ONE))
        assert answer.text.startswith("เสวนาพัฒนาเมือง ครั้งถัดไป")
        assert "ศาลาว่าการเทศบาลนครขอนแก่น" in answer.text


async def test_an_upcoming_answer_has_no_pointer(tmp_path: Path, forums: Knowledge) -> None:
    async with start_bot(tmp_path, forums) as env:
        env.server.user(RESIDENT)
        [answer] = await env.send(RESIDENT, "เสวนาพัฒนาเมืองครั้งหน้าจัดเมื่อไหร่")
        assert answer.text.startswith("เสวนาพัฒนาเมือง ครั้งถัดไป")
        assert "ครั้งถัดไป:" not in answer.text
        assert texts.BTN_NEXT_ONE not in answer.button_texts()


async def test_an_unrelated_question_says_what_the_bot_knows(
    tmp_path: Path, forums: Knowledge
) -> None:
    async with start_bot(tmp_path, forums) as env:
        env.server.user(RESIDENT)
        [answer] = await env.send(RESIDENT, "หวยออกงวดนี้เลขอะไร")
        assert answer.text.startswith("ขออภัยค่ะ 🙏 เรื่องนี้บอทยังไม่มีข้อมูล")
        assert "เวทีเสวนา โครงการอาชีพและรายได้" in answer.text
        assert texts.BTN_EVENTS in answer.button_texts()  # the menu, a next step
