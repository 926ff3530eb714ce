"""Reading a short follow-up about the entry a resident was just shown: "จัดที่ไหน", "กี่โมง",
"เสียเงินบ่", "จอดรถได้ไหม", "อันที่สอง" (after a list), "the 2nd one".

Pure: no Telegram, no store. A message is a follow-up only when ALL of it is made of the
words below (what it asks, fillers and particles, an ordinal): anything left over is a
subject of its own ("ตลาดจอมพลจัดที่ไหน"), and such a question goes to the matcher.
Thai has no spaces between words, so the message is cut into the table's phrases by the
fewest pieces (a word break over the whole text), not split on spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from kb.thai import normalize


class Field(StrEnum):
    WHERE = "where"
    WHEN = "when"
    COST = "cost"
    PARKING = "parking"
    SIGNUP = "signup"
    CONTACT = "contact"
    SEATS = "seats"
    DETAILS = "details"


# What each field is asked with, in Thai, Isan and English. Spaces inside a phrase do not
# matter (they are taken out of the message too).
FIELD_WORDS: dict[Field, tuple[str, ...]] = {
    Field.WHERE: (
        "ที่ไหน", "จัดที่ไหน", "อยู่ที่ไหน", "อยู่ไหน", "ตรงไหน", "แถวไหน", "สถานที่", "ไปยังไง",
        "ไปอย่างไร", "ไปทางไหน", "เดินทาง", "แผนที่", "พิกัด", "ที่อยู่", "โลเคชั่น", "ทางไป",
        # Isan
        "อยู่ไส", "ไส", "ที่ใด", "ไปจั่งใด", "ไปจังได", "ไปจั่งได๋", "ไปจั่งใด๋", "บ่อนใด",
        "where", "location", "venue", "address", "map", "directions", "get there",
    ),
    Field.WHEN: (
        "กี่โมง", "วันไหน", "เมื่อไหร่", "เมื่อไร", "ตอนไหน", "วันอะไร", "วันที่เท่าไหร่", "เวลา",
        "เริ่มกี่โมง", "เลิกกี่โมง", "ถึงกี่โมง", "จัดวันไหน",
        # Isan
        "จักโมง", "จักโมงเด้อ", "มื้อใด", "มื้อไหน", "ตอนใด", "วันใด",
        "when", "what time", "time", "date", "which day", "what day", "start",
    ),
    Field.COST: (
        "เสียเงิน", "ฟรี", "กี่บาท", "ค่าใช้จ่าย", "ค่าสมัคร", "ราคา", "เท่าไหร่", "เสียค่า",
        "จ่ายเงิน", "ต้องจ่าย", "มีค่า", "เสียตัง", "เสียตังค์",
        # Isan
        "จักบาท", "เสียเงินบ่",
        "cost", "price", "free", "how much", "fee", "pay",
    ),
    Field.PARKING: (
        "จอดรถ", "ที่จอดรถ", "ที่จอด", "จอด", "เอารถไป", "ขับรถไป",
        "parking", "park", "car park",
    ),
    Field.SIGNUP: (
        "สมัคร", "ลงทะเบียน", "ลงชื่อ", "เข้าร่วม", "ไปร่วม", "จองที่",
        "sign up", "signup", "register", "registration", "apply", "join",
    ),
    Field.CONTACT: (
        "ติดต่อ", "ติดต่อใคร", "เบอร์", "เบอร์โทร", "โทร", "ไลน์", "ถามใคร", "ผู้จัด", "คนจัด",
        "contact", "phone", "call", "line", "who",
    ),
    Field.SEATS: (
        "เหลือที่", "ที่ว่าง", "ที่นั่ง", "เต็ม", "เต็มยัง", "รับกี่คน", "ว่าง", "ยังว่าง", "กี่ที่",
        "ยังรับ", "เหลือกี่ที่", "รับสมัครอยู่",
        "seats", "seat", "space", "places left", "full", "still open", "room",
    ),
    Field.DETAILS: ("รายละเอียด", "ดูรายละเอียด", "เพิ่มเติม", "details", "more", "tell me more"),
}  # fmt: skip

# Words that carry no subject of their own: particles, "this one", polite asks, the verbs
# questions are built with. A message of these alone (no field, no ordinal) is no follow-up.
FILLERS: tuple[str, ...] = (
    "ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "นะ", "เนาะ", "น้อ", "ล่ะ", "หรอ", "เหรอ",
    "ไหม", "มั้ย", "มั๊ย", "ไม๊", "หรือเปล่า", "เปล่า", "ป่าว", "หรือยัง", "ยัง", "บ่", "บ้าง",
    "งานนี้", "อันนี้", "อันนั้น", "งานนั้น", "กิจกรรมนี้", "โครงการนี้", "ที่นี่", "นี้", "นั้น",
    "แล้ว", "ต้อง", "ได้", "ไป", "จะ", "ขอ", "หน่อย", "ด้วย", "เลย", "คือ", "เป็น", "มี", "จัด",
    "เริ่ม", "อยู่", "ยังไง", "อย่างไร", "แบบไหน", "กี่", "เด้อ", "แหน่", "ผม", "หนู", "ฉัน",
    "ดิฉัน", "เรา", "ที่", "อัน", "งาน", "คน", "เรื่อง", "รถ", "อะไร", "ดู", "เหลือ",
    "จั่งใด๋", "จั่งได๋", "จั่งใด", "จังได๋", "แนวใด",
    "is", "it", "the", "a", "an", "there", "do", "does", "i", "we", "can", "how", "what", "to",
    "get", "any", "for", "this", "that", "event", "one", "please", "and", "at", "of", "much",
    "still", "left", "are", "need", "much", "about", "its", "so", "ok", "and",
)  # fmt: skip

# Words that introduce an ordinal ("อันที่ 2", "เบอร์ 3", "number 3", "no 2").
ORDINAL_PREFIXES: tuple[str, ...] = (
    "อันที่", "ที่", "เบอร์", "ข้อ", "ข้อที่", "รายการที่", "งานที่", "ลำดับที่", "เรื่องที่", "อัน",
    "number", "no", "option", "item",
)  # fmt: skip
NUMBER_WORDS: dict[str, int] = {
    "หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8,
    "เก้า": 9, "สิบ": 10,
}  # fmt: skip
# Ordinals that stand alone: "อันแรก", "the 2nd one", "second". -1 is the last.
ORDINAL_WORDS: dict[str, int] = {
    "แรก": 1, "อันแรก": 1, "ทีแรก": 1, "ทำอิด": 1, "อันทำอิด": 1, "สุดท้าย": -1,
    "อันสุดท้าย": -1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1,
}  # fmt: skip

MAX_LENGTH = 40  # characters, normalised: longer messages say enough to be matched
MAX_ORDINAL = 20


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What a follow-up asks: fields of the entry (none: its details), of the n-th entry of
    the last list when `ordinal` is set (-1: the last one)."""

    fields: tuple[Field, ...] = ()
    ordinal: int | None = None


