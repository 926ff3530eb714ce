"""Check-in at the door, end to end through the local Bot API on a real SQLite file:
residents' QR codes (decoded as a phone's camera reads them), staff scanning them, /checkin
by phone or name, the check-in-only role, forged links and buttons, and attendance in the
export, /stats and /forgetme."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot import texts
from bot.config import ConfigError, Settings
from bot.services import Services
from bot.store import Store
from fakebot import SentMessage
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BANGKOK, BotEnv, start_bot
from tests.test_privacy import GROUP, in_group, open_group, private_chat_button
from tests.test_signup_e2e import last, sign_up

BOT = "kk_learning_bot"
DOOR = 900002  # door staff: BOT_CHECKIN_IDS only
LINK = re.compile(rf"https://t\.me/{BOT}\?start=(ci_[A-Za-z0-9_-]{{22}})")
# The forum (conftest.SIGNUP_KB) runs 20 Dec 2030 13.00-16.30; staff scan at 12.30.
FORUM_DAY = datetime(2030, 12, 20, 12, 30, tzinfo=BANGKOK)


def test_checkin_ids_read_and_checked_like_admin_ids() -> None:
    settings = Settings.from_env({"BOT_CHECKIN_IDS": " 7, 8;9 ", "BOT_ADMIN_IDS": "1"})
    assert settings.checkin_ids == frozenset({7, 8, 9}) and settings.admin_ids == frozenset({1})
    assert settings.can_check_in(7) and settings.can_check_in(1) and not settings.can_check_in(2)
    with pytest.raises(ConfigError, match="BOT_CHECKIN_IDS"):
        Settings.from_env({"BOT_CHECKIN_IDS": "12,abc"})


@asynccontextmanager
async def door_bot(
    tmp_path: Path, signup_kb: Knowledge, reminder_interval: float = 3600
) -> AsyncIterator[BotEnv]:
    """The bot with an organiser (ADMIN_ID) and a door-staff member (DOOR); reminders are
    off unless asked for (the clock is moved to the event's day)."""
    async with start_bot(
        tmp_path,
        signup_kb,
        checkin_ids=frozenset({DOOR}),
        reminder_interval=reminder_interval,
    ) as env:
        yield env


def set_clock(env: BotEnv, moment: datetime) -> None:
    Services.of(env.app).clock = lambda: moment


def decode_qr(photo: SentMessage) -> str:
    """What a phone's camera reads from the photo: its PNG decoded, the QR code found."""
    assert photo.photo is not None, photo.text
    png = photo.photo.data
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("L")
    (found,) = zxingcpp.read_barcodes(image)
    return str(found.text)


async def code_of(env: BotEnv, user: int) -> tuple[SentMessage, str]:
    """The resident opens /mysignups and taps the QR button of their one confirmed sign-up;
    the photo and the /start payload its code carries."""
    panel = last(await env.send(user, "/mysignups"))
    photo = last(await env.press(user, panel, panel.find_button(texts.BTN_CHECKIN_CODE)))
    link = LINK.fullmatch(decode_qr(photo))
    assert link is not None, decode_qr(photo)
    return photo, link.group(1)


async def checkin_rows(env: BotEnv) -> dict[int, tuple[str | None, int | None]]:
    """{sign-up id: (checked_in_at, checked_in_by)}, straight from the database file."""
    store = await Store.open(env.settings.db_path)
    try:
        rows = await store.query("SELECT signup_id, checked_in_at, checked_in_by FROM checkins")
    finally:
        await store.close()
    return {r["signup_id"]: (r["checked_in_at"], r["checked_in_by"]) for r in rows}


async def test_two_residents_checked_in_by_their_codes_one_twice(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        env.server.user(11)
        env.server.user(12)
        await sign_up(env, 11, "forum", name="สมชาย ใจกล้า", phone="081-111-2222")
        consent = last(await env.send(12, "/start signup_family-day"))  # up to 4 people
        await env.press(12, consent, consent.find_button("✅ ยินยอม"))
        await env.send(12, "แม่ใหญ่ <บุญมา>")
        ask = last(await env.send(12, "0891234567", until="ไปกี่คน"))
        await env.press(12, ask, ask.find_button("3"), until="/mysignups")
        set_clock(env, FORUM_DAY)

        photo_a, code_a = await code_of(env, 11)
        photo_b, code_b = await code_of(env, 12)
        assert code_a != code_b
        assert "เสวนาพัฒนาเมือง" in photo_a.text
        assert "แสดงให้เจ้าหน้าที่สแกนที่หน้างาน" in photo_a.text
        assert "👥 3 คน" in photo_b.text and "วันครอบครัวเรียนรู้" in photo_b.text
        # The code is the resident's for good: shown again, the same one.
        assert (await code_of(env, 11))[1] == code_a

        # Door staff scan the first: present now, with the name, party size and event.
        scanned = last(await env.send(DOOR, f"/start {code_a}"))
        assert scanned.text.startswith("✅ เช็กอินแล้ว")
        assert "สมชาย ใจกล้า" in scanned.text and "👥 1 คน" in scanned.text
        assert "เสวนาพัฒนาเมือง" in scanned.text

        # The second's event is tomorrow: staff are told so, and check in with one more tap.
        warned = last(await env.send(ADMIN_ID, f"/start {code_b}"))
        assert warned.text.startswith("⚠️ งานนี้ไม่ได้จัดวันนี้ค่ะ")
        assert "แม่ใหญ่ <บุญมา>" in warned.text and "👥 3 คน" in warned.text  # escaped, shown
        assert "วันเสาร์ที่ 21 ธันวาคม 2573" in warned.text
        assert (await checkin_rows(env))[2] == (None, None)  # not yet
        done = await env.tap(ADMIN_ID, warned, warned.find_button(texts.BTN_CHECKIN_ANYWAY))
        assert done.text.startswith("✅ เช็กอินแล้ว") and "👥 3 คน" in done.text

        # Scanned twice: said so, with the time of the first scan (Bangkok time).
        again = last(await env.send(DOOR, f"/start {code_a}"))
        assert again.text.startswith("⚠️ เช็กอินแล้วเมื่อ 12.30 น.")
        assert "สมชาย ใจกล้า" in again.text
        rows = await checkin_rows(env)
        assert sorted(by or 0 for _, by in rows.values()) == [ADMIN_ID, DOOR]
        assert {at for at, _ in rows.values()} == {"2030-12-20T05:30:00+00:00"}


async def test_a_code_tells_nobody_but_staff_anything(tmp_path: Path, signup_kb: Knowledge) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        env.server.user(21)
        env.server.user(22)
        await sign_up(env, 21, "forum", name="สมหญิง รักดี")
        set_clock(env, FORUM_DAY)
        _, code = await code_of(env, 21)

        # Another resident (or the owner) opening the link: a note for staff, nothing more.
        for user in (22, 21):
            note = last(await env.send(user, f"/start {code}"))
            assert note.text == texts.CHECKIN_FOR_STAFF
            assert "สมหญิง" not in note.text and "เสวนา" not in note.text
        # A forged code reads exactly the same to them: not even whether it exists.
        assert last(await env.send(22, "/start ci_" + "A" * 22)).text == texts.CHECKIN_FOR_STAFF
        assert all(at is None for at, _ in (await checkin_rows(env)).values())

        # Staff are told plainly that a forged or mangled code is not one.
        for forged in ("ci_" + "A" * 22, code + "x", code[:-1], "ci_", "ci_<b>x</b>"):
            assert last(await env.send(DOOR, f"/start {forged}")).text == texts.CHECKIN_INVALID

        # In a group the private-chat rule holds: a pointer there, nothing about the code.
        open_group(env.server)
        posted = await in_group(env, GROUP, DOOR, f"/start@{BOT} {code}")
        assert [m.text for m in posted] == [texts.PRIVATE_ONLY]
        assert private_chat_button(posted[0]).startswith(f"https://t.me/{BOT}")
        posted = await in_group(env, GROUP, DOOR, f"/checkin@{BOT} สมหญิง")
        assert [m.text for m in posted] == [texts.PRIVATE_ONLY]
        assert all(at is None for at, _ in (await checkin_rows(env)).values())


async def test_checkin_by_phone_or_name_and_forged_buttons(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        for user, name, phone in (
            (31, "สมชาย ใจกล้า", "081-111-2222"),
            (32, "สมชาย ศรีสุข", "0823334444"),
            (33, "มานี มีนา", "0845556666"),
        ):
            env.server.user(user)
            await sign_up(env, user, "forum", name=name, phone=phone)
        set_clock(env, FORUM_DAY)

        assert last(await env.send(DOOR, "/checkin")).text == texts.plain(texts.CHECKIN_ASK)
        # By phone, written any way Thai people write it.
        found = last(await env.send(DOOR, "/checkin +66 81 111 2222"))
        assert "สมชาย ใจกล้า" in found.text and "081-111-2222" in found.text
        assert "ศรีสุข" not in found.text and len(found.button_texts()) == 1
        done = await env.tap(DOOR, found, found.callback_data()[0])
        assert done.text.startswith("✅ เช็กอินแล้ว") and "สมชาย ใจกล้า" in done.text
        # By part of the name: both สมชาย, the one checked in marked so.
        found = last(await env.send(DOOR, "/checkin สมชาย"))
        assert [b.split()[0] for b in found.button_texts()] == ["✅", "☑️"]  # ศรีสุข, ใจกล้า
        assert "ใจกล้า · 081-111-2222 · 👥 1\n    เสวนาพัฒนาเมือง · ☑️ เช็กอินแล้ว 12.30 น." in found.text
        again = await env.tap(DOOR, found, found.find_button("ใจกล้า"))
        assert again.text.startswith("⚠️ เช็กอินแล้วเมื่อ 12.30 น.")
        # By the last digits of the phone (Thai digits too).
        for ending in ("4444", "๓๔๔๔๔"):
            found = last(await env.send(DOOR, f"/checkin {ending}"))
            assert found.button_texts() == ["✅ 1. สมชาย ศรีสุข · เสวนาพัฒนาเมือง"], ending
        nobody = last(await env.send(DOOR, "/checkin ไม่มีใครชื่อนี้"))
        assert nobody.text == texts.plain(texts.checkin_none("ไม่มีใครชื่อนี้"))

        # A resident cannot check anyone in: not with the command, nor a forged button.
        env.server.user(39)
        assert last(await env.send(39, "/checkin มานี")).text == texts.ADMIN_ONLY
        menu = last(await env.send(39, "/help"))
        signup_of_manee = 3
        for data in (f"a:ck:{signup_of_manee}:y", f"a:ck:{signup_of_manee}:n"):
            replies = await env.press(39, menu, data, force=True, until=texts.ADMIN_ONLY)
            assert replies[-1].text == texts.ADMIN_ONLY
        # Nor get someone else's code from a forged "QR code" button.
        replies = await env.press(39, menu, f"a:qr:{signup_of_manee}", force=True)
        assert [m.text for m in replies] == [texts.CHECKIN_CODE_UNAVAILABLE]
        assert all(m.photo is None for m in env.server.messages(39))
        # Malformed check-in data goes no further than the button gate.
        staff_menu = last(await env.send(DOOR, "/help"))
        for data in ("a:ck:abc:y", "a:ck:3:maybe", "a:ck:3", "a:ck:99999999999999999999:y"):
            await env.press(DOOR, staff_menu, data, force=True, until=texts.OLD_BUTTON)
            assert staff_menu.text == texts.OLD_BUTTON  # in place of the tapped message
        # Staff tapping a sign-up that does not exist are told so.
        gone = texts.plain(texts.CHECKIN_NOT_FOUND)
        await env.press(DOOR, staff_menu, "a:ck:999:y", force=True, until=gone)
        assert staff_menu.text == gone
        rows = await checkin_rows(env)
        assert [at is not None for _, (at, _) in sorted(rows.items())] == [True]


async def test_door_staff_can_do_nothing_else(tmp_path: Path, signup_kb: Knowledge) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        env.server.user(41)
        await sign_up(env, 41, "forum")
        organisers = [f"/{c}" for c, _ in texts.ADMIN_COMMANDS if c != "checkin"]
        assert {"/export", "/stats", "/broadcast", "/unanswered", "/reload", "/inbox"} <= set(
            organisers
        )
        for command in organisers:
            assert last(await env.send(DOOR, command)).text == texts.ADMIN_ONLY, command
        menu = last(await env.send(DOOR, "/help"))
        for data in ("a:ba:all", "a:bc", "a:xp:*", "a:xp:forum", "a:ut:1:forum", "a:ua:1"):
            replies = await env.press(DOOR, menu, data, force=True, until=texts.ADMIN_ONLY)
            assert replies[-1].text == texts.ADMIN_ONLY, data
        assert all(m.document is None for m in env.server.messages(DOOR))
        # Their menu: the residents' commands and /checkin, none of the organisers' others.
        door_menu = [c["command"] for c in env.server.commands({"type": "chat", "chat_id": DOOR})]
        assert door_menu == [c for c, _ in texts.COMMANDS] + ["checkin"]
        admin_menu = [
            c["command"] for c in env.server.commands({"type": "chat", "chat_id": ADMIN_ID})
        ]
        assert "checkin" in admin_menu and "export" in admin_menu


async def test_waiting_or_cancelled_sign_ups_have_no_code(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        env.server.user(51)
        env.server.user(52)
        await sign_up(env, 51, "ws-small")  # capacity 1
        await sign_up(env, 52, "ws-small", name="บุญมา รอคิว")  # waits
        panel = last(await env.send(52, "/mysignups"))
        assert not [b for b in panel.button_texts() if texts.BTN_CHECKIN_CODE in b]
        replies = await env.press(52, panel, "a:qr:2", force=True)  # their own, waiting
        assert [m.text for m in replies] == [texts.CHECKIN_CODE_UNAVAILABLE]

        _, code = await code_of(env, 51)
        panel = last(await env.send(51, "/mysignups"))
        ask = await env.tap(51, panel, panel.find_button(texts.BTN_CANCEL_SIGNUP))
        await env.press(51, ask, ask.find_button(texts.BTN_CANCEL_YES), until="แล้วค่ะ")
        # The code shown before the cancellation no longer lets anyone in.
        set_clock(env, datetime(2030, 12, 14, 8, 45, tzinfo=BANGKOK))
        scanned = last(await env.send(DOOR, f"/start {code}"))
        assert scanned.text.startswith("⛔ การสมัครนี้ยังไม่ได้ที่นั่ง")
        # The one promoted from the waiting list now has a code, and gets in.
        _, promoted = await code_of(env, 52)
        assert last(await env.send(DOOR, f"/start {promoted}")).text.startswith("✅ เช็กอินแล้ว")
        # Past events offer no code.
        set_clock(env, datetime(2030, 12, 15, 9, 0, tzinfo=BANGKOK))
        panel = last(await env.send(52, "/mysignups"))
        assert not [b for b in panel.button_texts() if texts.BTN_CHECKIN_CODE in b]


async def test_the_day_before_reminder_carries_the_code(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with door_bot(tmp_path, signup_kb, reminder_interval=0.2) as env:
        env.server.user(61)
        await sign_up(env, 61, "forum")
        set_clock(env, datetime(2030, 12, 19, 9, 0, tzinfo=BANGKOK))
        reminder = await env.server.wait_for_message(
            61, timeout=10, predicate=lambda m: m.text.startswith("⏰ พรุ่งนี้")
        )
        set_clock(env, datetime(2030, 12, 19, 9, 1, tzinfo=BANGKOK))
        photo = last(await env.press(61, reminder, reminder.find_button(texts.BTN_CHECKIN_CODE)))
        link = LINK.fullmatch(decode_qr(photo))
        assert link is not None
        _, from_list = await code_of(env, 61)
        assert link.group(1) == from_list


async def test_attendance_in_export_stats_and_forgetme(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    async with door_bot(tmp_path, signup_kb) as env:
        for user, name in ((71, "มาตรงเวลา"), (72, "ไม่ได้มา")):
            env.server.user(user)
            await sign_up(env, user, "forum", name=name)
        set_clock(env, FORUM_DAY)
        _, code = await code_of(env, 71)
        await env.send(DOOR, f"/start {code}", until="เช็กอินแล้ว")

        # The export: when each came, in Bangkok time; empty for who did not.
        panel = last(await env.send(ADMIN_ID, "/export"))
        await env.press(ADMIN_ID, panel, panel.find_button("ทุกกิจกรรม"), until="รายชื่อ")
        await env.server.wait_idle(quiet=0.3)
        files = [m.document for m in env.server.messages(ADMIN_ID) if m.document is not None]
        table = list(csv.reader(io.StringIO(files[0].data.decode("utf-8-sig"))))
        assert table[0][-1] == "checked in at"
        assert [(r[4], r[-1]) for r in table[1:]] == [
            ("มาตรงเวลา", "2030-12-20 12:30"),
            ("ไม่ได้มา", ""),
        ]
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(files[1].data)).active
        assert sheet is not None
        assert [c.value for c in sheet[1]][-1] == "checked in at"
        assert [c.value for c in sheet[2]][-1] == "2030-12-20 12:30"

        # /stats after the event: who came of who held a seat, and the no-shows.
        set_clock(env, datetime(2030, 12, 21, 10, 0, tzinfo=BANGKOK))
        report = last(await env.send(ADMIN_ID, "/stats"))
        assert texts.STATS_ATTENDANCE_TITLE in report.text
        assert "• เสวนาพัฒนาเมือง: มา 1/2 · ไม่มา 1" in report.text

        # /forgetme takes the resident's check-in with everything else.
        ask = last(await env.send(71, "/forgetme"))
        await env.press(71, ask, ask.find_button(texts.BTN_FORGET_YES), until="ลบแล้ว")
        assert list(await checkin_rows(env)) == []
        report = last(await env.send(ADMIN_ID, "/stats"))
        assert "• เสวนาพัฒนาเมือง: มา 0/1 · ไม่มา 1" in report.text
