"""Events made in Telegram, end to end: an organiser creates one with /newevent (Thai dates
read back, a preview as residents see it, publish), residents find it at once, and the
organiser changes it from /myevents (date, place, seats, sign-ups, hidden, history).
Everyone else is refused every step, forged buttons included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot import texts
from bot.flows import Flow, NewEventStep
from bot.services import Services
from bot.store import Store
from fakebot import SentMessage
from handlers.actions import EventPanel
from handlers.events import CAPACITY_MAX, QUESTIONS_MAX, TITLE_LIMIT
from kb.knowledge import Knowledge
from tests.conftest import ADMIN_ID, BANGKOK, BotEnv, start_bot
from tests.test_signup_e2e import last, rows, sign_up

TITLE = "งานอบรมทำขนมไทย รุ่นที่ 2"
CORE = "อบรมทำขนมไทย"
ANSWER = "สอนทำขนมชั้นและขนมเปียกปูน ฟรี มีวัตถุดิบให้ <ไม่ต้องเตรียม>"
PLACE = "ศาลาประชาคม <บ้านโนนทัน>"


def next_year() -> int:
    """Two digits of next year in the Buddhist Era: a date safely ahead of the bot's clock."""
    return (datetime.now(UTC).year + 1 + 543) % 100


def year_ce() -> int:
    return datetime.now(UTC).year + 1


async def count(env: BotEnv, sql: str) -> int:
    store = await Store.open(env.settings.db_path)
    try:
        return int((await store.query(sql))[0][0])
    finally:
        await store.close()


async def change_notices(env: BotEnv, user: int) -> list[SentMessage]:
    """The change notices a resident received, once any has arrived (10 s at most)."""
    for _ in range(100):
        found = [m for m in env.server.messages(user) if m.text.startswith("📢 เปลี่ยนแปลง")]
        if found:
            await env.server.wait_idle(quiet=0.3)  # a second copy would be here by now
            return [m for m in env.server.messages(user) if m.text.startswith("📢 เปลี่ยนแปลง")]
        await asyncio.sleep(0.1)
    return []