# A piece's roles: ("field", Field), ("filler", None), ("prefix", None), ("number", n),
# ("ordinal", n). One phrase can have several ("เบอร์": contact, or "เบอร์ 3").
_Role = tuple[str, object]


def _squash(text: str) -> str:
    return normalize(text).replace(" ", "")


@cache
def _table() -> dict[str, tuple[_Role, ...]]:
    roles: dict[str, list[_Role]] = {}

    def add(phrase: str, role: _Role) -> None:
        roles.setdefault(_squash(phrase), []).append(role)

    for name, words in FIELD_WORDS.items():
        for w in words:
            add(w, ("field", name))
    for w in FILLERS:
        add(w, ("filler", None))
    for w in ORDINAL_PREFIXES:
        add(w, ("prefix", None))
    for w, n in NUMBER_WORDS.items():
        add(w, ("number", n))
    for w, n in ORDINAL_WORDS.items():
        add(w, ("ordinal", n))
    return {k: tuple(v) for k, v in roles.items() if k}


def _pieces(text: str) -> list[str] | None:
    """Cut `text` into the table's phrases and runs of digits, fewest pieces first; None
    when some part of it is no phrase of the table."""
    table = _table()
    longest = max(map(len, table))
    n = len(text)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        done = best[i]
        if done is None:
            continue
        ends = [j for j in range(i + 1, min(n, i + longest) + 1) if text[i:j] in table]
        if text[i].isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            ends.append(j)
        for j in ends:
            cut = [*done, text[i:j]]
            current = best[j]
            if current is None or len(cut) < len(current):
                best[j] = cut
    return best[n]


def read(text: str) -> FollowUp | None:
    """The follow-up a short message asks, or None when it is not one."""
    squashed = _squash(text)
    if not squashed or len(squashed) > MAX_LENGTH:
        return None
    pieces = _pieces(squashed)
    if pieces is None:
        return None
    table = _table()
    fields: list[Field] = []
    ordinal: int | None = None
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        roles = dict(table.get(piece, ()))
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        number = _number(following) if following is not None else None
        if "prefix" in roles and number is not None:
            ordinal, i = number, i + 2
            continue
        if piece.isdigit() or "number" in roles:
            # A number with no อันที่ before it is a quantity; 555 is laughter, which
            # normalising shortens to 5.
            if len(pieces) != 1 or len(text.strip()) > 2:
                return None
            ordinal = _number(piece)
        elif "ordinal" in roles:
            ordinal = int(str(roles["ordinal"]))
        elif "field" in roles:
            field = Field(str(roles["field"]))
            if field not in fields:
                fields.append(field)
        i += 1
    if ordinal is not None and not (ordinal == -1 or 1 <= ordinal <= MAX_ORDINAL):
        return None
    if not fields and ordinal is None:
        return None
    # "ขอรายละเอียด" and an ordinal alone both mean: show the details.
    wanted = tuple(f for f in fields if f is not Field.DETAILS)
    return FollowUp(wanted, ordinal)


def _number(piece: str) -> int | None:
    if piece.isdigit():
        return int(piece) if len(piece) <= 2 else None
    roles = dict(_table().get(piece, ()))
    value = roles.get("number")
    return int(str(value)) if value is not None else None
