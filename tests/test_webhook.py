"""Webhook mode: Telegram posts updates to us; only posts with the secret token count."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.app import build_application, running
from bot.config import Settings
from fakebot import LocalBotApi
from kb.knowledge import Knowledge


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "สมหญิง"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "สมหญิง"},
            "from": user,
            "text": text,
        },
    }


async def test_webhook_checks_the_secret_and_answers(tmp_path: Path, knowledge: Knowledge) -> None:
    port = free_port()
    async with LocalBotApi() as server:
        server.user(42, first_name="สมหญิง")
        settings = replace(
            Settings(),
            token=server.token,
            api_base_url=server.base_url,
            db_path=tmp_path / "bot.sqlite3",
            webhook_url="https://bot.example.org/hook",
            webhook_secret="s3cret-token",
            webhook_listen="127.0.0.1",
            webhook_port=port,
        )
        app = build_application(settings, knowledge)
        async with running(app), aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram"
            forged = await http.post(url, json=update(1, 42, "U2T คืออะไร"))
            assert forged.status == 403  # no secret header: not from Telegram
            real = await http.post(
                url,
                json=update(2, 42, "U2T คืออะไร"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
            assert real.status == 200
            answer = await server.wait_for_message(42)
            assert answer.text.startswith("U2T")
        assert len(server.messages(42)) == 1  # the forged update was never handled
        assert server.rejected == []