async def create(
    env: BotEnv,
    capacity: str | None = "2",
    contact: str = "ไม่ใส่",
    before_publish: Callable[[SentMessage], Awaitable[None]] | None = None,
) -> tuple[str, SentMessage]:
    """/newevent through to publishing; returns the new entry's id and the published message.
    `before_publish` is given the preview first."""
    kinds = last(await env.send(ADMIN_ID, "/newevent"))
    assert kinds.text.startswith("🆕 สร้างกิจกรรมใหม่")
    ask_title = last(await env.press(ADMIN_ID, kinds, kinds.find_button("งาน/เสวนา")))
    assert "ชื่องาน" in ask_title.text
    ask_when = last(await env.send(ADMIN_ID, TITLE))
    assert "วันและเวลา" in ask_when.text
    read_back = last(await env.send(ADMIN_ID, f"12 ธ.ค. {next_year()} 13.00-16.30"))
    starts = datetime(year_ce(), 12, 12, 13, 0, tzinfo=BANGKOK)
    ends = datetime(year_ce(), 12, 12, 16, 30, tzinfo=BANGKOK)
    assert texts.thai_when(starts, ends, BANGKOK) in read_back.text
    ask_place = last(await env.press(ADMIN_ID, read_back, read_back.find_button("ถูกต้อง")))
    assert "จัดที่ไหน" in ask_place.text
    ask_signup = last(await env.send(ADMIN_ID, PLACE))
    assert ask_signup.text == texts.NEW_EVENT_SIGNUP
    if capacity is None:
        ask_people = last(await env.press(ADMIN_ID, ask_signup, ask_signup.find_button("ไม่จำกัด")))
    else:
        ask_capacity = last(
            await env.press(ADMIN_ID, ask_signup, ask_signup.find_button("จำกัดจำนวน…"))
        )
        assert "กี่ที่" in ask_capacity.text
        ask_people = last(await env.send(ADMIN_ID, capacity))
    assert ask_people.text == texts.NEW_EVENT_PEOPLE
    ask_answer = last(await env.press(ADMIN_ID, ask_people, ask_people.find_button("1")))
    assert ask_answer.text == texts.NEW_EVENT_ANSWER
    ask_questions = last(await env.send(ADMIN_ID, ANSWER))
    # Suggested from the title: the title, its core words, where, and signing up.
    for suggestion in (TITLE, CORE, f"{CORE} จัดที่ไหน", f"สมัคร{CORE}"):
        assert f"• {suggestion}\n" in ask_questions.text, ask_questions.text
    ask_contact = last(
        await env.press(ADMIN_ID, ask_questions, ask_questions.find_button("ใช้ตามนี้"))
    )
    assert ask_contact.text.startswith("ติดต่อใคร")
    answers = await env.press(ADMIN_ID, ask_contact, ask_contact.find_button(contact), until=ANSWER)
    preview = last(answers)
    assert texts.NEW_EVENT_PREVIEW.replace("<b>", "").replace("</b>", "") in answers[0].text
    # Exactly the details residents will see: title, short date, place (as typed), text.
    assert preview.text.startswith(TITLE)
    assert texts.when_short(starts, ends, BANGKOK) in preview.text
    assert PLACE in preview.text and ANSWER in preview.text
    if contact != "ไม่ใส่":  # the bot's own contact (BOT_CONTACT)
        assert f"{texts.CONTACT}{env.settings.contact}" in preview.text
    assert preview.button_texts() == [
        texts.BTN_EVENT_PUBLISH,
        texts.BTN_EVENT_REDO,
        texts.BTN_EVENT_DROP,
    ]
    if before_publish is not None:
        await before_publish(preview)
    published = last(
        await env.press(ADMIN_ID, preview, preview.find_button("เผยแพร่"), until="เผยแพร่แล้ว")
    )
    assert published.text.startswith(f"✅ เผยแพร่แล้ว: {TITLE}")
    assert published.button_texts() == [
        texts.BTN_EVENT_ANNOUNCE,
        texts.BTN_EVENT_VIEW,
        texts.BTN_EVENT_PANEL,
    ]
    # Announcing is the announcements' feature: its preview answers the button.
    announce = published.find_button(texts.BTN_EVENT_ANNOUNCE)
    assert last(await env.press(ADMIN_ID, published, announce, until="ยืนยันส่ง"))
    panel_data = published.find_button(texts.BTN_EVENT_PANEL)
    parsed = EventPanel.parse(panel_data)
    assert parsed is not None and parsed.entry.startswith(f"tg-{year_ce()}1212-")
    return parsed.entry, published


async def panel(env: BotEnv, published: SentMessage) -> SentMessage:
    data = published.find_button(texts.BTN_EVENT_PANEL)
    shown = last(await env.press(ADMIN_ID, published, data, until="⚙️"))
    assert shown.text.startswith(f"⚙️ {TITLE}")
    return shown


async def edit(env: BotEnv, published: SentMessage, field: str, value: str) -> SentMessage:
    """A field's button on the entry's panel, then the new value typed; returns the answer."""
    shown = await panel(env, published)
    ask = last(await env.press(ADMIN_ID, shown, shown.find_button(texts.BTN_EDIT_FIELDS[field])))
    assert ask.text == texts.plain(texts.EDIT_ASK[field])
    return last(await env.send(ADMIN_ID, value))


