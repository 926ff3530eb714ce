"""Everything the bot says to people, in Thai, and Thai date formatting.

Strings here that take user or knowledge-base text take it already escaped (see `esc`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime, tzinfo
from urllib.parse import quote as url_quote

# The command menu, from one source: (command, Thai description shown by Telegram).
COMMANDS: list[tuple[str, str]] = [
    ("start", "เริ่มต้นและเมนูหลัก"),
    ("events", "งานและกิจกรรมที่กำลังจะมา"),
    ("programmes", "โครงการสร้างอาชีพและรายได้"),
    ("activities", "กิจกรรมเมืองแห่งการเรียนรู้"),
    ("mysignups", "การสมัครของฉัน ดูหรือยกเลิก"),
    ("subscribe", "เลือกรับข่าวกิจกรรม"),
    ("unsubscribe", "เลิกรับข่าว"),
    ("cancel", "ยกเลิกสิ่งที่ทำค้างอยู่"),
    ("forgetme", "ลบข้อมูลส่วนตัวของฉัน"),
    ("privacy", "บอทเก็บข้อมูลอะไร นานแค่ไหน"),
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
    "• /mysignups ดูหรือยกเลิกการสมัคร · /forgetme ลบข้อมูลของฉัน · /privacy ข้อมูลที่เก็บ\n"
    "• /subscribe เลือกรับข่าวกิจกรรม · /unsubscribe เลิกรับข่าว\n"
    "• /cancel ยกเลิกสิ่งที่ทำค้างอยู่ · /start กลับเมนูหลัก"
)

ASK_PROMPT = "พิมพ์คำถามมาได้เลยค่ะ เช่น “ปลูกผักที่ตลาดจอมพลสมัครยังไง” ✍️"

# --- lists and details ----------------------------------------------------------------------
LIST_TITLES = {
    "ev": "📅 <b>งานที่กำลังจะมา</b>",
    "pg": "💼 <b>โครงการสร้างอาชีพและรายได้</b>",
    "ac": "📚 <b>กิจกรรมเมืองแห่งการเรียนรู้</b>",
}
LIST_EMPTY = {
    "ev": "ตอนนี้ยังไม่มีงานที่กำลังจะมาค่ะ กด /subscribe เพื่อรับข่าวทันทีที่มีงานใหม่",
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
BTN_READ_MORE = "📖 อ่านต่อ"
READ_MORE_MARK = "…"
MAP = "แผนที่"
# /programmes grouped by what a resident wants (the knowledge base's `topic`).
PROGRAMME_GROUPS = {
    "income": "💰 <b>รายได้และงาน</b>",
    "help": "🤝 <b>ความช่วยเหลือและทุน</b>",
    "learning": "📚 <b>การเรียนรู้และงานวิจัย</b>",
    "": "📌 <b>เรื่องอื่น ๆ</b>",
}
GROUP_MORE = " (ต่อ)"
# Telegram on a 360-pixel-wide phone fits about this many Thai letters a line (vowels and tone
# marks above or below a letter take no width of their own).
PHONE_LINE_CELLS = 32
DAYS_SHORT = ["จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส.", "อา."]


def cells(text: str) -> int:
    """How wide a text is on screen, in letters: Thai marks above and below take none, an
    emoji takes two."""
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Cf"):
            continue
        width += 2 if ord(ch) >= 0x1F000 or unicodedata.category(ch) == "So" else 1
    return width


def phone_lines(text: str) -> int:
    """The lines a plain text takes on a 360-pixel-wide phone."""
    return sum(max(1, -(-cells(line) // PHONE_LINE_CELLS)) for line in text.split("\n"))


def when_short(starts: datetime, ends: datetime | None, tz: tzinfo) -> str:
    """ส. 12 ธ.ค. 2569 · 13.00–16.30 น.: one line on a small phone, Buddhist Era."""
    s = starts.astimezone(tz)
    day = f"{DAYS_SHORT[s.weekday()]} {s.day} {MONTHS_SHORT[s.month - 1]} {s.year + 543}"
    if ends is None:
        return f"{day} · {thai_time(s)}"
    e = ends.astimezone(tz)
    if e.date() == s.date():
        return f"{day} · {s.hour:02d}.{s.minute:02d}–{thai_time(e)}"
    to = f"{DAYS_SHORT[e.weekday()]} {e.day} {MONTHS_SHORT[e.month - 1]} {e.year + 543}"
    return f"{day} {thai_time(s)} – {to} {thai_time(e)}"


def map_url(location: str) -> str:
    """A Google Maps search for the place, as Google documents it (api=1, query)."""
    return "https://www.google.com/maps/search/?api=1&query=" + url_quote(location, safe="")


def place(location: str) -> str:
    """📍 the place, with a link that opens it on a map."""
    url = html.escape(map_url(location), quote=True)
    return f'{WHERE}{esc(location)} · <a href="{url}">{MAP}</a>'


# --- "what's on": a list request answered with the list --------------------------------------
LISTING_FILTERS = {"free": "ฟรี", "open": "ยังรับสมัคร", "online": "ออนไลน์"}
AUDIENCE_NAMES = {
    "everyone": "ทุกคน", "children": "เด็ก", "youth": "เยาวชน", "students": "นักเรียนนักศึกษา",
    "families": "ครอบครัว", "elderly": "ผู้สูงอายุ", "people-with-disabilities": "คนพิการ",
    "low-income": "กลุ่มรายได้น้อย", "job-seekers": "คนหางาน", "vendors": "ผู้ค้า",
    "farmers": "เกษตรกร", "organisations": "หน่วยงานภาคี",
}  # fmt: skip
LISTING_NEAREST = "งานที่ใกล้ที่สุดค่ะ 👇"
LISTING_NONE_AT_ALL = "ตอนนี้ยังไม่มีงานที่กำลังจะมาค่ะ กด /subscribe เพื่อรับข่าวเมื่อมีงานใหม่นะคะ"


def listing_title(what: str | None, tags: list[str]) -> str:
    """📅 <b>งานเดือนนี้</b> · ฟรี · สำหรับเด็ก"""
    head = f"📅 <b>งาน{esc(what) if what else 'ที่กำลังจะมา'}</b>"
    return " · ".join([head, *(esc(t) for t in tags)])


def listing_empty(what: str | None) -> str:
    return "ไม่มีงานในช่วงนั้นค่ะ 🙏" if what else "ยังไม่มีงานที่ตรงกับที่ถามค่ะ 🙏"


def listing_line(n: int, title: str, when: datetime, cost: str | None) -> str:
    """1. <b>title</b> / 📅 12 ธ.ค. 69 08.30 น. · ฟรี (or the price, as organisers wrote it)"""
    line = f"{n}. <b>{esc(title)}</b>\n    {WHEN}{thai_date_short(when)} {thai_time(when)}"
    return line + (f" · {esc(cost)}" if cost else "")


def btn_listing_signup(n: int) -> str:
    return f"📝 สมัคร {n}"


# --- answers ------------------------------------------------------------------------------
DID_YOU_MEAN = "หมายถึงเรื่องไหนคะ? เลือกได้เลย 👇"


def fallback(
    contact: str, phone: str | None = None, line: str | None = None, place: str | None = None
) -> str:
    # One honest line on what the bot knows, so a resident asking about the lottery or a
    # hospital learns where the bot can help instead of rephrasing in vain.
    text = (
        "ขออภัยค่ะ 🙏 เรื่องนี้บอทยังไม่มีข้อมูล\n"
        "บอทตอบเรื่องเวทีเสวนา โครงการอาชีพและรายได้ และกิจกรรมเมืองแห่งการเรียนรู้ของขอนแก่นค่ะ\n"
        # The organisers see a question only when the resident sends it on (the button).
        f"อยากให้เจ้าหน้าที่ตอบ กดปุ่ม 📨 ด้านล่าง หรือติดต่อ {esc(contact)} ค่ะ"
    )
    reach = contact_reach(phone, line, place)
    return f"{text}\n{reach}" if reach else text


def line_link(line_id: str) -> str:
    """A LINE id as a link that opens the chat: official accounts (@name) and people differ."""
    path = f"R/ti/p/{line_id}" if line_id.startswith("@") else f"ti/p/~{line_id}"
    return f'<a href="https://line.me/{esc(path)}">{esc(line_id)}</a>'


def contact_reach(phone: str | None, line: str | None, place: str | None) -> str:
    """☎️ 043-123-456 · LINE @kktt / 📍 place: how to reach a person, when set. The phone is
    plain text: Telegram drops tel: links, and its apps make a number in text tappable."""
    first = []
    if phone:
        first.append(f"☎️ {esc(phone)}")
    if line:
        first.append(f"💬 LINE {line_link(line)}")
    lines = [" · ".join(first)] if first else []
    if place:
        lines.append(f"📍 {esc(place)}")
    return "\n".join(lines)


def help_contact(
    contact: str, phone: str | None = None, line: str | None = None, place: str | None = None
) -> str:
    """Under /help: who to contact, and how when set."""
    reach = contact_reach(phone, line, place)
    head = f"<b>ติดต่อเจ้าหน้าที่</b>: {esc(contact)}"
    return f"{head}\n{reach}" if reach else head


def next_one(title: str, when: str) -> str:
    """Under a past entry's answer: the upcoming one of the same kind."""
    return f"👉 ครั้งถัดไป: <b>{esc(title)}</b>\n{WHEN}{when}"


