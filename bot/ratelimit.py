"""Keep under Telegram's flood limits without letting one chat slow down everyone.

PTB's AIORateLimiter does not pace messages to one private chat, retries nothing by default
(max_retries=0), and on a 429 pauses *all* requests. Here each chat has its own pace (a
short burst, then about one message a second) and all chats share the global pace (about 30
messages a second); a 429 for one chat delays only that chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Methods that put something in a chat, and so count toward its flood limit.
_PACED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendContact",
        "sendLocation",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)


class Pace:
    """Generic cell rate algorithm: at most `burst` at once, then one every `interval` s.

    Reservations are taken without awaiting, so concurrent callers queue in order.
    """

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.tolerance = interval * (burst - 1)
        self.tat = 0.0  # theoretical arrival time of the next allowed request

    def reserve(self, now: float) -> float:
        """Book the next slot; returns how long to wait for it."""
        tat = max(self.tat, now)
        wait = max(0.0, tat - self.tolerance - now)
        self.tat = tat + self.interval
        return wait

    def hold(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


class TelegramRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self,
        *,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        chat_burst: int = 4,
        max_retries: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # A burst of a third of Telegram's allowance: requests paced here can still reach
        # Telegram bunched (network jitter, a busy CPU, 32 in flight), and the rest of the
        # allowance absorbs that. The steady rate, which decides a broadcast's speed, is full.
        self._global = Pace(1.0 / per_second, max(1, int(per_second / 3)))
        self._chat_interval = chat_interval
        self._chat_burst = chat_burst
        self._chats: dict[object, Pace] = {}
        self._max_retries = max_retries
        self._clock = clock
        self._global_hold_until = 0.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._chats.clear()

    def _chat(self, chat_id: object) -> Pace:
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) > 10_000:  # forget chats that have been quiet for a while
                now = self._clock()
                self._chats = {k: p for k, p in self._chats.items() if p.tat > now}
            pace = self._chats[chat_id] = Pace(self._chat_interval, self._chat_burst)
        return pace

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        paced = endpoint in _PACED and chat_id is not None
        key = str(chat_id)
        for attempt in range(self._max_retries + 1):
            if paced:
                now = self._clock()
                # Book the chat's slot first, then the global one at or after it.
                wait = self._chat(key).reserve(now)
                wait = max(wait, self._global.reserve(now + wait) + wait)
                wait = max(wait, self._global_hold_until - now)
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self._max_retries:
                    raise
                value = exc.retry_after  # an int today, a timedelta in a future PTB
                delay = float(value.total_seconds() if hasattr(value, "total_seconds") else value)
                until = self._clock() + delay
                if paced:
                    self._chat(key).hold(until)  # only this chat waits
                else:
                    self._global_hold_until = max(self._global_hold_until, until)
                    await asyncio.sleep(delay)
                log.info("flood limit on %s for chat %s: retry in %.1f s", endpoint, key, delay)
        raise AssertionError("unreachable")