async def test_an_organiser_creates_an_event_and_runs_it_from_telegram(env: BotEnv) -> None:
    entry_id, published = await create(env)
    assert await count(env, "SELECT COUNT(*) FROM entries") == 1

    # Residents find it at once, by a suggested phrasing and by its title; no restart.
    resident = 760001
    env.server.user(resident)
    by_phrasing = last(await env.send(resident, f"สมัคร{CORE}"))
    assert by_phrasing.text.startswith(TITLE) and PLACE in by_phrasing.text
    assert texts.BTN_SIGNUP in by_phrasing.button_texts()
    by_title = last(await env.send(resident, TITLE))
    assert by_title.text.startswith(TITLE)

    # The organiser's view of it as residents see it.
    view = last(await env.press(ADMIN_ID, published, published.find_button("ดูตามที่ประชาชนเห็น")))
    assert view.text == by_title.text

    # Two seats: two residents get them, a third waits.
    for user in (760002, 760003, 760004):
        env.server.user(user)
        await sign_up(env, user, entry_id)
    assert [s for _, s in await rows(env, entry_id)] == ["confirmed", "confirmed", "waitlist"]

    # Seats below those confirmed are refused, and the same question is asked again.
    refused = await edit(env, published, "capacity", "1")
    assert refused.text.startswith(texts.plain(texts.event_capacity_below(2)))
    assert refused.text.endswith(texts.EDIT_ASK["capacity"])
    waiting_before = len(env.server.messages(760004))
    raised = last(await env.send(ADMIN_ID, "3"))
    assert raised.text.startswith("✅ บันทึกแล้ว: จำนวนที่นั่ง")
    assert texts.plain(texts.event_promoted(1)) in raised.text
    assert [s for _, s in await rows(env, entry_id)] == ["confirmed"] * 3
    await env.server.wait_idle(quiet=0.3)
    promoted = env.server.messages(760004)[waiting_before:]
    assert any(m.text.startswith("🎉 มีที่ว่างแล้วค่ะ") for m in promoted), promoted

    # A new date, read back in full, then applied: the three signed up will be told.
    read_back = await edit(env, published, "when", f"13 ธ.ค. {next_year()} 9.00")
    new_start = datetime(year_ce(), 12, 13, 9, 0, tzinfo=BANGKOK)
    assert texts.thai_when(new_start, None, BANGKOK) in read_back.text
    moved = last(await env.press(ADMIN_ID, read_back, read_back.find_button("ถูกต้อง")))
    assert moved.text.startswith("✅ บันทึกแล้ว: วันเวลาเริ่ม, เวลาเลิก")
    assert "ผู้สมัคร 3 คนจะได้รับแจ้ง" in moved.text
    answer = last(await env.send(resident, TITLE))
    assert texts.when_short(new_start, None, BANGKOK) in answer.text
    # Told at once (the change notices' own feature), each once.
    for user in (760002, 760003, 760004):
        notices = await change_notices(env, user)
        assert len(notices) == 1, (user, [m.text for m in env.server.messages(user)])
        assert texts.thai_when(new_start, None, BANGKOK) in notices[0].text

    # A new place; the resident's answer follows.
    placed = await edit(env, published, "place", "หอประชุมอำเภอ")
    assert placed.text == "✅ บันทึกแล้ว: สถานที่\nผู้สมัคร 3 คนจะได้รับแจ้ง"
    assert "หอประชุมอำเภอ" in last(await env.send(resident, TITLE)).text

    # Sign-ups closed: no sign-up button, and the sign-up link is refused.
    shown = await panel(env, published)
    closed = last(await env.press(ADMIN_ID, shown, shown.find_button("ปิดรับสมัคร")))
    assert closed.text == "✅ บันทึกแล้ว: ปิดรับสมัคร"
    assert texts.BTN_EVENT_ACTS["open"] in closed.button_texts()
    answer = last(await env.send(resident, TITLE))
    assert answer.text.startswith(TITLE) and texts.BTN_SIGNUP not in answer.button_texts()
    env.server.user(760005)
    refusal = last(await env.send(760005, f"/start signup_{entry_id}"))
    assert refusal.text == texts.SIGNUP_STOPPED
    assert len(await rows(env, entry_id)) == 3

    # /myevents lists it with its state.
    listing = last(await env.send(ADMIN_ID, "/myevents"))
    assert f"1. {TITLE}" in listing.text
    assert "🟢 เผยแพร่" in listing.text and "🔒 ปิดรับสมัคร" in listing.text
    assert "ที่นั่ง 3/3" in listing.text

    # Hidden: residents are no longer answered with it.
    shown = await panel(env, published)
    hidden = last(await env.press(ADMIN_ID, shown, shown.find_button("ซ่อน")))
    assert hidden.text == "✅ บันทึกแล้ว: ซ่อน"
    after = last(await env.send(resident, TITLE))
    assert not after.text.startswith(TITLE)
    assert "⚪ ซ่อน" in last(await env.send(ADMIN_ID, "/myevents")).text

    # The history: who changed what, when.
    shown = await panel(env, published)
    history = last(await env.press(ADMIN_ID, shown, shown.find_button("ประวัติ")))
    lines = history.text.split("\n")[1:]
    assert [line.split(" · ")[2].split(":")[0] for line in lines] == [
        "สร้าง", "แก้", "แก้", "แก้", "ปิดรับสมัคร", "ซ่อน",
    ]  # fmt: skip
    assert all(f"เจ้าหน้าที่ {ADMIN_ID}" in line for line in lines)
    assert "จำนวนที่นั่ง → 3" in lines[1] and "สถานที่ → หอประชุมอำเภอ" in lines[3]
    assert f"วันเวลาเริ่ม → 13 ธ.ค. {next_year()} 09.00 น." in lines[2]


