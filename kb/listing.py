""" "What's on?": recognise a request for a list of entries and read its time and filters.

Pure (no Telegram): `read_request(text, now)` gives a `ListRequest` or None (not a list
request: the matcher answers it), and `select` / `nearest` pick the entries.

Words are looked up in tables, longest first, on the text as kb.thai.normalize leaves it
with its spaces taken out (Thai is written without them, and residents type เสาร์ อาทิตย์
as often as เสาร์อาทิตย์). Thai traps the order handles:
- เสาร์อาทิตย์นี้ is this weekend, อาทิตย์นี้ alone this week, วันอาทิตย์นี้ this Sunday;
- อาทิตย์หน้า is next week (สัปดาห์หน้า), วันอาทิตย์หน้า next Sunday;
- ปีหน้า is next year; ครั้งหน้า / รอบหน้า is ONE thing (the next forum), not a list;
- Isan มื้อนี้ is today, มื้ออื่น tomorrow (มื้อใด๋ is "which day?", a question about one thing);
- มีงานทำ / หางาน are about jobs, not events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kb.model import Cost, Entry, Kind, KnowledgeBase
from kb.thai import normalize

# ----------------------------------------------------------------------------- word tables
# A strong cue asks for a list by itself, whatever else the question says.
STRONG = (
    "อะไรบ้าง", "อะไรมั่ง", "อะไรมั้ง", "ไรบ้าง", "อะไรบาง", "อไรบ้าง", "ไหนบ้าง", "ใดบ้าง",
    "อะรไบ้าง", "อะไรบ้ง", "อาไรบ้าง", "อะไลบ้าง", "อัลไลบ้าง", "ไรมั่ง", "araibang", "araimang",
    "หยังแหน่", "หยังแน่", "หยังบ้าง", "มีหยัง", "ใดแหน่", "มีอะไร", "มีไร", "มีอิหยัง",
    "รายการกิจกรรม", "รายการงาน", "รายชื่อกิจกรรม", "รายชื่องาน", "ตารางกิจกรรม", "ปฏิทินกิจกรรม",
    "กิจกรรมทั้งหมด", "งานทั้งหมด",
    "whatson", "whatison", "whatshappening", "whatevents", "whatactivities", "anyevents",
    "anyactivities", "anyworkshops", "anythingon", "upcomingevents", "listofevents",
    "eventslist", "whatcanijoin", "thingstodo",
)  # fmt: skip
# "Is there any ...?": a list when little else is said (มีอบรมฟรีไหม).
EXISTS = ("มี", "there", "any", "mee")
YES_NO = ("ไหม", "มั้ย", "มั๊ย", "มัย", "ไม๊", "บ่", "หรือเปล่า", "รึเปล่า", "ป่าว", "หรือไม่", "ยัง")
# About one thing: the matcher answers these, unless a strong cue asks for a list.
ONE_THING = (
    "เมื่อไหร่", "เมื่อไร", "เมื่อใด", "วันไหน", "กี่โมง", "ที่ไหน", "ตรงไหน", "ยังไง", "อย่างไร",
    "แนวใด", "มื้อใด", "จัดไส", "อยู่ไส", "ไปไส", "ครั้งหน้า", "รอบหน้า", "ครั้งต่อไป",
    "ครั้งถัดไป", "รอบต่อไป", "เทื่อหน้า", "กี่คน", "กี่บาท", "เท่าไหร่", "เท่าไร", "when",
    "where", "howmuch", "howdo", "howto", "howcan", "nextone", "thenext", "งานนี้", "กิจกรรมนี้",
    "อันนี้", "thisevent", "thisone",
)  # fmt: skip
NOT_LIST = (
    "งานทำ", "หางาน", "สมัครงาน", "ทำงาน", "ตำแหน่งงาน", "รับสมัครงาน", "งานพิเศษ", "ได้งาน",
    "งานให้ทำ", "งานอะไรให้ทำ", "job", "work", "ไม่มีงาน", "บ่มีงาน", "ไม่มีกิจกรรม",
)  # fmt: skip
# What a resident calls the things the bot lists; None: any kind.
KINDS: dict[str, Kind | None] = {
    **dict.fromkeys(("งาน", "กิจกรรม", "อีเวนต์", "อีเว้นท์", "event", "events", "activity",
                     "activities", "ngan", "kitjakam", "kijakam", "ไปร่วม", "เข้าร่วม", "ไปเที่ยว"),
                    None),
    **dict.fromkeys(("เสวนา", "ฟอรั่ม", "ฟอรัม", "เวที", "ประชุม", "forum", "forums",
                     "meeting", "talk"), Kind.EVENT),
    **dict.fromkeys(("อบรม", "เวิร์กช็อป", "เวิร์คช็อป", "เวิร์คชอป", "workshop", "workshops",
                     "คลาส", "คอร์ส", "class", "classes", "course", "courses", "training"),
                    Kind.ACTIVITY),
    **dict.fromkeys(("โครงการ", "programme", "programmes", "program", "programs"), Kind.PROGRAMME),
}  # fmt: skip
FREE = ("ฟรี", "ไม่มีค่าใช้จ่าย", "ไม่เสียเงิน", "บ่เสียเงิน", "ไม่เสียค่า", "บ่เสียค่า", "ไม่ต้องจ่าย",
        "free", "nofee", "nocost")  # fmt: skip
OPEN = (
    "รับสมัคร", "เปิดรับ", "ยังรับ", "สมัครได้", "ลงชื่อได้", "ยังว่าง", "ที่ว่าง", "ยังเปิด",
    "ลงทะเบียนได้", "opentosignup", "openforsignup", "signup", "register", "stillopen", "open",
)  # fmt: skip
ONLINE = ("ออนไลน์", "ออนไลน", "online", "zoom", "ซูม", "ไลฟ์", "livestream", "webinar", "เว็บบินาร์")
# Words of the audience vocabulary (kb.model.AUDIENCES) as residents say them.
AUDIENCE: dict[str, str] = {
    **dict.fromkeys(("เด็ก", "ลูก", "ลูกหลาน", "ลูกน้อย", "เด็กน้อย", "kids", "kid", "children",
                     "child"), "children"),
    **dict.fromkeys(("เยาวชน", "วัยรุ่น", "ไวรุ่น", "youth", "teens", "teenagers"), "youth"),
    **dict.fromkeys(("นักเรียน", "นักศึกษา", "students"), "students"),
    **dict.fromkeys(("ครอบครัว", "family", "families"), "families"),
    **dict.fromkeys(("ผู้สูงอายุ", "ผู้สูงวัย", "สูงวัย", "สูงอายุ", "คนแก่", "คนเฒ่า", "พ่อใหญ่",
                     "แม่ใหญ่", "คนชรา", "elderly", "seniors", "senior", "olderpeople"),
                    "elderly"),
    **dict.fromkeys(("คนพิการ", "ผู้พิการ", "disabled", "disability"), "people-with-disabilities"),
    **dict.fromkeys(("คนหางาน", "คนว่างงาน", "ว่างงาน", "คนตกงาน", "jobseekers"), "job-seekers"),
    **dict.fromkeys(("แม่ค้า", "พ่อค้า", "ผู้ค้า", "vendors", "traders"), "vendors"),
    **dict.fromkeys(("เกษตรกร", "ชาวนา", "ชาวสวน", "farmers"), "farmers"),
}  # fmt: skip
# Who else an entry for a group suits: a family day suits children and their parents.
ALSO: dict[str, tuple[str, ...]] = {
    "children": ("families",),
    "families": ("children",),
    "youth": ("students",),
    "students": ("youth",),
}
# Relative windows: (unit, offset). "day" 0 is today; "week" 0 this week (Monday to Sunday).
WINDOWS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(("วันนี้", "มื้อนี้", "คืนนี้", "today", "tonight"), ("day", 0)),
    **dict.fromkeys(("พรุ่งนี้", "พรุ่งนี้", "มื้ออื่น", "มื้อื่น", "tomorrow"), ("day", 1)),
    **dict.fromkeys(("มะรืน", "มะรืนนี้", "มื้อฮือ", "dayaftertomorrow"), ("day", 2)),
    **dict.fromkeys(("สัปดาห์นี้", "อาทิตย์นี้", "วีคนี้", "thisweek"), ("week", 0)),
    **dict.fromkeys(("สัปดาห์หน้า", "อาทิตย์หน้า", "วีคหน้า", "nextweek"), ("week", 1)),
    **dict.fromkeys(("เสาร์อาทิตย์นี้", "เสาร์อาทิตย์", "สุดสัปดาห์นี้", "สุดสัปดาห์", "วีคเอนด์นี้",
                     "วีคเอนด์", "เสาร์อาทิตนี้", "thisweekend", "weekend"), ("weekend", 0)),
    **dict.fromkeys(("เสาร์อาทิตย์หน้า", "สุดสัปดาห์หน้า", "nextweekend"), ("weekend", 1)),
    **dict.fromkeys(("วันเสาร์นี้", "เสาร์นี้", "thissaturday"), ("saturday", 0)),
    **dict.fromkeys(("วันอาทิตย์นี้", "thissunday"), ("sunday", 0)),
    **dict.fromkeys(("วันเสาร์หน้า", "เสาร์หน้า", "nextsaturday"), ("saturday", 1)),
    **dict.fromkeys(("วันอาทิตย์หน้า", "nextsunday"), ("sunday", 1)),
    **dict.fromkeys(("เดือนนี้", "thismonth"), ("month", 0)),
    **dict.fromkeys(("เดือนหน้า", "nextmonth"), ("month", 1)),
    **dict.fromkeys(("ปีนี้", "thisyear"), ("year", 0)),
    **dict.fromkeys(("ปีหน้า", "nextyear"), ("year", 1)),
    **dict.fromkeys(("เร็วๆนี้", "เร็วนี้", "ช่วงนี้", "soon", "upcoming", "ที่จะมาถึง",
                     "กำลังจะมา", "comingup"), ("soon", 0)),
}  # fmt: skip
# Months: full Thai names, the short everyday ones, abbreviations with their dots, English.
MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("มกราคม", "มกรา", "ม.ค.", "january", "jan"),
    ("กุมภาพันธ์", "กุมภา", "ก.พ.", "february", "feb"),
    ("มีนาคม", "มีนา", "มี.ค.", "march", "mar"),
    ("เมษายน", "เมษา", "เม.ย.", "april", "apr"),
    ("พฤษภาคม", "พฤษภา", "พ.ค.", "may"),
    ("มิถุนายน", "มิถุนา", "มิ.ย.", "june", "jun"),
    ("กรกฎาคม", "กรกฎา", "ก.ค.", "july", "jul"),
    ("สิงหาคม", "สิงหา", "ส.ค.", "august", "aug"),
    ("กันยายน", "กันยา", "ก.ย.", "september", "sep", "sept"),
    ("ตุลาคม", "ตุลา", "ต.ค.", "october", "oct"),
    ("พฤศจิกายน", "พฤศจิกา", "พ.ย.", "november", "nov"),
    ("ธันวาคม", "ธันวา", "ธ.ค.", "december", "dec"),
)
# Politeness and glue that say nothing about which entries are wanted.
FILLER = (
    "ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "นะ", "น่ะ", "หน่อย", "บ้าง", "สำหรับ", "ของ",
    "ใน", "ที่", "จะ", "ได้", "ให้", "อยู่", "อะไร", "อิหยัง", "หยัง", "แหน่", "ไป", "จัด", "ช่วง", "นี้",
    "เปิด", "สมัคร", "ยัง", "แบบ", "บอก", "ขอ", "ดู", "อยาก", "รู้", "ว่า", "เรา", "ผม", "หนู", "ฉัน",
    "ข่อย", "หรือ", "น่าสนใจ", "น่าไป", "น่าเข้าร่วม", "สนใจ", "ตอนนี้", "ทั้งหมด", "รายชื่อ",
    # Not kinds: titles are made of them (วันครอบครัวเรียนรู้ names one event, lists nothing).
    "เรียนรู้", "เรียน", "สอน", "เดือน", "วัน",
    "กับ", "และ", "แล้ว", "เลย", "มั้ง", "พา", "ไหน", "ๆ",
    "what", "is", "are", "there", "on", "in", "for", "the", "a", "at", "this", "me", "show",
    "please", "upcoming", "s", "any", "of", "to", "i", "can", "join", "with",
)  # fmt: skip
_SPLIT_CUE = re.compile("(?:อะไร|ไหน|หยัง|อิหยัง)..*(?:บ้าง|แหน่|มั่ง)")
# A kind alone is a list request only in these words: งาน alone may be about a job, อบรม
# or เสวนา alone about the one the resident has in mind.
_BARE = frozenset({"กิจกรรม", "events", "activities", "อีเวนต์", "อีเว้นท์"})
MAX_STRONG_RESIDUE = 6  # the same, beside a strong cue
MAX_RESIDUE = 3  # letters left unexplained: more, and the question is about something else


def _compact(word: str) -> str:
    return normalize(word).replace(" ", "")


def _longest_first(words: list[str]) -> list[str]:
    # Ties in a fixed order: set order changes with each process (string hashing).
    return sorted({w for w in words if w}, key=lambda w: (-len(w), w))


_STRONG = {_compact(w) for w in STRONG}
_ONE = {_compact(w) for w in ONE_THING}
_NOT = {_compact(w) for w in NOT_LIST}
_KINDS = {_compact(w): k for w, k in KINDS.items()}
_FREE = {_compact(w) for w in FREE}
_OPEN = {_compact(w) for w in OPEN}
_ONLINE = {_compact(w) for w in ONLINE}
_AUDIENCE = {_compact(w): a for w, a in AUDIENCE.items()}
_TONES = str.maketrans("", "", "\u0e48\u0e49\u0e4a\u0e4b")
# Tone marks are the letters most often left out (เดือนนี, พรุงนี): the windows without them.
_WINDOWS = {
    form: spec
    for w, spec in WINDOWS.items()
    for form in (_compact(w), _compact(w).translate(_TONES))
}
_EXISTS = {_compact(w) for w in EXISTS}
_YES_NO = {_compact(w) for w in YES_NO}
_FILLER = {_compact(w) for w in FILLER}
_TABLES: list[tuple[str, Iterable[str]]] = [
    ("strong", _STRONG), ("one", _ONE), ("not", _NOT), ("window", _WINDOWS), ("free", _FREE),
    ("open", _OPEN), ("online", _ONLINE), ("audience", _AUDIENCE), ("kind", _KINDS),
    ("exists", _EXISTS), ("yesno", _YES_NO), ("filler", _FILLER),
]  # fmt: skip
# Which table a word belongs to, the first table winning (ONE_THING's ครั้งหน้า over fillers).
_WORDS: dict[str, str] = {}
for _name, _table in _TABLES:
    for _w in _table:
        _WORDS.setdefault(_w, _name)
_ORDER = _longest_first(list(_WORDS))
_LATIN_ONLY = re.compile(r"[a-z0-9]+")


# ----------------------------------------------------------------------------- the request
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive
    what: str  # how the resident said it, for the reply ("เดือนนี้", "12 ธ.ค.")


@dataclass(frozen=True)
class ListRequest:
    window: Window | None = None
    free: bool = False
    open_signup: bool = False
    online: bool = False
    audience: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[Kind] = field(default_factory=frozenset)  # empty: any kind

    def wants(self, entry: Entry, now: datetime) -> bool:
        """The entry passes every filter (not the window)."""
        if self.kinds and entry.kind not in self.kinds:
            return False
        if self.free and entry.cost is not Cost.FREE:
            return False
        if self.open_signup and not entry.accepts_signups(now):
            return False
        if self.online and not entry.online:
            return False
        if self.audience:
            suits = set(entry.audience)
            wanted = set(self.audience)
            for who in self.audience:
                wanted.update(ALSO.get(who, ()))
            if not suits & wanted:
                return False
        return True

    @property
    def filtered(self) -> bool:
        return bool(self.free or self.open_signup or self.online or self.audience or self.kinds)


def read_request(text: str, now: datetime) -> ListRequest | None:
    """A list request, with its window and filters; None when the text is not one."""
    norm = normalize(text)
    if not norm:
        return None
    date_window, norm = _dates(norm, now)
    words, left = _scan_spaced(norm)
    kinds_of = {k for _, k in words}
    if "not" in kinds_of:
        return None
    # อะไร ... บ้าง split by what is asked about (อะไรเปิดรับสมัครอยู่บ้าง) asks as strongly.
    strong = "strong" in kinds_of or bool(_SPLIT_CUE.search(norm.replace(" ", "")))
    if [k for _, k in words] == ["kind"] and not left.strip() and words[0][0] in _BARE:
        return ListRequest()  # "events", "กิจกรรม" alone
    if "one" in kinds_of:
        return None
    residue = len(left.replace(" ", ""))
    subject = kinds_of & {"kind", "free", "open", "online", "audience"}
    timed = date_window is not None or "window" in kinds_of
    if strong:
        # อะไรบ้าง also asks about one thing (ต้องเตรียมอะไรบ้าง, ตลาดจอมพลมีอะไรบ้าง): a list
        # needs something listed (งาน, อบรม, for children) or a time, and little else.
        if residue > MAX_STRONG_RESIDUE or not (subject or timed or residue == 0):
            return None
    else:
        if residue > MAX_RESIDUE:
            return None
        asks = "exists" in kinds_of or "yesno" in kinds_of
        if asks:
            # มีอบรมฟรีไหม, มีงานเดือนหน้าไหม, ยังรับสมัครอยู่ไหม; not "ฟรีไหม" alone
            # (is it free? is about the thing just seen).
            if not (("exists" in kinds_of and (subject or timed)) or "open" in kinds_of):
                return None
        elif not ("kind" in kinds_of and (subject - {"kind"} or timed)):
            # กิจกรรมสำหรับเด็ก, งานเดือนนี้, events this weekend: a kind with a filter or a time.
            return None
    window = date_window
    for word, kind in words:
        if kind == "window" and window is None:
            window = _relative(_WINDOWS[word], now)
    if window is not None and window.end <= now:
        return None  # ประชุม 23 ต.ค. 66: about a past event, which the matcher knows
    return ListRequest(
        window=window,
        free="free" in kinds_of,
        open_signup="open" in kinds_of,
        online="online" in kinds_of,
        audience=frozenset(_AUDIENCE[w] for w, k in words if k == "audience"),
        kinds=frozenset(k for w, t in words if t == "kind" and (k := _KINDS[w]) is not None),
    )


def _scan_spaced(norm: str) -> tuple[list[tuple[str, str]], str]:
    """Scan the normalised text with its spaces out, Latin words kept apart by a mark so a
    short English word is only found whole."""
    pieces = norm.split()
    out = []
    for i, piece in enumerate(pieces):
        latin = bool(_LATIN_ONLY.fullmatch(piece))
        prev_latin = i > 0 and bool(_LATIN_ONLY.fullmatch(pieces[i - 1]))
        if latin and prev_latin:
            out.append("\x00" + piece)
        else:
            out.append(piece)
    compact = "".join(out)
    # English phrases ("this weekend") are stored without spaces: try them with the marks
    # out first, then single words with the marks in.
    found: list[tuple[int, str, str]] = []
    taken = [False] * len(compact)
    plain = compact.replace("\x00", "")
    index = [i for i, ch in enumerate(compact) if ch != "\x00"]
    for word in _ORDER:
        latin = bool(_LATIN_ONLY.fullmatch(word))
        start = plain.find(word)
        while start != -1:
            a, b = index[start], index[start + len(word) - 1] + 1
            ok = not any(taken[a:b])
            if ok and latin:
                before = compact[a - 1] if a > 0 else "\x00"
                after = compact[b] if b < len(compact) else "\x00"
                ok = not _LATIN_ONLY.fullmatch(before) and not _LATIN_ONLY.fullmatch(after)
            if ok:
                found.append((a, word, _WORDS[word]))
                for i in range(a, b):
                    taken[i] = True
            start = plain.find(word, start + 1)
    left = "".join(" " if t or ch == "\x00" else ch for ch, t in zip(compact, taken, strict=True))
    found.sort()
    return [(w, k) for _, w, k in found], left


# ----------------------------------------------------------------------------- time
_MONTH_WORDS = {_compact(name): n for n, names in enumerate(MONTH_NAMES, 1) for name in names}
_MONTH_RE = "|".join(
    re.escape(normalize(name)) for name in sorted(
        {name for names in MONTH_NAMES for name in names}, key=lambda s: (-len(normalize(s)), s))
)  # fmt: skip
# After normalize: "12 ธ ค 69", "12 ธันวาคม 2569", "december 12", "12 12 69" (12/12/69).
_DAY_MONTH = re.compile(rf"(?<![0-9])([0-9]{{1,2}}) ?({_MONTH_RE})(?: ([0-9]{{2,4}}))?(?![a-z])")
_MONTH_DAY = re.compile(rf"(?<![a-z])({_MONTH_RE}) ([0-9]{{1,2}})(?![0-9])")
_NUMERIC = re.compile(r"(?<![0-9])([0-9]{1,2}) ([0-9]{1,2})(?: ([0-9]{2,4}))?(?![0-9])")
_TIME_WORD = re.compile(r"\b(?:in|during|of|this|next)\s+$")
_MONTH_ALONE = re.compile(rf"(?:^|(?<=[^a-z]))({_MONTH_RE})(?: ([0-9]{{2,4}}))?(?![a-z])")


def _year(text: str | None, now: datetime, month: int, day: int) -> int:
    """A year as Thai people write it (69 and 2569 are Buddhist Era); none: the next time
    that day comes."""
    if text is None:
        return now.year + 1 if (month, day) < (now.month, now.day) else now.year
    n = int(text)
    if n < 100:
        n += 2500 if n >= 50 else 2000
    return n - 543 if n > 2400 else n


def _dates(norm: str, now: datetime) -> tuple[Window | None, str]:
    """A date or a named month in the text, and the text without it."""
    tz = now.tzinfo
    for rx, order in ((_DAY_MONTH, "dm"), (_MONTH_DAY, "md"), (_NUMERIC, "num")):
        m = rx.search(norm)
        if m is None:
            continue
        if order == "dm":
            day, month = int(m[1]), _MONTH_WORDS[m[2].replace(" ", "")]
            year_text = m[3]
        elif order == "md":
            day, month, year_text = int(m[2]), _MONTH_WORDS[m[1].replace(" ", "")], None
        else:
            day, month, year_text = int(m[1]), int(m[2]), m[3]
        try:
            start = datetime(_year(year_text, now, month, day), month, day, tzinfo=tz)
        except ValueError:
            continue
        what = f"วันที่ {day} {MONTH_NAMES[month - 1][2]}"
        rest = norm[: m.start()] + " " + norm[m.end() :]
        return Window(start, start + timedelta(days=1), what), rest
    m = _MONTH_ALONE.search(norm)
    if m is not None:
        month = _MONTH_WORDS[m[1].replace(" ", "")]
        # English "may" is also a verb: only a Thai month, or an English one beside a word
        # of time, counts. "march" likewise.
        if m[1] in ("may", "mar", "march") and not _TIME_WORD.search(norm[: m.start()]):
            return None, norm
        year = _year(m[2], now, month, 1) if m[2] else now.year + (month < now.month)
        start = datetime(year, month, 1, tzinfo=tz)
        rest = norm[: m.start()] + " " + norm[m.end() :]
        return Window(start, _add_months(start, 1), "เดือน" + MONTH_NAMES[month - 1][0]), rest
    return None, norm


def _add_months(day: datetime, months: int) -> datetime:
    total = day.year * 12 + day.month - 1 + months
    return day.replace(year=total // 12, month=total % 12 + 1, day=1)


# How the reply names a window, whatever words the resident used.
LABELS: dict[tuple[str, int], str] = {
    ("day", 0): "วันนี้", ("day", 1): "พรุ่งนี้", ("day", 2): "มะรืนนี้",
    ("week", 0): "สัปดาห์นี้", ("week", 1): "สัปดาห์หน้า",
    ("weekend", 0): "เสาร์-อาทิตย์นี้", ("weekend", 1): "เสาร์-อาทิตย์หน้า",
    ("saturday", 0): "วันเสาร์นี้", ("saturday", 1): "วันเสาร์หน้า",
    ("sunday", 0): "วันอาทิตย์นี้", ("sunday", 1): "วันอาทิตย์หน้า",
    ("month", 0): "เดือนนี้", ("month", 1): "เดือนหน้า",
    ("year", 0): "ปีนี้", ("year", 1): "ปีหน้า", ("soon", 0): "เร็ว ๆ นี้",
}  # fmt: skip


def _relative(spec: tuple[str, int], now: datetime) -> Window:
    unit, offset = spec
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    if unit == "day":
        start = today + timedelta(days=offset)
        end = start + timedelta(days=1)
    elif unit == "week":
        start = monday + timedelta(weeks=offset)
        end = start + timedelta(weeks=1)
        if offset == 0:
            start = now  # what is left of this week
    elif unit == "weekend":
        start = monday + timedelta(weeks=offset, days=5)
        end = start + timedelta(days=2)
    elif unit in ("saturday", "sunday"):
        start = monday + timedelta(weeks=offset, days=5 if unit == "saturday" else 6)
        end = start + timedelta(days=1)
    elif unit == "month":
        start = _add_months(today, offset)
        end = _add_months(start, 1)
    elif unit == "year":
        start = today.replace(year=today.year + offset, month=1, day=1)
        end = start.replace(year=start.year + 1)
    else:  # soon: the next month
        start, end = now, now + timedelta(days=31)
    return Window(max(start, today), end, LABELS[spec])


# ----------------------------------------------------------------------------- the entries
def _listable(kb: KnowledgeBase, now: datetime) -> list[Entry]:
    return [e for e in kb.upcoming(now) if e.kind is not Kind.FAQ]


def select(kb: KnowledgeBase, request: ListRequest, now: datetime, limit: int = 5) -> list[Entry]:
    """The upcoming entries the request asks for, soonest first."""
    found = []
    for e in _listable(kb, now):
        w = request.window
        if w is not None and e.starts is not None:
            if not (e.starts < w.end and (e.ends or e.starts) >= w.start):
                continue
        if request.wants(e, now):
            found.append(e)
    return found[:limit]


def nearest(kb: KnowledgeBase, request: ListRequest, now: datetime, limit: int = 3) -> list[Entry]:
    """When nothing matches: the soonest entries with the same filters, else any."""
    entries = _listable(kb, now)
    same = [e for e in entries if request.wants(e, now)]
    return (same or entries)[:limit]
