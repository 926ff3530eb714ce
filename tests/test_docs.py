"""What the README and the bot's own menus promise exists, and every callback follows the house
rules (a docstring; named `<feature>_<trigger>`)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.__main__ import build_parser
from bot.app import build_application
from bot.config import Settings
from handlers.common import ButtonHandler
from kb.knowledge import Knowledge
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def app(tmp_path: Path, signup_kb: Knowledge) -> Application[Any, Any, Any, Any, Any, Any]:
    settings = Settings(token="1:x", db_path=tmp_path / "bot.sqlite3", admin_ids=frozenset({1}))
    return build_application(settings, signup_kb)


def _subcommands() -> dict[str, Any]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    assert isinstance(sub.choices, dict)
    return sub.choices


def test_every_cli_command_is_in_the_readme_and_runs_something() -> None:
    commands = _subcommands()
    assert {"run", "chat", "ask", "eval", "check-kb", "vectors", "export", "learned"} <= set(
        commands
    )
    for name, parser in commands.items():
        assert callable(parser.get_default("func")), name
        assert f"`python -m bot {name}" in README, f"README lacks `python -m bot {name}`"


def test_every_menu_command_is_in_the_readme_and_has_a_handler(app: Any) -> None:
    handled = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    for command, description in texts.COMMANDS + texts.ADMIN_COMMANDS:
        assert description
        assert command in handled, f"/{command} is in the menu but nothing handles it"
        assert f"`/{command}`" in README, f"README lacks `/{command}`"
    # And the other way: every command in the README's tables exists.
    for command in re.findall(r"^\| `/([a-z]+)`", README, flags=re.MULTILINE):
        assert command in handled, f"README names /{command}, which nothing handles"


def test_help_lists_the_residents_commands() -> None:
    for command, _ in texts.COMMANDS:
        if command != "help":
            assert f"/{command}" in texts.HELP, f"/help does not mention /{command}"


def _callbacks(app: Any) -> list[Any]:
    found = [h.callback for handlers in app.handlers.values() for h in handlers]
    found += [job.callback for job in app.job_queue.jobs()]
    found += list(app.error_handlers)
    unwrapped = []
    for callback in found:
        if isinstance(callback, ButtonHandler):
            callback = callback.callback
        unwrapped.append(inspect.unwrap(callback))
    return unwrapped


def test_every_callback_has_a_docstring_and_its_features_name(app: Any) -> None:
    wrong = []
    for callback in _callbacks(app):
        module, name = callback.__module__, callback.__name__
        if not (callback.__doc__ or "").strip():
            wrong.append(f"{module}.{name}: no docstring")
        feature = module.rpartition(".")[2]
        if module != "handlers.common" and not name.startswith(f"{feature}_"):
            wrong.append(f"{module}.{name}: not named {feature}_<trigger>")
    assert wrong == []