async def test_publish_again_after_a_crash_makes_no_second_entry(env: BotEnv) -> None:
    """A crash after the entry was stored but before the wizard ended leaves the preview's
    publish button live: tapping it again publishes the same entry, not a copy."""
    flows = Services.of(env.app).r.flows
    kept: list[Flow] = []

    async def keep(preview: SentMessage) -> None:
        flow = await flows.current(ADMIN_ID)
        assert flow is not None and flow.step is NewEventStep.PREVIEW
        kept.append(flow)

    entry_id, _ = await create(env, before_publish=keep)
    (flow,) = kept
    await flows.save(ADMIN_ID, flow.kind, flow.step, flow.data)  # as if it never ended
    preview = next(
        m for m in env.server.messages(ADMIN_ID) if texts.BTN_EVENT_PUBLISH in m.button_texts()
    )
    published = last(
        await env.press(ADMIN_ID, preview, preview.find_button("เผยแพร่"), until="เผยแพร่แล้ว")
    )
    assert published.text.startswith(f"✅ เผยแพร่แล้ว: {TITLE}")
    assert await count(env, "SELECT COUNT(*) FROM entries") == 1
    assert EventPanel.parse(published.find_button(texts.BTN_EVENT_PANEL)) == EventPanel(entry_id)


async def test_phrasings_and_unlimited_seats_are_changed_after_publishing(env: BotEnv) -> None:
    _, published = await create(env)
    resident = 760031
    env.server.user(resident)
    new = "ของหวานชาววัง"
    assert not last(await env.send(resident, new)).text.startswith(TITLE)
    shown = await panel(env, published)
    button = shown.find_button(texts.BTN_EDIT_FIELDS["questions"])
    current, _ = await env.press(ADMIN_ID, shown, button, until="บรรทัดละหนึ่งคำถาม")
    assert f"• {CORE}" in current.text  # what the new set replaces
    done = last(await env.send(ADMIN_ID, f"{new}\nเรียนทำของหวานชาววังที่ไหน"))
    assert done.text.startswith("✅ บันทึกแล้ว: คำถาม")
    assert last(await env.send(resident, new)).text.startswith(TITLE)  # at once
    # Seats: "ไม่จำกัด" removes the limit.
    unlimited = await edit(env, published, "capacity", "ไม่ จำกัด")
    assert unlimited.text.startswith("✅ บันทึกแล้ว: จำนวนที่นั่ง")
    assert "ที่นั่ง 0 (ไม่จำกัด)" in (await panel(env, published)).text


