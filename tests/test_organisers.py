"""Organisers and staff end to end: admin gate, subscriptions, broadcasts, reminders, exports,
/stats, /unanswered and /reload — against the fake Bot API with its flood limits on."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import texts
from bot.residents import Residents
from bot.services import Services
from bot.signups import Signups
from bot.store import Store
from bot.subscriptions import Subscriptions
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BANGKOK, ROOT, SIGNUP_KB, BotEnv, start_bot
from tests.test_signup_e2e import last, sign_up

ADMIN_COMMANDS = ["/broadcast", "/broadcasts", "/export", "/stats", "/unanswered", "/reload"]


async def test_residents_cannot_use_any_organiser_command(env: BotEnv) -> None:
    env.server.user(41)
    for command in ADMIN_COMMANDS:
        assert last(await env.send(41, command)).text == texts.ADMIN_ONLY, command
    menu = last(await env.send(41, "/help"))
    for data in ("a:ba:all", "a:bc", "a:xp:*", "a:ut:1:forum", "a:bk:1", "a:ua:1"):
        replies = await env.press(41, menu, data, force=True, until=texts.ADMIN_ONLY)
        assert replies[-1].text == texts.ADMIN_ONLY, data
    store = await Store.open(env.settings.db_path)
    try:
        assert await store.query("SELECT * FROM broadcasts") == []
        assert await store.query("SELECT * FROM learned") == []
    finally:
        await store.close()
    # Organisers get their own command menu; residents never see it.
    admin_menu = [c["command"] for c in env.server.commands({"type": "chat", "chat_id": ADMIN_ID})]
    assert "broadcast" in admin_menu and "broadcast" not in [
        c["command"] for c in env.server.commands()
    ]


async def test_subscribe_offered_once_and_toggled(env: BotEnv) -> None:
    env.server.user(42)
    first = await env.send(42, "/start")
    offer = first[-1]
    assert offer.text == texts.SUBSCRIBE_OFFER
    await env.press(42, offer, offer.find_button("อาชีพ"))
    assert "ตอนนี้รับข่าว: 💼 อาชีพและรายได้" in offer.text
    await env.press(42, offer, offer.find_button("ทั้งหมด"))
    assert "เวทีเสวนา" in offer.text and "กิจกรรมการเรียนรู้" in offer.text
    await env.press(42, offer, offer.find_button("เสร็จแล้ว"))
    assert offer.text == texts.SUBSCRIPTIONS_SAVED
    again = await env.send(42, "/start")
    assert all(m.text != texts.SUBSCRIBE_OFFER for m in again)  # offered once only
    panel = last(await env.send(42, "/unsubscribe"))
    await env.press(42, panel, panel.find_button("ไม่รับข่าวเลย"))
    assert "ยังไม่ได้รับข่าวเรื่องใด" in panel.text


async def seed_subscribers(path: Path, users: list[int]) -> None:
    store = await Store.open(path)
    try:
        subs = Subscriptions(store)
        for user in users:
            await Residents(store).touch(user)
            await subs.set(user, {"forums"})
    finally:
        await store.close()


async def compose_broadcast(
    env: BotEnv, text: str, faults: int = 0, before_send: Callable[[], object] | None = None
) -> None:
    """The organiser's side: audience, message, preview, confirm (`before_send` just before
    the confirming tap)."""
    panel = last(await env.send(ADMIN_ID, "/broadcast"))
    await env.press(ADMIN_ID, panel, panel.find_button("ทุกคนที่รับข่าว"))
    assert panel.text.startswith("✍️ ส่งข้อความประกาศ")
    replies = await env.send(ADMIN_ID, text, until="ยืนยันส่งไหมคะ")
    preview, question = replies[-2], replies[-1]
    assert preview.text == text  # exactly what residents will see
    count = int(question.text.split("· ")[1].split(" คน")[0])
    if faults:  # Telegram answers 502 to the next few messages
        env.server.fail_next("sendMessage", status=502, count=faults)
    if before_send is not None:
        before_send()
    # Delivery keeps the bot busy from here on, so wait for the edit itself, not for quiet.
    query_id = await env.server.press(ADMIN_ID, question.message_id, question.find_button("ยืนยันส่ง"))
    await env.server.wait_for_callback_answer(query_id)
    deadline = time.monotonic() + 10
    while not question.text.startswith("📣 กำลังส่งประกาศ"):
        assert time.monotonic() < deadline, question.text
        await asyncio.sleep(0.05)
    assert count > 0


async def test_broadcast_to_520_residents_with_blocked_and_502(
    tmp_path: Path, signup_kb: Knowledge, capsys: pytest.CaptureFixture[str]
) -> None:
    residents = list(range(50001, 50521))
    blocked = set(residents[::26])  # 20 residents blocked the bot
    await seed_subscribers(tmp_path / "bot.sqlite3", residents)
    async with start_bot(tmp_path, signup_kb) as env:
        for user in residents:
            env.server.user(user)
        for user in blocked:
            env.server.block(user)
        announcement = "ประกาศ: เสวนาพัฒนาเมืองเลื่อนเป็น 13.30 น. ค่ะ"
        started = time.perf_counter()
        await compose_broadcast(env, announcement, faults=15)
        summary = await env.server.wait_for_message(
            ADMIN_ID, timeout=120, predicate=lambda m: m.text.startswith("✅ ประกาศ")
        )
        elapsed = time.perf_counter() - started
        got = {u: [m for m in env.server.messages(u) if m.text == announcement] for u in residents}
        for user in residents:
            assert len(got[user]) == (0 if user in blocked else 1), user
        assert env.server.rate_limited_count == 0  # our pacing never provoked a 429
        assert "ส่งแล้ว 500" in summary.text and "บล็อกบอท 20" in summary.text
        store = await Store.open(env.settings.db_path)
        try:
            rows = await store.query("SELECT user_id FROM residents WHERE blocked_at IS NOT NULL")
        finally:
            await store.close()
        assert {r["user_id"] for r in rows} == blocked
        listing = last(await env.send(ADMIN_ID, "/broadcasts"))
        assert "ส่งแล้ว 500/520" in listing.text and "บล็อก 20" in listing.text
        with capsys.disabled():
            print(f"\nbroadcast: {500 / elapsed:.1f} messages/s (Telegram allows ~30/s)")


async def test_a_broadcast_message_lost_after_sending_is_not_multiplied(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    """Telegram takes a message and the connection drops before the answer, three times: the
    request layer sent it once and tried twice more (bot/request.py); delivery does not try
    all that again (it did, and each of its tries could leave another copy)."""
    resident = 51001
    await seed_subscribers(tmp_path / "bot.sqlite3", [resident])
    async with start_bot(tmp_path, signup_kb) as env:
        env.server.user(resident)
        announcement = "ประกาศ: ตลาดนัดเรียนรู้เลื่อนเป็นวันอาทิตย์ค่ะ"
        faults = functools.partial(
            env.server.inject_faults,
            drop_rate=1.0, drop_after=1.0, calls=3, methods={"sendMessage"}, seed=3,
        )  # fmt: skip
        await compose_broadcast(env, announcement, before_send=faults)
        summary = await env.server.wait_for_message(
            ADMIN_ID, timeout=60, predicate=lambda m: m.text.startswith("✅ ประกาศ")
        )
        copies = [m for m in env.server.messages(resident) if m.text == announcement]
        assert len([r for r in env.server.injected_failures if r.method == "sendMessage"]) == 3
        assert len(copies) == 3  # not a fourth from delivery's own retry
        assert "ไม่สำเร็จ 1" in summary.text  # as far as the bot can know


async def test_stop_a_running_broadcast(tmp_path: Path, signup_kb: Knowledge) -> None:
    residents = list(range(51001, 51301))
    await seed_subscribers(tmp_path / "bot.sqlite3", residents)
    async with start_bot(tmp_path, signup_kb) as env:
        for user in residents:
            env.server.user(user)
        await compose_broadcast(env, "ประกาศทดสอบการหยุด")
        await env.server.send_text(ADMIN_ID, "/broadcasts")
        listing = await env.server.wait_for_message(
            ADMIN_ID, timeout=10, predicate=lambda m: "ประกาศล่าสุด" in m.text
        )
        await env.server.press(ADMIN_ID, listing.message_id, listing.find_button("หยุดส่ง"))
        stopped = await env.server.wait_for_message(
            ADMIN_ID, timeout=30, predicate=lambda m: "หยุดส่งแล้ว" in m.text
        )
        sent = int(stopped.text.split("ส่งแล้ว ")[1].split(" ")[0])
        assert 0 < sent < len(residents)
        await asyncio.sleep(1.0)
        received = sum(1 for u in residents if env.server.messages(u))
        assert received == sent  # nothing after the stop


async def test_broadcast_to_the_waitlist_of_one_entry(env: BotEnv) -> None:
    for user in (61, 62, 63):
        env.server.user(user)
        await sign_up(env, user, "ws-small")  # capacity 1: 61 confirmed, 62 and 63 waiting
    panel = last(await env.send(ADMIN_ID, "/broadcast"))
    await env.press(ADMIN_ID, panel, panel.find_button("ผู้สมัครกิจกรรม"))
    await env.press(ADMIN_ID, panel, panel.find_button("อบรมปลูกผัก รอบเล็ก"))
    await env.press(ADMIN_ID, panel, panel.find_button("รายชื่อสำรอง"))
    replies = await env.send(ADMIN_ID, "ที่นั่งเพิ่มเร็ว ๆ นี้", until="ยืนยันส่งไหมคะ")
    assert "2 คน" in replies[-1].text
    await env.press(ADMIN_ID, replies[-1], replies[-1].find_button("ยืนยันส่ง"))
    await env.server.wait_for_message(
        ADMIN_ID, timeout=30, predicate=lambda m: m.text.startswith("✅ ประกาศ")
    )
    texts_of = {u: [m.text for m in env.server.messages(u)] for u in (61, 62, 63)}
    assert "ที่นั่งเพิ่มเร็ว ๆ นี้" not in texts_of[61]
    assert "ที่นั่งเพิ่มเร็ว ๆ นี้" in texts_of[62] and "ที่นั่งเพิ่มเร็ว ๆ นี้" in texts_of[63]


async def test_document_broadcast_preview(env: BotEnv) -> None:
    await seed_subscribers(env.settings.db_path, [64])
    env.server.user(64)
    panel = last(await env.send(ADMIN_ID, "/broadcast"))
    await env.press(ADMIN_ID, panel, panel.find_button("ทุกคนที่รับข่าว"))
    await env.server.send_document(ADMIN_ID, "กำหนดการ".encode(), "agenda.txt", caption="กำหนดการ")
    question = await env.server.wait_for_message(
        ADMIN_ID, timeout=10, predicate=lambda m: "ยืนยันส่งไหมคะ" in m.text
    )
    preview = env.server.messages(ADMIN_ID)[-2]
    assert preview.document is not None and preview.document.filename == "agenda.txt"
    await env.press(ADMIN_ID, question, question.find_button("ยืนยันส่ง"))
    await env.server.wait_for_message(
        ADMIN_ID, timeout=30, predicate=lambda m: m.text.startswith("✅ ประกาศ")
    )
    (received,) = env.server.messages(64)
    assert received.document is not None and received.document.data == "กำหนดการ".encode()
    assert received.caption == "กำหนดการ"


async def test_reminders_once_each_at_the_right_time(tmp_path: Path, signup_kb: Knowledge) -> None:
    async with start_bot(tmp_path, signup_kb, reminder_interval=0.2) as env:
        svc = Services.of(env.app)
        clock = {"now": datetime(2030, 12, 1, 12, 0, tzinfo=BANGKOK)}
        svc.clock = lambda: clock["now"]
        env.server.user(71)
        await sign_up(env, 71, "forum")  # 20 Dec 2030 13.00
        before = len(env.server.messages(71))

        async def reminders_after(moment: datetime) -> list[str]:
            clock["now"] = moment
            await asyncio.sleep(0.8)  # several rounds of the job
            return [m.text for m in env.server.messages(71)[before:]]

        assert await reminders_after(datetime(2030, 12, 19, 8, 59, tzinfo=BANGKOK)) == []
        day_before = await reminders_after(datetime(2030, 12, 19, 9, 0, tzinfo=BANGKOK))
        assert len(day_before) == 1 and day_before[0].startswith("⏰ พรุ่งนี้")
        assert "วันศุกร์ที่ 20 ธันวาคม 2573 เวลา 13.00–16.30 น." in day_before[0]
        assert "โรงแรมโฆษะ" in day_before[0]
        assert len(await reminders_after(datetime(2030, 12, 20, 10, 0, tzinfo=BANGKOK))) == 1
        two_hours = await reminders_after(datetime(2030, 12, 20, 11, 0, tzinfo=BANGKOK))
        assert len(two_hours) == 2 and two_hours[1].startswith("⏰ ใกล้ถึงเวลา")
        assert len(await reminders_after(datetime(2030, 12, 20, 12, 30, tzinfo=BANGKOK))) == 2
        # The reminder's cancel button works.
        reminder = env.server.messages(71)[-1]
        await env.press(71, reminder, reminder.find_button("ยกเลิกการสมัครนี้"))
        assert reminder.text.startswith("ยกเลิกการสมัคร") and reminder.text.endswith("ใช่ไหมคะ?")


async def test_moved_event_reminds_at_its_new_time(tmp_path: Path, signup_kb: Knowledge) -> None:
    kb_file = tmp_path / "kb.yaml"
    kb_file.write_text(SIGNUP_KB, encoding="utf-8")
    async with start_bot(tmp_path, signup_kb, reminder_interval=0.2, kb_path=kb_file) as env:
        svc = Services.of(env.app)
        clock = {"now": datetime(2030, 12, 1, 12, 0, tzinfo=BANGKOK)}
        svc.clock = lambda: clock["now"]
        env.server.user(72)
        await sign_up(env, 72, "forum")
        before = len(env.server.messages(72))
        kb_file.write_text(
            SIGNUP_KB.replace("2030-12-20T13:00:00+07:00", "2030-12-27T13:00:00+07:00").replace(
                "2030-12-20T16:30:00+07:00", "2030-12-27T16:30:00+07:00"
            ),
            encoding="utf-8",
        )
        reply = last(await env.send(ADMIN_ID, "/reload", until="โหลดฐานความรู้ใหม่แล้ว"))
        assert reply.text.startswith("✅ โหลดฐานความรู้ใหม่แล้ว: 5 เรื่อง")
        clock["now"] = datetime(2030, 12, 19, 9, 30, tzinfo=BANGKOK)  # the old day-before
        await asyncio.sleep(0.8)
        assert env.server.messages(72)[before:] == []
        clock["now"] = datetime(2030, 12, 26, 9, 0, tzinfo=BANGKOK)  # the new one
        await asyncio.sleep(0.8)
        (moved,) = env.server.messages(72)[before:]
        assert "27 ธันวาคม 2573" in moved.text


async def test_reload_refuses_a_broken_file_and_keeps_serving(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    kb_file = tmp_path / "kb.yaml"
    kb_file.write_text(SIGNUP_KB, encoding="utf-8")
    async with start_bot(tmp_path, signup_kb, kb_path=kb_file) as env:
        kb_file.write_text(SIGNUP_KB.replace("capacity: 80", "capacity: -3"), encoding="utf-8")
        reply = last(await env.send(ADMIN_ID, "/reload", until="ข้อผิดพลาด"))
        assert reply.text.startswith("❌ ฐานความรู้ใหม่มีข้อผิดพลาด 1 ข้อ ยังใช้ฐานเดิมอยู่ค่ะ")
        assert "kb.yaml:" in reply.text and "[forum]" in reply.text and "capacity" in reply.text
        env.server.user(73)
        answer = last(await env.send(73, "เสวนาพัฒนาเมืองครั้งหน้า"))
        assert answer.text.startswith("เสวนาพัฒนาเมือง")  # the old knowledge base still serves
        kb_file.write_text(SIGNUP_KB + EXTRA_ENTRY, encoding="utf-8")
        reply = last(await env.send(ADMIN_ID, "/reload", until="โหลดฐานความรู้ใหม่แล้ว"))
        assert "6 เรื่อง" in reply.text
        answer = last(await env.send(73, "ตลาดนัดหนังสือมือสอง"))
        assert answer.text.startswith("ตลาดนัดหนังสือมือสอง")


EXTRA_ENTRY = """\
  - id: book-fair
    kind: activity
    title: ตลาดนัดหนังสือมือสอง
    questions: [ตลาดนัดหนังสือมือสองจัดที่ไหน]
    answer: ทุกวันเสาร์ที่ลานหน้าห้องสมุด
