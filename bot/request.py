"""Bot API requests that survive a transient failure, for the bot and for getUpdates.

Telegram's front servers answer 502/503/504 now and then, and connections drop: a pooled
keep-alive connection Telegram already closed, a reset in the middle of a request. PTB
retries none of these, so one of them on `getMe` at start-up stopped the bot, and on a
button's `answerCallbackQuery` it threw the resident's tap away. `RetryingRequest` tries
again with exponential backoff and jitter, a bounded number of times and within a bounded
time, where another try cannot do harm:

- a 5xx answer: Telegram did not carry the request out, so every method is retried;
- the request never left (no connection, connection or pool timeout): every method;
- the connection dropped or timed out after the request was sent, so Telegram may have
  carried it out: methods whose repetition changes nothing (get*, set*, delete*, edit*,
  answerCallbackQuery, getUpdates...) are retried; a method that posts something
  (sendMessage...) at most twice more (`send_retries`). A copy too many needs Telegram to
  have carried a try out *and* its answer to be lost, and the retry right after such a try
  is the one that makes it, so the second retry adds almost no duplicates while it halves
  and halves again the answers lost to two drops in a row. A duplicate answer costs a
  resident less than a missing one (a flow would wait for a reply to a question they
  never saw).

When a retry finds that the first try did take effect (an edit that is "not modified", a
message already deleted, a callback query already answered), that is reported as success.
429 is not handled here: `bot.ratelimit` waits `retry_after` for the chat it concerns.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

# Methods that post something new each time they are carried out.
_POSTING = frozenset(
    m.lower()
    for m in (
        "sendMessage sendPhoto sendDocument sendVideo sendAudio sendVoice sendAnimation "
        "sendVideoNote sendMediaGroup sendContact sendLocation sendVenue sendPoll sendDice "
        "sendSticker sendInvoice sendPaidMedia copyMessage copyMessages forwardMessage "
        "forwardMessages createChatInviteLink createInvoiceLink"
    ).split()
)

# Telegram's refusals that, on a retry after a try that may have been carried out, mean it
# was: the edit is already there, the message already gone, the query already answered.
_ALREADY_DONE = {
    "editmessagetext": "message is not modified",
    "editmessagecaption": "message is not modified",
    "editmessagereplymarkup": "message is not modified",
    "editmessagemedia": "message is not modified",
    "deletemessage": "message to delete not found",
    "answercallbackquery": "query is too old",
}
_DONE_PAYLOAD = b'{"ok":true,"result":true}'

# httpx failures after which Telegram cannot have acted: no connection, or the request not
# written whole (Telegram reads a request to its end before acting on it).
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


def api_method(url: str) -> str:
    """The Bot API method of a request URL (`.../bot<token>/sendMessage`), never the token."""
    return url.rsplit("/", 1)[-1]


class RetryingRequest(HTTPXRequest):
    """`HTTPXRequest` that retries transient failures where a retry is safe (module doc)."""

    __slots__ = (
        "_attempts",
        "_base_delay",
        "_budget",
        "_max_delay",
        "_random",
        "_send_retries",
        "_sleep",
    )

    def __init__(
        self,
        *,
        attempts: int = 5,
        budget: float = 30.0,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        send_retries: int = 2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._attempts = attempts
        self._budget = budget
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._send_retries = send_retries
        self._sleep = sleep
        self._random = rng or random.Random()

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (1, 2, ...): doubling, with half of it random
        so that many requests failed by the same hiccup do not all come back at once."""
        delay = min(self._max_delay, self._base_delay * 2 ** (retry - 1))
        return delay / 2 + self._random.uniform(0, delay / 2)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = api_method(url)
        key = name.lower()
        deadline = time.monotonic() + self._budget
        maybe_done = False  # an earlier try may have been carried out by Telegram
        ambiguous_retries = 0
        attempt = 1
        while True:
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (NetworkError, TimedOut) as exc:  # TimedOut is a NetworkError; both named
                cause = exc.__cause__
                if not isinstance(cause, httpx.HTTPError):
                    raise  # not the network: a closed client at shutdown, a bug
                sent = not isinstance(cause, _NOT_SENT)
                if sent and key in _POSTING:
                    if ambiguous_retries >= self._send_retries:
                        raise
                    ambiguous_retries += 1
                what = f"{type(cause).__name__}"
                failure: BaseException | None = exc
                maybe_done = maybe_done or sent
            else:
                if code < 500:
                    if maybe_done and code == 400 and _already_done(key, payload):
                        log.info("Telegram %s: the earlier try took effect", name)
                        return 200, _DONE_PAYLOAD
                    return code, payload
                what = f"HTTP {code}"
                failure = None
            delay = self.backoff(attempt)
            if attempt >= self._attempts or time.monotonic() + delay > deadline:
                log.warning("Telegram %s: %s, giving up after %d tries", name, what, attempt)
                if failure is not None:
                    raise failure
                return code, payload  # PTB turns it into NetworkError with Telegram's words
            log.info(
                "Telegram %s: %s; try %d of %d in %.1f s", name, what, attempt + 1,
                self._attempts, delay,
            )  # fmt: skip
            await self._sleep(delay)
            attempt += 1


def _already_done(key: str, payload: bytes) -> bool:
    wording = _ALREADY_DONE.get(key)
    return wording is not None and wording in payload.decode("utf-8", "replace").lower()