async def test_answered_among_the_shipped_entries_at_once(bot_env: BotEnv) -> None:
    """With the 64 shipped entries and the sentence model: the new entry is found by its
    phrasings and title as soon as it is published."""
    env = bot_env
    await create(env, contact="ใช้ของบอท")
    resident = 764001
    env.server.user(resident)
    for question in (f"สมัคร{CORE}", TITLE, f"{CORE} จัดที่ไหน"):
        answer = last(await env.send(resident, question))
        assert answer.text.startswith(TITLE), (question, answer.text)


async def test_cancelling_asks_first_and_says_who_will_be_told(env: BotEnv) -> None:
    entry_id, published = await create(env, capacity=None)
    for user in (761001, 761002):
        env.server.user(user)
        await sign_up(env, user, entry_id)
    shown = await panel(env, published)
    ask = last(await env.press(ADMIN_ID, shown, shown.find_button("ยกเลิกงาน")))
    assert "ผู้สมัคร 2 คนจะได้รับแจ้ง" in ask.text
    kept = last(await env.press(ADMIN_ID, ask, ask.find_button("ไม่ยกเลิก")))
    assert kept.text.startswith(f"⚙️ {TITLE}")  # the panel again, nothing changed
    ask = last(await env.press(ADMIN_ID, kept, kept.find_button("ยกเลิกงาน")))
    done = last(await env.press(ADMIN_ID, ask, ask.find_button("ยืนยันยกเลิกงาน")))
    assert done.text == "✅ บันทึกแล้ว: ยกเลิกงาน\nผู้สมัคร 2 คนจะได้รับแจ้ง"
    assert not last(await env.send(761001, TITLE)).text.startswith(TITLE)
    # A cancelled event is not changed any more: its panel offers no change, and an old
    # button is refused.
    shown = await panel(env, published)
    assert "⛔ ยกเลิก" in shown.text
    assert texts.BTN_EDIT_FIELDS["place"] not in shown.button_texts()
    old = last(await env.press(ADMIN_ID, shown, f"a:ee:{entry_id}:place", force=True))
    assert old.text == texts.EVENT_CANCELLED_ALREADY