BTN_NEXT_ONE = "ดูครั้งถัดไป"


NOT_TEXT = "ตอนนี้บอทอ่านได้เฉพาะข้อความค่ะ พิมพ์คำถามมาได้เลย ✍️"
OLD_BUTTON = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ เลือกจากเมนูใหม่ได้เลย 👇"
ENTRY_GONE = "เรื่องนี้ไม่มีในระบบแล้วค่ะ เลือกจากเมนูใหม่ได้เลย 👇"
ERROR = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว 🙏 ลองใหม่อีกครั้งนะคะ"


def error_report(error: str, where: str, unreported: int) -> str:
    """To organisers when an update fails: the exception's type and where, never its message
    or what the resident sent (both can carry a name or a phone number)."""
    more = f"\n(และอีก {unreported} ครั้งก่อนหน้านี้ที่ไม่ได้แจ้ง)" if unreported else ""
    return (
        f"⚠️ บอทขัดข้อง: <code>{esc(error)}</code> ที่ <code>{esc(where)}</code>\n"
        f"รายละเอียดอยู่ใน log ของเซิร์ฟเวอร์{more}"
    )


UNKNOWN_COMMAND = "ไม่รู้จักคำสั่งนี้ค่ะ ดูคำสั่งที่ใช้ได้ที่ /help"


# --- splitting long messages --------------------------------------------------------------
_TAG = re.compile(r"<[^>]+>")
TELEGRAM_LIMIT = 4096


def plain(html_text: str) -> str:
    """The text a resident sees for our HTML (Telegram also trims it)."""
    return html.unescape(_TAG.sub("", html_text)).strip()


def visible_length(html_text: str) -> int:
    """Length Telegram counts (UTF-16 code units of the text after entity parsing)."""
    return len(plain(html_text).encode("utf-16-le")) // 2


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


# --- sign-ups -----------------------------------------------------------------------------
BTN_SIGNUP = "📝 สมัคร"
BTN_CONSENT_YES = "✅ ยินยอม"
BTN_CONSENT_NO = "ไม่ยินยอม"
BTN_USE_SAVED = "✅ ยืนยันสมัคร"
BTN_EDIT_DETAILS = "✏️ แก้ชื่อหรือเบอร์"
BTN_SHARE_PHONE = "📱 แชร์เบอร์โทรของฉัน"
BTN_MY_SIGNUPS = "📋 การสมัครของฉัน"
BTN_CANCEL_SIGNUP = "❌ ยกเลิก"
BTN_CANCEL_YES = "ยืนยันยกเลิก"
BTN_CANCEL_NO = "ไม่ยกเลิก"
BTN_FORGET_YES = "ลบข้อมูลทั้งหมด"
BTN_FORGET_NO = "ไม่ลบ"

CONSENT = (
    "<b>ก่อนสมัคร ขออนุญาตเก็บข้อมูลค่ะ</b> (พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล)\n"
    "• เก็บ: ชื่อ เบอร์โทร และรายการที่สมัคร\n"
    "• เพื่อ: ติดต่อคุณเรื่องกิจกรรมนี้เท่านั้น\n"
    "• ใครเห็น: เฉพาะเจ้าหน้าที่ผู้จัดงาน\n"
    "• ดูข้อมูลได้ที่ /mysignups ลบทั้งหมดได้ที่ /forgetme\n"
    "• เก็บไว้นานแค่ไหน ดูได้ที่ /privacy"
)
CONSENT_GIVEN = "\n\n✅ ยินยอมแล้ว"
CONSENT_DECLINED = "ไม่เป็นไรค่ะ 🙏 ไม่ได้เก็บข้อมูลใด ๆ ไว้ หากเปลี่ยนใจ กดสมัครใหม่ได้ทุกเมื่อ"


def ask_name(profile_name: str | None) -> str:
    hint = "\nหรือกดปุ่มด้านล่างเพื่อใช้ชื่อในเทเลแกรม" if profile_name else ""
    return f"✍️ พิมพ์ <b>ชื่อ-นามสกุล</b> สำหรับลงทะเบียนค่ะ{hint}"


def use_profile_name(name: str) -> str:
    return f"ใช้ชื่อ “{name[:30]}”"


BAD_NAME = "ชื่อควรยาว 2–100 ตัวอักษร มีตัวอักษรอย่างน้อย 2 ตัว และไม่มีลิงก์ค่ะ ลองพิมพ์ชื่อ-นามสกุลอีกครั้งนะคะ"
ASK_PHONE = "📱 ขอ<b>เบอร์โทร</b>ด้วยค่ะ กดปุ่ม “แชร์เบอร์โทรของฉัน” ด้านล่าง\nหรือพิมพ์เบอร์ เช่น 081-234-5678"
BAD_PHONE = (
    "เบอร์นี้ไม่ถูกต้องค่ะ 🙏 ต้องเป็นเบอร์ไทย 10 หลัก เช่น 081-234-5678 หรือ 0812345678 "
    "(เบอร์บ้าน 9 หลัก เช่น 043-123-456 ก็ได้)\nลองใหม่อีกครั้ง หรือกดปุ่มแชร์เบอร์โทรค่ะ"
)


def phone_saved(phone: str) -> str:
    return f"✅ บันทึกเบอร์ {phone} แล้วค่ะ"


def ask_people(limit: int) -> str:
    return f"👥 ไปกี่คนคะ (รวมตัวคุณเอง สูงสุด {limit} คน)"


def confirm_saved(name: str, phone: str, title: str) -> str:
    return f"สมัคร <b>{esc(title)}</b>\nด้วยข้อมูลเดิมนี้ไหมคะ\n👤 {esc(name)}\n📱 {phone}"


def confirmed(
    title: str, when: str | None, where: str | None, name: str, phone: str, people: int
) -> str:
    # "ยืนยันการสมัคร" read as "please confirm": say it is done.
    lines = [f"✅ <b>สมัครเรียบร้อยแล้ว</b>\n<b>{esc(title)}</b>"]
    if when:
        lines.append(f"{WHEN}{when}")
    if where:
        lines.append(f"{WHERE}{esc(where)}")
    lines.append(f"👤 {esc(name)} · 📱 {phone}" + (f" · 👥 {people} คน" if people > 1 else ""))
    lines.append("ดูหรือยกเลิกได้ที่ /mysignups")
    return "\n".join(lines)


def waitlisted(title: str, position: int) -> str:
    return (
        f"🕒 <b>รายชื่อสำรอง ลำดับที่ {position}</b>\n<b>{esc(title)}</b>\n"
        "ตอนนี้ที่นั่งเต็มแล้วค่ะ ถ้ามีคนยกเลิก บอทจะแจ้งคุณทันที\n"
        "ดูหรือยกเลิกได้ที่ /mysignups"
    )


def already(title: str, position: int | None) -> str:
    state = f"อยู่ในรายชื่อสำรองลำดับที่ {position}" if position else "ได้ที่นั่งแล้ว"
    return f"ℹ️ <b>คุณสมัครแล้ว</b>ค่ะ\n<b>{esc(title)}</b> ({state})\nดูได้ที่ /mysignups"


def promoted(text: str) -> str:
    return "🎉 มีที่ว่างแล้วค่ะ คุณได้เลื่อนจากรายชื่อสำรอง\n" + text


