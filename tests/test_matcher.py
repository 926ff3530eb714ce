"""The matcher on a small knowledge base of its own, and on the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.knowledge import Knowledge
from kb.matcher import Outcome
from tests.conftest import BANGKOK, ROOT

SMALL = """\
entries:
  - id: veg
    kind: programme
    title: แปลงผักปลอดสารพิษ ตลาดจอมพล
    questions: [ปลูกผักที่ตลาดจอมพลได้ไหม, อยากปลูกผักขาย]
    keywords: [ผักปลอดสารพิษ, organic]
    answer: มีแปลงผักขนาด 6x12 เมตร ในตลาดจอมพล
  - id: fund
    kind: programme
    title: กองทุนตั้งต้นสร้างอาชีพ
    questions: [ขอทุนสร้างอาชีพได้ไหม, เงินทุนเริ่มอาชีพ]
    keywords: [seed fund]
    answer: กองทุน 100,000 บาท สำหรับสร้างอาชีพ
  - id: unesco
    kind: faq
    title: ขอนแก่นเป็นเมืองแห่งการเรียนรู้ของยูเนสโก
    questions: [ขอนแก่นได้เป็นสมาชิกยูเนสโกเมื่อไหร่]
    keywords: [UNESCO, GNLC]
    answer: ได้รับการรับรองเมื่อ 14 กุมภาพันธ์ 2567
  - id: signup-how
    kind: faq
    title: วิธีสมัครเข้าร่วมกิจกรรม
    questions: [สมัครยังไง, ลงทะเบียนเข้าร่วมงานยังไง]
    answer: กดปุ่มสมัครใต้รายละเอียดของกิจกรรม
  - id: signup-cancel
    kind: faq
    title: ยกเลิกการสมัคร
    questions: [ยกเลิกการสมัครยังไง, ไม่ไปแล้วทำยังไง]
    answer: พิมพ์ /mysignups แล้วกดยกเลิก
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    path = tmp_path_factory.mktemp("kb") / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ปลูกผักตลาดจอมพล", "veg"),
        ("organic vegetable ที่ตลาด", "veg"),
        ("ปลูกผกตลาดจอมพน", "veg"),  # typos: missing vowel, wrong final consonant
        ("ขอทุนทำอาชีพ", "fund"),
        ("seed fund", "fund"),
        ("ขอนแก่นเป็นเมืองยูเนสโกมื้อใด๋", "unesco"),  # Isan: when
        ("unesco learning city", "unesco"),
        ("สมัครยังไงคะ", "signup-how"),
        ("register how", "signup-how"),
        ("ยกเลิกการสมัคร", "signup-cancel"),
        ("pluk pak talad jompol", "veg"),  # romanised Thai
    ],
)
def test_answers(small: Knowledge, question: str, expected: str) -> None:
    result = small.matcher.match(question)
    assert result.outcome is Outcome.ANSWER, result
    assert result.answer_id == expected


@pytest.mark.parametrize(
    "question",
    ["โรงพยาบาลเปิดกี่โมง", "ธนาคารรับสมัครงานไหม", "ห้างเซ็นทรัลปิดกี่ทุ่ม", "ครับ", "???"],
)
def test_out_of_scope_is_not_answered(small: Knowledge, question: str) -> None:
    assert small.matcher.match(question).answer_id is None


def test_json_shape(small: Knowledge) -> None:
    data = small.matcher.match("ปลูกผัก").as_json()
    assert set(data) == {"question", "answer_id", "score", "suggestions"}
    assert data["answer_id"] == "veg" and isinstance(data["score"], float)


def test_ambiguous_question_suggests_a_few(small: Knowledge) -> None:
    result = small.matcher.match("การสมัคร")
    assert result.outcome in (Outcome.SUGGEST, Outcome.ANSWER)
    if result.outcome is Outcome.SUGGEST:
        assert 1 <= len(result.suggestions) <= 3
        assert set(result.suggestions) <= {"signup-how", "signup-cancel"}


def test_learned_phrasings_are_indexed(tmp_path: Path) -> None:
    from dataclasses import replace

    from kb.matcher import Matcher
    from kb.model import KnowledgeBase

    path = tmp_path / "k.yaml"
    path.write_text(SMALL, encoding="utf-8")
    base = Knowledge.load(path, ROOT / "data" / "lexicon.yaml", BANGKOK)
    assert base.matcher.match("สวนครัวกลางเมือง").answer_id != "veg"
    entries = tuple(
        replace(e, learned=("สวนครัวกลางเมือง",)) if e.id == "veg" else e for e in base.kb
    )
    kb = KnowledgeBase(entries)
    assert Matcher(kb, base.matcher.text).match("สวนครัวกลางเมือง").answer_id == "veg"


def test_shipped_kb_basic_questions(knowledge: Knowledge) -> None:
    assert knowledge.matcher.match("U2T คืออะไร").answer_id is not None
    assert knowledge.matcher.match("โรงพยาบาลศรีนครินทร์เปิดกี่โมง").answer_id is None