async def test_bad_inputs_each_get_a_thai_message_and_the_same_step(env: BotEnv) -> None:
    kinds = last(await env.send(ADMIN_ID, "/newevent"))
    await env.press(ADMIN_ID, kinds, kinds.find_button("งาน/เสวนา"))
    before = len(env.server.messages(ADMIN_ID))
    await env.server.send_document(ADMIN_ID, b"%PDF-1.4", "poster.pdf")
    await env.server.wait_idle(quiet=0.5)
    (not_text,) = env.server.messages(ADMIN_ID)[before:]
    assert not_text.text.startswith(texts.EVENT_TEXT_ONLY) and "ชื่องาน" in not_text.text
    too_long = last(await env.send(ADMIN_ID, "ก" * (TITLE_LIMIT + 1)))
    assert too_long.text.startswith(texts.event_title_too_long(TITLE_LIMIT, TITLE_LIMIT + 1))
    assert "ชื่องาน" in too_long.text.split("\n\n")[1]  # asked again
    last(await env.send(ADMIN_ID, "เสวนา <b>เมืองน่าอยู่</b>"))
    # Dates: no time, in the past, the end before the start, nonsense.
    for typed, expected in (
        ("พรุ่งนี้", "ใส่เวลาด้วย"),
        ("1 ม.ค. 2566 10.00", texts.EVENT_PAST),
        (f"12 ธ.ค. {next_year()} 16.00-13.00", "ต้องหลังเวลาเริ่ม"),
        ("<script>", "ไม่เข้าใจ"),
    ):
        answer = last(await env.send(ADMIN_ID, typed))
        assert answer.text.startswith("❌ ") or answer.text.startswith(expected), answer.text
        assert expected in answer.text, (typed, answer.text)
        assert answer.text.endswith(texts.NEW_EVENT_WHEN.split("\n")[-1])  # asked again
    assert "<script>" in answer.text  # quoted as typed, escaped
    read_back = last(await env.send(ADMIN_ID, f"12 ธ.ค. {next_year()} 13.00"))
    retype = last(await env.press(ADMIN_ID, read_back, read_back.find_button("พิมพ์ใหม่")))
    assert retype.text.startswith("วันและเวลา")
    read_back = last(await env.send(ADMIN_ID, f"12 ธ.ค. {next_year()} 13.00"))
    ask_place = last(await env.press(ADMIN_ID, read_back, read_back.find_button("ถูกต้อง")))
    ask_signup = last(await env.press(ADMIN_ID, ask_place, ask_place.find_button("ไม่ระบุ")))
    ask_capacity = last(await env.press(ADMIN_ID, ask_signup, ask_signup.find_button("จำกัดจำนวน…")))
    for typed in ("ห้าสิบ", "0", str(CAPACITY_MAX + 1), "-5"):
        answer = last(await env.send(ADMIN_ID, typed))
        assert answer.text.startswith(texts.EVENT_CAPACITY_BAD.format(limit=CAPACITY_MAX)), typed
    assert ask_capacity.text.split("\n\n")[-1] == answer.text.split("\n\n")[-1]
    ask_people = last(await env.send(ADMIN_ID, "๕๐ คน"))  # Thai digits, as typed
    assert ask_people.text == texts.NEW_EVENT_PEOPLE
    # A button step answered with text: asked again.
    assert last(await env.send(ADMIN_ID, "สี่")).text == texts.NEW_EVENT_PEOPLE
    # /cancel ends the wizard; its old buttons then say so.
    assert last(await env.send(ADMIN_ID, "/cancel")).text == texts.FLOW_CANCELLED
    late = last(await env.press(ADMIN_ID, ask_people, ask_people.find_button("2")))
    assert late.text == texts.NEW_EVENT_EXPIRED
    assert await count(env, "SELECT COUNT(*) FROM entries") == 0


async def test_a_programme_without_a_date_and_a_field_redone_from_the_preview(
    env: BotEnv,
) -> None:
    kinds = last(await env.send(ADMIN_ID, "/newevent"))
    await env.press(ADMIN_ID, kinds, kinds.find_button("โครงการ"))
    ask_when = last(await env.send(ADMIN_ID, "ทุนตั้งตัวคนรุ่นใหม่"))
    ask_place = last(await env.press(ADMIN_ID, ask_when, ask_when.find_button("ไม่มีวันที่")))
    ask_signup = last(await env.send(ADMIN_ID, "สำนักงานเทศบาล"))
    ask_answer = last(await env.press(ADMIN_ID, ask_signup, ask_signup.find_button("ไม่รับสมัคร")))
    assert ask_answer.text == texts.NEW_EVENT_ANSWER  # no seats or party size asked
    ask_questions = last(await env.send(ADMIN_ID, "ทุนให้เปล่า 5,000 บาท"))
    assert "สมัครทุนตั้งตัว" not in ask_questions.text  # no sign-up: not suggested
    many = "\n".join(f"ทุนแบบที่ {n}" for n in range(QUESTIONS_MAX + 1))
    too_many = last(await env.send(ADMIN_ID, many))
    assert too_many.text.startswith(texts.event_too_many(QUESTIONS_MAX))
    assert "ประชาชนอาจถาม" in too_many.text  # the same step again
    # Typed phrasings, one a line: blank lines and repeats dropped.
    ask_contact = last(await env.send(ADMIN_ID, "ขอทุนตั้งตัว\nทุนคนรุ่นใหม่\n\nทุนคนรุ่นใหม่"))
    assert ask_contact.text.startswith("ติดต่อใคร")
    preview = last(await env.send(ADMIN_ID, "คุณสมชาย 043-000-000", until="ทุนให้เปล่า"))
    assert preview.text.startswith("ทุนตั้งตัวคนรุ่นใหม่") and "คุณสมชาย" in preview.text
    fields = last(await env.press(ADMIN_ID, preview, preview.find_button("แก้ไข")))
    ask_place = last(await env.press(ADMIN_ID, fields, fields.find_button("สถานที่")))
    assert "จัดที่ไหน" in ask_place.text
    preview = last(await env.send(ADMIN_ID, "ศูนย์ราชการ", until="ทุนให้เปล่า"))
    assert "ศูนย์ราชการ" in preview.text and "สำนักงานเทศบาล" not in preview.text
    published = last(
        await env.press(ADMIN_ID, preview, preview.find_button("เผยแพร่"), until="เผยแพร่แล้ว")
    )
    parsed = EventPanel.parse(published.find_button(texts.BTN_EVENT_PANEL))
    assert parsed is not None and parsed.entry.startswith("tg-nodate-")
    resident = 762001
    env.server.user(resident)
    assert last(await env.send(resident, "ขอทุนตั้งตัว")).text.startswith("ทุนตั้งตัวคนรุ่นใหม่")
    # /myevents: the upcoming event first, then the programme without a date.
    await create(env)
    listing = last(await env.send(ADMIN_ID, "/myevents"))
    assert listing.text.index(f"1. {TITLE}") < listing.text.index("2. ทุนตั้งตัวคนรุ่นใหม่")
    assert listing.button_texts()[1] == "2. ทุนตั้งตัวคนรุ่นใหม่"
    # Entries from data/kb are edited in the files.
    forged = last(await env.press(ADMIN_ID, published, "a:ep:forum", force=True))
    assert forged.text == texts.EVENT_FROM_FILES