SIGNUP_CLOSED = "ขออภัยค่ะ กิจกรรมนี้ไม่เปิดรับสมัครผ่านบอท"
SIGNUP_PAST = "ขออภัยค่ะ กิจกรรมนี้ผ่านไปแล้ว ดูกิจกรรมอื่นได้ที่ /events"
SIGNUP_STOPPED = "ขออภัยค่ะ กิจกรรมนี้ปิดรับสมัครแล้ว ดูกิจกรรมอื่นได้ที่ /events"
SIGNUP_UNKNOWN = "ไม่พบกิจกรรมนี้ค่ะ อาจถูกยกเลิกหรือลิงก์ไม่ถูกต้อง ดูกิจกรรมที่เปิดรับได้ที่ /events"
FLOW_EXPIRED = "การสมัครนี้หมดเวลาหรือเสร็จไปแล้วค่ะ เริ่มใหม่ได้จากปุ่ม “สมัคร” ใต้กิจกรรม"
FLOW_CANCELLED = "ยกเลิกสิ่งที่ทำค้างไว้แล้วค่ะ ไม่ได้บันทึกอะไรเพิ่ม"
NOTHING_TO_CANCEL = "ตอนนี้ไม่มีอะไรค้างอยู่ค่ะ"


def flow_paused(step_hint: str) -> str:
    return f"⏸ ยังสมัครค้างอยู่นะคะ: {step_hint} หรือพิมพ์ /cancel เพื่อยกเลิก"


HINT_NAME = "พิมพ์ชื่อ-นามสกุล"
HINT_PHONE = "ส่งเบอร์โทร"
HINT_BUTTONS = "กดปุ่มในข้อความด้านบน"

# --- sign-up flow: questions, other people's contacts, edits (issue 17) ---------------------
BAD_PROFILE_NAME = (
    "ชื่อในเทเลแกรมของคุณใช้ลงทะเบียนไม่ได้ค่ะ (ต้องยาว 2–100 ตัวอักษร มีตัวอักษรอย่างน้อย 2 ตัว "
    "และไม่มีลิงก์) ช่วยพิมพ์ชื่อ-นามสกุลแทนนะคะ"
)
NAME_COMMAND = "ชื่อขึ้นต้นด้วย “/” ไม่ได้ค่ะ พิมพ์ชื่อ-นามสกุล หรือพิมพ์ /cancel เพื่อยกเลิกการสมัคร"
CONTACT_NOT_YOURS = "รับได้เฉพาะเบอร์ของคุณเองค่ะ 🙏 กดปุ่ม “แชร์เบอร์โทรของฉัน” ด้านล่าง หรือพิมพ์เบอร์ของคุณ"
EDIT_IGNORED = "ℹ️ ข้อความที่แก้ไขนี้ไม่ได้ใช้ในการสมัครค่ะ ถ้าต้องการเปลี่ยน ส่งเป็นข้อความใหม่นะคะ"


def not_a_name(step_hint: str) -> str:
    return "ℹ️ ข้อความนี้เป็นคำถาม จึงไม่ได้บันทึกเป็นชื่อค่ะ\n" + flow_paused(step_hint)


def name_updated(name: str) -> str:
    return f"✏️ แก้ชื่อเป็น “{esc(name)}” แล้วค่ะ"


def name_edit_refused(current: str) -> str:
    return (
        "ชื่อที่แก้ใช้ไม่ได้ค่ะ (ยาว 2–100 ตัวอักษร มีตัวอักษรอย่างน้อย 2 ตัว ไม่มีลิงก์) "
        f"ยังใช้ชื่อ “{esc(current)}” อยู่นะคะ"
    )


def phone_updated(phone: str) -> str:
    return f"✏️ แก้เบอร์เป็น {phone} แล้วค่ะ"


def phone_edit_refused(current: str) -> str:
    return f"เบอร์ที่แก้ไม่ถูกต้องค่ะ ยังใช้เบอร์ {current} อยู่นะคะ"


# --- my sign-ups and privacy ----------------------------------------------------------------
MY_SIGNUPS_EMPTY = "ยังไม่มีการสมัครค่ะ ดูกิจกรรมที่เปิดรับได้ที่ /events"


def my_details(name: str, phone: str) -> str:
    return f"ข้อมูลของคุณ: 👤 {esc(name)} · 📱 {phone}\nลบข้อมูลทั้งหมดได้ที่ /forgetme"


def my_signup_line(n: int, title: str, when: str | None, position: int | None, people: int) -> str:
    state = f"🕒 สำรองลำดับที่ {position}" if position else "✅ ยืนยันแล้ว"
    extra = f" · 👥 {people} คน" if people > 1 else ""
    date = f"\n    {WHEN}{when}" if when else ""
    return f"{n}. <b>{esc(title)}</b>{date}\n    {state}{extra}"


MY_SIGNUPS_TITLE = "📋 <b>การสมัครของฉัน</b>"


def cancel_question(title: str) -> str:
    return f"ยกเลิกการสมัคร <b>{esc(title)}</b> ใช่ไหมคะ?"


def cancelled(title: str) -> str:
    return f"ยกเลิกการสมัคร <b>{esc(title)}</b> แล้วค่ะ"


CANCEL_KEPT = "ไม่ยกเลิกค่ะ การสมัครยังอยู่เหมือนเดิม"
SIGNUP_NOT_FOUND = "ไม่พบการสมัครนี้ค่ะ อาจยกเลิกไปแล้ว ดูรายการล่าสุดที่ /mysignups"
FORGET_QUESTION = (
    "ลบข้อมูลของคุณทั้งหมดใช่ไหมคะ? ชื่อ เบอร์โทร การสมัครทุกรายการ คำถามที่เคยถาม "
    "และคำถามของคุณที่เจ้าหน้าที่นำไปสอนบอท จะถูกลบถาวร "
    "ที่นั่งที่จองไว้จะส่งต่อให้คนในรายชื่อสำรอง"
)
FORGET_KEPT = "ไม่ลบค่ะ ข้อมูลยังอยู่เหมือนเดิม"


def forgotten(had_details: bool, signups: int, questions: int, learned: int = 0) -> str:
    if not (had_details or signups or questions or learned):
        return "บอทไม่มีข้อมูลส่วนตัวของคุณเก็บไว้ค่ะ ✅"
    parts = []
    if had_details:
        parts.append("ชื่อและเบอร์โทร")
    if signups:
        parts.append(f"การสมัคร {signups} รายการ")
    if questions:
        parts.append(f"คำถาม {questions} ข้อ")
    if learned:
        parts.append(f"คำถามที่ใช้สอนบอท {learned} ข้อ")
    return "🗑 ลบแล้วค่ะ: " + ", ".join(parts)


# --- subscriptions ---------------------------------------------------------------------------
TOPIC_NAMES = {
    "forums": "🗣 เวทีเสวนา",
    "livelihood": "💼 อาชีพและรายได้",
    "learning": "📚 กิจกรรมการเรียนรู้",
}
BTN_TOPIC_ALL = "ทั้งหมด"
BTN_TOPIC_NONE = "ไม่รับข่าวเลย"
BTN_DONE = "เสร็จแล้ว"


def subscriptions(topics: set[str]) -> str:
    if not topics:
        state = "ตอนนี้ยังไม่ได้รับข่าวเรื่องใดค่ะ"
    else:
        names = ", ".join(TOPIC_NAMES[t] for t in TOPIC_NAMES if t in topics)
        state = f"ตอนนี้รับข่าว: {names}"
    return f"🔔 <b>รับข่าวกิจกรรม</b>\nเลือกเรื่องที่อยากให้บอทแจ้งเมื่อมีข่าวใหม่ค่ะ\n{state}"


SUBSCRIBE_OFFER = "อยากให้บอทแจ้งข่าวกิจกรรมใหม่ไหมคะ? เลือกเรื่องที่สนใจได้เลย (เปลี่ยนได้ทุกเมื่อที่ /subscribe)"
SUBSCRIPTIONS_SAVED = "บันทึกแล้วค่ะ ✅ เปลี่ยนได้ทุกเมื่อที่ /subscribe หรือ /unsubscribe"

# --- reminders ---------------------------------------------------------------------------------


def reminder(title: str, when: str, where: str | None, lead: str) -> str:
    head = (
        "⏰ <b>พรุ่งนี้</b>มีกิจกรรมที่คุณสมัครไว้ค่ะ"
        if "d@" in lead
        else "⏰ <b>ใกล้ถึงเวลา</b>กิจกรรมที่คุณสมัครไว้แล้วค่ะ"
    )
    lines = [head, f"<b>{esc(title)}</b>", f"{WHEN}{when}"]
    if where:
        lines.append(f"{WHERE}{esc(where)}")
    lines.append("ไปไม่ได้? กดยกเลิกด้านล่าง เพื่อให้คนในรายชื่อสำรองได้ที่นั่งค่ะ")
    return "\n".join(lines)


