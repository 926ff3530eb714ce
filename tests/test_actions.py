"""Button actions (handlers/actions.py): each defined once, each with one handler, and every
button the bot can make read back as the same action."""

from __future__ import annotations

import typing
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.config import Settings
from handlers import actions
from handlers.actions import REGISTRY, Action, Rule
from handlers.common import ButtonHandler
from kb.knowledge import Knowledge


def _rule(annotated: object) -> Rule:
    """The Rule an Annotated argument type carries."""
    rule = get_args(annotated)[1]
    assert isinstance(rule, Rule)
    return rule


# The extremes each argument type can take on a button: the longest and the shortest.
SAMPLES: dict[str, list[Any]] = {
    _rule(actions.RowId).regex: [1, 10**18 - 1],
    _rule(actions.Page).regex: [0, 9999],
    _rule(actions.Count).regex: [1, 99],
    _rule(actions.Offset).regex: [0, 999_999],
    _rule(actions.EntryId).regex: ["a", "a-" + "9" * 38],
    _rule(actions.ListPlace).regex: ["ev0", "ac9999"],
    _rule(actions.EntryOrAll).regex: ["*", "z" * 40],
}


def _samples(action: type[Action]) -> list[Action]:
    """The action with every argument at its shortest, and at its longest."""
    hints = typing.get_type_hints(action, include_extras=True)
    columns: list[list[Any]] = []
    for f in fields(action):  # type: ignore[arg-type]
        hint = hints[f.name]
        if typing.get_origin(hint) is typing.Literal:
            values = list(typing.get_args(hint))
            columns.append([min(values, key=len), max(values, key=len)])
        else:
            rule = next(m for m in hint.__metadata__ if isinstance(m, Rule))
            columns.append(SAMPLES[rule.regex])
    return [action(*(column[i] for column in columns)) for i in (0, 1)]


def test_codes_are_unique_and_short() -> None:
    codes = [a.code for a in REGISTRY.values()]
    assert len(codes) == len(set(codes)) == len(REGISTRY) >= 30
    with pytest.raises(ValueError, match="code 'cx'"):

        class Again(Action, code="cx"):  # a second action under a taken code is refused
            pass


@pytest.mark.parametrize("action", list(REGISTRY.values()), ids=list(REGISTRY))
def test_every_button_parses_back(action: type[Action]) -> None:
    for sample in _samples(action):
        data = sample.data()  # raises when it would not parse back
        assert len(data.encode("utf-8")) <= actions.MAX_BYTES
        assert data.startswith(f"{actions.VERSION}:{action.code}")
        assert action.parse(data) == sample
        assert actions.parse(data) == sample
        # the callback gate's rule: another action never reads it
        others = [a for a in REGISTRY.values() if a is not action and a.parse(data) is not None]
        assert others == []


def test_todays_wire_format_still_parses() -> None:
    """Buttons already on residents' phones keep working."""
    assert actions.parse("a:cx:12") == actions.CancelSignup(12)
    assert actions.parse("a:d:kk-forum:ev0") == actions.Details("kk-forum", "ev0")
    assert actions.parse("a:l:pg:3") == actions.ListPage("pg", 3)
    assert actions.parse("a:ok:ws-small") == actions.UseSaved("ws-small")
    assert actions.parse("a:m") == actions.Menu()
    assert actions.parse("b:m") is None  # another version
    assert actions.parse("a:ok:Bad_Id") is None


def test_arguments_outside_their_type_are_refused() -> None:
    with pytest.raises(ValueError):
        actions.CancelSignup(0).data()
    with pytest.raises(ValueError):
        actions.UnansweredAttach(1, "Not An Id").data()
    with pytest.raises(ValueError):
        actions.People(100).data()


def test_every_action_has_exactly_one_handler(tmp_path: Path, signup_kb: Knowledge) -> None:
    settings = Settings(token="1:x", db_path=tmp_path / "bot.sqlite3", admin_ids=frozenset({1}))
    app = build_application(settings, signup_kb)
    routed: dict[str, list[str]] = {code: [] for code in REGISTRY}
    for group, handlers in app.handlers.items():
        for handler in handlers:
            if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
                continue
            assert isinstance(handler.callback, ButtonHandler), handler.callback
            assert group == 0
            pattern = getattr(handler.pattern, "pattern", handler.pattern)
            codes = [c for c, a in REGISTRY.items() if a.pattern == pattern]
            assert len(codes) == 1, f"{pattern!r} is no action's pattern"
            routed[codes[0]].append(handler.callback.__name__)
    assert {code: names for code, names in routed.items() if len(names) != 1} == {}