async def test_the_wizard_survives_a_restart(tmp_path: Path, signup_kb: Knowledge) -> None:
    """Its place is in SQLite (flows): after a restart the organiser goes on where they were."""
    async with start_bot(tmp_path, signup_kb) as env:
        kinds = last(await env.send(ADMIN_ID, "/newevent"))
        await env.press(ADMIN_ID, kinds, kinds.find_button("กิจกรรม"))
        last(await env.send(ADMIN_ID, "ปลูกผักสวนครัว"))
    async with start_bot(tmp_path, signup_kb) as env:
        read_back = last(await env.send(ADMIN_ID, f"5 ม.ค. {next_year()} 9.00"))
        assert "มกราคม" in read_back.text and "ถูกต้องไหม" in read_back.text


FORGED = (
    "a:ek:event", "a:ew:pub", "a:ew:drop", "a:eo:2", "a:er:title", "a:el", "a:et:y",
    "a:ep:{id}", "a:ev:{id}", "a:ee:{id}:title", "a:ea:{id}:hide", "a:ea:{id}:cancel",
    "a:ec:{id}", "a:eh:{id}",
)  # fmt: skip


async def refused_everything(env: BotEnv, user: int, entry_id: str) -> None:
    for command in ("/newevent", "/myevents"):
        assert last(await env.send(user, command)).text == texts.ADMIN_ONLY, command
    menu = last(await env.send(user, "/help"))
    for data in FORGED:
        data = data.format(id=entry_id)
        replies = await env.press(user, menu, data, force=True, until=texts.ADMIN_ONLY)
        assert replies[-1].text == texts.ADMIN_ONLY, data


async def test_residents_and_door_staff_are_refused_every_step(
    tmp_path: Path, signup_kb: Knowledge
) -> None:
    door = 763002
    async with start_bot(tmp_path, signup_kb, checkin_ids=frozenset({door})) as env:
        entry_id, _ = await create(env)
        before = await count(env, "SELECT COUNT(*) FROM entry_changes")
        resident = 763001
        env.server.user(resident)
        await refused_everything(env, resident, entry_id)
        await refused_everything(env, door, entry_id)
        assert await count(env, "SELECT COUNT(*) FROM entry_changes") == before
        assert await count(env, "SELECT COUNT(*) FROM flows") == 0
        # The entry is still served as it was.
        assert last(await env.send(resident, TITLE)).text.startswith(TITLE)