BTN_CANCEL_MY_SIGNUP = "❌ ยกเลิกการสมัครนี้"

# --- follow-ups about what was just shown ("จัดที่ไหน", "อันที่สอง") --------------------------
# What each follow-up asks about, as in "ยังไม่มีข้อมูลเรื่อง…".
FOLLOWUP_TOPICS = {
    "where": "สถานที่",
    "when": "วันและเวลา",
    "cost": "ค่าใช้จ่าย",
    "parking": "ที่จอดรถ",
    "signup": "การสมัคร",
    "contact": "ผู้ติดต่อ",
    "seats": "จำนวนที่ว่าง",
}
FREE = "💰 ฟรี ไม่เสียค่าใช้จ่ายค่ะ"
BTN_DETAILS = "📄 ดูรายละเอียด"


def followup_head(title: str) -> str:
    return f"<b>{esc(title)}</b>"


def paid(price: str | None) -> str:
    return f"💰 มีค่าใช้จ่าย {esc(price)} ค่ะ" if price else "💰 มีค่าใช้จ่ายค่ะ"


UNKNOWN_MARK = "ยังไม่มีข้อมูลเรื่อง"


def followup_unknown(topic: str, contact: str, reach: str = "") -> str:
    """A follow-up the entry cannot answer: said plainly, with someone who can (`reach`:
    contact_reach's lines, already escaped)."""
    text = f"{UNKNOWN_MARK}{topic}ของงานนี้ค่ะ 🙏\nสอบถามได้ที่ {esc(contact)}"
    return f"{text}\n{reach}" if reach else text


SIGNUP_HERE = "📝 สมัครผ่านบอทนี้ได้เลยค่ะ กดปุ่ม “สมัคร” ด้านล่าง"
SIGNUP_ENDED = "📝 งานนี้ปิดรับสมัครแล้วค่ะ (งานเริ่มไปแล้ว)"


def seats_left(left: int) -> str:
    return f"🪑 ยังเหลือที่ว่าง {left} ที่ค่ะ" if left > 0 else "🪑 ที่นั่งเต็มแล้วค่ะ สมัครเข้ารายชื่อสำรองได้"


SEATS_OPEN = "🪑 ยังเปิดรับสมัครอยู่ค่ะ"


def pick_from_list(count: int) -> str:
    """A follow-up after a list, with no entry chosen yet."""
    return f"หมายถึงงานไหนคะ? พิมพ์ “อันที่ 1” ถึง “อันที่ {count}” หรือแตะชื่อในรายการได้เลยค่ะ"


def no_such_item(count: int) -> str:
    return f"รายการล่าสุดมี {count} เรื่องค่ะ พิมพ์ “อันที่ 1” ถึง “อันที่ {count}” ได้เลย"


# --- organisers and staff (Thai, they are Khon Kaen staff too) -----------------------------
ADMIN_ONLY = "ขออภัยค่ะ คำสั่งนี้สำหรับเจ้าหน้าที่ผู้จัดงานเท่านั้น"
ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("broadcast", "ส่งประกาศถึงผู้รับข่าวหรือผู้สมัคร"),
    ("broadcasts", "ประกาศล่าสุดและสถานะการส่ง"),
    ("export", "ส่งออกรายชื่อผู้สมัคร CSV/XLSX"),
    ("stats", "สรุปผู้สมัคร ผู้รับข่าว และคำถาม"),
    ("unanswered", "คำถามที่บอทตอบไม่ได้"),
    ("inbox", "คำถามที่ผู้ใช้ส่งถึงเจ้าหน้าที่ รอตอบ"),
    ("reload", "โหลดฐานความรู้ใหม่"),
    ("checkin", "เช็กอินผู้สมัครที่หน้างาน"),
    ("newevent", "สร้างกิจกรรมใหม่ในเทเลแกรม"),
    ("myevents", "กิจกรรมที่สร้างไว้ แก้ ปิดรับ ซ่อน ยกเลิก"),
]

BROADCAST_AUDIENCE = "📣 <b>ส่งประกาศ</b>\nเลือกผู้รับค่ะ"
BTN_AUD_ALL = "ทุกคนที่รับข่าว"
BTN_AUD_SIGNUPS = "ผู้สมัครกิจกรรม…"
BROADCAST_PICK_ENTRY = "เลือกกิจกรรมค่ะ"
BROADCAST_NO_ENTRIES = "ยังไม่มีกิจกรรมที่มีผู้สมัครค่ะ"
BROADCAST_PICK_STATUS = "ส่งถึงใครในกิจกรรมนี้คะ"
BTN_ST_CONFIRMED = "ผู้ได้ที่นั่ง"
BTN_ST_WAITLIST = "รายชื่อสำรอง"
BTN_ST_BOTH = "ทั้งสองกลุ่ม"
BROADCAST_COMPOSE = (
    "✍️ ส่งข้อความประกาศมาได้เลยค่ะ (ข้อความ รูปพร้อมคำบรรยาย หรือไฟล์)\n"
    "ตัวหนา/ตัวเอียงที่พิมพ์ไว้จะถูกส่งตามนั้น · /cancel เพื่อยกเลิก"
)
BROADCAST_UNSUPPORTED = "ส่งได้เฉพาะข้อความ รูป หรือไฟล์ค่ะ ลองใหม่อีกครั้ง หรือ /cancel"
BTN_SEND = "✅ ยืนยันส่ง"
BTN_DISCARD = "ยกเลิก"
BROADCAST_DISCARDED = "ยกเลิกประกาศนี้แล้วค่ะ ไม่ได้ส่งถึงใคร"
BROADCAST_NOBODY = "กลุ่มนี้ยังไม่มีผู้รับค่ะ ไม่ได้ส่งประกาศ"


def audience_name(audience: str, title: str | None = None) -> str:
    kind, _, rest = audience.partition(":")
    if kind == "topic":
        return f"ผู้รับข่าว {TOPIC_NAMES.get(rest, rest)}"
    if kind == "entry":
        entry_id, _, status = rest.partition(":")
        who = {"confirmed": BTN_ST_CONFIRMED, "waitlist": BTN_ST_WAITLIST}.get(status, "ผู้สมัครทั้งหมด")
        return f"{who} · {esc(title or entry_id)}"
    return BTN_AUD_ALL


def broadcast_preview(audience: str, count: int) -> str:
    return f"👆 นี่คือสิ่งที่ผู้รับจะเห็นค่ะ\nผู้รับ: {audience} · <b>{count} คน</b>\nยืนยันส่งไหมคะ?"


def broadcast_progress(
    number: int, sent: int, failed: int, blocked: int, pending: int, done: bool, cancelled: bool
) -> str:
    if cancelled:
        head = f"⏹ ประกาศ #{number} หยุดส่งแล้ว"
    elif done:
        head = f"✅ ประกาศ #{number} ส่งครบแล้ว"
    else:
        head = f"📣 กำลังส่งประกาศ #{number}…"
    return f"{head}\nส่งแล้ว {sent} · ไม่สำเร็จ {failed} · บล็อกบอท {blocked} · เหลือ {pending}"


BROADCASTS_EMPTY = "ยังไม่มีประกาศค่ะ เริ่มได้ที่ /broadcast"
BROADCASTS_TITLE = "📣 <b>ประกาศล่าสุด</b>"
BTN_STOP = "⏹ หยุดส่ง"
BROADCAST_NOT_RUNNING = "ประกาศนี้ไม่ได้กำลังส่งอยู่ค่ะ"
BROADCAST_STATUS = {"running": "กำลังส่ง", "done": "ส่งครบแล้ว", "cancelled": "หยุดส่งแล้ว"}


def broadcast_line(head: str, status: str, sent: int, total: int, failed: int, blocked: int) -> str:
    """One broadcast in /broadcasts, under its `head` (number, date, audience: HTML)."""
    shown = BROADCAST_STATUS.get(status, esc(status))
    return f"{head}\n    {shown} · ส่งแล้ว {sent}/{total} · ไม่สำเร็จ {failed} · บล็อก {blocked}"