"""


async def test_exports_open_in_excel_with_thai_intact(env: BotEnv) -> None:
    for user, name in ((81, "สมศรี <ใจดี>"), (82, "=HYPERLINK(1)"), (83, "บุญมา")):
        env.server.user(user)
        await sign_up(env, user, "ws-small", name=name)  # capacity 1: two wait
    panel = last(await env.send(ADMIN_ID, "/export"))
    replies = await env.press(ADMIN_ID, panel, panel.find_button("ทุกกิจกรรม"), until="รายชื่อ")
    await env.server.wait_idle(quiet=0.3)
    files = [m for m in env.server.messages(ADMIN_ID) if m.document is not None]
    assert [f.document.filename.rsplit(".", 1)[1] for f in files if f.document] == ["csv", "xlsx"]
    assert replies is not None
    csv_bytes = files[0].document.data  # type: ignore[union-attr]
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Thai
    table = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert table[0] == [
        "entry id", "entry title", "status", "queue position", "name", "phone", "people",
        "signed up at", "cancelled at", "checked in at",
    ]  # fmt: skip
    assert table[1][:7] == [
        "ws-small",
        "อบรมปลูกผัก รอบเล็ก",
        "confirmed",
        "",
        "สมศรี <ใจดี>",
        "081-234-5678",
        "1",
    ]
    assert table[2][2:5] == ["waitlist", "1", "'=HYPERLINK(1)"]  # no formula injection
    assert table[3][2:5] == ["waitlist", "2", "บุญมา"]
    stamp = datetime.strptime(table[1][7], "%Y-%m-%d %H:%M").replace(tzinfo=BANGKOK)
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)  # Bangkok time
    book = load_workbook(io.BytesIO(files[1].document.data))  # type: ignore[union-attr]
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:5] == table[0][:5]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet["E2"].value == "สมศรี <ใจดี>"
    assert sheet.column_dimensions["B"].width >= len("อบรมปลูกผัก รอบเล็ก")


async def test_stats(env: BotEnv) -> None:
    env.server.user(91)
    await sign_up(env, 91, "forum")
    await env.send(91, "โรงพยาบาลเปิดกี่โมง")
    report = last(await env.send(ADMIN_ID, "/stats"))
    assert "เสวนาพัฒนาเมือง: ได้ที่นั่ง 1/80 · สำรอง 0" in report.text
    assert "คำถาม 7 วันล่าสุด: 1 · ตอบไม่ได้ 1" in report.text


async def test_unanswered_grouped_and_learned_at_once(env: BotEnv) -> None:
    for user, question in ((95, "มีที่สอนทำขนมไหม"), (96, "มีที่สอนทำขนมไหมคะ"), (97, "ขอเบอร์นายก")):
        env.server.user(user)
        assert last(await env.send(user, question)).text.startswith("ขออภัยค่ะ")
    listing = last(await env.send(ADMIN_ID, "/unanswered"))
    assert "1. (2×) มีที่สอนทำขนมไหม" in listing.text and "(1×) ขอเบอร์นายก" in listing.text
    await env.press(ADMIN_ID, listing, listing.callback_data()[0])
    assert "ควรตอบด้วยเรื่องไหนคะ" in listing.text
    await env.press(ADMIN_ID, listing, listing.find_button("เลือกจากทุกเรื่อง"))
    await env.press(ADMIN_ID, listing, listing.find_button("วันครอบครัวเรียนรู้"))
    assert listing.text.startswith("✅ เพิ่ม")
    answer = last(await env.send(95, "มีที่สอนทำขนมไหมคะ"))
    assert answer.text.startswith("วันครอบครัวเรียนรู้")  # used by the matcher at once
    again = last(await env.send(ADMIN_ID, "/unanswered"))
    assert "สอนทำขนม" not in again.text


def test_export_and_learned_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from bot.learned import Learned

    db = tmp_path / "bot.sqlite3"

    async def seed() -> None:
        store = await Store.open(db)
        try:
            await Signups(store).sign_up(5, "สมใจ", "+66812345678", "forum", "เสวนา", 10)
            await Learned(store).add("forum", "เวทีคุยเรื่องเมือง", 900001)
        finally:
            await store.close()

    asyncio.run(seed())
    env = {"BOT_DB_PATH": str(db), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--entry", "forum"],
        cwd=ROOT, env=env, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.startswith(b"\xef\xbb\xbf") and "สมใจ".encode() in done.stdout
    out = tmp_path / "list.xlsx"
    subprocess.run(
        [sys.executable, "-m", "bot", "export", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert load_workbook(out).active["E2"].value == "สมใจ"
    learned = subprocess.run(
        [sys.executable, "-m", "bot", "learned", "--yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "id: forum" in learned.stdout and "เวทีคุยเรื่องเมือง" in learned.stdout
