"""Announcing an entry with a sign-up button, and telling the residents signed up of a
change, end to end through the local Bot API (issue 16, points 3 and 4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot import texts
from bot.broadcasts import Broadcasts
from bot.entries import Action, new_id
from bot.residents import Residents
from bot.services import Services
from bot.store import Store
from fakebot import SentMessage
from handlers.actions import Announce, AnnounceSend
from handlers.common import send_change_notices_soon
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BANGKOK, BotEnv, start_bot
from tests.test_events import TITLE, change_notices, create, edit, next_year, year_ce

STARTS = datetime(2030, 12, 15, 13, 0, tzinfo=BANGKOK)
CHANGE, CANCELLED = "📢 เปลี่ยนแปลง: ", "❌ ยกเลิกงาน: "


def fields(signup: bool = True, capacity: int | None = 2, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": new_id(STARTS),
        "kind": "event",
        "title": "เวทีเมืองน่าอยู่ <ครั้งที่ 1>",
        "questions": ["เวทีเมืองน่าอยู่ครั้งแรก"],
        "answer": "ชวนคุยเรื่องทางเท้าและรถเมล์ในเมืองขอนแก่น",
        "starts": STARTS.isoformat(),
        "ends": (STARTS + timedelta(hours=3)).isoformat(),
        "location": "ศาลากลางจังหวัดขอนแก่น",
        "signup": signup,
        **more,
    }
    if capacity is not None:
        data["capacity"] = capacity
    return data


async def publish(env: BotEnv, data: dict[str, Any]) -> str:
    """An entry made in Telegram, put in service as /newevent does."""
    services = Services.of(env.app)
    change = await services.r.entries.create(data, ADMIN_ID, datetime.now(BANGKOK))
    await services.rebuild()
    return change.entry_id


async def subscribe(env: BotEnv, user: int, *topics: str) -> None:
    env.server.user(user)
    services = Services.of(env.app)
    await services.r.residents.touch(user)
    await services.r.subscriptions.set(user, set(topics))


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def organiser_taps_announce(env: BotEnv, entry_id: str) -> list[SentMessage]:
    """The events feature shows "Announce" under a published entry; tapped here on the
    organiser's last message, as that button would be."""
    panel = (await env.send(ADMIN_ID, "/start"))[-1]
    return await env.press(ADMIN_ID, panel, Announce(entry_id).data(), force=True, until="ยืนยัน")


def starting(server: Any, user: int, prefix: str) -> list[SentMessage]:
    return [m for m in server.messages(user) if m.text.startswith(prefix)]