EXPORT_PICK = "📤 <b>ส่งออกรายชื่อผู้สมัคร</b>\nเลือกกิจกรรมค่ะ (ได้ทั้งไฟล์ CSV และ Excel)"
BTN_EXPORT_ALL = "ทุกกิจกรรม"
EXPORT_EMPTY = "ยังไม่มีผู้สมัครค่ะ"


def export_caption(what: str, rows: int) -> str:
    return f"รายชื่อผู้สมัคร: {esc(what)} ({rows} รายการ) · ข้อมูลส่วนบุคคล โปรดเก็บรักษา"


STATS_TITLE = "📊 <b>สรุป</b>"


def stats_entry(title: str, seats: int, capacity: int | None, waiting: int) -> str:
    cap = capacity if capacity is not None else "ไม่จำกัด"
    return f"• {esc(title)}: ได้ที่นั่ง {seats}/{cap} · สำรอง {waiting}"


def stats_subscribers(counts: dict[str, int]) -> str:
    return "ผู้รับข่าว: " + " · ".join(f"{TOPIC_NAMES[t]} {n}" for t, n in counts.items())


def stats_questions(asked: int, missed: int) -> str:
    return f"คำถาม 7 วันล่าสุด: {asked} · ตอบไม่ได้ {missed}"


UNANSWERED_TITLE = "❓ <b>คำถามที่บอทตอบไม่ได้</b> (30 วันล่าสุด)"
UNANSWERED_EMPTY = "ไม่มีคำถามที่ตอบไม่ได้ค้างอยู่ค่ะ 🎉"
BTN_ALL_ENTRIES = "📋 เลือกจากทุกเรื่อง"
UNANSWERED_HINT = "กด ➕ เพื่อเพิ่มคำถามนั้นเป็นอีกแบบของเรื่องที่มีอยู่"


def unanswered_pick(question: str) -> str:
    return f"คำถาม “{esc(question)}”\nควรตอบด้วยเรื่องไหนคะ"


def learned_added(question: str, title: str) -> str:
    return f"✅ เพิ่ม “{esc(question)}” ให้เรื่อง <b>{esc(title)}</b> แล้วค่ะ บอทใช้ได้ทันที"


RELOAD_OK = "✅ โหลดฐานความรู้ใหม่แล้ว: {count} เรื่อง"


def reload_clashes(ids: list[str]) -> str:
    shown = ", ".join(esc(i) for i in ids[:10])
    return f"\n⚠️ รหัสซ้ำกับเรื่องที่สร้างในแชต {len(ids)} รายการ ({shown}): ใช้ฉบับที่สร้างในแชต ลบออกจากไฟล์หนึ่งที่"


def reload_failed(problems: list[str]) -> str:
    shown = "\n".join(f"• {esc(p)}" for p in problems[:15])
    more = f"\n…และอีก {len(problems) - 15} ข้อ" if len(problems) > 15 else ""
    return f"❌ ฐานความรู้ใหม่มีข้อผิดพลาด {len(problems)} ข้อ ยังใช้ฐานเดิมอยู่ค่ะ\n{shown}{more}"


# --- privacy and access: private chats only, erasure, retention -----------------------------
PRIVATE_ONLY = "เรื่องนี้คุยกันในแชตส่วนตัวกับบอทนะคะ 🔒 กดปุ่มด้านล่างได้เลย"
PRIVATE_ONLY_ALERT = "ปุ่มนี้ใช้ได้ในแชตส่วนตัวกับบอทเท่านั้นค่ะ 🔒"  # a pop-up: at most 200
BTN_OPEN_PRIVATE = "💬 ไปที่แชตส่วนตัวกับบอท"
OLD_BUTTON_ALERT = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ ไม่มีอะไรเปลี่ยนแปลง"


def privacy_notice(question_days: int, flow_minutes: int, context_minutes: int) -> str:
    """What the bot keeps and for how long (/privacy; the consent message points here)."""
    return (
        "🔒 <b>ข้อมูลของคุณที่บอทเก็บ</b> (พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล)\n"
        "• ชื่อ เบอร์โทร และการสมัคร: เก็บไว้จนกว่าคุณจะลบด้วย /forgetme "
        "เจ้าหน้าที่ผู้จัดงานเท่านั้นที่เห็น\n"
        f"• คำถามที่พิมพ์ถามบอท: เก็บไว้ {question_days} วันเพื่อปรับปรุงคำตอบ แล้วลบทิ้ง\n"
        "• คำถามที่เจ้าหน้าที่นำไปสอนบอท: ลบด้วยเมื่อคุณใช้ /forgetme\n"
        "• คำถามที่คุณส่งถึงเจ้าหน้าที่: เก็บไว้ให้เจ้าหน้าที่ตอบ ลบพร้อมคำถามอื่น ๆ\n"
        f"• ชื่อหรือเบอร์ที่พิมพ์ค้างไว้ระหว่างสมัคร: ลบเมื่อไม่ได้ทำต่อ {flow_minutes} นาที\n"
        f'• เรื่องที่เพิ่งดู (เพื่อตอบ "จัดที่ไหน" ต่อได้): จำไว้ {context_minutes} นาที\n'
        "• เวลาที่เช็กอินหน้างาน: เก็บกับการสมัคร ลบด้วย /forgetme\n"
        "• ข้อมูลส่วนตัวคุยกันในแชตส่วนตัวเท่านั้น บอทไม่โพสต์ในกลุ่ม"
    )


# --- a person to reach: questions left for the organisers, and their replies --------------
BTN_STAFF_ASK = "📨 ส่งคำถามถึงเจ้าหน้าที่"
QUOTE_LIMIT = 200  # a resident's question quoted back: a screen, not a page


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A resident's question in quotes, escaped, cut to fit a small screen."""
    text = " ".join(text.split())
    return f"“{esc(text if len(text) <= limit else text[: limit - 1] + '…')}”"


def staff_left(question: str, days: int) -> str:
    """To the resident who tapped "ส่งคำถามถึงเจ้าหน้าที่" (PDPA: what is kept, why, how long)."""
    return (
        "📨 ส่งคำถามถึงเจ้าหน้าที่แล้วค่ะ\n"
        f"{quote(question)}\n"
        "เจ้าหน้าที่จะตอบกลับในแชตนี้ทาง Telegram ค่ะ 🙏\n\n"
        f"🔒 บอทเก็บข้อความคำถามนี้ไว้เพื่อให้เจ้าหน้าที่ตอบเท่านั้น ลบเองเมื่อครบ {days} วัน "
        "หรือลบทันทีด้วย /forgetme"
    )


STAFF_ALREADY = "คำถามนี้ส่งถึงเจ้าหน้าที่ไว้แล้วค่ะ 🙏 เจ้าหน้าที่จะตอบกลับในแชตนี้"
STAFF_GONE = (
    "คำถามนี้ถูกลบไปแล้วค่ะ (ครบเวลาเก็บข้อมูล หรือลบด้วย /forgetme) "
    "พิมพ์คำถามอีกครั้ง แล้วกด “ส่งคำถามถึงเจ้าหน้าที่” ได้เลย"
)


def staff_new(question: str) -> str:
    """To each organiser when a resident leaves a question."""
    return f"📨 <b>คำถามใหม่ถึงเจ้าหน้าที่</b>\n{quote(question)}\nกด “ตอบ” หรือดูทั้งหมดที่ /inbox"


def staff_reply(question: str, reply: str) -> str:
    """An organiser's reply, as the resident receives it."""
    return f"💬 <b>คำตอบจากเจ้าหน้าที่</b>\nคำถามของคุณ: {quote(question)}\n\n{esc(reply)}"


def inbox_title(waiting: int) -> str:
    return f"📨 <b>คำถามถึงเจ้าหน้าที่</b> รอตอบ {waiting} ข้อ"


def inbox_line(n: int, question: str, asked: str) -> str:
    return f"{n}. {quote(question, 100)}\n    ถามเมื่อ {asked}"


def inbox_more(more: int) -> str:
    return f"…และอีก {more} ข้อ ตอบข้อเก่าก่อนแล้วจะเห็นข้อถัดไปค่ะ"


INBOX_EMPTY = "ไม่มีคำถามรอเจ้าหน้าที่ตอบค่ะ 🎉"
INBOX_HINT = "กด “ตอบ” แล้วพิมพ์คำตอบ บอทส่งถึงผู้ถามในแชตของเขาค่ะ"
BTN_REPLY = "✍️ ตอบ"
BTN_REPLY_DISCARD = "ยังไม่ตอบ"
REPLY_LIMIT = 3500  # the resident's message also quotes the question: under Telegram's 4096


