"""The date-and-time reader organisers' /newevent uses: the forms Thai people type, and the
Thai messages for what it cannot read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.texts import thai_date_short, thai_time, thai_when
from kb.thaidate import THAI_MONTHS, DateError, When, parse_when

TZ = ZoneInfo("Asia/Bangkok")
# Friday 4 December 2026 (2569), late afternoon: this week runs Monday 30 Nov to Sunday 6 Dec.
NOW = datetime(2026, 12, 4, 17, 0, tzinfo=TZ)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


CASES: list[tuple[str, datetime, datetime | None, tuple[str, ...]]] = [
    # the three from issue 16
    ("12 ธ.ค. 69 13.00", at(12, 12, 13), None, ()),
    ("เสาร์หน้า บ่ายโมง", at(12, 12, 13), None, ()),
    ("23/1/2570 9.30", at(1, 23, 9, 30, 2027), None, ()),
    # Thai months, full and abbreviated, with or without dots and spaces
    ("12 ธันวาคม 2569 13.00 น.", at(12, 12, 13), None, ()),
    ("12 ธค 69 13:00", at(12, 12, 13), None, ()),
    ("12 ธ. ค. 69 13.00", at(12, 12, 13), None, ()),
    ("12 ธ.ค 69 เวลา 13.00 น.", at(12, 12, 13), None, ()),
    ("12 ธันวา 69 13.00", at(12, 12, 13), None, ()),
    ("5 มี.ค. 70 9.00", at(3, 5, 9, 0, 2027), None, ()),
    ("5 มีนาคม 2570 9.00", at(3, 5, 9, 0, 2027), None, ()),
    ("1 มิ.ย. 2570 10.00", at(6, 1, 10, 0, 2027), None, ()),
    ("ยี่สิบสาม มกรา 70 บ่ายโมง", at(1, 23, 13, 0, 2027), None, ()),
    # years: Buddhist Era 4 and 2 digits, Christian Era, marked with พ.ศ./ค.ศ./ปี
    ("12 ธ.ค. 2026 13.00", at(12, 12, 13), None, ()),
    ("12 ธ.ค. พ.ศ. 2569 13.00", at(12, 12, 13), None, ()),
    ("12 ธ.ค. ค.ศ. 2026 13.00", at(12, 12, 13), None, ()),
    ("12 ธ.ค. ปี 69 13.00", at(12, 12, 13), None, ()),
    # numbers: d/m/y with / - or ., d/m, ISO
    ("12/12/2026 13.00", at(12, 12, 13), None, ()),
    ("12-12-2569 13.00", at(12, 12, 13), None, ()),
    ("12.12.69 13.00", at(12, 12, 13), None, ()),
    ("12/12 9.30", at(12, 12, 9, 30), None, ("ปีนี้",)),
    ("2026-12-12 13:00", at(12, 12, 13), None, ()),
    # no year: the next such date not in the past (today counts; the caller judges the time)
    ("3 ม.ค. 10.00", at(1, 3, 10, 0, 2027), None, ("ปีหน้า",)),
    ("3 ธ.ค. 10.00", at(12, 3, 10, 0, 2027), None, ("ปีหน้า",)),
    ("4 ธ.ค. 10.00", at(12, 4, 10), None, ("ปีนี้",)),
    ("29 ก.พ. 13.00", at(2, 29, 13, 0, 2028), None, ("ปี 2571",)),
    ("วันที่ 12 บ่ายโมง", at(12, 12, 13), None, ("เดือนนี้",)),
    ("วันที่ 2 บ่ายโมง", at(1, 2, 13, 0, 2027), None, ("เดือนหน้า",)),
    ("เสาร์ที่ 12 นี้ บ่ายโมง", at(12, 12, 13), None, ("เดือนนี้",)),
    # Thai digits anywhere
    ("๑๒ ธ.ค. ๖๙ ๑๓.๐๐ น.", at(12, 12, 13), None, ()),
    ("๒๓/๑/๒๕๗๐ ๙.๓๐", at(1, 23, 9, 30, 2027), None, ()),
    ("พรุ่งนี้ ๙ โมง", at(12, 5, 9), None, ()),
    # no spaces
    ("12ธ.ค.69 13.00", at(12, 12, 13), None, ()),
    ("12ธ.ค.6913.00", at(12, 12, 13), None, ()),
    ("เสาร์หน้าบ่ายโมง", at(12, 12, 13), None, ()),
    ("พรุ่งนี้บ่ายสองโมงครึ่ง", at(12, 5, 14, 30), None, ()),
    # days relative to today (Friday 4 Dec)
    ("วันนี้ 18.00", at(12, 4, 18), None, ()),
    ("คืนนี้ 2 ทุ่ม", at(12, 4, 20), None, ()),
    ("พรุ่งนี้เช้า 9 โมง", at(12, 5, 9), None, ()),
    ("พรุ่งนี้เย็น 6 โมง", at(12, 5, 18), None, ()),
    ("พรุ่งนี้ 9 โมง", at(12, 5, 9), None, ()),
    ("มะรืน บ่าย 3", at(12, 6, 15), None, ()),
    ("มะรืนนี้ บ่ายสอง", at(12, 6, 14), None, ()),
    ("วันเสาร์ 4 โมงเย็น", at(12, 5, 16), None, ()),
    ("เสาร์นี้ เที่ยง", at(12, 5, 12), None, ()),
    ("ส. หกโมงเย็น", at(12, 5, 18), None, ()),
    ("วันอาทิตย์ 10.00", at(12, 6, 10), None, ()),
    ("อา. 10.00", at(12, 6, 10), None, ()),
    ("อาทิตย์นี้ 10.00", at(12, 6, 10), None, ()),
    ("วันอาทิตย์หน้า 1 ทุ่ม", at(12, 13, 19), None, ()),
    ("จันทร์หน้า 8.30", at(12, 7, 8, 30), None, ()),
    ("พฤหัสหน้า 10.00", at(12, 10, 10), None, ()),
    ("พฤ. 10.00", at(12, 10, 10), None, ()),
    ("ศุกร์นี้ 18.00", at(12, 4, 18), None, ()),
    ("ศุกร์หน้า 10.00", at(12, 11, 10), None, ()),
    # a bare weekday that is today, at a time already past: the same day next week
    ("วันศุกร์ 10.00", at(12, 11, 10), None, ("วันศุกร์หน้า",)),
    # "อาทิตย์หน้า"/"สัปดาห์หน้า" with a weekday: that day of next week
    ("อาทิตย์หน้า วันพุธ 9 โมงเช้า", at(12, 9, 9), None, ()),
    ("สัปดาห์หน้า วันศุกร์ เก้าโมง", at(12, 11, 9), None, ()),
    ("วันพุธ สัปดาห์หน้า 2 ทุ่ม", at(12, 9, 20), None, ()),
    ("อาทิตย์หน้า ทุ่มนึง", at(12, 13, 19), None, ()),  # alone: Sunday of next week
    # a weekday beside a date is checked against it
    ("วันเสาร์ที่ 12 ธ.ค. 69 13.00", at(12, 12, 13), None, ()),
    ("เสาร์หน้า 19 ธ.ค. 13.00", at(12, 19, 13), None, ("ปีนี้",)),
    ("พรุ่งนี้ 5 ธ.ค. 13.00", at(12, 5, 13), None, ()),
    # the time first
    ("บ่ายโมง วันเสาร์หน้า", at(12, 12, 13), None, ()),
    ("เวลา 13 น. 12 ธ.ค. 69", at(12, 12, 13), None, ()),
    # every clock word
    ("12 ธ.ค. 69 13 น.", at(12, 12, 13), None, ()),
    ("12 ธ.ค. 69 13 นาฬิกา", at(12, 12, 13), None, ()),
    ("12 ธ.ค. 69 บ่ายโมง", at(12, 12, 13), None, ()),
    ("12 ธ.ค. 69 บ่ายสอง", at(12, 12, 14), None, ()),
    ("12 ธ.ค. 69 บ่ายสาม", at(12, 12, 15), None, ()),
    ("12 ธ.ค. 69 บ่าย 3", at(12, 12, 15), None, ()),
    ("12 ธ.ค. 69 บ่าย 3 โมง", at(12, 12, 15), None, ()),
    ("12 ธ.ค. 69 4 โมงเย็น", at(12, 12, 16), None, ()),
    ("12 ธ.ค. 69 4 โมง", at(12, 12, 16), None, ()),
    ("12 ธ.ค. 69 ห้าโมงเย็น", at(12, 12, 17), None, ()),
    ("12 ธ.ค. 69 หกโมงเย็น", at(12, 12, 18), None, ()),
    ("12 ธ.ค. 69 หกโมง", at(12, 12, 6), None, ("ตอนเช้า",)),
    ("12 ธ.ค. 69 เที่ยง", at(12, 12, 12), None, ()),
    ("12 ธ.ค. 69 เที่ยงวัน", at(12, 12, 12), None, ()),
    ("12 ธ.ค. 69 เที่ยงตรง", at(12, 12, 12), None, ()),
    ("12 ธ.ค. 69 เที่ยงคืน", at(12, 13, 0), None, ("เที่ยงคืน = 00.00 น. ของวันถัดไป",)),
    ("12 ธ.ค. 69 9 โมง", at(12, 12, 9), None, ()),
    ("12 ธ.ค. 69 9 โมงเช้า", at(12, 12, 9), None, ()),
    ("12 ธ.ค. 69 เก้าโมง", at(12, 12, 9), None, ()),
    ("12 ธ.ค. 69 สิบโมง", at(12, 12, 10), None, ()),
    ("12 ธ.ค. 69 สิบเอ็ดโมงครึ่ง", at(12, 12, 11, 30), None, ()),
    ("12 ธ.ค. 69 7 โมงเช้า", at(12, 12, 7), None, ()),
    ("12 ธ.ค. 69 1 ทุ่ม", at(12, 12, 19), None, ()),
    ("12 ธ.ค. 69 ทุ่มนึง", at(12, 12, 19), None, ()),
    ("12 ธ.ค. 69 หนึ่งทุ่ม", at(12, 12, 19), None, ()),
    ("12 ธ.ค. 69 2 ทุ่ม", at(12, 12, 20), None, ()),
    ("12 ธ.ค. 69 สามทุ่มครึ่ง", at(12, 12, 21, 30), None, ()),
    ("12 ธ.ค. 69 ตี 5", at(12, 12, 5), None, ()),
    ("12 ธ.ค. 69 ตีหนึ่ง", at(12, 12, 1), None, ()),
    ("12 ธ.ค. 69 บ่ายโมงครึ่ง", at(12, 12, 13, 30), None, ()),
    ("12 ธ.ค. 69 9 โมงครึ่ง", at(12, 12, 9, 30), None, ()),
    ("12 ธ.ค. 69 บ่ายสองโมงสิบห้านาที", at(12, 12, 14, 15), None, ()),
    ("12 ธ.ค. 69 9 โมง 15 นาที", at(12, 12, 9, 15), None, ()),
    ("12 ธ.ค. 69 ตอนบ่าย 2 โมง", at(12, 12, 14), None, ()),
    ("12 ธ.ค. 69 ตอนเย็น 6 โมง", at(12, 12, 18), None, ()),
    ("12 ธ.ค. 69 บ่าย 2.30", at(12, 12, 14, 30), None, ()),
    ("12 ธ.ค. 69 13.00 ครับ", at(12, 12, 13), None, ()),
    ("12 ธ.ค. 69 24.00", at(12, 13, 0), None, ("เที่ยงคืน = 00.00 น. ของวันถัดไป",)),
    # ranges
    ("12 ธ.ค. 69 13.00-16.30", at(12, 12, 13), at(12, 12, 16, 30), ()),
    ("12 ธ.ค. 69 13.00 - 16.30 น.", at(12, 12, 13), at(12, 12, 16, 30), ()),
    ("12 ธ.ค. 69 13.00 น. – 16.30 น.", at(12, 12, 13), at(12, 12, 16, 30), ()),
    ("12 ธ.ค. 69 9:30-12:00", at(12, 12, 9, 30), at(12, 12, 12), ()),
    ("12 ธ.ค. 13-16 น.", at(12, 12, 13), at(12, 12, 16), ("ปีนี้",)),
    ("พรุ่งนี้ 9 โมง ถึง เที่ยง", at(12, 5, 9), at(12, 5, 12), ()),
    ("พรุ่งนี้ บ่ายโมงถึงบ่ายสี่โมง", at(12, 5, 13), at(12, 5, 16), ()),
    ("ตั้งแต่ 9.00 จนถึง 12.00 วันที่ 12 ธ.ค. 69", at(12, 12, 9), at(12, 12, 12), ()),
    ("พรุ่งนี้ 20.00 ถึง เที่ยงคืน", at(12, 5, 20), at(12, 6, 0), ()),
    ("12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00", at(12, 12, 9), at(12, 13, 16), ()),
    # English, now and then
    ("12 dec 2026 1pm", at(12, 12, 13), None, ()),
    ("next friday 9.30 am", at(12, 11, 9, 30), None, ()),
    ("tomorrow 12 pm", at(12, 5, 12), None, ()),
    # an end typed loosely comes after its start
    ("3 ธ.ค. 9.00 ถึง 4 ธ.ค. 16.00", at(12, 3, 9, 0, 2027), at(12, 4, 16, 0, 2027), ("ปีหน้า",)),
    ("เสาร์หน้า 9.00 ถึง วันอาทิตย์ 16.00", at(12, 12, 9), at(12, 13, 16), ()),
    ("31 ธ.ค. 20.00 ถึง 1 ม.ค. 2.00", at(12, 31, 20), at(1, 1, 2, 0, 2027), ("ปีนี้", "ปีหน้า")),
    # a tone mark typed before its vowel, เเ for แ
    ("พรุ่งน\u0e49\u0e35 เเปดโมง", at(12, 5, 8), None, ()),
    # a dash between the date and the time is not a range
    ("12 ธ.ค. 69 - 13.00 น.", at(12, 12, 13), None, ()),
]


@pytest.mark.parametrize(("text", "starts", "ends", "assumed"), CASES)
def test_reads(
    text: str, starts: datetime, ends: datetime | None, assumed: tuple[str, ...]
) -> None:
    assert parse_when(text, NOW, TZ) == When(starts, ends, assumed)


def test_enough_forms() -> None:
    assert len(CASES) >= 40


def test_aware_in_the_zone_asked_for() -> None:
    when = parse_when("12 ธ.ค. 69 13.00-16.30", NOW, TZ)
    assert when.starts.tzinfo is TZ and when.ends is not None and when.ends.tzinfo is TZ
    assert when.starts.utcoffset() == timedelta(hours=7)


def test_today_is_today_where_the_events_are() -> None:
    # 18.30 UTC on 4 Dec is already 01.30 on Saturday 5 Dec in Khon Kaen.
    now = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    assert parse_when("พรุ่งนี้ 9.00", now, TZ).starts == at(12, 6, 9)
    assert parse_when("วันนี้ 9.00", now, TZ).starts == at(12, 5, 9)


def test_next_saturday_is_the_saturday_of_next_week() -> None:
    # On Saturday "เสาร์นี้" is today and "เสาร์หน้า" a week on; on Sunday both are six days on.
    saturday = datetime(2026, 12, 5, 8, 0, tzinfo=TZ)
    assert parse_when("เสาร์นี้ 10.00", saturday, TZ).starts == at(12, 5, 10)
    assert parse_when("เสาร์หน้า 10.00", saturday, TZ).starts == at(12, 12, 10)
    sunday = datetime(2026, 12, 6, 8, 0, tzinfo=TZ)
    assert parse_when("เสาร์หน้า 10.00", sunday, TZ).starts == at(12, 12, 10)


def test_the_read_back_reads_back() -> None:
    """What bot/texts shows the organiser (in full and short) reads as the same time, so a
    confirmed date pasted back into an edit is not misread."""
    start = at(12, 12, 13)
    for days in range(0, 400, 37):
        for hours in (0, 5, 9, 13, 23):
            starts = start + timedelta(days=days, hours=hours - 13, minutes=15 * (days % 4))
            ends = starts + timedelta(hours=2, minutes=30)
            if ends.date() != starts.date():
                continue
            full = thai_when(starts, ends, TZ)
            assert parse_when(full, NOW, TZ) == When(starts, ends, ()), full
            short = f"{thai_date_short(starts)} {thai_time(starts)}"
            assert parse_when(short, NOW, TZ) == When(starts, None, ()), short


def test_thai_months_are_the_abbreviations() -> None:
    assert THAI_MONTHS[0] == "ม.ค." and THAI_MONTHS[11] == "ธ.ค." and len(THAI_MONTHS) == 12
    for n, name in enumerate(THAI_MONTHS, 1):
        assert parse_when(f"1 {name} 70 9.00", NOW, TZ).starts == at(n, 1, 9, 0, 2027)


EXAMPLE = "เช่น 12 ธ.ค. 69 13.00 หรือ เสาร์หน้า บ่ายโมง"
ERRORS: list[tuple[str, str]] = [
    ("", "พิมพ์วันและเวลาด้วย " + EXAMPLE),
    ("  ", "พิมพ์วันและเวลาด้วย " + EXAMPLE),
    ("12 ธ.ค. 69", "ใส่เวลาด้วย เช่น 13.00 น."),
    ("เสาร์หน้า", "ใส่เวลาด้วย เช่น 13.00 น."),
    ("บ่ายโมง", "ใส่วันที่ด้วย เช่น 12 ธ.ค. 69 13.00 หรือ พรุ่งนี้ 13.00"),
    ("13.00-16.30", "ใส่วันที่ด้วย เช่น 12 ธ.ค. 69 13.00 หรือ พรุ่งนี้ 13.00"),
    (
        "31 ก.พ. 70 13.00",
        "ไม่มีวันที่ 31 กุมภาพันธ์ 2570 เดือนกุมภาพันธ์มี 28 วัน เช่น 28 ก.พ. 13.00",
    ),
    (
        "29 ก.พ. 69 13.00",
        "ไม่มีวันที่ 29 กุมภาพันธ์ 2569 เดือนกุมภาพันธ์มี 28 วัน เช่น 28 ก.พ. 13.00",
    ),
    ("31 เม.ย. 13.00", "ไม่มีวันที่ 31 เมษายน เดือนเมษายนมี 30 วัน เช่น 30 เม.ย. 13.00"),
    ("12/13/69 9.00", "ไม่มีเดือนที่ 13 วันที่เขียนแบบ วัน/เดือน/ปี เช่น 23/1/2570 9.30"),
    ("12 ธ.ค. 3000 13.00", "ไม่เข้าใจปี 3000 ใช้ปี พ.ศ. เช่น 2569 หรือ 69 (หรือ ค.ศ. 2026)"),
    (
        "12 ธ.ค. 69 16.00-13.00",
        "เวลาเลิก (13.00 น.) ต้องหลังเวลาเริ่ม (16.00 น.) เช่น 13.00-16.30 น.",
    ),
    (
        "12 ธ.ค. 69 13.00-13.00",
        "เวลาเลิก (13.00 น.) ต้องหลังเวลาเริ่ม (13.00 น.) เช่น 13.00-16.30 น.",
    ),
    (
        "13 ธ.ค. 69 9.00 ถึง 12 ธ.ค. 69 16.00",
        "เวลาเลิก (12 ธ.ค. 69 16.00 น.) ต้องหลังเวลาเริ่ม (13 ธ.ค. 69 09.00 น.) เช่น 13.00-16.30 น.",
    ),
    (
        "12 ธ.ค. 69 25.00",
        "ไม่มีเวลา 25.00 น. เวลาต้องอยู่ระหว่าง 00.00 ถึง 23.59 น. เช่น 13.00 น.",
    ),
    (
        "12 ธ.ค. 69 13.61",
        "ไม่มีเวลา 13.61 น. เวลาต้องอยู่ระหว่าง 00.00 ถึง 23.59 น. เช่น 13.00 น.",
    ),
    ("12 ธ.ค. 69 ตี 9", "ไม่เข้าใจเวลา “ตี 9” เช่น 13.00 น., บ่ายโมง, 4 โมงเย็น หรือ 2 ทุ่ม"),
    ("12 ธ.ค. 69 8 ทุ่ม", "ไม่เข้าใจเวลา “8 ทุ่ม” เช่น 13.00 น., บ่ายโมง, 4 โมงเย็น หรือ 2 ทุ่ม"),
    ("12 ธ.ค. 69 บ่าย", "ไม่เข้าใจเวลา “บ่าย” เช่น 13.00 น., บ่ายโมง, 4 โมงเย็น หรือ 2 ทุ่ม"),
    ("12 ธ.ค. 69 หลังเลิกงาน", "ไม่เข้าใจ “หลังเลิกงาน” พิมพ์วันและเวลา " + EXAMPLE),
    ("ศุกร์หน้า after lunch", "ไม่เข้าใจ “after” พิมพ์วันและเวลา " + EXAMPLE),
    (
        "12 13.00",
        "ไม่เข้าใจ “12” ถ้าเป็นวันที่ ใส่เดือนด้วย เช่น 12 ธ.ค. 69 ถ้าเป็นเวลา ใส่นาทีด้วย เช่น 13.00 น.",
    ),
    (
        "12 ธ.ค. 69 13.00 14.00",
        "พิมพ์เวลามาสองเวลา (13.00 น. และ 14.00 น.) ถ้าเป็นช่วงเวลา ใส่ - หรือ ถึง คั่น เช่น 13.00-16.30 น.",
    ),
    (
        "พรุ่งนี้ 12 ธ.ค. 13.00",
        "พิมพ์วันที่มาสองวัน (5 ธ.ค. 69 และ 12 ธ.ค. 69) ใส่วันเดียว หรือถ้างานหลายวัน "
        "ใส่คำว่า ถึง คั่น เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00",
    ),
    ("12 ธ.ค. 69 9.00-12.00-15.00", "ใส่ช่วงเวลาได้ช่วงเดียว เช่น 13.00-16.30 น."),
    ("12 ธ.ค. 69 13.00 ถึง", "ใส่เวลาเลิกหลังคำว่า ถึง ด้วย เช่น 13.00-16.30 น."),
    (
        "12 ธ.ค. 69 13.00 ถึง 13 ธ.ค. 69",
        "ใส่เวลาเลิกด้วย เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00",
    ),
    (
        "12-13 ธ.ค. 9.00",
        "งานหลายวัน ใส่วันเวลาเริ่มและวันเวลาจบ คั่นด้วยคำว่า ถึง เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00",
    ),
    ("สัปดาห์หน้า บ่ายโมง", "สัปดาห์หน้าวันไหน ใส่ชื่อวันด้วย เช่น สัปดาห์หน้า วันเสาร์ บ่ายโมง"),
    (
        "วันศุกร์ที่ 12 ธันวาคม 2569 13.00",
        "12 ธ.ค. 69 เป็นวันเสาร์ ไม่ใช่วันศุกร์ ตรวจวันที่อีกครั้ง เช่น วันเสาร์ที่ 12 ธ.ค. 69 13.00",
    ),
    (
        "ศุกร์ที่ 12 บ่ายโมง",
        "12 ธ.ค. 69 เป็นวันเสาร์ ไม่ใช่วันศุกร์ ตรวจวันที่อีกครั้ง เช่น วันเสาร์ที่ 12 ธ.ค. 69 13.00",
    ),
    (
        "ศ. 12 ธ.ค. 69 13.00",
        "12 ธ.ค. 69 เป็นวันเสาร์ ไม่ใช่วันศุกร์ ตรวจวันที่อีกครั้ง เช่น วันเสาร์ที่ 12 ธ.ค. 69 13.00",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_refuses_with_a_thai_message(text: str, message: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_when(text, NOW, TZ)
    assert str(caught.value) == message
    assert "เช่น" in message  # every refusal shows a form that works


def test_past_dates_are_the_callers_to_refuse() -> None:
    assert parse_when("1 ธ.ค. 69 9.00", NOW, TZ).starts == at(12, 1, 9)
    assert parse_when("วันนี้ 9.00", NOW, TZ).starts == at(12, 4, 9)


def test_long_text_is_refused_quickly_and_quoted_short() -> None:
    with pytest.raises(DateError) as caught:
        parse_when("12 ธ.ค. 69 13.00 " * 20, NOW, TZ)
    assert str(caught.value) == "ยาวเกินไป พิมพ์แค่วันและเวลา " + EXAMPLE
    with pytest.raises(DateError) as caught:
        parse_when("12 ธ.ค. 69 13.00 " + "ก" * 150, NOW, TZ)
    assert str(caught.value) == "ไม่เข้าใจ “" + "ก" * 29 + "…” พิมพ์วันและเวลา " + EXAMPLE


def test_a_date_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_when("เมื่อไหร่ก็ได้", NOW, TZ)
