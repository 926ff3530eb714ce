"""The matcher on a small knowledge base of its own, and on the shipped one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb import calibration
from kb.knowledge import Knowledge
from kb.matching import Outcome, Thresholds
from kb.matching.romanised import RomanisedIndex, sound
from kb.matching.speller import Speller, typo_distance
from kb.matching.terms import TermIndex
from kb.matching.trigrams import ShapeUnits, TrigramIndex, trigrams
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

    from kb.matching import Matcher
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
    # Through Knowledge, as the bot does; with nothing learned the index is not rebuilt.
    learned = base.with_learned({"veg": ("สวนครัวกลางเมือง",)})
    assert learned.matcher.match("สวนครัวกลางเมือง").answer_id == "veg"
    assert base.with_learned({}) is base
    assert learned.with_learned({"veg": ("สวนครัวกลางเมือง",)}) is learned


def test_term_index_coverage_is_the_share_of_the_question_explained(small: Knowledge) -> None:
    text = small.matcher.text
    terms = TermIndex(text)
    for fields in (
        [("title", "แปลงผักปลอดสารพิษ"), ("answer", "ตลาดจอมพล")],
        [("title", "กองทุนสร้างอาชีพ"), ("questions", "ขอทุนได้ไหม")],
    ):
        terms.add([(f, words := text.segment(t), text.expand_all(words)) for f, t in fields])
    terms.finish()
    assert terms.knows("ผัก") and not terms.knows("โรงพยาบาล")  # a compound brings its parts
    assert terms.entry_count("ทุน") == 1
    # The spellings handed to the speller: the lexicon's variants of terms the entries use.
    assert terms.surfaces["กาด"] == "ตลาด" and terms.surfaces["กองทุน"] == "ทุน"
    veg = terms.coverage([[("ผัก", 1.0)]])
    assert veg[0] > 0 and veg[1] == 0
    # A word no entry uses takes its share of the question: coverage falls.
    assert terms.coverage([[("ผัก", 1.0)], [("โรงพยาบาล", 1.0)]])[0] < veg[0] / 2


def test_shipped_kb_basic_questions(knowledge: Knowledge) -> None:
    assert knowledge.matcher.match("U2T คืออะไร").answer_id is not None
    assert knowledge.matcher.match("โรงพยาบาลศรีนครินทร์เปิดกี่โมง").answer_id is None


def test_letters_that_sound_alike_are_half_a_slip() -> None:
    # Residents spell by ear: the same initial sound (ศ for ส) or final sound (น for ร,
    # บ for พ) is a lesser slip than a different letter.
    assert typo_distance("กสน", "กศน", 1) == 0.5
    assert typo_distance("ข่าวสาน", "ข่าวสาร", 2) == 0.5
    assert typo_distance("อาชีบ", "อาชีพ", 1) == 0.5
    assert typo_distance("กสน", "แสน", 1) == 1.0


def test_speller_corrects_to_the_term_of_the_closest_spelling() -> None:
    speller = Speller(
        {"อาชีพ": "อาชีพ", "ข่าวสาร": "ข่าวสาร", "ตลาด": "ตลาด", "ข้อมูลส่วนบุคคล": "ข้อมูลส่วนตัว"}
    )
    assert speller.correct("อาชีบ") == ("อาชีพ", 0.9)  # a final heard alike: half a slip
    assert speller.correct("ขาวสาร") == ("ข่าวสาร", 0.95)  # only the tone mark missing
    # A lexicon variant corrects to the knowledge base's term.
    variant = speller.correct("ข้อมูลส่วนบุคคน")
    assert variant is not None and variant[0] == "ข้อมูลส่วนตัว"
    assert speller.correct("โรงพยาบาล") is None
    # A real word the knowledge base does not use is what makes a question out of scope.
    assert speller.is_other_word("โรงพยาบาล") and not speller.is_other_word("อาชีพ")
    assert not speller.is_other_word("อาชีบ")


def test_sound_alike_misspellings_are_corrected(lexical_knowledge: Knowledge) -> None:
    m = lexical_knowledge.matcher
    # Found although กสน shares no letter pair with กศน: candidates are looked up by sound.
    assert m.match("กสน. ขอนแก่น").ranked[0].entry_id == "kk-org-nfe"
    # A slip inside a compound that newmm cuts into five words.
    assert m.match("เมืองแห่งการเรียรู้คืออะไร").answer_id == "kk-learning-city-what"


def test_romanised_thai_as_residents_hear_it(lexical_knowledge: Knowledge) -> None:
    m = lexical_knowledge.matcher
    # กิจกรรม is said kit-cha-kam: the linking syllable is heard, not written.
    assert m.match("mee kitjakam arai bang").ranked[0].entry_id == "kk-faq-events-list"
    # A compound term longer than 15 letters (เมืองแห่งการเรียนรู้) is romanised too.
    assert m.match("muang haeng kan rian ru").ranked[0].entry_id == "kk-learning-city-what"
    # A guessed linking syllable never takes a written word's key: talad is still ตลาด.
    assert m.romanised.lookup("talad") == ("ตลาด", 0.85)


def test_romanised_keys_spelt_as_residents_and_royin_spell() -> None:
    words = ["ตลาด", "จอมพล", "กิจกรรม", "สมัคร", "ผัก"]
    index = RomanisedIndex({w: w for w in words}, lambda term: 1)
    # Residents' spelling and the Royal Institute's share a sound key.
    assert sound("jompol") == sound("chomphon")
    assert index.lookup("jompol") == index.lookup("chomphon") == ("จอมพล", 0.9)
    assert index.lookup("kitjakam") == ("กิจกรรม", 0.9)  # the unwritten linking syllable
    assert index.lookup("kit kam") == ("กิจกรรม", 0.9)  # syllables typed apart
    assert index.lookup("samakn") == ("สมัคร", 0.9)  # royin's silent ร
    assert index.lookup("hospital") is None
    assert index.lookup("ab") is None  # too short to say anything


def test_trigram_shape_finds_the_misspelt_title() -> None:
    index = TrigramIndex()
    index.add(0, "แปลงผักปลอดสารพิษตลาดจอมพล")
    index.add(0, "ปลูกผักที่ตลาดจอมพลได้ไหม")
    index.add(1, "กองทุนตั้งต้นสร้างอาชีพ")
    index.add(1, "ขอทุนสร้างอาชีพได้ไหม")
    index.add(3, "ยกเลิกการสมัคร")  # entry 2 has no unit at all
    index.finish(4)
    # Missing vowels, a wrong final and no spaces still share most letter triples.
    veg = index.scores("ปลูกผกตลาดจอมพน")
    assert veg.argmax() == 0 and veg[0] > 0.4 and veg[1:].max() == 0
    fund = index.scores("ขอทุนสางอาชีบ")
    assert fund.argmax() == 1 and fund[1] > 0.4
    assert not index.scores("hello").any() and len(index.scores("")) == 4


def test_shape_units_count_trigrams_as_a_counter_would() -> None:
    # Units are counted in numpy batches; each must get exactly its own padded trigrams,
    # none spanning two units, an empty unit its one gram "  ".
    import random

    rng = random.Random(5)
    letters = "กขคงจฉชซญดตถทนบปผพฟมยรลวสหอะาิีึืุูเแโใไ่้๊๋abc"
    texts = [
        "",
        "ผักผักผัก",
        "a",
        "ตลาด จอมพล",
        *("".join(rng.choices(letters, k=40)) for _ in range(1500)),
    ]
    units = ShapeUnits()
    units.BATCH = 1000  # several batches, the last one partial
    for text in texts:
        units.add(text)
    grams, ids, counts, sizes = units.take()
    assert ids.dtype == np.uint16
    names = {gid: gram for gram, gid in grams.items()}
    start = 0
    for text, size in zip(texts, sizes.tolist(), strict=True):
        pairs = zip(
            ids[start : start + size].tolist(), counts[start : start + size].tolist(), strict=True
        )
        got = {names[g]: c for g, c in pairs}
        assert got == dict(trigrams(text)), text
        start += size
    assert start == len(ids)


def test_shape_units_widen_gram_ids_past_two_bytes() -> None:
    units = ShapeUnits()
    consonants = [chr(c) for c in range(0x0E01, 0x0E2F)]  # 46: 97,336 three-letter words
    for a in consonants:
        for b in consonants:
            units.add(" ".join(a + b + c for c in consonants))
    grams, ids, _, sizes = units.take()
    assert len(grams) > 1 << 16
    assert ids.dtype == np.int32 and int(ids.max()) == len(grams) - 1
    assert int(sizes.sum()) == len(ids)


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("library opening hours", True),
        ("hong samut perd kee mong", True),
        ("ห้องสมุดเปิดกี่โมง", False),
        ("สมัครผ่าน LINE ได้ไหม", False),
        ("???", False),
    ],
)
def test_latin_script_is_a_question_mostly_in_latin_letters(text: str, latin: bool) -> None:
    assert calibration.latin_script(text) is latin


def test_calibration_lifts_questions_in_latin_letters_by_their_gap() -> None:
    thai = np.linspace(0.1, 0.5, 200)
    latin = np.linspace(0.1, 0.5, 40) - 0.08  # as the Thai ones, scored lower
    best = np.r_[thai, latin]
    lead = np.full(len(best), 0.1)
    mask = np.r_[np.zeros(len(thai), bool), np.ones(len(latin), bool)]
    placed = calibration.derive(best, lead, 0.03, latin=mask)
    assert placed.latin_shift == pytest.approx(0.08)
    # Not told which questions are in Latin letters: nothing is lifted.
    assert calibration.derive(best, lead, 0.03).latin_shift == 0.0
    # Too few questions in one script to tell: no shift.
    few = mask & (np.arange(len(best)) < len(thai) + calibration.SCRIPT_MIN - 1)
    keep = ~mask | few
    assert calibration.derive(best[keep], lead[keep], 0.03, latin=few[keep]).latin_shift == 0.0


def test_a_question_in_latin_letters_is_scored_with_the_shift(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    lexicon = ROOT / "data" / "lexicon.yaml"
    plain = Knowledge.load(path, lexicon, BANGKOK).matcher
    lifted = Knowledge.load(path, lexicon, BANGKOK, Thresholds(latin_shift=0.1)).matcher
    before, after = plain.match("seed fund"), lifted.match("seed fund")
    assert [s.entry_id for s in after.ranked] == [s.entry_id for s in before.ranked]
    assert [s.score for s in after.ranked] == pytest.approx([s.score + 0.1 for s in before.ranked])
    thai = "ขอทุนทำอาชีพ"
    assert lifted.match(thai).ranked == plain.match(thai).ranked