def inbox_compose(question: str) -> str:
    return (
        f"✍️ <b>ตอบคำถาม</b>\n{quote(question)}\n"
        "พิมพ์คำตอบได้เลยค่ะ ข้อความถัดไปของคุณจะส่งถึงผู้ถามทันทีในนามเจ้าหน้าที่"
    )


INBOX_DISCARDED = "ยังไม่ตอบค่ะ คำถามยังรออยู่ที่ /inbox"
INBOX_GONE = "คำถามนี้ถูกลบไปแล้วค่ะ (ครบเวลาเก็บข้อมูล หรือผู้ถามลบข้อมูลของตน) ตอบไม่ได้แล้ว"
INBOX_TEXT_ONLY = "ตอบได้เป็นข้อความเท่านั้นค่ะ พิมพ์คำตอบอีกครั้ง หรือ /cancel"


def inbox_too_long(limit: int) -> str:
    return f"คำตอบยาวเกิน {limit} ตัวอักษรค่ะ ย่อให้สั้นลงแล้วส่งอีกครั้ง"


def inbox_taken(by: int, when: str) -> str:
    return f"คำถามนี้มีผู้ตอบแล้วค่ะ (เจ้าหน้าที่ {by} เมื่อ {when})"


def inbox_sent(question: str) -> str:
    return f"✅ ส่งคำตอบถึงผู้ถามแล้วค่ะ\n{quote(question, 100)}"


def inbox_blocked(question: str) -> str:
    return f"⚠️ ส่งคำตอบไม่ถึงค่ะ ผู้ถามบล็อกบอทไว้แล้ว\n{quote(question, 100)}"


def inbox_failed(question: str) -> str:
    return f"⚠️ ส่งคำตอบไม่สำเร็จหลายครั้ง ลองติดต่อผู้ถามทางอื่นนะคะ\n{quote(question, 100)}"


INBOX_RETRYING = "⏳ Telegram ยังไม่รับข้อความ บอทจะลองส่งคำตอบใหม่เองค่ะ"


# --- check-in at the door (issue 16) -------------------------------------------------------
# Residents: their code, shown as a QR photo from /mysignups and the reminders.
BTN_CHECKIN_CODE = "🎫 คิวอาร์โค้ดเช็กอิน"


def checkin_code_caption(title: str, when: str | None, people: int) -> str:
    lines = ["🎫 <b>คิวอาร์โค้ดเช็กอิน</b>", f"<b>{esc(title)}</b>"]
    if when:
        lines.append(f"{WHEN}{when}")
    lines.append(f"👥 {people} คน")
    lines.append("แสดงให้เจ้าหน้าที่สแกนที่หน้างานค่ะ (ใช้ได้กับการสมัครนี้เท่านั้น อย่าส่งต่อให้ผู้อื่น)")
    return "\n".join(lines)


CHECKIN_CODE_UNAVAILABLE = (
    "การสมัครนี้ไม่มีคิวอาร์โค้ดค่ะ มีเฉพาะการสมัครที่ได้ที่นั่งแล้วของงานที่ยังไม่จบ ดูรายการล่าสุดที่ /mysignups"
)
# Anyone who is not staff opening a check-in link: nothing about whose code it is.
CHECKIN_FOR_STAFF = (
    "🎫 โค้ดนี้สำหรับเจ้าหน้าที่สแกนที่หน้างานค่ะ "
    "ถ้าเป็นโค้ดของคุณ ให้เปิดรูปคิวอาร์โค้ดจาก /mysignups แล้วยื่นให้เจ้าหน้าที่สแกนนะคะ"
)

# Staff at the door.
CHECKIN_INVALID = "❌ โค้ดไม่ถูกต้องค่ะ ไม่พบการสมัครของโค้ดนี้ ค้นหาด้วยเบอร์โทรหรือชื่อได้ที่ /checkin"
CHECKIN_NOT_FOUND = "ไม่พบการสมัครนี้ค่ะ ค้นหาใหม่ได้ที่ /checkin"
BTN_CHECKIN_ANYWAY = "✅ เช็กอินเลย"


def checkin_at(at: datetime, now: datetime) -> str:
    """13.05 น. today, 12 ธ.ค. 69 13.05 น. another day (both in the bot's zone)."""
    return thai_time(at) if at.date() == now.date() else f"{thai_date_short(at)} {thai_time(at)}"


def _attendee(name: str, people: int, title: str) -> str:
    return f"👤 <b>{esc(name)}</b> · 👥 {people} คน\n📌 {esc(title)}"


def checked_in(name: str, people: int, title: str) -> str:
    return f"✅ <b>เช็กอินแล้ว</b>\n{_attendee(name, people, title)}"


def checked_in_before(name: str, people: int, title: str, at: str) -> str:
    return f"⚠️ <b>เช็กอินแล้วเมื่อ {at}</b>\n{_attendee(name, people, title)}"


def checkin_not_confirmed(name: str, people: int, title: str) -> str:
    return (
        "⛔ <b>การสมัครนี้ยังไม่ได้ที่นั่ง</b> (ยกเลิกแล้ว หรืออยู่ในรายชื่อสำรอง)\n"
        f"{_attendee(name, people, title)}"
    )


def checkin_other_day(name: str, people: int, title: str, when: str) -> str:
    return (
        f"⚠️ <b>งานนี้ไม่ได้จัดวันนี้ค่ะ</b>\n{_attendee(name, people, title)}\n{WHEN}{when}\n"
        "ยังไม่ได้เช็กอิน ถ้าถูกต้องแล้ว กดเช็กอินเลยค่ะ"
    )


CHECKIN_ASK = (
    "🔎 <b>เช็กอินหน้างาน</b>\nพิมพ์คำสั่งตามด้วยเบอร์โทร (หรือเลขท้าย 4 ตัว) หรือชื่อผู้สมัครค่ะ\n"
    "เช่น /checkin 0812345678 หรือ /checkin 5678 หรือ /checkin สมชาย\n"
    "หรือสแกนคิวอาร์โค้ดของผู้สมัครด้วยกล้องมือถือ"
)


def checkin_none(query: str) -> str:
    return f"ไม่พบผู้สมัครที่ได้ที่นั่งแล้วของงานวันนี้หรืองานที่กำลังจะมา ที่ตรงกับ “{esc(query)}” ค่ะ"


def checkin_found(lines: list[str]) -> str:
    return "🔎 <b>ผู้สมัครที่ตรงกัน</b> กดชื่อเพื่อเช็กอินค่ะ\n" + "\n".join(lines)


def checkin_found_line(
    n: int, name: str, phone: str, people: int, title: str, at: str | None
) -> str:
    state = f" · ☑️ เช็กอินแล้ว {at}" if at else ""
    return f"{n}. <b>{esc(name)}</b> · {phone} · 👥 {people}\n    {esc(title)}{state}"


# /stats: who came to the events that have started.
STATS_ATTENDANCE_TITLE = "เข้าร่วมจริง (เช็กอิน/ได้ที่นั่ง):"


def stats_attendance(title: str, came: int, confirmed: int) -> str:
    return f"• {esc(title)}: มา {came}/{confirmed} · ไม่มา {confirmed - came}"


# The menu of door staff (BOT_CHECKIN_IDS) beside the residents' commands.
CHECKIN_COMMANDS: list[tuple[str, str]] = [("checkin", "เช็กอินผู้สมัครที่หน้างาน")]


