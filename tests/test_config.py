"""Settings from the environment, validated with one-line errors."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_API, ConfigError, Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.api_base_url == DEFAULT_API and s.token is None
    assert str(s.tz) == "Asia/Bangkok" and s.admin_ids == frozenset()
    assert s.kb_path.name == "kb" and s.db_path.parent.name == "data"
    assert s.semantic and s.vector_path == s.db_path.with_name("vectors.npz")


def test_values() -> None:
    s = Settings.from_env(
        {
            "BOT_TOKEN": "123:ABC-def_1",
            "BOT_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_ADMIN_IDS": "11, 22,33",
            "BOT_TZ": "Asia/Bangkok",
            "BOT_KB_PATH": "/tmp/kb.yaml",
            "BOT_SEMANTIC": "0",
        }
    )
    assert not s.semantic
    assert s.admin_ids == {11, 22, 33} and s.require_token() == "123:ABC-def_1"
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert str(s.kb_path) == "/tmp/kb.yaml"


def test_token_is_never_in_repr() -> None:
    s = Settings.from_env({"BOT_TOKEN": "123:SECRET"})
    assert "SECRET" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOT_TOKEN": "nonsense"}, "BOT_TOKEN"),
        ({"BOT_ADMIN_IDS": "12,abc"}, "BOT_ADMIN_IDS"),
        ({"BOT_TZ": "Mars/Olympus"}, "BOT_TZ"),
        ({"BOT_API_BASE_URL": "api.telegram.org"}, "BOT_API_BASE_URL"),
        ({"BOT_WEBHOOK_URL": "http://insecure"}, "BOT_WEBHOOK_URL"),
        ({"BOT_SEMANTIC": "maybe"}, "BOT_SEMANTIC"),
    ],
)
def test_invalid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set"):
        Settings.from_env({}).require_token()
