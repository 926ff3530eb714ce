"""Normalisation, segmentation and the lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest
from pythainlp.corpus import thai_words
from pythainlp.tokenize import newmm
from pythainlp.util import Trie

from bot.config import ROOT
from kb.thai import (
    LexiconError,
    ThaiText,
    WordCounts,
    WordDictionary,
    general_frequencies,
    load_lexicon,
    normalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ค่าาาาา", "ค่า"),  # emphasis by repetition
        ("ดีมากกกกก", "ดีมาก"),
        ("สม\u200bัคร", "สมัคร"),  # zero-width space from copy-paste
        ("๑๒ ธันวาคม ๒๕๖๙", "12 ธันวาคม 2569"),  # Thai digits
        ("REGISTER Now!!", "register now"),
        ("เเปลงผัก", "แปลงผัก"),  # two sara e typed for sara ae
        ("น\u0e4d\u0e32", "นำ"),  # nikhahit + sara aa typed for sara am
        ("ต่างๆ นานา", "ต่าง นานา"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_kb_terms_stay_whole_and_parts_are_kept(thai: ThaiText) -> None:
    tokens = thai.tokens("ไปตลาดจอมพล")
    assert "ตลาดจอมพล" in tokens and "ตลาด" in tokens


def test_isan_dialect_maps_to_standard_thai(thai: ThaiText) -> None:
    assert thai.tokens("มื้อใด๋") == ["เมื่อไร"]
    assert thai.tokens("เฮ็ดจั่งใด๋") == ["ทำ", "อย่างไร"]
    assert "ไม่" in thai.tokens("บ่ได้ไป")
    assert thai.tokens("อยู่ไส")[:2] == ["อยู่", "ที่ไหน"]
    assert thai.tokens("อยู่ไส") == thai.tokens("อยู่ที่ไหน")


def test_colloquial_spellings(thai: ThaiText) -> None:
    assert thai.tokens("ยังไง") == thai.tokens("อย่างไร")
    assert thai.tokens("เมื่อไหร่") == thai.tokens("เมื่อไร")


def test_english_words_and_phrases_map_to_thai(thai: ThaiText) -> None:
    assert thai.tokens("register") == ["สมัคร"]
    assert thai.tokens("Sign up") == ["สมัคร"]
    assert thai.tokens("free parking")[:2] == ["ฟรี", "ที่จอดรถ"]
    assert thai.tokens("free parking") == thai.tokens("ฟรี ที่จอดรถ")
    assert "ผู้สูงอายุ" in thai.tokens("elderly welcome?")
    assert "ลูก" in thai.tokens("can I bring kids")


def test_particles_are_dropped_but_question_words_kept(thai: ThaiText) -> None:
    assert thai.tokens("ครับ ค่ะ นะคะ") == []
    assert "ที่ไหน" in thai.tokens("จัดที่ไหนครับ")


def test_latin_and_digits_stay_together(thai: ThaiText) -> None:
    assert thai.tokens("U2T คือ") == ["ยูทูที"]
    assert "covid" not in thai.tokens("covid-19") and "โควิด" in thai.tokens("covid-19")


def test_lexicon_refuses_a_variant_under_two_terms(tmp_path: Path) -> None:
    path = tmp_path / "lex.yaml"
    path.write_text("synonyms:\n  ไม่: [บ่]\n  ไหม: [บ่]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="'บ่' is listed under both"):
        load_lexicon(path)


def test_dates_as_thai_people_write_them(thai: ThaiText) -> None:
    full = thai.tokens("12 ธันวาคม 2569")
    assert thai.tokens("12 ธ.ค. 69") == full
    assert thai.tokens("12 ธันวา 2569") == full
    assert thai.tokens("12 december 2026") == full  # Common Era becomes Buddhist Era
    assert thai.tokens("ปี 67") == thai.tokens("ปี 2567")
    assert "2567" not in thai.tokens("ลูกอายุ 67")  # a number is only a year after a cue


def test_compounds_carry_their_parts_but_words_are_not_cut_into_syllables(thai: ThaiText) -> None:
    # A resident types เสียตังค์ for the knowledge base's เสียเงิน: the parts must meet.
    assert thai.tokens("เสียเงิน") == ["เสียเงิน", "เสีย", "เงิน"]
    assert {"เสีย", "เงิน"} <= set(thai.tokens("เสียตังค์"))
    # Lexicalised words and loanwords that the dictionary could cut are left whole.
    for word in ("กิจกรรม", "ยกเลิก", "ออนไลน์", "อาชีพ", "โครงการ"):
        assert thai.tokens(word) == [word], word


def test_phrases_match_whole_words_only(thai: ThaiText) -> None:
    # The month abbreviation ม.ค. becomes "ม ค": it must not be found inside ผม ครับ.
    assert thai.segment("ผม ครับ") == ["ผม", "ครับ"]
    assert thai.segment("12 ธ.ค. 66") == ["12", "ธันวาคม", "2566"]
    assert thai.segment("sign upper") == ["sign", "upper"]
    assert "สมัคร" in thai.tokens("อยากsign up")


def test_dictionary_parts_of_any_length() -> None:
    # A one-letter keyword once made the compound splitter loop for ever at load time.
    text = ThaiText(load_lexicon(ROOT / "data" / "lexicon.yaml"), ["ก", "ผักปลอดสารพิษ"])
    assert text.dictionary_parts("ก") == ["ก"]
    assert text.dictionary_parts("เสียเงิน") == ["เสีย", "เงิน"]
    assert "ผัก" in text.tokens("ผักปลอดสารพิษ")


def test_isan_bo_ends_a_question_but_negates_inside(thai: ThaiText) -> None:
    # ไปได้บ่ asks "can I go?"; บ่ได้ไป says "did not go".
    assert thai.tokens("ไปได้บ่") == thai.tokens("ไปได้ไหม")
    assert "ไม่" in thai.tokens("บ่ได้ไป")


def test_word_dictionary_answers_as_pythainlp_trie() -> None:
    # newmm's segmentation depends only on prefixes(): the same answers, the same words.
    extra = ["ตลาดจอมพล", "คู่เสี่ยว", "ก", " ผักปลอด "]
    trie = Trie([*thai_words(), *extra])
    ours = WordDictionary(thai_words(), extra)
    text = "ตลาดจอมพลมีผักปลอดสารพิษขายทุกวันเสาร์คู่เสี่ยวไปด้วยกันกอ"
    for start in range(len(text)):
        assert ours.prefixes(text, start) == trie.prefixes(text, start)
    assert newmm.segment(text, custom_dict=ours) == newmm.segment(text, custom_dict=trie)
    assert "ผักปลอด" in ours and "ผักปลอดสาร" not in ours
    assert len(ours) == len(trie)


def test_word_counts() -> None:
    counts = WordCounts([("ผัก", 120), ("ตลาด", 7), ("ที่", 818_364)])
    assert counts.get("ตลาด") == 7 and counts.get("ตลาดนัด") is None
    assert counts.count("ที่") == 818_364 and counts.count("จอมพล") == 0
    assert counts.total == 818_491 and len(counts) == 3
    corpus = general_frequencies()
    assert corpus.count("ที่") > corpus.count("ตลาด") > 0 and corpus.count("qzx") == 0


def test_phrase_pattern_takes_the_longest_phrase() -> None:
    import re

    from kb.thai import _longest_of

    pattern = re.compile(_longest_of(["sign up", "sign up for", "sign in", "ม ค", "ม"]))
    assert pattern.findall("sign up for sign upx sign in ม ค ม") == [
        "sign up for",
        "sign up",
        "sign in",
        "ม ค",
        "ม",
    ]
    assert pattern.fullmatch("sign u") is None