# --- events made and edited in Telegram (issue 16) --------------------------------------------
# Organisers only; their commands: /newevent, /myevents (in ADMIN_COMMANDS).
EVENT_KIND_NAMES = {"event": "งาน/เสวนา", "programme": "โครงการ", "activity": "กิจกรรม"}
NEW_EVENT_KIND = "🆕 <b>สร้างกิจกรรมใหม่</b> (/cancel เพื่อเลิก)\nเป็นแบบไหนคะ"
NEW_EVENT_TITLE = "ชื่องานคะ (ไม่เกิน {limit} ตัวอักษร) เช่น อบรมทำขนมไทย รุ่นที่ 2"
NEW_EVENT_WHEN = (
    "วันและเวลาคะ พิมพ์แบบที่พูดกันได้เลย เช่น\n12 ธ.ค. 70 13.00-16.30\nเสาร์หน้า บ่ายโมง\n23/1/2570 9.30"
)
NEW_EVENT_PLACE = "จัดที่ไหนคะ (ชื่อสถานที่ บรรทัดเดียว ไม่เกิน {limit} ตัวอักษร)"
NEW_EVENT_SIGNUP = "รับสมัครไหมคะ"
NEW_EVENT_CAPACITY = "รับได้กี่ที่คะ พิมพ์ตัวเลข 1–{limit}"
NEW_EVENT_PEOPLE = "สมัครหนึ่งครั้งพาคนมาได้กี่คน (รวมผู้สมัคร) คะ"
NEW_EVENT_ANSWER = (
    "ข้อความที่ประชาชนจะอ่านเมื่อถามถึงงานนี้คะ (รายละเอียด สิ่งที่ต้องเตรียม ฯลฯ "
    "ไม่ต้องใส่วัน เวลา สถานที่ซ้ำ บอทแสดงให้เอง)"
)
NEW_EVENT_CONTACT = "ติดต่อใครคะ พิมพ์ชื่อและเบอร์ หรือเลือกด้านล่าง"
NEW_EVENT_PREVIEW = "👀 <b>ตัวอย่าง</b> ประชาชนจะเห็นรายละเอียดแบบนี้ค่ะ"
NEW_EVENT_REDO = "จะแก้ส่วนไหนคะ"
NEW_EVENT_DROPPED = "ยกเลิกการสร้างกิจกรรมแล้วค่ะ ไม่ได้บันทึกอะไร"
NEW_EVENT_EXPIRED = "การสร้างหรือแก้กิจกรรมนี้หมดเวลาหรือเสร็จไปแล้วค่ะ เริ่มใหม่ได้ที่ /newevent หรือ /myevents"
EVENT_TEXT_ONLY = "พิมพ์เป็นข้อความค่ะ (หรือ /cancel เพื่อเลิก)"
EVENT_EMPTY = "ยังว่างอยู่ค่ะ พิมพ์อีกครั้งนะคะ"
EVENT_CAPACITY_BAD = "จำนวนที่นั่งต้องเป็นตัวเลข 1–{limit} ค่ะ เช่น 50"
EVENT_PAST = "วันเวลานี้ผ่านไปแล้วค่ะ ใส่วันที่ยังไม่ถึง"
EVENT_NO_DATE_FOR_EVENT = "งานต้องมีวันและเวลาค่ะ"

BTN_EVENT_DATE_OK = "✅ ถูกต้อง"
BTN_EVENT_DATE_AGAIN = "✏️ พิมพ์ใหม่"
BTN_EVENT_NO_DATE = "ไม่มีวันที่ (รับสมัครตลอด)"
BTN_EVENT_NO_PLACE = "ไม่ระบุสถานที่ / ออนไลน์"
BTN_EVENT_NO_SIGNUP = "ไม่รับสมัคร (แค่แจ้งข่าว)"
BTN_EVENT_OPEN = "รับสมัคร ไม่จำกัดจำนวน"
BTN_EVENT_CAPACITY = "รับสมัคร จำกัดจำนวน…"
BTN_EVENT_USE_QUESTIONS = "✅ ใช้ตามนี้"
BTN_EVENT_NO_CONTACT = "ไม่ใส่"
BTN_EVENT_PUBLISH = "✅ เผยแพร่"
BTN_EVENT_REDO = "✏️ แก้ไข"
BTN_EVENT_DROP = "ยกเลิก"
BTN_EVENT_VIEW = "👀 ดูตามที่ประชาชนเห็น"
BTN_EVENT_PANEL = "⚙️ จัดการ"
BTN_EVENT_ANNOUNCE = "📣 ประกาศให้ผู้รับข่าว"
BTN_MY_EVENTS = "◀️ กิจกรรมของฉัน"
REDO_NAMES = {
    "kind": "ประเภท", "title": "ชื่องาน", "when": "วันเวลา", "place": "สถานที่",
    "signup": "การรับสมัคร", "answer": "ข้อความรายละเอียด", "questions": "คำถามที่คาดว่าจะถาม",
    "contact": "ผู้ติดต่อ",
}  # fmt: skip


def event_when_check(when: str, assumed: list[str]) -> str:
    """The date read back in full; what the reader filled in is said too."""
    guess = f"\n(บอทเดาว่า: {esc(', '.join(assumed))})" if assumed else ""
    return f"📅 <b>{esc(when)}</b>{guess}\nถูกต้องไหมคะ"


def event_title_too_long(limit: int, length: int) -> str:
    return f"ชื่องานยาวเกินไปค่ะ ({length} ตัวอักษร) ไม่เกิน {limit} ตัวอักษร"


def event_too_long(limit: int) -> str:
    return f"ยาวเกินไปค่ะ ไม่เกิน {limit} ตัวอักษร"


def event_too_many(limit: int) -> str:
    return f"มากเกินไปค่ะ ใส่ได้ไม่เกิน {limit} แบบ บรรทัดละหนึ่งแบบ"


def event_date_error(message: str) -> str:
    """kb.thaidate's Thai message (it quotes what was typed)."""
    return f"❌ {esc(message)}"


def event_questions(suggested: list[str], limit: int) -> str:
    lines = "\n".join(f"• {esc(q)}" for q in suggested)
    return (
        "ประชาชนอาจถามถึงงานนี้ว่าอะไรบ้างคะ บอทจะตอบเมื่อมีคนพิมพ์คล้าย ๆ แบบนี้\n"
        f"{lines}\n"
        f"กด “ใช้ตามนี้” หรือพิมพ์เอง บรรทัดละหนึ่งแบบ (ไม่เกิน {limit} แบบ)"
    )


def event_bot_contact(contact: str) -> str:
    return f"ใช้ของบอท: {contact}"


def event_published(title: str) -> str:
    return f"✅ <b>เผยแพร่แล้ว</b>: {esc(title)}\nประชาชนถามถึงงานนี้ได้ทันที และเห็นในรายการกิจกรรม"


# /myevents and an entry's panel.
EVENT_STATE_NAMES = {"published": "🟢 เผยแพร่", "hidden": "⚪ ซ่อน", "cancelled": "⛔ ยกเลิก"}
MY_EVENTS_TITLE = "🗂 <b>กิจกรรมที่สร้างในเทเลแกรม</b>"
MY_EVENTS_EMPTY = "ยังไม่มีกิจกรรมที่สร้างในเทเลแกรมค่ะ สร้างได้ที่ /newevent"
MY_EVENTS_FILES = "กิจกรรมจากไฟล์ data/kb ไม่อยู่ในรายการนี้ แก้ในไฟล์ data/kb ค่ะ"
EVENT_FROM_FILES = "กิจกรรมนี้มาจากไฟล์ แก้ที่นี่ไม่ได้ค่ะ แก้ในไฟล์ data/kb แล้ว /reload"
EVENT_UNKNOWN = "ไม่พบกิจกรรมนี้ค่ะ ดูรายการได้ที่ /myevents"
EVENT_CANCELLED_ALREADY = "กิจกรรมนี้ยกเลิกแล้ว แก้ไขไม่ได้ค่ะ"
SIGNUPS_CLOSED_MARK = "🔒 ปิดรับสมัคร"


def seats_line(taken: int, capacity: int | None, waiting: int) -> str:
    cap = f"{taken}/{capacity}" if capacity is not None else f"{taken} (ไม่จำกัด)"
    wait = f" · สำรอง {waiting}" if waiting else ""
    return f"👥 ที่นั่ง {cap}{wait}"


BTN_EDIT_FIELDS = {
    "when": "📅 วันเวลา", "place": "📍 สถานที่", "capacity": "👥 จำนวนที่นั่ง",
    "title": "🏷 ชื่องาน", "answer": "📝 ข้อความ", "questions": "💬 คำที่คนใช้ถาม",
}  # fmt: skip
BTN_EVENT_ACTS = {
    "close": "🔒 ปิดรับสมัคร", "open": "🔓 เปิดรับสมัคร", "hide": "🙈 ซ่อน",
    "show": "👁 แสดง", "cancel": "⛔ ยกเลิกงาน",
}  # fmt: skip
BTN_EVENT_HISTORY = "🕘 ประวัติการแก้ไข"
BTN_EVENT_CANCEL_YES = "⛔ ยืนยันยกเลิกงาน"
BTN_EVENT_CANCEL_NO = "ไม่ยกเลิก"
EDIT_ASK = {
    "when": NEW_EVENT_WHEN,
    "place": "สถานที่ใหม่คะ (บรรทัดเดียว)",
    "capacity": "จำนวนที่นั่งใหม่คะ พิมพ์ตัวเลข หรือ “ไม่จำกัด”",
    "title": "ชื่องานใหม่คะ",
    "answer": "ข้อความรายละเอียดใหม่คะ",
    "questions": "คำถามที่ประชาชนอาจพิมพ์ถาม บรรทัดละหนึ่งคำถามค่ะ (แทนชุดเดิมทั้งหมด)",
}  # fmt: skip


