"""Small talk (data/smalltalk.yaml): the loader's checks, what counts as small talk, and, end to
end, a reply in kind with the menu that is never stored as a question."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot import texts
from bot.config import Settings
from bot.questions import Questions
from bot.store import Store
from kb.knowledge import Knowledge
from kb.loader import load_kb
from kb.smalltalk import SmallTalk, SmallTalkError, load_smalltalk
from tests.conftest import ADMIN_ID, ROOT, BotEnv, start_bot

RESIDENT = 5101
SHIPPED = ROOT / "data" / "smalltalk.yaml"


@pytest.fixture(scope="module")
def talk() -> SmallTalk:
    return load_smalltalk(SHIPPED)


# ------------------------------------------------------------------ what is small talk
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("สวัสดีครับ", "greeting"),
        ("หวัดดีค่าาาา", "greeting"),
        ("Hello!!", "greeting"),
        ("sawasdee krub", "greeting"),
        ("ขอบคุณค่ะ", "thanks"),
        ("ขอบใจหลายเด้อ", "thanks"),
        ("thank you so much", "thanks"),
        ("ขอบคุณค่ะ 🙏", "thanks"),
        ("555", "laughter"),
        ("๕๕๕๕๕+", "laughter"),
        ("ฮ่าๆๆ", "laughter"),
        ("hahaha", "laughter"),
        ("โอเคค่ะ", "ok"),
        ("ได้ค่ะ", "ok"),
        ("ค่ะ", "ok"),
        ("เจ้า", "ok"),
        ("👍🏽", "ok"),
        ("🙏", "emoji"),
        ("🙏😊", "emoji"),
        ("🌸🌸🌸", "emoji"),
        ("❤️", "emoji"),
        ("สบายดีบ่", "how_are_you"),
        ("เธอเป็นใคร", "who_are_you"),
        ("สวัสดีค่ะ เธอเป็นใครคะ", "who_are_you"),
        ("ทำอะไรได้บ้าง", "what_can_you_do"),
        ("น้องบอทเฮ็ดหยังได้แหน่", "what_can_you_do"),
        ("ขอโทษค่ะ", "sorry"),
        ("เก่งมากเลย", "compliment"),
        ("บายค่ะ", "bye"),
        ("สวัสดี\u200bค่ะ", "greeting"),
    ],
)
def test_small_talk_is_read_as_its_intent(talk: SmallTalk, text: str, intent: str) -> None:
    reading = talk.read(text)
    assert reading is not None, text
    assert reading.intent.id == intent


@pytest.mark.parametrize(
    "text",
    [
        "สวัสดีค่ะ ปลูกผักที่ตลาดจอมพลสมัครยังไง",
        "สวัสดีค่ะปลูกผักสมัครยังไง",
        "ขอบคุณค่ะ แล้วจัดที่ไหน",
        "hi, how do I register",
        "ได้ไหม",
        "บอทนี้ช่วยอะไรได้บ้าง",  # the knowledge base's own phrasing: left to the matcher
        "ตลาดจอมพล",
        "U2T",
        "okay then what about jobs",
        "ok" * 100,
        "",
        "?!",
    ],
)
def test_anything_more_than_small_talk_is_not(talk: SmallTalk, text: str) -> None:
    assert talk.read(text) is None


def test_no_phrasing_of_the_shipped_knowledge_base_is_taken_for_small_talk(
    talk: SmallTalk,
) -> None:
    kb = load_kb(ROOT / "data" / "kb")
    phrasings = [q for e in kb.entries for q in (e.title, *e.questions)]
    assert talk.shadowing(phrasings) == []


def test_replies_come_in_turn(talk: SmallTalk) -> None:
    greeting = talk.intent("greeting")
    assert len(greeting.replies) >= 2
    assert [greeting.reply(t) for t in range(3)] == [*greeting.replies[:2], greeting.replies[0]]


# ------------------------------------------------------------------ the loader's checks
def _load(tmp_path: Path, text: str) -> SmallTalk:
    path = tmp_path / "smalltalk.yaml"
    path.write_text(text, encoding="utf-8")
    return load_smalltalk(path)


GOOD = """\
particles: [ค่ะ, ครับ]
intents:
  - id: greeting
    patterns: [สวัสดี, hello]
    replies: [สวัสดีค่ะ]
  - id: thanks
    patterns: [ขอบคุณ, 🙏]
    replies: [ยินดีค่ะ]