async def test_announce_preview_send_and_sign_up_from_the_button(env: BotEnv) -> None:
    entry_id = await publish(env, fields(capacity=1))
    for user in (501, 502, 503, 506):
        await subscribe(env, user, "forums")
    await subscribe(env, 504)  # unsubscribed
    await subscribe(env, 505, "livelihood")  # another topic
    env.server.block(506)  # blocked the bot since subscribing: skipped, counted as blocked

    preview, question = await organiser_taps_announce(env, entry_id)
    link = f"https://t.me/kk_learning_bot?start=signup_{entry_id}"
    assert preview.buttons == [[(texts.BTN_SIGNUP, link)]]
    assert preview.text.startswith("📣 ขอเชิญร่วมงาน\nเวทีเมืองน่าอยู่ <ครั้งที่ 1>\n")
    assert "📅 วันอาทิตย์ที่ 15 ธันวาคม 2573 เวลา 13.00–16.00 น." in preview.text  # once, BE
    assert preview.text.count("2573") == 1
    assert "📍 ศาลากลางจังหวัดขอนแก่น" in preview.text
    assert "ผู้รับข่าว 🗣 เวทีเสวนา · 4 คน" in question.text and "พร้อมปุ่ม 📝 สมัคร" in question.text

    send = question.find_button("ยืนยันส่ง")
    await env.press(ADMIN_ID, question, send, until="ส่งครบแล้ว")
    await env.server.wait_idle(quiet=0.3)
    assert "ส่งแล้ว 3 · ไม่สำเร็จ 0 · บล็อกบอท 1 · เหลือ 0" in env.server.messages(ADMIN_ID)[-1].text
    # The same tap again (a double tap, or Telegram delivering it twice) sends nothing more.
    again = await env.server.press(ADMIN_ID, question.message_id, send, force=True)
    await env.server.wait_for_callback_answer(again)
    await env.server.wait_idle(quiet=0.5)
    for user in (501, 502, 503):
        (got,) = env.server.messages(user)
        assert got.text == preview.text and got.buttons == preview.buttons
    for user in (504, 505, 506):
        assert env.server.messages(user) == []
    recent = await Services.of(env.app).r.broadcasts.recent()
    assert [(b.entry_id, b.audience) for b, _ in recent] == [(entry_id, "topic:forums")]
    listed = (await env.send(ADMIN_ID, "/broadcasts"))[-1]
    assert "· 📣 เวทีเมืองน่าอยู่ &lt;ครั้งที่ 1&gt;" not in listed.text  # escaped, shown plain
    assert "· 📣 เวทีเมืองน่าอยู่ <ครั้งที่ 1>" in listed.text

    for user, outcome in ((501, "✅ สมัครเรียบร้อยแล้ว"), (502, "🕒 รายชื่อสำรอง ลำดับที่ 1")):
        done = await link_sign_up(env, user, link)
        assert done.text.startswith(outcome) and "เวทีเมืองน่าอยู่ <ครั้งที่ 1>" in done.text
    signups = await Services.of(env.app).signups.for_entry(entry_id)
    assert [(s.user_id, s.status.value) for s in signups] == [(501, "confirmed"), (502, "waitlist")]


async def link_sign_up(env: BotEnv, user: int, link: str) -> SentMessage:
    """A resident taps the announcement's "📝 สมัคร": Telegram opens the bot with the link's
    /start payload; then the first-time flow. Returns the outcome."""
    payload = parse_qs(urlsplit(link).query)["start"][0]
    consent = (await env.send(user, f"/start {payload}"))[-1]
    await env.press(user, consent, consent.find_button("✅ ยินยอม"))
    await env.send(user, "สมศรี ใจดี")
    return (await env.send(user, "081-234-5678", until="/mysignups"))[-1]


async def test_made_in_telegram_announced_signed_up_from_the_button_and_moved(
    env: BotEnv,
) -> None:
    """Issue 16's story: /newevent, announce from the published message, two residents sign
    up from the announcement's button, the organiser moves the date in /myevents, and each
    of them (one seated, one waiting) is told once; a subscriber not signed up is not."""
    for user in (551, 552, 553):
        await subscribe(env, user, "forums")
    entry_id, published = await create(env, capacity="1")  # taps 📣 on the published message
    question = [m for m in env.server.messages(ADMIN_ID) if "ยืนยันส่งไหมคะ" in m.text][-1]
    assert "ผู้รับข่าว 🗣 เวทีเสวนา · 3 คน" in question.text
    await env.press(ADMIN_ID, question, question.find_button("ยืนยันส่ง"), until="ส่งครบแล้ว")
    await env.server.wait_idle(quiet=0.3)
    link = f"https://t.me/kk_learning_bot?start=signup_{entry_id}"
    for user in (551, 552, 553):
        (announced,) = env.server.messages(user)
        assert announced.text.startswith(f"📣 ขอเชิญร่วมงาน\n{TITLE}\n")
        assert announced.buttons == [[(texts.BTN_SIGNUP, link)]]
    assert (await link_sign_up(env, 551, link)).text.startswith("✅ สมัครเรียบร้อยแล้ว")
    assert (await link_sign_up(env, 552, link)).text.startswith("🕒 รายชื่อสำรอง ลำดับที่ 1")

    read_back = await edit(env, published, "when", f"19 ธ.ค. {next_year()} 10.00")
    moved = (await env.press(ADMIN_ID, read_back, read_back.find_button("ถูกต้อง")))[-1]
    assert "ผู้สมัคร 2 คนจะได้รับแจ้ง" in moved.text
    new_when = texts.thai_when(datetime(year_ce(), 12, 19, 10, 0, tzinfo=BANGKOK), None, BANGKOK)
    for user, wording in ((551, "ที่นั่งของคุณยังอยู่"), (552, "รายชื่อสำรอง ลำดับที่ 1")):
        (notice,) = await change_notices(env, user)
        assert f"→ {new_when}" in notice.text and wording in notice.text
    assert starting(env.server, 553, CHANGE) == []


