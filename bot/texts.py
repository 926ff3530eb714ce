"""Everything the bot says to people, in Thai, and Thai date formatting.

Strings here that take user or knowledge-base text take it already escaped (see `esc`).
"""

from __future__ import annotations

import html
import re
from datetime import datetime, tzinfo

# The command menu, from one source: (command, Thai description shown by Telegram).
COMMANDS: list[tuple[str, str]] = [
    ("start", "เริ่มต้นและเมนูหลัก"),
    ("events", "งานและกิจกรรมที่กำลังจะมา"),
    ("programmes", "โครงการสร้างอาชีพและรายได้"),
    ("activities", "กิจกรรมเมืองแห่งการเรียนรู้"),
    ("help", "วิธีใช้บอท"),
]

DAYS = ["วันจันทร์", "วันอังคาร", "วันพุธ", "วันพฤหัสบดี", "วันศุกร์", "วันเสาร์", "วันอาทิตย์"]
MONTHS = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]  # fmt: skip
MONTHS_SHORT = [
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]  # fmt: skip


def esc(text: object) -> str:
    """The one escaping helper: every user-typed or knowledge-base string passes here."""
    return html.escape(str(text), quote=False)


def thai_time(dt: datetime) -> str:
    return f"{dt.hour:02d}.{dt.minute:02d} น."


def thai_date(dt: datetime) -> str:
    """วันเสาร์ที่ 12 ธันวาคม 2569 (Buddhist Era)."""
    return f"{DAYS[dt.weekday()]}ที่ {dt.day} {MONTHS[dt.month - 1]} {dt.year + 543}"


def thai_date_short(dt: datetime) -> str:
    """12 ธ.ค. 69: fits on a small phone's button."""
    return f"{dt.day} {MONTHS_SHORT[dt.month - 1]} {(dt.year + 543) % 100:02d}"


def thai_when(starts: datetime, ends: datetime | None, tz: tzinfo) -> str:
    """วันเสาร์ที่ 12 ธันวาคม 2569 เวลา 13.00–16.30 น."""
    s = starts.astimezone(tz)
    if ends is None:
        return f"{thai_date(s)} เวลา {thai_time(s)}"
    e = ends.astimezone(tz)
    if e.date() == s.date():
        return f"{thai_date(s)} เวลา {s.hour:02d}.{s.minute:02d}–{thai_time(e)}"
    return f"{thai_date(s)} เวลา {thai_time(s)} ถึง {thai_date(e)} เวลา {thai_time(e)}"


# --- menu and help ------------------------------------------------------------------------
def start(first_name: str | None) -> str:
    name = f" คุณ{esc(first_name)}" if first_name else ""
    return (
        f"สวัสดีค่ะ{name} 🙏\n"
        "บอทนี้ตอบเรื่องเวทีเสวนา โครงการสร้างอาชีพ และกิจกรรมเมืองแห่งการเรียนรู้ขอนแก่น\n"
        "พิมพ์คำถามได้เลย หรือเลือกจากเมนูค่ะ"
    )


MENU_TITLE = "เลือกเรื่องที่สนใจได้เลยค่ะ 👇"
BTN_EVENTS = "📅 งานที่กำลังจะมา"
BTN_PROGRAMMES = "💼 โครงการอาชีพ"
BTN_ACTIVITIES = "📚 กิจกรรมการเรียนรู้"
BTN_ASK = "❓ ถามคำถาม"
BTN_HELP = "ℹ️ วิธีใช้"
BTN_MENU = "🏠 เมนูหลัก"
BTN_BACK = "◀️ กลับ"
BTN_PREV = "◀️ ก่อนหน้า"
BTN_NEXT = "ถัดไป ▶️"
BTN_NONE = "ไม่ใช่ทั้งหมด"

HELP = (
    "<b>วิธีใช้บอท</b>\n"
    "• พิมพ์คำถามเป็นภาษาไทย ภาษาอีสาน หรืออังกฤษก็ได้ เช่น “เสวนาครั้งหน้าจัดมื้อใด๋”\n"
    "• /events งานและกิจกรรมที่กำลังจะมา\n"
    "• /programmes โครงการสร้างอาชีพและรายได้\n"
    "• /activities กิจกรรมเมืองแห่งการเรียนรู้\n"
    "• /start กลับเมนูหลัก"
)

ASK_PROMPT = "พิมพ์คำถามมาได้เลยค่ะ เช่น “ปลูกผักที่ตลาดจอมพลสมัครยังไง” ✍️"

# --- lists and details ----------------------------------------------------------------------
LIST_TITLES = {
    "ev": "📅 <b>งานที่กำลังจะมา</b>",
    "pg": "💼 <b>โครงการสร้างอาชีพและรายได้</b>",
    "ac": "📚 <b>กิจกรรมเมืองแห่งการเรียนรู้</b>",
}
LIST_EMPTY = {
    "ev": "ตอนนี้ยังไม่มีงานที่กำลังจะมา ลองดูใหม่เร็ว ๆ นี้นะคะ",
    "pg": "ตอนนี้ยังไม่มีโครงการในรายการค่ะ",
    "ac": "ตอนนี้ยังไม่มีกิจกรรมในรายการค่ะ",
}


def page_of(page: int, pages: int) -> str:
    return f" (หน้า {page + 1}/{pages})" if pages > 1 else ""


LIST_HINT = "แตะชื่อเพื่อดูรายละเอียดค่ะ"
WHEN = "📅 "
WHERE = "📍 "
CONTACT = "☎️ ติดต่อ: "
LINK = "🔗 "
PAST = "(งานนี้จัดไปแล้ว)"

# --- answers ------------------------------------------------------------------------------
DID_YOU_MEAN = "หมายถึงเรื่องไหนคะ? เลือกได้เลย 👇"


def fallback(contact: str) -> str:
    return (
        "ขออภัยค่ะ 🙏 ยังไม่มีคำตอบสำหรับคำถามนี้ ทีมงานได้รับคำถามไว้แล้ว\n"
        "ลองพิมพ์ถามด้วยคำอื่น ดูเมนูด้านล่าง หรือติดต่อ "
        f"{esc(contact)} ค่ะ"
    )


NOT_TEXT = "ตอนนี้บอทอ่านได้เฉพาะข้อความค่ะ พิมพ์คำถามมาได้เลย ✍️"
OLD_BUTTON = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ เลือกจากเมนูใหม่ได้เลย 👇"
ENTRY_GONE = "เรื่องนี้ไม่มีในระบบแล้วค่ะ เลือกจากเมนูใหม่ได้เลย 👇"
ERROR = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว 🙏 ลองใหม่อีกครั้งนะคะ"
UNKNOWN_COMMAND = "ไม่รู้จักคำสั่งนี้ค่ะ ดูคำสั่งที่ใช้ได้ที่ /help"


# --- splitting long messages --------------------------------------------------------------
_TAG = re.compile(r"<[^>]+>")
TELEGRAM_LIMIT = 4096


def visible_length(html_text: str) -> int:
    """Length Telegram counts (UTF-16 code units of the text after entity parsing)."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def split_plain(text: str, limit: int) -> list[str]:
    """Split plain text at paragraph, line, then word boundaries, within `limit`."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, 0, limit)
            if cut > limit // 2:
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def pack(blocks: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join HTML blocks (each with balanced tags) into as few messages as fit the limit."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n{block}" if current else block
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def escaped_blocks(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain text -> escaped blocks, each short enough to send on its own."""
    return [esc(p) for p in split_plain(text, limit)]