def edit_questions_now(questions: tuple[str, ...]) -> str:
    """The phrasings an entry has now, before the organiser types the new set."""
    return "ตอนนี้มี:\n" + "\n".join(f"• {esc(q)}" for q in questions)


FIELD_NAMES = {
    "starts": "วันเวลาเริ่ม", "ends": "เวลาเลิก", "location": "สถานที่", "capacity": "จำนวนที่นั่ง",
    "title": "ชื่องาน", "answer": "ข้อความ", "closed": "ปิดรับสมัคร", "signup": "การรับสมัคร",
    "questions": "คำถาม", "state": "สถานะ", "contact": "ผู้ติดต่อ", "max_people": "คนต่อการสมัคร",
    "kind": "ประเภท",
}  # fmt: skip
ACTION_NAMES = {
    "create": "สร้าง", "edit": "แก้", "close": "ปิดรับสมัคร", "open": "เปิดรับสมัคร",
    "hide": "ซ่อน", "show": "แสดง", "cancel": "ยกเลิกงาน",
}  # fmt: skip


def event_cancel_ask(title: str, people: int) -> str:
    return (
        f"⛔ ยกเลิก “{esc(title)}” ใช่ไหมคะ\n"
        f"ผู้สมัคร {people} คนจะได้รับแจ้ง และงานจะไม่แสดงให้ประชาชนเห็นอีก (ย้อนกลับไม่ได้)"
    )


def event_changed(what: list[str], notified: int) -> str:
    """What changed and how many people signed up will be told."""
    told = f"\nผู้สมัคร {notified} คนจะได้รับแจ้ง" if notified else ""
    return f"✅ บันทึกแล้ว: {esc(', '.join(what))}{told}"


EVENT_NOTHING_CHANGED = "ไม่มีอะไรเปลี่ยนค่ะ ค่าเดิมอยู่แล้ว"


def event_promoted(count: int) -> str:
    return f"🎉 ผู้ในรายชื่อสำรอง {count} คนได้ที่นั่งแล้ว บอทแจ้งพวกเขาแล้วค่ะ"


def event_capacity_below(seats: int) -> str:
    return f"❌ ลดที่นั่งต่ำกว่า {seats} ไม่ได้ค่ะ มีผู้ได้ที่นั่งแล้ว {seats} ที่"


def event_invalid(problems: list[str]) -> str:
    """The files' rules (the same as check-kb), as kb.loader words them."""
    return "❌ บันทึกไม่ได้ค่ะ ข้อมูลไม่ผ่านการตรวจ:\n" + "\n".join(f"• {esc(p)}" for p in problems)


def event_history(title: str, lines: list[str]) -> str:
    body = "\n".join(lines) if lines else "ยังไม่มีการแก้ไข"
    return f"🕘 <b>ประวัติ</b>: {esc(title)} (ล่าสุด 10 รายการ)\n{body}"


def event_history_line(at: str, by: int, action: str, fields: list[str]) -> str:
    what = f": {esc(', '.join(fields))}" if fields else ""
    return f"• {at} · เจ้าหน้าที่ {by} · {action}{what}"


# --- announcements and change notices (issue 16) -----------------------------------------------
ANNOUNCE_HEAD = "📣 <b>ขอเชิญร่วมงาน</b>"
ANNOUNCE_SIGNUP_HINT = "สนใจกดปุ่ม 📝 สมัคร ด้านล่างได้เลยค่ะ"
# The entry's text in an announcement: the start of it, so the message stays a notice (the
# whole text is one question to the bot away).
ANNOUNCE_ANSWER_CHARS = 500
ANNOUNCE_UNKNOWN = "ไม่พบงานนี้ในรายการที่ผู้ใช้เห็นแล้วค่ะ (อาจถูกซ่อนหรือยกเลิก) จึงประกาศไม่ได้"
ANNOUNCE_PAST = "งานนี้เริ่มไปแล้วค่ะ ไม่ประกาศแล้ว"
ANNOUNCE_DISCARDED = "ไม่ส่งประกาศนี้ค่ะ ไม่มีใครได้รับ"


def broadcast_of(title: str) -> str:
    """/broadcasts: what an announcement announced."""
    return f" · 📣 {esc(title)}"


ANNOUNCE_NOBODY = "ยังไม่มีผู้รับข่าวเรื่องนี้ค่ะ ไม่ได้ส่งประกาศ"


def clip(text: str, limit: int) -> str:
    """The start of `text` within `limit` characters, cut at a space or line (Thai ends
    sentences with a space), with "…" when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"


def announcement(
    title: str,
    when: str | None,
    where: str | None,
    answer: str,
    contact: str | None,
    signup: bool,
) -> str:
    """An entry announced to subscribers (`when` is Thai already; the rest raw text)."""
    lines = [ANNOUNCE_HEAD, f"<b>{esc(title)}</b>"]
    if when:
        lines.append(f"{WHEN}{when}")
    if where:
        lines.append(f"{WHERE}{esc(where)}")
    lines += ["", esc(clip(answer, ANNOUNCE_ANSWER_CHARS))]
    if contact:
        lines.append(f"{CONTACT}{esc(contact)}")
    if signup:
        lines += ["", ANNOUNCE_SIGNUP_HINT]
    return "\n".join(lines)


def announce_preview(audience: str, count: int, button: bool) -> str:
    """Under the preview: who receives it (`audience` is HTML) and whether to send."""
    how = "พร้อมปุ่ม 📝 สมัคร" if button else "ไม่มีปุ่มสมัคร (งานนี้ไม่เปิดรับสมัคร)"
    return (
        f"👆 นี่คือประกาศที่ผู้รับจะเห็นค่ะ {how}\n"
        f"ผู้รับ: {audience} · <b>{count} คน</b>\n"
        "(ไม่รวมผู้ที่บล็อกบอทหรือเลิกรับข่าว)\nยืนยันส่งไหมคะ?"
    )


NOTICE_WHEN = "📅 วันเวลา"
NOTICE_WHERE = "📍 สถานที่"
NOTICE_NO_DATE = "ยังไม่กำหนด"
NOTICE_NO_PLACE = "ยังไม่ระบุ"


def change_notice(title: str, lines: list[tuple[str, str, str | None]], waiting: int | None) -> str:
    """A change to an event the resident signed up for. `lines`: (label, value now, value
    before or None when unchanged), values Thai already; `waiting`: their place in the
    waiting list, None when they have a seat."""
    out = [f"📢 <b>เปลี่ยนแปลง: {esc(title)}</b>"]
    for label, now, before in lines:
        if before is None:
            out.append(f"{label}: {esc(now)}")
        else:
            out.append(f"{label}: <s>{esc(before)}</s> → <b>{esc(now)}</b>")
    if waiting is None:
        out.append("ที่นั่งของคุณยังอยู่ค่ะ ถ้าไปไม่ได้แล้ว กดยกเลิกด้านล่าง เพื่อให้คนในรายชื่อสำรองได้ที่นั่ง")
    else:
        out.append(
            f"คุณยังอยู่ในรายชื่อสำรอง ลำดับที่ {waiting} ค่ะ ได้ที่นั่งเมื่อไรบอทจะแจ้งทันที"
            " ถ้าไม่สะดวกแล้ว กดยกเลิกด้านล่างได้ค่ะ"
        )
    return "\n".join(out)


def cancelled_notice(title: str, when: str | None, waiting: bool) -> str:
    """The event the resident signed up for (or waits for) is cancelled by its organisers."""
    what = "งานที่คุณอยู่ในรายชื่อสำรอง" if waiting else "งานที่คุณสมัครไว้"
    on = f"\n{WHEN}{esc(when)}" if when else ""
    return (
        f"❌ <b>ยกเลิกงาน: {esc(title)}</b>{on}\n"
        f"ผู้จัดยกเลิก{what}แล้วค่ะ ไม่ต้องเดินทางไปนะคะ ขออภัยในความไม่สะดวก"
    )