async def test_an_entry_without_sign_ups_is_announced_without_the_button(env: BotEnv) -> None:
    entry_id = await publish(env, fields(signup=False, capacity=None))
    await subscribe(env, 511, "forums")
    preview, question = await organiser_taps_announce(env, entry_id)
    assert preview.buttons == [] and texts.ANNOUNCE_SIGNUP_HINT not in preview.text
    assert "ไม่มีปุ่มสมัคร" in question.text and "1 คน" in question.text
    await env.press(ADMIN_ID, question, question.find_button("ยืนยันส่ง"), until="ส่งครบแล้ว")
    await env.server.wait_idle(quiet=0.3)
    (got,) = env.server.messages(511)
    assert got.text == preview.text and got.buttons == []


async def test_discard_and_refusals(env: BotEnv) -> None:
    entry_id = await publish(env, fields())
    await subscribe(env, 521, "forums")
    _, question = await organiser_taps_announce(env, entry_id)
    await env.press(ADMIN_ID, question, question.find_button("ยกเลิก"))
    assert question.text == texts.ANNOUNCE_DISCARDED and question.buttons == []
    # A resident with forged data is refused, and nothing is sent.
    menu = (await env.send(521, "/start"))[-1]
    for forged in (Announce(entry_id), AnnounceSend(entry_id)):
        refused = await env.press(521, menu, forged.data(), force=True)
        assert [m.text for m in refused] == [texts.ADMIN_ONLY]
    # An entry no longer served (hidden) cannot be announced.
    services = Services.of(env.app)
    await services.r.entries.act(entry_id, Action.HIDE, ADMIN_ID, datetime.now(BANGKOK))
    await services.rebuild()
    panel = (await env.send(ADMIN_ID, "/start"))[-1]
    told = await env.press(ADMIN_ID, panel, Announce(entry_id).data(), force=True)
    assert [m.text for m in told] == [texts.ANNOUNCE_UNKNOWN]
    assert await services.r.broadcasts.recent() == []


async def sign_up_directly(env: BotEnv, entry_id: str, users: list[int]) -> None:
    """Residents signed up (in order: seats first, then the waiting list)."""
    services = Services.of(env.app)
    entry = services.knowledge.kb.get(entry_id)
    assert entry is not None
    for user in users:
        env.server.user(user)
        await services.r.residents.touch(user)
        await services.signups.sign_up(
            user, f"คน {user}", "+66812345678", entry_id, entry.title, entry.capacity
        )


