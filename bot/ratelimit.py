"""Keep under Telegram's flood limits without letting one chat slow down everyone.

PTB's AIORateLimiter does not pace messages to one private chat, retries nothing by default
(max_retries=0), and on a 429 pauses *all* requests. Here each chat has its own pace (a
short burst, then about one message a second) and all chats share the global pace (about 30
messages a second); a 429 for one chat delays only that chat.

Under a crowd the global pace decides who waits, and first come, first served made a
resident's first answer wait behind other residents' second and third ones (their
questions came back sooner, since each chat's next question is handled once its previous
answer has left). So when a slot frees, the message that goes is chosen fairly:

- answers (messages to the chat whose update is being handled) before notices (broadcasts,
  reminders, a message to someone else), notices still getting one slot in four;
- among answers, a chat's first in a while before anyone's later ones: each message sent to
  the same chat in the last minute counts as if the next one had come 10 s later (at most
  30 s later), so a crowd's first answers all leave before its later ones, and nobody waits
  more than that for their turn.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

#: The chat whose update is being handled in this task (set by the update processor): a
#: message to it is an answer.
answering: ContextVar[int | None] = ContextVar("answering", default=None)

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

    def peek(self, now: float) -> float:
        """How long the next slot is from now, without booking it."""
        return max(0.0, max(self.tat, now) - self.tolerance - now)

    def reserve(self, now: float) -> float:
        """Book the next slot; returns how long to wait for it."""
        tat = max(self.tat, now)
        wait = max(0.0, tat - self.tolerance - now)
        self.tat = tat + self.interval
        return wait

    def hold(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


@dataclass
class _ChatState:
    pace: Pace
    sent: deque[float] = field(default_factory=deque)  # when its recent messages left
    queued: int = 0
    last_key: float = 0.0  # keeps one chat's own messages in order


@dataclass(order=True)
class _Ticket:
    key: float
    seq: int
    ready: asyncio.Future[None] = field(compare=False)


class TelegramRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self,
        *,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        chat_burst: int = 4,
        max_retries: int = 5,
        fair: bool = True,
        later_delay: float = 10.0,
        max_later: int = 3,
        window: float = 60.0,
        notice_share: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # A burst of a third of Telegram's allowance: requests paced here can still reach
        # Telegram bunched (network jitter, a busy CPU, 32 in flight), and the rest of the
        # allowance absorbs that. The steady rate, which decides a broadcast's speed, is full.
        self._global = Pace(1.0 / per_second, max(1, int(per_second / 3)))
        self._chat_interval = chat_interval
        self._chat_burst = chat_burst
        self._chats: dict[str, _ChatState] = {}
        self._max_retries = max_retries
        self._clock = clock
        self._global_hold_until = 0.0
        self._fair = fair
        self._later_delay = later_delay
        self._max_later = max_later
        self._window = window
        self._notice_share = notice_share
        self._answers: list[_Ticket] = []
        self._notices: list[_Ticket] = []
        self._answers_in_row = 0
        self._seq = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None
        for ticket in self._answers + self._notices:
            ticket.ready.cancel()
        self._answers.clear()
        self._notices.clear()
        self._chats.clear()

    def _chat(self, chat_id: str) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            if len(self._chats) > 10_000:  # forget chats that have been quiet for a while
                now = self._clock()
                self._chats = {k: c for k, c in self._chats.items() if self._active(c, now)}
            state = self._chats[chat_id] = _ChatState(Pace(self._chat_interval, self._chat_burst))
        return state

    def _active(self, state: _ChatState, now: float) -> bool:
        return state.queued > 0 or state.pace.tat > now or self._recent(state, now) > 0

    def _recent(self, state: _ChatState, now: float) -> int:
        """Messages sent to the chat within the window."""
        while state.sent and state.sent[0] < now - self._window:
            state.sent.popleft()
        return len(state.sent)

    async def _turn(self, state: _ChatState, answer: bool) -> None:
        """Wait for a slot in the global pace, taking turns fairly (module doc)."""
        now = self._clock()
        queue = self._answers if answer or not self._fair else self._notices
        if self._fair and answer:
            later = min(self._recent(state, now) + state.queued, self._max_later)
            key = max(now + later * self._later_delay, state.last_key)
        else:
            key = now
        state.last_key = key
        idle = not self._answers and not self._notices
        if idle and self._global_hold_until <= now and self._global.peek(now) == 0:
            self._global.reserve(now)  # nobody waiting and a slot free: go at once
        else:
            ticket = _Ticket(key, next(self._seq), asyncio.get_running_loop().create_future())
            heapq.heappush(queue, ticket)
            if self._dispatcher is None:
                self._dispatcher = asyncio.create_task(self._dispatch())
            state.queued += 1
            try:
                await ticket.ready
            finally:
                state.queued -= 1
        state.sent.append(self._clock())

    async def _dispatch(self) -> None:
        """Hand out the global pace's slots, one at a time, to the best waiting message."""
        try:
            while self._answers or self._notices:
                now = self._clock()
                wait = max(self._global.peek(now), self._global_hold_until - now)
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                ticket = heapq.heappop(self._next_queue())
                if ticket.ready.done():  # its sender stopped waiting (shutdown)
                    continue
                self._global.reserve(now)
                ticket.ready.set_result(None)
        finally:
            self._dispatcher = None

    def _next_queue(self) -> list[_Ticket]:
        if not self._notices:
            return self._answers
        if not self._answers or self._answers_in_row >= self._notice_share - 1:
            self._answers_in_row = 0
            return self._notices
        self._answers_in_row += 1
        return self._answers

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
        answer = paced and key == str(answering.get())
        for attempt in range(self._max_retries + 1):
            if paced:
                state = self._chat(key)
                wait = state.pace.reserve(self._clock())
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._turn(state, answer)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self._max_retries:
                    raise
                value = exc.retry_after  # an int today, a timedelta in a future PTB
                delay = float(value.total_seconds() if hasattr(value, "total_seconds") else value)
                until = self._clock() + delay
                if paced:
                    self._chat(key).pace.hold(until)  # only this chat waits
                else:
                    self._global_hold_until = max(self._global_hold_until, until)
                    await asyncio.sleep(delay)
                log.info("flood limit on %s for chat %s: retry in %.1f s", endpoint, key, delay)
        raise AssertionError("unreachable")
