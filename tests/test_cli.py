"""The command line as an operator uses it: real processes, real output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot import texts
from bot.chat import EXAMPLES_NOTE
from fakebot import LocalBotApi
from kb.loader import load_kb
from tests.conftest import ROOT


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_ask_json_batch_builds_the_index_once_and_answers_each_line() -> None:
    questions = "U2T คืออะไร\nโรงพยาบาลเปิดกี่โมง\n\nกองทุนสร้างอาชีพ\n"
    done = run_cli("ask", "--json", "--batch", "-", stdin=questions)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["U2T คืออะไร", "โรงพยาบาลเปิดกี่โมง", "กองทุนสร้างอาชีพ"]
    assert lines[0]["answer_id"] == "kk-u2t-university-to-tambon"
    assert lines[1]["answer_id"] is None
    for x in lines:
        assert set(x) == {"question", "answer_id", "score", "suggestions"}
        assert x["answer_id"] is None or x["suggestions"] == []


def test_ask_plain_text() -> None:
    done = run_cli("ask", "U2T", "คืออะไร")
    assert done.returncode == 0
    assert "kk-u2t-university-to-tambon" in done.stdout


def test_eval_prints_the_figures() -> None:
    done = run_cli("eval", "--baseline")
    assert done.returncode == 0, done.stderr
    for label in ("top-1 accuracy", "top-3 recall", "out-of-scope rejection", "baseline"):
        assert label in done.stdout
    assert "paraphrase" in done.stdout and "dialect" in done.stdout


def test_run_without_token_is_a_one_line_error() -> None:
    done = run_cli("run", env={"BOT_TOKEN": ""})
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "BOT_TOKEN" in done.stderr


def test_run_refuses_an_invalid_knowledge_base(tmp_path: Path) -> None:
    bad = tmp_path / "kb.yaml"
    bad.write_text("entries:\n  - id: x\n    kind: faq\n", encoding="utf-8")
    done = run_cli("run", env={"BOT_TOKEN": "1:abc", "BOT_KB_PATH": str(bad)})
    assert done.returncode == 1
    assert f"{bad}:2 [x] missing required field 'title'" in done.stderr


def test_chat_in_the_terminal_with_numbered_buttons(tmp_path: Path) -> None:
    done = run_cli(
        "chat",
        "--db",
        str(tmp_path / "chat.sqlite3"),
        stdin="U2T คืออะไร\n2\n2\n:q\n",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "สวัสดีค่ะ" in out  # /start is sent for the newcomer
    assert "U2T มหาวิทยาลัยสู่ตำบล" in out  # the answer
    assert "[1] 📖 อ่านต่อ\n     [2] 🏠 เมนูหลัก" in out  # buttons as numbered choices
    assert "เลือกเรื่องที่สนใจได้เลยค่ะ" in out  # 2 pressed the menu button
    assert "💼 โครงการสร้างอาชีพและรายได้" in out  # 2 opened the programmes list
    assert "Traceback" not in done.stderr


SIGNUP_KB = """\
entries:
  - id: veg-workshop
    kind: activity
    title: อบรมปลูกผักปลอดสารพิษ
    questions: [อบรมปลูกผักปลอดสารพิษ]
    answer: เรียนเตรียมดิน เพาะกล้า ดูแลแปลง
    starts: 2030-12-14T08:30:00+07:00
    location: ตลาดจอมพล
    capacity: 30
    signup: true
