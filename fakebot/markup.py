"""Reply markup as Telegram checks it: inline keyboards (one action a button, callback data of
at most 64 bytes, valid links), reply keyboards, keyboard removal and forced replies."""

from __future__ import annotations

from fakebot.entities import normalize_link
from fakebot.wire import JSON, bad

MAX_CALLBACK_DATA_BYTES = 64


_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_KEYBOARD_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_REPLY_KEYBOARD_FLAGS = ("is_persistent", "resize_keyboard", "one_time_keyboard", "selective")


def parse_reply_markup(raw: object, *, inline_only: bool) -> JSON | None:
    """Validate and normalize reply_markup; normalized form makes edits comparable."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = _rows(raw["inline_keyboard"], "inline_keyboard", "InlineKeyboardMarkup")
        buttons = [[_inline_button(button) for button in row] for row in rows if row]
        # An empty inline keyboard is no keyboard: Telegram returns no reply_markup.
        return {"inline_keyboard": buttons} if buttons else None
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in raw:
        rows = _rows(raw["keyboard"], "keyboard", "ReplyKeyboardMarkup")
        markup: JSON = {"keyboard": [[_keyboard_button(button) for button in row] for row in rows]}
        for flag in _REPLY_KEYBOARD_FLAGS:
            if flag in raw:
                markup[flag] = _strict_bool(raw[flag], flag)
        if "input_field_placeholder" in raw:
            markup["input_field_placeholder"] = _placeholder(raw["input_field_placeholder"])
        return markup
    if "remove_keyboard" in raw:
        if raw["remove_keyboard"] is not True:
            raise bad('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
        return {
            "remove_keyboard": True,
            "selective": _strict_bool(raw.get("selective", False), "selective"),
        }
    if "force_reply" in raw:
        if raw["force_reply"] is not True:
            raise bad('field "force_reply" of the ForceReply must be true')
        markup = {
            "force_reply": True,
            "selective": _strict_bool(raw.get("selective", False), "selective"),
        }
        if "input_field_placeholder" in raw:
            markup["input_field_placeholder"] = _placeholder(raw["input_field_placeholder"])
        return markup
    raise bad("can't parse reply keyboard markup JSON object")


def inline_part(markup: JSON | None) -> JSON | None:
    """The part of a stored reply_markup that is attached to the message itself."""
    return markup if markup is not None and "inline_keyboard" in markup else None


def _rows(raw: object, field_name: str, owner: str) -> list[list[object]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise bad(f'Field "{field_name}" of the {owner} should be an Array of Arrays')
    return raw


def _strict_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise bad(f'Field "{name}" must be of type Boolean')
    return value


def _placeholder(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise bad("input field placeholder must be 1-64 characters long")
    return value


def _inline_button(raw: object) -> JSON:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(raw, dict):
        raise bad(prefix + "InlineKeyboardButton should be an Object")
    if "text" not in raw:
        raise bad(prefix + 'Can\'t find field "text"')
    text = raw["text"]
    if not isinstance(text, str):
        raise bad(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise bad("BUTTON_TEXT_INVALID")
    # Telegram treats empty strings (and false) as absent fields: a button with
    # callback_data="" is a "text button" and refused as such.
    actions = [name for name in _INLINE_ACTIONS if raw.get(name) not in (None, "", False)]
    if not actions:
        raise bad(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad("BUTTON_TYPE_INVALID")
    action = actions[0]
    value = raw[action]
    if action == "callback_data":
        if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad("BUTTON_DATA_INVALID")
    elif action == "url":
        link = normalize_link(value) if isinstance(value, str) else None
        if link is None:
            raise bad("BUTTON_URL_INVALID")
        value = link
    return {"text": text, action: value}


def _keyboard_button(raw: object) -> JSON:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise bad("can't parse keyboard button: KeyboardButton should be a String or an Object")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad('can\'t parse keyboard button: Field "text" must be a non-empty String')
    requests = [name for name in _KEYBOARD_REQUESTS if raw.get(name) not in (None, False)]
    if len(requests) > 1:
        raise bad("BUTTON_TYPE_INVALID")
    button: JSON = {"text": text}
    if requests:
        button[requests[0]] = raw[requests[0]]
    return button
