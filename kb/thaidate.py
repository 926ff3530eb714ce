"""A date and time as Thai organisers type them: "12 ธ.ค. 69 13.00", "เสาร์หน้า บ่ายโมง",
"23/1/2570 9.30", "พรุ่งนี้ 9 โมง ถึง เที่ยง".

Pure code (no Telegram): `parse_when(text, now, tz)` returns a `When` or raises `DateError`,
whose message is short Thai for the organiser, with an example that works. The message
quotes what was typed: escape it before putting it into HTML.

Thai traps this module exists for:
- Years are Buddhist Era: 2569 and 69 both mean 2026; Christian Era 2026 is read too.
- Thai text has no spaces between words ("เสาร์หน้าบ่ายโมง"): the text is cut into the
  longest known words, not split on spaces.
- The spoken six-hour clock: บ่ายโมง is 13.00, 4 โมงเย็น 16.00, 2 ทุ่ม 20.00, ตี 5 05.00;
  a bare "4 โมง" is 16.00 (four in the morning is ตี 4), "9 โมง" is 09.00.
- "อาทิตย์" is both Sunday and "week": "อาทิตย์หน้า วันพุธ" is Wednesday of next week,
  "วันอาทิตย์หน้า" (and "อาทิตย์หน้า" alone) Sunday of next week.
- "13.00" is a time but "12.12.69" a date: a date with dots or dashes needs its year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

__all__ = ["THAI_MONTHS", "DateError", "When", "parse_when"]

THAI_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
THAI_MONTH_NAMES = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
_DAY_NAMES = ("วันจันทร์", "วันอังคาร", "วันพุธ", "วันพฤหัสบดี", "วันศุกร์", "วันเสาร์", "วันอาทิตย์")


@dataclass(frozen=True, slots=True)
class When:
    starts: datetime  # aware, in tz
    ends: datetime | None  # when a range was typed ("13.00-16.30 น.", "9 โมง ถึง เที่ยง")
    assumed: tuple[str, ...]  # what the reader filled in, in Thai, for the read-back


class DateError(ValueError):
    """`str(exc)` is a short Thai message for the organiser saying what was not understood
    and giving an example that works."""


# ----------------------------------------------------------------------------- messages
_EXAMPLE = "เช่น 12 ธ.ค. 69 13.00 หรือ เสาร์หน้า บ่ายโมง"
_EMPTY = "พิมพ์วันและเวลาด้วย " + _EXAMPLE
_TOO_LONG = "ยาวเกินไป พิมพ์แค่วันและเวลา " + _EXAMPLE
_UNKNOWN = "ไม่เข้าใจ “{word}” พิมพ์วันและเวลา " + _EXAMPLE
_STRAY_NUMBER = "ไม่เข้าใจ “{word}” ถ้าเป็นวันที่ ใส่เดือนด้วย เช่น 12 ธ.ค. 69 ถ้าเป็นเวลา ใส่นาทีด้วย เช่น 13.00 น."
_NO_TIME = "ใส่เวลาด้วย เช่น 13.00 น."
_NO_DATE = "ใส่วันที่ด้วย เช่น 12 ธ.ค. 69 13.00 หรือ พรุ่งนี้ 13.00"
_NO_END = "ใส่เวลาเลิกหลังคำว่า ถึง ด้วย เช่น 13.00-16.30 น."
_NO_END_TIME = "ใส่เวลาเลิกด้วย เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00"
_BAD_DAY = "ไม่มีวันที่ {day} {month}{year} เดือน{month}มี {days} วัน เช่น {days} {abbr} 13.00"
_BAD_MONTH = "ไม่มีเดือนที่ {month} วันที่เขียนแบบ วัน/เดือน/ปี เช่น 23/1/2570 9.30"
_BAD_YEAR = "ไม่เข้าใจปี {year} ใช้ปี พ.ศ. เช่น 2569 หรือ 69 (หรือ ค.ศ. 2026)"
_BAD_TIME = "ไม่มีเวลา {time} น. เวลาต้องอยู่ระหว่าง 00.00 ถึง 23.59 น. เช่น 13.00 น."
_BAD_CLOCK = "ไม่เข้าใจเวลา “{word}” เช่น 13.00 น., บ่ายโมง, 4 โมงเย็น หรือ 2 ทุ่ม"
_TWO_DATES = (
    "พิมพ์วันที่มาสองวัน ({first} และ {second}) ใส่วันเดียว "
    "หรือถ้างานหลายวัน ใส่คำว่า ถึง คั่น เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00"
)
_TWO_TIMES = (
    "พิมพ์เวลามาสองเวลา ({first} และ {second}) ถ้าเป็นช่วงเวลา ใส่ - หรือ ถึง คั่น เช่น 13.00-16.30 น."
)
_TWO_RANGES = "ใส่ช่วงเวลาได้ช่วงเดียว เช่น 13.00-16.30 น."
_DAY_RANGE = "งานหลายวัน ใส่วันเวลาเริ่มและวันเวลาจบ คั่นด้วยคำว่า ถึง เช่น 12 ธ.ค. 69 9.00 ถึง 13 ธ.ค. 69 16.00"
_WHICH_DAY = "{week}วันไหน ใส่ชื่อวันด้วย เช่น สัปดาห์หน้า วันเสาร์ บ่ายโมง"
_WRONG_WEEKDAY = "{date} เป็น{actual} ไม่ใช่{typed} ตรวจวันที่อีกครั้ง เช่น {actual}ที่ {date} 13.00"
_END_BEFORE = "เวลาเลิก ({end}) ต้องหลังเวลาเริ่ม ({start}) เช่น 13.00-16.30 น."

# What the reader filled in, for the read-back.
_THIS_YEAR = "ปีนี้"
_NEXT_YEAR = "ปีหน้า"
_THIS_MONTH = "เดือนนี้"
_NEXT_MONTH = "เดือนหน้า"
_MORNING = "ตอนเช้า"
_MIDNIGHT = "เที่ยงคืน = 00.00 น. ของวันถัดไป"


# ----------------------------------------------------------------------------- words
def _abbr(first: str, second: str) -> str:
    """ธ.ค. as typed: ธ.ค. / ธ.ค / ธค / ธ. ค. / ธ ค"""
    return rf"{first}\.?\s?{second}\.?"


def _plain(*words: str) -> list[str]:
    return [re.escape(w) for w in words]


# (patterns, kind, value); the longest match at a position wins, ties to the first listed.
_VOCAB: list[tuple[list[str], str, int]] = []
for _n, (_full, _spoken, _abbrev, _english) in enumerate(
    (
        ("มกราคม", "มกรา", ("ม", "ค"), ("january", "jan")),
        ("กุมภาพันธ์", "กุมภา", ("ก", "พ"), ("february", "feb")),
        ("มีนาคม", "มีนา", ("มี", "ค"), ("march", "mar")),
        ("เมษายน", "เมษา", ("เม", "ย"), ("april", "apr")),
        ("พฤษภาคม", "พฤษภา", ("พ", "ค"), ("may",)),
        ("มิถุนายน", "มิถุนา", ("มิ", "ย"), ("june", "jun")),
        ("กรกฎาคม", "กรกฎา", ("ก", "ค"), ("july", "jul")),
        ("สิงหาคม", "สิงหา", ("ส", "ค"), ("august", "aug")),
        ("กันยายน", "กันยา", ("ก", "ย"), ("september", "sept", "sep")),
        ("ตุลาคม", "ตุลา", ("ต", "ค"), ("october", "oct")),
        ("พฤศจิกายน", "พฤศจิกา", ("พ", "ย"), ("november", "nov")),
        ("ธันวาคม", "ธันวา", ("ธ", "ค"), ("december", "dec")),
    ),
    1,
):
    _VOCAB.append(([*_plain(_full, _spoken), _abbr(*_abbrev)], "month", _n))
    _VOCAB.append(([rf"{w}(?![a-z])" for w in _english], "month", _n))
for _n, _words in enumerate(
    (
        ("จันทร์", "จันท์", "จ.", "monday", "mon"),
        ("อังคาร", "อ.", "tuesday", "tue", "tues"),
        ("พุธ", "พ.", "wednesday", "wed"),
        ("พฤหัสบดี", "พฤหัสฯ", "พฤหัส", "พฤ.", "thursday", "thu", "thurs"),
        ("ศุกร์", "ศ.", "friday", "fri"),
        ("เสาร์", "ส.", "saturday", "sat"),
        ("อา.", "sunday", "sun"),
    )
):
    _VOCAB.append((_plain(*_words), "weekday", _n))
_NUMBER_WORDS = {
    "ศูนย์": 0, "หนึ่ง": 1, "นึง": 1, "เอ็ด": 1, "สอง": 2, "สาม": 3, "สี่": 4, "สี": 4, "ห้า": 5,
    "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9, "สิบ": 10, "ยี่": 20,
}  # fmt: skip
for _word, _value in _NUMBER_WORDS.items():
    _VOCAB.append((_plain(_word), "numword", _value))
for _kind, _words, _value in (
    ("sun_or_week", ("อาทิตย์", "อาทิต"), 6),  # Sunday, or "week" (see the module's docstring)
    ("week", ("สัปดาห์", "วีค", "week"), 0),
    ("this", ("นี้", "นี่", "ที่จะถึงนี้", "ที่จะถึง", "this"), 0),
    ("next", ("หน้า", "next"), 1),
    ("day_word", ("วัน",), 0),
    ("date_word", ("วันที่",), 0),
    ("relday", ("วันนี้", "คืนนี้", "today", "tonight"), 0),
    ("relday", ("พรุ่งนี้", "พรุ่งนี้", "พรุงนี้", "พุ่งนี้", "tomorrow"), 1),
    ("relday", ("มะรืน", "มะรืนนี้"), 2),
    ("time_word", ("เวลา",), 0),
    ("hour_mark", ("น.", "นาฬิกา"), 0),
    ("mong", ("โมง",), 0),
    ("thum", ("ทุ่ม",), 0),
    ("tee", ("ตี",), 0),
    ("period", ("เช้า",), 0),
    ("period", ("บ่าย",), 1),
    ("period", ("เย็น", "ค่ำ"), 2),
    ("noon", ("เที่ยง", "เที่ยงวัน"), 0),
    ("midnight", ("เที่ยงคืน", "midnight"), 0),
    ("half", ("ครึ่ง",), 0),
    ("ampm", ("am", "a.m."), 0),
    ("ampm", ("pm", "p.m."), 1),
    ("minute", ("นาที",), 0),
    ("to", ("ถึง", "จนถึง", "ไปจนถึง", "จน", "to", "until"), 0),
    ("era", ("พ.ศ.", "พศ"), 0),
    ("era", ("ค.ศ.", "คศ"), 1),
    ("year_word", ("ปี",), 0),
    (
        "filler",
        ("ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "นะ", "จ้า", "จ้ะ", "ตรง", "ตอน", "ตั้งแต่",
         "ที่", "ของ", "และ", "ช่วง", "at", "on"),
        0,
    ),
):  # fmt: skip
    _VOCAB.append((_plain(*_words), _kind, _value))
# น without its dot only at a word's end: งาน in หลังเลิกงาน is not "o'clock".
_VOCAB.append((["(?<![ก-๛])น(?![ก-ฮ])"], "hour_mark", 0))
# One pattern each: an alternation would stop at its first match (น before นาฬิกา).
_MATCHERS = [(re.compile(p), kind, value) for ps, kind, value in _VOCAB for p in ps]
_SEPARATORS = "./:-~,()"
_DIGITS = "0123456789"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_DASHES = str.maketrans("–—−‒", "----")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
# The longest sensible answer ("วันเสาร์ที่ 12 ธันวาคม 2569 เวลา 13.00 น. ถึง วันอาทิตย์ที่ 13
# ธันวาคม 2569 เวลา 16.30 น.") is about 90 characters; a pasted page is not a date.
MAX_LENGTH = 200
# Phones let a tone mark be typed before the vowel above it (น้ี for นี้), and เเ for แ:
# they look the same and must read the same.
_TONE_FIRST = re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e39])")
_QUOTE = 30  # characters of what was typed a message quotes


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num, sep, unknown, or a word kind of _VOCAB
    value: int
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS:
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            toks.append(_Tok("num", int(text[i:j]), text[i:j], i, j))
            i = j
        else:
            best: tuple[int, str, int] | None = None
            for rx, kind, value in _MATCHERS:
                m = rx.match(text, i)
                if m and m.end() > i and (best is None or m.end() > best[0]):
                    best = (m.end(), kind, value)
            if best is not None:
                toks.append(_Tok(best[1], best[2], text[i : best[0]], i, best[0]))
                i = best[0]
            elif ch in _SEPARATORS:
                toks.append(_Tok("sep", 0, ch, i, i + 1))
                i += 1
            elif toks and toks[-1].kind == "unknown" and toks[-1].end == i:
                toks[-1] = _Tok("unknown", 0, text[toks[-1].start : i + 1], toks[-1].start, i + 1)
                i += 1
            else:
                toks.append(_Tok("unknown", 0, ch, i, i + 1))
                i += 1
    return _unglue(toks)


def _unglue(toks: list[_Tok]) -> list[_Tok]:
    """12ธ.ค.6913.00: a year glued to the time after a month is cut in two."""
    out: list[_Tok] = []
    for k, t in enumerate(toks):
        glued = (
            t.kind == "num"
            and len(t.text) in (3, 4, 5, 6)
            and k > 0
            and toks[k - 1].kind == "month"
            and k + 2 < len(toks)
            and toks[k + 1].text in ".:"
            and toks[k + 2].kind == "num"
            and len(toks[k + 2].text) == 2
        )
        if glued:
            cut = 4 if len(t.text) > 4 else 2
            year, hour = t.text[:cut], t.text[cut:]
            out.append(_Tok("num", int(year), year, t.start, t.start + cut))
            out.append(_Tok("num", int(hour), hour, t.start + cut, t.end))
        else:
            out.append(t)
    return out


# ----------------------------------------------------------------------------- pieces
@dataclass(frozen=True, slots=True)
class _Day:
    day: date
    fixed: bool  # a date or today/tomorrow; False: a weekday, only checked against a date
    weekday: int | None  # the weekday named, if any
    assumed: tuple[str, ...] = ()
    roll: bool = False  # a bare "เสาร์": a week on when that time today has passed
    loose: str = ""  # "year" (no year typed) or "week" (a weekday): may move after the start


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int  # 24: midnight, the start of the next day
    minute: int
    assumed: tuple[str, ...] = ()


class _To:
    pass


_Item = _Day | _Clock | _To


def _quote(typed: str) -> str:
    return typed if len(typed) <= _QUOTE else typed[: _QUOTE - 1] + "…"


def _year_note(year: int, today: date) -> str:
    if year == today.year:
        return _THIS_YEAR
    return _NEXT_YEAR if year == today.year + 1 else f"ปี {year + 543}"


def _after(end: _Day, start: date, today: date) -> _Day:
    """The end's date when it was typed loosely and falls before the start: "3 ธ.ค. ถึง
    4 ธ.ค." read on 4 Dec is December to December of next year, "เสาร์หน้า ถึง อาทิตย์" the
    Sunday after that Saturday."""
    if end.loose == "week":
        ahead = (start - end.day).days
        return _Day(end.day + timedelta(days=-(-ahead // 7) * 7), end.fixed, end.weekday)
    if end.loose == "year":
        for year in range(start.year, start.year + 9):
            try:
                d = end.day.replace(year=year)
            except ValueError:
                continue
            if d >= start:
                return _Day(d, end.fixed, end.weekday, (_year_note(year, today),))
    return end


def _short(d: date) -> str:
    return f"{d.day} {THAI_MONTHS[d.month - 1]} {(d.year + 543) % 100:02d}"


def _hm(clock: _Clock) -> str:
    return f"{clock.hour:02d}.{clock.minute:02d} น."


class _Reader:
    def __init__(self, text: str, now: datetime, tz: tzinfo) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.today = now.astimezone(tz).date()

    # --- token helpers
    def kind(self, i: int) -> str:
        return self.toks[i].kind if i < len(self.toks) else ""

    def sep(self, i: int, chars: str) -> bool:
        return self.kind(i) == "sep" and self.toks[i].text in chars

    def digits(self, i: int, *lengths: int) -> bool:
        return self.kind(i) == "num" and len(self.toks[i].text) in lengths

    def chunk(self, i: int) -> str:
        """What was typed around token i, between spaces."""
        t = self.toks[i]
        a = self.text.rfind(" ", 0, t.start) + 1
        b = self.text.find(" ", t.end)
        return _quote(self.text[a : b if b != -1 else len(self.text)])

    def span(self, a: int, b: int) -> str:
        """What was typed from token a to before token b."""
        b = min(max(b, a + 1), len(self.toks))
        return _quote(self.text[self.toks[a].start : self.toks[b - 1].end])

    def number(self, i: int) -> tuple[int, int] | None:
        """A number in digits or Thai words (สิบเอ็ด, ยี่สิบ, สามสิบห้า): (value, next index)."""
        if self.digits(i, 1, 2):
            return self.toks[i].value, i + 1
        if self.kind(i) != "numword":
            return None
        v = self.toks[i].value
        tens, j = 0, i
        if v == 20 and self.kind(i + 1) == "numword" and self.toks[i + 1].value == 10:
            tens, j = 20, i + 2
        elif 2 <= v <= 9 and self.kind(i + 1) == "numword" and self.toks[i + 1].value == 10:
            tens, j = v * 10, i + 2
        elif v == 10:
            tens, j = 10, i + 1
        if tens:
            if self.kind(j) == "numword" and 1 <= self.toks[j].value <= 9:
                return tens + self.toks[j].value, j + 1
            return tens, j
        if self.toks[i].text == "เอ็ด" or v == 20:
            return None
        return v, i + 1

    # --- the whole text
    def items(self) -> list[_Item]:
        out: list[_Item] = []
        i = 0
        while i < len(self.toks):
            t = self.toks[i]
            if t.kind == "unknown":
                raise DateError(_UNKNOWN.format(word=_quote(t.text)))
            found = self.day_at(i) or self.clock_at(i)
            if found is not None:
                out.append(found[0])
                i = found[1]
            elif t.kind == "to" or (t.kind == "sep" and t.text in "-~"):
                out.append(_To())
                i += 1
            elif t.kind in ("filler", "day_word", "date_word", "time_word", "hour_mark", "this"):
                i += 1
            elif t.kind == "sep" and t.text in ".,()":
                i += 1
            elif t.kind == "num":
                raise DateError(_STRAY_NUMBER.format(word=self.chunk(i)))
            elif t.kind in ("mong", "thum", "tee", "period", "half", "minute", "numword"):
                raise DateError(_BAD_CLOCK.format(word=self.chunk(i)))
            else:
                raise DateError(_UNKNOWN.format(word=self.chunk(i)))
        return out

    # --- dates
    def day_at(self, i: int) -> tuple[_Day, int] | None:
        k = self.kind(i)
        if k == "relday":
            j = i + 1 + (self.kind(i + 1) == "this")
            return _Day(self.today + timedelta(days=self.toks[i].value), True, None), j
        if k == "date_word" or (k == "filler" and self.toks[i].text == "ที่"):
            # วันที่ 12, เสาร์ที่ 12 (ธ.ค.)
            return self.day_month_at(i + 1) or self.day_of_month_at(i + 1)
        if k in ("day_word", "weekday", "sun_or_week", "week"):
            return self.weekday_at(i)
        if k in ("this", "next") and self.toks[i].text.isascii():
            if self.kind(i + 1) in ("weekday", "sun_or_week"):  # next friday
                return self.weekday(self.toks[i + 1].value, self.toks[i].value), i + 2
        if k == "num" and len(self.toks[i].text) == 4:
            return self.iso_at(i)
        return self.day_month_at(i) or self.numeric_at(i)

    def day_month_at(self, i: int) -> tuple[_Day, int] | None:
        """12 ธ.ค. 69, 12 ธันวาคม 2569, 12ธค, สิบสอง ธันวา"""
        found = self.number(i)
        if found is None:
            return None
        day, j = found
        if self.sep(j, "-") and (upto := self.number(j + 1)) and self.kind(upto[1]) == "month":
            raise DateError(_DAY_RANGE)
        if self.kind(j) != "month":
            return None
        month = self.toks[j].value
        year, j = self.year_after(j + 1)
        return self.make_day(day, month, year), j

    def year_after(self, i: int) -> tuple[int | None, int]:
        """The year after a month, if one was typed (not the hour of "12 ธ.ค. 13.00")."""
        era: int | None = None
        j = i
        while self.kind(j) in ("era", "year_word"):
            era = self.toks[j].value if self.kind(j) == "era" else era
            j += 1
        if not self.digits(j, 2, 4):
            return None, i
        explicit = j > i
        hour_range = (self.sep(j + 1, "-") or self.kind(j + 1) == "to") and (
            self.digits(j + 2, 1, 2) and self.kind(j + 3) == "hour_mark"
        )  # 12 ธ.ค. 13-16 น.
        clock_next = (
            (self.sep(j + 1, ".:") and self.kind(j + 2) == "num")
            or self.kind(j + 1) in ("hour_mark", "mong", "thum", "half", "minute")
            or hour_range
        )
        if clock_next and not explicit and self.toks[j].value <= 24:
            return None, i
        return self.year(j, era), j + 1

    def year(self, i: int, era: int | None = None) -> int:
        """Christian Era year of what was typed: 69 and 2569 are Buddhist Era."""
        t = self.toks[i]
        if len(t.text) == 2:
            return 2000 + t.value if era == 1 else 2500 + t.value - 543
        if len(t.text) == 4:
            if 2400 <= t.value < 2700 and era != 1:
                return t.value - 543
            if 1900 <= t.value < 2400 and era != 0:
                return t.value
        raise DateError(_BAD_YEAR.format(year=t.text))

    def numeric_at(self, i: int) -> tuple[_Day, int] | None:
        """23/1/2570, 23/1, 23-1-70, 23.1.2570"""
        if not (self.digits(i, 1, 2) and self.kind(i + 1) == "sep" and self.digits(i + 2, 1, 2)):
            return None
        mark = self.toks[i + 1].text
        if mark not in "/-.":
            return None
        if self.sep(i + 3, mark) and self.digits(i + 4, 2, 4):
            if self.sep(i + 5, ".:") and self.digits(i + 6, 2):
                return None  # 12.12.13.00 is beyond reading
            year: int | None = self.year(i + 4)
            j = i + 5
        elif mark == "/":
            year, j = None, i + 3
        else:
            return None  # 13.00 and 13-16 are times
        month = self.toks[i + 2].value
        if not 1 <= month <= 12:
            raise DateError(_BAD_MONTH.format(month=month))
        return self.make_day(self.toks[i].value, month, year), j

    def iso_at(self, i: int) -> tuple[_Day, int] | None:
        """2026-12-12, 2569-12-12, 2026/12/12"""
        if not (self.kind(i + 1) == "sep" and self.toks[i + 1].text in "-/"):
            return None
        mark = self.toks[i + 1].text
        if not (self.digits(i + 2, 1, 2) and self.sep(i + 3, mark) and self.digits(i + 4, 1, 2)):
            return None
        year = self.year(i)
        month = self.toks[i + 2].value
        if not 1 <= month <= 12:
            raise DateError(_BAD_MONTH.format(month=month))
        return self.make_day(self.toks[i + 4].value, month, year), i + 5

    def make_day(self, day: int, month: int, year: int | None) -> _Day:
        """The date; without a year, the next one that is not in the past."""
        if year is not None:
            try:
                return _Day(date(year, month, day), True, None)
            except ValueError:
                raise self.bad_day(day, month, year) from None
        for y in range(self.today.year, self.today.year + 9):
            try:
                d = date(y, month, day)
            except ValueError:
                continue
            if d >= self.today:
                return _Day(d, True, None, (_year_note(y, self.today),), loose="year")
        raise self.bad_day(day, month, None)

    def bad_day(self, day: int, month: int, year: int | None) -> DateError:
        # Without a year, the longest the month ever is (29 ก.พ. comes every four years).
        y = 2028 if year is None else year
        days = (date(y + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        return DateError(
            _BAD_DAY.format(
                day=day,
                month=THAI_MONTH_NAMES[month - 1],
                year="" if year is None else f" {year + 543}",
                days=days,
                abbr=THAI_MONTHS[month - 1],
            )
        )

    def day_of_month_at(self, i: int) -> tuple[_Day, int] | None:
        """วันที่ 12 (no month): this month's 12th, or next month's when it has passed."""
        if not self.digits(i, 1, 2) or self.sep(i + 1, "./:-"):
            return None
        day = self.toks[i].value
        if self.kind(i + 1) in ("hour_mark", "mong", "thum"):
            return None
        first = self.today.replace(day=1)
        for ahead in range(13):
            total = first.year * 12 + first.month - 1 + ahead
            try:
                d = date(total // 12, total % 12 + 1, day)
            except ValueError:
                continue
            if d >= self.today:
                note = _THIS_MONTH if ahead == 0 else _NEXT_MONTH if ahead == 1 else ""
                return _Day(d, True, None, (note,) if note else ()), i + 1
        return None

    def weekday_at(self, i: int) -> tuple[_Day, int] | None:
        """เสาร์, วันเสาร์นี้, เสาร์หน้า, ส., อาทิตย์หน้า วันพุธ, วันพุธ สัปดาห์หน้า"""
        j = i
        named_day = self.kind(j) == "day_word"
        if named_day:
            if self.kind(j + 1) not in ("weekday", "sun_or_week"):
                return None
            j += 1
        k = self.kind(j)
        if not named_day and k in ("week", "sun_or_week") and self.kind(j + 1) in ("this", "next"):
            w = j + 2 + (self.kind(j + 2) == "day_word")
            if self.kind(w) in ("weekday", "sun_or_week"):
                ahead = self.toks[j + 1].value
                end = w + 1 + (self.kind(w + 1) in ("this", "next"))
                return self.weekday(self.toks[w].value, ahead), end
            if k == "week":
                raise DateError(_WHICH_DAY.format(week=self.toks[j].text + self.toks[j + 1].text))
        if k == "week":
            raise DateError(_WHICH_DAY.format(week=self.toks[j].text))
        if k not in ("weekday", "sun_or_week"):
            return None
        wd = self.toks[j].value
        j += 1
        if self.kind(j) in ("this", "next"):
            return self.weekday(wd, self.toks[j].value), j + 1
        if self.kind(j) in ("week", "sun_or_week") and self.kind(j + 1) in ("this", "next"):
            return self.weekday(wd, self.toks[j + 1].value), j + 2
        return self.weekday(wd, None), j

    def weekday(self, wd: int, ahead: int | None) -> _Day:
        """นี้ or nothing: the next such day, today included; หน้า: that day of next week."""
        if ahead == 1:
            monday = self.today - timedelta(days=self.today.weekday())
            d = monday + timedelta(days=7 + wd)
        else:
            d = self.today + timedelta(days=(wd - self.today.weekday()) % 7)
        return _Day(d, False, wd, roll=ahead is None, loose="week" if ahead != 1 else "")

    # --- times
    def clock_at(self, i: int) -> tuple[_Clock, int] | None:
        j = i
        after_time_word = self.kind(j) == "time_word"
        if after_time_word:
            j += 1
        while j < len(self.toks) and self.toks[j].text == "ตอน":
            j += 1
        period: int | None = None
        if self.kind(j) == "period":
            period = self.toks[j].value
            j += 1
        found = self.clock_form(j, period, after_time_word)
        if found is None:
            if period is not None:
                raise DateError(_BAD_CLOCK.format(word=self.span(i, j + 1)))
            return None
        clock, j = found
        if clock.hour > 24 or (clock.hour == 24 and clock.minute) or clock.minute > 59:
            raise DateError(_BAD_CLOCK.format(word=self.span(i, j)))
        return clock, j

    def clock_form(
        self, j: int, period: int | None, after_time_word: bool
    ) -> tuple[_Clock, int] | None:
        k = self.kind(j)
        spoken = True
        assumed: tuple[str, ...] = ()
        if k == "noon":
            hour, j = 12, j + 1
        elif k == "midnight":
            hour, j = 24, j + 1
        elif k == "tee":
            found = self.number(j + 1)
            if found is None or not 1 <= found[0] <= 6:
                raise DateError(_BAD_CLOCK.format(word=self.span(j, j + 2)))
            hour, j = found
        elif k == "thum":
            hour, j = 19, j + 1  # ทุ่ม, ทุ่มนึง
            if self.kind(j) == "numword" and self.toks[j].value == 1:
                j += 1
        elif k == "mong" and period == 1:
            hour, j = 13, j + 1  # บ่ายโมง
        elif (found := self.number(j)) is not None:
            n, j = found
            nk = self.kind(j)
            if self.sep(j, ".:") and self.digits(j + 1, 2):
                hour, minute = n, self.toks[j + 1].value
                if hour > 24 or minute > 59 or (hour == 24 and minute):
                    raise DateError(_BAD_TIME.format(time=f"{hour:02d}.{minute:02d}"))
                j += 2
                if self.kind(j) == "hour_mark":
                    j += 1
                if period in (1, 2) and hour < 12:
                    hour += 12
                hour, j = self.am_pm(hour, j)
                return _Clock(hour, minute), j
            if nk == "mong":
                j += 1
                if self.kind(j) == "period" and self.toks[j].value != 1:
                    period = self.toks[j].value
                    j += 1
                if period in (1, 2):
                    hour = n + 12 if n < 12 else n
                elif n == 0:
                    raise DateError(_BAD_CLOCK.format(word=self.span(j - 2, j)))
                elif period == 0 or n >= 7:
                    hour = n
                elif n == 6:
                    hour, assumed = 6, (_MORNING,)
                else:
                    hour = n + 12  # 1-5 โมง is the afternoon; 1-5 at night is ตี 1-5
                period = None
            elif nk == "thum":
                if not 1 <= n <= 6:
                    raise DateError(_BAD_CLOCK.format(word=self.span(j - 1, j + 1)))
                hour, j = 18 + n, j + 1
            elif nk == "hour_mark":
                hour, j, spoken = n, j + 1, False
            elif nk == "ampm":
                (hour, j), spoken = self.am_pm(n, j), False
            elif period == 1:
                hour = n + 12 if n < 12 else n  # บ่ายสอง, บ่าย 3
            elif after_time_word or (
                self.kind(j) in ("to", "sep")
                and (self.kind(j) == "to" or self.toks[j].text == "-")
                and self.digits(j + 1, 1, 2)
                and self.kind(j + 2) == "hour_mark"
            ):
                hour, spoken = n, False  # เวลา 13, 13-16 น.
            else:
                return None
        else:
            return None
        if k in ("noon", "midnight", "tee", "thum") and period is not None:
            period = None  # เที่ยง and ทุ่ม say the part of the day themselves
        if period in (1, 2) and hour < 12:
            hour += 12
        minute = 0
        if spoken:
            if self.kind(j) == "half":
                minute, j = 30, j + 1
            elif (found := self.number(j)) is not None and self.kind(found[1]) == "minute":
                minute, j = found[0], found[1] + 1
        if self.kind(j) == "hour_mark":
            j += 1
        return _Clock(hour, minute, assumed), j

    def am_pm(self, hour: int, j: int) -> tuple[int, int]:
        """1pm, 9.30 am: the English twelve-hour clock."""
        if self.kind(j) != "ampm" or not 1 <= hour <= 12:
            return hour, j
        if self.toks[j].value == 1:
            return (hour % 12) + 12, j + 1
        return hour % 12, j + 1


# ----------------------------------------------------------------------------- the reader
def parse_when(text: str, now: datetime, tz: tzinfo) -> When:
    """Read a date and time as Thai organisers type them; raise DateError (Thai message)."""
    clean = _ZERO_WIDTH.sub("", text).translate(_THAI_DIGITS).translate(_DASHES).lower().strip()
    clean = _TONE_FIRST.sub(r"\2\1", clean.replace("เเ", "แ"))
    if not clean:
        raise DateError(_EMPTY)
    if len(clean) > MAX_LENGTH:
        raise DateError(_TOO_LONG)
    reader = _Reader(clean, now, tz)
    items = reader.items()
    if not items:
        raise DateError(_EMPTY)
    cuts = [n for n, item in enumerate(items) if isinstance(item, _To)]
    if len(cuts) > 1:
        raise DateError(_TWO_RANGES)
    left, right = (items[: cuts[0]], items[cuts[0] + 1 :]) if cuts else (items, [])
    start_day, start_clock = _side(left)
    end_day, end_clock = _side(right)
    if cuts and start_clock is None and end_day is None and end_clock is not None:
        start_clock, end_clock, cuts = end_clock, None, []  # 12 ธ.ค. 69 - 13.00 น.
    if start_day is None:
        start_day, end_day = end_day, None
    if start_day is None:
        raise DateError(_NO_DATE)
    if start_clock is None:
        raise DateError(_NO_TIME)
    if cuts and end_clock is None:
        raise DateError(_NO_END_TIME if end_day is not None else _NO_END)
    starts = _at(start_day.day, start_clock, tz)
    if start_day.roll and start_day.weekday is not None and starts < now:
        # "วันศุกร์ 10.00" typed on a Friday afternoon: next Friday, not this morning.
        start_day = _Day(
            start_day.day + timedelta(days=7),
            False,
            start_day.weekday,
            (_DAY_NAMES[start_day.weekday] + "หน้า",),
        )
        starts = _at(start_day.day, start_clock, tz)
    assumed = [*start_day.assumed, *start_clock.assumed]
    if start_clock.hour == 24:
        assumed.append(_MIDNIGHT)
    ends = None
    if end_clock is not None:
        if end_day is not None and end_day.day < start_day.day:
            end_day = _after(end_day, start_day.day, reader.today)
        day = end_day if end_day is not None else start_day
        ends = _at(day.day, end_clock, tz)
        assumed += [*day.assumed, *end_clock.assumed]
        if ends <= starts:
            end_text, start_text = _hm(end_clock), _hm(start_clock)
            if end_day is not None:
                end_text = f"{_short(day.day)} {end_text}"
                start_text = f"{_short(start_day.day)} {start_text}"
            raise DateError(_END_BEFORE.format(end=end_text, start=start_text))
    return When(starts, ends, tuple(dict.fromkeys(assumed)))


def _side(items: list[_Item]) -> tuple[_Day | None, _Clock | None]:
    """The one day and the one time on one side of ถึง."""
    days = [item for item in items if isinstance(item, _Day)]
    clocks = [item for item in items if isinstance(item, _Clock)]
    if len(clocks) > 1:
        raise DateError(_TWO_TIMES.format(first=_hm(clocks[0]), second=_hm(clocks[1])))
    fixed = [d for d in days if d.fixed]
    for other in fixed[1:]:
        if other.day != fixed[0].day:
            raise DateError(_TWO_DATES.format(first=_short(fixed[0].day), second=_short(other.day)))
    named = [d for d in days if not d.fixed]
    day = fixed[0] if fixed else named[0] if named else None
    if day is not None:
        for d in days:
            if d.weekday is not None and d.weekday != day.day.weekday():
                raise DateError(
                    _WRONG_WEEKDAY.format(
                        date=_short(day.day),
                        actual=_DAY_NAMES[day.day.weekday()],
                        typed=_DAY_NAMES[d.weekday],
                    )
                )
    return day, clocks[0] if clocks else None


def _at(day: date, clock: _Clock, tz: tzinfo) -> datetime:
    if clock.hour == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return datetime.combine(day, time(clock.hour, clock.minute), tzinfo=tz)