"""


def test_chat_shows_the_reply_keyboard_and_shares_a_pretend_phone(tmp_path: Path) -> None:
    """A whole sign-up in the terminal: sign up, consent, the profile name, then the reply
    keyboard's "share my phone number" (numbered after the inline buttons), which asks for
    a pretend number and sends it as the resident's contact."""
    kb = tmp_path / "kb.yaml"
    kb.write_text(SIGNUP_KB, encoding="utf-8")
    script = "อบรมปลูกผักปลอดสารพิษ\n1\n1\n1\n1\n0898765432\n:q\n"
    done = run_cli("chat", "--kb", str(kb), "--db", str(tmp_path / "c.sqlite3"), stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[1] 📝 สมัคร" in out
    assert "แป้นพิมพ์: [2] 📱 แชร์เบอร์โทรของฉัน" in out  # after the name button, [1]
    # The name button went with the name: the keyboard's number moves up, and is shown so.
    assert "แป้นพิมพ์: [1] 📱 แชร์เบอร์โทรของฉัน" in out
    assert "เบอร์ที่จะแชร์ (Enter = +66812345678)>" in out
    assert "✅ บันทึกเบอร์ 089-876-5432 แล้วค่ะ" in out  # the shared contact, read as one
    assert "✅ สมัครเรียบร้อยแล้ว\n     อบรมปลูกผักปลอดสารพิษ" in out
    assert "👤 ผู้ทดลอง · 📱 089-876-5432" in out
    assert "Traceback" not in done.stderr


def test_chat_types_a_keyboard_button_by_its_text_and_refuses_a_spent_button(
    tmp_path: Path,
) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text(SIGNUP_KB, encoding="utf-8")
    # 1 (sign up), 1 (consent), then the keyboard's text typed before a name is given: the
    # bot reads it as the name; later "9" presses nothing.
    script = "อบรมปลูกผักปลอดสารพิษ\n1\n1\nสมศรี ใจดี\n📱 แชร์เบอร์โทรของฉัน\n\n9\n:q\n"
    done = run_cli("chat", "--kb", str(kb), "--db", str(tmp_path / "c.sqlite3"), stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "เบอร์ที่จะแชร์ (Enter = +66812345678)>" in out  # typed text pressed the key
    assert "👤 สมศรี ใจดี · 📱 081-234-5678" in out  # Enter: the pretend number
    assert "Traceback" not in done.stderr


def test_chat_shows_the_example_events_labelled_and_run_leaves_them_out(tmp_path: Path) -> None:
    # As on a day before the examples (their dates pass; `--at` keeps the test true).
    day = ["--at", "2026-12-01T10:00"]
    done = run_cli("chat", *day, "--db", str(tmp_path / "c.sqlite3"), stdin="/events\n:q\n")
    assert done.returncode == 0, done.stderr
    assert EXAMPLES_NOTE in done.stdout  # the banner says they are invented
    titles = re.findall(r"^\s*\d+\. (.+)$", done.stdout, flags=re.M)
    assert titles and all(t.startswith("[ตัวอย่าง] ") for t in titles)
    # Later on, only what is still to come.
    dated = [e for e in load_kb(ROOT / "data" / "examples") if e.starts is not None]
    last_one = max(dated, key=lambda e: e.starts.timestamp() if e.starts else 0.0)
    assert last_one.starts is not None
    late = ["--at", (last_one.starts - timedelta(days=2)).isoformat()]
    # An organiser trying /reload there keeps the examples.
    done = run_cli(
        "chat", *late, "--db", str(tmp_path / "e.sqlite3"),
        stdin="/reload\n/events\n:q\n", env={"BOT_ADMIN_IDS": "4711"},
    )  # fmt: skip
    assert "โหลดฐานความรู้ใหม่แล้ว" in done.stdout, done.stdout
    assert re.findall(r"^\s*\d+\. (.+)$", done.stdout, flags=re.M) == [last_one.title]
    # Exactly what `run` serves: the real knowledge base has no upcoming event to invent.
    done = run_cli(
        "chat", "--no-examples", "--db", str(tmp_path / "d.sqlite3"), stdin="/events\n:q\n"
    )
    assert done.returncode == 0, done.stderr
    assert EXAMPLES_NOTE not in done.stdout and "ตัวอย่าง" not in done.stdout
    assert texts.LIST_EMPTY["ev"] in done.stdout
    assert not [e.id for e in load_kb(ROOT / "data" / "kb") if e.id.startswith("ex-")]


async def test_run_serves_telegram_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with LocalBotApi(token="4242:RUN-TEST-TOKEN") as server:
        server.user(77, first_name="สมชาย")
        env = {
            **os.environ,
            "BOT_TOKEN": server.token,
            "BOT_API_BASE_URL": server.base_url,
            "BOT_DB_PATH": str(tmp_path / "bot.sqlite3"),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await server.send_text(77, "/start")
            greeting = await server.wait_for_message(77, timeout=60)
            assert greeting.text.startswith("สวัสดีค่ะ คุณสมชาย")
            await server.send_text(77, "U2T คืออะไร")
            answer = await server.wait_for_message(
                77, timeout=10, predicate=lambda m: m.text.startswith("U2T")
            )
            assert "มหาวิทยาลัยสู่ตำบล" in answer.text
            # The invented example events are for `chat` and `eval`: never shown here.
            await server.send_text(77, "/events")
            events = await server.wait_for_message(
                77, timeout=10, predicate=lambda m: m.text.startswith("📅")
            )
            assert "ตัวอย่าง" not in events.text and "ex-" not in str(events.reply_markup)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, stderr.decode()
        log = stderr.decode()
        assert server.token not in log  # the token is never logged
        assert "Application.stop() complete" in log or "Application is stopping" in log
        assert server.rejected == []
