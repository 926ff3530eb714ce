"""The Bot API wire format: request parameters and their coercions, refusals and answers,
and the records of what the bot asked for."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import web

JSON = dict[str, Any]


class ApiError(Exception):
    """A refusal sent back to the bot as ``{"ok": false, ...}`` with ``code`` as HTTP status."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        *,
        injected: bool = False,  # produced by fail_next(), not by the bot's request
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected


def bad(description: str) -> ApiError:
    """A 400 refusal in Telegram's wording."""
    return ApiError(400, f"Bad Request: {description}")


class Rejection(NamedTuple):
    """One refused API call: what the bot asked for and what it was told."""

    method: str
    error_code: int
    description: str
    params: JSON


class ApiCall(NamedTuple):
    """One API call the bot made (getUpdates excluded); ``error_code`` is None on success,
    ``DROPPED`` when the connection was closed without an answer (see FaultPlan)."""

    method: str
    params: JSON
    error_code: int | None


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    data: bytes
    content_type: str


class Params:
    """Request parameters with Bot API coercions (form strings, JSON-in-strings, files)."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def raw(self, name: str) -> object:
        value = self._values.get(name)
        return None if value == "" else value

    def get_str(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        raise bad(f"{name} must be a String")

    def get_int(self, name: str) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise bad(f"{name} must be an Integer")

    def get_bool(self, name: str) -> bool:
        value = self.raw(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        raise bad(f"{name} must be a Boolean")

    def get_json(self, name: str) -> object:
        """Complex values arrive JSON-encoded in form requests and decoded in JSON requests."""
        value = self.raw(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None

    def get_file(self, name: str) -> Upload | str | None:
        value = self.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.raw(value[len("attach://") :])
        if value is None or isinstance(value, (Upload, str)):
            return value
        raise bad(f"wrong type of the {name} parameter")

    def for_record(self) -> JSON:
        """JSON-friendly copy for Rejection/ApiCall records (file bytes summarized)."""
        return {
            key: f"<file {value.filename!r}, {len(value.data)} bytes>"
            if isinstance(value, Upload)
            else value
            for key, value in self._values.items()
        }


async def read_params(request: web.Request) -> Params:
    """The parameters of a call, from the query string and a JSON, form or multipart body."""
    values: dict[str, object] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad("JSON object expected")
            values.update(body)
        else:
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content_type = value.content_type or "application/octet-stream"
                    values[key] = Upload(value.filename, value.file.read(), content_type)
                elif isinstance(value, bytes):
                    values[key] = value.decode("utf-8")
                else:
                    values[key] = value
    return Params(values)


def timestamp() -> int:
    """Unix time, as Telegram dates messages."""
    return int(time.time())


def dumps(data: object) -> str:
    # Thai stays readable in recorded answers and logs.
    return json.dumps(data, ensure_ascii=False)


def error_response(error: ApiError) -> web.Response:
    """The JSON answer Telegram gives to a refused call."""
    body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code, dumps=dumps)