"""


def test_a_file_an_organiser_extends_is_used(tmp_path: Path) -> None:
    talk = _load(tmp_path, GOOD)
    reading = talk.read("ขอบคุณครับ🙏🏻")
    assert reading is not None and reading.intent.id == "thanks"
    assert talk.read("😊") is None  # no intent takes any emoji here


def test_a_broken_file_names_file_line_and_intent(tmp_path: Path) -> None:
    broken = """\
particles: [ค่ะ]
intents:
  - id: greeting
    patterns: [สวัสดี, hello]
    replies: [สวัสดีค่ะ]
  - id: thanks
    patterns: [ขอบคุณ, Hello!]
    replies: [ยินดีค่ะ]
    colour: red
  - id: bye
    patterns: []
    replies: [บายค่ะ]
  - id: greeting
    patterns: [หวัดดี]
    replies: [ดีค่ะ]
  - id: emoji
    patterns: [🙏 ขอบคุณ]
"""
    with pytest.raises(SmallTalkError) as caught:
        _load(tmp_path, broken)
    problems = [str(p) for p in caught.value.problems]
    name = str(tmp_path / "smalltalk.yaml")
    assert f"{name}:7 [thanks] pattern 'Hello!' is also in intent 'greeting' (line 4)" in problems
    assert f"{name}:9 [thanks] unknown key 'colour'" in problems
    assert f"{name}:11 [bye] 'patterns:' must be a non-empty list of text" in problems
    assert f"{name}:13 [greeting] duplicate id (first at line 3)" in problems
    assert f"{name}:17 [emoji] pattern '🙏 ขอบคุณ' must be text or one emoji" in problems
    assert f"{name}:16 [emoji] missing 'replies:'" in problems
    assert len(problems) == 6


def test_yaml_syntax_and_a_missing_file_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SmallTalkError) as caught:
        _load(tmp_path, "particles: [ค่ะ\nintents: []\n")
    assert "YAML syntax error" in str(caught.value)
    with pytest.raises(SmallTalkError, match="cannot read file"):
        load_smalltalk(tmp_path / "nothing.yaml")


def test_check_kb_validates_the_small_talk_file_too(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "smalltalk.yaml"
    path.write_text(GOOD.replace("replies: [ยินดีค่ะ]", "replies: []"), encoding="utf-8")
    env = {**os.environ, "BOT_SMALLTALK_PATH": str(path)}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check-kb", str(ROOT / "tests" / "eval" / "dev" / "kb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert f"{path}:8 [thanks] 'replies:' must be a non-empty list of text" in run.stderr
    path.write_text(GOOD, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check-kb", str(ROOT / "tests" / "eval" / "dev" / "kb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "small talk: 2 intents" in run.stdout


# ------------------------------------------------------------------ end to end
SMALL_TALK = [
    "สวัสดีครับ",
    "ขอบคุณค่ะ",
    "555",
    "🙏",
    "hello",
    "ขอบใจหลายเด้อ",
    "เธอเป็นใคร",
    "ทำอะไรได้บ้าง",
]


async def _questions(env: BotEnv) -> list[str]:
    store = await Store.open(env.settings.db_path)
    try:
        return [q.text for q in await Questions(store).recent()]
    finally:
        await store.close()


async def test_small_talk_is_answered_in_kind_and_never_stored(
    bot_env: BotEnv, talk: SmallTalk
) -> None:
    bot_env.server.user(RESIDENT, first_name="สมศรี")
    for text in SMALL_TALK:
        reading = talk.read(text)
        assert reading is not None
        reply = await bot_env.say(RESIDENT, text)
        assert reply.text in reading.intent.replies, (text, reply.text)
        assert reply.button_texts()[:3] == [
            texts.BTN_EVENTS,
            texts.BTN_PROGRAMMES,
            texts.BTN_ACTIVITIES,
        ]
        assert "ขออภัย" not in reply.text
    assert await _questions(bot_env) == []
    report = (await bot_env.send(ADMIN_ID, "/stats"))[-1]
    assert texts.stats_questions(0, 0) in report.text


async def test_thanks_twice_gets_the_next_reply(bot_env: BotEnv, talk: SmallTalk) -> None:
    bot_env.server.user(RESIDENT)
    first = await bot_env.say(RESIDENT, "ขอบคุณค่ะ")
    second = await bot_env.say(RESIDENT, "ขอบคุณมากค่ะ")
    assert [first.text, second.text] == list(talk.intent("thanks").replies[:2])


async def test_a_greeting_before_a_question_reaches_the_matcher(
    bot_env: BotEnv, knowledge: Knowledge
) -> None:
    question = "สวัสดีค่ะ ปลูกผักที่ตลาดจอมพลสมัครยังไง"
    answer_id = knowledge.matcher.match(question).answer_id
    entry = knowledge.kb.get(answer_id or "")
    assert entry is not None and "ตลาดจอมพล" in entry.title
    bot_env.server.user(RESIDENT)
    reply = await bot_env.say(RESIDENT, question)
    assert reply.text.startswith(entry.title)
    assert await _questions(bot_env) == [question]


def test_settings_default_to_the_shipped_file() -> None:
    assert replace(Settings()).smalltalk_path == SHIPPED


async def test_thanks_after_an_answer_is_small_talk_not_a_follow_up(
    bot_env: BotEnv, talk: SmallTalk
) -> None:
    bot_env.server.user(RESIDENT)
    await bot_env.say(RESIDENT, "ปลูกผักที่ตลาดจอมพลสมัครยังไง")
    for text, intent in (("ขอบคุณค่ะ", "thanks"), ("👍", "ok"), ("โอเคเด้อ", "ok")):
        reply = await bot_env.say(RESIDENT, text)
        assert reply.text == talk.intent(intent).replies[0], text
    assert await _questions(bot_env) == ["ปลูกผักที่ตลาดจอมพลสมัครยังไง"]


async def test_reload_reads_the_small_talk_file_again(tmp_path: Path, signup_kb: Knowledge) -> None:
    path = tmp_path / "smalltalk.yaml"
    path.write_text(GOOD, encoding="utf-8")
    kb_path = Path(signup_kb.kb.path)
    async with start_bot(tmp_path, signup_kb, smalltalk_path=path, kb_path=kb_path) as env:
        env.server.user(RESIDENT)
        assert (await env.say(RESIDENT, "555")).text != "ฮ่า ๆ ค่ะ"  # not small talk yet
        path.write_text(GOOD + "  - id: laugh\n    patterns: ['555']\n    replies: [ฮ่า ๆ ค่ะ]\n")
        done = (await env.send(ADMIN_ID, "/reload"))[-1]
        assert done.text.startswith("✅")
        assert (await env.say(RESIDENT, "5555")).text == "ฮ่า ๆ ค่ะ"
        # A broken file is refused with its file and line; the one in service stays.
        path.write_text(GOOD + "  - id: laugh\n    replies: [ฮ่า]\n", encoding="utf-8")
        refused = (await env.send(ADMIN_ID, "/reload"))[-1]
        assert str(path) in refused.text and "✅" not in refused.text
        assert (await env.say(RESIDENT, "555")).text == "ฮ่า ๆ ค่ะ"