async def test_a_move_of_the_date_reaches_everyone_signed_up_once_under_5xx(env: BotEnv) -> None:
    entry_id = await publish(env, fields(capacity=3))
    users = list(range(531, 537))  # three seats, three waiting
    await sign_up_directly(env, entry_id, users)
    services = Services.of(env.app)
    env.server.inject_faults(error_rate=0.2, seed=3, methods={"sendMessage"})
    moved = STARTS + timedelta(days=7, hours=1)
    change = await services.r.entries.edit(
        entry_id,
        {"starts": moved.isoformat(), "ends": (moved + timedelta(hours=3)).isoformat()},
        ADMIN_ID,
        datetime.now(BANGKOK),
    )
    assert change.notified == 6
    send_change_notices_soon(env.app)

    async def all_sent() -> bool:
        return await services.r.entry_notices.count(change.id) == 0

    await until(all_sent, 60, "every notice sent")
    await env.server.wait_idle(quiet=0.3)
    failed = [f for f in env.server.injected_failures if f.method == "sendMessage"]
    env.server.inject_faults()
    assert failed, "no fault met a notice"
    send_change_notices_soon(env.app)  # another round sends nothing again
    await env.server.wait_idle(quiet=0.5)

    old = "วันอาทิตย์ที่ 15 ธันวาคม 2573 เวลา 13.00–16.00 น."
    new = "วันอาทิตย์ที่ 22 ธันวาคม 2573 เวลา 14.00–17.00 น."
    for n, user in enumerate(users):
        (notice,) = starting(env.server, user, CHANGE)
        assert notice.text.startswith(f"{CHANGE}เวทีเมืองน่าอยู่ <ครั้งที่ 1>\n")
        assert f"📅 วันเวลา: {old} → {new}" in notice.text
        assert "📍 สถานที่: ศาลากลางจังหวัดขอนแก่น" in notice.text
        if n < 3:
            assert "ที่นั่งของคุณยังอยู่" in notice.text
        else:
            assert f"รายชื่อสำรอง ลำดับที่ {n - 2} " in notice.text
        assert notice.button_texts() == [texts.BTN_DETAILS, texts.BTN_CANCEL_MY_SIGNUP]

    # The resident who cannot come any more cancels from the notice; the first waiting
    # resident gets the seat.
    first = starting(env.server, users[0], CHANGE)[0]
    await env.press(users[0], first, first.find_button("ยกเลิกการสมัคร"))
    await env.press(users[0], first, first.find_button("ยืนยันยกเลิก"))
    await env.server.wait_idle(quiet=0.3)
    promoted = await services.signups.of_user(users[3])
    assert [s.status.value for s in promoted] == ["confirmed"]


async def test_cancellation_is_told_and_a_blocked_resident_stops_nobody(env: BotEnv) -> None:
    entry_id = await publish(env, fields(capacity=2))
    users = [541, 542, 543]
    await sign_up_directly(env, entry_id, users)
    env.server.block(542)
    services = Services.of(env.app)
    change = await services.r.entries.act(entry_id, Action.CANCEL, ADMIN_ID, datetime.now(BANGKOK))
    assert change.notified == 3
    await services.rebuild()  # no longer served
    send_change_notices_soon(env.app)

    async def all_sent() -> bool:
        return await services.r.entry_notices.count(change.id) == 0

    await until(all_sent, 30, "every notice done with")
    await env.server.wait_idle(quiet=0.3)
    for user, wording in ((541, "งานที่คุณสมัครไว้"), (543, "งานที่คุณอยู่ในรายชื่อสำรอง")):
        (notice,) = starting(env.server, user, CANCELLED)
        assert "เวทีเมืองน่าอยู่ <ครั้งที่ 1>" in notice.text and wording in notice.text
        assert "วันอาทิตย์ที่ 15 ธันวาคม 2573" in notice.text
        assert texts.BTN_CANCEL_MY_SIGNUP not in notice.button_texts()
    assert starting(env.server, 542, CANCELLED) == []
    rows = await services.db.query("SELECT blocked_at FROM residents WHERE user_id = 542")
    assert rows[0]["blocked_at"] is not None


async def test_an_announcement_resumed_after_a_restart_keeps_its_button(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    """A broadcast of an entry left running by a crash: resumed at the next start, its
    messages still carry the sign-up link (plain broadcasts, none)."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for user in (561, 562):
            await Residents(store).touch(user)
        broadcasts = Broadcasts(store)
        await broadcasts.create(
            ADMIN_ID, "topic:forums", "text", "📣 ประกาศ", None, [561, 562], None, entry_id="forum"
        )
        await broadcasts.create(ADMIN_ID, "all", "text", "ข่าวทั่วไป", None, [561], None)
    finally:
        await store.close()
    async with start_bot(tmp_path, signup_kb) as env:
        for user in (561, 562):  # before the resume job's first run, half a second after start
            env.server.user(user)
        link = "https://t.me/kk_learning_bot?start=signup_forum"
        for user in (561, 562):
            announced = await env.server.wait_for_message(
                user, timeout=15, predicate=lambda m: m.text == "📣 ประกาศ"
            )
            assert announced.buttons == [[(texts.BTN_SIGNUP, link)]]
        plain = await env.server.wait_for_message(
            561, timeout=15, predicate=lambda m: m.text == "ข่าวทั่วไป"
        )
        assert plain.buttons == []
