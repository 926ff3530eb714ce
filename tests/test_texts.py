"""Thai dates, escaping and message splitting."""

from __future__ import annotations

from datetime import datetime

from bot import texts
from tests.conftest import BANGKOK


def test_buddhist_era_dates_as_thai_people_write_them() -> None:
    s = datetime(2026, 12, 12, 13, 0, tzinfo=BANGKOK)
    e = datetime(2026, 12, 12, 16, 30, tzinfo=BANGKOK)
    assert texts.thai_when(s, None, BANGKOK) == "วันเสาร์ที่ 12 ธันวาคม 2569 เวลา 13.00 น."
    assert texts.thai_when(s, e, BANGKOK) == "วันเสาร์ที่ 12 ธันวาคม 2569 เวลา 13.00–16.30 น."
    assert texts.thai_date_short(s) == "12 ธ.ค. 69"


def test_times_are_shown_in_bangkok_whatever_zone_they_were_written_in() -> None:
    from datetime import UTC

    utc = datetime(2026, 12, 12, 6, 0, tzinfo=UTC)
    assert texts.thai_when(utc, None, BANGKOK).endswith("เวลา 13.00 น.")


def test_multi_day_range() -> None:
    s = datetime(2027, 1, 31, 9, 0, tzinfo=BANGKOK)
    e = datetime(2027, 2, 1, 16, 0, tzinfo=BANGKOK)
    assert texts.thai_when(s, e, BANGKOK) == (
        "วันอาทิตย์ที่ 31 มกราคม 2570 เวลา 09.00 น. ถึง วันจันทร์ที่ 1 กุมภาพันธ์ 2570 เวลา 16.00 น."
    )


def test_escape() -> None:
    assert texts.esc("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"


def test_pack_splits_on_line_boundaries_within_the_limit() -> None:
    lines = [f"บรรทัด {i} " + "ก" * 90 for i in range(200)]
    blocks = texts.escaped_blocks("\n".join(lines))
    messages = texts.pack(["<b>หัวข้อ</b>", *blocks])
    assert len(messages) > 1
    assert all(texts.visible_length(m) <= texts.TELEGRAM_LIMIT for m in messages)
    assert messages[0].startswith("<b>หัวข้อ</b>")
    joined = "\n".join(m for m in messages).replace("<b>หัวข้อ</b>\n", "")
    assert joined.split("\n") == lines  # nothing lost, nothing cut mid-line


def test_a_single_line_longer_than_the_limit_is_cut_at_spaces() -> None:
    text = " ".join(["คำ"] * 3000)  # 8999 characters, one line
    pieces = texts.split_plain(text, texts.TELEGRAM_LIMIT)
    assert all(len(p) <= texts.TELEGRAM_LIMIT for p in pieces)
    assert " ".join(pieces) == text


def test_visible_length_ignores_tags_and_counts_entities_once() -> None:
    assert texts.visible_length("<b>a &amp; b</b>") == 5


def test_commands_are_valid_for_telegram() -> None:
    import re

    for command, description in texts.COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command)
        assert 1 <= len(description) <= 256


def test_organisers_see_broadcast_statuses_in_thai() -> None:
    """/broadcasts shows each status bot.broadcasts writes (running, done, cancelled) in Thai."""
    for status in ("running", "done", "cancelled"):
        line = texts.broadcast_line("#1", status, 3, 5, 1, 1)
        assert status not in line and texts.BROADCAST_STATUS[status] in line
        assert "ส่งแล้ว 3/5 · ไม่สำเร็จ 1 · บล็อก 1" in line
