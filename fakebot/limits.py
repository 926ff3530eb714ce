"""How the fake Telegram says no without the bot being at fault: flood control (token buckets
with Telegram's 429 and retry_after) and injected faults (a queue of chosen failures, and a
seeded plan of random 5xx answers and dropped connections)."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass

from fakebot.wire import ApiError


@dataclass(frozen=True)
class FloodLimits:
    """Token buckets approximating Telegram's flood control.

    Telegram documents ~30 messages/second overall and ~1 message/second per
    private chat while tolerating short bursts; ``*_burst`` is the bucket
    capacity and ``*_per_second`` its refill rate.
    """

    global_burst: float = 30
    global_per_second: float = 30.0
    chat_burst: float = 5
    chat_per_second: float = 1.0


class TokenBucket:
    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.updated = time.monotonic()

    def wait_time(self, now: float) -> float:
        """Refill, then return how long until one token is available (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    """A bucket for each chat and one for the bot, refusing with 429 when they run dry."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._global = TokenBucket(limits.global_burst, limits.global_per_second)
        self._chats: dict[int, TokenBucket] = {}

    def charge(self, chat_id: int, *, counts_globally: bool) -> None:
        """Take a token from the chat (and global) bucket or refuse with 429."""
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(self.limits.chat_burst, self.limits.chat_per_second)
            self._chats[chat_id] = bucket
        buckets = [bucket, self._global] if counts_globally else [bucket]
        now = time.monotonic()
        wait = max(b.wait_time(now) for b in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        for b in buckets:
            b.tokens -= 1


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None


#: The error code recorded for a call whose connection was dropped without an HTTP answer.
DROPPED = 0


@dataclass(frozen=True)
class FaultPlan:
    """Random transient failures, as Telegram's front servers produce them now and then.

    Each call (getUpdates included) independently gets, with probability ``error_rate``, a
    5xx answer (502, 503 or 504) without being carried out, or with ``drop_rate`` a closed
    connection and no HTTP answer at all -- after carrying it out with probability
    ``drop_after``, else before, which the bot cannot tell apart. ``calls`` limits the plan
    to the next that many calls (a bot's start-up), ``methods`` to some methods. Seeded, one
    sequence per method: the same calls of a method always meet the same faults.
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    calls: int | None = None
    methods: frozenset[str] | None = None
    drop_after: float = 0.5
    statuses: tuple[int, ...] = (502, 503, 504)


class Faults:
    """Failures waiting for the bot's calls: those queued by fail_next, then the plan's."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault]] = {}
        self.plan: FaultPlan | None = None
        self._rngs: dict[str, random.Random] = {}
        self._left: int | None = None

    def queue(self, key: str, fault: Fault, count: int) -> None:
        self._queued.setdefault(key, deque()).extend([fault] * count)

    def set_plan(self, plan: FaultPlan) -> None:
        """Follow ``plan`` from now on; a plan without rates clears it."""
        self.plan = plan if plan.error_rate or plan.drop_rate else None
        self._rngs = {}
        self._left = plan.calls

    def draw(self, key: str) -> Fault | str | None:
        """What happens to this call of method ``key``: a queued Fault to answer with,
        "drop-before", "drop-after", "error" (a gateway error), or None (carried out)."""
        queued = self._queued.get(key)
        if queued:
            fault = queued.popleft()
            return "drop-before" if fault.status == DROPPED else fault
        return self._planned(key)

    def gateway_status(self, key: str) -> int:
        """The 5xx a gateway error of method ``key`` answers with."""
        statuses = self.plan.statuses if self.plan else (502,)
        return self._rng(key).choice(statuses)

    def _rng(self, key: str) -> random.Random:
        # One sequence per method: which getUpdates meets a fault depends on timing, and
        # must not change which sendMessage does.
        rng = self._rngs.get(key)
        if rng is None:
            seed = self.plan.seed if self.plan else 0
            rng = self._rngs[key] = random.Random(f"{seed}:{key}")
        return rng

    def _planned(self, key: str) -> str | None:
        """What happens to this call by the fault plan: "error", "drop-before",
        "drop-after", or None (carried out normally)."""
        plan = self.plan
        if plan is None or (plan.methods is not None and key not in plan.methods):
            return None
        if self._left is not None:
            if self._left <= 0:
                self.plan = None
                return None
            self._left -= 1
        rng = self._rng(key)
        draw = rng.random()
        if draw < plan.error_rate:
            return "error"
        if draw < plan.error_rate + plan.drop_rate:
            return "drop-after" if rng.random() < plan.drop_after else "drop-before"
        return None
