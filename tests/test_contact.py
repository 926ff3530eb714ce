"""A person to reach: BOT_CONTACT_PHONE, _LINE and _PLACE validated, and shown under the
fallback and /help when set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from kb.knowledge import Knowledge
from tests.conftest import start_bot

RESIDENT = 5102


def test_contact_settings_are_validated() -> None:
    s = Settings.from_env(
        {
            "BOT_CONTACT_PHONE": "043-123-456",
            "BOT_CONTACT_LINE": "@KKTT",
            "BOT_CONTACT_PLACE": "ศาลาว่าการเทศบาลนครขอนแก่น",
        }
    )
    assert (s.contact_phone, s.contact_line) == ("+6643123456", "@kktt")
    with pytest.raises(ConfigError, match="BOT_CONTACT_PHONE"):
        Settings.from_env({"BOT_CONTACT_PHONE": "1555"})
    with pytest.raises(ConfigError, match="BOT_CONTACT_LINE"):
        Settings.from_env({"BOT_CONTACT_LINE": "line id with spaces"})
    with pytest.raises(ConfigError, match="BOT_CONTACT_LINE"):
        Settings.from_env({"BOT_CONTACT_LINE": "@"})
    assert Settings.from_env({}).contact_phone is None


async def test_fallback_and_help_show_how_to_reach_a_person(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    async with start_bot(
        tmp_path,
        knowledge,
        contact_phone="+6643123456",
        contact_line="@kktt",
        contact_place="ศาลาว่าการเทศบาลนครขอนแก่น",
    ) as env:
        env.server.user(RESIDENT)
        reply = await env.say(RESIDENT, "โรงพยาบาลศรีนครินทร์เปิดกี่โมง")
        assert reply.text.startswith("ขออภัยค่ะ")
        assert env.settings.contact in reply.text
        assert "☎️ 043-123-456 · 💬 LINE @kktt\n📍 ศาลาว่าการเทศบาลนครขอนแก่น" in reply.text
        link = next(e for e in reply.entities if e["type"] == "text_link")
        assert link["url"] == "https://line.me/R/ti/p/@kktt"
        assert reply.text.count("\n") <= 6
        help_reply = await env.say(RESIDENT, "/help")
        assert f"ติดต่อเจ้าหน้าที่: {env.settings.contact}\n☎️ 043-123-456" in help_reply.text


async def test_without_contact_details_the_fallback_names_only_the_contact(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    async with start_bot(tmp_path, knowledge) as env:
        env.server.user(RESIDENT)
        reply = await env.say(RESIDENT, "โรงพยาบาลศรีนครินทร์เปิดกี่โมง")
        assert reply.text.endswith(f"ติดต่อ {env.settings.contact} ค่ะ")
        help_reply = await env.say(RESIDENT, "/help")
        assert help_reply.text.endswith(f"ติดต่อเจ้าหน้าที่: {env.settings.contact}")


def test_contact_lines_escape_and_link_a_personal_line_id() -> None:
    from bot import texts

    text = texts.fallback("A & B", "081-234-5678", "kk.city_1", "<ชั้น 2> ศาลา")
    assert text.endswith(
        '☎️ 081-234-5678 · 💬 LINE <a href="https://line.me/ti/p/~kk.city_1">kk.city_1</a>'
        "\n📍 &lt;ชั้น 2&gt; ศาลา"
    )
    assert "ติดต่อ A &amp; B ค่ะ" in text
    assert texts.contact_reach(None, None, None) == ""
    assert texts.help_contact("A", None, None, "ศาลา") == "<b>ติดต่อเจ้าหน้าที่</b>: A\n📍 ศาลา"
